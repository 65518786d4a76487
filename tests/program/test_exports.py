"""Payment files: PayPal Payouts and Wise batch CSVs from pending payouts."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from successlink.errors import ConfigError
from successlink.program.exports import PayoutLine, payment_file


def _line(pid: int, method: str = "paypal", *, currency: str = "USD", amount: int = 2010,
          status: str = "pending", details: dict[str, str] | None = None,
          name: str = "Ada Lovelace", affiliate: str | None = None) -> PayoutLine:
    return PayoutLine(payout_id=pid, run_id="r1", affiliate_id=affiliate or f"aff_{pid}",
                      affiliate_name=name, method=method, status=status, currency=currency,
                      amount_minor=amount,
                      details={"email": f"a{pid}@example.com"} if details is None else details)


def test_paypal_rows_follow_the_payouts_web_columns_without_a_header() -> None:
    out = payment_file([_line(2, amount=5), _line(1)], "paypal")
    assert out.header is None
    assert out.rows == (
        ("a1@example.com", "20.10", "USD", "aff_1", "SuccessLink commissions: payout 1",
         "PAYPAL"),
        ("a2@example.com", "0.05", "USD", "aff_2", "SuccessLink commissions: payout 2",
         "PAYPAL"),
    )
    assert out.total_minor == 2015 and out.skipped == ()


def test_paypal_prefers_a_payer_id_and_leaves_long_customer_ids_out() -> None:
    long_id = "a" * 31
    out = payment_file([_line(1, details={"email": "x@example.com", "paypal_id": "PAYER123"},
                              affiliate=long_id)], "paypal")
    assert out.rows[0][0] == "PAYER123" and out.rows[0][3] == ""


@pytest.mark.parametrize(("currency", "minor", "text"),
                         [("JPY", 1250, "1250"), ("KWD", 1234, "1.234"), ("EUR", 100, "1.00")])
def test_amounts_are_major_units_with_the_currency_digits(currency: str, minor: int,
                                                          text: str) -> None:
    out = payment_file([_line(1, "wise", currency=currency, amount=minor)], "wise")
    assert out.rows[0][5] == text and out.rows[0][6:8] == (currency, currency)


def test_wise_header_and_bank_columns_present_in_any_exported_affiliate() -> None:
    lines = [_line(1, "wise", currency="EUR", details={"email": "a@x.eu", "iban": "DE89 3704",
                                                       "BIC": "COBADEFF"}),
             _line(2, "wise", currency="EUR", name="Acme GmbH",
                   details={"receiver_type": "business", "IBAN": "FR14 2004"}),
             _line(3, "wise", currency="EUR", details={"email": "c@x.eu"})]
    out = payment_file(lines, "wise")
    assert out.header == ("name", "recipientEmail", "paymentReference", "receiverType",
                          "amountCurrency", "amount", "sourceCurrency", "targetCurrency",
                          "IBAN", "BIC")
    assert out.rows == (
        ("Ada Lovelace", "a@x.eu", "SL payout 1", "PERSON", "target", "20.10", "EUR", "EUR",
         "DE89 3704", "COBADEFF"),
        ("Acme GmbH", "", "SL payout 2", "BUSINESS", "target", "20.10", "EUR", "EUR",
         "FR14 2004", ""),
        ("Ada Lovelace", "c@x.eu", "SL payout 3", "PERSON", "target", "20.10", "EUR", "EUR",
         "", ""),
    )


def test_wise_email_only_has_no_bank_columns() -> None:
    out = payment_file([_line(1, "wise")], "wise")
    assert out.header is not None and len(out.header) == 8


def test_only_pending_payouts_of_the_format_with_details_are_written() -> None:
    lines = [_line(1), _line(2, "wise"), _line(3, status="paid"),
             replace(_line(4, status="paid"), reference="PP-9"), _line(5, status="cancelled"),
             _line(6, details={}), _line(7, "manual")]
    out = payment_file(lines, "paypal")
    assert [x.payout_id for x in out.exported] == [1]
    reasons = {s.payout_id: s.reason for s in out.skipped}
    assert reasons[2] == "paid by wise, not paypal (export it in its own format)"
    assert reasons[3].startswith("already paid;")
    assert "reference PP-9" in reasons[4]
    assert reasons[5] == "cancelled, not pending"
    assert reasons[6] == ("affiliate aff_6 has no PayPal recipient: set payout_details.email "
                          "(or paypal_id)")
    assert "paid by manual" in reasons[7]


def test_wise_without_email_or_bank_details_or_with_a_bad_receiver_type_is_skipped() -> None:
    out = payment_file([_line(1, "wise", details={}),
                        _line(2, "wise", details={"email": "b@x.eu", "receiverType": "alien"})],
                       "wise")
    assert out.exported == ()
    assert "neither payout_details.email nor bank details" in out.skipped[0].reason
    assert "aff_1" in out.skipped[0].reason
    assert "receiver_type 'ALIEN'" in out.skipped[1].reason


def test_one_currency_per_file() -> None:
    lines = [_line(1), _line(2, currency="EUR")]
    with pytest.raises(ConfigError, match="EUR, USD"):
        payment_file(lines, "paypal")
    out = payment_file(lines, "paypal", currency="eur")
    assert [x.payout_id for x in out.exported] == [2] and out.currency == "EUR"
    assert "--currency USD" in out.skipped[0].reason


def test_text_cannot_start_a_spreadsheet_formula(tmp_path: Path) -> None:
    out = payment_file([_line(1, "wise", name="=HYPERLINK(\"x\")\nEvil")], "wise")
    assert out.rows[0][0] == 'HYPERLINK("x") Evil'
    path = tmp_path / "w.csv"
    out.write(path)
    with path.open(newline="", encoding="utf-8") as fh:
        read = list(csv.reader(fh))
    assert read[0] == list(out.header or ()) and read[1] == list(out.rows[0])


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown payment file format 'venmo'"):
        payment_file([_line(1)], "venmo")
