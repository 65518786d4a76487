"""Worlds shared by the synth tests: generated once per session into a temporary folder.

`small_world` (300 accounts, real formats) is for file-level checks; `medium_world` (3,000
accounts, few usage events) for the statistics the latent model must show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from successlink.synth import generate_world
from tests.synth.helpers import END, SMALL, START, stripe_events


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small") / "world"
    generate_world(out, seed=11, formats="real", **SMALL)
    return out


@pytest.fixture(scope="session")
def small_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small-parquet") / "world"
    generate_world(out, seed=11, formats="parquet", **SMALL)
    return out


@pytest.fixture(scope="session")
def medium_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("medium") / "world"
    generate_world(out, customers=3000, affiliates=50, seed=4, start=START, end=END,
                   events_per_account_month=2.0, formats="real")
    return out


@pytest.fixture(scope="session")
def medium_events(medium_world: Path) -> list[dict[str, Any]]:
    """The medium world's Stripe events, parsed once (the file is large)."""
    return stripe_events(medium_world)
