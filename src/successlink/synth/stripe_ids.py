"""Stripe object ids of a chunk, derived from numbers unique per kind of object.

An id depends only on the account's global number and the object's position in that
account's history, so every chunk computes its ids alone and the same world always gets the
same ids. The canonical (Parquet) writer uses the Arrow arrays; the event writer the lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from successlink.synth.billing import Billing
from successlink.synth.lives import Lifecycle
from successlink.synth.strings import mix64, stripe_ids
from successlink.synth.world import Accounts

I64 = npt.NDArray[np.int64]
PER_ACCOUNT = 4096  # invoices or charges one account can have


def subscription_ids(index: I64, life: I64, seed: int) -> pa.Array:
    """sub_... of each (account, life)."""
    return stripe_ids("sub", index * 4 + life, seed)


def invoice_ids(index: I64, number: I64, seed: int) -> pa.Array:
    """in_... of each invoice."""
    return stripe_ids("in", index * PER_ACCOUNT + number, seed)


def charge_ids(index: I64, number: I64, seed: int) -> pa.Array:
    """ch_... of each charge."""
    return stripe_ids("ch", index * PER_ACCOUNT + number, seed)


def refund_ids(index: I64, number: I64, seed: int) -> pa.Array:
    """re_... of each refund."""
    return stripe_ids("re", index * PER_ACCOUNT + number, seed)


def dispute_ids(index: I64, number: I64, seed: int) -> pa.Array:
    """dp_... of each dispute."""
    return stripe_ids("dp", index * PER_ACCOUNT + number, seed)


def _pairs(prefix: str, numbers: I64, seed: int) -> list[tuple[str, str]]:
    both = stripe_ids(prefix, np.repeat(numbers * 2, 2) + np.tile([0, 1], len(numbers)),
                      seed).to_pylist()
    return list(zip(both[0::2], both[1::2], strict=True))


@dataclass(frozen=True, slots=True)
class StripeIds:
    """Every id the chunk's events mention, as Python lists aligned with the fact tables."""

    customers: list[str]
    prefixes: list[str]  # invoice number prefix per account
    sessions: list[str]
    subscriptions: list[str]  # per life
    items: list[tuple[str, str]]  # core and add-on item per life
    invoices: list[str]
    lines: list[tuple[str, str]]
    intents: list[str]  # payment intent per invoice
    charges: list[str]
    invoice_payments: list[str]  # per charge
    refunds: list[str]
    disputes: list[str]

    @classmethod
    def build(cls, accounts: Accounts, life: Lifecycle, billing: Billing,
              seed: int) -> StripeIds:
        """The ids of one chunk's accounts, subscriptions and payments."""
        index = accounts.index
        lives, inv, ch = life.lives, billing.invoices, billing.charges
        life_numbers = index[lives.account] * 4 + lives.life
        inv_numbers = index[inv.account] * PER_ACCOUNT + inv.number
        charge_numbers = index[ch.account] * PER_ACCOUNT + ch.number
        hexed = (mix64(index, seed) >> np.uint64(32)).tolist()
        return cls(
            customers=accounts.customer_ids.to_pylist(),
            prefixes=[f"{value:08X}" for value in hexed],
            sessions=stripe_ids("cs_test", index, seed).to_pylist(),
            subscriptions=subscription_ids(index[lives.account], lives.life, seed).to_pylist(),
            items=_pairs("si", life_numbers, seed),
            invoices=stripe_ids("in", inv_numbers, seed).to_pylist(),
            lines=_pairs("il", inv_numbers, seed),
            intents=stripe_ids("pi", inv_numbers, seed).to_pylist(),
            charges=stripe_ids("ch", charge_numbers, seed).to_pylist(),
            invoice_payments=stripe_ids("inpay", charge_numbers, seed).to_pylist(),
            refunds=refund_ids(index[billing.refunds.account], billing.refunds.number,
                               seed).to_pylist(),
            disputes=dispute_ids(index[billing.disputes.account], billing.disputes.number,
                                 seed).to_pylist(),
        )
