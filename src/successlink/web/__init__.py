"""The ASGI service: tracked redirects and the Stripe webhook endpoint (more routes later)."""
