"""Saved models: round trip, versions, LATEST, and no model from the future."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from successlink.errors import ConfigError
from successlink.models.churn import registry
from successlink.models.churn.booster import BoosterParams
from successlink.models.churn.model import ChurnModel, fit_model
from tests.models.churn.fake import frame


@pytest.fixture(scope="module")
def models() -> tuple[ChurnModel, ChurnModel]:
    data = frame(seed=7, origins=3, n=600)
    return (fit_model(data, BoosterParams(rounds=30), "platt"),
            fit_model(data, BoosterParams(rounds=31), "isotonic"))


def _meta(end: date) -> dict[str, object]:
    return {"data_end": end.isoformat(), "horizon_days": 90, "origins": ["2025-01-01"]}


def test_round_trip_predicts_identically(tmp_path: Path,
                                         models: tuple[ChurnModel, ChurnModel]) -> None:
    model = models[0]
    version = registry.save(tmp_path, model, _meta(date(2026, 6, 30)))
    assert version.startswith("2026-06-30-")
    assert (tmp_path / "models" / "churn" / version / "booster.txt").exists()
    saved = registry.load(tmp_path, version)
    assert saved.data_end == date(2026, 6, 30)
    assert saved.horizon_days == 90
    x = frame(seed=8, origins=1, n=300).matrix(model.spec)
    assert np.array_equal(saved.model.predict(x), model.predict(x))
    assert np.array_equal(saved.model.baseline_probability(x), model.baseline_probability(x))
    # Saving the same model again is the same version, not a new one.
    assert registry.save(tmp_path, model, _meta(date(2026, 6, 30))) == version
    assert registry.versions(tmp_path) == [version]


def test_latest_and_no_model_from_the_future(tmp_path: Path,
                                             models: tuple[ChurnModel, ChurnModel]) -> None:
    assert registry.usable_on(tmp_path, date(2026, 1, 1)) is None
    older = registry.save(tmp_path, models[0], _meta(date(2026, 3, 31)))
    newer = registry.save(tmp_path, models[1], _meta(date(2026, 6, 30)))
    assert registry.latest_version(tmp_path) == newer
    assert registry.usable_on(tmp_path, date(2026, 7, 1)).version == newer  # type: ignore[union-attr]
    assert registry.usable_on(tmp_path, date(2026, 5, 1)).version == older  # type: ignore[union-attr]
    assert registry.usable_on(tmp_path, date(2026, 3, 30)) is None
    # An older model trained last is the latest, but not for days before its data end.
    again = registry.save(tmp_path, models[0], _meta(date(2026, 3, 31)))
    assert again == older and registry.latest_version(tmp_path) == older
    assert registry.usable_on(tmp_path, date(2026, 7, 1)).version == older  # type: ignore[union-attr]


def test_a_damaged_model_says_what_to_do(tmp_path: Path,
                                         models: tuple[ChurnModel, ChurnModel]) -> None:
    version = registry.save(tmp_path, models[0], _meta(date(2026, 6, 30)))
    (tmp_path / "models" / "churn" / version / "model.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="successlink train"):
        registry.load(tmp_path, version)
