"""The harm-ranking job: one definition, run by DuckDB here and by Spark at national scale.

Two steps. The extract reads a force's inputs from PostgreSQL with `COPY ... TO STDOUT`, through the caller's
own connection (so under its row-level security), into CSV files in a temporary folder. Then ONE SQL text,
`rank_sql`, computes every perpetrator's score from those files; DuckDB and Spark SQL both run it unchanged
(engines.py). The score is the one defined in `safeguard.targeting.weights` (that docstring is the contract).

The files hold ids, day numbers, harm weights and dates of birth as numbers: no names or addresses.

    events(person_id, event_id, event_day, dob_key)
        one row per perpetrator and event inside the window, for the people the reader may see. event_id is the
        incident's id, or minus the crime's id for a DA crime with no incident. event_day counts days since
        1970-01-01 (UK local date). dob_key is year*10000 + month*100 + day of the date of birth (a missing month
        or day counts as 1), or empty.
    event_harm(person_id, event_id, harm)
        one row per suspect, crime and offence of the force, with the offence's harm weight; an event's harm is
        the highest of the person's rows for it (the ranking uses the weights' non_crime_harm when there is none).
    event_victims(event_id, victim_id)                the victims of the window's events
    high_risk_victims(person_id)                      people whose latest DASH ended at 'high'
    active_orders(person_id)                          subjects of an active protective order
    wanted(person_id)                                 people with any suspect record at 'wanted'

Only people the reader may see are ranked: the extract joins each event's suspects to `person`, which row-level
security filters (another force's people, and restricted people without a grant, are not there). Victims are
counted whether or not the reader may see them (the ranking leaves out a person who is their own event's
victim): a count names no one, and a perpetrator whose victim is in a refuge must not rank lower for it.

The extract does the few joins PostgreSQL needs for row-level security and leaves the rest to the engine:
harm is not aggregated there, victims are not paired with perpetrators there. Why: on a large force each join
or aggregate PostgreSQL does costs about a second per million rows on one core, DuckDB's the same in a tenth.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from psycopg import sql

from safeguard.targeting.weights import HarmWeights

if TYPE_CHECKING:
    import psycopg

UK = ZoneInfo("Europe/London")
EPOCH = date(1970, 1, 1)

# Column names and types of each extract file, as DuckDB and Spark read them.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "events": (("person_id", "BIGINT"), ("event_id", "BIGINT"), ("event_day", "INTEGER"), ("dob_key", "INTEGER")),
    "event_harm": (("person_id", "BIGINT"), ("event_id", "BIGINT"), ("harm", "DECIMAL(14,2)")),
    "event_victims": (("event_id", "BIGINT"), ("victim_id", "BIGINT")),
    "high_risk_victims": (("person_id", "BIGINT"),),
    "active_orders": (("person_id", "BIGINT"),),
    "wanted": (("person_id", "BIGINT"),),
}

_DAY = "((({at}) AT TIME ZONE 'Europe/London')::date - DATE '1970-01-01')"
_DOB_KEY = "(p.dob_year * 10000 + coalesce(p.dob_month, 1) * 100 + coalesce(p.dob_day, 1))"

# Events, their harm and their victims in one pass. {start} and {end} are the UTC instants of the UK-local
# midnights that bound the window. PostgreSQL sends a COPY row as one message and async psycopg handles each
# message separately, so the lines are packed in PostgreSQL, many to a row, joined by ';': each COPY row is
# "e<TAB>line;line;..." for events, "h<TAB>..." for event_harm or "v<TAB>..." for event_victims, and the
# extract unpacks them into their files. An incident's suspects and victims come from one join (a suspect's
# `person` row, which row-level security filters, by a hash join: a lookup per suspect costs ten times more);
# nothing here may be a materialized CTE, so that PostgreSQL can run the big joins on parallel workers. Lines are
# built with concat_ws (format() costs half as much again per line; concat_ws skips NULLs, hence the coalesce).
EVENTS_SQL = f"""
WITH inc AS (
    SELECT i.id, {_DAY.format(at="i.occurred_at")} AS event_day FROM incident i
    WHERE i.force_id = {{force}} AND i.da_related AND i.occurred_at >= {{start}} AND i.occurred_at < {{end}}
),
cri AS NOT MATERIALIZED (
    SELECT c.id, {_DAY.format(at="c.occurred_at")} AS event_day FROM crime c
    WHERE c.force_id = {{force}} AND c.da_related AND c.incident_id IS NULL
      AND c.occurred_at >= {{start}} AND c.occurred_at < {{end}}
),
lines AS (
    SELECT CASE WHEN ip.role = 'suspect' THEN 'e' ELSE 'v' END AS kind, ip.person_id,
           CASE WHEN ip.role = 'suspect'
                THEN concat_ws(',', ip.person_id, inc.id, inc.event_day, coalesce({_DOB_KEY}::text, ''))
                ELSE concat_ws(',', inc.id, ip.person_id) END AS line
    FROM inc
    JOIN incident_person ip ON ip.incident_id = inc.id AND ip.role IN ('suspect', 'victim')
    LEFT JOIN person p ON p.id = ip.person_id AND ip.role = 'suspect'
    WHERE ip.role = 'victim' OR p.id IS NOT NULL
    UNION ALL
    SELECT 'e', s.person_id, concat_ws(',', s.person_id, -cri.id, cri.event_day, coalesce({_DOB_KEY}::text, ''))
    FROM cri JOIN suspect s ON s.crime_id = cri.id JOIN person p ON p.id = s.person_id
    UNION ALL
    SELECT 'v', v.person_id, concat_ws(',', -cri.id, v.person_id)
    FROM cri JOIN crime_person v ON v.crime_id = cri.id AND v.role = 'victim'
    UNION ALL
    SELECT 'h', s.person_id,
           concat_ws(',', s.person_id, coalesce(c.incident_id, -c.id), coalesce(o.harm_weight::text, ''))
    FROM crime c
    JOIN suspect s ON s.crime_id = c.id
    JOIN crime_offence co ON co.crime_id = c.id
    JOIN offence o ON o.id = co.offence_id
    WHERE c.force_id = {{force}}
)
SELECT kind, string_agg(line, ';') FROM lines GROUP BY kind, person_id % 256
"""  # noqa: S608 - fixed fragments; the values are bound as literals by extract_statements
# The three flags in one more statement, packed as the events are: "r<TAB>id;id;..." for high_risk_victims, "o"
# for active_orders, "w" for wanted.
FLAGS_SQL = """
SELECT kind, string_agg(person_id::text, ';') FROM (
    SELECT 'r' AS kind, latest.victim_id AS person_id FROM (
        SELECT DISTINCT ON (victim_id) victim_id, final_level
        FROM risk_assessment WHERE force_id = {force}
        ORDER BY victim_id, assessed_at DESC, id DESC
    ) latest WHERE latest.final_level = 'high'
    UNION ALL
    SELECT DISTINCT 'o', subject_id FROM protective_order WHERE force_id = {force} AND status = 'active'
    UNION ALL
    SELECT DISTINCT 'w', person_id FROM suspect WHERE force_id = {force} AND status = 'wanted'
) flags GROUP BY kind, person_id % 64
"""
# Which file each kind of row goes to.
EVENT_FILES = {b"e": "events", b"h": "event_harm", b"v": "event_victims", b"r": "high_risk_victims",
               b"o": "active_orders", b"w": "wanted"}


@dataclass(frozen=True)
class Window:
    """The UK-local days [as_of - days, as_of], both ends included."""

    as_of: date
    days: int

    def __post_init__(self) -> None:
        if self.days <= 0:
            raise ValueError("The window must be at least one day long.")

    @property
    def start(self) -> date:
        return self.as_of - timedelta(days=self.days)

    def instants(self) -> tuple[datetime, datetime]:
        """The UTC instants of the local midnights starting the first day and ending the last."""
        first = datetime.combine(self.start, clock(), tzinfo=UK).astimezone(UTC)
        after = datetime.combine(self.as_of + timedelta(days=1), clock(), tzinfo=UK).astimezone(UTC)
        return first, after


def day_number(day: date) -> int:
    return (day - EPOCH).days


def from_day_number(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


@dataclass
class Extract:
    folder: Path
    window: Window
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def path(self, table: str, suffix: str = "csv") -> Path:
        return self.folder / f"{table}.{suffix}"


def extract_statements(force_id: int, window: Window) -> dict[str, sql.Composed]:
    """The two COPY statements: 'events' writes events, event_harm and event_victims; 'flags' the three flags."""
    start, end = window.instants()
    values = {"force": sql.Literal(int(force_id)), "start": sql.Literal(start), "end": sql.Literal(end)}
    return {name: sql.SQL("COPY ({}) TO STDOUT").format(sql.SQL(query).format(**values))
            for name, query in (("events", EVENTS_SQL), ("flags", FLAGS_SQL))}


class _EventRows:
    """Unpacks the COPY rows ("e<TAB>line;line;...") into the files, by kind (EVENT_FILES)."""

    def __init__(self, found: Extract) -> None:
        self.files = {kind: found.path(table).open("wb") for kind, table in EVENT_FILES.items()}
        self.counts = dict.fromkeys(self.files, 0)
        self.carry = b""

    def row(self, row: bytes) -> None:
        kind, _, lines = row.partition(b"\t")
        self.files[kind].write(lines.replace(b";", b"\n") + b"\n")
        self.counts[kind] += lines.count(b";") + 1

    def feed(self, chunk: bytes) -> None:
        # One row per message in practice; anything else is split at the row ends all the same.
        rows = (self.carry + chunk).split(b"\n")
        self.carry = rows.pop()
        for row in rows:
            self.row(row)

    def close(self) -> None:
        for out in self.files.values():
            out.close()


async def extract(conn: psycopg.AsyncConnection[Any], force_id: int, window: Window, folder: Path) -> Extract:
    """Write the job's input files from PostgreSQL through `conn`, which is in the caller's transaction with
    the force context set; returns where they are and how many rows each has."""
    started = time.perf_counter()
    found = Extract(folder, window)
    async with conn.cursor() as cur:
        # The hash joins of a large force fit in memory with this much; for this transaction only, then back.
        await cur.execute("SELECT current_setting('work_mem')")
        before = await cur.fetchone()
        await cur.execute("SELECT set_config('work_mem', '256MB', true)")
        statements = extract_statements(force_id, window)
        rows = _EventRows(found)
        try:
            async with cur.copy(statements["events"]) as copy:
                async for chunk in copy:
                    rows.feed(bytes(chunk))
            # The flags' tables check each row's person under row-level security. With much memory PostgreSQL
            # hashes every person the reader may see (two million on a large force) to check a hundred thousand
            # DASH rows; with little it looks each one up by its key, in half the time.
            await cur.execute("SELECT set_config('work_mem', '4MB', true)")
            async with cur.copy(statements["flags"]) as copy:
                async for chunk in copy:
                    rows.feed(bytes(chunk))
        finally:
            rows.close()
        for kind, name in EVENT_FILES.items():
            found.rows[name] = rows.counts[kind]
        if before is not None:
            await cur.execute("SELECT set_config('work_mem', %s, true)", (before[0],))
    found.seconds = time.perf_counter() - started
    return found


def _number(value: float) -> str:
    """A validated weight as an exact SQL decimal literal (both engines read `1.5` as a DECIMAL)."""
    text = format(Decimal(repr(float(value))).normalize(), "f")
    return text if "." in text else text + ".0"


def rank_sql(weights: HarmWeights, window: Window) -> str:
    """The ranking as one SQL text over the extract's tables: DuckDB and Spark SQL run it unchanged.

    The weights are inlined as literals from the validated model (numbers only, never text), each part is
    rounded to 4 decimal places before the parts are summed, and the linear parts are computed in exact
    decimals, so engines agree to the last digit."""
    as_of = day_number(window.as_of)
    start = day_number(window.start)
    as_of_key = window.as_of.year * 10000 + window.as_of.month * 100 + window.as_of.day
    bands = " ".join(f"WHEN {as_of} - p.last_day <= {int(months) * 30} THEN {_number(points)}"
                     for months, points in weights.recency_bands)
    return f"""
