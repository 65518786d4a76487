"""Stripe webhook signatures, checked by the official `stripe` library on the raw body."""

from __future__ import annotations

from collections.abc import Sequence

import stripe


class SignatureError(ValueError):
    """The body was not signed by Stripe with one of our secrets (or the signature is stale)."""


def verify_signature(payload: bytes, header: str | None, secrets: Sequence[str], *,
                     tolerance_seconds: int | None = 300) -> None:
    """Raise SignatureError unless `header` signs `payload` with one of `secrets`.

    The bytes must be the request body exactly as received: re-serialised JSON has a different
    signature. Several secrets are tried while one is being rotated. `tolerance_seconds`
    refuses replays of old signatures (0 or None: no age limit).
    """
    if not secrets:
        raise SignatureError("no Stripe webhook secret is configured; set "
                             "SUCCESSLINK_PROGRAM__STRIPE_WEBHOOK_SECRETS='[\"whsec_...\"]'")
    reasons = []
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret,
                                                  tolerance=tolerance_seconds or None)
            return
        except stripe.SignatureVerificationError as exc:
            reasons.append(str(exc.user_message or exc))
        except UnicodeDecodeError as exc:
            raise SignatureError(f"the body is not UTF-8: {exc}") from exc
    raise SignatureError(f"bad Stripe signature: {reasons[0]}")
