"""The fairness report of a ranked list (issue 7 §5): who is at the top of the list, by area and by gender,
beside who all the DA suspects of the same window are, so a force can see whether its targeting is balanced.

Definitions (docs/harm-ranking-web.md says the same):
- the window is the list's, as the ranking job reads it: the UK-local days from `window_days` days before its
  as-of date up to and including the as-of date;
- the DA suspects of the window are the people who are a suspect on a DA incident, or on a DA crime recorded
  without an incident, that happened in the window (the events the ranking job scores);
- a person's area is the area of their most recent such incident or crime that has one (the incident's or
  crime's own area, else its location's), or else the area of their current address, or else "not known";
- a person's gender is the person record's; "unknown" is shown as "not recorded" and counted;
- the victims of a group are the people recorded as victims on those DA incidents and crimes.
Counts only: no one is named. Row-level security means people the reader may not see are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes.service import UK
from safeguard.imports.csvfiles import csv_text
from safeguard.people.models import GENDERS
from safeguard.targeting.models import HarmRanking

TOP_CHOICES = {"20": 20, "50": 50, "100": 100, "all": None}
DEFAULT_TOP = "50"
GENDER_LABELS = {"female": "Female", "male": "Male", "non-binary": "Non-binary", "unknown": "Not recorded"}
NOT_KNOWN = "Area not known"

# The DA events of the window: (person as suspect, when, area).
_EVENTS = """
WITH events AS (
    SELECT ip.person_id, i.occurred_at, COALESCE(i.area_id, l.area_id) AS area_id, i.id AS incident_id,
           NULL::bigint AS crime_id
    FROM incident i
    JOIN incident_person ip ON ip.incident_id = i.id AND ip.role = 'suspect'
    LEFT JOIN location l ON l.id = i.location_id
    WHERE i.da_related AND i.occurred_at >= :start AND i.occurred_at < :end
    UNION ALL
    SELECT s.person_id, c.occurred_at, COALESCE(c.area_id, l.area_id), NULL::bigint, c.id
    FROM crime c
    JOIN suspect s ON s.crime_id = c.id
    LEFT JOIN location l ON l.id = c.location_id
    WHERE c.da_related AND c.incident_id IS NULL AND c.occurred_at >= :start AND c.occurred_at < :end
),
suspects AS (SELECT DISTINCT person_id FROM events),
listed AS (
    SELECT person_id FROM harm_ranking_entry
    WHERE ranking_id = :ranking_id AND (CAST(:top AS integer) IS NULL OR rank <= CAST(:top AS integer))
)
"""

_MAKE_UP = text(_EVENTS + """,
population AS (SELECT person_id FROM suspects UNION SELECT person_id FROM listed),
event_area AS (
    SELECT DISTINCT ON (person_id) person_id, area_id FROM events
    WHERE area_id IS NOT NULL ORDER BY person_id, occurred_at DESC
),
home_area AS (
    SELECT DISTINCT ON (pa.person_id) pa.person_id, l.area_id
    FROM person_address pa JOIN location l ON l.id = pa.location_id
    WHERE pa.person_id IN (SELECT person_id FROM population) AND l.area_id IS NOT NULL
      AND (pa.to_date IS NULL OR pa.to_date >= :as_of) AND (pa.from_date IS NULL OR pa.from_date <= :as_of)
    ORDER BY pa.person_id, pa.from_date DESC NULLS LAST, pa.id DESC
),
people AS (
    SELECT p.id, p.gender, COALESCE(ea.area_id, ha.area_id) AS area_id,
           p.id IN (SELECT person_id FROM listed) AS is_listed,
           p.id IN (SELECT person_id FROM suspects) AS is_suspect
    FROM person p
    LEFT JOIN event_area ea ON ea.person_id = p.id
    LEFT JOIN home_area ha ON ha.person_id = p.id
    WHERE p.id IN (SELECT person_id FROM population)
)
SELECT GROUPING(people.area_id) = 0 AS by_area, people.area_id, a.name AS area_name, people.gender,
       count(*) FILTER (WHERE is_listed) AS listed, count(*) FILTER (WHERE is_suspect) AS suspects
