"""The demo seed for support services adds fictional local services, safe contact and referrals, once."""

from __future__ import annotations

import psycopg

from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.safeguarding.support_demo import seed_demo_support
from safeguard.safeguarding.support_referrals import history_steps
from tests.conftest import DatabaseUnderTest

SETUP = """
WITH f AS (INSERT INTO force (code, name) VALUES (%(force)s, 'Demo Constabulary') RETURNING id),
people AS (
    INSERT INTO person (force_id, forename, surname, gender)
    SELECT f.id, v.forename, 'Example', v.gender FROM f,
        (VALUES ('Adam', 'male'), ('Ben', 'male'), ('Cara', 'female'), ('Dina', 'female')) AS v(forename, gender)
    RETURNING id, force_id
), incidents AS (
    INSERT INTO incident (force_id, reference, occurred_at, da_related)
    SELECT force_id, 'INC-DEMO-' || id, now() - interval '10 days', true FROM people RETURNING id, reference
)
INSERT INTO incident_person (force_id, incident_id, person_id, role)
SELECT p.force_id, i.id, p.id, 'victim' FROM people p JOIN incidents i ON i.reference = 'INC-DEMO-' || p.id
"""


def _counts(url: str) -> tuple[int, ...]:
    with psycopg.connect(psycopg_dsn(url)) as conn:
        row = conn.execute("""
            SELECT (SELECT count(*) FROM support_service WHERE force_id IS NOT NULL),
                   (SELECT count(*) FROM safe_contact), (SELECT count(*) FROM support_referral),
                   (SELECT count(*) FROM support_referral WHERE status = 'accepted'
                       AND jsonb_array_length(history) = 2),
                   (SELECT count(*) FROM support_service WHERE groups ? 'men' AND force_id IS NOT NULL),
                   (SELECT count(*) FROM support_service WHERE groups ? 'lgbt' AND force_id IS NOT NULL)""").fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


def test_the_demo_seed_is_fictional_and_idempotent(fresh_db: DatabaseUnderTest) -> None:
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        conn.execute(SETUP, {"force": DEMO_FORCE_CODE})
    seed_demo_support(fresh_db.admin_url)
    first = _counts(fresh_db.admin_url)
    assert first == (4, 4, 4, 1, 2, 2)
    seed_demo_support(fresh_db.admin_url)
    assert _counts(fresh_db.admin_url) == first
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        numbers = [r[0] for r in conn.execute("SELECT safe_number FROM safe_contact").fetchall()]
        histories = [r[0] for r in conn.execute("SELECT history FROM support_referral").fetchall()]
    assert all(n.startswith("+447700900") for n in numbers), numbers
    # The history the seed writes reads back as the application's own does.
    steps = [step for history in histories for step in history_steps(history)]
    assert len(steps) == 6 and all(step.at.tzinfo is not None and step.by == "demo seed" for step in steps)
