"""A small synthetic world, ingested once per test session, for commands that study it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from successlink.cli.app import run

END = date(2026, 6, 30)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drivers")
    out = root / "world"
    assert run(["--workspace", str(root), "synth", "--out", str(out), "--customers", "1500",
                "--affiliates", "50", "--events", "4", "--seed", "5", "--end", END.isoformat(),
                "--format", "parquet"]) == 0
    files = sorted(str(p) for p in (out / "canonical").glob("*.parquet"))
    files += sorted(str(p) for p in (out / "canonical" / "usage_events").glob("*.parquet"))
    assert run(["--workspace", str(root), "ingest", "canonical", *files]) == 0
    return root
