"""Reading the stored harm-ranking lists: the latest and past lists, their entries page by page, one entry's
score explained in words with the weights of its version, and the CSV download. Every read is audited.

The lists are written by the ranking job (targeting/service.py); this module only reads them. Row-level
security hides another force's lists, and the entries of people the reader may not see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes.service import uk_time
from safeguard.imports.csvfiles import csv_text
from safeguard.people.models import Person
from safeguard.targeting.models import HarmRanking, HarmRankingEntry, HarmWeightSet
from safeguard.targeting.weights import HarmWeights, WeightsError, parse_weights

PAGE_SIZE = 50
# The flags the ranking job sets on an entry, in the force's words. An unknown flag is shown as it is stored.
FLAG_LABELS = {
    "serial": "Serial",
    "victim-high-risk": "Victim at high risk",
    "active-order": "Active order",
    "wanted": "Wanted",
}
FLAG_HINTS = {
    "serial": "suspect in DA incidents or crimes against two or more different victims in the window (DOMAIN.md §5.1)",
    "victim-high-risk": "a victim whose latest DASH risk assessment is high",
    "active-order": "subject of a protective order in force",
    "wanted": "wanted now as a suspect",
}
ENGINE_LABELS = {"duckdb": "DuckDB (one machine)", "spark": "Spark (national scale)", "postgres": "PostgreSQL SQL"}
# DOMAIN.md §5.3: the critique shown wherever a harm-ranked list is.
CRITIQUE = ("Harm indices built from sentencing under-score coercive control and stalking: use this list to start "
            "a conversation, not to end one.")
CRITIQUE_MORE = ("Scores come from crime codes and sentencing starting points, which give coercive control, stalking "
                 "and cumulative abuse low weights, and most domestic homicides happen where there was no earlier "
                 "police contact. A high place on the list is a reason to look at a person's history with partner "
                 "agencies; a low place is not a reason to stop looking.")
CSV_HEADER = ["rank", "person_id", "display_name", "score", "recency", "frequency", "gravity", "victims",
              "total_harm_days", "incidents", "victim_count", "last_incident_on", "flags"]


def flag_label(code: str) -> str:
    return FLAG_LABELS.get(code, code.replace("-", " ").replace("_", " ").capitalize())


@dataclass(frozen=True)
class Entry:
    id: int
    rank: int
    person_id: int
    display_name: str
    score: Decimal
    recency: Decimal
    frequency: Decimal
    gravity: Decimal
    victims: Decimal
    total_harm: Decimal
    incidents: int
    victim_count: int
    last_incident_on: date
    flags: list[str]

    @property
    def breakdown(self) -> dict[str, Decimal]:
        return {"recency": self.recency, "frequency": self.frequency, "gravity": self.gravity,
                "victims": self.victims}


@dataclass(frozen=True)
class EntryPage:
    entries: list[Entry]
    total: int  # entries matching the filter, on every page
    page: int
    pages: int


@dataclass(frozen=True)
class Line:
    """One part of a score, explained: "Recency", 5.00, "latest DA event 61 days ago ..."."""

    part: str
    value: Decimal
    words: str


@dataclass(frozen=True)
class Explained:
    entry: Entry
    ranking: HarmRanking
    weight_set: HarmWeightSet | None
    weights: HarmWeights | None  # None when the stored weights can no longer be read
    lines: list[Line]
    total_harm_words: str


# -- lists --------------------------------------------------------------------------------------------------

async def latest(db: AsyncSession) -> HarmRanking | None:
    """The force's newest list (the session is in the reader's force)."""
    found: HarmRanking | None = await db.scalar(
        select(HarmRanking).order_by(HarmRanking.computed_at.desc(), HarmRanking.id.desc()).limit(1))
    return found


async def ranking(db: AsyncSession, ranking_id: int) -> HarmRanking | None:
    """One list, or None when there is none with that number in the reader's force."""
    found: HarmRanking | None = await db.scalar(select(HarmRanking).where(HarmRanking.id == ranking_id))
    return found


