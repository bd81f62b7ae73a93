"""Reading a person: confined to the force, restricted records withheld, and every read audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonAddress, PersonPhone
from tests.conftest import ForceData, make_user, sign_in


async def _person(db: AsyncSession, force: ForceData, *, restricted: bool = False) -> Person:
    await set_force_context(db, force.id)
    person = Person(force_id=force.id, forename="Jonathan", surname="Smith", dob_year=1989, dob_month=4,
                    dob_day=3, gender="male", restricted=restricted)
    db.add(person)
    await db.flush()
    refuge = Location(force_id=force.id, line1="1 Hidden Lane", town="Northfield", postcode="ZZ1 1ZZ",
                      restricted=True)
    db.add(refuge)
    await db.flush()
    db.add_all([PersonPhone(force_id=force.id, person_id=person.id, number_e164="+447700900123"),
                PersonAddress(force_id=force.id, person_id=person.id, location_id=refuge.id)])
    await db.flush()
    return person


async def test_reading_a_person_is_audited(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst", username="reader")
    person = await _person(db, force_a)
    await sign_in(client, staff)
    response = await client.get(f"/api/v1/people/{person.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Jonathan Smith" and body["date_of_birth"] == "1989-04-03"
    assert body["phones"] == ["+447700900123"]
    assert body["addresses"][0]["address"] == "Restricted address"  # a refuge never shows
    page = await client.get(f"/people/{person.id}")
    assert page.status_code == 200 and "Jonathan Smith" in page.text and "Hidden Lane" not in page.text
    await set_force_context(db, force_a.id)
    reads = (await db.execute(select(AuditEvent.actor_label, AuditEvent.object_id).where(
        AuditEvent.action == "person.read"))).all()
    assert reads == [("reader", str(person.id)), ("reader", str(person.id))]


async def test_restricted_person_is_withheld_but_the_attempt_is_audited(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "ppu_investigator")
    person = await _person(db, force_a, restricted=True)
    await sign_in(client, staff)
    body = (await client.get(f"/api/v1/people/{person.id}")).json()
    assert body["display_name"] == "Restricted record" and body["restricted"] is True
    assert body["date_of_birth"] is None and body["phones"] == [] and body["addresses"] == []
    page = await client.get(f"/people/{person.id}")
    assert "Jonathan" not in page.text and "Smith" not in page.text
    await set_force_context(db, force_a.id)
    count = len((await db.scalars(select(AuditEvent.id).where(AuditEvent.action == "person.read"))).all())
    assert count == 2


async def test_another_forces_person_does_not_exist_for_you(client: httpx.AsyncClient, db: AsyncSession,
                                                            force_a: ForceData, force_b: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    other = await _person(db, force_b)
    await sign_in(client, staff)
    assert (await client.get(f"/api/v1/people/{other.id}")).status_code == 404
    assert (await client.get(f"/people/{other.id}")).status_code == 404


async def test_a_role_without_people_read_is_refused(client: httpx.AsyncClient, db: AsyncSession,
                                                     force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "auditor")
    person = await _person(db, force_a)
    await sign_in(client, staff)
    assert (await client.get(f"/api/v1/people/{person.id}")).status_code == 403
    assert (await client.get(f"/people/{person.id}")).status_code == 403
