"""Run a command against a separately started PostgreSQL server, reached only through DATABASE_URL.

`make test` uses this to run the whole suite a second time through the DATABASE_URL path: a second
server (the same PostgreSQL 18 binaries, its own data folder) on 127.0.0.1 with password
authentication, an application role with a password, and a superuser for the admin URL.

    uv run python scripts/external_pg.py run -- uv run pytest
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql

from safeguard.db.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[1]
APP_ROLE = "safeguard_ci_app"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print(__doc__)
        return 2
    command = argv[2:]
    data = ROOT / "var" / "external-pg" / "data"
    shutil.rmtree(data.parent, ignore_errors=True)
    data.parent.mkdir(parents=True)
    port = _free_port()
    admin_password = secrets.token_urlsafe(16)
    app_password = secrets.token_urlsafe(16)
    server = EmbeddedPostgres(data, settings={"fsync": "off", "synchronous_commit": "off",
                                              "full_page_writes": "off", "max_connections": "100"},
                              tcp_port=port, superuser_password=admin_password)
    server.acquire()
    try:
        admin_url = f"postgresql+psycopg://postgres:{admin_password}@127.0.0.1:{port}/postgres"
        with psycopg.connect(f"postgresql://postgres:{admin_password}@127.0.0.1:{port}/postgres",
                             autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(app_password)))
        env = dict(os.environ)
        env["DATABASE_ADMIN_URL"] = admin_url
        env["DATABASE_URL"] = f"postgresql+psycopg://{APP_ROLE}:{app_password}@127.0.0.1:{port}/postgres"
        print(f"External PostgreSQL on 127.0.0.1:{port}; running: {' '.join(command)}", flush=True)
        return subprocess.call(command, env=env)  # noqa: S603 - the developer's own command
    finally:
        server.release()
        shutil.rmtree(data.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
