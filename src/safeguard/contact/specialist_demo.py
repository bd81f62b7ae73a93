"""The DA specialist's advice for the demo force: one piece of advice, from the demo specialist ("specialist",
Jo Adeyemi), on the demo force's most recent DA call (an open one if there is one), so that the queue shows a
call under "Reviewed today" and the call's page shows the advice to the handler and the officers.

Run after the demo contacts are seeded; safe to run again (it adds nothing once the demo specialist has given
advice in the demo force). Synthetic data only.
"""

from __future__ import annotations

import psycopg

from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE

DEMO_SPECIALIST = "specialist"  # the demo account's username, as `given_by` records it
DEMO_ADVICE = (
    "Use the safe-contact preferences on this call: ring only the safe number, and never leave voicemail. "
    "Ask the victim, when it is safe to talk, whether the children were in the house and which school they go "
    "to, so the school can be told before the next school day (Operation Encompass). Complete the DASH at the "
    "scene; at 14 or more yes answers, or on your judgement, refer to MARAC."
)
DEMO_REFERRALS = "IDVA referral suggested once the victim agrees; Operation Encompass notification for the children."

DEMO_SPECIALIST_SQL = """
WITH force_row AS (SELECT id FROM force WHERE code = %(force)s),
chosen AS (
    SELECT c.id, c.force_id, c.received_at FROM contact c
    WHERE c.force_id = (SELECT id FROM force_row) AND c.da_flag
      AND NOT EXISTS (SELECT 1 FROM specialist_advice a
                      WHERE a.force_id = c.force_id AND a.given_by = %(by)s)
    ORDER BY (c.status = 'open') DESC, c.received_at DESC, c.id DESC
    LIMIT 1
)
INSERT INTO specialist_advice (force_id, contact_id, advice, referral_note, given_at, given_by)
SELECT force_id, id, %(advice)s, %(referrals)s, least(now(), received_at + interval '6 minutes'), %(by)s FROM chosen
"""


def seed_demo_specialist(admin_url: str) -> None:
    """Add the demo specialist's advice on the demo force's most recent DA call (idempotent)."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        conn.execute(DEMO_SPECIALIST_SQL, {"force": DEMO_FORCE_CODE, "by": DEMO_SPECIALIST, "advice": DEMO_ADVICE,
                                           "referrals": DEMO_REFERRALS})
