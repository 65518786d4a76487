"""Money is an integer count of minor units with its ISO 4217 currency beside it.

Floats never carry money that is paid out; parsing a decimal string goes through `Decimal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 active codes with two minor digits unless listed in the exponent tables below.
_ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG
    """.split()
)
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split()
)
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())


class MoneyError(ValueError):
    """A value is not valid money."""


def normalise_currency(code: object) -> str:
    """Upper-case ISO 4217 code, or MoneyError naming what is wrong."""
    if not isinstance(code, str) or not code.strip():
        raise MoneyError("currency is missing")
    upper = code.strip().upper()
    if upper not in _ISO_4217:
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code (e.g. USD, EUR, JPY)")
    return upper


def minor_exponent(currency: str) -> int:
    """How many decimal digits the currency's minor unit has (JPY 0, USD 2, KWD 3)."""
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    return 2


def decimal_to_minor(amount: object, currency: str) -> int:
    """Convert a major-unit amount ("12.50", 12.5) to exact minor units, refusing lost digits."""
    if isinstance(amount, bool):
        raise MoneyError("a boolean is not an amount")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"{amount!r} is not a decimal amount (use a dot, e.g. 12.50)") from exc
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a finite amount")
    scaled = value.scaleb(minor_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            f"{amount!r} has more decimals than {currency} allows ({minor_exponent(currency)})"
        )
    return int(scaled)


def minor_to_decimal(amount_minor: int, currency: str) -> str:
    """Minor units as a plain major-unit decimal string with exactly the currency's digits
    ("1250" USD -> "12.50", JPY -> "1250", KWD "1.250"): what payment files expect, with no
    float ever in between."""
    exp = minor_exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-exp):.{exp}f}"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: integer minor units plus ISO currency."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise MoneyError("amount_minor must be an integer count of minor units")
        object.__setattr__(self, "currency", normalise_currency(self.currency))

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise MoneyError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def format(self) -> str:
        """Human form, e.g. '12.50 EUR'."""
        return f"{minor_to_decimal(self.amount_minor, self.currency)} {self.currency}"
