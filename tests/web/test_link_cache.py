"""The in-memory link cache: the same decisions as the store, and how stale it may be."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse

from successlink.store.affiliates import Affiliate
from successlink.store.tracking import Link
from successlink.web.link_cache import LinkCache, click_location_parts
from successlink.web.redirects import with_click
from tests.web.service import T0, seed

CLICK = "01a2096d-adcb-784c-9ca3-d8496ba3d87c"


@pytest.mark.parametrize("destination", [
    "https://www.acme.test/pricing?utm_source=ada",
    "https://acme.test",
    "https://acme.test/?sl_click=stale&b=2#top",
    "https://acme.test/a b/é?q=x y&e=",
    "https://acme.test/p?a=1&a=2#frag?x",
])
def test_the_location_is_what_the_starlette_route_sent(destination: str) -> None:
    before, after = click_location_parts(destination)
    expected = RedirectResponse(with_click(destination, CLICK)).headers["location"]
    assert before + CLICK + after == expected


@given(path=st.text(st.characters(codec="utf-8", exclude_characters="?#\x00"), max_size=12),
       params=st.lists(st.tuples(st.text(min_size=1, max_size=5), st.text(max_size=5)),
                       max_size=3),
       fragment=st.text(max_size=5))
def test_the_location_matches_for_any_query_and_fragment(
        path: str, params: list[tuple[str, str]], fragment: str) -> None:
    from urllib.parse import urlencode

    query = urlencode(params)
    destination = f"https://acme.test/{path}" + (f"?{query}" if query else "") + \
        (f"#{fragment}" if fragment else "")
    before, after = click_location_parts(destination)
    expected = RedirectResponse(with_click(destination, CLICK)).headers["location"]
    assert before + CLICK + after == expected


@pytest.fixture
def cache(store: Engine) -> LinkCache:
    seed(store)
    return LinkCache(store, ["acme.test"], check_seconds=1.0, reload_seconds=30.0,
                     monotonic=lambda: 0.0)


def _get(cache: LinkCache, code: str) -> str | None:
    target = asyncio.run(cache.get(code))
    return None if target is None else urlsplit(target.location(CLICK)).netloc


def test_only_redirectable_links_have_a_target(cache: LinkCache) -> None:
    assert _get(cache, "ada") == "www.acme.test"
    assert [_get(cache, code) for code in ("off", "away", "sus", "nope")] == [None] * 4
    assert _get(cache, "a\x00b") is None and _get(cache, "x" * 65) is None


def _add_link(store: Engine, code: str) -> None:
    with Session(store) as s, s.begin():
        s.add(Link(code=code, affiliate_id="aff_1", destination="https://acme.test/new",
                   utm_source=None, utm_medium=None, utm_campaign=None, disabled=False,
                   created_at=T0))


def test_a_new_link_works_at_once(cache: LinkCache, store: Engine) -> None:
    assert _get(cache, "ada") is not None  # loaded
    _add_link(store, "fresh")
    assert _get(cache, "fresh") == "acme.test"  # looked up on the miss, no reload needed


def test_disabling_a_link_or_suspending_its_affiliate_is_seen_at_the_next_check(
        cache: LinkCache, store: Engine) -> None:
    assert _get(cache, "ada") is not None
    with Session(store) as s, s.begin():
        s.query(Link).filter_by(code="ada").update({"disabled": True})
    assert _get(cache, "ada") is not None  # stale until the check
    assert cache.refresh() is True and _get(cache, "ada") is None
    with Session(store) as s, s.begin():
        s.query(Link).filter_by(code="ada").update({"disabled": False})
    assert cache.refresh() is True and _get(cache, "ada") is not None
    with Session(store) as s, s.begin():
        s.get_one(Affiliate, "aff_1").status = "suspended"
    assert cache.refresh() is True and _get(cache, "ada") is None


def test_an_edit_the_fingerprint_misses_waits_for_the_full_reload(store: Engine) -> None:
    seed(store)
    now = [0.0]
    cache = LinkCache(store, ["acme.test"], reload_seconds=30.0, monotonic=lambda: now[0])
    assert _get(cache, "ada") == "www.acme.test"
    with Session(store) as s, s.begin():  # same length: counts and sums do not change
        s.query(Link).filter_by(code="ada").update(
            {"destination": "https://www.acme.test/PRICING?utm_source=ada"})
    now[0] = 29.0
    assert cache.refresh() is False
    now[0] = 30.0
    assert cache.refresh() is True
    target = asyncio.run(cache.get("ada"))
    assert target is not None and "/PRICING" in target.location(CLICK)


def test_requests_trigger_the_check_in_the_background(store: Engine) -> None:
    seed(store)
    now = [0.0]
    cache = LinkCache(store, ["acme.test"], check_seconds=1.0, monotonic=lambda: now[0])
    assert _get(cache, "ada") is not None
    with Session(store) as s, s.begin():
        s.query(Link).filter_by(code="ada").update({"disabled": True})
    now[0] = 1.5

    async def until_seen() -> tuple[object, object]:
        first = await cache.get("ada")  # answers from memory, starts the check
        later = first
        for _ in range(300):  # the check runs in a worker thread; nobody calls refresh()
            await asyncio.sleep(0.01)
            later = await cache.get("ada")
            if later is None:
                break
        return first, later

    first, later = asyncio.run(until_seen())
    assert first is not None and later is None
