"""The demo seed adds a few DASH assessments to the demo force's DA incidents, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.people.models import Person
from safeguard.risk.demo_seed import seed_demo_risk
from tests.conftest import DatabaseUnderTest, make_force

NOW = datetime.now(UTC)


async def test_seed_demo_risk_adds_assessments_once(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, DEMO_FORCE_CODE, "Demo Constabulary")
            await set_force_context(s, force.id)
            for n in range(7):
                victim = Person(force_id=force.id, forename=f"Victim{n}", surname="Demo")
                suspect = Person(force_id=force.id, forename=f"Suspect{n}", surname="Demo")
                s.add_all([victim, suspect])
                await s.flush()
                for days in (3 + n, 60 + n, 150 + n):  # three DA incidents in a year: escalation
                    incident = Incident(force_id=force.id, reference=f"INC-D-{n}-{days}", da_related=True,
                                        occurred_at=NOW - timedelta(days=days))
                    s.add(incident)
                    await s.flush()
                    s.add_all([IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id,
                                              role="victim"),
                               IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=suspect.id,
                                              role="suspect")])
    finally:
        await engine.dispose()
    seed_demo_risk(fresh_db.admin_url)
    seed_demo_risk(fresh_db.admin_url)  # idempotent
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        rows = conn.execute("""
            SELECT reference, score, final_level, marac_routes, review_status, victim_id, reviewed_level,
                   (SELECT count(*) FROM jsonb_object_keys(answers)) FROM risk_assessment""").fetchall()
    assert len(rows) == 5
    assert len({row[5] for row in rows}) == 5  # one per victim
    assert all(row[7] == 27 for row in rows)
    assert sum(1 for row in rows if row[4] == "awaiting-review") == 3
    high = [row for row in rows if "visible-high-risk" in row[3]]
    assert len(high) == 1 and high[0][2] == "high" and high[0][1] >= 14
    assert all("escalation" in row[3] for row in rows)
    assert all(row[0].startswith("RA-") for row in rows)
