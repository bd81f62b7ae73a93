"""Contact intake through the telephony API at concurrency 32, beside two baselines from the same run.

Starts its own embedded PostgreSQL and a real server (`safeguard serve`, http_bench.WORKERS uvicorn processes on
uvloop and httptools) on 127.0.0.1, creates a force and an API token with scope `contacts:write`, then POSTs new
contacts (each with its own Idempotency-Key) at a fixed concurrency from aiohttp on uvloop. Baselines: the same
server's `/healthz` (one database round trip), and single-row INSERTs into `contact` straight into PostgreSQL
from as many connections (no HTTP, no validation, no audit). Target (issue 6): at least 500 contacts per second
on 2 cores, with p99 under 50 ms. Loopback only.

Two ways of loading the server, because they answer different questions:
- closed loop: each of the clients sends its next contact as soon as its last is answered, so the server is
  always saturated and the rate is the most it can take. Each answer then waits behind the others in the queue:
  by Little's law the mean time is clients / rate (32 clients at 500 a second: 64 ms), so at this concurrency a
  p99 under 50 ms needs well over 640 a second, whatever the code does per contact.
- open loop: contacts arrive on a fixed timetable whatever the answers (as calls do), over at most as many
  connections; each time runs from when the contact was due, so a late start counts against the server.
The closed-loop runs also record the CPU time per request of the client, the web server and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import uvloop

from safeguard.db.engine import psycopg_dsn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_bench
from http_bench import (
    WORKERS,
    client_session,
    cpu_seconds,
    drive,
    getter,
    migrated_database,
    postmaster_pid,
    served,
    summary,
)

CHANNELS = ("999", "999-silent", "101")
OPEN_LOOP_RATES = (100, 250, 400, 500)  # contacts a second, offered on a timetable
FAILURES: dict[int, int] = {}  # status code -> count, for the intake POSTs that did not return 201
SAMPLES: dict[int, str] = {}


def _prepare(admin_url: str) -> tuple[int, str]:
    """A force and a contacts:write token, stored as the application stores them (sha256 of the token)."""
    prefix = secrets.token_hex(6)
    token = f"sg_{prefix}_{secrets.token_urlsafe(32)}"
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        force_id = conn.execute("INSERT INTO force (code, name) VALUES ('BEN', 'Bench Police') RETURNING id"
                                ).fetchone()[0]  # type: ignore[index]
        conn.execute("INSERT INTO api_token (force_id, name, prefix, token_hash, scopes) "
                     "VALUES (%s, 'bench telephony', %s, %s, %s)",
                     (force_id, prefix, hashlib.sha256(token.encode()).hexdigest(), ["contacts:write"]))
    return force_id, token


def _body(n: int) -> dict[str, object]:
    channel = CHANNELS[n % len(CHANNELS)]
    return {"channel": channel, "caller_number": f"+4477009{n % 1000:05d}",
            "received_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "pressed_55": channel == "999-silent", "note": "Benchmark contact"}


async def paced(count: int, rate: float, one: Callable[[int], Awaitable[bool]]) -> dict[str, float]:
    """Open loop: call n is due at n / rate seconds, whether or not earlier calls have been answered; its time runs
    from when it was due (a call held back by a busy connection counts that wait). Each call is started when it is
    due, not all at once at the start (creating thousands of waiting tasks at once held the first calls back)."""
    latencies: list[float] = []
    errors = 0
    running: set[asyncio.Task[None]] = set()

    async def call(n: int, due: float) -> None:
        nonlocal errors
        ok = await one(n)
        latencies.append((time.perf_counter() - due) * 1000)
        errors += 0 if ok else 1

    start = time.perf_counter()
    for n in range(count):
        due = start + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(call(n, due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.wait_for(asyncio.gather(*running), timeout=900)
    return summary(latencies, errors, time.perf_counter() - start)


CPU_PARTS = ("client", "web server", "PostgreSQL")


async def metered(processes: dict[str, int], count: int, concurrency: int, one: Callable[[int], Awaitable[bool]]
                  ) -> dict[str, float]:
    """A closed-loop run, with the CPU milliseconds each part used per request (`ms client`, ...): the rate
    alone moves with whatever else the machine's cores are doing; the CPU each request costs moves much less."""
    before = cpu_seconds(processes)
    result = await drive(count, concurrency, one)
    after = cpu_seconds(processes)
    for part in CPU_PARTS:
        result[f"ms {part}"] = (after[part] - before[part]) * 1000 / count
    return result


