from __future__ import annotations

from datetime import timedelta

import pytest

from successlink.program.fraud import Referral, suspicions
from tests.program.plans import T0


def _kinds(**over: object) -> list[str]:
    fields: dict[str, object] = dict(affiliate_email="ada@studio.test",
                                     customer_email="bo@bigco.test", first_paid_at=T0)
    fields.update(over)
    return [s.kind for s in suspicions(Referral(**fields))]  # type: ignore[arg-type]


def test_an_ordinary_referral_raises_nothing() -> None:
    assert _kinds() == []


@pytest.mark.parametrize(("over", "kind"), [
    ({"customer_email": "ADA@studio.test"}, "self_referral"),          # same address
    ({"customer_email": "ops@studio.test"}, "self_referral"),          # same company domain
    ({"click_ip": "203.0.113.0", "affiliate_ips": frozenset({"203.0.113.0"})},
     "self_referral"),
    ({"customer_email": "x@mailinator.com"}, "disposable_email"),
    ({"clicks_from_ip_in_window": 20}, "click_flood"),
    ({"has_click": False}, "no_click"),
    ({"refunded_at": T0 + timedelta(days=14)}, "early_refund"),
    ({"churned_at": T0 + timedelta(days=3)}, "early_churn"),
])
def test_each_signal(over: dict[str, object], kind: str) -> None:
    assert _kinds(**over) == [kind]


def test_shared_freemail_domains_and_late_events_are_not_suspicious() -> None:
    assert _kinds(affiliate_email="ada@gmail.com", customer_email="bo@gmail.com") == []
    assert _kinds(refunded_at=T0 + timedelta(days=15), churned_at=T0 + timedelta(days=90),
                  clicks_from_ip_in_window=19) == []
    assert _kinds(has_click=False, first_paid_at=None) == []   # nothing paid yet


def test_every_suspicion_says_why() -> None:
    (s,) = suspicions(Referral(affiliate_email="a@x.test", customer_email="b@x.test"))
    assert s.sentence == "the customer and the affiliate share the e-mail domain x.test"
