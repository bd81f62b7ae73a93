"""Demo operations: Operation Kestrel, a closed week a month ago, and Operation Harbour, a week running now, on
the demo force, so the operation pages, the officers' phone pages, the live board and the results have
something to show. Synthetic data only.

Harbour has about 25 targets from the latest harm ranking (or, without one, the wanted DA suspects), split
across public protection, operational support and local policing; attempts planned for today and tomorrow;
and recorded outcomes from the last days, a few of them arrests. Every arrest keeps the suspect lifecycle as
the application does: the arrest and its offences, the suspect moved to arrested with its event, the target
arrested and the attempt holding the arrest. Kestrel's arrested suspects were released under investigation
the next day. Idempotent: nothing is added when Operation Harbour already exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from safeguard.crimes.service import UK
from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.operations.models import TARGET_TEAM_KINDS
from safeguard.operations.service import uk_today

HARBOUR = "Operation Harbour"
KESTREL = "Operation Kestrel"
HARBOUR_TARGETS = 25
KESTREL_TARGETS = 8
BY = "demo seed"
OFFICER = "officer"  # the demo response officer records the outcomes
TEAM_NAMES = {"public_protection": "Public Protection Unit", "operational_support": "Operational Support",
              "local_policing": "Local Policing"}
MISSES = [("not-present", "No answer; curtains drawn. Card left."),
          ("address-invalid", "New tenants since the spring; no forwarding address."),
          ("wanted-elsewhere", "Held by a neighbouring force on their own warrant."),
          ("other", "Partner answered and said he is working away until Friday."),
          ("not-present", "Mother says he has not lived here for weeks.")]


@dataclass
class Candidate:
    person_id: int
    entry_id: int | None
    suspect_id: int | None
    suspect_since: datetime | None


def _one(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def _teams(conn: psycopg.Connection[Any], force_id: int) -> dict[str, int]:
    """The force's first team of each target kind, creating any it lacks."""
    found: dict[str, int] = {}
    for kind in TARGET_TEAM_KINDS:
        team_id = _one(conn, "SELECT id FROM team WHERE force_id = %(f)s AND kind = %(k)s ORDER BY id LIMIT 1",
                       {"f": force_id, "k": kind})
        if team_id is None:
            team_id = _one(conn, "INSERT INTO team (force_id, name, kind) VALUES (%(f)s, %(n)s, %(k)s) RETURNING id",
                           {"f": force_id, "n": TEAM_NAMES[kind], "k": kind})
        found[kind] = team_id
    return found


def _candidates(conn: psycopg.Connection[Any], force_id: int, limit: int) -> list[Candidate]:
    """People from the latest ranked list, else the wanted DA suspects, each with their open DA suspect record."""
    rows = conn.execute("""
        SELECT e.person_id, e.id FROM harm_ranking_entry e JOIN person p ON p.id = e.person_id
        WHERE e.ranking_id = (SELECT id FROM harm_ranking WHERE force_id = %(f)s
                              ORDER BY computed_at DESC, id DESC LIMIT 1)
          AND NOT p.restricted AND p.merged_into_id IS NULL
        ORDER BY e.rank LIMIT %(n)s""", {"f": force_id, "n": limit}).fetchall()
    if not rows:
        rows = conn.execute("""
            SELECT person_id, NULL FROM (
                SELECT DISTINCT ON (s.person_id) s.person_id, s.wanted_since
                FROM suspect s JOIN crime c ON c.id = s.crime_id JOIN person p ON p.id = s.person_id
                WHERE s.force_id = %(f)s AND s.status = 'wanted' AND c.da_related
                  AND NOT p.restricted AND p.merged_into_id IS NULL
                ORDER BY s.person_id, s.wanted_since) w
            ORDER BY wanted_since, person_id LIMIT %(n)s""", {"f": force_id, "n": limit}).fetchall()
    suspects: dict[int, tuple[int, datetime]] = {}
    for person_id, suspect_id, since in conn.execute("""
            SELECT s.person_id, s.id, s.status_since FROM suspect s JOIN crime c ON c.id = s.crime_id
            WHERE s.person_id = ANY(%(p)s) AND s.status IN ('wanted', 'outstanding') AND c.da_related
            ORDER BY s.status = 'wanted' DESC, s.status_since DESC, s.id DESC""",
                                                     {"p": [r[0] for r in rows]}):
        suspects.setdefault(person_id, (suspect_id, since))
    return [Candidate(person_id, entry_id, *suspects.get(person_id, (None, None))) for person_id, entry_id in rows]


def _address(conn: psycopg.Connection[Any], person_id: int, on: date) -> tuple[int | None, str]:
    row = conn.execute("""
        SELECT l.id, concat_ws(', ', l.line1, l.line2, l.town, l.postcode)
        FROM person_address pa JOIN location l ON l.id = pa.location_id
        WHERE pa.person_id = %(p)s AND NOT l.restricted AND (pa.to_date IS NULL OR pa.to_date >= %(on)s)
        ORDER BY pa.from_date DESC NULLS LAST, pa.id DESC LIMIT 1""", {"p": person_id, "on": on}).fetchone()
    return (row[0], row[1]) if row else (None, "Address not known: last seen in the town centre")


