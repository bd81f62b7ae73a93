"""The harm-ranking job: one definition, run by DuckDB here and by Spark at national scale.

Two steps. The extract reads a force's inputs from PostgreSQL with `COPY ... TO STDOUT`, through the caller's
own connection (so under its row-level security), into CSV files in a temporary folder. Then ONE SQL text,
`rank_sql`, computes every perpetrator's score from those files; DuckDB and Spark SQL both run it unchanged
(engines.py). The score is the one defined in `safeguard.targeting.weights` (that docstring is the contract).

The files hold ids, day numbers, harm weights and dates of birth as numbers: no names or addresses.

    events(person_id, event_id, event_day, harm, dob_key)
        one row per perpetrator and event inside the window. event_id is the incident's id, or minus the
        crime's id for a DA crime with no incident. event_day counts days since 1970-01-01 (UK local date).
        harm is the highest harm weight of the offences on the person's crimes of that event, empty when no
        crime was recorded against them (the ranking then uses the weights' non_crime_harm). dob_key is
        year*10000 + month*100 + day of the date of birth (a missing month or day counts as 1), or empty.
    event_victims(person_id, event_id, victim_id)     the event's victims other than the person themself
    high_risk_victims(person_id)                      people whose latest DASH ended at 'high'
    active_orders(person_id)                          subjects of an active protective order
    wanted(person_id)                                 people with any suspect record at 'wanted'

Only people the reader may see are ranked: the extract joins the perpetrator to `person`, which row-level
security filters (another force's people, and restricted people without a grant, are not there). Victims are
counted whether or not the reader may see them: a count names no one, and a perpetrator whose victim is in a
refuge must not rank lower for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from psycopg import sql

from safeguard.targeting.weights import HarmWeights

if TYPE_CHECKING:
    import psycopg

UK = ZoneInfo("Europe/London")
EPOCH = date(1970, 1, 1)

# Column names and types of each extract file, as DuckDB and Spark read them.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "events": (("person_id", "BIGINT"), ("event_id", "BIGINT"), ("event_day", "INTEGER"),
               ("harm", "DECIMAL(14,2)"), ("dob_key", "INTEGER")),
    "event_victims": (("person_id", "BIGINT"), ("event_id", "BIGINT"), ("victim_id", "BIGINT")),
    "high_risk_victims": (("person_id", "BIGINT"),),
    "active_orders": (("person_id", "BIGINT"),),
    "wanted": (("person_id", "BIGINT"),),
}

# The DA incidents each visible person is a suspect in, inside the window ({start} and {end} are UTC instants
# of the UK-local midnights that bound it).
_INCIDENT_EVENTS = """
    SELECT DISTINCT ip.person_id, i.id AS incident_id, i.occurred_at
    FROM incident i
    JOIN incident_person ip ON ip.incident_id = i.id AND ip.role = 'suspect'
    WHERE i.force_id = {force} AND i.da_related AND i.occurred_at >= {start} AND i.occurred_at < {end}
"""
_CRIME_EVENTS = """
    SELECT DISTINCT s.person_id, c.id AS crime_id, c.occurred_at
    FROM crime c
    JOIN suspect s ON s.crime_id = c.id
    WHERE c.force_id = {force} AND c.da_related AND c.incident_id IS NULL
      AND c.occurred_at >= {start} AND c.occurred_at < {end}
