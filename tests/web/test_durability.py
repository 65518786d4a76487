"""SIGKILL the service under load: every click and webhook it acknowledged is in the store.

The service commits before it answers, with SQLite in WAL mode and synchronous=FULL, so an
acknowledged request is on disk; requests cut off by the kill may or may not be stored, but
nothing acknowledged is lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from successlink.store.connect import open_store
from successlink.store.migrate import upgrade
from successlink.store.tracking import Click
from successlink.store.webhooks import WebhookEvent
from tests.program.stripe_data import ruby_mock_bodies, sign, with_id
from tests.web.service import seed

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    server = subprocess.Popen([sys.executable, "-m", "tests.web.serve_for_test", str(db),
                               str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    server.kill()
    raise AssertionError("the service did not start")


def _load(base: str, stop: threading.Event, clicks: list[str], events: list[str]) -> None:
    body = ruby_mock_bodies()["customer.created"]
    with httpx.Client(base_url=base, timeout=5, follow_redirects=False) as http:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                r = http.get("/r/ada")
                if r.status_code == 302:
                    clicks.extend(parse_qs(urlsplit(r.headers["location"]).query)["sl_click"])
                event_id = f"evt_{threading.get_ident()}_{n}"
                unique = with_id(body, event_id)
                w = http.post("/webhooks/stripe", content=unique,
                              headers={"stripe-signature": sign(unique)})
                if w.status_code == 200:
                    events.append(event_id)
            except httpx.HTTPError:
                return  # the server is gone


def test_nothing_acknowledged_is_lost_when_the_server_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    engine = open_store(f"sqlite:///{db}")
    upgrade(engine)
    seed(engine)
    port = _free_port()
    server = _start(db, port)
    stop = threading.Event()
    clicks: list[str] = []
    events: list[str] = []
    workers = [threading.Thread(target=_load, args=(f"http://127.0.0.1:{port}", stop, clicks,
                                                     events)) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(2.0)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for w in workers:
        w.join(timeout=10)
    assert len(clicks) > 20 and len(events) > 20, (len(clicks), len(events))
    with Session(engine) as s:
        stored_clicks = set(s.scalars(select(Click.id)))
        stored_events = set(s.scalars(select(WebhookEvent.event_id)))
    engine.dispose()
    assert set(clicks) <= stored_clicks
    assert set(events) <= stored_events
