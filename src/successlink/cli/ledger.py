"""`successlink ledger settle|show` and `successlink payouts run|list|export|mark-paid`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from successlink.cli.context import AppContext
from successlink.errors import ConfigError
from successlink.money import Money, MoneyError, decimal_to_minor, minor_to_decimal
from successlink.program.books import (
    cancel_payout,
    load_plans,
    mark_paid,
    paid_minor,
    payable_now,
    run_payouts,
    settle_all,
    stored_balances,
)
from successlink.program.exports import FORMATS, payment_file
from successlink.program.payout_runs import payout_lines
from successlink.program.terms_store import load_terms
from successlink.store.connect import open_store
from successlink.store.ledger import LedgerEntry
from successlink.store.payouts import Payout
from successlink.timeline import utc_now

ledger_app = typer.Typer(help="The commission ledger: settle it, read it.",
                         no_args_is_help=True)
payouts_app = typer.Typer(help="Payouts of vested commissions.", no_args_is_help=True)


@contextmanager
def _session(state: AppContext) -> Iterator[Session]:
    engine = open_store(state.settings.app_store_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


@ledger_app.command("settle")
def settle(ctx: typer.Context) -> None:
    """Write the vestings, lapses and corrections due now (run it daily, e.g. from cron)."""
    state: AppContext = ctx.obj
    now = utc_now() - timedelta(minutes=state.settings.program.settle_delay_minutes)
    with _session(state) as s, s.begin():
        default_plan = load_terms(s, state.settings.program).default_plan
        entries = settle_all(s, load_plans(s), now, default_plan)
    kinds = {k: sum(1 for e in entries if e.kind == k) for k in sorted({e.kind for e in entries})}
    listed = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "nothing new"
    state.console.print(f"Settled up to {now:%Y-%m-%d %H:%M} UTC: {listed}.")


@ledger_app.command("show")
def show(
    ctx: typer.Context,
    affiliate: Annotated[str, typer.Argument(help="Affiliate id.")],
    limit: Annotated[int, typer.Option(min=1, help="Latest entries shown.")] = 20,
) -> None:
    """An affiliate's balances and latest entries, each with the sentence that explains it."""
    state: AppContext = ctx.obj
    with _session(state) as s:
        balances = {c: b for (a, c), b in stored_balances(s).items() if a == affiliate}
        paid = {c: v for (a, c), v in paid_minor(s).items() if a == affiliate}
        terms = load_terms(s, state.settings.program)
        due = {c: v for (a, c), v in payable_now(s, utc_now(), terms.hold).items()
               if a == affiliate}
        rows = s.scalars(select(LedgerEntry).where(LedgerEntry.affiliate_id == affiliate)
                         .order_by(LedgerEntry.effective_at.desc(), LedgerEntry.id.desc())
                         .limit(limit)).all()
    if not balances:
        raise ConfigError(f"affiliate {affiliate!r} has no ledger entries",
                          hint="Check the id; entries appear once a referred customer pays.")
    grid = Table("currency", "unvested", "vested", "paid", "payable now", "waiting", "lapsed",
                 "reversed", title=f"Balances of {affiliate}", title_justify="left")
    for currency, b in sorted(balances.items()):
        def money(v: int, c: str = currency) -> str:  # the row names the currency
            return minor_to_decimal(v, c)
        out, now = paid.get(currency, 0), due.get(currency, 0)
        grid.add_row(currency, money(b.unvested), money(b.vested), money(out), money(now),
                     money(b.vested - out - now), money(b.lapsed), money(b.reversed))
    state.console.print(grid)
    state.console.print(
        f"Payable now: what the next `payouts run` pays once it reaches the minimum. Waiting: "
        f"vested less than {terms.hold_days} day{'s' if terms.hold_days != 1 else ''} ago "
        "(the hold), on a referral under fraud review, or owed while the affiliate is not "
        "active.", highlight=False)
    for r in rows:
        state.console.print(f"{r.effective_at:%Y-%m-%d} [bold]{r.kind}[/] {r.entry_key}: "
                            f"{r.explanation}", highlight=False)


