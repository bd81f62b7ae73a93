"""A DA specialist, a victim and a local service, for the support-service tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from safeguard.safeguarding.models import SupportService
from tests.conftest import ForceData, Staff, make_user
from tests.integration.crime_scene import actor_for


@dataclass
class SupportScene:
    force: ForceData
    staff: Staff
    actor: Actor
    victim: Person
    local: SupportService


async def support_scene(db: AsyncSession, force: ForceData, *, gender: str = "male", dob_year: int = 1980,
                        role: str = "da_specialist") -> SupportScene:
    await set_force_context(db, force.id)
    staff = await make_user(db, force, role, team_kind="public_protection")
    await set_force_context(db, force.id, staff.user.id)
    victim = Person(force_id=force.id, forename="Marcus", surname="Oyelaran", dob_year=dob_year, gender=gender)
    local = SupportService(force_id=force.id, code=f"local-men-{force.id}", name=f"Northfield Men's Project {force.id}",
                           scope="local", description="Casework for male victims", eligibility="Men in Northfield",
                           groups=["men"], phone="0121 496 0000", referral_route="Secure email referral form",
                           accepts_police_referrals=True)
    incident = Incident(force_id=force.id, reference=f"INC-SUPPORT-{force.id}", occurred_at=func.now(),
                        da_related=True)
    db.add_all([victim, local, incident])
    await db.flush()
    db.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"))
    await db.flush()
    return SupportScene(force, staff, actor_for(staff, force), victim, local)
