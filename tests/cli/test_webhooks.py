"""`successlink webhooks drain|status` and the processor process `serve` supervises."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from successlink.cli import db, webhooks
from successlink.cli.inbox_supervisor import InboxSupervisor
from successlink.program.stripe_events import read_event
from successlink.store.connect import open_store
from successlink.store.inbox import InboxFailure, WebhookInbox
from successlink.store.migrate import upgrade
from successlink.store.sales import Sale
from successlink.store.webhooks import WebhookEvent
from tests.cli.harness import migrated_workspace, run_cli
from tests.program.stripe_data import paying_customer

ROOT = Path(__file__).parents[2]


def _run(root_dir: Path, *args: str) -> tuple[int, str]:
    return run_cli(root_dir, {"db": db.app, "webhooks": webhooks.app}, *args)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return migrated_workspace(tmp_path, monkeypatch, {"db": db.app},
                              SUCCESSLINK_PROGRAM__SETTLE_DELAY_MINUTES="0")


def _receive(root: Path, bodies: list[bytes], at: datetime) -> None:
    engine = open_store(f"sqlite:///{root / 'app.db'}")
    with Session(engine) as s, s.begin():
        for body in bodies:
            event = read_event(body)
            s.add(WebhookInbox(source="stripe", event_id=event.event_id,
                               event_type=event.event_type, api_version=event.api_version,
                               body=body.decode(), received_at=at))
    engine.dispose()


def test_status_then_drain_then_status(workspace: Path) -> None:
    at = datetime.now(UTC) - timedelta(seconds=30)
    _receive(workspace, paying_customer(1, 1_700_000_000) + paying_customer(2, 1_700_000_100),
             at)
    code, out = _run(workspace, "webhooks", "status")
    assert code == 0
    assert "4 received, processed through 0; 4 pending (oldest waiting 3" in out  # 30-39 s
    assert "0 failed" in out

    code, out = _run(workspace, "webhooks", "drain")
    assert code == 0, out
    assert "Drained 4 deliveries" in out and "4 processed, 0 ignored, 0 duplicates, 0 failed" \
        in out
    assert "0 pending now" in out
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s:
        assert s.scalars(select(Sale.id).order_by(Sale.id)).all() == ["in_1", "in_2"]
    engine.dispose()
    code, out = _run(workspace, "webhooks", "status")
    assert "processed through 4; 0 pending (oldest waiting -)" in out


def test_status_lists_failed_deliveries_with_their_error(workspace: Path) -> None:
    at = datetime.now(UTC)
    _receive(workspace, paying_customer(1, 1_700_000_000)[:1], at)
    engine = open_store(f"sqlite:///{workspace / 'app.db'}")
    with Session(engine) as s, s.begin():
        s.add(InboxFailure(inbox_id=1, event_id="evt_c1", attempts=3,
                           error="no plan named gold", first_failed_at=at,
                           last_failed_at=at, next_attempt_at=at + timedelta(minutes=1),
                           resolved_at=None, outcome=None))
    engine.dispose()
    code, out = _run(workspace, "webhooks", "status")
    assert code == 0 and "1 failed" in out
    assert "evt_c1" in out and "no plan named gold" in out and "--retry-failed" in out


def test_a_store_without_the_inbox_is_refused_with_what_to_do(tmp_path: Path) -> None:
    code, out = _run(tmp_path / "nowhere", "webhooks", "status")
    assert code != 0 and "cannot open the app store" in out and "successlink db upgrade" in out
    (tmp_path / "old").mkdir()
    engine = open_store(f"sqlite:///{tmp_path / 'old' / 'app.db'}")
    upgrade(engine, "0004")  # before the inbox
    engine.dispose()
    code, out = _run(tmp_path / "old", "webhooks", "drain")
    assert code != 0 and "not at the newest schema" in out and "successlink db upgrade" in out


def _sleeper() -> list[str]:
    return [sys.executable, "-c", "import time; time.sleep(60)"]


def _wait(condition: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.05)
    return False


def test_the_supervisor_restarts_a_dead_processor_and_stops_it_with_the_server(
        tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = InboxSupervisor(tmp_path, say=said.append, command=_sleeper())
    supervisor.start()
    try:
        first = supervisor.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert _wait(lambda: supervisor.restarts == 1 and supervisor.pid != first)
        assert "exited with code -9; starting it again in 1 s" in said[0]
        second = supervisor.pid
    finally:
        supervisor.stop(timeout=5)
    assert second is not None
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # stopped and reaped
    assert supervisor.restarts == 1  # stopping is not a death to recover from


def _processor(workspace: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.Popen([sys.executable, "-m", "successlink.cli.inbox_processor",
                             "--workspace", str(workspace), *extra], env=env,
                            stderr=subprocess.PIPE)


def test_the_processor_process_works_until_sigterm(workspace: Path) -> None:
    process = _processor(workspace)
    try:
        _receive(workspace, paying_customer(1, 1_700_000_000), datetime.now(UTC))
        engine = open_store(f"sqlite:///{workspace / 'app.db'}")

        def processed() -> bool:
            with Session(engine) as s:
                return s.scalar(select(func.count()).select_from(WebhookEvent)) == 2

        assert _wait(processed, 30), "the processor did not process the inbox"
        engine.dispose()
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_processor_whose_supervisor_is_gone_stops(workspace: Path) -> None:
    process = _processor(workspace, "--parent", "1")  # not its parent: as if orphaned
    try:
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
