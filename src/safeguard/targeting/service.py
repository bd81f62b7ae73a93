"""Ranking a force's DA perpetrators by harm, and keeping each ranked list with the weight version it used.

The extract reads through the caller's own session connection, in its transaction and under the force
context (and user) it set, so row-level security decides what enters the ranking: a person the reader may
not see (another force's, or a restricted person without a grant) is not ranked at all. Victims are counted
whether or not the reader may see them (see job.py).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.targeting.engines import run_duckdb, run_postgres, run_spark
from safeguard.targeting.job import UK, Scored, Window, extract
from safeguard.targeting.models import ENGINES, HarmRanking, HarmRankingEntry
from safeguard.targeting.weights import HarmWeights, WeightsError, parse_weights, weight_set

DEFAULT_WINDOW_DAYS = 1095  # three years, as Northumbria's serial-perpetrator definition (DOMAIN.md §5.1)
_INSERT_CHUNK = 50_000


@dataclass(frozen=True)
class RankedPerpetrator:
    rank: int
    person_id: int
    display_name: str
    score: Decimal
    recency: Decimal  # each part already weighted: the four sum to the score
    frequency: Decimal
    gravity: Decimal
    victims: Decimal
    total_harm: Decimal
    incidents: int
    victim_count: int
    last_incident_on: date
    flags: list[str]


def uk_today() -> date:
    return datetime.now(UK).date()


def display_name(forename: str, surname: str) -> str:
    """As `Person.display_name` shows a person on the people pages."""
    return f"{forename} {surname}".strip()


async def driver_connection(db: AsyncSession) -> Any:
    """The psycopg connection under the session: the same connection, in the same transaction."""
    await db.flush()
    connection = await db.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def score(db: AsyncSession, force_id: int, *, window_days: int, weights: HarmWeights, as_of: date,
                engine: str = "duckdb") -> list[Scored]:
    """Every visible perpetrator's score and breakdown, ranked, without names."""
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine '{engine}'. Choose one of: {', '.join(ENGINES)}.")
    window = Window(as_of, window_days)
    if engine == "postgres":
        return await run_postgres(db, force_id, weights, window)
    conn = await driver_connection(db)
    with tempfile.TemporaryDirectory(prefix="sg-harm-") as folder:
        found = await extract(conn, force_id, window, Path(folder))
        # The engines hold the CPU for a while: off the event loop, so a server stays responsive.
        run = run_duckdb if engine == "duckdb" else run_spark
        return await asyncio.to_thread(run, found, weights)


