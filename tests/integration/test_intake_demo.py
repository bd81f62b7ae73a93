"""The demo seed adds a handful of open contacts received in the last hour, once: a silent 55 call from a number
with a DA marker, a 999, a 101 and an online report."""

from __future__ import annotations

from datetime import date

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.intake_demo import seed_demo_contacts
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.people.models import Marker, Person, PersonPhone
from tests.conftest import DatabaseUnderTest, make_force


async def test_the_demo_contacts_are_seeded_once(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, DEMO_FORCE_CODE, "Demo Constabulary")
            await set_force_context(s, force.id)
            person = Person(force_id=force.id, forename="Dean", surname="Carver", dob_year=1984)
            s.add(person)
            await s.flush()
            s.add_all([PersonPhone(force_id=force.id, person_id=person.id, number_e164="+447700900321"),
                       Marker(force_id=force.id, person_id=person.id, kind="da-perpetrator",
                              starts_on=date(2026, 1, 1), set_by="demo seed")])
    finally:
        await engine.dispose()
    seed_demo_contacts(fresh_db.admin_url)
    seed_demo_contacts(fresh_db.admin_url)
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        rows = conn.execute("""SELECT channel, caller_number, pressed_55, status, now() - received_at
                               FROM contact ORDER BY received_at DESC""").fetchall()
    assert [(r[0], r[2], r[3]) for r in rows] == [("999-silent", True, "open"), ("999", False, "open"),
                                                  ("101", False, "open"), ("online", False, "open")]
    assert rows[0][1] == "+447700900321"  # the number of a person with a DA marker
    assert all(0 <= r[4].total_seconds() <= 3600 for r in rows)


def test_without_a_da_marked_number_the_demo_gives_its_own_a_marker(fresh_db: DatabaseUnderTest) -> None:
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        conn.execute("INSERT INTO force (code, name) VALUES (%s, 'Demo Constabulary')", (DEMO_FORCE_CODE,))
    seed_demo_contacts(fresh_db.admin_url)
    seed_demo_contacts(fresh_db.admin_url)
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        assert conn.execute("SELECT count(*) FROM contact").fetchone() == (4,)
        assert conn.execute("SELECT kind FROM marker WHERE phone_e164 = '+447700900555'").fetchall() == \
            [("da-high-risk-victim",)]