"""
_DAY = "((({at}) AT TIME ZONE 'Europe/London')::date - DATE '1970-01-01')"
_DOB_KEY = "(p.dob_year * 10000 + coalesce(p.dob_month, 1) * 100 + coalesce(p.dob_day, 1))"

EXTRACT_SQL: dict[str, str] = {
    "events": f"""
        WITH inc AS ({_INCIDENT_EVENTS}),
        crime_harm AS (
            SELECT s.person_id, c.incident_id, max(o.harm_weight) AS harm
            FROM crime c
            JOIN suspect s ON s.crime_id = c.id
            JOIN crime_offence co ON co.crime_id = c.id
            JOIN offence o ON o.id = co.offence_id
            WHERE c.force_id = {{force}} AND c.incident_id IN (SELECT incident_id FROM inc)
            GROUP BY s.person_id, c.incident_id
        ),
        cri AS ({_CRIME_EVENTS})
        SELECT inc.person_id, inc.incident_id, {_DAY.format(at="inc.occurred_at")}, ch.harm, {_DOB_KEY}
        FROM inc
        JOIN person p ON p.id = inc.person_id
        LEFT JOIN crime_harm ch ON ch.person_id = inc.person_id AND ch.incident_id = inc.incident_id
        UNION ALL
        SELECT cri.person_id, -cri.crime_id, {_DAY.format(at="cri.occurred_at")},
               (SELECT max(o.harm_weight) FROM crime_offence co JOIN offence o ON o.id = co.offence_id
                WHERE co.crime_id = cri.crime_id), {_DOB_KEY}
        FROM cri
        JOIN person p ON p.id = cri.person_id
    """,  # noqa: S608 - fixed fragments; the values are bound as literals by extract_statements
    "event_victims": f"""
        WITH inc AS ({_INCIDENT_EVENTS}), cri AS ({_CRIME_EVENTS})
        SELECT DISTINCT inc.person_id, inc.incident_id, v.person_id
        FROM inc
        JOIN person p ON p.id = inc.person_id
        JOIN incident_person v ON v.incident_id = inc.incident_id AND v.role = 'victim'
        WHERE v.person_id <> inc.person_id
        UNION
        SELECT cri.person_id, -cri.crime_id, v.person_id
        FROM cri
        JOIN person p ON p.id = cri.person_id
        JOIN crime_person v ON v.crime_id = cri.crime_id AND v.role = 'victim'
        WHERE v.person_id <> cri.person_id
    """,  # noqa: S608
    "high_risk_victims": """
        SELECT victim_id FROM (
            SELECT DISTINCT ON (victim_id) victim_id, final_level
            FROM risk_assessment WHERE force_id = {force}
            ORDER BY victim_id, assessed_at DESC, id DESC
        ) latest WHERE final_level = 'high'
    """,
    "active_orders": "SELECT DISTINCT subject_id FROM protective_order WHERE force_id = {force} AND status = 'active'",
    "wanted": "SELECT DISTINCT person_id FROM suspect WHERE force_id = {force} AND status = 'wanted'",
}


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
    start, end = window.instants()
    values = {"force": sql.Literal(int(force_id)), "start": sql.Literal(start), "end": sql.Literal(end)}
    return {table: sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(sql.SQL(query).format(**values))
            for table, query in EXTRACT_SQL.items()}


async def extract(conn: psycopg.AsyncConnection[object], force_id: int, window: Window, folder: Path) -> Extract:
    """Write the job's input files from PostgreSQL through `conn`, which is in the caller's transaction with
    the force context set; returns where they are and how many rows each has."""
    started = time.perf_counter()
    found = Extract(folder, window)
    async with conn.cursor() as cur:
        for table, statement in extract_statements(force_id, window).items():
            with found.path(table).open("wb") as out:
                async with cur.copy(statement) as copy:
                    async for chunk in copy:
                        out.write(chunk)
            found.rows[table] = cur.rowcount
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
    SELECT person_id, event_id, event_day, COALESCE(harm, {_number(weights.non_crime_harm)}) AS harm, dob_key
    FROM events WHERE event_day >= {start} AND event_day <= {as_of}
),
per_person AS (
    SELECT person_id, COUNT(*) AS incidents, MAX(event_day) AS last_day, MAX(harm) AS max_harm,
           SUM(harm) AS total_harm, MAX(dob_key) AS dob_key
    FROM ev GROUP BY person_id
),
victim_events AS (
    SELECT v.person_id, v.victim_id FROM event_victims v
    JOIN ev ON ev.person_id = v.person_id AND ev.event_id = v.event_id
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


@dataclass(frozen=True)
class Scored:
    """One perpetrator's row as every engine returns it; `flags` in the order serial, victim-high-risk,
    active-order, wanted."""

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

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> Scored:
        (rank, person_id, score, recency, frequency, gravity, victims, total_harm, incidents, victim_count,
         last_day, flags) = row
        return cls(int(rank), int(person_id), Decimal(str(score)), Decimal(str(recency)),  # type: ignore[call-overload]
                   Decimal(str(frequency)), Decimal(str(gravity)), Decimal(str(victims)), Decimal(str(total_harm)),
                   int(incidents), int(victim_count), from_day_number(last_day),  # type: ignore[call-overload,arg-type]
                   tuple(flag for flag in str(flags or "").split(";") if flag))
