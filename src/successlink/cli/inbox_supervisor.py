"""`InboxSupervisor`: the one webhook inbox processor `serve` runs beside its HTTP workers.

A separate process, not a thread in a worker: processing a delivery costs several times
what acknowledging it does, and in its own process it gets its own core instead of sharing
the HTTP worker's interpreter lock. However many HTTP workers there are, there is one
processor. If it dies it is started again (after 1 s, doubling up to 30 s while it keeps
dying quickly); when the server stops it gets SIGTERM, finishes its transaction and exits.
It stays in the server's process group, so a kill of the group takes it too, and it stops
by itself when its supervisor disappears.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

RESTART_PAUSE = (1.0, 30.0)
STABLE_SECONDS = 60.0  # alive this long: the next crash restarts it after the first pause
STOP_SECONDS = 30.0


class InboxSupervisor:
    """Start, watch and stop `successlink webhooks process` for `workspace`."""

    def __init__(self, workspace: Path, *, say: Callable[[str], None],
                 command: list[str] | None = None) -> None:
        self.command = command or [
            sys.executable, "-m", "successlink.cli.inbox_processor", "--workspace",
            str(workspace), "--parent", str(os.getpid())]
        self.say = say
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def start(self) -> None:
        with self._lock:
            self._process = subprocess.Popen(self.command)
        self._thread = threading.Thread(target=self._watch, name="successlink-inbox-watch",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """SIGTERM, wait up to `timeout` for the current batch to commit, then SIGKILL."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.say("the webhook inbox processor did not stop in time; killing it (its "
                         "open transaction is rolled back, nothing is lost)")
                process.kill()
                process.wait()
        if self._thread is not None:
            self._thread.join(5)

    def _watch(self) -> None:
        pause = RESTART_PAUSE[0]
        started = time.monotonic()
        while not self._stopping.wait(0.2):
            process = self._process
            if process is None or process.poll() is None:
                continue
            if time.monotonic() - started >= STABLE_SECONDS:
                pause = RESTART_PAUSE[0]
            self.say(f"the webhook inbox processor exited with code {process.returncode}; "
                     f"starting it again in {pause:.0f} s")
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, RESTART_PAUSE[1])
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = subprocess.Popen(self.command)
                self.restarts += 1
            started = time.monotonic()
