"""The `successlink` command line: parse, call, print. One module per command group."""
