"""Loading a scored day: the latest by default, a clear error when there is none."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from successlink.config import Settings
from successlink.decisions.advocates import Advocate
from successlink.decisions.contacts import Contact
from successlink.errors import SuccessLinkError, WarehouseError
from successlink.reports.data import ACCOUNT_COLUMNS, load_advocates, load_report
from successlink.warehouse.connect import Warehouse
from tests.reports.seed import AS_OF, program, store


def test_nothing_scored_says_to_run_score_first(wh: Warehouse):
    with pytest.raises(SuccessLinkError) as caught:
        load_report(wh, workspace="w", currency="USD")
    assert "run `successlink score` first" in caught.value.render().lower()


def test_latest_day_by_default_and_a_chosen_day_on_request(wh: Warehouse):
    store(wh, program(4), AS_OF)
    store(wh, program(6), date(2026, 7, 31))
    latest = load_report(wh, workspace="w", currency="USD")
    assert latest.as_of == date(2026, 7, 31) and len(latest.affiliates) == 6
    chosen = load_report(wh, workspace="w", currency="USD", as_of=AS_OF)
    assert chosen.as_of == AS_OF and len(chosen.affiliates) == 4
    assert chosen.scored_days == [AS_OF, date(2026, 7, 31)]


def test_an_unscored_day_names_the_scored_ones(wh: Warehouse):
    store(wh, program(2), AS_OF)
    with pytest.raises(SuccessLinkError, match="2026-06-30"):
        load_report(wh, workspace="w", currency="USD", as_of=date(2026, 1, 1))


def test_rows_are_ordered_by_quality_and_named(wh: Warehouse):
    store(wh, program(5), AS_OF)
    data = load_report(wh, workspace="w", currency="USD")
    assert [r["quality_rank"] for r in data.affiliates] == [1, 2, 3, 4, 5]
    assert data.name_of(data.affiliates[0]).startswith("Partner ")
    assert {r["source_id"] for r in data.channels} == {"organic", "paid_search", "affiliate"}
    curve = data.curves[("channel", "organic")]
    assert curve.days[:3] == [0, 7, 14] and curve.survival[0] == 1.0


def test_accounts_carry_health_and_tolerate_missing_columns(tmp_path: Path):
    wh = Warehouse(f"duckdb://{tmp_path / 'old.duckdb'}")
    world = program(2)
    for account in world.accounts:
        del account["csat_pct_satisfied"]
    store(wh, world, AS_OF)
    wh.execute('ALTER TABLE account_metrics DROP COLUMN csat_pct_satisfied')
    data = load_report(wh, workspace="w", currency="USD")
    assert data.accounts.column_names == [*ACCOUNT_COLUMNS, "health_score", "health_band"]
    assert data.accounts.column("csat_pct_satisfied").null_count == data.accounts.num_rows
    assert data.accounts.column("health_band").null_count == 0


def test_advocates_become_rows_with_sentences_and_contact_dicts(monkeypatch: pytest.MonkeyPatch,
                                                                wh: Warehouse):
    contact = Contact(contact_id="c1", account_id="acc_1", name="Ann", email="ann@x.test",
                      job_title="COO", role="decision_maker", engaged_90d=True,
                      last_engaged_at=None, why="signs the contract")
    advocate = Advocate(account_id="acc_1", name="Globex", domain="globex.test", channel="organic",
                        affiliate_id=None, advocacy_score=91.5, health_score=88.0, band="green",
                        nps_latest_score=10, mrr_minor=9_900, ltv_margin_minor=500_000,
                        reasons=["Promoter: answered 10."], contacts=[contact])
    seen: dict[str, object] = {}

    def fake(wh: Warehouse, as_of: date, limit: int, **kwargs: object) -> list[Advocate]:
        seen.update(as_of=as_of, limit=limit, **kwargs)
        return [advocate]

    monkeypatch.setattr("successlink.reports.data.rank_advocates", fake)
    settings = Settings(workspace=Path())
    rows = load_advocates(wh, settings, AS_OF)
    assert rows == [{"account_id": "acc_1", "name": "Globex", "advocacy_score": 91.5,
                     "band": "green", "nps_latest_score": 10, "mrr_minor": 9_900,
                     "reasons": ["Promoter: answered 10."],
                     "contacts": [{"name": "Ann", "email": "ann@x.test",
                                   "role": "decision maker", "job_title": "COO"}]}]
    assert seen["as_of"] == AS_OF and seen["currency"] == "USD"


def test_a_snapshot_with_repeated_accounts_is_refused(wh: Warehouse):
    world = program(2)
    world.accounts.append(dict(world.accounts[0]))
    store(wh, world, AS_OF)
    with pytest.raises(WarehouseError, match="rows for"):
        load_report(wh, workspace="w", currency="USD")
