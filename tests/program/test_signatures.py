"""Signature checks against the recorded vectors (tests/data/stripe/signature-vectors.json)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from successlink.program.signatures import SignatureError, verify_signature

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "data" / "stripe" / "signature-vectors.json")
    .read_text(encoding="utf-8"))["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_each_vector_without_an_age_limit(vector: dict[str, Any]) -> None:
    payload = vector["payload"].encode("utf-8")
    header = vector["stripe_signature_header"]
    if vector["expected_without_tolerance"] == "valid":
        verify_signature(payload, header, [vector["secret"]], tolerance_seconds=None)
    else:
        with pytest.raises(SignatureError, match="bad Stripe signature"):
            verify_signature(payload, header, [vector["secret"]], tolerance_seconds=None)


@pytest.mark.parametrize("vector", [v for v in VECTORS if "verify_at_unix" in v],
                         ids=lambda v: v["name"])
def test_the_age_limit(vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import stripe._webhook

    monkeypatch.setattr(stripe._webhook, "time",
                        SimpleNamespace(time=lambda: vector["verify_at_unix"]))
    payload = vector["payload"].encode("utf-8")
    args = (payload, vector["stripe_signature_header"], [vector["secret"]])
    if vector["stripe_python_16_1_0_result_with_tolerance_at_verify_at_unix"] == "accepted":
        verify_signature(*args, tolerance_seconds=vector["tolerance_seconds"])
    else:
        with pytest.raises(SignatureError, match="outside the tolerance zone"):
            verify_signature(*args, tolerance_seconds=vector["tolerance_seconds"])


def test_a_rotated_secret_still_verifies() -> None:
    valid = VECTORS[0]
    verify_signature(valid["payload"].encode(), valid["stripe_signature_header"],
                     ["whsec_new_one", valid["secret"]], tolerance_seconds=None)


def test_missing_secret_or_header_says_what_to_set() -> None:
    valid = VECTORS[0]
    with pytest.raises(SignatureError, match="SUCCESSLINK_PROGRAM__STRIPE_WEBHOOK_SECRETS"):
        verify_signature(valid["payload"].encode(), valid["stripe_signature_header"], [])
    with pytest.raises(SignatureError, match="No Stripe-Signature header"):
        verify_signature(valid["payload"].encode(), None, [valid["secret"]])