async def _names(db: AsyncSession, person_ids: list[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = await db.execute(text("SELECT id, forename, surname FROM person WHERE id = ANY(:ids)"),
                            {"ids": person_ids})
    return {int(pid): display_name(forename, surname) for pid, forename, surname in rows}


def _ranked(row: Scored, name: str) -> RankedPerpetrator:
    return RankedPerpetrator(rank=row.rank, person_id=row.person_id, display_name=name, score=row.score,
                             recency=row.recency, frequency=row.frequency, gravity=row.gravity,
                             victims=row.victims, total_harm=row.total_harm, incidents=row.incidents,
                             victim_count=row.victim_count, last_incident_on=row.last_incident_on,
                             flags=list(row.flags))


async def compute(db: AsyncSession, force_id: int, *, window_days: int, weights: HarmWeights, as_of: date,
                  engine: str = "duckdb", top: int | None = None) -> list[RankedPerpetrator]:
    """The ranked list, best first (`top` keeps the first N). The caller has set the force context."""
    rows = await score(db, force_id, window_days=window_days, weights=weights, as_of=as_of, engine=engine)
    return await named(db, rows[:top] if top is not None else rows)


async def named(db: AsyncSession, rows: list[Scored]) -> list[RankedPerpetrator]:
    """Scored rows with each person's name as the people pages show it."""
    names = await _names(db, [row.person_id for row in rows])
    return [_ranked(row, names.get(row.person_id, "")) for row in rows]


_INSERT_ENTRIES = text("""
INSERT INTO harm_ranking_entry (force_id, ranking_id, rank, person_id, score, recency, frequency, gravity, victims,
                                total_harm, incidents, victim_count, last_incident_on, flags)
SELECT :force_id, :ranking_id, e.rank, e.person_id, e.score, e.recency, e.frequency, e.gravity, e.victims,
       e.total_harm, e.incidents, e.victim_count, e.last_on, CAST(e.flags AS jsonb)
FROM unnest(CAST(:rank AS int[]), CAST(:person_id AS bigint[]), CAST(:score AS numeric[]),
            CAST(:recency AS numeric[]), CAST(:frequency AS numeric[]), CAST(:gravity AS numeric[]),
            CAST(:victims AS numeric[]), CAST(:total_harm AS numeric[]), CAST(:incidents AS int[]),
            CAST(:victim_count AS int[]), CAST(:last_on AS date[]), CAST(:flags AS text[]))
     AS e(rank, person_id, score, recency, frequency, gravity, victims, total_harm, incidents, victim_count,
          last_on, flags)
""")


async def _store_entries(db: AsyncSession, force_id: int, ranking_id: int, rows: list[Scored]) -> None:
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = rows[start:start + _INSERT_CHUNK]
        await db.execute(_INSERT_ENTRIES, {
            "force_id": force_id, "ranking_id": ranking_id,
            "rank": [r.rank for r in chunk], "person_id": [r.person_id for r in chunk],
            "score": [r.score for r in chunk], "recency": [r.recency for r in chunk],
            "frequency": [r.frequency for r in chunk], "gravity": [r.gravity for r in chunk],
            "victims": [r.victims for r in chunk], "total_harm": [r.total_harm for r in chunk],
            "incidents": [r.incidents for r in chunk], "victim_count": [r.victim_count for r in chunk],
            "last_on": [r.last_incident_on for r in chunk], "flags": [json.dumps(list(r.flags)) for r in chunk],
        })


async def rank_and_store(db: AsyncSession, force_id: int, *, window_days: int = DEFAULT_WINDOW_DAYS,
                         weight_version: int | None = None, as_of: date | None = None, engine: str = "duckdb",
                         computed_by: str, computed_by_id: int | None = None) -> HarmRanking:
    """Rank with the given weight version (default: the newest) and keep the whole list.

    Raises WeightsError for a version the force does not have, ValueError for an unknown engine or a window
    that is not positive."""
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine '{engine}'. Choose one of: {', '.join(ENGINES)}.")
    if window_days <= 0:
        raise ValueError("The window must be at least one day long.")
    chosen = await weight_set(db, force_id, weight_version)
    weights = parse_weights(chosen.weights)
    as_of = as_of or uk_today()
    started = time.perf_counter()
    rows = await score(db, force_id, window_days=window_days, weights=weights, as_of=as_of, engine=engine)
    seconds = time.perf_counter() - started
    ranking = HarmRanking(force_id=force_id, weight_set_id=chosen.id, weight_version=chosen.version, as_of=as_of,
                          window_days=window_days, engine=engine, perpetrators=len(rows),
                          computed_by=computed_by[:140], computed_by_id=computed_by_id,
                          seconds=Decimal(f"{seconds:.3f}"))
    db.add(ranking)
    await db.flush()
    await _store_entries(db, force_id, ranking.id, rows)
    await audit.record(db, action="targets.ranking_computed", actor_label=computed_by, force_id=force_id,
                       object_type="harm_ranking", object_id=ranking.id,
                       details={"engine": engine, "weight_version": chosen.version, "window_days": window_days,
                                "as_of": as_of.isoformat(), "perpetrators": len(rows)})
    return ranking


async def latest_ranking(db: AsyncSession, force_id: int) -> HarmRanking | None:
    return await db.scalar(select(HarmRanking).where(HarmRanking.force_id == force_id)
                           .order_by(HarmRanking.computed_at.desc(), HarmRanking.id.desc()).limit(1))


async def stored_entries(db: AsyncSession, ranking_id: int, *, top: int | None = None) -> list[RankedPerpetrator]:
    """A stored list's entries the reader may see, by rank, with each person's name as it is now."""
    query = (select(HarmRankingEntry).where(HarmRankingEntry.ranking_id == ranking_id)
             .order_by(HarmRankingEntry.rank))
    if top is not None:
        query = query.limit(top)
    entries = list(await db.scalars(query))
    names = await _names(db, [e.person_id for e in entries])
    return [RankedPerpetrator(rank=e.rank, person_id=e.person_id, display_name=names.get(e.person_id, ""),
                              score=e.score, recency=e.recency, frequency=e.frequency, gravity=e.gravity,
                              victims=e.victims, total_harm=e.total_harm, incidents=e.incidents,
                              victim_count=e.victim_count, last_incident_on=e.last_incident_on,
                              flags=list(e.flags)) for e in entries]


__all__ = ["DEFAULT_WINDOW_DAYS", "RankedPerpetrator", "WeightsError", "compute", "latest_ranking",
           "named", "rank_and_store", "score", "stored_entries", "uk_today"]
