"""Page latency under concurrent load: the signed-in home page against /healthz as the baseline.

Starts its own embedded PostgreSQL and a real server (`safeguard serve`: uvicorn on uvloop and httptools,
SAFEGUARD_WORKERS processes) on 127.0.0.1, signs a user in through the real forms, then sends a fixed number of
requests at a fixed concurrency. The load comes from aiohttp on uvloop: the client shares the machine's cores
with the server, so the cheaper the client, the more of what is measured is the server. Bounded in count and
time; loopback only.
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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import psycopg
import uvloop

from safeguard.auth import passwords, totp
from safeguard.db import migrate
from safeguard.db.embedded import EmbeddedPostgres
from safeguard.db.engine import bootstrap_database, psycopg_dsn

PASSWORD = "bench-passphrase-lantern-42"
WORKERS = 2  # server processes, as SAFEGUARD_WORKERS: the machine the targets are set for has 2 cores


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


async def _sign_in(client: aiohttp.ClientSession, base_url: str, secret: str) -> None:
    async def csrf(path: str) -> str:
        async with client.get(base_url + path) as page:
            return re.search(r'name="csrf_token" value="([0-9a-f]+)"', await page.text()).group(1)  # type: ignore[union-attr]

    form = {"username": "bench", "password": PASSWORD, "csrf_token": await csrf("/login")}
    async with client.post(base_url + "/login", data=form, allow_redirects=False):
        pass
    form = {"code": totp.current_code(secret), "csrf_token": await csrf("/login/code")}
    async with client.post(base_url + "/login/code", data=form, allow_redirects=False) as response:
        assert response.status == 303, await response.text()


def client_session(concurrency: int) -> aiohttp.ClientSession:
    """One keep-alive connection per concurrent client; cookies kept for 127.0.0.1 too."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency, force_close=False),
                                 cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 timeout=aiohttp.ClientTimeout(total=30))


def summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50": statistics.median(latencies), "p95": latencies[int(0.95 * len(latencies)) - 1],
            "p99": latencies[int(0.99 * len(latencies)) - 1], "max": latencies[-1]}


async def drive(count: int, concurrency: int, one: Callable[[int], Awaitable[bool]]) -> dict[str, float]:
    """`count` calls of `one` from `concurrency` clients, each waiting for its answer before the next."""
    latencies: list[float] = []
    errors = 0
    numbers = iter(range(count))

    async def worker() -> None:
        nonlocal errors
        for n in numbers:
            started = time.perf_counter()
            ok = await one(n)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout=900)
    return summary(latencies, errors, time.perf_counter() - started)


def getter(client: aiohttp.ClientSession, url: str) -> Callable[[int], Awaitable[bool]]:
    async def get(_: int) -> bool:
        async with client.get(url, allow_redirects=False) as response:
            await response.read()
            return response.status == 200

    return get


async def _measure(base_url: str, secret: str, requests: int, concurrency: int) -> dict[str, dict[str, float]]:
    async with client_session(concurrency) as client:
        await _sign_in(client, base_url, secret)
        await drive(200, 8, getter(client, base_url + "/"))  # warm-up: every worker, every connection
        return {
            "/healthz (baseline: one round trip to the database)": await drive(
                requests, concurrency, getter(client, base_url + "/healthz")),
            "/ (signed-in home page: session, actor, RLS context, template)": await drive(
                requests, concurrency, getter(client, base_url + "/")),
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


@dataclass(frozen=True)
class Server:
    url: str
    pid: int  # the `safeguard serve` process; its workers are its children


@contextmanager
def served(admin: str, app: str, workers: int = WORKERS) -> Iterator[Server]:
    """`safeguard serve` (`workers` uvicorn processes) on a free loopback port, once /healthz answers."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=app, DATABASE_ADMIN_URL=admin, SAFEGUARD_ENV="development",
               SAFEGUARD_WORKERS=str(workers))
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
        yield Server(f"http://127.0.0.1:{port}", web.pid)
    finally:
        web.terminate()
        web.wait(timeout=30)


@contextmanager
def web_server(admin: str, app: str, workers: int = WORKERS) -> Iterator[str]:
    """As `served`, yielding only the URL."""
    with served(admin, app, workers) as server:
        yield server.url


def postmaster_pid(app_url: str) -> int:
    """The PostgreSQL server's main process: the parent of any backend."""
    with psycopg.connect(psycopg_dsn(app_url)) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        return _processes()[backend][0]


def _processes() -> dict[int, tuple[int, float]]:
    """Every process on the machine: pid -> (parent pid, CPU seconds used by it and its reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # ended while we looked
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        # utime, stime, cutime, cstime: a child's time moves into its parent's cutime/cstime when it is reaped
        found[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)
    return found


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and all its descendants (Linux /proc), and by this process
    ("client")."""
    found = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in found.items():
        children.setdefault(parent, []).append(pid)
    used = {"client": time.process_time()}
    for name, root in roots.items():
        tree, total = [root], 0.0
        while tree:
            pid = tree.pop()
            total += found.get(pid, (0, 0.0))[1]
            tree.extend(children.get(pid, ()))
        used[name] = total
    return used


def run(requests: int, concurrency: int, workers: int = WORKERS) -> dict[str, dict[str, float]]:
    with migrated_database() as (admin, app):
        secret = _prepare(admin)
        with web_server(admin, app, workers) as base_url:
            return uvloop.run(_measure(base_url, secret, requests, concurrency))


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
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args()
    print(markdown(run(args.requests, args.concurrency, args.workers), args.concurrency))
