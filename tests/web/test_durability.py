"""SIGKILL the real server under load: every click and webhook it acknowledged is in the store,
and every acknowledged webhook is processed once the service is back.

The server is `successlink serve` (granian on RSGI, one worker with its click-writer process,
plus the webhook inbox processor) on a SQLite file (WAL, synchronous=FULL). Clicks and inbox
rows are group-committed: each response is sent only after the batch holding it has
committed, so an acknowledged request is on disk whatever happens next. The kill takes the
whole process group, the processor in the middle of its batches included. Requests cut off
by the kill may or may not be stored (the client never heard back, so either is correct);
nothing acknowledged may be missing,
and after a restart the processor must finish every acknowledged delivery exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from successlink.program.inbox import has_pending
from successlink.store.connect import open_store
from successlink.store.inbox import WebhookInbox
from successlink.store.migrate import upgrade
from successlink.store.tracking import Click
from successlink.store.webhooks import WebhookEvent
from tests.program.stripe_data import ruby_mock_bodies, sign, with_id
from tests.web.service import FALLBACK, SECRET, seed

ROOT = Path(__file__).parents[2]
CLICKERS, DELIVERERS = 16, 8
WANT_CLICKS, WANT_EVENTS = 300, 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(workspace: Path, port: int) -> subprocess.Popen[bytes]:
    """`successlink serve` in its own process group (so the kill takes the worker and the
    click writer and the inbox processor too, as a crash of the machine would)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
           "SUCCESSLINK_PROGRAM__FALLBACK_URL": FALLBACK,
           "SUCCESSLINK_PROGRAM__ALLOWED_DOMAINS": '["acme.test"]',
           "SUCCESSLINK_PROGRAM__STRIPE_WEBHOOK_SECRETS": f'["{SECRET}"]',
           "SUCCESSLINK_PROGRAM__WEBHOOK_TOLERANCE_SECONDS": "0",  # the vectors are old
           "SUCCESSLINK_PROGRAM__SETTLE_DELAY_MINUTES": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "successlink", "--workspace", str(workspace), "serve",
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=(workspace / "serve.log").open("ab"), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        time.sleep(0.1)
    _kill(server)
    raise AssertionError("the service did not start: see serve.log in the test's workspace")


def _kill(server: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


async def _load(base: str, server: subprocess.Popen[bytes]) -> tuple[list[str], list[str]]:
    """Clicks and deliveries from concurrent tasks until enough are acknowledged, then
    SIGKILL while requests are still in flight. Returns what was acknowledged."""
    clicks: list[str] = []
    events: list[str] = []
    body = ruby_mock_bodies()["customer.created"]
    killed = asyncio.Event()

    async def clicker(http: httpx.AsyncClient) -> None:
        with contextlib.suppress(httpx.HTTPError):
            while not killed.is_set():
                r = await http.get("/r/ada", headers={"user-agent": "Mozilla/5.0 Firefox"})
                if r.status_code == 302:
                    clicks.extend(parse_qs(urlsplit(r.headers["location"]).query)["sl_click"])

    async def deliverer(http: httpx.AsyncClient, k: int) -> None:
        n = 0
        with contextlib.suppress(httpx.HTTPError):
            while not killed.is_set():
                n += 1
                event_id = f"evt_{k}_{n}"
                unique = with_id(body, event_id)
                r = await http.post("/webhooks/stripe", content=unique,
                                    headers={"stripe-signature": sign(unique)})
                if r.status_code == 200:
                    events.append(event_id)

    async def killer() -> None:
        deadline = time.monotonic() + 20
        while (len(clicks) < WANT_CLICKS or len(events) < WANT_EVENTS) and \
                time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)  # mid-load: every task has a request out
        killed.set()

    limits = httpx.Limits(max_connections=CLICKERS + DELIVERERS)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits,
                                 follow_redirects=False) as http:
        await asyncio.gather(killer(), *(clicker(http) for _ in range(CLICKERS)),
                             *(deliverer(http, k) for k in range(DELIVERERS)))
    return clicks, events


def test_nothing_acknowledged_is_lost_when_the_server_is_killed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = open_store(url)
    upgrade(engine)
    seed(engine)
    engine.dispose()
    port = _free_port()
    server = _start(tmp_path, port)
    try:
        clicks, events = asyncio.run(_load(f"http://127.0.0.1:{port}", server))
    finally:
        _kill(server)
    assert len(clicks) >= WANT_CLICKS and len(events) >= WANT_EVENTS, \
        f"too little load before the kill: {len(clicks)} clicks, {len(events)} events"
    engine = open_store(url)
    with Session(engine) as s:
        stored_clicks = set(s.scalars(select(Click.id)))
        queued = set(s.scalars(select(WebhookInbox.event_id)))
        processed_before = set(s.scalars(select(WebhookEvent.event_id)))
    assert set(clicks) - stored_clicks == set()
    assert set(events) - queued == set()
    assert processed_before <= queued

    # Back up: the processor finishes what the kill interrupted, each delivery once.
    server = _start(tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        while has_pending(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        _kill(server)
    with Session(engine) as s:
        processed = set(s.scalars(select(WebhookEvent.event_id)))
        rows = s.scalar(select(func.count()).select_from(WebhookEvent))
    engine.dispose()
    assert not has_pending(engine)
    assert set(events) - processed == set()
    assert processed == queued and rows == len(queued)
