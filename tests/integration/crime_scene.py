"""A recorded DA crime with a victim and a suspect, and the investigator who works it, for the crimes tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import ROLES
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes import service
from safeguard.crimes.models import Crime, Suspect
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from tests.conftest import ForceData, Staff, make_user

# Far enough back that a week of custody and bail after it is still in the past.
WHEN = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)


@dataclass
class CrimeScene:
    force: ForceData
    staff: Staff
    actor: Actor
    crime: Crime
    suspect: Suspect
    victim: Person
    person: Person  # the suspect's person


def actor_for(staff: Staff, force: ForceData) -> Actor:
    return Actor(kind="user", force_id=force.id, label=staff.user.username,
                 permissions=ROLES[staff.user.role].permissions, user_id=staff.user.id, role=staff.user.role)


async def crime_scene(db: AsyncSession, force: ForceData, *, offences: tuple[str, ...] = ("coercive-control", "abh"),
                      da_related: bool = True, when: datetime = WHEN, area_id: int | None = None,
                      forename: str = "Dean", staff: Staff | None = None) -> CrimeScene:
    await set_force_context(db, force.id)
    staff = staff or await make_user(db, force, "ppu_investigator", team_kind="public_protection")
    await set_force_context(db, force.id, staff.user.id)
    actor = actor_for(staff, force)
    victim = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987)
    person = Person(force_id=force.id, forename=forename, surname="Holloway", dob_year=1984)
    count = await db.scalar(select(func.count()).select_from(Incident))
    incident = Incident(force_id=force.id, reference=f"INC-T-{force.id}-{count}", occurred_at=when,
                        da_related=da_related, area_id=area_id or force.area.id)
    db.add_all([victim, person, incident])
    await db.flush()
    db.add_all([IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"),
                IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=person.id, role="suspect")])
    await db.flush()
    crime = await service.record_crime(db, actor, service.NewCrime(
        incident_id=incident.id, offence_codes=list(offences), victim_ids=[victim.id], suspect_ids=[person.id],
        da_related=da_related), now=when + timedelta(hours=1))
    suspect = await db.scalar(select(Suspect).where(Suspect.crime_id == crime.id))
    assert suspect is not None
    return CrimeScene(force, staff, actor, crime, suspect, victim, person)


async def count(db: AsyncSession, model: type, force: ForceData) -> int:
    await set_force_context(db, force.id)
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)
