"""How CLI tests run command groups against a workspace: a root Typer app with the global
`--workspace` option (as `successlink` has) and only the groups under test."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from successlink.cli.context import AppContext


def cli_root(groups: Mapping[str, typer.Typer]) -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context,
             workspace: Annotated[Path, typer.Option("--workspace")]) -> None:
        ctx.obj = AppContext(workspace=workspace)

    for name, group in groups.items():
        root.add_typer(group, name=name)
    return root


def run_cli(workspace: Path, groups: Mapping[str, typer.Typer], *args: str,
            columns: int | None = 200) -> tuple[int, str]:
    """(exit code, what was printed plus the exception if one escaped). `columns` is the
    terminal width Rich wraps tables to (None: the runner's default, 80)."""
    env = {"COLUMNS": str(columns)} if columns else None
    result = CliRunner().invoke(cli_root(groups), ["--workspace", str(workspace), *args],
                                env=env)
    return result.exit_code, result.output + str(result.exception or "")


def migrated_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       groups: Mapping[str, typer.Typer], **env: str) -> Path:
    """A fresh workspace with its app store migrated; the app-store and workspace variables
    of the caller's environment removed, `env` set (SUCCESSLINK_* names)."""
    for name in ("SUCCESSLINK_APP_STORE", "SUCCESSLINK_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "ws"
    code, out = run_cli(root, groups, "db", "upgrade")
    assert code == 0, out
    return root