def _operation(conn: psycopg.Connection[Any], force_id: int, name: str, objective: str, starts: date, ends: date,
               status: str, lead: tuple[int | None, str]) -> int:
    operation_id: int = _one(conn, """
        INSERT INTO operation (force_id, name, objective, starts_on, ends_on, lead_name, lead_user_id, status,
                               created_by, created_by_id, created_at)
        VALUES (%(f)s, %(name)s, %(objective)s, %(starts)s, %(ends)s, %(lead)s, %(lead_id)s, %(status)s,
                %(by)s, NULL, %(created)s) RETURNING id""",
                             {"f": force_id, "name": name, "objective": objective, "starts": starts, "ends": ends,
                              "lead": lead[1], "lead_id": lead[0], "status": status, "by": BY,
                              "created": datetime.combine(starts - timedelta(days=7), time(9), tzinfo=UK)})
    return operation_id


def _target(conn: psycopg.Connection[Any], force_id: int, operation_id: int, c: Candidate, kind: str, team: int,
            added_at: datetime) -> int:
    target_id: int = _one(conn, """
        INSERT INTO operation_target (force_id, operation_id, person_id, source, ranking_entry_id, suspect_id,
                                      team_kind, team_id, added_by, added_at)
        VALUES (%(f)s, %(o)s, %(p)s, %(source)s, %(entry)s, %(suspect)s, %(kind)s, %(team)s, %(by)s, %(at)s)
        RETURNING id""", {"f": force_id, "o": operation_id, "p": c.person_id,
                          "source": "ranking" if c.entry_id else "wanted", "entry": c.entry_id,
                          "suspect": c.suspect_id, "kind": kind, "team": team, "by": BY, "at": added_at})
    return target_id


def _attempt(conn: psycopg.Connection[Any], force_id: int, operation_id: int, target_id: int, c: Candidate,
             team: int, planned_at: datetime, outcome: tuple[str, str | None, datetime] | None = None,
             arrest_id: int | None = None) -> None:
    location_id, address = _address(conn, c.person_id, planned_at.date())
    conn.execute("""
        INSERT INTO arrest_attempt (force_id, operation_id, target_id, planned_at, location_id, address, team_id,
                                    planned_by, attempted_at, outcome, notes, recorded_by, arrest_id)
        VALUES (%(f)s, %(o)s, %(t)s, %(planned)s, %(loc)s, %(address)s, %(team)s, %(by)s, %(at)s, %(outcome)s,
                %(notes)s, %(recorded_by)s, %(arrest)s)""",
                 {"f": force_id, "o": operation_id, "t": target_id, "planned": planned_at, "loc": location_id,
                  "address": address, "team": team, "by": BY, "at": outcome[2] if outcome else None,
                  "outcome": outcome[0] if outcome else None, "notes": outcome[1] if outcome else None,
                  "recorded_by": OFFICER if outcome else None, "arrest": arrest_id})


def _step(conn: psycopg.Connection[Any], force_id: int, suspect_id: int, to: str, at: datetime, reason: str | None,
          details: dict[str, Any]) -> None:
    source = _one(conn, "SELECT status FROM suspect WHERE id = %(s)s", {"s": suspect_id})
    conn.execute("""UPDATE suspect SET status = %(to)s, status_since = %(at)s, wanted_since = NULL, circulated = false
                    WHERE id = %(s)s""", {"to": to, "at": at, "s": suspect_id})
    conn.execute("""INSERT INTO suspect_event (force_id, suspect_id, from_status, to_status, at, by, reason, details)
                    VALUES (%(f)s, %(s)s, %(from)s, %(to)s, %(at)s, %(by)s, %(reason)s, %(details)s)""",
                 {"f": force_id, "s": suspect_id, "from": source, "to": to, "at": at, "by": OFFICER,
                  "reason": reason, "details": Jsonb(details)})


def _arrest(conn: psycopg.Connection[Any], force_id: int, operation_id: int, target_id: int, c: Candidate,
            team: int, at: datetime, *, released: bool) -> int:
    assert c.suspect_id is not None
    _, place = _address(conn, c.person_id, at.date())
    arrest_id: int = _one(conn, """
        INSERT INTO arrest (force_id, person_id, suspect_id, arrested_at, place, arrested_by, team_id, operation_id,
                            da_related, custody_station, arrived_at_station, detention_authorised_at, released_at,
                            release_reason)
        VALUES (%(f)s, %(p)s, %(s)s, %(at)s, %(place)s, %(by)s, %(team)s, %(o)s, true, 'Central custody',
                %(arrived)s, %(authorised)s, %(released)s, %(reason)s) RETURNING id""",
                          {"f": force_id, "p": c.person_id, "s": c.suspect_id, "at": at, "place": place,
                           "by": OFFICER, "team": team, "o": operation_id, "arrived": at + timedelta(minutes=35),
                           "authorised": at + timedelta(minutes=50),
                           "released": at + timedelta(hours=20) if released else None,
                           "reason": "Released: released under investigation" if released else None})
    conn.execute("""INSERT INTO arrest_offence (force_id, arrest_id, offence_id)
                    SELECT %(f)s, %(a)s, co.offence_id FROM crime_offence co
                    WHERE co.crime_id = (SELECT crime_id FROM suspect WHERE id = %(s)s)""",
                 {"f": force_id, "a": arrest_id, "s": c.suspect_id})
    _step(conn, force_id, c.suspect_id, "arrested", at, None, {"arrest_id": arrest_id})
    if released:
        _step(conn, force_id, c.suspect_id, "released-under-investigation", at + timedelta(hours=20),
              "Enquiries continue: phone download awaited", {"arrest_id": arrest_id})
    conn.execute("UPDATE operation_target SET status = 'arrested' WHERE id = %(t)s", {"t": target_id})
    return arrest_id


