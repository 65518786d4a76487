"""Identity keys: how e-mails and domains are normalised so every source names a company alike.

Resolution itself (key -> account) runs in the warehouse at load time, in `warehouse/resolve.py`,
so that a ticket loaded before its company still matches once the company arrives.
"""

from __future__ import annotations

# Domains of personal mailboxes: an e-mail there says nothing about the company.
FREEMAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com hotmail.co.uk
    hotmail.fr outlook.com live.com msn.com aol.com icloud.com me.com mac.com proton.me
    protonmail.com pm.me gmx.com gmx.de gmx.net web.de mail.com mail.ru yandex.ru yandex.com
    zoho.com fastmail.com hey.com qq.com 163.com 126.com naver.com orange.fr free.fr laposte.net
    libero.it t-online.de comcast.net verizon.net att.net sbcglobal.net example.com
    """.split()
)


def normalise_email(value: object) -> str | None:
    """Lower-cased, trimmed e-mail, or None when it is not an address."""
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    if email.count("@") != 1:
        return None
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        return None
    return email


def normalise_domain(value: object) -> str | None:
    """Bare lower-case host from a domain or URL ("https://www.Acme.com/x" -> "acme.com")."""
    if not isinstance(value, str) or not value.strip():
        return None
    host = value.strip().lower()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    host = host.split("/", 1)[0].split(":", 1)[0].rstrip(".")
    host = host.removeprefix("www.")
    return host if "." in host and " " not in host else None


def company_domain(email: object) -> str | None:
    """The company domain of an e-mail, or None for personal mailboxes."""
    normalised = normalise_email(email)
    if normalised is None:
        return None
    domain = normalised.rpartition("@")[2]
    return None if domain in FREEMAIL_DOMAINS else domain
