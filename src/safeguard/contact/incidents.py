"""An incident as its own record: when and where it happened, who was in it and in what part, the contacts that
reported it and the crimes recorded from it. History at a glance, the contact page and a person's timeline link
here, so that every incident they list leads to its record. Each read is audited; restricted people and
addresses are withheld (row-level security hides them, and `may_see` decides for holders of a grant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.contact.models import Contact
from safeguard.crimes import service as crimes
from safeguard.force.models import Area
from safeguard.people.models import Location
from safeguard.people.service import visible_address

ROLE_LABELS = {"victim": "Victim", "suspect": "Suspect", "witness": "Witness"}


class IncidentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class IncidentContact:
    id: int
    channel: str
    received_at: datetime
    grade: str | None


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    reference: str
    occurred_at: datetime
    da_related: bool
    summary: str | None
    address: str | None  # None: no address recorded; people.service.RESTRICTED_ADDRESS: recorded but withheld
    area: str | None
    people: list[crimes.IncidentPersonOption] = field(default_factory=list)
    withheld_people: int = 0
    crimes: list[tuple[int, str]] = field(default_factory=list)
    contacts: list[IncidentContact] = field(default_factory=list)


async def read_incident(db: AsyncSession, actor: Actor, incident_id: int) -> IncidentRecord:
    """The incident as this actor may see it. Raises IncidentNotFound (also for another force's incident, which
    row-level security hides). The read is audited, once, by `crimes.incident_for_recording`."""
    found = await crimes.incident_for_recording(db, actor, incident_id, reason="incident page")
    if found is None:
        raise IncidentNotFound(incident_id)
    address = None if found.location_id is None else await visible_address(
        db, actor, await db.scalar(select(Location).where(Location.id == found.location_id)))
    area = await db.scalar(select(Area.name).where(Area.id == found.area_id)) if found.area_id else None
    contacts = [IncidentContact(c.id, c.channel, c.received_at, c.grade) for c in await db.scalars(
        select(Contact).where(Contact.incident_id == incident_id).order_by(Contact.received_at))]
    return IncidentRecord(found.id, found.reference, found.occurred_at, found.da_related, found.summary, address,
                          area, found.people, found.withheld_people, found.crimes, contacts)
