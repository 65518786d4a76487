"""The ground truth: the latent quantities the platform is meant to recover.

Written as Parquet next to the data, with a README that explains every field; acceptance
tests judge scorecards, churn models, commissions and fraud detection against these files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from successlink.synth import catalog
from successlink.synth.affiliates import Affiliates
from successlink.synth.columns import instants
from successlink.synth.costs import csm_name
from successlink.synth.crm import COMPANY_ID_BASE
from successlink.synth.lives import Lifecycle, Periods
from successlink.synth.periods import month_start
from successlink.synth.strings import as_text, pick
from successlink.synth.support import ORGANIZATION_ID_BASE
from successlink.synth.world import Accounts

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
_TS = pa.timestamp("us", tz="UTC")
ACCOUNTS_SCHEMA = pa.schema([
    ("account_id", pa.string()), ("channel", pa.string()), ("affiliate_id", pa.string()),
    ("acquired_at", _TS), ("churned_at", _TS), ("churn_reason", pa.string()),
    ("initial_plan", pa.string()), ("initial_seats", pa.int64()),
    ("billing_interval", pa.string()), ("currency", pa.string()), ("trial", pa.bool_()),
    ("trial_converted", pa.bool_()), ("latent_quality", pa.float64()),
    ("latent_health", pa.float64()), ("expected_monthly_hazard", pa.float64()),
    ("is_fraud_referral", pa.bool_()), ("self_referral", pa.bool_()),
    ("reactivated", pa.bool_()), ("first_churned_at", _TS), ("csm", pa.string()),
    ("stripe_customer_id", pa.string()), ("stripe_api_version", pa.string()),
    ("hubspot_company_id", pa.string()), ("zendesk_organization_id", pa.string()),
    ("domain", pa.string()), ("billing_email", pa.string()),
])
HEALTH_SCHEMA = pa.schema([
    ("account_id", pa.string()), ("month", pa.date32()), ("period_start", _TS),
    ("life", pa.int64()), ("period", pa.int64()), ("latent_health", pa.float64()),
])
AFFILIATES_SCHEMA = pa.schema([
    ("affiliate_id", pa.string()), ("latent_quality", pa.float64()), ("is_fraud", pa.bool_()),
    ("referred_accounts", pa.int64()), ("volume_weight", pa.float64()), ("joined_at", _TS),
    ("domain", pa.string()),
])
_REASONS = (*catalog.CANCEL_REASONS, "payment_failed")
_API = ("2020-08-27", "2025-03-31.basil")


def _last_rows(groups: I64, rows: int) -> I64:
    """Index of the last element of each group 0..rows-1 in sorted `groups` (-1: none)."""
    last = np.searchsorted(groups, np.arange(rows), side="right") - 1
    found = (last >= 0) & (groups[np.maximum(last, 0)] == np.arange(rows))
    picked: I64 = np.where(found, last, -1)
    return picked


def account_table(accounts: Accounts, life: Lifecycle, organizations: B,
                  affiliate_ids: list[str]) -> pa.Table:
    """One row per account: how it was acquired, what it is really like, how it ended."""
    n = len(accounts)
    lives, periods = life.lives, life.periods
    last_life = _last_rows(lives.account, n)
    last_period = _last_rows(periods.account, n)
    churned = np.where(last_life >= 0, lives.ended_at[last_life], -1)
    reason = np.where(churned >= 0, lives.reason[last_life], -1)
    reactivated = np.zeros(n, bool)
    reactivated[lives.account[lives.life == 1]] = True
    first_end = np.full(n, -1, np.int64)
    first_end[lives.account[lives.life == 0]] = lives.ended_at[lives.life == 0]
    lapsed = np.zeros(n, bool)
    lapsed[lives.account[(lives.life == 0) & (lives.mode == 3)]] = True
    index = accounts.index
    columns = [
        accounts.ids, pick(catalog.CHANNELS, accounts.channel),
        pa.array([affiliate_ids[a] if a >= 0 else None for a in accounts.affiliate.tolist()],
                 pa.string()),
        instants(accounts.acquired_at), instants(churned),
        pc.if_else(pa.array(reason >= 0), pick(_REASONS, np.maximum(reason, 0)), None),
        pick(catalog.TIERS, accounts.tier), pa.array(accounts.seats),
        pick(("month", "year"), accounts.annual.astype(np.int64)),
        pick(("USD", "EUR"), accounts.eur.astype(np.int64)), pa.array(accounts.trial),
        pa.array(accounts.trial & ~lapsed), pa.array(accounts.quality),
        pa.array(periods.health[last_period]), pa.array(periods.hazard[last_period]),
        pa.array(accounts.fraud), pa.array(accounts.self_referral), pa.array(reactivated),
        instants(np.where(reactivated, first_end, -1)),
        pa.array([csm_name(c) for c in accounts.csm.tolist()], pa.string()),
        accounts.customer_ids,
        pick(_API, accounts.basil.astype(np.int64)),
        pc.if_else(pa.array(accounts.in_crm), as_text(COMPANY_ID_BASE + index), None),
        pc.if_else(pa.array(organizations), as_text(ORGANIZATION_ID_BASE + index), None),
        accounts.domains, accounts.billing_emails,
    ]
    return pa.Table.from_arrays(columns, schema=ACCOUNTS_SCHEMA)


def health_table(accounts: Accounts, periods: Periods) -> pa.Table:
    """Latent health per account and calendar month in service (the month's last period)."""
    month = month_start(periods.start)
    key = periods.account * 100_000 + month // 86400
    keep = np.r_[key[1:] != key[:-1], True] if len(key) else np.zeros(0, bool)
    rows = np.flatnonzero(keep)
    return pa.Table.from_arrays([
        accounts.ids.take(pa.array(periods.account[rows])),
        pa.array((month[rows] // 86400).astype(np.int32)).cast(pa.date32()),
        instants(periods.start[rows]), pa.array(periods.life[rows]),
        pa.array(periods.k[rows]), pa.array(periods.health[rows]),
    ], schema=HEALTH_SCHEMA)


def affiliate_table(affiliates: Affiliates, referred: I64) -> pa.Table:
    """Each affiliate's latent quality, fraud flag and volume."""
    return pa.Table.from_arrays([
        pa.array(affiliates.ids), pa.array(affiliates.quality), pa.array(affiliates.is_fraud),
        pa.array(referred), pa.array(affiliates.weight), instants(affiliates.joined_at),
        pa.array(affiliates.domains, pa.string()),
    ], schema=AFFILIATES_SCHEMA)


class TruthFiles:
    """Streams the truth tables chunk by chunk into `<world>/truth/`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.accounts = pq.ParquetWriter(folder / "accounts.parquet", ACCOUNTS_SCHEMA,
                                         compression="zstd")
        self.health = pq.ParquetWriter(folder / "monthly_health.parquet", HEALTH_SCHEMA,
                                       compression="zstd")
        self.counts = {"truth/accounts.parquet": 0, "truth/monthly_health.parquet": 0}

    def write(self, accounts: pa.Table, health: pa.Table) -> None:
        """Append one chunk's rows."""
        self.accounts.write_table(accounts)
        self.health.write_table(health, row_group_size=1_000_000)
        self.counts["truth/accounts.parquet"] += accounts.num_rows
        self.counts["truth/monthly_health.parquet"] += health.num_rows

    def close(self, affiliates: pa.Table) -> dict[str, int]:
        """Finish the files and write the affiliates and the README."""
        self.accounts.close()
        self.health.close()
        pq.write_table(affiliates, self.folder / "affiliates.parquet", compression="zstd")
        (self.folder / "README.md").write_text(readme(), encoding="utf-8")
        self.counts["truth/affiliates.parquet"] = affiliates.num_rows
        return self.counts


def readme() -> str:
    """The truth folder's README (explains every field)."""
    return resources.files("successlink.synth").joinpath("truth_readme.txt").read_text(
        encoding="utf-8")
