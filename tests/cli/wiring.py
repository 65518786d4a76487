"""`successlink train` until cli/app.py registers it (the lead wires it at merge)."""

from __future__ import annotations

from successlink.cli.app import app
from successlink.cli.train import train


def register_train() -> None:
    """Add the command to the root app once; a no-op when app.py already has it."""
    if not any(c.name == "train" for c in app.registered_commands):
        app.command("train")(train)
