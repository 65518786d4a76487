"""What every command shares: the console, the settings, the open warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from successlink.config import Settings, load_settings
from successlink.warehouse.connect import Warehouse


@dataclass
class AppContext:
    """Built once per invocation from the global options; commands pull what they need."""

    workspace: Path | None = None
    debug: bool = False
    console: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))
    _settings: Settings | None = None
    _warehouse: Warehouse | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.workspace)
        return self._settings

    @property
    def warehouse(self) -> Warehouse:
        if self._warehouse is None:
            self._warehouse = Warehouse(self.settings.warehouse_url)
        return self._warehouse

    def close(self) -> None:
        if self._warehouse is not None:
            self._warehouse.close()
            self._warehouse = None
