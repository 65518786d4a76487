"""Payment files for a payout run: PayPal Payouts and Wise batch CSVs (pure).

A file only *asks* the provider to pay: nothing here changes a payout, so exporting again
gives the same file and is safe. Only pending payouts are written (a paid or cancelled one
would be paid twice, or paid after it was withdrawn); everything left out is listed with the
reason, so a person can fix the affiliate and export again.

Formats (docs/program.md, "Payment files"):
- PayPal Payouts web upload: no header row; recipient (e-mail or PayPal PayerID), amount in
  major units with a dot, currency, customer id (at most 30 characters, no spaces), note to
  the recipient, recipient wallet `PAYPAL`. One currency per file.
- Wise batch payments: a header row `name, recipientEmail, paymentReference, receiverType,
  amountCurrency, amount, sourceCurrency, targetCurrency`, then the bank-detail columns of
  Wise's template (IBAN, sortCode, ...) that the exported affiliates' details hold. The
  amount is what the affiliate receives (`amountCurrency = target`) in the payout's
  currency, paid from a balance in the same currency.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from successlink.errors import ConfigError
from successlink.money import MoneyError, minor_to_decimal, normalise_currency

FORMATS = ("paypal", "wise")
PAYPAL_CUSTOMER_ID_MAX = 30
PAYPAL_NOTE_MAX = 400
WISE_HEADER = ("name", "recipientEmail", "paymentReference", "receiverType", "amountCurrency",
               "amount", "sourceCurrency", "targetCurrency")
# Bank-detail columns of Wise's batch templates, in the order they are written; an
# affiliate's payout_details may name them in any letter case ("iban", "sort_code").
WISE_BANK_FIELDS = ("IBAN", "BIC", "sortCode", "accountNumber", "bsbCode", "abartn",
                    "accountType", "ifscCode")
WISE_RECEIVER_TYPES = ("PERSON", "BUSINESS")
# A cell starting with one of these runs as a formula when the file is opened in a
# spreadsheet; names and notes never need them.
_FORMULA_START = "=+-@\t\r"


@dataclass(frozen=True)
class PayoutLine:
    """One stored payout with what a payment file needs about its affiliate."""

    payout_id: int
    run_id: str
    affiliate_id: str
    affiliate_name: str
    method: str
    status: str
    currency: str
    amount_minor: int
    details: Mapping[str, Any]
    reference: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A payout left out of the file, and why (a sentence naming what to fix)."""

    payout_id: int
    affiliate_id: str
    reason: str


@dataclass(frozen=True)
class PaymentFile:
    """The rows of one payment file and what was left out."""

    format: str
    currency: str | None
    header: tuple[str, ...] | None
    rows: tuple[tuple[str, ...], ...]
    exported: tuple[PayoutLine, ...]
    skipped: tuple[Skipped, ...]

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.exported)

    def write(self, path: Path) -> None:
        """Write the CSV (UTF-8, no byte-order mark, CRLF line ends as RFC 4180 has it)."""
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            if self.header is not None:
                writer.writerow(self.header)
            writer.writerows(self.rows)


