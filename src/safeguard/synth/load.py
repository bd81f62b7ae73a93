"""Loading a synthetic force into PostgreSQL with COPY, in one transaction."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import psycopg
from psycopg import sql

from safeguard.db.engine import psycopg_dsn
from safeguard.synth.generator import COLUMNS, DEFAULT_END, SIZES, Batch, ForceGenerator, Ids

Progress = Callable[[str, int, int], None]


@dataclass
class SeedReport:
    force_id: int
    force_code: str
    size: str
    seed: int
    end_date: date
    rows: dict[str, int] = field(default_factory=dict)  # per table, in load order
    seconds: float = 0.0  # everything: generation, COPY, commit and VACUUM (ANALYZE)
    copy_seconds: dict[str, float] = field(default_factory=dict)  # per table, time inside COPY only
    stats: dict[str, int] = field(default_factory=dict)  # what went in: dyads, duplicate error kinds, refuges

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def __str__(self) -> str:
        counts = ", ".join(f"{table} {count:,}" for table, count in self.rows.items())
        return f"Seeded {self.force_code} ({self.size}, seed {self.seed}) in {self.seconds:.1f}s: {counts}"


def _target(table: str) -> sql.Composable:
    schema, _, name = table.rpartition(".")
    return sql.Identifier(schema, name) if schema else sql.Identifier(name)


def _first_ids(cur: psycopg.Cursor[tuple[object, ...]]) -> Ids:
    """Ids above any in use, or ever handed out by the table's sequence."""
    ids = Ids()
    for table in Ids.tables():
        cur.execute(sql.SQL("SELECT greatest((SELECT max(id) FROM {}), pg_sequence_last_value("
                            "pg_get_serial_sequence({}, 'id')::regclass))").format(
            sql.Identifier(table), sql.Literal(table)))
        row = cur.fetchone()
        setattr(ids, table, int(row[0]) + 1 if row and row[0] is not None else 1)  # type: ignore[call-overload]
    return ids


def _advance_sequences(cur: psycopg.Cursor[tuple[object, ...]]) -> None:
    """Move each sequence past the ids loaded, so the application's own inserts do not collide."""
    for table in Ids.tables():
        cur.execute(sql.SQL("SELECT setval(seq, greatest(m, coalesce(pg_sequence_last_value(seq), 0))) "
                            "FROM (SELECT pg_get_serial_sequence({}, 'id')::regclass AS seq) s, "
                            "(SELECT max(id) AS m FROM {}) t WHERE m IS NOT NULL").format(
            sql.Literal(table), sql.Identifier(table)))


