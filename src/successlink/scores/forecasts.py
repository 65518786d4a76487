"""Forecast columns of the scorecard: what each source's accounts are expected to be worth.

Realised figures judge an affiliate by the accounts old enough to have a record; a new
affiliate's book is mostly young accounts. The forecast columns say what the book is
expected to be worth and how likely it is to churn soon, so a young affiliate can be read
beside an old one: predicted value per referred account (with its interval, from
`source_predicted_ltv`), the mean churn probability of its active accounts over the churn
horizon (from `account_churn_risk`, labelled by where it came from), and the expected net
value per referred account (predicted value minus the commission per referred account).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FORECAST_COLUMNS = ("predicted_ltv_per_account_minor", "predicted_ltv_low_minor",
                    "predicted_ltv_high_minor", "predicted_churn", "predicted_churn_source",
                    "expected_net_value_per_account_minor")


def _keyed(kinds: pa.ChunkedArray | pa.Array, ids: pa.ChunkedArray | pa.Array) -> list[str]:
    return [f"{k}\x1f{i}" for k, i in zip(kinds.to_pylist(), ids.to_pylist(), strict=True)]


def _mean_churn(accounts: pa.Table, churn: pa.Table, column: str
                ) -> dict[str, tuple[float, str]]:
    """Mean churn probability and its source per value of `column`, over active accounts."""
    active = accounts.filter(pc.fill_null(accounts.column("is_active"), False))
    where = pc.index_in(active.column("account_id"), value_set=churn.column("account_id")
                        .combine_chunks())
    p = pc.take(churn.column("churn_probability"), where).to_numpy(zero_copy_only=False)
    p = np.asarray(p, dtype=np.float64)
    labels = pc.take(churn.column("source"), where).to_pylist()
    keys = active.column(column).to_pylist()
    sums: dict[str, list[float]] = {}
    kinds: dict[str, set[str]] = {}
    for key, value, label in zip(keys, p, labels, strict=True):
        if key is None or not np.isfinite(value):
            continue
        sums.setdefault(key, []).append(float(value))
        kinds.setdefault(key, set()).add(str(label))
    return {k: (float(np.mean(v)), " + ".join(sorted(kinds[k]))) for k, v in sums.items()}


def with_forecasts(cards: pa.Table, source_ltv: pa.Table | None, churn: pa.Table | None,
                   accounts: pa.Table) -> pa.Table:
    """`cards` (source_scorecards rows) with the forecast columns appended.

    `accounts` has account_id, affiliate_id, channel and is_active of the as-of day; `churn`
    has account_id, churn_probability and source. Missing inputs leave nulls.
    """
    keys = _keyed(cards.column("source_kind"), cards.column("source_id"))
    n = len(keys)
    value = [None] * n
    low = [None] * n
    high = [None] * n
    if source_ltv is not None and source_ltv.num_rows:
        found = dict(zip(_keyed(source_ltv.column("source_kind"), source_ltv.column("source_id")),
                         zip(source_ltv.column("value_per_account_minor").to_pylist(),
                             source_ltv.column("low_minor").to_pylist(),
                             source_ltv.column("high_minor").to_pylist(), strict=True),
                         strict=True))
        for i, key in enumerate(keys):
            if key in found:
                value[i], low[i], high[i] = found[key]
    mean_p: list[float | None] = [None] * n
    labels: list[str | None] = [None] * n
    if churn is not None and churn.num_rows:
        by = {"affiliate": _mean_churn(accounts, churn, "affiliate_id"),
              "channel": _mean_churn(accounts, churn, "channel")}
        for i, (kind, sid) in enumerate(zip(cards.column("source_kind").to_pylist(),
                                            cards.column("source_id").to_pylist(), strict=True)):
            hit = by.get(kind, {}).get(sid)
            if hit is not None:
                mean_p[i], labels[i] = hit
    referred = np.asarray(cards.column("referred_accounts").to_numpy(zero_copy_only=False),
                          dtype=np.float64)
    paid = np.asarray(pc.fill_null(cards.column("commissions_minor"), 0)
                      .to_numpy(zero_copy_only=False), dtype=np.float64)
    per_account = np.divide(paid, referred, out=np.zeros(n), where=referred > 0)
    net = [None if v is None else round(float(v) - float(c)) for v, c in zip(value, per_account,
                                                                     strict=True)]
    return (cards
            .append_column("predicted_ltv_per_account_minor", pa.array(value, pa.int64()))
            .append_column("predicted_ltv_low_minor", pa.array(low, pa.int64()))
            .append_column("predicted_ltv_high_minor", pa.array(high, pa.int64()))
            .append_column("predicted_churn", pa.array(mean_p, pa.float64()))
            .append_column("predicted_churn_source", pa.array(labels, pa.string()))
            .append_column("expected_net_value_per_account_minor", pa.array(net, pa.int64())))
