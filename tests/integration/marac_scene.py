"""A DA victim with a saved DASH assessment and the PPU investigator who refers her, for the MARAC tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from safeguard.risk import marac
from safeguard.risk.models import MaracMeeting, RiskAssessment
from tests.conftest import ForceData, Staff, make_user
from tests.integration.crime_scene import actor_for


@dataclass
class MaracScene:
    force: ForceData
    staff: Staff
    actor: Actor
    victim: Person
    incident: Incident
    assessment: RiskAssessment


async def add_assessment(db: AsyncSession, force: ForceData, victim: Person, incident: Incident, *, score: int = 16,
                         routes: tuple[str, ...] = ("visible-high-risk",), level: str = "high",
                         days_ago: int = 1) -> RiskAssessment:
    count = await db.scalar(select(func.count()).select_from(RiskAssessment))
    assessment = RiskAssessment(
        force_id=force.id, reference=f"RA-T-{force.id}-{count}", victim_id=victim.id, incident_id=incident.id,
        form="DASH-27", answers={f"q{n}": "yes" if n <= score else "no" for n in range(1, 28)}, score=score,
        suggested_level=level, final_level=level, marac_routes=list(routes),
        assessed_at=datetime.now(UTC) - timedelta(days=days_ago), assessed_by="assessor")
    db.add(assessment)
    await db.flush()
    return assessment


async def marac_scene(db: AsyncSession, force: ForceData, *, forename: str = "Carla", score: int = 16,
                      routes: tuple[str, ...] = ("visible-high-risk",), staff: Staff | None = None) -> MaracScene:
    await set_force_context(db, force.id)
    staff = staff or await make_user(db, force, "ppu_investigator", team_kind="public_protection")
    await set_force_context(db, force.id, staff.user.id)
    victim = Person(force_id=force.id, forename=forename, surname="Benning", dob_year=1987, dob_month=5, dob_day=9)
    count = await db.scalar(select(func.count()).select_from(Incident))
    incident = Incident(force_id=force.id, reference=f"INC-M-{force.id}-{count}", da_related=True,
                        occurred_at=datetime.now(UTC) - timedelta(days=2), area_id=force.area.id)
    db.add_all([victim, incident])
    await db.flush()
    db.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"))
    await db.flush()
    assessment = await add_assessment(db, force, victim, incident, score=score, routes=routes)
    return MaracScene(force, staff, actor_for(staff, force), victim, incident, assessment)


async def add_meeting(db: AsyncSession, scene: MaracScene, held_on: date | None = None) -> MaracMeeting:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    return await marac.create_meeting(db, scene.actor, marac.NewMeeting(
        held_on=held_on or marac.uk_today(), venue="Northfield police station, room 2", chair="DI Rhodes"))


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)
