"""The `account_churn_risk` snapshot: each customer's churn probability, band and drivers.

The score run calls `store_churn_risk` after it stored the day's metrics and health. The
newest churn model whose data ended by the as-of day scores every active or trialing account
(source "model"); accounts in the bands `[churn] drivers_for_bands` (high and medium) also
get their top drivers in words. Without such a model - history too short to train, or nobody
ran `successlink train` yet - the band comes from the health score instead (source "health
fallback", no probability): red is high risk, yellow medium, green low. The two are never
mixed within a day; the `source` column says which one a row is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from successlink.config import Settings
from successlink.models.churn.booster import path_contributions, path_tables
from successlink.models.churn.drivers import driver_texts
from successlink.models.churn.features import SOURCE_COLUMNS, with_source_history
from successlink.models.churn.labels import population
from successlink.models.churn.registry import SavedModel, usable_on
from successlink.scores.snapshots import replace_snapshot_arrow
from successlink.warehouse.connect import Warehouse

CHURN_RISK = "account_churn_risk"
FROM_MODEL = "model"
FROM_HEALTH = "health fallback"
# Accounts explained per batch: leaf indices and contributions of a batch stay in memory.
DRIVER_CHUNK = 200_000
HEALTH_TO_RISK = {"red": "high", "yellow": "medium", "green": "low"}
SCHEMA = pa.schema([
    ("as_of", pa.date32()), ("account_id", pa.string()), ("churn_probability", pa.float64()),
    ("risk_band", pa.string()), ("horizon_days", pa.int64()), ("model_version", pa.string()),
    ("source", pa.string()), ("top_drivers", pa.string()),
])


def risk_bands(p: npt.NDArray[np.float64], bands: Mapping[str, float]) -> list[str]:
    """Each probability's band: the band with the highest threshold it reaches, else low."""
    names, code = band_codes(p, bands)
    return [names[i] for i in code.tolist()]


def band_codes(p: npt.NDArray[np.float64], bands: Mapping[str, float]
               ) -> tuple[list[str], npt.NDArray[np.intp]]:
    """`risk_bands` as positions in a short list of names: a million rows need no million
    Python strings."""
    ordered = sorted(bands.items(), key=lambda kv: kv[1])
    code = np.zeros(p.shape, dtype=np.intp)
    for i, (_, low) in enumerate(ordered, start=1):
        code[p >= low] = i
    return ["low", *(name for name, _ in ordered)], code


def model_risk(metrics: pa.Table, saved: SavedModel, settings: Settings, as_of: date
               ) -> pa.Table:
    """Rows scored by a saved model; `metrics` is the day's account_metrics (all accounts)."""
    # Rows keep the snapshot's order: each account's score depends on its own row only (and
    # the day's source history), and sorting a million ids costs a second.
    rows = population(with_source_history(metrics.select([*SOURCE_COLUMNS, "is_active"])))
    model = saved.model
    x = model.spec.matrix(rows)
    p = model.predict(x)
    names, code = band_codes(p, settings.churn.bands)
    n = rows.num_rows
    k = settings.churn.drivers_per_account
    wanted = [i for i, name in enumerate(names) if name in settings.churn.drivers_for_bands]
    explain = np.flatnonzero(np.isin(code, wanted))
    # Row i's drivers are texts[at[i]]; -1: none (a band nobody acts on, or k = 0).
    at = np.full(n, -1, dtype=np.intp)
    texts: list[npt.NDArray[np.object_]] = []
    if k > 0 and explain.size:
        tables = path_tables(model.booster)
        for start in range(0, explain.size, DRIVER_CHUNK):  # bounded memory for big days
            chunk = explain[start:start + DRIVER_CHUNK]
            xs = x[chunk]
            texts.append(driver_texts(path_contributions(model.booster, xs, model.threads,
                                                         tables),
                                      xs, model.spec, k=k, currency=settings.metrics.currency))
        at[explain] = np.arange(explain.size)
    words = pa.array(np.concatenate(texts) if texts else [], pa.string())
    return pa.Table.from_arrays([
        pa.repeat(pa.scalar(as_of, pa.date32()), n), rows.column("account_id").combine_chunks(),
        pa.array(p, pa.float64()), pa.array(names, pa.string()).take(pa.array(code)),
        pa.repeat(pa.scalar(saved.horizon_days, pa.int64()), n),
        pa.repeat(pa.scalar(saved.version, pa.string()), n),
        pa.repeat(pa.scalar(FROM_MODEL, pa.string()), n),
        words.take(pa.array(at, mask=at < 0)),
    ], schema=SCHEMA)


def fallback_risk(metrics: pa.Table, health: pa.Table, settings: Settings, as_of: date
                  ) -> pa.Table:
    """Rows banded by the health score, for days no model may be used on."""
    rows = population(metrics.select(["account_id", "is_active"])).sort_by("account_id")
    ids = rows.column("account_id")
    where = pc.index_in(ids, value_set=health.column("account_id").combine_chunks())
    score = pc.take(health.column("score"), where).to_pylist()
    band = pc.take(health.column("band"), where).to_pylist()
    risk = [HEALTH_TO_RISK.get(b) if b is not None else None for b in band]
    why = [f"no churn model for this day (run `successlink train`); health score "
           f"{s:.0f} ({b}) used instead" if s is not None else
           "no churn model for this day and no health score" for s, b in zip(score, band,
                                                                               strict=True)]
    n = rows.num_rows
    return pa.Table.from_arrays([
        pa.array([as_of] * n, pa.date32()), ids.combine_chunks(), pa.nulls(n, pa.float64()),
        pa.array(risk, pa.string()), pa.array([settings.churn.horizon_days] * n, pa.int64()),
        pa.nulls(n, pa.string()), pa.array([FROM_HEALTH] * n, pa.string()),
        pa.array(why, pa.string()),
    ], schema=SCHEMA)


def churn_risk(settings: Settings, as_of: date, metrics: pa.Table, health: pa.Table
               ) -> pa.Table:
    """The day's rows: from the usable model, else from the health score."""
    saved = usable_on(settings.workspace, as_of)
    if saved is None:
        return fallback_risk(metrics, health, settings, as_of)
    return model_risk(metrics, saved, settings, as_of)


def store_churn_risk(wh: Warehouse, settings: Settings, as_of: date, metrics: ir.Table,
                     health: ir.Table, table: str = CHURN_RISK) -> int:
    """Score the stored day (`metrics`, `health`: that day's snapshot rows) and store it."""
    rows = churn_risk(settings, as_of, metrics.to_pyarrow(),
                      health.select("account_id", "score", "band").to_pyarrow())
    return replace_snapshot_arrow(wh, table, rows, as_of)