WITH ev AS (
    SELECT DISTINCT person_id, event_id, event_day, dob_key
    FROM events WHERE event_day >= {start} AND event_day <= {as_of}
),
harm AS (SELECT person_id, event_id, MAX(harm) AS harm FROM event_harm GROUP BY person_id, event_id),
per_person AS (
    SELECT ev.person_id, COUNT(*) AS incidents, MAX(ev.event_day) AS last_day,
           MAX(COALESCE(h.harm, {_number(weights.non_crime_harm)})) AS max_harm,
           SUM(COALESCE(h.harm, {_number(weights.non_crime_harm)})) AS total_harm, MAX(ev.dob_key) AS dob_key
    FROM ev LEFT JOIN harm h ON h.person_id = ev.person_id AND h.event_id = ev.event_id
    GROUP BY ev.person_id
),
victim_events AS (
    SELECT ev.person_id, v.victim_id FROM event_victims v
    JOIN ev ON ev.event_id = v.event_id AND v.victim_id <> ev.person_id
),
victim_counts AS (
    SELECT person_id, COUNT(DISTINCT victim_id) AS victim_count FROM victim_events GROUP BY person_id
),
high_risk AS (
    SELECT DISTINCT ve.person_id FROM victim_events ve JOIN high_risk_victims h ON h.person_id = ve.victim_id
),
orders AS (SELECT DISTINCT person_id FROM active_orders),
wanted_people AS (SELECT DISTINCT person_id FROM wanted),
parts AS (
    SELECT p.person_id, p.incidents, COALESCE(vc.victim_count, 0) AS victim_count, p.last_day,
           CAST(ROUND(p.total_harm, 2) AS DECIMAL(18,2)) AS total_harm,
           CAST(ROUND({_number(weights.recency)} * (CASE {bands} ELSE 0 END), 4) AS DECIMAL(18,4)) AS recency,
           CAST(ROUND({_number(weights.frequency)} * LEAST(p.incidents, {int(weights.frequency_cap)}), 4)
                AS DECIMAL(18,4)) AS frequency,
           CAST(ROUND({_number(weights.gravity)} * LN(1 + CAST(p.max_harm AS DOUBLE)), 4) AS DECIMAL(18,4))
               AS gravity,
           CAST(ROUND({_number(weights.victims)} * COALESCE(vc.victim_count, 0), 4) AS DECIMAL(18,4)) AS victims,
           CONCAT_WS(';',
               CASE WHEN p.incidents > 1 AND COALESCE(vc.victim_count, 0) >= {int(weights.serial_min_victims)}
                         AND (p.dob_key IS NULL OR p.dob_key + {int(weights.serial_min_age) * 10000} <= {as_of_key})
                    THEN 'serial' END,
               CASE WHEN hr.person_id IS NOT NULL THEN 'victim-high-risk' END,
               CASE WHEN o.person_id IS NOT NULL THEN 'active-order' END,
               CASE WHEN w.person_id IS NOT NULL THEN 'wanted' END) AS flags
    FROM per_person p
    LEFT JOIN victim_counts vc ON vc.person_id = p.person_id
    LEFT JOIN high_risk hr ON hr.person_id = p.person_id
    LEFT JOIN orders o ON o.person_id = p.person_id
    LEFT JOIN wanted_people w ON w.person_id = p.person_id
),
scored AS (
    SELECT parts.*, CAST(recency + frequency + gravity + victims AS DECIMAL(18,4)) AS score FROM parts
)
SELECT ROW_NUMBER() OVER (ORDER BY score DESC, total_harm DESC, last_day DESC, person_id ASC) AS rank,
       person_id, score, recency, frequency, gravity, victims, total_harm, incidents, victim_count, last_day,
       flags