async def _http(base_url: str, token: str, count: int, concurrency: int, processes: dict[str, int]
                ) -> dict[str, dict[str, float]]:
    async with client_session(concurrency) as client:
        run = secrets.token_hex(4)
        keys = iter(range(10**9))  # warm-up and timed posts never share a key

        async def post(n: int) -> bool:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{run}-{next(keys)}",
                       "Content-Type": "application/json"}
            async with client.post(base_url + "/api/v1/contacts", data=json.dumps(_body(n)),
                                   headers=headers) as response:
                text = await response.text()
                if response.status != 201:
                    FAILURES[response.status] = FAILURES.get(response.status, 0) + 1
                    SAMPLES.setdefault(response.status, text[:300])
                return response.status == 201

        health = getter(client, base_url + "/healthz")
        await drive(400, concurrency, health)  # warm-up: every worker, every connection
        await drive(400, concurrency, post)
        results = {"/healthz (baseline: one round trip to the database)": await metered(
                       processes, count, concurrency, health),
                   "POST /api/v1/contacts (token, validation, idempotency, audit), closed loop": await metered(
                       processes, count, concurrency, post)}
        for rate in OPEN_LOOP_RATES:  # about ten seconds' worth at each rate, at least 1,000 contacts
            results[f"POST /api/v1/contacts, open loop: {rate} offered a second"] = await paced(
                max(1000, min(count, rate * 10)), rate, post)
        return results


async def _inserts(app_url: str, force_id: int, count: int, concurrency: int) -> dict[str, float]:
    connections = [await psycopg.AsyncConnection.connect(psycopg_dsn(app_url), autocommit=True)
                   for _ in range(concurrency)]
    free: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
    for conn in connections:
        await conn.execute("SELECT set_config('app.force_id', %s, false)", (str(force_id),))
        free.put_nowait(conn)

    async def insert(n: int) -> bool:
        conn = await free.get()
        try:
            body = _body(n)
            await conn.execute("INSERT INTO contact (force_id, channel, caller_number, received_at, pressed_55, note) "
                               "VALUES (%s, %s, %s, now(), %s, %s)",
                               (force_id, body["channel"], body["caller_number"], body["pressed_55"], body["note"]))
            return True
        finally:
            free.put_nowait(conn)

    try:
        return await drive(count, concurrency, insert)
    finally:
        for conn in connections:
            await conn.close()


def run(count: int, concurrency: int, workers: int = WORKERS) -> dict[str, dict[str, float]]:
    with migrated_database() as (admin, app):
        force_id, token = _prepare(admin)
        with served(admin, app, workers) as server:
            processes = {"web server": server.pid, "PostgreSQL": postmaster_pid(app)}
            results = uvloop.run(_http(server.url, token, count, concurrency, processes))
        results["baseline: single-row INSERT into contact over psycopg (no HTTP)"] = uvloop.run(
            _inserts(app, force_id, count, concurrency))
        return results


def markdown(results: dict[str, dict[str, float]], concurrency: int) -> str:
    return http_bench.markdown(results, concurrency, first="what", rate="per second") + "\n\n" + cpu_markdown(results)


def cpu_markdown(results: dict[str, dict[str, float]]) -> str:
    """CPU per request by process, for the metered (closed-loop) rows, and the rate the server side's CPU alone
    would allow on the machine's cores if the client ran elsewhere (as a telephony switch does)."""
    cores = os.cpu_count() or 1
    lines = ["| closed loop, CPU per request | client ms | web server ms | PostgreSQL ms | all ms | "
             f"web server + PostgreSQL alone on {cores} cores, a second |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results.items():
        if "ms web server" not in r:
            continue
        server_side = r["ms web server"] + r["ms PostgreSQL"]
        lines.append(f"| {name.split(' (')[0].split(',')[0]} | {r['ms client']:.2f} | {r['ms web server']:.2f} | "
                     f"{r['ms PostgreSQL']:.2f} | {server_side + r['ms client']:.2f} | "
                     f"{cores * 1000 / server_side:.0f} |")
    return "\n".join(lines)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args()
    print(markdown(run(args.requests, args.concurrency, args.workers), args.concurrency))
    if FAILURES:
        print("Failed intake POSTs by status:", FAILURES, SAMPLES)
