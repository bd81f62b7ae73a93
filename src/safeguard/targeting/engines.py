"""Where the ranking runs: DuckDB in-process, Spark (local here, a cluster at national scale), or plain SQL
on PostgreSQL itself (the benchmark's baseline and a third, independently written cross-check).

DuckDB and Spark run the same text, `job.rank_sql`, over the same extract files. The PostgreSQL version is
written separately, in PostgreSQL's own idioms, straight on the tables: when the three agree, the definition
and both SQL texts are right together.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.targeting.job import COLUMNS, Extract, Scored, Window, bulk_allocation, rank_sql, scored_rows
from safeguard.targeting.weights import HarmWeights

if TYPE_CHECKING:
    from pyspark.sql import SparkSession



def _duckdb_columns(table: str) -> str:
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS[table]) + "}"


def _duckdb_views(con: Any, found: Extract) -> None:
    for table in COLUMNS:
        path = str(found.path(table)).replace("'", "''")
        # Table names and types come from COLUMNS; the path is ours, quoted. No user input reaches this.
        con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_csv('{path}', "  # noqa: S608
                    "header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"', nullstr = '', "
                    f"columns = {_duckdb_columns(table)})")


_AS_TEXT = ", ".join(f"CAST({column} AS VARCHAR)" for column in
                     ("score", "recency", "frequency", "gravity", "victims", "total_harm"))


def run_duckdb(found: Extract, weights: HarmWeights) -> list[Scored]:
    """Rank with DuckDB in this process, reading the extract's CSV files."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        _duckdb_views(con, found)
        # Decimals come out of DuckDB as text: its conversion to Python Decimal is much slower than Decimal(text).
        result = con.execute(f"SELECT rank, person_id, {_AS_TEXT}, incidents, victim_count, last_day, flags "  # noqa: S608
                             f"FROM ({rank_sql(weights, found.window)}) ranked ORDER BY rank")
        with bulk_allocation():
            rows = result.fetchall()
    finally:
        con.close()
    return scored_rows(rows)


