"""HTTP benchmarks on loopback: `successlink serve` (granian) against nginx `return 302`, both
loaded by wrk. nginx runs one worker so that it and the service each get one process on the
shared cores; wrk itself runs on the same machine (loopback only)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = 64
SECRET = "whsec_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _need(tool: str) -> str:
    found = shutil.which(tool) or next((p for p in (f"/usr/sbin/{tool}", f"/usr/bin/{tool}")
                                        if Path(p).exists()), None)
    if found is None:
        raise SystemExit(f"{tool} is not installed: run scripts/ensure-bench-tools.sh "
                         "(or `make bench`, which does)")
    return found


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not come up in {seconds:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask politely (the service commits what is queued), then make sure."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextlib.contextmanager
def nginx_302(work: Path) -> Iterator[str]:
    """nginx with one worker answering `return 302` on /r/ (the practical ceiling)."""
    root = work / "nginx"
    root.mkdir()
    port = free_port()
    conf = root / "nginx.conf"
    temp = " ".join(f"{kind}_temp_path {root / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf.write_text(f"""worker_processes 1;
daemon off;
pid {root / 'nginx.pid'};
error_log {root / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    {temp}
    server {{
        listen 127.0.0.1:{port};
        location /r/ {{ add_header cache-control no-store; return 302 https://acme.test/; }}
        location / {{ return 200 "ok"; }}
    }}
}}
""")
    process = subprocess.Popen([_need("nginx"), "-c", str(conf), "-e", str(root / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/", process, 20)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def serve_env(work: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "SUCCESSLINK_PROGRAM__FALLBACK_URL": "https://acme.test/",
            "SUCCESSLINK_PROGRAM__ALLOWED_DOMAINS": '["acme.test"]',
            "SUCCESSLINK_PROGRAM__STRIPE_WEBHOOK_SECRETS": f'["{SECRET}"]',
            "SUCCESSLINK_PROGRAM__WEBHOOK_TOLERANCE_SECONDS": "0",
            "SUCCESSLINK_PROGRAM__SETTLE_DELAY_MINUTES": "0"}


@contextlib.contextmanager
def successlink_serve(work: Path, workers: int = 1, url: str | None = None) -> Iterator[str]:
    """`successlink serve` (granian) on the workspace `work` (its app store at `url` when
    given, else the workspace's SQLite file)."""
    port = free_port()
    env = serve_env(work)
    if url is not None:
        env["SUCCESSLINK_APP_STORE"] = url
    process = subprocess.Popen(
        [sys.executable, "-m", "successlink", "--workspace", str(work), "serve", "--port",
         str(port), "--workers", str(workers)],
        env=env, cwd=work, stdout=subprocess.DEVNULL,
        stderr=(work / "serve.log").open("wb"), start_new_session=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def wrk(url: str, seconds: int, *, script: Path | None = None,
        connections: int = CONNECTIONS, timeout_s: int = 2) -> dict[str, Any]:
    """One `wrk -t2 -c64 --latency` run: requests completed, req/s, p50/p99 (ms), errors
    (socket errors, timeouts after `timeout_s`, and non-2xx/3xx answers)."""
    args = [_need("wrk"), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
            "--timeout", f"{timeout_s}s"]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "req_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out)  # type: ignore[union-attr]
                                 .group(1))),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+)(us|ms|s)", out)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+)(us|ms|s)", out)),
    }
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = (sum(int(g) for g in errors.groups()) if errors else 0) + \
        (int(bad.group(1)) if bad else 0)
    return result


def _ms(found: re.Match[str] | None) -> float | None:
    if found is None:
        return None
    value, unit = float(found.group(1)), found.group(2)
    return round(value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


def store_scalar(work: Path, sql: str, url: str | None = None) -> int:
    """One number from the workspace's app store (SQLite, or the store at `url`)."""
    from sqlalchemy import text

    from successlink.store.connect import open_store

    engine = open_store(url or f"sqlite:///{work / 'app.db'}")
    try:
        with engine.connect() as c:
            return int(c.execute(text(sql)).scalar_one() or 0)
    finally:
        engine.dispose()


def count_rows(work: Path, table: str) -> int:
    from sqlalchemy import text

    from successlink.store.connect import open_store

    engine = open_store(f"sqlite:///{work / 'app.db'}")
    try:
        with engine.connect() as c:
            return int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def stamp() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


def load_average() -> float:
    return round(os.getloadavg()[0], 1)