FROM people LEFT JOIN area a ON a.id = people.area_id
GROUP BY GROUPING SETS ((people.area_id, a.name), (people.gender))
""")  # noqa: S608 - constant SQL text; every value is a bound parameter

_VICTIMS = text(_EVENTS + """,
victim_links AS (
    SELECT e.person_id AS suspect_id, ip.person_id AS victim_id
    FROM events e JOIN incident_person ip ON ip.incident_id = e.incident_id AND ip.role = 'victim'
    WHERE ip.person_id <> e.person_id
    UNION
    SELECT e.person_id, cp.person_id
    FROM events e JOIN crime_person cp ON cp.crime_id = e.crime_id AND cp.role = 'victim'
    WHERE cp.person_id <> e.person_id
),
victims AS (
    SELECT victim_id, bool_or(suspect_id IN (SELECT person_id FROM listed)) AS of_listed
    FROM victim_links GROUP BY victim_id
)
SELECT p.gender, count(*) FILTER (WHERE v.of_listed) AS listed, count(*) AS suspects
FROM victims v JOIN person p ON p.id = v.victim_id
GROUP BY p.gender
""")  # noqa: S608 - constant SQL text; every value is a bound parameter


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    listed: int
    listed_share: float | None  # 0..100, None when the column is empty
    suspects: int
    suspects_share: float | None


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    listed_total: int
    suspects_total: int


@dataclass(frozen=True)
class Report:
    ranking: HarmRanking
    top: int | None  # None: the whole list
    top_key: str
    start: date
    last: date
    by_area: Table
    by_gender: Table
    victims_by_gender: Table


def window(found: HarmRanking) -> tuple[date, date]:
    """The list's window as its first and last days (UK-local), as the ranking job reads it."""
    return found.as_of - timedelta(days=found.window_days), found.as_of


def _share(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None


def _table(counts: list[tuple[str, str, int, int]], *, keep_zero: bool) -> Table:
    listed_total = sum(c[2] for c in counts)
    suspects_total = sum(c[3] for c in counts)
    rows = [Row(key, label, listed, _share(listed, listed_total), suspects, _share(suspects, suspects_total))
            for key, label, listed, suspects in counts if keep_zero or listed or suspects]
    return Table(rows, listed_total, suspects_total)


def _by_gender(found: dict[str, tuple[int, int]]) -> Table:
    known = [g for g in GENDERS if g != "unknown"] + ["unknown"]
    others = sorted(g for g in found if g not in known)
    return _table([(g, GENDER_LABELS.get(g, g.capitalize()), *found.get(g, (0, 0))) for g in [*known, *others]],
                  keep_zero=True)


async def report(db: AsyncSession, actor: Actor, found: HarmRanking, top_key: str = DEFAULT_TOP, *,
                 via: str = "page") -> Report:
    """The make-up of the list's top `top_key` (20, 50, 100 or all) beside all the window's DA suspects."""
    top = TOP_CHOICES.get(top_key, TOP_CHOICES[DEFAULT_TOP])
    top_key = top_key if top_key in TOP_CHOICES else DEFAULT_TOP
    first, last = window(found)
    params = {"start": datetime.combine(first, time(), UK).astimezone(UTC),
              "end": datetime.combine(last + timedelta(days=1), time(), UK).astimezone(UTC),
              "as_of": found.as_of, "ranking_id": found.id, "top": top}
    areas: list[tuple[str, str, int, int]] = []
    genders: dict[str, tuple[int, int]] = {}
    for row in await db.execute(_MAKE_UP, params):
        if row.by_area:
            key = "none" if row.area_id is None else str(row.area_id)
            areas.append((key, row.area_name or NOT_KNOWN, int(row.listed), int(row.suspects)))
        else:
            genders[str(row.gender)] = (int(row.listed), int(row.suspects))
    areas.sort(key=lambda a: (a[0] == "none", a[1].lower()))
    victims = {str(row.gender): (int(row.listed), int(row.suspects)) for row in await db.execute(_VICTIMS, params)}
    await audit.record(db, action="harm_ranking.fairness", actor=actor, object_type="harm_ranking",
                       object_id=found.id, details={"top": top_key, "via": via})
    return Report(found, top, top_key, first, last, _table(areas, keep_zero=False), _by_gender(genders),
                  _by_gender(victims))


CSV_HEADER = ["section", "group", "listed", "listed_percent", "all_da_suspects", "all_da_suspects_percent"]
SECTIONS = (("area", "by_area"), ("gender", "by_gender"), ("victim_gender", "victims_by_gender"))


def to_csv(found: Report) -> str:
    def share(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    rows = []
    for section, attribute in SECTIONS:
        table: Table = getattr(found, attribute)
        rows += [[section, r.label, r.listed, share(r.listed_share), r.suspects, share(r.suspects_share)]
                 for r in table.rows]
        rows.append([section, "Total", table.listed_total, "", table.suspects_total, ""])
    return csv_text(CSV_HEADER, rows)
