"""SuccessLink: an affiliate program run on customer-success data."""

__version__ = "0.1.0"
