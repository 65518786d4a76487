"""Same seed and arguments, same bytes; another seed, another world."""

from __future__ import annotations

from pathlib import Path

from successlink.synth import generate_world
from tests.synth.helpers import END, SMALL, START


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_seed_and_arguments_give_byte_identical_real_files(small_world: Path,
                                                                tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_world(again, seed=11, formats="real", **SMALL)
    first, second = _tree(small_world), _tree(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_same_seed_gives_byte_identical_parquet(small_parquet: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_world(again, seed=11, formats="parquet", **SMALL)
    assert _tree(again) == _tree(small_parquet)


def test_another_seed_gives_another_world(small_world: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate_world(other, seed=12, formats="real", **SMALL)
    for name in ("stripe/events.jsonl", "segment/events-00000.jsonl", "truth/accounts.parquet",
                 "zendesk/tickets.json", "hubspot/companies.csv"):
        assert (other / name).read_bytes() != (small_world / name).read_bytes(), name


def test_the_world_is_the_same_whichever_format_is_written(small_world: Path,
                                                           small_parquet: Path) -> None:
    for name in ("accounts", "affiliates", "monthly_health"):
        path = f"truth/{name}.parquet"
        assert (small_world / path).read_bytes() == (small_parquet / path).read_bytes()


def test_writing_a_world_again_replaces_the_previous_one(tmp_path: Path) -> None:
    out = tmp_path / "world"
    generate_world(out, customers=120, affiliates=50, seed=1, start=START, end=END,
                   events_per_account_month=1.0, formats="parquet")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    generate_world(out, customers=120, affiliates=50, seed=1, start=START, end=END,
                   events_per_account_month=1.0, formats="real")
    assert not (out / "canonical" / "usage_events").exists()
    assert (out / "stripe" / "events.jsonl").exists()
    assert not (out / ".synth-tmp").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # not ours: kept
