"""The person page: timeline with roles, computed flags with the force's thresholds, who viewed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Contact, Incident, IncidentPerson
from safeguard.crimes.models import Arrest, Crime, CrimeOffence, CrimePerson, Offence, Suspect
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from safeguard.people.history import FlagRules, flags, timeline
from safeguard.people.models import Person
from tests.conftest import ForceData, make_user, sign_in

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


async def _person(db: AsyncSession, force: ForceData, forename: str, dob_year: int | None = 1980) -> Person:
    person = Person(force_id=force.id, forename=forename, surname="Test", dob_year=dob_year, gender="unknown")
    db.add(person)
    await db.flush()
    return person


async def _incident(db: AsyncSession, force: ForceData, days_ago: int, parts: list[tuple[Person, str]],
                    da: bool = True) -> Incident:
    incident = Incident(force_id=force.id, reference=f"INC-{days_ago}-{parts[0][0].id}",
                        occurred_at=NOW - timedelta(days=days_ago), da_related=da, summary="Argument at home")
    db.add(incident)
    await db.flush()
    for person, role in parts:
        db.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=person.id, role=role))
    await db.flush()
    return incident


async def test_repeat_victim_and_serial_perpetrator(db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    victim, other_victim = await _person(db, force_a, "Vic"), await _person(db, force_a, "Olive")
    suspect = await _person(db, force_a, "Sid")
    for days in (10, 100, 300):
        await _incident(db, force_a, days, [(victim, "victim"), (suspect, "suspect")])
    await _incident(db, force_a, 500, [(other_victim, "victim"), (suspect, "suspect")])
    await _incident(db, force_a, 20, [(victim, "victim")], da=False)  # not DA: does not count
    rules = FlagRules()
    victim_flags = {f.code for f in await flags(db, victim, rules, now=NOW)}
    suspect_flags = {f.code for f in await flags(db, suspect, rules, now=NOW)}
    assert victim_flags == {"repeat-victim"}
    assert suspect_flags == {"repeat-perpetrator", "serial-perpetrator"}
    # A stricter force: 4 incidents make a repeat victim.
    assert not await flags(db, victim, FlagRules(repeat_victim_incidents=4), now=NOW)


async def test_old_incidents_and_young_suspects_do_not_make_a_serial_perpetrator(
        db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    one, two = await _person(db, force_a, "One"), await _person(db, force_a, "Two")
    old = await _person(db, force_a, "Old")
    await _incident(db, force_a, 30, [(one, "victim"), (old, "suspect")])
    await _incident(db, force_a, 4 * 365, [(two, "victim"), (old, "suspect")])  # outside 3 years
    assert "serial-perpetrator" not in {f.code for f in await flags(db, old, FlagRules(), now=NOW)}
    young = await _person(db, force_a, "Young", dob_year=2012)
    await _incident(db, force_a, 30, [(one, "victim"), (young, "suspect")])
    await _incident(db, force_a, 60, [(two, "victim"), (young, "suspect")])
    assert "serial-perpetrator" not in {f.code for f in await flags(db, young, FlagRules(), now=NOW)}


async def test_force_settings_change_the_thresholds(db: AsyncSession, force_a: ForceData) -> None:
    from safeguard.people.history import rules_for

    await db.execute(update(Force).where(Force.id == force_a.id).values(
        settings={"person_flags": {"repeat_victim_incidents": 5, "unknown_key": 1}}))
    rules = await rules_for(db, force_a.id)
    assert rules.repeat_victim_incidents == 5 and rules.serial_years == 3


async def test_timeline_lists_incidents_and_contacts_with_roles(db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    victim, suspect = await _person(db, force_a, "Vic"), await _person(db, force_a, "Sid")
    incident = await _incident(db, force_a, 5, [(victim, "victim"), (suspect, "suspect")])
    db.add(Contact(force_id=force_a.id, channel="999-silent", caller_number="+447700900111",
                   received_at=incident.occurred_at - timedelta(minutes=3), pressed_55=True, incident_id=incident.id,
                   da_flag=True))
    await _incident(db, force_a, 50, [(suspect, "witness")])
    await db.flush()
    entries = await timeline(db, suspect.id)
    assert [(e.kind, e.role) for e in entries] == [("incident", "suspect"), ("contact", None), ("incident", "witness")]


async def test_timeline_lists_crimes_with_the_role_and_the_suspects_stage(db: AsyncSession,
                                                                         force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    victim, suspect = await _person(db, force_a, "Vic"), await _person(db, force_a, "Sid")
    incident = await _incident(db, force_a, 5, [(victim, "victim"), (suspect, "suspect")])
    offence = await db.scalar(select(Offence).where(Offence.code == "coercive-control"))
    assert offence is not None
    crime = Crime(force_id=force_a.id, reference="CR-2026-000042", incident_id=incident.id, da_related=True,
                  occurred_at=incident.occurred_at, recorded_at=NOW, recorded_by="officer")
    db.add(crime)
    await db.flush()
    held = Suspect(force_id=force_a.id, crime_id=crime.id, person_id=suspect.id, status="wanted")
    db.add_all([CrimeOffence(force_id=force_a.id, crime_id=crime.id, offence_id=offence.id), held,
                CrimePerson(force_id=force_a.id, crime_id=crime.id, person_id=victim.id, role="victim")])
    await db.flush()
    db.add(Arrest(force_id=force_a.id, person_id=suspect.id, suspect_id=held.id, arrested_by="pc.jones",
                  arrested_at=NOW - timedelta(days=1), place="Tanner Street", da_related=True))
    await db.flush()
    entries = {e.kind: e for e in await timeline(db, suspect.id)}
    assert entries["crime"].role == "suspect" and entries["crime"].href == f"/crimes/{crime.id}"
    assert entries["crime"].summary == f"{offence.title} (suspect wanted)"
    assert entries["arrest"].summary == "Arrested by pc.jones"
    victim_entries = [(e.kind, e.role) for e in await timeline(db, victim.id)]
    assert ("crime", "victim") in victim_entries and ("arrest", "suspect") not in victim_entries


async def test_person_page_shows_flags_timeline_and_who_viewed(client: httpx.AsyncClient, db: AsyncSession,
                                                               force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    victim, suspect = await _person(db, force_a, "Vic"), await _person(db, force_a, "Sid")
    for days in (1, 2, 3):
        await _incident(db, force_a, days, [(victim, "victim"), (suspect, "suspect")])
    investigator = await make_user(db, force_a, "ppu_investigator", username="ivy")
    await sign_in(client, investigator)
    page = await client.get(f"/people/{victim.id}")
    assert page.status_code == 200
    assert 'data-testid="flag-repeat-victim"' in page.text
    assert page.text.count("Incident INC-") == 3
    assert 'data-testid="who-viewed"' not in page.text  # an investigator does not see the audit
    client.cookies.clear()
    auditor = await make_user(db, force_a, "auditor", username="audrey")
    await sign_in(client, auditor)
    page = await client.get(f"/people/{victim.id}")
    assert 'data-testid="who-viewed"' in page.text
    assert ">ivy<" in page.text and ">audrey<" in page.text
