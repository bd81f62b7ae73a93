"""How long the synthetic force takes to load with COPY, beside a plain INSERT load measured in the same run.

    uv run python bench/seed_bench.py --size large
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from safeguard.db import migrate
from safeguard.db.embedded import EmbeddedPostgres
from safeguard.db.engine import EMBEDDED_SETTINGS, bootstrap_database, psycopg_dsn
from safeguard.synth import ForceGenerator, seed_force
from safeguard.synth.generator import COLUMNS

BASELINE_ROWS = 100_000


def _insert_baseline(admin_url: str) -> tuple[int, float]:
    """The first 100k person rows of the same force, loaded with executemany INSERTs instead of COPY."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn, conn.cursor() as cur:
        force_id = cur.execute("INSERT INTO force (code, name) VALUES ('INS', 'Insert baseline') RETURNING id"
                               ).fetchone()[0]  # type: ignore[index]
        offset = cur.execute("SELECT coalesce(max(id), 0) FROM person").fetchone()[0]  # type: ignore[index]
        rows = []
        for table, batch in ForceGenerator("large", 1, force_id=force_id).generate():
            if table == "person":
                rows.extend(batch)
            if len(rows) >= BASELINE_ROWS:
                break
        rows = [(row[0] + offset, *row[1:]) for row in itertools.islice(rows, BASELINE_ROWS)]  # type: ignore[operator]
        columns = ", ".join(COLUMNS["person"])
        placeholders = ", ".join(["%s"] * len(COLUMNS["person"]))
        started = time.perf_counter()
        cur.executemany(f"INSERT INTO person ({columns}) VALUES ({placeholders})", rows)
        conn.commit()
        return len(rows), time.perf_counter() - started


def run(size: str, then: Callable[[str, str], str] | None = None) -> tuple[str, str]:
    """Seed a force of this size on a throwaway server; `then(admin_url, app_url)` runs on it afterwards."""
    after = ""
    with tempfile.TemporaryDirectory(prefix="sg-seed-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "data", settings=EMBEDDED_SETTINGS)
        server.acquire()
        try:
            bootstrap_database(server.url(), "safeguard", "safeguard_app")
            admin = server.url(database="safeguard")
            migrate.upgrade(admin, app_role="safeguard_app")
            report = seed_force(admin, size=size, seed=1, force_code="BENCH")
            if then is not None:
                after = then(admin, server.url(user="safeguard_app", database="safeguard"))
            baseline_rows, baseline_seconds = _insert_baseline(admin)
        finally:
            server.release()
    total = sum(report.rows.values())
    lines = [
        f"`safeguard seed --size {size} --seed 1` generated and loaded {total:,} rows in "
        f"**{report.seconds:.0f} s** ({total / report.seconds:,.0f} rows/s overall, generation included), "
        "then ran VACUUM (ANALYZE).",
        "",
        "| table | rows |",
        "| --- | ---: |",
        *[f"| {table} | {count:,} |" for table, count in report.rows.items()],
        "",
        "| load method (same machine, same run) | rows | seconds | rows/s |",
        "| --- | ---: | ---: | ---: |",
        f"| COPY, whole force, generation included | {total:,} | {report.seconds:.1f} | "
        f"{total / report.seconds:,.0f} |",
        f"| baseline: executemany INSERT of {baseline_rows:,} person rows, generation excluded | {baseline_rows:,} | "
        f"{baseline_seconds:.1f} | {baseline_rows / baseline_seconds:,.0f} |",
    ]
    return "\n".join(lines), after


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="large", choices=["demo", "small", "large"])
    print(run(parser.parse_args().size)[0])
