"""Where a tracked link may send a visitor, and what a click records. Pure helpers."""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

CLICK_PARAM = "sl_click"
COOKIE_NAME = "sl_click"
_BOT_WORDS = ("bot", "crawler", "spider", "slurp", "preview", "headless", "curl", "wget",
              "python-requests", "httpx")


def allowed(url: str, domains: list[str]) -> bool:
    """True when `url` is http(s) on one of `domains` or a subdomain of one: never an open
    redirect to a host the program does not own."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        return False
    host = parts.hostname.lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)


def with_click(url: str, click_id: str) -> str:
    """The destination with the click id added to its query (existing parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != CLICK_PARAM]
    query.append((CLICK_PARAM, click_id))
    return urlunsplit(parts._replace(query=urlencode(query)))


def anonymise_ip(ip: str | None) -> str | None:
    """Zero the host part: the last octet of IPv4, all but the /48 of IPv6 (as analytics
    tools do), so a stored click never holds a full address."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def looks_like_bot(user_agent: str | None) -> bool:
    """A crawler, link previewer or script by its user agent (kept, but flagged)."""
    if not user_agent:
        return True
    agent = user_agent.lower()
    return any(word in agent for word in _BOT_WORDS)