def _prefetched(batches: Iterator[Batch], depth: int = 6) -> Iterator[Batch]:
    """The batches, generated in a thread a few ahead of the consumer.

    While one batch is being copied the server is busy and the loader mostly waits on the socket (which
    releases the GIL), so generating the next batches meanwhile keeps both cores working.
    """
    handoff: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        handoff.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(None)
        except BaseException as exc:  # handed to the consumer, which raises it
            handoff.put(exc)

    thread = threading.Thread(target=produce, name="synth-generator", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _foreign_keys(cur: psycopg.Cursor[tuple[object, ...]]) -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) for each foreign key of the loaded tables."""
    cur.execute("""
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, r.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid::regclass::text = ANY(%s)
        ORDER BY 1, 2""", (list(Ids.tables()),))
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in cur.fetchall()]


def _check_references(cur: psycopg.Cursor[tuple[object, ...]], force_id: int,
                      keys: list[tuple[str, str, str, str]]) -> None:
    """Every reference from the force's new rows resolves, and stays inside the force.

    Stands in for the per-row foreign-key triggers that the load switches off: one anti-join per key is
    far cheaper than a lookup per row, and it checks more (a reference to another force's row fails).
    """
    for table, column, parent, parent_column in keys:
        same_force = sql.SQL("AND p.force_id = c.force_id") if parent != "force" else sql.SQL("")
        cur.execute(sql.SQL("SELECT count(*) FROM {} c WHERE c.force_id = %s AND c.{} IS NOT NULL AND NOT EXISTS "
                            "(SELECT 1 FROM {} p WHERE p.{} = c.{} {})").format(
            sql.Identifier(table), sql.Identifier(column), sql.Identifier(parent), sql.Identifier(parent_column),
            sql.Identifier(column), same_force), (force_id,))
        row = cur.fetchone()
        if row and row[0]:
            raise RuntimeError(f"The synthetic force has {row[0]} rows in {table}.{column} that do not resolve to "
                               f"a row of {parent} in the same force; nothing was loaded.")


def seed_force(admin_url: str, *, size: str, seed: int, force_code: str = "DEMO",
               force_name: str = "Demo Constabulary", progress: Progress | None = None,
               end_date: date = DEFAULT_END) -> SeedReport:
    """Generate a fictional force and load it with COPY. All or nothing: a failure leaves no trace.

    `admin_url` must be a role that bypasses row-level security (the embedded server's superuser, or one
    with BYPASSRLS): COPY does not go through the policies. Raises ValueError, having written nothing,
    if a force with `force_code` already exists. The loaded tables are locked against other writers
    while the load runs (reads go on), because the rows carry ids allocated here rather than by the
    tables' sequences.
    """
    if size not in SIZES:
        raise ValueError(f"Unknown size '{size}'. Choose one of: {', '.join(SIZES)}.")
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    copy_seconds: dict[str, float] = dict.fromkeys(COLUMNS, 0.0)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn, conn.cursor() as cur:
        # Two seeds of one force code at once: the second waits here, then finds the first's force.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('safeguard.synth.seed_force'))")
        cur.execute("SELECT 1 FROM force WHERE code = %s", (force_code,))
        if cur.fetchone():
            raise ValueError(f"A force with code '{force_code}' already exists; nothing was loaded and its data "
                             "is as it was.")
        cur.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in Ids.tables())))
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = bool((cur.fetchone() or (False,))[0])
        if superuser:
            # Per-row foreign-key triggers would double the load time; the references are checked all at
            # once before commit instead (`_check_references`).
            cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("INSERT INTO force (code, name) VALUES (%s, %s) RETURNING id", (force_code, force_name))
        row = cur.fetchone()
        assert row is not None
        force_id = int(row[0])
        generator = ForceGenerator(size, seed, force_id=force_id, ids=_first_ids(cur), end_date=end_date)
        statements = {table: sql.SQL("COPY {} ({}) FROM STDIN").format(
            _target(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
            for table, columns in COLUMNS.items()}
        for table, rows in _prefetched(generator.generate()):
            copy_started = time.perf_counter()
            with cur.copy(statements[table]) as copy:
                for values in rows:
                    copy.write_row(values)
            copy_seconds[table] += time.perf_counter() - copy_started
            counts[table] += len(rows)
            if progress:
                progress(f"Loading {table}", generator.work_done, generator.work_total)
        if superuser:
            cur.execute("SET LOCAL session_replication_role = origin")
            if progress:
                progress("Checking references", generator.work_total, generator.work_total)
            _check_references(cur, force_id, _foreign_keys(cur))
        _advance_sequences(cur)
    if progress:
        progress("Analysing", generator.work_total, generator.work_total)
    with psycopg.connect(psycopg_dsn(admin_url), autocommit=True) as conn:
        # VACUUM too, as after any bulk load: it marks the pages all-visible, so the covering indexes answer
        # from the index alone at once, rather than once autovacuum has got round to the new rows.
        for table in COLUMNS:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(_target(table)))
    return SeedReport(force_id=force_id, force_code=force_code, size=size, seed=seed, end_date=end_date,
                      rows={table: counts[table] for table in COLUMNS if counts[table]},
                      seconds=time.perf_counter() - started,
                      copy_seconds={table: copy_seconds[table] for table in COLUMNS if counts[table]},
                      stats=dict(generator.stats))