def _run_week(conn: psycopg.Connection[Any], force_id: int, operation_id: int, people: list[Candidate],
              teams: dict[str, int], starts: date, now: datetime, *, arrests: int, misses: int, closed: bool) -> None:
    """Targets across the three team kinds; the first `arrests` arrested, the next `misses` missed, the rest
    planned (for today and tomorrow when the week is running)."""
    added_at = datetime.combine(starts - timedelta(days=2), time(10), tzinfo=UK)
    made = 0
    for n, person in enumerate(people):
        kind = TARGET_TEAM_KINDS[n % len(TARGET_TEAM_KINDS)]
        team = teams[kind]
        target_id = _target(conn, force_id, operation_id, person, kind, team, added_at)
        if closed:
            day = datetime.combine(starts + timedelta(days=n % 5), time(6, 30), tzinfo=UK) + timedelta(minutes=20 * n)
        else:
            day = now - timedelta(hours=1, minutes=40 * made)
        if made < arrests and person.suspect_id is not None and person.suspect_since is not None \
                and person.suspect_since < day - timedelta(hours=1):
            arrest_id = _arrest(conn, force_id, operation_id, target_id, person, team, day, released=closed)
            _attempt(conn, force_id, operation_id, target_id, person, team, day - timedelta(minutes=30),
                     ("arrested", None, day), arrest_id)
            made += 1
            continue
        index = n - made
        if index < misses:
            at = datetime.combine(max(starts, uk_today(now) - timedelta(days=1 + index % 2)) if not closed
                                  else starts + timedelta(days=index % 5), time(7 + index % 4, 15), tzinfo=UK)
            outcome, notes = MISSES[index % len(MISSES)]
            _attempt(conn, force_id, operation_id, target_id, person, team, at - timedelta(minutes=15),
                     (outcome, notes, at))
        elif not closed:
            on = uk_today(now) + timedelta(days=index % 2)
            _attempt(conn, force_id, operation_id, target_id, person, team,
                     datetime.combine(on, time(6 + index % 12, 0), tzinfo=UK))


def add_demo_operation(admin_url: str) -> None:
    """Add Operation Kestrel (closed, a month ago) and Operation Harbour (running this week) to the demo force."""
    now = datetime.now(UTC)
    today = uk_today(now)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        force_id = _one(conn, "SELECT id FROM force WHERE code = %(c)s", {"c": DEMO_FORCE_CODE})
        if force_id is None or _one(conn, "SELECT id FROM operation WHERE force_id = %(f)s AND name = %(n)s",
                                    {"f": force_id, "n": HARBOUR}):
            return
        teams = _teams(conn, force_id)
        row = conn.execute("""SELECT id, display_name FROM app_user WHERE force_id = %(f)s AND role = 'operation_lead'
                              AND active ORDER BY id LIMIT 1""", {"f": force_id}).fetchone()
        lead = (row[0], row[1]) if row else (None, "DCI Morgan Hale")
        people = _candidates(conn, force_id, HARBOUR_TARGETS + KESTREL_TARGETS)
        harbour, kestrel = people[:HARBOUR_TARGETS], people[HARBOUR_TARGETS:]
        kestrel_starts = today - timedelta(days=37)
        if not _one(conn, "SELECT id FROM operation WHERE force_id = %(f)s AND name = %(n)s",
                    {"f": force_id, "n": KESTREL}):
            kestrel_id = _operation(conn, force_id, KESTREL, "A week of action against wanted domestic abuse "
                                    "suspects before the bank holiday.", kestrel_starts,
                                    kestrel_starts + timedelta(days=6), "closed", lead)
            _run_week(conn, force_id, kestrel_id, kestrel, teams, kestrel_starts, now, arrests=3, misses=3,
                      closed=True)
        harbour_starts = today - timedelta(days=3)
        harbour_id = _operation(conn, force_id, HARBOUR, "Arrest the highest-harm domestic abuse perpetrators on "
                                "the force's ranked list and every wanted DA suspect we can find, in one week.",
                                harbour_starts, harbour_starts + timedelta(days=6), "active", lead)
        _run_week(conn, force_id, harbour_id, harbour, teams, harbour_starts, now, arrests=5, misses=6, closed=False)
