"""Loading the synthetic force with COPY, in one transaction."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import psycopg
from psycopg import sql

from safeguard.db.engine import psycopg_dsn
from safeguard.synth.generator import COLUMNS, DEFAULT_END, SIZES, ForceGenerator, Ids

Progress = Callable[[str, int, int], None]


@dataclass
class SeedReport:
    force_code: str
    size: str
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        counts = ", ".join(f"{table} {count:,}" for table, count in self.rows.items())
        return f"Seeded {self.force_code} ({self.size}, seed {self.seed}) in {self.seconds:.1f}s: {counts}"


def _next_ids(cur: psycopg.Cursor[tuple[object, ...]]) -> Ids:
    ids = Ids()
    for table in Ids.__dataclass_fields__:
        cur.execute(sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(table)))
        row = cur.fetchone()
        setattr(ids, table, int(row[0]) if row else 1)  # type: ignore[call-overload]
    return ids


def seed_force(admin_url: str, *, size: str, seed: int, force_code: str = "DEMO",
               force_name: str = "Demo Constabulary", progress: Progress | None = None,
               end_date: date = DEFAULT_END) -> SeedReport:
    """Build a fictional force and load it with COPY. All or nothing: a failure leaves no trace.

    Needs a role that bypasses row-level security (the embedded server's superuser, or BYPASSRLS),
    since COPY does not run through policies.
    """
    if size not in SIZES:
        raise ValueError(f"Unknown size '{size}'. Choose one of: {', '.join(SIZES)}.")
    started = time.perf_counter()
    report = SeedReport(force_code, size, seed)
    counts: Counter[str] = Counter()
    with psycopg.connect(psycopg_dsn(admin_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('safeguard.seed'))")
        cur.execute("SELECT 1 FROM force WHERE code = %s", (force_code,))
        if cur.fetchone():
            raise ValueError(f"A force with code '{force_code}' already exists; its data has been left as it is.")
        cur.execute("INSERT INTO force (code, name) VALUES (%s, %s) RETURNING id", (force_code, force_name))
        force_id = int(cur.fetchone()[0])  # type: ignore[index]
        cur.execute("SET LOCAL synchronous_commit = off")
        generator = ForceGenerator(size, seed, force_id=force_id, ids=_next_ids(cur), end_date=end_date)
        expected = SIZES[size].incidents
        for table, rows in generator.generate():
            columns = COLUMNS[table]
            schema, _, name = table.rpartition(".")
            target = sql.Identifier(schema, name) if schema else sql.Identifier(name)
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                target, sql.SQL(", ").join(sql.Identifier(c) for c in columns))
            with cur.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            counts[table] += len(rows)
            if progress:
                progress(f"Loading {table}", counts["incident"], expected)
        for table in Ids.__dataclass_fields__:
            cur.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), "
                                "(SELECT coalesce(max(id), 1) FROM {}))").format(
                sql.Literal(table), sql.Identifier(table)))
        if progress:
            progress("Analysing", expected, expected)
    with psycopg.connect(psycopg_dsn(admin_url), autocommit=True) as conn:
        for table in COLUMNS:
            schema, _, name = table.rpartition(".")
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name) if schema else sql.Identifier(name)))
    report.rows = dict(counts)
    report.seconds = time.perf_counter() - started
    return report
