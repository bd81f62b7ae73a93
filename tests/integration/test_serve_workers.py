"""`safeguard serve` with SAFEGUARD_WORKERS=2 runs two uvicorn worker processes on one port, each serving the app
against the database the main process found."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import DatabaseUnderTest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_two_workers_serve_on_one_port(fresh_db: DatabaseUnderTest) -> None:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=fresh_db.app_url, DATABASE_ADMIN_URL=fresh_db.admin_url,
               SAFEGUARD_ENV="test", SAFEGUARD_SECRET_KEY="test-secret-" + "x" * 20, SAFEGUARD_WORKERS="2")
    server = subprocess.Popen([sys.executable, "-m", "safeguard", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        answered = 0
        deadline = time.monotonic() + 90
        while answered < 10 and time.monotonic() < deadline:
            try:
                answered += httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            except httpx.TransportError:
                time.sleep(0.3)
        assert answered == 10, "the server never answered"
        workers = [pid for pid in _children(server.pid) if "spawn_main" in _cmdline(pid)]
        assert len(workers) == 2, [_cmdline(pid) for pid in _children(server.pid)]
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=60)
    assert server.returncode == 0, errors.decode()[-2000:]
