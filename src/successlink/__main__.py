"""`python -m successlink` is the `successlink` command."""

from successlink.cli.app import main

main()
