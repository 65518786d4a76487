"""`successlink ledger settle|show` and `payouts run|list|mark-paid` on a workspace store."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from successlink.cli import db, ledger, plans
from successlink.cli.context import AppContext
from successlink.store.affiliates import Affiliate
from successlink.store.connect import open_store
from successlink.store.customers import Customer
from successlink.store.sales import Sale
from successlink.timeline import utc_now
from tests.program.plans import QUALITY_PLAN


def _root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context,
             workspace: Annotated[Path, typer.Option("--workspace")]) -> None:
        ctx.obj = AppContext(workspace=workspace)

    root.add_typer(db.app, name="db")
    root.add_typer(plans.app, name="plans")
    root.add_typer(ledger.ledger_app, name="ledger")
    root.add_typer(ledger.payouts_app, name="payouts")
    return root


def _run(workspace: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_root(), ["--workspace", str(workspace), *args])
    return result.exit_code, result.output + str(result.exception or "")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SUCCESSLINK_APP_STORE", "SUCCESSLINK_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "ws"
    assert _run(root, "db", "upgrade")[0] == 0
    (root / "plans").mkdir()
    (root / "plans" / "quality.toml").write_text(QUALITY_PLAN, encoding="utf-8")
    assert _run(root, "plans", "apply")[0] == 0
    paid = utc_now() - timedelta(days=100)  # tranches at day 30 and 90 have vested
    engine = open_store(f"sqlite:///{root / 'app.db'}")
    with Session(engine) as s, s.begin():
        s.add(Affiliate(id="aff_1", name="Ada", email="ada@example.com", status="active",
                        group_name=None, quality_tier=None, quality_tier_as_of=None,
                        plan_id="quality", payout_method="paypal", payout_details={},
                        account_id=None, created_at=paid))
        s.flush()
        customer = Customer(external_id="cus_1", email=None, account_id=None,
                            affiliate_id="aff_1", click_id=None, referred_at=paid,
                            churned_at=None, created_at=paid)
        s.add(customer)
        s.flush()
        s.add(Sale(id="in_1", customer_id=customer.id, charge_id=None, payment_intent_id=None,
                   amount_minor=10_000, currency="USD", paid_at=paid, product_id=None,
                   price_id=None, billing_reason="subscription_create"))
    engine.dispose()
    return root


def test_settle_show_pay_and_mark_paid(workspace: Path) -> None:
    code, out = _run(workspace, "ledger", "settle")
    assert code == 0 and "3 accrual, 2 vesting" in out
    assert "nothing new" in _run(workspace, "ledger", "settle")[1]
    code, out = _run(workspace, "ledger", "show", "aff_1")
    assert code == 0 and "earns 30%" in out and "Vested tranche 2 (9.90 USD)" in out
    # currency, unvested, vested, paid, payable now, waiting: vested 10.20 + 9.90
    assert _grid_row(out, "USD")[2:6] == ["20.10", "0.00", "20.10", "0.00"]
    assert "Nobody is owed" in _run(workspace, "payouts", "run", "--minimum", "25.00")[1]
    code, out = _run(workspace, "payouts", "run", "--minimum", "20.00")
    assert code == 0 and "payout 1: aff_1 20.10 USD by paypal" in out
    assert "Nobody is owed" in _run(workspace, "payouts", "run", "--minimum", "0.01")[1]
    assert "marked paid (20.10 USD)" in _run(workspace, "payouts", "mark-paid", "1",
                                             "--reference", "PP-1")[1]
    code, out = _run(workspace, "payouts", "mark-paid", "1")
    assert code != 0 and "is paid, not pending" in out
    assert "PP-1" in _run(workspace, "payouts", "list")[1]


def _grid_row(out: str, currency: str) -> list[str]:
    """The balances table's row for `currency`, cell by cell."""
    line = next(x for x in out.splitlines() if x.strip("│ ").startswith(currency))
    return [c.strip() for c in line.strip("│ ").split("│")]


def test_show_splits_unpaid_money_into_payable_now_and_waiting(workspace: Path) -> None:
    """With a 30-day hold, the tranche that vested 70 days ago is payable now and the one
    that vested 10 days ago waits; `payouts run` then pays exactly the payable part."""
    from successlink.config import ProgramSettings
    from successlink.program.terms_store import load_terms, save_terms

    assert _run(workspace, "ledger", "settle")[0] == 0
    code, out = _run(workspace, "ledger", "show", "aff_1")
    # currency, unvested, vested, paid, payable now, waiting, lapsed, reversed
    assert code == 0 and _grid_row(out, "USD")[2:6] == ["20.10", "0.00", "20.10", "0.00"]
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s, s.begin():
        terms = load_terms(s, ProgramSettings())
        save_terms(s, dataclasses.replace(terms, hold_days=30), utc_now())
    engine.dispose()
    code, out = _run(workspace, "ledger", "show", "aff_1")
    assert code == 0 and _grid_row(out, "USD")[4:6] == ["10.20", "9.90"]
    assert "less than 30 days ago" in out
    code, out = _run(workspace, "payouts", "run", "--minimum", "0.01")
    assert code == 0 and "payout 1: aff_1 10.20 USD" in out
    assert _grid_row(_run(workspace, "ledger", "show", "aff_1")[1], "USD")[3:6] == [
        "10.20", "0.00", "9.90"]


