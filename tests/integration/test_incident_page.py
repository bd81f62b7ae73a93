"""The incident page: every incident that history at a glance, the contact page and a person's timeline list
leads to its record. The record shows when and where, who was in it (restricted people withheld), the contacts
and the crimes; the read is audited; another force's incident is not found; links are offered only to pages the
reader's role may open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.contact.models import Contact, Incident, IncidentPerson
from safeguard.crimes.models import Crime
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonPhone
from safeguard.people.service import restrict
from tests.conftest import ForceData, make_user, sign_in
from tests.integration.crime_scene import crime_scene

NOW = datetime.now(UTC).replace(microsecond=0)


async def _scene(db: AsyncSession, force: ForceData) -> tuple[Incident, int, Person, Crime]:
    scene = await crime_scene(db, force)
    incident = await db.scalar(select(Incident).where(Incident.id == scene.crime.incident_id))
    assert incident is not None
    home = Location(force_id=force.id, line1="8 Tanner Street", town="Northfield", postcode="ZZ3 8TS")
    db.add(home)
    await db.flush()
    await db.execute(update(Incident).where(Incident.id == incident.id)
                     .values(location_id=home.id, summary="Neighbour heard shouting; victim has a cut lip"))
    contact = Contact(force_id=force.id, channel="999", caller_number="+447700900321", received_at=NOW,
                      incident_id=incident.id)
    db.add(contact)
    await db.flush()
    return incident, contact.id, scene.victim, scene.crime


async def test_an_officer_opens_an_incident_and_the_read_is_audited(client: httpx.AsyncClient, db: AsyncSession,
                                                                     force_a: ForceData) -> None:
    incident, contact_id, victim, crime = await _scene(db, force_a)
    officer = await make_user(db, force_a, "response_officer")
    await sign_in(client, officer)
    page = await client.get(f"/incidents/{incident.id}")
    assert page.status_code == 200, page.text
    body = page.text
    assert incident.reference in body and "Domestic abuse" in body
    assert "8 Tanner Street, Northfield, ZZ3 8TS" in body
    assert "Neighbour heard shouting; victim has a cut lip" in body
    people = body[body.index('data-testid="incident-people"'):body.index("</table>", body.index("incident-people"))]
    assert f'href="/people/{victim.id}">Carla Benning</a>' in people and "Victim" in people
    assert "Dean Holloway" in people and "Suspect" in people
    assert f'href="/contacts/{contact_id}"' in body
    crimes = body[body.index('data-testid="incident-crimes"'):]
    assert f'<a class="govuk-link" href="/crimes/{crime.id}">{crime.reference}</a>' in crimes
    assert "Record a crime from this incident" not in body  # an officer does not record crimes here
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "incident.read",
                                                            AuditEvent.object_id == str(incident.id))))
    assert [(e.actor_label, e.reason) for e in events] == [(officer.user.username, "incident page")]


async def test_a_call_handler_sees_the_incident_but_is_not_offered_the_crime(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    incident, _, _, crime = await _scene(db, force_a)
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    body = (await client.get(f"/incidents/{incident.id}")).text
    crimes = body[body.index('data-testid="incident-crimes"'):]
    assert crime.reference in crimes
    assert 'href="/crimes/' not in body  # the handler's role may not open crimes, so no link is offered
    # ... and the page the link would have led to does refuse them: the check mirrors the route.
    assert (await client.get("/crimes")).status_code == 403


async def test_a_restricted_person_is_withheld_and_counted(client: httpx.AsyncClient, db: AsyncSession,
                                                           force_a: ForceData) -> None:
    incident, _, victim, _ = await _scene(db, force_a)
    ppu = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=ppu.user.id, by_label=ppu.user.username,
                   reason="Lives in a refuge", person_id=victim.id)
    place = await db.scalar(select(Incident.location_id).where(Incident.id == incident.id))
    await restrict(db, force_id=force_a.id, by_user_id=ppu.user.id, by_label=ppu.user.username,
                   reason="A refuge", location_id=place)
    officer = await make_user(db, force_a, "response_officer")
    await sign_in(client, officer)
    body = (await client.get(f"/incidents/{incident.id}")).text
    assert "Carla Benning" not in body
    assert "1 person is restricted and not shown" in body
    assert "Restricted address" in body and "8 Tanner Street" not in body
    assert "Dean Holloway" in body


async def test_another_forces_incident_is_not_found_and_a_role_without_incidents_is_refused(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    theirs, _, _, _ = await _scene(db, force_b)
    officer = await make_user(db, force_a, "response_officer")
    await sign_in(client, officer)
    missing = await client.get(f"/incidents/{theirs.id}")
    assert missing.status_code == 404
    assert "There is no incident with that number in your force." in missing.text
    assert theirs.reference not in missing.text
    assert (await client.get("/incidents/0")).status_code == 400  # not an incident number at all
    await set_force_context(db, force_a.id)
    specialist = await make_user(db, force_a, "da_specialist")
    client.cookies.clear()
    await sign_in(client, specialist)
    assert (await client.get(f"/incidents/{theirs.id}")).status_code == 403


async def test_history_at_a_glance_and_the_person_page_link_each_incident(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    incident, _, victim, _ = await _scene(db, force_a)
    await db.execute(update(Incident).where(Incident.id == incident.id).values(occurred_at=NOW - timedelta(days=3)))
    db.add(PersonPhone(force_id=force_a.id, person_id=victim.id, number_e164="+447700900555"))
    await db.flush()
    contact = Contact(force_id=force_a.id, channel="999", caller_number="+447700900555", received_at=NOW)
    db.add(contact)
    await db.flush()
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    glance = (await client.get(f"/contacts/{contact.id}")).text
    assert f'<a class="govuk-link" href="/incidents/{incident.id}">{incident.reference}</a>' in glance
    person = (await client.get(f"/people/{victim.id}")).text
    assert f'href="/incidents/{incident.id}"' in person
    assert 'href="/crimes/' not in person  # the timeline lists the crime, but a handler may not open it

    auditor = await make_user(db, force_a, "auditor")  # may read people, not incidents
    client.cookies.clear()
    await sign_in(client, auditor)
    person = (await client.get(f"/people/{victim.id}")).text
    assert incident.reference in person and f'href="/incidents/{incident.id}"' not in person
    assert (await client.get(f"/incidents/{incident.id}")).status_code == 403


async def test_an_incident_with_nobody_recorded_says_so(client: httpx.AsyncClient, db: AsyncSession,
                                                        force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    bare = Incident(force_id=force_a.id, reference="INC-BARE-1", occurred_at=NOW)
    db.add(bare)
    await db.flush()
    assert not list(await db.scalars(select(IncidentPerson).where(IncidentPerson.incident_id == bare.id)))
    investigator = await make_user(db, force_a, "ppu_investigator")
    await sign_in(client, investigator)
    body = (await client.get(f"/incidents/{bare.id}")).text
    assert "No people are recorded for this incident." in body
    assert "No address recorded" in body and "No crime has been recorded from this incident." in body
    assert 'href="/crimes/new?incident=INC-BARE-1"' in body  # an investigator may record one
