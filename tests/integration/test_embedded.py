"""The embedded PostgreSQL: started on demand, Unix socket only, stopped cleanly, recovered after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg

from safeguard.db.embedded import EmbeddedPostgres
from safeguard.db.engine import psycopg_dsn


def _postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def test_listens_on_a_socket_only_and_stops_on_release(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data")
    server.acquire()
    try:
        with psycopg.connect(psycopg_dsn(server.url())) as conn:
            listen = conn.execute("SHOW listen_addresses").fetchone()
            version = conn.execute("SHOW server_version_num").fetchone()
        assert listen == ("",)
        assert version is not None and int(version[0]) >= 180000
        pid = _postmaster_pid(server.pgdata)
        assert psutil.pid_exists(pid)
    finally:
        server.release()
    assert not (server.pgdata / "postmaster.pid").exists()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_second_process_shares_the_server_and_the_last_one_stops_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = EmbeddedPostgres(data)
    server.acquire()
    pid = _postmaster_pid(server.pgdata)
    code = (
        "from pathlib import Path; from safeguard.db.embedded import EmbeddedPostgres;"
        f"s = EmbeddedPostgres(Path({str(data)!r})); s.acquire(); print('ok'); s.release()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr
    # The other process left, but this one still holds the server.
    assert psutil.pid_exists(pid) and (server.pgdata / "postmaster.pid").exists()
    server.release()
    assert not (server.pgdata / "postmaster.pid").exists()


def test_a_crashed_run_is_recovered(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A holder that dies without releasing, as if killed: its pid stays in the holders file.
    code = (
        "import os; from pathlib import Path; from safeguard.db.embedded import EmbeddedPostgres;"
        f"s = EmbeddedPostgres(Path({str(data)!r})); s.acquire();"
        "import psycopg; from safeguard.db.engine import psycopg_dsn;"
        "c = psycopg.connect(psycopg_dsn(s.url()), autocommit=True);"
        "c.execute('CREATE TABLE kept (n int)'); c.execute('INSERT INTO kept VALUES (42)');"
        "os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    # Then the server itself crashes.
    os.kill(_postmaster_pid(data.resolve()), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        p.info["cmdline"] and str(data.resolve()) in " ".join(p.info["cmdline"])
        for p in psutil.process_iter(attrs=["cmdline"])
    ):
        time.sleep(0.2)
    server = EmbeddedPostgres(data)
    server.acquire()  # starts again over the stale postmaster.pid; PostgreSQL replays its WAL
    try:
        with psycopg.connect(psycopg_dsn(server.url())) as conn:
            assert conn.execute("SELECT n FROM kept").fetchone() == (42,)
    finally:
        server.release()
    # The dead holder was pruned, so this release stopped the server.
    assert not (server.pgdata / "postmaster.pid").exists()
