"""Lifetime-value models: closed forms written with SciPy, tested against the papers."""
