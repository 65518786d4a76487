"""First- and last-click attribution: a total order, so any delivery order gives one answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from successlink.program.attribution import Evidence, attribute, counts, prefer

T = datetime(2026, 3, 1, tzinfo=UTC)
A = Evidence("aff_a", "clk_1", T)
B = Evidence("aff_b", "clk_2", T + timedelta(days=2))
C = Evidence("aff_c", None, T + timedelta(days=5))


def test_first_click_keeps_the_earliest_and_last_click_the_latest() -> None:
    assert attribute([B, C, A], "first_click") == A
    assert attribute([B, C, A], "last_click") == C


def test_ties_on_time_go_to_the_smaller_affiliate_then_click_in_both_models() -> None:
    z = Evidence("aff_z", "clk_0", T)
    a2 = Evidence("aff_a", "clk_0", T)
    for model in ("first_click", "last_click"):
        assert attribute([z, A], model) == A == attribute([A, z], model)
        assert attribute([A, a2], model) == a2


def test_evidence_after_the_conversion_or_outside_the_window_does_not_count() -> None:
    converted = T + timedelta(days=3)
    assert attribute([A, B, C], "last_click", converted_at=converted) == B
    assert attribute([A, B, C], "last_click", converted_at=converted,
                     window=timedelta(hours=12)) is None  # B clicked a day before
    assert attribute([A, B], "first_click", converted_at=converted,
                     window=timedelta(days=2)) == B  # A clicked 3 days before: expired
    assert counts(B, converted_at=B.at, window=timedelta(0))  # the bounds are inclusive
    assert prefer(A, C, "last_click", converted_at=converted) == A


def test_an_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown attribution model 'linear'"):
        prefer(None, A, "linear")


_evidence = st.builds(Evidence, st.sampled_from(["a", "b", "c"]),
                      st.sampled_from([None, "k1", "k2"]),
                      st.integers(0, 5).map(lambda d: T + timedelta(days=d)))


@given(st.lists(_evidence, min_size=1, max_size=8), st.randoms(use_true_random=False),
       st.sampled_from(["first_click", "last_click"]))
def test_any_order_and_duplication_gives_the_same_winner(evidence, rnd, model) -> None:
    shuffled = evidence + evidence[: len(evidence) // 2]
    rnd.shuffle(shuffled)
    winner = attribute(evidence, model)
    assert attribute(shuffled, model) == winner
    key = min if model == "first_click" else max
    assert winner is not None and winner.at == key(e.at for e in evidence)