def test_a_cancelled_payout_is_paid_by_the_next_run(workspace: Path) -> None:
    assert _run(workspace, "ledger", "settle")[0] == 0
    assert "payout 1: aff_1 20.10 USD" in _run(workspace, "payouts", "run", "--minimum",
                                                "0.01")[1]
    code, out = _run(workspace, "payouts", "cancel", "1", "--reason", "  ")
    assert code != 0 and "say why" in out
    code, out = _run(workspace, "payouts", "cancel", "7", "--reason", "x")
    assert code != 0 and "there is no payout 7" in out
    code, out = _run(workspace, "payouts", "cancel", "1", "--reason", "PayPal account closed")
    assert code == 0 and "payout 1 cancelled (20.10 USD back in aff_1's balance" in out
    listed = _run(workspace, "payouts", "list")[1]
    assert "cancelled" in listed and "PayPal" in listed  # the reason (wrapped in the grid)
    assert _grid_row(_run(workspace, "ledger", "show", "aff_1")[1], "USD")[3:5] == [
        "0.00", "20.10"]  # nothing paid; payable again
    assert "payout 2: aff_1 20.10 USD" in _run(workspace, "payouts", "run", "--minimum",
                                                "0.01")[1]
    assert "Nobody is owed" in _run(workspace, "payouts", "run", "--minimum", "0.01")[1]
    assert _run(workspace, "payouts", "mark-paid", "2")[0] == 0
    code, out = _run(workspace, "payouts", "cancel", "2", "--reason", "too late")
    assert code != 0 and "is paid, not pending" in out
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s:
        from successlink.store.payouts import Payout

        first = s.get_one(Payout, 1)
        assert first.cancel_reason == "PayPal account closed" and first.cancelled_at
    engine.dispose()


def test_show_an_unknown_affiliate_says_so(workspace: Path) -> None:
    code, out = _run(workspace, "ledger", "show", "nobody")
    assert code != 0 and "has no ledger entries" in out


def test_keys_create_list_revoke(workspace: Path) -> None:
    from successlink.cli import keys

    root = _root()
    root.add_typer(keys.app, name="keys")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(root, ["--workspace", str(workspace), *args])
        return result.exit_code, result.output + str(result.exception or "")

    code, out = run("keys", "create", "--affiliate", "aff_1", "--label", "ada's")
    key = out.split()[0]
    assert code == 0 and key.startswith("sl_aff_") and "cannot be shown again" in out
    code, out = run("keys", "list")
    assert key[:12] in out and key not in out and "ada's" in out
    assert run("keys", "create", "--affiliate", "nobody")[0] != 0
    assert "choose one" in run("keys", "create")[1]
    assert run("keys", "revoke", "1") == (0, "key 1 revoked.\n")


