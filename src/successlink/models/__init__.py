"""Predictive models: lifetime value, churn risk, success drivers."""
