"""Materialise metrics, health and scorecards as of a date, keeping one snapshot per day."""