def payment_file(lines: Iterable[PayoutLine], fmt: str, *, currency: str | None = None,
                 program_name: str = "SuccessLink") -> PaymentFile:
    """The payment file in `fmt` for these payouts. Both providers take one currency per
    file: with payouts in several, `currency` picks one (ConfigError lists them)."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown payment file format {fmt!r}",
                          hint=f"Choose one of {', '.join(FORMATS)}.")
    skipped: list[Skipped] = []
    ready: list[tuple[PayoutLine, dict[str, str]]] = []
    for line in sorted(lines, key=lambda x: x.payout_id):
        reason = _not_payable(line, fmt)
        fields = {} if reason else _fields(line, fmt)
        reason = reason or fields.pop("__missing__", None)
        if reason:
            skipped.append(Skipped(line.payout_id, line.affiliate_id, reason))
        else:
            ready.append((line, fields))
    chosen = _currency(ready, fmt, currency)
    kept = []
    for line, fields in ready:
        if line.currency == chosen:
            kept.append((line, fields))
        else:
            skipped.append(Skipped(line.payout_id, line.affiliate_id,
                                   f"in {line.currency}, and this file is in {chosen} (one "
                                   f"currency per file: export again with --currency "
                                   f"{line.currency})"))
    skipped.sort(key=lambda s: s.payout_id)
    if fmt == "paypal":
        header, rows = None, [_paypal_row(line, fields, program_name) for line, fields in kept]
    else:
        header, rows = _wise_rows(kept)
    return PaymentFile(fmt, chosen, header, tuple(rows), tuple(line for line, _ in kept),
                       tuple(skipped))


def _not_payable(line: PayoutLine, fmt: str) -> str | None:
    if line.status == "paid":
        ref = f" (reference {line.reference})" if line.reference else ""
        return f"already paid{ref}; a payment file never pays it again"
    if line.status != "pending":
        return f"{line.status}, not pending"
    if line.method != fmt:
        return f"paid by {line.method}, not {fmt} (export it in its own format)"
    if line.amount_minor <= 0:
        return "nothing to pay"
    return None


def _detail(details: Mapping[str, Any], name: str) -> str | None:
    """A payout detail by name, in any letter case and with or without underscores."""
    want = name.replace("_", "").lower()
    for key, value in details.items():
        if str(key).replace("_", "").lower() == want and value not in (None, ""):
            return str(value).strip()
    return None


def _fields(line: PayoutLine, fmt: str) -> dict[str, str]:
    """The affiliate's fields for the format; `__missing__` says what is missing."""
    d = line.details
    if fmt == "paypal":
        recipient = _detail(d, "paypal_id") or _detail(d, "email")
        if not recipient:
            return {"__missing__": f"affiliate {line.affiliate_id} has no PayPal recipient: "
                                   "set payout_details.email (or paypal_id)"}
        return {"recipient": recipient}
    out = {"email": _detail(d, "email") or ""}
    out |= {f: v for f in WISE_BANK_FIELDS if (v := _detail(d, f))}
    receiver = (_detail(d, "receiver_type") or "PERSON").upper()
    if receiver not in WISE_RECEIVER_TYPES:
        return {"__missing__": f"affiliate {line.affiliate_id} has receiver_type "
                               f"{receiver!r}; Wise takes {' or '.join(WISE_RECEIVER_TYPES)}"}
    if not out["email"] and len(out) == 1:
        return {"__missing__": f"affiliate {line.affiliate_id} has neither "
                               "payout_details.email nor bank details (e.g. IBAN) for Wise"}
    if not _clean(line.affiliate_name):
        return {"__missing__": f"affiliate {line.affiliate_id} has no name; Wise needs the "
                               "recipient's name"}
    return out | {"receiver": receiver}


def _currency(ready: Sequence[tuple[PayoutLine, dict[str, str]]], fmt: str,
              currency: str | None) -> str | None:
    found = sorted({line.currency for line, _ in ready})
    if currency is not None:
        try:
            return normalise_currency(currency)
        except MoneyError as exc:
            raise ConfigError(f"--currency: {exc}") from exc
    if len(found) > 1:
        raise ConfigError(f"the payouts to export are in {', '.join(found)}, and a {fmt} "
                          "file holds one currency",
                          hint="Export each currency to its own file with --currency.")
    return found[0] if found else None


def _clean(text: str) -> str:
    """Free text safe in a spreadsheet cell (no formula start) and on one line."""
    return " ".join(text.split()).lstrip(_FORMULA_START).strip()


def _paypal_row(line: PayoutLine, fields: Mapping[str, str], program: str) -> tuple[str, ...]:
    customer_id = line.affiliate_id if len(line.affiliate_id) <= PAYPAL_CUSTOMER_ID_MAX else ""
    note = _clean(f"{program} commissions: payout {line.payout_id}")[:PAYPAL_NOTE_MAX]
    return (fields["recipient"], minor_to_decimal(line.amount_minor, line.currency),
            line.currency, customer_id, note, "PAYPAL")


def _wise_rows(kept: Sequence[tuple[PayoutLine, dict[str, str]]]
               ) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    bank = [f for f in WISE_BANK_FIELDS if any(f in fields for _, fields in kept)]
    rows = []
    for line, fields in kept:
        rows.append((_clean(line.affiliate_name), fields["email"],
                     f"SL payout {line.payout_id}", fields["receiver"], "target",
                     minor_to_decimal(line.amount_minor, line.currency), line.currency,
                     line.currency, *(fields.get(f, "") for f in bank)))
    return (*WISE_HEADER, *bank), rows
