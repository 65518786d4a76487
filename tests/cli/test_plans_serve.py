"""`successlink plans apply|list` and the settings `successlink serve` starts from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from successlink.cli import db, plans
from successlink.cli.context import AppContext
from successlink.cli.serve import service_config
from successlink.config import load_settings
from successlink.errors import ConfigError
from successlink.store.connect import open_store
from successlink.store.migrate import upgrade
from tests.program.plans import QUALITY_PLAN


def _root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context,
             workspace: Annotated[Path, typer.Option("--workspace")]) -> None:
        ctx.obj = AppContext(workspace=workspace)

    root.add_typer(db.app, name="db")
    root.add_typer(plans.app, name="plans")
    return root


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SUCCESSLINK_APP_STORE", "SUCCESSLINK_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "ws"
    assert CliRunner().invoke(_root(), ["--workspace", str(root), "db", "upgrade"]).exit_code \
        == 0
    return root


def _run(workspace: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_root(), ["--workspace", str(workspace), *args])
    return result.exit_code, result.output + str(result.exception or "")


def test_plans_apply_stores_a_version_once_and_refuses_to_change_it(workspace: Path) -> None:
    plan = workspace / "quality.toml"
    plan.write_text(QUALITY_PLAN, encoding="utf-8")
    assert _run(workspace, "plans", "apply", str(plan)) == (
        0, "quality v1 (Quality-aware 30% / 20%): stored\n")
    assert "already stored" in _run(workspace, "plans", "apply", str(plan))[1]
    plan.write_text(QUALITY_PLAN.replace("percent = 30", "percent = 35"), encoding="utf-8")
    code, out = _run(workspace, "plans", "apply", str(plan))
    assert code != 0 and "already stored with different rules" in out
    code, out = _run(workspace, "plans", "list")
    assert code == 0 and "quality" in out and "2026-01-01 00:00 UTC" in out


def test_plans_apply_defaults_to_the_plans_folder(workspace: Path) -> None:
    code, out = _run(workspace, "plans", "apply")
    assert code != 0 and "no plan files in" in out
    (workspace / "plans").mkdir()
    (workspace / "plans" / "quality.toml").write_text(QUALITY_PLAN, encoding="utf-8")
    assert _run(workspace, "plans", "apply")[1].endswith(": stored\n")


def test_a_bad_plan_stores_nothing(workspace: Path) -> None:
    good, bad = workspace / "good.toml", workspace / "bad.toml"
    good.write_text(QUALITY_PLAN, encoding="utf-8")
    bad.write_text(QUALITY_PLAN.replace("percent = 30", "percent = 300"), encoding="utf-8")
    code, out = _run(workspace, "plans", "apply", str(good), str(bad))
    assert code != 0 and "rules.0.percent" in out
    assert "quality" not in _run(workspace, "plans", "list")[1]


def test_serve_needs_a_migrated_store_and_a_fallback(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    engine = open_store(settings.app_store_url)
    with pytest.raises(ConfigError, match="db upgrade"):
        service_config(settings, engine)
    upgrade(engine)
    with pytest.raises(ConfigError, match="fallback_url"):
        service_config(settings, engine)
    settings = load_settings(tmp_path, environ={
        "SUCCESSLINK_PROGRAM__FALLBACK_URL": "https://www.acme.test/",
        "SUCCESSLINK_PROGRAM__STRIPE_WEBHOOK_SECRETS": '["whsec_a", "whsec_b"]'})
    config = service_config(settings, engine)
    assert config.allowed_domains == ["www.acme.test"] and config.cookie_days == 30
    assert list(config.webhook_secrets) == ["whsec_a", "whsec_b"]
    assert config.settle_delay.total_seconds() == 3600
    engine.dispose()
