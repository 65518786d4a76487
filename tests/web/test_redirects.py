from __future__ import annotations

import pytest

from successlink.web.redirects import allowed, anonymise_ip, looks_like_bot, with_click

DOMAINS = ["acme.test"]


@pytest.mark.parametrize(("url", "ok"), [
    ("https://acme.test/pricing", True),
    ("http://www.acme.test/", True),
    ("https://ACME.test./x", True),
    ("https://evil.test/acme.test", False),
    ("https://acme.test.evil.test/", False),
    ("https://evilacme.test/", False),
    ("https://acme.test@evil.test/", False),
    ("https://user@acme.test/", False),
    ("javascript:alert(1)//acme.test", False),
    ("//acme.test/", False),
    ("ftp://acme.test/", False),
])
def test_only_the_programs_domains_are_destinations(url: str, ok: bool) -> None:
    assert allowed(url, DOMAINS) is ok


def test_the_click_id_joins_the_query_and_replaces_a_stale_one() -> None:
    assert with_click("https://acme.test/p?utm_source=x", "c1") == \
        "https://acme.test/p?utm_source=x&sl_click=c1"
    assert with_click("https://acme.test/?sl_click=old#top", "c2") == \
        "https://acme.test/?sl_click=c2#top"


@pytest.mark.parametrize(("ip", "stored"), [
    ("203.0.113.77", "203.0.113.0"),
    ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
    ("not an ip", None), (None, None),
])
def test_ips_are_anonymised(ip: str | None, stored: str | None) -> None:
    assert anonymise_ip(ip) == stored


def test_bots_are_flagged_by_user_agent() -> None:
    assert looks_like_bot("Mozilla/5.0 (compatible; Googlebot/2.1)")
    assert looks_like_bot(None)
    assert not looks_like_bot("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15")
