"""The demo force's MARAC records: two meetings, referrals at each stage, actions; seeded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.people.models import Person
from safeguard.risk import marac
from safeguard.risk.marac_demo import seed_demo_marac
from tests.conftest import DatabaseUnderTest, make_force


async def test_the_demo_marac_seed_is_realistic_and_idempotent(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, DEMO_FORCE_CODE, "Demo Constabulary")
            await set_force_context(s, force.id)
            for n in range(6):
                victim = Person(force_id=force.id, forename=f"Victim{n}", surname="Demo")
                s.add(victim)
                await s.flush()
                for k in range(n + 1):
                    incident = Incident(force_id=force.id, reference=f"INC-D-{n}-{k}", da_related=True,
                                        occurred_at=datetime.now(UTC) - timedelta(days=30 * k + 5))
                    s.add(incident)
                    await s.flush()
                    s.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id,
                                         role="victim"))
    finally:
        await engine.dispose()
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:  # the victim in most incidents lives in a refuge
        conn.execute("UPDATE person SET restricted = true WHERE forename = 'Victim5'")
    seed_demo_marac(fresh_db.admin_url)
    seed_demo_marac(fresh_db.admin_url)
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        meetings = conn.execute("SELECT held_on, status FROM marac_meeting ORDER BY held_on").fetchall()
        statuses = conn.execute("SELECT status, count(*) FROM marac_referral GROUP BY status ORDER BY status"
                                ).fetchall()
        restricted = conn.execute("SELECT count(*) FROM marac_referral r JOIN person p ON p.id = r.victim_id "
                                  "WHERE p.restricted").fetchone()
        actions = conn.execute("SELECT status, due_on FROM marac_action ORDER BY id").fetchall()
        events = conn.execute("SELECT count(*) FROM marac_referral_event").fetchone()
        references = conn.execute("SELECT reference FROM marac_referral").fetchall()
    today = marac.uk_today()
    assert meetings == [(today - timedelta(days=21), "held"), (today + timedelta(days=7), "planned")]
    assert statuses == [("heard", 2), ("listed", 2), ("submitted", 1)]
    assert restricted == (0,)
    assert [s for s, _ in actions] == ["done", "open", "open"]
    assert any(status == "open" and due < today for status, due in actions)  # one overdue
    assert events == (5 + 5 + 4 + 4 + 2,)
    assert all(ref.startswith("MR-") for (ref,) in references)
