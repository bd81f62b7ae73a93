"""Demo data for the live board: a few open contacts on the demo force, some graded with a THRIVE rationale.

Synthetic only (numbers from Ofcom's drama range). Idempotent: each contact is keyed by its demo idempotency
key, and a contact that already has a grade history is not graded again. Runs as the database owner, so
row-level security does not apply. Received times are relative to now, so the board's timers show some time
left and one overdue contact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from safeguard.contact.grading import Facts, suggest
from safeguard.db.engine import psycopg_dsn

# (key, channel, minutes ago, pressed 55, DA, injury, weapons, children, rural, grade or None, graded by, THRIVE)
DEMO_CONTACTS = [
    ("demo-board-1", "999-silent", 9, True, True, False, False, False, False, "emergency", "handler", {
        "threat": "Silent 999 call; 55 pressed; raised male voice heard in the background",
        "harm": "Unknown; caller could not speak",
        "risk": "High: caller unable to speak freely, possible assault in progress",
        "investigation": "AML location awaited; check number history",
        "vulnerability": "Caller cannot speak; possibly controlled by the other person",
        "engagement": "Yes/no taps: one for no, two for yes"}),
    ("demo-board-2", "999", 24, False, True, True, False, True, False, "emergency", "handler", {
        "threat": "Ex-partner left the address 5 minutes ago, said he would come back",
        "harm": "Caller punched in the face; bleeding from the nose",
        "risk": "Likely to return before officers arrive",
        "investigation": "Assault; scene to preserve; suspect description given",
        "vulnerability": "Two children aged 4 and 7 in the house",
        "engagement": "Caller speaking freely; safe to call back on this number"}),
    ("demo-board-3", "101", 40, False, True, False, False, False, True, "priority", "handler", {
        "threat": "Repeated messages from ex-partner overnight",
        "harm": "Distress; no physical harm reported",
        "risk": "Medium: no contact in person, pattern escalating",
        "investigation": "Harassment; screenshots available",
        "vulnerability": "Lives alone in a rural village",
        "engagement": "Prefers a call after 6 pm; voicemail not safe"}),
    ("demo-board-4", "online", 3, False, True, False, False, False, False, None, None, None),
]


def seed_demo_board(admin_url: str) -> None:
    """Add the demo force's board contacts and their grades, unless already there."""
    from safeguard.demo import DEMO_FORCE_CODE  # here, so that demo.py may import this module

    now = datetime.now(UTC).replace(microsecond=0)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        row = conn.execute("SELECT id FROM force WHERE code = %s", (DEMO_FORCE_CODE,)).fetchone()
        if row is None:
            return
        force_id = int(row[0])
        for n, (key, channel, minutes, pressed, da, injury, weapons, children, rural, grade, by,
                thrive) in enumerate(DEMO_CONTACTS):
            found = conn.execute("SELECT id FROM contact WHERE force_id = %s AND idempotency_key = %s",
                                 (force_id, key)).fetchone()
            if found is None:
                found = conn.execute(
                    """INSERT INTO contact (force_id, channel, caller_number, received_at, pressed_55, da_flag,
                           injury, weapons, children_present, rural, taken_by, idempotency_key, note)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                    (force_id, channel, None if channel == "online" else f"+4477009005{n:02d}",
                     now - timedelta(minutes=minutes), pressed, da, injury, weapons, children, rural,
                     "public" if channel == "online" else "telephony", key, "Demo contact for the live board"),
                ).fetchone()
            assert found is not None
            contact_id = int(found[0])
            if grade is None or conn.execute("SELECT 1 FROM contact_grade WHERE contact_id = %s",
                                             (contact_id,)).fetchone():
                continue
            suggestion = suggest(Facts(channel=channel, pressed_55=pressed, da_flag=da, injury=injury,
                                       weapons=weapons, children_present=children))
            at = now - timedelta(minutes=minutes) + timedelta(minutes=2)
            conn.execute(
                """INSERT INTO contact_grade (force_id, contact_id, grade, suggested_grade, reasons, thrive,
                       graded_at, graded_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                (force_id, contact_id, grade, suggestion.grade, Jsonb(suggestion.reasons), Jsonb(thrive), at, by))
            conn.execute("UPDATE contact SET grade = %s, graded_at = %s WHERE id = %s", (grade, at, contact_id))