def test_fraud_list_and_review(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from successlink.cli import fraud
    from successlink.store.fraud import FraudFlag

    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s, s.begin():
        s.add(FraudFlag(affiliate_id="aff_1", kind="no_click", subject="customer:cus_1",
                        details={"sentence": "the sale has no click before it"},
                        status="open", created_at=utc_now()))
    engine.dispose()
    root = _root()
    root.add_typer(fraud.app, name="fraud")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(root, ["--workspace", str(workspace), *args])
        return result.exit_code, result.output + str(result.exception or "")

    assert "no_click" in run("fraud", "list")[1]
    assert "choose one" in run("fraud", "review", "1", "--reason", "x")[1]
    code, out = run("fraud", "review", "1", "--reject", "--reason", "bought via own link",
                    "--reviewer", "lead")
    assert code == 0 and "flag 1 rejected" in out
    assert "no_click" not in run("fraud", "list")[1]
    assert "rejected" in run("fraud", "list", "--all")[1]
    # settled without the default one-hour delay, so the rejection just made counts
    monkeypatch.setenv("SUCCESSLINK_PROGRAM__SETTLE_DELAY_MINUTES", "0")
    assert "3 reversal" in run("ledger", "settle")[1]


def test_plans_simulate_prints_and_writes_csv(workspace: Path) -> None:
    candidate = workspace / "flat.toml"
    candidate.write_text('id = "flat"\nversion = 1\nname = "Flat"\ncurrency = "USD"\n'
                         'effective_from = 2030-01-01\n[[rules]]\nname = "all"\n'
                         'percent = 10\n', encoding="utf-8")
    out_csv = workspace / "sim.csv"
    code, out = _run(workspace, "plans", "simulate", str(candidate), "--csv", str(out_csv))
    assert code == 0 and "Who wins" in out
    rows = out_csv.read_text(encoding="utf-8").splitlines()
    # 30% of 100.00 (all of it still to vest or vested) against 10%
    assert rows[1:] == ["current,aff_1,USD,1,10000,3000,7000,2.3333",
                        "flat v1,aff_1,USD,1,10000,1000,9000,9.0000"]
    assert "not a date" in _run(workspace, "plans", "simulate", str(candidate), "--since",
                                "soon")[1]
    code, out = _run(workspace, "plans", "simulate", str(candidate), "--since", "2999-01-01")
    assert code == 0 and "aff_1" not in out


def _set_details(workspace: Path, affiliate: str, **details: str) -> None:
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s, s.begin():
        row = s.get(Affiliate, affiliate)
        assert row is not None
        row.payout_details = dict(details)
    engine.dispose()


def test_export_then_mark_paid_then_a_new_run_pays_only_new_entries(workspace: Path) -> None:
    from sqlalchemy import select

    from successlink.store.ledger import LedgerEntry
    from successlink.store.payouts import Payout, PayoutItem

    assert _run(workspace, "ledger", "settle")[0] == 0
    code, out = _run(workspace, "payouts", "run", "--minimum", "20.00")
    assert code == 0 and "payout 1: aff_1 20.10 USD by paypal" in out
    target = workspace / "out" / "paypal.csv"
    # the fixture's affiliate has no payout details: named, nothing written
    code, out = _run(workspace, "payouts", "export", "1", "--format", "paypal", "--out",
                     str(target))
    assert code != 0 and "aff_1 has no PayPal recipient" in out and not target.exists()
    _set_details(workspace, "aff_1", email="ada@pay.example")
    run = ["payouts", "export", "1", "--format", "paypal", "--out", str(target)]
    code, out = _run(workspace, *run)
    assert code == 0 and "Wrote 1 payout(s), 20.10 USD" in out
    first = target.read_bytes()
    assert first == (b"ada@pay.example,20.10,USD,aff_1,"
                     b"SuccessLink commissions: payout 1,PAYPAL\r\n")
    assert _run(workspace, *run)[0] == 0 and target.read_bytes() == first  # safe to repeat
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s:
        run_id = s.scalars(select(Payout.run_id)).one()
    engine.dispose()
    by_run = workspace / "by-run.csv"
    assert _run(workspace, "payouts", "export", run_id, "--format", "paypal", "--out",
                str(by_run))[0] == 0 and by_run.read_bytes() == first
    code, out = _run(workspace, "payouts", "export", "nope", "--format", "paypal", "--out",
                     str(by_run))
    assert code != 0 and "no payout run or payout 'nope'" in out
    code, out = _run(workspace, "payouts", "export", "1", "--format", "wise", "--out",
                     str(workspace / "wise.csv"))
    assert code != 0 and "paid by paypal, not wise" in out
    assert _run(workspace, "payouts", "mark-paid", "1", "--reference", "PP-1")[0] == 0
    code, out = _run(workspace, *run)
    assert code != 0 and "already paid (reference PP-1)" in out

    # a second sale vests; the next run pays only its entries, never the paid ones again
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    paid = utc_now() - timedelta(days=100)
    with Session(engine) as s, s.begin():
        s.add(Sale(id="in_2", customer_id=1, charge_id=None, payment_intent_id=None,
                   amount_minor=10_000, currency="USD", paid_at=paid, product_id=None,
                   price_id=None, billing_reason="subscription_cycle"))
    engine.dispose()
    assert _run(workspace, "ledger", "settle")[0] == 0
    code, out = _run(workspace, "payouts", "run", "--minimum", "0.01")
    # recurring 20% of 100.00 = 20.00 in tranches 6.80 / 6.60 / 6.60; two have vested
    assert code == 0 and "payout 2: aff_1 13.40 USD by paypal" in out
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s:
        items = s.execute(select(PayoutItem.payout_id, LedgerEntry.sale_id)
                          .join(LedgerEntry, LedgerEntry.id == PayoutItem.entry_id)).all()
    engine.dispose()
    assert {sale for payout, sale in items if payout == 1} == {"in_1"}
    assert {sale for payout, sale in items if payout == 2} == {"in_2"}
    code, out = _run(workspace, "payouts", "export", "2", "--format", "paypal", "--out",
                     str(target))
    assert code == 0 and target.read_bytes().startswith(b"ada@pay.example,13.40,USD,aff_1,")
