"""`safeguard serve` with SAFEGUARD_WORKERS=2 runs two uvicorn worker processes on one port, each serving the app
against the database the main process found, each accepting from a socket of its own: a burst of new connections
is shared between them, and a worker that dies is replaced on its socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
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


def _workers(server: subprocess.Popen[bytes]) -> list[int]:
    return [pid for pid in _children(server.pid) if "spawn_main" in _cmdline(pid)]


def _established(pid: int, port: int) -> int:
    """How many established TCP connections on `port` the process `pid` holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        count += local_port == port and state == "01" and inode in inodes
    return count


def _health(port: int, timeout: float = 5) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=timeout).status_code == 200
    except httpx.TransportError:
        return False


def _wait_for(check: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(what)


def test_two_workers_serve_on_one_port(fresh_db: DatabaseUnderTest) -> None:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=fresh_db.app_url, DATABASE_ADMIN_URL=fresh_db.admin_url,
               SAFEGUARD_ENV="test", SAFEGUARD_SECRET_KEY="test-secret-" + "x" * 20, SAFEGUARD_WORKERS="2")
    server = subprocess.Popen([sys.executable, "-m", "safeguard", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    clients: list[socket.socket] = []
    try:
        _wait_for(lambda: _health(port), "the server never answered")
        assert sum(_health(port) for _ in range(10)) == 10
        workers = _workers(server)
        assert len(workers) == 2, [_cmdline(pid) for pid in _children(server.pid)]

        # A burst of 32 keep-alive connections, as a switch opening its pool: both workers take some. With one
        # shared socket, the worker that woke first often took all 32.
        for _ in range(32):
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            clients.append(client)
        for client in clients:
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        held = {pid: _established(pid, port) for pid in workers}
        assert sum(held.values()) == 32 and all(held.values()), held

        # A worker that dies is replaced, and the port keeps answering throughout: a connection the kernel puts
        # on the dead worker's socket waits there until the replacement has started (seconds on a busy machine),
        # and is answered then, not dropped.
        for client in clients:
            client.close()
        os.kill(workers[0], signal.SIGKILL)
        _wait_for(lambda: len(_workers(server)) == 2 and workers[0] not in _workers(server),
                  "the dead worker was not replaced")
        assert sum(_health(port, timeout=90) for _ in range(20)) == 20
    finally:
        for client in clients:
            client.close()
        server.terminate()
        _, errors = server.communicate(timeout=60)
    assert server.returncode == 0, errors.decode()[-2000:]
