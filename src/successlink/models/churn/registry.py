"""Saved churn models: one folder per version under `<workspace>/models/churn/`.

Each version folder holds `booster.txt` (LightGBM's own text format) and `model.json`
(metadata: data window, origins, features and vocabularies, calibration, baseline
coefficients, backtest figures, library versions). Nothing is pickled, so a model file
cannot run code when loaded. The version name is the data end plus a hash of what was
fitted: training again on the same data and seed gives the same version. `LATEST` names
the version trained most recently.

Scoring a day picks the newest model whose data ended on or before that day, so rescoring
the past never uses a model that saw the future.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from successlink.errors import ConfigError
from successlink.models.churn.baseline import Baseline
from successlink.models.churn.booster import from_text, model_text
from successlink.models.churn.calibration import Calibrator
from successlink.models.churn.features import FeatureSpec
from successlink.models.churn.model import ChurnModel

FOLDER = Path("models") / "churn"
BOOSTER_FILE = "booster.txt"
META_FILE = "model.json"
LATEST_FILE = "LATEST"
FORMAT = 1
_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})-[0-9a-f]{10}$")


@dataclass(frozen=True)
class SavedModel:
    """A model read back from the registry, with its metadata."""

    version: str
    model: ChurnModel
    meta: dict[str, Any]

    @property
    def data_end(self) -> date:
        return date.fromisoformat(self.meta["data_end"])

    @property
    def horizon_days(self) -> int:
        return int(self.meta["horizon_days"])


def root(workspace: Path) -> Path:
    return workspace / FOLDER


def _fitted(model: ChurnModel) -> dict[str, Any]:
    return {"features": model.spec.to_json(), "calibration": model.calibrator.to_json(),
            "baseline": model.baseline.to_json()}


def version_of(model: ChurnModel, data_end: date) -> str:
    """`<data end>-<hash of the booster and everything fitted>`."""
    digest = hashlib.sha256(model_text(model.booster).encode())
    digest.update(json.dumps(_fitted(model), sort_keys=True).encode())
    return f"{data_end.isoformat()}-{digest.hexdigest()[:10]}"


def save(workspace: Path, model: ChurnModel, meta: dict[str, Any]) -> str:
    """Write a version (atomically: a half-written folder is never visible) and make it
    the latest. `meta` must hold data_end; returns the version name."""
    data_end = date.fromisoformat(meta["data_end"])
    version = version_of(model, data_end)
    base = root(workspace)
    base.mkdir(parents=True, exist_ok=True)
    body = {"format": FORMAT, "version": version, **meta, **_fitted(model),
            "threads": model.threads}
    tmp = base / f".{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / BOOSTER_FILE).write_text(model_text(model.booster), encoding="utf-8")
    (tmp / META_FILE).write_text(json.dumps(body, indent=2, sort_keys=True), encoding="utf-8")
    final = base / version
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    latest = base / f".{LATEST_FILE}.tmp"
    latest.write_text(version + "\n", encoding="utf-8")
    latest.replace(base / LATEST_FILE)
    return version


def load(workspace: Path, version: str) -> SavedModel:
    """Read one version back."""
    folder = root(workspace) / version
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        text = (folder / BOOSTER_FILE).read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"churn model {version} cannot be read: {exc}", where=str(folder),
                          hint="Train again with `successlink train`, or delete the folder."
                          ) from exc
    if meta.get("format") != FORMAT:
        raise ConfigError(f"churn model {version} has format {meta.get('format')}, this "
                          f"version of SuccessLink reads format {FORMAT}", where=str(folder),
                          hint="Train again with `successlink train`.")
    model = ChurnModel(FeatureSpec.from_json(meta["features"]), from_text(text),
                       Calibrator.from_json(meta["calibration"]),
                       Baseline.from_json(meta["baseline"]), int(meta["threads"]))
    return SavedModel(version, model, meta)


def versions(workspace: Path) -> list[str]:
    """Saved versions, oldest data end first."""
    base = root(workspace)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir()
                  if p.is_dir() and _VERSION.match(p.name) and (p / META_FILE).exists())


def _data_end(version: str) -> date:
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a churn model version")
    return date.fromisoformat(match.group(1))


def latest_version(workspace: Path) -> str | None:
    """The version `LATEST` names, if it still exists."""
    path = root(workspace) / LATEST_FILE
    if not path.exists():
        return None
    name = path.read_text(encoding="utf-8").strip()
    ok = _VERSION.match(name) and (root(workspace) / name / META_FILE).exists()
    return name if ok else None


def version_usable_on(workspace: Path, day: date) -> str | None:
    """The version to score `day` with: the latest one if its data ended by `day`, else the
    newest version whose data did (None: no model may be used for that day)."""
    latest = latest_version(workspace)
    if latest is not None and _data_end(latest) <= day:
        return latest
    fitting = [v for v in versions(workspace) if _data_end(v) <= day]
    return fitting[-1] if fitting else None


def usable_on(workspace: Path, day: date) -> SavedModel | None:
    """The model to score `day` with (see `version_usable_on`)."""
    version = version_usable_on(workspace, day)
    return load(workspace, version) if version else None


def metadata(workspace: Path, version: str) -> dict[str, Any]:
    """A version's metadata only (its backtest figures), without loading the booster."""
    folder = root(workspace) / version
    try:
        meta: dict[str, Any] = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"churn model {version} cannot be read: {exc}", where=str(folder),
                          hint="Train again with `successlink train`, or delete the folder."
                          ) from exc
    return meta
