"""The report: terminal tables and one offline HTML file, read from the stored score snapshots.

`data` loads one as-of day into plain Python structures, `figures` computes the program-level
numbers, `charts` draws inline SVG, `html` and `terminal` lay it all out.
"""