async def history(db: AsyncSession, limit: int = 200) -> list[HarmRanking]:
    """The force's lists, newest first."""
    rows = await db.scalars(select(HarmRanking).order_by(HarmRanking.computed_at.desc(), HarmRanking.id.desc())
                            .limit(limit))
    return list(rows)


def _entry(row: HarmRankingEntry, forename: str, surname: str) -> Entry:
    return Entry(id=row.id, rank=row.rank, person_id=row.person_id, display_name=f"{forename} {surname}".strip(),
                 score=row.score, recency=row.recency, frequency=row.frequency, gravity=row.gravity,
                 victims=row.victims, total_harm=row.total_harm, incidents=row.incidents,
                 victim_count=row.victim_count, last_incident_on=row.last_incident_on, flags=list(row.flags or []))


def _entries_query(ranking_id: int, flag: str | None) -> Select[HarmRankingEntry, str, str]:
    query = (select(HarmRankingEntry, Person.forename, Person.surname)
             .join(Person, Person.id == HarmRankingEntry.person_id)
             .where(HarmRankingEntry.ranking_id == ranking_id))
    if flag:
        query = query.where(HarmRankingEntry.flags.contains([flag]))
    return query


async def entries_page(db: AsyncSession, ranking_id: int, *, flag: str | None = None, page: int = 1,
                       size: int = PAGE_SIZE) -> EntryPage:
    """One page of a list's entries in rank order, optionally only those carrying `flag`. A page past the
    end shows the last page."""
    counted = select(func.count()).select_from(_entries_query(ranking_id, flag).subquery())
    total = int(await db.scalar(counted) or 0)
    pages = max(1, math.ceil(total / size))
    page = min(max(page, 1), pages)
    rows = await db.execute(_entries_query(ranking_id, flag).order_by(HarmRankingEntry.rank)
                            .offset((page - 1) * size).limit(size))
    return EntryPage([_entry(e, forename, surname) for e, forename, surname in rows], total, page, pages)


async def top_entries(db: AsyncSession, ranking_id: int, top: int | None = None) -> list[Entry]:
    """The first `top` entries in rank order (all of them when `top` is None)."""
    query = _entries_query(ranking_id, None).order_by(HarmRankingEntry.rank)
    if top is not None:
        query = query.limit(top)
    return [_entry(e, forename, surname) for e, forename, surname in await db.execute(query)]


async def flags_in_use(db: AsyncSession, ranking_id: int) -> list[tuple[str, int]]:
    """Each flag on the list with how many entries carry it, the known flags first."""
    flags = (select(func.jsonb_array_elements_text(HarmRankingEntry.flags).label("flag"))
             .where(HarmRankingEntry.ranking_id == ranking_id).subquery())
    rows = await db.execute(select(flags.c.flag, func.count()).group_by(flags.c.flag))
    counts = {str(code): int(n) for code, n in rows}
    order = [code for code in FLAG_LABELS if code in counts] + sorted(c for c in counts if c not in FLAG_LABELS)
    return [(code, counts[code]) for code in order]


async def read_list(db: AsyncSession, actor: Actor, found: HarmRanking, *, via: str = "page",
                    details: dict[str, object] | None = None) -> None:
    """Audit a read of a list (names and scores of people) by page, API or download."""
    await audit.record(db, action="harm_ranking.read" if via != "csv" else "harm_ranking.exported", actor=actor,
                       object_type="harm_ranking", object_id=found.id, details={"via": via, **(details or {})})


async def list_csv(db: AsyncSession, actor: Actor, found: HarmRanking) -> str:
    """The whole list as CSV (cells a spreadsheet would run are neutralised). The download is audited."""
    rows = await top_entries(db, found.id)
    await read_list(db, actor, found, via="csv", details={"rows": len(rows)})
    return csv_text(CSV_HEADER, ([e.rank, e.person_id, e.display_name, e.score, e.recency, e.frequency, e.gravity,
                                  e.victims, e.total_harm, e.incidents, e.victim_count, e.last_incident_on.isoformat(),
                                  ";".join(e.flags)] for e in rows))


