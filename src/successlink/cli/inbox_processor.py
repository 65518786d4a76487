"""The webhook inbox processor as a process: `successlink webhooks process`, and the lean
entry point `serve` starts (`python -m successlink.cli.inbox_processor --workspace W`),
which skips importing the whole CLI (the models' libraries take seconds to load, and the
processor should be at work within moments of a restart).

It runs until SIGTERM (or SIGINT when run by hand); each signal lets the batch in hand
commit first. Run by `serve` (`--parent PID`), it leaves Ctrl-C to its supervisor, which
stops it after the server, and stops by itself if the supervisor disappears.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from successlink.config import Settings, load_settings
from successlink.errors import ConfigError, SuccessLinkError
from successlink.program.inbox import BATCH, InboxCounts
from successlink.program.inbox_loop import run
from successlink.program.program_state import ProgramState, starting_settings
from successlink.store.connect import open_store
from successlink.store.migrate import current_revision, head_revision


def open_inbox_store(settings: Settings) -> Engine:
    """The app store, refused unless migrated to the newest schema (the inbox's tables)."""
    engine = open_store(settings.app_store_url)
    try:
        revision = current_revision(engine)
    except OperationalError as exc:
        engine.dispose()
        raise ConfigError(f"cannot open the app store: {exc.orig}",
                          hint="Run `successlink db upgrade` to create it, or check "
                               "SUCCESSLINK_APP_STORE.") from exc
    if revision != head_revision():
        engine.dispose()
        raise ConfigError("the app store is not at the newest schema",
                          hint="Run `successlink db upgrade` first.")
    return engine


def program_state(settings: Settings, engine: Engine) -> ProgramState:
    """The plans and terms to settle by, re-read when they change (as the service does)."""
    with Session(engine) as s:
        start, _ = starting_settings(settings, s)
    return ProgramState(start)


def run_processor(settings: Settings, *, batch: int = BATCH,
                  parent: int | None = None) -> InboxCounts:
    """Process the inbox until told to stop (see the module docstring); the totals."""
    engine = open_inbox_store(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _stop_soon(stop))
    if parent is None:
        signal.signal(signal.SIGINT, _stop_soon(stop))
    else:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
    try:
        return run(engine, program_state(settings, engine).settings, stop, batch=batch)
    finally:
        engine.dispose()


def _stop_soon(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    """A signal handler that sets `stop` from a thread of its own. A handler runs on the
    main thread between two bytecodes, possibly while that thread holds the event's internal
    lock (inside `stop.wait`); `Event.set` called right there would wait for that lock
    forever, and the processor would never exit (seen once in CI under load)."""
    def handler(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=stop.set, name="stop", daemon=True).start()
    return handler


def _watch_parent(parent: int, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        if os.getppid() != parent:
            stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m successlink.cli.inbox_processor",
                                     description=__doc__)
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--parent", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s webhook inbox processor: %(message)s")
    try:
        run_processor(load_settings(args.workspace), batch=args.batch, parent=args.parent)
    except SuccessLinkError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
