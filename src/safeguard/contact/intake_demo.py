"""Open contacts for the demo force: a silent 999 with 55 pressed from a number with a DA marker, a 999, a 101
and an online report, all received in the last hour, so the contact list and the contact page have something to
show. Safe to run again: each contact has its own Idempotency-Key and is added once. Synthetic data only
(Ofcom drama-range numbers)."""

from __future__ import annotations

import json

import psycopg

from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE

FALLBACK_NUMBER = "+447700900555"  # used, and given a DA marker, when the demo has no DA-marked number yet

DA_NUMBER_SQL = """
SELECT number FROM (
    SELECT m.phone_e164 AS number, 0 AS rank, m.id FROM marker m
    WHERE m.force_id = %(force_id)s AND m.phone_e164 IS NOT NULL AND m.ends_on IS NULL
      AND m.kind IN ('da-perpetrator', 'da-high-risk-victim')
    UNION ALL
    SELECT ph.number_e164, 1, m.id FROM marker m JOIN person_phone ph ON ph.person_id = m.person_id
    JOIN person p ON p.id = m.person_id AND NOT p.restricted
    WHERE m.force_id = %(force_id)s AND m.ends_on IS NULL AND m.kind IN ('da-perpetrator', 'da-high-risk-victim')
) found ORDER BY rank, id LIMIT 1
"""

CONTACT_SQL = """
INSERT INTO contact (force_id, channel, caller_number, received_at, pressed_55, note, da_flag, status,
                     idempotency_key, taken_by, location_text, injury, weapons, children_present, report)
VALUES (%(force_id)s, %(channel)s, %(number)s, date_trunc('second', now()) - %(ago)s::interval, %(pressed_55)s,
        %(note)s, %(da_flag)s, 'open', %(key)s, %(taken_by)s, %(location_text)s, %(injury)s, %(weapons)s,
        %(children)s, %(report)s::jsonb)
ON CONFLICT ON CONSTRAINT uq_contact_idempotency DO NOTHING
"""


def _contacts(da_number: str) -> list[dict[str, object]]:
    base = {"pressed_55": False, "da_flag": False, "location_text": None, "injury": False, "weapons": False,
            "children": False, "report": None}
    return [
        {**base, "key": "demo-contact-silent-55", "channel": "999-silent", "number": da_number, "ago": "4 minutes",
         "pressed_55": True, "da_flag": True, "taken_by": "telephony",
         "note": "Silent call put through by BT: 55 detected. Raised voices and a door slamming in the background."},
        {**base, "key": "demo-contact-999", "channel": "999", "number": "+447700900612", "ago": "12 minutes",
         "taken_by": "telephony", "note": "Neighbour reports a woman screaming next door and a man shouting.",
         "location_text": "Flat 3, Wharf Court, Northfield", "children": True},
        {**base, "key": "demo-contact-101", "channel": "101", "number": "+441632960187", "ago": "35 minutes",
         "taken_by": "demo seed", "note": "Caller's ex-partner keeps turning up at her work; she wants advice.",
         "da_flag": True},
        {**base, "key": "demo-contact-online", "channel": "online", "number": None, "ago": "50 minutes",
         "taken_by": "public", "note": "Online report: threatening messages from an ex-partner.", "da_flag": True,
         "report": json.dumps({"what_happened": "He has sent dozens of messages saying he will find me.",
                               "danger_now": "no", "safe_times": "Weekdays after 6pm", "voicemail_safe": "no"})},
    ]


def seed_demo_contacts(admin_url: str) -> None:
    """Add the demo force's open contacts (idempotent)."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        row = conn.execute("SELECT id FROM force WHERE code = %s", (DEMO_FORCE_CODE,)).fetchone()
        if row is None:
            return
        force_id = row[0]
        found = conn.execute(DA_NUMBER_SQL, {"force_id": force_id}).fetchone()
        number = found[0] if found else FALLBACK_NUMBER
        if found is None:
            conn.execute("""INSERT INTO marker (force_id, phone_e164, kind, note, starts_on, set_by)
                            SELECT %s, %s, 'da-high-risk-victim', 'Silent calls from this number before',
                                   current_date - 30, 'demo seed'
                            WHERE NOT EXISTS (SELECT 1 FROM marker WHERE force_id = %s AND phone_e164 = %s)""",
                         (force_id, number, force_id, number))
        for values in _contacts(number):
            conn.execute(CONTACT_SQL, {**values, "force_id": force_id})