FROM scored
ORDER BY rank
"""  # noqa: S608 - numbers only, from the validated weights and the window


class Scored(NamedTuple):
    """One perpetrator's row as every engine returns it; `flags` in the order serial, victim-high-risk,
    active-order, wanted. (A named tuple: a large force has hundreds of thousands.)"""

    rank: int
    person_id: int
    score: Decimal
    recency: Decimal
    frequency: Decimal
    gravity: Decimal
    victims: Decimal
    total_harm: Decimal
    incidents: int
    victim_count: int
    last_incident_on: date
    flags: tuple[str, ...]


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """No cyclic garbage collection while hundreds of thousands of rows are built: they hold no cycles, and on a
    large force the collector, woken again and again by the new tuples, took as long as building them. Whoever
    found collection on turns it back on, so overlapping rankings in one process leave it on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scored_rows(rows: list[tuple[Any, ...]]) -> list[Scored]:
    """`Scored` rows from result rows of `rank_sql`'s columns (the decimals may come as text). Converted column
    by column, each distinct value once (the parts take a handful of values) and in C loops: a large force has
    hundreds of thousands of rows, and converting them one by one took seconds."""
    if not rows:
        return []
    columns: list[Any] = list(zip(*rows, strict=True))
    for index in (2, 3, 4, 5, 6, 7):  # score, the four parts, total_harm
        decimals = {value: Decimal(value) for value in set(columns[index])}
        columns[index] = map(decimals.__getitem__, columns[index])
    for index in (0, 1, 8, 9):
        columns[index] = map(int, columns[index])
    days = {value: EPOCH + timedelta(days=int(value)) for value in set(columns[10])}
    columns[10] = map(days.__getitem__, columns[10])
    marks = {value: tuple(value.split(";")) if value else () for value in set(columns[11])}
    columns[11] = map(marks.__getitem__, columns[11])
    make = tuple.__new__
    with bulk_allocation():
        return [make(Scored, row) for row in zip(*columns, strict=True)]
