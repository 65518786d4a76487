import pytest

from successlink.money import (
    Money,
    MoneyError,
    decimal_to_minor,
    minor_exponent,
    minor_to_decimal,
    normalise_currency,
)


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("12.50", "EUR", 1250), ("0.1", "USD", 10), ("1200", "JPY", 1200), ("1.234", "KWD", 1234),
    (19.99, "USD", 1999), ("-3.00", "USD", -300)])
def test_decimal_to_minor_is_exact(amount, currency, minor):
    assert decimal_to_minor(amount, currency) == minor


@pytest.mark.parametrize(("amount", "currency"), [("12,00", "EUR"), ("1.5", "JPY"),
                                                  ("0.001", "USD"), ("nan", "USD"), (True, "USD")])
def test_decimal_to_minor_refuses_lossy_or_bad_amounts(amount, currency):
    with pytest.raises(MoneyError):
        decimal_to_minor(amount, currency)


def test_currency_codes_are_checked_and_upper_cased():
    assert normalise_currency(" usd ") == "USD"
    assert (minor_exponent("JPY"), minor_exponent("EUR"), minor_exponent("BHD")) == (0, 2, 3)
    with pytest.raises(MoneyError, match="ISO 4217"):
        normalise_currency("XXX")


def test_money_adds_only_same_currency_and_formats():
    assert (Money(1250, "eur") + Money(50, "EUR")).format() == "13.00 EUR"
    assert Money(1200, "JPY").format() == "1200 JPY"
    with pytest.raises(MoneyError):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(MoneyError):
        Money(1.5, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(("minor", "currency", "text"), [
    (1250, "USD", "12.50"), (5, "EUR", "0.05"), (1250, "JPY", "1250"), (1250, "KWD", "1.250"),
    (-300, "USD", "-3.00"), (0, "BHD", "0.000")])
def test_minor_to_decimal_writes_exactly_the_currency_digits(minor, currency, text):
    assert minor_to_decimal(minor, currency) == text
    assert decimal_to_minor(text, currency) == minor  # and reads back to the same amount
