"""Churn risk: who is likely to leave within the horizon, how sure we are, and why.

A calibrated gradient-boosted model on the as-of account metrics, a regularised logistic
regression as the transparent baseline, a rolling-origin backtest and drivers in words.
See docs/models/churn.md.
"""
