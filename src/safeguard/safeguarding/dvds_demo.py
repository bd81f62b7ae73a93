"""Demo data for Clare's Law and the Victims' Code: a few open requests (one close to its 28 days) and the
Victims' Code entitlements of the victims of the demo force's latest DA crimes, some overdue and one met.

Synthetic only, built from the demo force's own seeded crimes; idempotent (a request is keyed by its demo
reference, entitlements by crime and victim). Runs as the database owner, so row-level security does not apply.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from safeguard.db.engine import psycopg_dsn
from safeguard.safeguarding.victims_code import VictimsCodeRules

D = timedelta(days=1)

# (days since received, status, route, applicant name, relationship)
DEMO_REQUESTS = [
    (25, "panel", "right-to-ask", None, "self"),  # three days from its 28-day target
    (12, "checks", "right-to-ask", "Margaret Doyle", "mother"),
    (3, "received", "right-to-know", "Northfield IDVA service", "IDVA"),
]
STEPS = ["received", "checks", "panel"]
# Officers (demo usernames) who owe each crime's entitlements, and how many days ago each was opened.
DEMO_OWERS = ["officer", "investigator", "officer", "officer", "investigator", "officer"]
DEMO_OPENED_DAYS_AGO = [9, 6, 4, 2, 1, 0]

LATEST_DA_CRIMES = """
SELECT DISTINCT ON (c.recorded_at, c.id) c.id, c.reference, v.person_id, s.person_id, pv.forename || ' ' || pv.surname
FROM crime c
JOIN crime_person v ON v.crime_id = c.id AND v.role = 'victim'
JOIN person pv ON pv.id = v.person_id AND NOT pv.restricted
JOIN suspect s ON s.crime_id = c.id
WHERE c.force_id = %s AND c.da_related AND s.person_id <> v.person_id
ORDER BY c.recorded_at DESC, c.id DESC
LIMIT 9
"""


def seed_demo_dvds(admin_url: str, *, now: datetime | None = None) -> None:
    """Add the demo force's Clare's Law requests and Victims' Code entitlements, unless already there."""
    from safeguard.demo import DEMO_FORCE_CODE  # here, so that demo.py may import this module

    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    rules = VictimsCodeRules()
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        row = conn.execute("SELECT id FROM force WHERE code = %s", (DEMO_FORCE_CODE,)).fetchone()
        if row is None:
            return
        force_id = int(row[0])
        crimes = conn.execute(LATEST_DA_CRIMES, (force_id,)).fetchall()
        for n, (_crime, _reference, victim_id, suspect_id, victim_name) in enumerate(crimes[:len(DEMO_REQUESTS)]):
            days, status, route, applicant, relationship = DEMO_REQUESTS[n]
            reference = f"DVDS-DEMO-{n + 1:03d}"
            if conn.execute("SELECT 1 FROM disclosure_request WHERE force_id = %s AND reference = %s",
                            (force_id, reference)).fetchone():
                continue
            received = now - days * D - timedelta(hours=3)
            history = []
            for step, to in enumerate(STEPS[:STEPS.index(status) + 1]):
                history.append({"at": (received + step * 4 * D).isoformat(), "by": "investigator",
                                "from": STEPS[step - 1] if step else None, "to": to,
                                "note": "Demo request recorded; target 28 days" if step == 0 else None})
            conn.execute(
                """INSERT INTO disclosure_request (force_id, reference, route, person_at_risk_id, subject_id,
                       applicant_name, applicant_relationship, received_at, due_by, status, created_by, history)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'investigator', %s)""",
                (force_id, reference, route, victim_id, suspect_id, applicant or victim_name, relationship,
                 received, received + 28 * D, status, Jsonb(history)))
        for n, (crime_id, _reference, victim_id, _suspect_id, _name) in enumerate(crimes[:len(DEMO_OWERS)]):
            if conn.execute("SELECT 1 FROM victim_entitlement WHERE crime_id = %s AND person_id = %s",
                            (crime_id, victim_id)).fetchone():
                continue
            opened = now - DEMO_OPENED_DAYS_AGO[n] * D - timedelta(hours=2)
            due = rules.due(opened, enhanced=True)
            ids = []
            for right, what in rules.opening:
                inserted = conn.execute(
                    """INSERT INTO victim_entitlement (force_id, person_id, crime_id, right_number, what, enhanced,
                           due_at, officer) VALUES (%s, %s, %s, %s, %s, true, %s, %s) RETURNING id""",
                    (force_id, victim_id, crime_id, right, what, due, DEMO_OWERS[n])).fetchone()
                assert inserted is not None
                ids.append(int(inserted[0]))
            if n % 2 == 1:  # every other victim has had their needs assessment, on time
                met = min(due, now) - timedelta(hours=1)
                conn.execute("UPDATE victim_entitlement SET met_at = %s, met_by = %s WHERE id = %s",
                             (met, DEMO_OWERS[n], ids[0]))
                conn.execute(
                    """INSERT INTO victim_contact (force_id, person_id, crime_id, entitlement_id, contacted_at,
                           method, by, summary) VALUES (%s, %s, %s, %s, %s, 'phone', %s, %s)""",
                    (force_id, victim_id, crime_id, ids[0], met, DEMO_OWERS[n],
                     "Needs assessment by phone on the safe number; agreed a referral to the local IDVA service"))
