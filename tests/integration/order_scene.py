"""A DA suspect and the victim he must keep away from, her address and a shared landline; and the staff who
work with protective orders: a response officer, a call handler and a PPU investigator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonAddress, PersonPhone
from safeguard.safeguarding import orders
from tests.conftest import ForceData, Staff, make_user
from tests.integration.crime_scene import actor_for

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
LANDLINE = "+441632960555"


@dataclass
class OrderScene:
    force: ForceData
    officer: Staff
    actor: Actor
    handler: Staff
    subject: Person
    victim: Person
    home: Location  # the victim's address


async def order_scene(db: AsyncSession, force: ForceData) -> OrderScene:
    await set_force_context(db, force.id)
    officer = await make_user(db, force, "response_officer")
    handler = await make_user(db, force, "call_handler")
    await set_force_context(db, force.id, officer.user.id)
    subject = Person(force_id=force.id, forename="Dean", surname="Carver", dob_year=1984, dob_month=5, dob_day=2)
    victim = Person(force_id=force.id, forename="Alice", surname="Marsh", dob_year=1990)
    home = Location(force_id=force.id, line1="8 Tanner Street", town="Northfield", postcode="ZZ3 8TS")
    db.add_all([subject, victim, home])
    await db.flush()
    db.add_all([PersonAddress(force_id=force.id, person_id=victim.id, location_id=home.id),
                PersonPhone(force_id=force.id, person_id=subject.id, number_e164="+447700900777"),
                PersonPhone(force_id=force.id, person_id=subject.id, number_e164=LANDLINE),
                PersonPhone(force_id=force.id, person_id=victim.id, number_e164=LANDLINE)])
    await db.flush()
    return OrderScene(force, officer, actor_for(officer, force), handler, subject, victim, home)


def dapn(scene: OrderScene, served: datetime = NOW - timedelta(hours=2), **changes: object) -> orders.NewOrder:
    values: dict[str, object] = {
        "kind": "dapn", "subject_id": scene.subject.id, "protected_ids": [scene.victim.id], "starts_at": served,
        "served_at": served, "no_contact": True, "zones": [orders.NewZone(scene.home.id, 100)],
        "authorised_by": "Insp 4411 Priya Shah", "authoriser_rank": "inspector"}
    values.update(changes)
    return orders.NewOrder(**values)  # type: ignore[arg-type]


async def counts(db: AsyncSession, force: ForceData) -> tuple[int, ...]:
    from safeguard.safeguarding.models import OrderBreach, ProtectiveOrder, ProtectiveOrderPerson, ProtectiveOrderZone
    await set_force_context(db, force.id)
    return tuple([int(await db.scalar(select(func.count()).select_from(model)) or 0)
                  for model in (ProtectiveOrder, ProtectiveOrderPerson, ProtectiveOrderZone, OrderBreach)])
