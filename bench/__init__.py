"""`make bench`: speed and memory of the hot paths, appended to docs/benchmarks.md."""
