"""Page latency under concurrent load: the signed-in home page against /healthz as the baseline.

Starts its own embedded PostgreSQL and a real uvicorn server (one worker) on 127.0.0.1, signs a user in
through the real forms, then sends a fixed number of requests at a fixed concurrency. Bounded in
count and time; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from safeguard.auth import passwords, totp
from safeguard.db import migrate
from safeguard.db.embedded import EmbeddedPostgres
from safeguard.db.engine import bootstrap_database, psycopg_dsn

PASSWORD = "bench-passphrase-lantern-42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(admin_url: str) -> str:
    secret = totp.new_secret()
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        force_id = conn.execute("INSERT INTO force (code, name) VALUES ('BEN', 'Bench Police') RETURNING id"
                                ).fetchone()[0]  # type: ignore[index]
        conn.execute("INSERT INTO app_user (force_id, username, display_name, role, password_hash, totp_secret, "
                     "totp_enrolled) VALUES (%s, 'bench', 'Bench User', 'call_handler', %s, %s, true)",
                     (force_id, passwords.hash_password(PASSWORD), secret))
    return secret


async def _sign_in(client: httpx.AsyncClient, secret: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    await client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    page = await client.get("/login/code")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = await client.post("/login/code", data={"code": totp.current_code(secret), "csrf_token": token})
    assert response.status_code == 303, response.text


async def _load(client: httpx.AsyncClient, path: str, requests: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while not queue.empty():
            queue.get_nowait()
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout=600)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": requests, "errors": errors, "rps": requests / elapsed,
        "p50": statistics.median(latencies), "p95": latencies[int(0.95 * len(latencies)) - 1],
        "p99": latencies[int(0.99 * len(latencies)) - 1], "max": latencies[-1],
    }


async def _measure(base_url: str, secret: str, requests: int, concurrency: int) -> dict[str, dict[str, float]]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        await _sign_in(client, secret)
        await _load(client, "/", 50, 5)  # warm-up
        return {
            "/healthz (baseline: one round trip to the database)": await _load(client, "/healthz", requests,
                                                                             concurrency),
            "/ (signed-in home page: session, actor, RLS context, template)": await _load(client, "/", requests,
                                                                                        concurrency),
        }


@contextmanager
def migrated_database() -> Iterator[tuple[str, str]]:
    """A throwaway embedded PostgreSQL, migrated: yields the owner's and the application's URLs."""
    with tempfile.TemporaryDirectory(prefix="sg-bench-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "data")
        server.acquire()
        try:
            bootstrap_database(server.url(), "safeguard", "safeguard_app")
            admin = server.url(database="safeguard")
            migrate.upgrade(admin, app_role="safeguard_app")
            yield admin, server.url(user="safeguard_app", database="safeguard")
        finally:
            server.release()


@contextmanager
def web_server(admin: str, app: str) -> Iterator[str]:
    """`safeguard serve` (one uvicorn process) on a free loopback port, once /healthz answers: yields its URL."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=app, DATABASE_ADMIN_URL=admin, SAFEGUARD_ENV="development")
    web = subprocess.Popen([sys.executable, "-m", "safeguard", "serve", "--port", str(port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        web.terminate()
        web.wait(timeout=30)


def run(requests: int, concurrency: int) -> dict[str, dict[str, float]]:
    with migrated_database() as (admin, app):
        secret = _prepare(admin)
        with web_server(admin, app) as base_url:
            return asyncio.run(_measure(base_url, secret, requests, concurrency))


def markdown(results: dict[str, dict[str, float]], concurrency: int, *, first: str = "endpoint",
             rate: str = "req/s") -> str:
    lines = [f"| {first} ({concurrency} concurrent clients) | requests | errors | {rate} | p50 ms | p95 ms | "
             "p99 ms | max ms |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['requests']:.0f} | {r['errors']:.0f} | {r['rps']:.0f} | {r['p50']:.1f} | "
                     f"{r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} |")
    return "\n".join(lines)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    print(markdown(run(args.requests, args.concurrency), args.concurrency))
