"""MARAC records for the demo force: a meeting held three weeks ago whose cases were heard and left actions (one
done, one overdue, one due), a meeting planned for next week with two cases listed, and one referral awaiting a
decision. The victims are demo-force people who are victims in the most DA incidents (none restricted). Synthetic
data only. Idempotent: does nothing if the demo force already has a MARAC meeting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from safeguard.db.engine import psycopg_dsn
from safeguard.risk.marac import uk_today

SEEDED_BY = "demo seed"
VICTIMS_SQL = """
SELECT p.id, count(DISTINCT i.id) AS incidents
FROM person p
JOIN incident_person ip ON ip.person_id = p.id AND ip.role = 'victim'
JOIN incident i ON i.id = ip.incident_id AND i.da_related
WHERE p.force_id = %(force_id)s AND NOT p.restricted AND p.merged_into_id IS NULL
GROUP BY p.id ORDER BY count(DISTINCT i.id) DESC, p.id LIMIT 5
"""
LATEST_ASSESSMENT_SQL = """
SELECT id, marac_routes FROM risk_assessment WHERE victim_id = %(victim)s ORDER BY assessed_at DESC, id DESC LIMIT 1
"""
FALLBACK_ROUTES = ["professional-judgement", "escalation"]
PATHS = {
    "heard": ["draft", "submitted", "accepted", "listed", "heard"],
    "listed": ["draft", "submitted", "accepted", "listed"],
    "submitted": ["draft", "submitted"],
}


def _referral(conn: psycopg.Connection[Any], force_id: int, victim_id: int, incidents: int, status: str,
              meeting: tuple[int, date] | None, referred_at: datetime) -> int:
    row = conn.execute(LATEST_ASSESSMENT_SQL, {"victim": victim_id}).fetchone()
    assessment_id, routes = (row[0], list(row[1]) or FALLBACK_ROUTES) if row else (None, FALLBACK_ROUTES)
    allocated = conn.execute("SELECT nextval(pg_get_serial_sequence('marac_referral', 'id'))").fetchone()
    assert allocated is not None
    referral_id = int(allocated[0])
    reference = f"MR-{referred_at.year}-{referral_id:06d}"
    heard_at = datetime.combine(meeting[1], datetime.min.time(), UTC) + timedelta(hours=11) if (
        meeting and status == "heard") else None
    conn.execute("""
        INSERT INTO marac_referral (id, force_id, reference, victim_id, assessment_id, routes, status, reason, consent,
                                    consent_note, referred_by, referred_at, submitted_at, decided_at, decided_by,
                                    meeting_id, heard_at, meeting_summary)
        VALUES (%(id)s, %(force)s, %(reference)s, %(victim)s, %(assessment)s, %(routes)s, %(status)s, %(reason)s,
                %(consent)s, %(consent_note)s, %(by)s, %(at)s, %(submitted)s, %(decided)s, %(decided_by)s,
                %(meeting)s, %(heard)s, %(summary)s)""", {
        "id": referral_id, "force": force_id, "reference": reference, "victim": victim_id,
        "assessment": assessment_id, "routes": Jsonb(routes), "status": status,
        "reason": f"Victim in {incidents} domestic abuse incidents; the abuse is becoming more frequent and more "
                  "serious, and the victim says they are frightened of what the suspect will do next",
        "consent": "given" if referral_id % 3 else "not-sought",
        "consent_note": None if referral_id % 3 else "High risk: referred without consent; told by their safe number",
        "by": SEEDED_BY, "at": referred_at, "submitted": referred_at + timedelta(hours=1),
        "decided": referred_at + timedelta(days=1) if status != "submitted" else None,
        "decided_by": SEEDED_BY if status != "submitted" else None,
        "meeting": meeting[0] if meeting else None, "heard": heard_at,
        "summary": "Safety plan agreed: target hardening, IDVA support, police flag on the address"
        if status == "heard" else None})
    steps = PATHS[status]
    for index, to in enumerate(steps):
        at = referred_at + timedelta(hours=index * 6)
        if to == "heard" and heard_at is not None:
            at = heard_at
        note = None
        if to == "listed" and meeting:
            note = f"Listed for the meeting on {meeting[1]:%d %B %Y}"
        conn.execute("""INSERT INTO marac_referral_event (force_id, referral_id, from_status, to_status, at, by, note)
                        VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                     (force_id, referral_id, steps[index - 1] if index else None, to, at, SEEDED_BY, note))
    return referral_id


def seed_demo_marac(admin_url: str) -> None:
    """Add the demo force's MARAC meetings, referrals and actions (once)."""
    from safeguard.demo import DEMO_FORCE_CODE  # here, so that demo.py may import this module

    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        force = conn.execute("SELECT id FROM force WHERE code = %s", (DEMO_FORCE_CODE,)).fetchone()
        if force is None:
            return
        force_id = int(force[0])
        if conn.execute("SELECT 1 FROM marac_meeting WHERE force_id = %s LIMIT 1", (force_id,)).fetchone():
            return
        victims = conn.execute(VICTIMS_SQL, {"force_id": force_id}).fetchall()
        if len(victims) < 5:
            return
        area = conn.execute("SELECT id FROM area WHERE force_id = %s ORDER BY name LIMIT 1", (force_id,)).fetchone()
        today = uk_today()
        meetings = {}
        for key, held_on, status in (("past", today - timedelta(days=21), "held"),
                                     ("next", today + timedelta(days=7), "planned")):
            made = conn.execute("""
                INSERT INTO marac_meeting (force_id, area_id, held_on, venue, chair, status, created_by)
                VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""", (
                force_id, area[0] if area else None, held_on, "Northfield police station, conference room 2",
                "DI Sarah Rhodes", status, SEEDED_BY)).fetchone()
            assert made is not None
            meetings[key] = (int(made[0]), held_on)
        now = datetime.now(UTC).replace(microsecond=0)
        past = meetings["past"]
        heard = [_referral(conn, force_id, victim, incidents, "heard", past, now - timedelta(days=35))
                 for victim, incidents in victims[:2]]
        for victim, incidents in victims[2:4]:
            _referral(conn, force_id, victim, incidents, "listed", meetings["next"], now - timedelta(days=6))
        _referral(conn, force_id, victims[4][0], victims[4][1], "submitted", None, now - timedelta(days=1))
        actions = [
            (heard[0], "Police", "Fit a panic alarm and flag the address for an urgent response", "PC Amir Shah",
             past[1] + timedelta(days=7), "done", "Alarm fitted; address flagged"),
            (heard[0], "IDVA service", "Agree a safety plan with the victim and review it fortnightly",
             "Jo Whitfield (IDVA)",
             past[1] + timedelta(days=14), "open", None),
            (heard[1], "Housing", "Assess for a move to a safe address", "Northfield housing options team",
             today + timedelta(days=10), "open", None),
        ]
        for referral_id, agency, description, owner, due_on, status, note in actions:
            conn.execute("""
                INSERT INTO marac_action (force_id, referral_id, meeting_id, agency, description, owner, due_on, status,
                                          completed_at, completed_by, note, created_by)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""", (
                force_id, referral_id, past[0], agency, description, owner, due_on, status,
                now - timedelta(days=3) if status == "done" else None, SEEDED_BY if status == "done" else None,
                note, SEEDED_BY))