# -- one entry explained -------------------------------------------------------------------------------------

async def weights_of(db: AsyncSession, found: HarmRanking) -> tuple[HarmWeightSet | None, HarmWeights | None]:
    weight_set = await db.scalar(select(HarmWeightSet).where(HarmWeightSet.id == found.weight_set_id))
    if weight_set is None:
        return None, None
    try:
        return weight_set, parse_weights(weight_set.weights)
    except WeightsError:
        return weight_set, None


async def explain_entry(db: AsyncSession, actor: Actor, ranking_id: int, entry_id: int) -> Explained | None:
    """One person's place on a list, each part of the score in words. Audited as a read of the person."""
    found = await ranking(db, ranking_id)
    if found is None:
        return None
    row = (await db.execute(_entries_query(ranking_id, None).where(HarmRankingEntry.id == entry_id))).first()
    if row is None:
        return None
    entry = _entry(row[0], row[1], row[2])
    weight_set, weights = await weights_of(db, found)
    await audit.record_read(db, actor, "person", entry.person_id,
                            reason=f"harm ranking breakdown (list {found.id}, rank {entry.rank})")
    lines, harm_words = explain(entry, found.as_of, weights)
    return Explained(entry, found, weight_set, weights, lines, harm_words)


def _n(value: float | Decimal, places: int = 2) -> str:
    return f"{float(value):,.{places}f}"


def _w(value: float) -> str:
    """A weight as people write it: 1, 2.5 (not 1.0, 2.50)."""
    return f"{value:g}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def explain(entry: Entry, as_of: date, weights: HarmWeights | None) -> tuple[list[Line], str]:
    """Each part of the score in words, following the definition in targeting/weights.py."""
    days = (as_of - entry.last_incident_on).days
    months = days / 30
    ago = f"latest DA incident or crime {_plural(days, 'day')} ago ({months:.1f} months)"
    harm_words = (f"Total harm {_n(entry.total_harm)} days: the harm weights (days, from the offence catalogue) of "
                  f"the {_plural(entry.incidents, 'DA event')} in the window added up.")
    if weights is None:
        return ([Line("Recency", entry.recency, ago + "; the weights of this version could not be read"),
                 Line("Frequency", entry.frequency, _plural(entry.incidents, "DA event") + " in the window"),
                 Line("Gravity", entry.gravity, "from the most harmful event in the window"),
                 Line("Victims", entry.victims, _plural(entry.victim_count, "different victim"))], harm_words)

    band = next(((limit, points) for limit, points in weights.recency_bands if months <= limit), None)
    if band is None:
        last = weights.recency_bands[-1][0]
        recency = f"{ago}, beyond the last band ({last} months), so it scores 0"
    else:
        recency = (f"{ago}; the band up to {band[0]} months scores {_w(band[1])} "
                   f"× weight {_w(weights.recency)}")
    counted = min(entry.incidents, weights.frequency_cap)
    frequency = (f"{_plural(entry.incidents, 'DA event')} in the window"
                 + (f", counted up to the cap of {weights.frequency_cap}" if entry.incidents > counted else "")
                 + f": {counted:,} × weight {_w(weights.frequency)}")
    if weights.gravity > 0:
        # The list stores the weighted gravity; the harm of the worst event is what it was made from.
        worst = math.exp(float(entry.gravity) / weights.gravity) - 1
        gravity = (f"the most harmful event weighs about {_n(worst, 0)} days; ln(1 + {_n(worst, 0)}) = "
                   f"{_n(float(entry.gravity) / weights.gravity)} × weight {_w(weights.gravity)}")
    else:
        gravity = "the gravity weight of this version is 0, so the most harmful event does not count"
    victims = f"{_plural(entry.victim_count, 'different victim')} × weight {_w(weights.victims)}"
    return ([Line("Recency", entry.recency, recency), Line("Frequency", entry.frequency, frequency),
             Line("Gravity", entry.gravity, gravity), Line("Victims", entry.victims, victims)], harm_words)


def when(value: datetime) -> str:
    return uk_time(value).strftime("%d %b %Y %H:%M")
