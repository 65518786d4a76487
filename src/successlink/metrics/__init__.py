"""Customer metrics: pure functions from warehouse tables and an as-of date to Ibis expressions.

Nothing here reads a clock, opens a connection or writes: `successlink.scores` decides what
to materialise. Every function sees only rows that happened on or before its `as_of` day.
"""
