"""`successlink init`: create a workspace folder with a commented successlink.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from successlink.cli.context import AppContext
from successlink.config import CONFIG_FILE, default_config_toml, load_settings
from successlink.errors import ConfigError


def init(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(
        help="Folder to set up (created if missing). Default: the workspace.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing config.")] = False,
) -> None:
    """Create a workspace: successlink.toml with every default, ready to edit."""
    state: AppContext = ctx.obj
    root = path or state.workspace or Path.cwd()
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists",
                          hint="Edit it, or pass --force to write the defaults again.")
    config.write_text(default_config_toml(), encoding="utf-8")
    settings = load_settings(root)
    state.console.print(f"Created [bold]{config}[/]")
    state.console.print(f"Warehouse: {settings.warehouse_url}")
    state.console.print("Next: [bold]successlink ingest SOURCE FILES...[/] "
                        "(see [bold]successlink sources[/])")
