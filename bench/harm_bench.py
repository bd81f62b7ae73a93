"""Harm ranking of a seeded force: the DuckDB job (COPY extract + one SQL text) beside the same ranking written as
plain PostgreSQL SQL, measured in the same run. Target (issue 7): the `large` force (about 1M incidents) under
10 s on 2 cores; the peak memory is reported too.

Untimed first: one DA crime for each of the force's DA incidents with a suspect (skipped when already done),
DASH assessments and orders for the flags (safeguard.targeting.synthetic). Then each engine ranks the whole
force, three years to the synthetic force's last day, as the application's role under row-level security,
each in its own transaction, one after the other, after an untimed warm-up run of DuckDB and PostgreSQL.

    uv run python bench/harm_bench.py --size small [--spark]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil
import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.synth.generator import DEFAULT_END
from safeguard.targeting import service
from safeguard.targeting.engines import run_duckdb, run_postgres, run_spark, stop_spark
from safeguard.targeting.job import Scored, Window, extract
from safeguard.targeting.synthetic import add_crimes, add_flag_inputs
from safeguard.targeting.weights import DEFAULT_WEIGHTS

WINDOW_DAYS = 1095


@dataclass
class Timing:
    name: str
    seconds: float
    extract_seconds: float | None
    peak_mib: float
    rows: list[Scored]


class PeakMemory:
    """The highest resident memory of this process and its children (Spark's JVM), sampled every 10 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._process = psutil.Process()

    def _rss(self) -> int:
        total = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(0.01)

    @contextmanager
    def watching(self) -> Iterator[PeakMemory]:
        self.peak = self._rss()
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, self._rss())


def _prepare(admin_url: str, force_code: str) -> tuple[int, dict[str, int]]:
    add_crimes(admin_url, force_code)
    add_flag_inputs(admin_url, force_code)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        row = conn.execute("SELECT id FROM force WHERE code = %s", (force_code,)).fetchone()
        assert row is not None, f"no force {force_code}"
        force_id = int(row[0])
        counts = {}
        for table in ("incident", "incident_person", "crime", "suspect", "risk_assessment", "protective_order"):
            counted = conn.execute(f"SELECT count(*) FROM {table} WHERE force_id = %s",
                                   (force_id,)).fetchone()
            counts[table] = int(counted[0]) if counted else 0
    return force_id, counts


async def _in_transaction(app_url: str, force_id: int, work: Callable[[AsyncSession], Awaitable[Timing]]) -> Timing:
    engine = make_engine(app_url, pool_size=1)
    try:
        async with AsyncSession(engine) as db, db.begin():
            await set_force_context(db, force_id)
            return await work(db)
    finally:
        await engine.dispose()


def _job(name: str, force_id: int, window: Window, rank: Callable[..., list[Scored]]
         ) -> Callable[[AsyncSession], Awaitable[Timing]]:
    async def work(db: AsyncSession) -> Timing:
        memory = PeakMemory()
        with memory.watching(), tempfile.TemporaryDirectory(prefix="sg-harm-bench-") as folder:
            started = time.perf_counter()
            found = await extract(await service.driver_connection(db), force_id, window, Path(folder))
            rows = rank(found, DEFAULT_WEIGHTS)
            seconds = time.perf_counter() - started
        return Timing(name, seconds, found.seconds, memory.peak / 2**20, rows)
    return work


def _plain(force_id: int, window: Window) -> Callable[[AsyncSession], Awaitable[Timing]]:
    async def work(db: AsyncSession) -> Timing:
        memory = PeakMemory()
        with memory.watching():
            started = time.perf_counter()
            rows = await run_postgres(db, force_id, DEFAULT_WEIGHTS, window)
            seconds = time.perf_counter() - started
        return Timing("baseline: the same ranking as one plain PostgreSQL query", seconds, None,
                      memory.peak / 2**20, rows)
    return work


def run(admin_url: str, app_url: str, force_code: str, *, spark: bool = False, as_of: date | None = None) -> str:
    """Add the crimes (untimed), rank the force with DuckDB and with plain PostgreSQL, and return the section body."""
    force_id, counts = _prepare(admin_url, force_code)
    window = Window(as_of or DEFAULT_END, WINDOW_DAYS)
    duckdb_job = _job("DuckDB job: COPY extract + one SQL text", force_id, window, run_duckdb)
    # Warm-up, untimed: the tables into PostgreSQL's cache, DuckDB's library into this process.
    asyncio.run(_in_transaction(app_url, force_id, _plain(force_id, window)))
    asyncio.run(_in_transaction(app_url, force_id, duckdb_job))
    timings = [asyncio.run(_in_transaction(app_url, force_id, duckdb_job)),
               asyncio.run(_in_transaction(app_url, force_id, _plain(force_id, window)))]
    if spark:
        try:
            timings.append(asyncio.run(_in_transaction(
                app_url, force_id, _job("Spark (local[2], JVM start included): the same extract and SQL text",
                                        force_id, window, run_spark))))
        finally:
            stop_spark()
    ranked = timings[0].rows
    agree = all(t.rows == ranked for t in timings[1:])
    lines = [
        f"The whole force ranked by RFG(V) harm over {WINDOW_DAYS:,} days to {window.as_of.isoformat()} with the "
        f"default weights, as the application's role under row-level security, after an untimed warm-up of each. The "
        f"force: {counts['incident']:,} incidents ({counts['incident_person']:,} people in them), "
        f"{counts['crime']:,} crimes with {counts['suspect']:,} suspects (one per DA incident with a suspect, added "
        f"untimed), {counts['risk_assessment']:,} DASH assessments and {counts['protective_order']:,} orders. "
        f"{len(ranked):,} perpetrators ranked; every engine gave the same list (rank, person, every part of the "
        f"score, flags): **{'yes' if agree else 'NO'}**. Target: under 10 s for the `large` force on 2 cores.",
        "",
        "| engine | seconds | of which extract (COPY) | peak memory of this process, MiB |",
        "| --- | ---: | ---: | ---: |",
    ]
    for t in timings:
        extract_cell = f"{t.extract_seconds:.2f}" if t.extract_seconds is not None else "–"
        lines.append(f"| {t.name} | {t.seconds:.2f} | {extract_cell} | {t.peak_mib:,.0f} |")
    lines += ["", "Peak memory is the resident memory of the Python process (DuckDB runs inside it; Spark's JVM is "
              "counted as its child). The PostgreSQL baseline's work happens in the server's own processes, whose "
              "memory is bounded by `work_mem` and not counted here."]
    return "\n".join(lines)


def _standalone(size: str, spark: bool) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from http_bench import migrated_database

    from safeguard.synth import seed_force

    with migrated_database() as (admin, app):
        seed_force(admin, size=size, seed=1, force_code="BENCH")
        return run(admin, app, "BENCH", spark=spark)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small", choices=["demo", "small", "large"])
    parser.add_argument("--spark", action="store_true", help="Time Spark too (local[2]).")
    options = parser.parse_args()
    print(_standalone(options.size, options.spark))
