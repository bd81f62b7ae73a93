"""Reading a person: confined to the force, restricted records withheld, and every read audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonAddress, PersonPhone
from safeguard.people.service import grant_restricted, restrict
from tests.conftest import ForceData, make_user, sign_in


async def _person(db: AsyncSession, force: ForceData, *, restricted: bool = False) -> Person:
    """A person living at a refuge; the refuge is restricted by a PPU officer, and so is the person if asked."""
    officer = await make_user(db, force, "ppu_investigator")
    await set_force_context(db, force.id, officer.user.id)
    person = Person(force_id=force.id, forename="Jonathan", surname="Smith", dob_year=1989, dob_month=4,
                    dob_day=3, gender="male")
    refuge = Location(force_id=force.id, line1="1 Hidden Lane", town="Northfield", postcode="ZZ1 1ZZ")
    db.add_all([person, refuge])
    await db.flush()
    db.add_all([PersonPhone(force_id=force.id, person_id=person.id, number_e164="+447700900123"),
                PersonAddress(force_id=force.id, person_id=person.id, location_id=refuge.id)])
    await db.flush()
    await restrict(db, force_id=force.id, by_user_id=officer.user.id, by_label=officer.user.username,
                   reason="Refuge", location_id=refuge.id)
    if restricted:
        await restrict(db, force_id=force.id, by_user_id=officer.user.id, by_label=officer.user.username,
                       reason="Lives in a refuge", person_id=person.id)
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


async def test_restricted_person_is_seen_only_with_a_grant(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "ppu_investigator")
    person = await _person(db, force_a, restricted=True)
    await sign_in(client, staff)
    assert (await client.get(f"/api/v1/people/{person.id}")).status_code == 404
    page = await client.get(f"/people/{person.id}")
    assert page.status_code == 404 and "Jonathan" not in page.text
    search = await client.get("/api/v1/people/search", params={"q": "Jonathan Smith"})
    assert search.json()["results"] == []

    await grant_restricted(db, force_id=force_a.id, user_id=staff.user.id, granted_by="admin",
                           reason="Officer in the case", person_id=person.id)
    body = (await client.get(f"/api/v1/people/{person.id}")).json()
    assert body["display_name"] == "Jonathan Smith" and body["restricted"] is True
    # The person is granted, the refuge address is not: it stays redacted.
    assert body["addresses"][0]["address"] == "Restricted address"
    search = await client.get("/api/v1/people/search", params={"q": "Jonathan Smith"})
    assert [r["id"] for r in search.json()["results"]] == [person.id]


async def test_the_database_itself_hides_restricted_rows(db: AsyncSession, force_a: ForceData) -> None:
    """Even a query that forgets to check the flag sees no restricted row without a grant."""
    staff = await make_user(db, force_a, "ppu_investigator")
    person = await _person(db, force_a, restricted=True)
    await set_force_context(db, force_a.id, staff.user.id)
    visible = (await db.execute(text("SELECT id FROM person WHERE surname = 'Smith'"))).scalars().all()
    assert person.id not in visible
    places = (await db.execute(text("SELECT count(*) FROM location WHERE line1 = '1 Hidden Lane'"))).scalar()
    assert places == 0
    await grant_restricted(db, force_id=force_a.id, user_id=staff.user.id, granted_by="admin",
                           reason="Officer in the case", person_id=person.id)
    visible = (await db.execute(text("SELECT id FROM person WHERE surname = 'Smith'"))).scalars().all()
    assert person.id in visible


async def test_another_forces_person_does_not_exist_for_you(client: httpx.AsyncClient, db: AsyncSession,
                                                            force_a: ForceData, force_b: ForceData) -> None:
    staff = await make_user(db, force_a, "analyst")
    other = await _person(db, force_b)
    await sign_in(client, staff)
    assert (await client.get(f"/api/v1/people/{other.id}")).status_code == 404
    assert (await client.get(f"/people/{other.id}")).status_code == 404


async def test_a_role_without_people_read_is_refused(client: httpx.AsyncClient, db: AsyncSession,
                                                     force_a: ForceData) -> None:
    staff = await make_user(db, force_a, "administrator")
    person = await _person(db, force_a)
    await sign_in(client, staff)
    assert (await client.get(f"/api/v1/people/{person.id}")).status_code == 403
    assert (await client.get(f"/people/{person.id}")).status_code == 403