@payouts_app.command("run")
def run(
    ctx: typer.Context,
    minimum: Annotated[str | None, typer.Option(
        help="Smallest payout in major units (default: the program's min_payout).")] = None,
) -> None:
    """Create pending payouts of every active affiliate's unpaid vested money that vested at
    least the program's hold_days ago."""
    state: AppContext = ctx.obj
    now = utc_now()
    with _session(state) as s, s.begin():
        terms = load_terms(s, state.settings.program)
        currencies = {c for (_, c) in stored_balances(s)}
        try:
            floor = {c: decimal_to_minor(minimum, c) if minimum else terms.minimum_minor(c)
                     for c in currencies}
        except MoneyError as exc:
            raise ConfigError(f"minimum {minimum!r}: {exc}") from exc
        payouts = run_payouts(s, f"{now:%Y%m%dT%H%M%S}", floor, now, terms.hold)
        for p in payouts:
            state.console.print(f"payout {p.id}: {p.affiliate_id} "
                                f"{Money(p.amount_minor, p.currency).format()} by {p.method}")
    if not payouts:
        state.console.print("Nobody is owed at least the minimum; balances carry over.")


@payouts_app.command("list")
def list_payouts(ctx: typer.Context) -> None:
    """Every payout and its status."""
    state: AppContext = ctx.obj
    with _session(state) as s:
        rows = s.scalars(select(Payout).order_by(Payout.id)).all()
    grid = Table("id", "run", "affiliate", "amount", "method", "status", "reference or reason")
    for p in rows:
        grid.add_row(str(p.id), p.run_id, p.affiliate_id,
                     Money(p.amount_minor, p.currency).format(), p.method, p.status,
                     p.cancel_reason if p.status == "cancelled" else p.reference or "")
    state.console.print(grid)


@payouts_app.command("mark-paid")
def mark_paid_command(
    ctx: typer.Context,
    payout: Annotated[int, typer.Argument(help="Payout id (see `payouts list`).")],
    reference: Annotated[str | None, typer.Option(
        help="The payment provider's reference.")] = None,
) -> None:
    """Record that a pending payout was sent."""
    state: AppContext = ctx.obj
    with _session(state) as s, s.begin():
        row = mark_paid(s, payout, reference, utc_now())
        state.console.print(f"payout {row.id} marked paid "
                            f"({Money(row.amount_minor, row.currency).format()}).")


@payouts_app.command("cancel")
def cancel_command(
    ctx: typer.Context,
    payout: Annotated[int, typer.Argument(help="Payout id (see `payouts list`).")],
    reason: Annotated[str, typer.Option(
        help="Why it is not being paid (the affiliate sees it), e.g. \"PayPal account "
             "closed\".")],
) -> None:
    """Cancel a pending payout that will not be sent: its money goes back to the affiliate's
    balance and the next `payouts run` pays it."""
    state: AppContext = ctx.obj
    with _session(state) as s, s.begin():
        row = cancel_payout(s, payout, reason, utc_now())
        state.console.print(f"payout {row.id} cancelled "
                            f"({Money(row.amount_minor, row.currency).format()} back in "
                            f"{row.affiliate_id}'s balance for the next run).")


@payouts_app.command("export")
def export(
    ctx: typer.Context,
    run_or_id: Annotated[str, typer.Argument(
        metavar="PAYOUT_RUN_OR_ID", help="A payout run id, or one payout id (see `payouts "
        "list`).")],
    fmt: Annotated[str, typer.Option("--format", help="paypal (PayPal Payouts web upload) "
                                     "or wise (Wise batch payment).")],
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    currency: Annotated[str | None, typer.Option(
        help="Only payouts in this currency (a file holds one).")] = None,
) -> None:
    """Write the pending payouts paid by FORMAT to a payment file; the rest are listed with
    the reason. Nothing is marked paid: upload the file, then `payouts mark-paid`."""
    state: AppContext = ctx.obj
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}", hint=f"Choose {' or '.join(FORMATS)}.")
    with _session(state) as s:
        lines = payout_lines(s, run_or_id)
        name = load_terms(s, state.settings.program).name
    result = payment_file(lines, fmt, currency=currency, program_name=name)
    for skip in result.skipped:
        state.console.print(f"skipped payout {skip.payout_id} ({skip.affiliate_id}): "
                            f"{skip.reason}", highlight=False)
    if not result.exported:
        raise ConfigError(f"no payout of {run_or_id!r} can go in a {fmt} file; no file "
                          "written", hint="Fix the reasons above and export again.")
    out.parent.mkdir(parents=True, exist_ok=True)
    result.write(out)
    total = Money(result.total_minor, result.exported[0].currency).format()
    state.console.print(f"Wrote {len(result.exported)} payout(s), {total}, to {out} "
                        f"({fmt}); {len(result.skipped)} skipped.", highlight=False)