def to_parquet(found: Extract) -> None:
    """Write each extract file again as Parquet, with its types, for Spark (done by DuckDB)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        _duckdb_views(con, found)
        for table in COLUMNS:
            target = str(found.path(table, "parquet")).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet)")  # noqa: S608
    finally:
        con.close()


_spark_lock = threading.Lock()
_spark: SparkSession | None = None


def spark_session() -> SparkSession:
    """One local Spark per process (starting the JVM takes seconds): two cores, no UI, few partitions."""
    global _spark
    with _spark_lock:
        if _spark is None:
            from pyspark.sql import SparkSession

            _spark = (SparkSession.builder.master("local[2]").appName("safeguard-harm-ranking")
                      .config("spark.ui.enabled", "false")
                      .config("spark.sql.shuffle.partitions", "2")
                      .config("spark.driver.host", "127.0.0.1")
                      .config("spark.driver.bindAddress", "127.0.0.1")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.driver.memory", "1g")
                      .config("spark.ui.showConsoleProgress", "false")
                      .getOrCreate())
            _spark.sparkContext.setLogLevel("ERROR")
        return _spark


def stop_spark() -> None:
    global _spark
    with _spark_lock:
        if _spark is not None:
            _spark.stop()
            _spark = None


def run_spark(found: Extract, weights: HarmWeights) -> list[Scored]:
    """Rank with Spark SQL, reading the extract as Parquet; the same SQL text as DuckDB runs."""
    to_parquet(found)
    spark = spark_session()
    with _spark_lock:  # temp views are per session: one ranking at a time
        for table in COLUMNS:
            spark.read.parquet(str(found.path(table, "parquet"))).createOrReplaceTempView(table)
        rows = spark.sql(rank_sql(weights, found.window)).collect()
    return scored_rows([tuple(row) for row in rows])


# The same ranking, written straight on the tables in PostgreSQL's own terms. Runs under the caller's
# row-level security like the extract does.
POSTGRES_SQL = text("""
WITH bounds AS (
    SELECT (CAST(:as_of AS date) - CAST(:window_days AS int)) AS first_day, CAST(:as_of AS date) AS last_day
),
incident_events AS (
    SELECT DISTINCT ip.person_id, i.id AS incident_id, (i.occurred_at AT TIME ZONE 'Europe/London')::date AS event_on
    FROM incident i
    JOIN incident_person ip ON ip.incident_id = i.id AND ip.role = 'suspect'
    JOIN person p ON p.id = ip.person_id
    CROSS JOIN bounds b
    WHERE i.da_related AND i.force_id = :force_id
      AND (i.occurred_at AT TIME ZONE 'Europe/London')::date BETWEEN b.first_day AND b.last_day
),
crime_events AS (
    SELECT DISTINCT s.person_id, c.id AS crime_id, (c.occurred_at AT TIME ZONE 'Europe/London')::date AS event_on
    FROM crime c
    JOIN suspect s ON s.crime_id = c.id
    JOIN person p ON p.id = s.person_id
    CROSS JOIN bounds b
    WHERE c.da_related AND c.incident_id IS NULL AND c.force_id = :force_id
      AND (c.occurred_at AT TIME ZONE 'Europe/London')::date BETWEEN b.first_day AND b.last_day
),
offence_harm AS (
    SELECT co.crime_id, max(o.harm_weight) AS harm
    FROM crime_offence co JOIN offence o ON o.id = co.offence_id
    WHERE co.force_id = :force_id GROUP BY co.crime_id
),
suspect_harm AS (  -- a person's highest harm on the crimes of an incident in which they are a suspect
    SELECT s.person_id, c.incident_id, max(oh.harm) AS harm
    FROM crime c JOIN suspect s ON s.crime_id = c.id JOIN offence_harm oh ON oh.crime_id = c.id
    WHERE c.force_id = :force_id AND c.incident_id IS NOT NULL
    GROUP BY s.person_id, c.incident_id
),
events AS (
    SELECT e.person_id, e.event_on, coalesce(sh.harm, CAST(:non_crime_harm AS numeric)) AS harm
    FROM incident_events e
    LEFT JOIN suspect_harm sh ON sh.person_id = e.person_id AND sh.incident_id = e.incident_id
    UNION ALL
    SELECT e.person_id, e.event_on, coalesce(oh.harm, CAST(:non_crime_harm AS numeric))
    FROM crime_events e LEFT JOIN offence_harm oh ON oh.crime_id = e.crime_id
),
victims AS (
    SELECT e.person_id, v.person_id AS victim_id
    FROM incident_events e JOIN incident_person v ON v.incident_id = e.incident_id AND v.role = 'victim'
    WHERE v.person_id <> e.person_id
    UNION
    SELECT e.person_id, v.person_id
    FROM crime_events e JOIN crime_person v ON v.crime_id = e.crime_id AND v.role = 'victim'
    WHERE v.person_id <> e.person_id
),
victim_counts AS (SELECT person_id, count(*) AS victim_count FROM victims GROUP BY person_id),
latest_dash AS (
    SELECT DISTINCT ON (victim_id) victim_id, final_level FROM risk_assessment
    WHERE force_id = :force_id ORDER BY victim_id, assessed_at DESC, id DESC
),
high_risk AS (
    SELECT DISTINCT v.person_id FROM victims v JOIN latest_dash d ON d.victim_id = v.victim_id
    WHERE d.final_level = 'high'
),
ordered AS (
    SELECT DISTINCT subject_id AS person_id FROM protective_order WHERE force_id = :force_id AND status = 'active'
),
wanted AS (SELECT DISTINCT person_id FROM suspect WHERE force_id = :force_id AND status = 'wanted'),
people AS (
    SELECT e.person_id, count(*) AS incidents, max(e.event_on) AS last_on, max(e.harm) AS max_harm,
           sum(e.harm) AS total_harm
    FROM events e GROUP BY e.person_id
),
parts AS (
    SELECT pp.person_id, pp.incidents, pp.last_on, round(pp.total_harm, 2) AS total_harm,
           coalesce(vc.victim_count, 0) AS victim_count,
           round(CAST(:w_recency AS numeric) * coalesce(
               (SELECT b.points FROM unnest(CAST(:band_months AS int[]), CAST(:band_points AS numeric[]))
                    AS b(months, points)
                WHERE (CAST(:as_of AS date) - pp.last_on) / 30.0 <= b.months ORDER BY b.months LIMIT 1), 0), 4)
               AS recency,
           round(CAST(:w_frequency AS numeric) * least(pp.incidents, CAST(:frequency_cap AS int)), 4) AS frequency,
           round(CAST(CAST(:w_gravity AS numeric) * ln(1 + CAST(pp.max_harm AS double precision)) AS numeric), 4)
               AS gravity,
           round(CAST(:w_victims AS numeric) * coalesce(vc.victim_count, 0), 4) AS victims,
           array_to_string(ARRAY[
               CASE WHEN pp.incidents > 1 AND coalesce(vc.victim_count, 0) >= CAST(:serial_min_victims AS int)
                         AND (per.dob_year IS NULL
                              OR (per.dob_year + CAST(:serial_min_age AS int), coalesce(per.dob_month, 1),
                                  coalesce(per.dob_day, 1))
                                 <= (extract(year FROM CAST(:as_of AS date))::int,
                                     extract(month FROM CAST(:as_of AS date))::int,
                                     extract(day FROM CAST(:as_of AS date))::int))
                    THEN 'serial' END,
               CASE WHEN hr.person_id IS NOT NULL THEN 'victim-high-risk' END,
               CASE WHEN o.person_id IS NOT NULL THEN 'active-order' END,
               CASE WHEN w.person_id IS NOT NULL THEN 'wanted' END], ';') AS flags
    FROM people pp
    JOIN person per ON per.id = pp.person_id
    LEFT JOIN victim_counts vc ON vc.person_id = pp.person_id
    LEFT JOIN high_risk hr ON hr.person_id = pp.person_id
    LEFT JOIN ordered o ON o.person_id = pp.person_id
    LEFT JOIN wanted w ON w.person_id = pp.person_id
)
SELECT row_number() OVER (ORDER BY recency + frequency + gravity + victims DESC, total_harm DESC, last_on DESC,
                                   person_id) AS rank,
       person_id, recency + frequency + gravity + victims AS score, recency, frequency, gravity, victims,
       total_harm, incidents, victim_count, last_on - DATE '1970-01-01' AS last_day, flags
FROM parts
ORDER BY rank
""")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def postgres_params(force_id: int, weights: HarmWeights, window: Window) -> dict[str, Any]:
    return {
        "force_id": force_id, "as_of": window.as_of, "window_days": window.days,
        "non_crime_harm": _decimal(weights.non_crime_harm),
        "band_months": [int(months) for months, _ in weights.recency_bands],
        "band_points": [_decimal(points) for _, points in weights.recency_bands],
        "w_recency": _decimal(weights.recency), "w_frequency": _decimal(weights.frequency),
        "frequency_cap": weights.frequency_cap, "w_gravity": _decimal(weights.gravity),
        "w_victims": _decimal(weights.victims), "serial_min_victims": weights.serial_min_victims,
        "serial_min_age": weights.serial_min_age,
    }


async def run_postgres(db: AsyncSession, force_id: int, weights: HarmWeights, window: Window) -> list[Scored]:
    """Rank with one PostgreSQL query on the tables, in the caller's transaction (force context set)."""
    result = await db.execute(POSTGRES_SQL, postgres_params(force_id, weights, window))
    return scored_rows([tuple(row) for row in result])
