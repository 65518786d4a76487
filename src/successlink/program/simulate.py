"""Replay referred accounts through candidate plans: what each would have cost, the net value
left, and who gains or loses against the plans in force. Pure, and the same engine as the
live ledger (no second implementation of the rules to drift apart)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fractions import Fraction

from successlink.program.buckets import ZERO, Buckets
from successlink.program.engine import account_targets
from successlink.program.facts import AccountFacts
from successlink.program.plans import Plan

CURRENT = "current"
_ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """One affiliate under one plan, in one currency."""

    plan: str
    affiliate_id: str
    currency: str
    accounts: int
    revenue_minor: int
    cost_minor: int

    @property
    def net_minor(self) -> int:
        """What the referred revenue leaves after commissions."""
        return self.revenue_minor - self.cost_minor

    @property
    def roi(self) -> float | None:
        """Net value per unit of commission (None when nothing is paid)."""
        return self.net_minor / self.cost_minor if self.cost_minor else None


def revenue(facts: AccountFacts) -> dict[str, int]:
    """Per currency: what the account paid, less refunds and disputed sales."""
    out: dict[str, int] = defaultdict(int)
    disputed = {d.sale_id for d in facts.disputes}
    for sale in facts.sales:
        if sale.sale_id in disputed:
            continue
        refunded = max((r.refunded_minor for r in facts.refunds if r.sale_id == sale.sale_id),
                       default=0)
        out[sale.currency] += sale.amount_minor - min(refunded, sale.amount_minor)
    return dict(out)


def _cost(facts: AccountFacts, plans: Sequence[Plan], now: datetime) -> dict[str, Buckets]:
    out: dict[str, Buckets] = defaultdict(lambda: ZERO)
    for target in account_targets(facts, plans, now):
        out[target.commission.sale.currency] = out[target.commission.sale.currency] + \
            target.target
    return dict(out)


def as_candidate(plan: Plan) -> Plan:
    """A candidate plan in force for every sale, whatever its effective_from."""
    return plan.model_copy(update={"effective_from": _ALWAYS})


def simulate(accounts: Sequence[AccountFacts], current: Sequence[Plan],
             candidates: Sequence[Plan], now: datetime) -> list[Outcome]:
    """Outcomes per affiliate and currency under the plans in force (`current`) and under each
    candidate applied to every referral. Cost = commission vested or still to vest (lapsed and
    reversed money is not paid)."""
    runs: list[tuple[str, Sequence[Plan], str | None]] = [(CURRENT, current, None)]
    runs += [(f"{p.id} v{p.version}", [as_candidate(p)], p.id) for p in candidates]
    out = []
    for name, plans, plan_id in runs:
        totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for facts in accounts:
            if plan_id is not None:
                facts = replace(facts, referral=replace(facts.referral, plan_id=plan_id))
            paid = revenue(facts)
            cost = _cost(facts, plans, now)
            for currency in sorted(set(paid) | set(cost)):
                row = totals[(facts.referral.affiliate_id, currency)]
                row[0] += 1
                row[1] += paid.get(currency, 0)
                b = cost.get(currency, ZERO)
                row[2] += b.vested + b.unvested
        out += [Outcome(name, aff, cur, n, rev, cost)
                for (aff, cur), (n, rev, cost) in sorted(totals.items())]
    return out


@dataclass(frozen=True)
class Change:
    """How a candidate changes one affiliate's commission against the current plans."""

    plan: str
    affiliate_id: str
    currency: str
    current_minor: int
    candidate_minor: int

    @property
    def delta_minor(self) -> int:
        return self.candidate_minor - self.current_minor

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.delta_minor, self.current_minor) if self.current_minor else None


def changes(outcomes: Sequence[Outcome]) -> list[Change]:
    """Per candidate, every affiliate's commission against the current plans, biggest
    winners first, then the biggest losers last."""
    base = {(o.affiliate_id, o.currency): o.cost_minor for o in outcomes if o.plan == CURRENT}
    out = [Change(o.plan, o.affiliate_id, o.currency, base.get((o.affiliate_id, o.currency), 0),
                  o.cost_minor) for o in outcomes if o.plan != CURRENT]
    return sorted(out, key=lambda c: (c.plan, -c.delta_minor, c.affiliate_id, c.currency))
