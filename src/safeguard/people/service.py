"""Reading person records. Every read is audited; restricted records are withheld by default."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.people.models import Location, Person, PersonAddress, PersonAlias, PersonPhone


class PersonNotFound(LookupError):
    pass


@dataclass(frozen=True)
class AddressView:
    text: str
    from_date: date | None
    to_date: date | None


@dataclass(frozen=True)
class PersonView:
    id: int
    display_name: str
    date_of_birth: str | None
    gender: str
    restricted: bool
    aliases: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    addresses: list[AddressView] = field(default_factory=list)


RESTRICTED_NAME = "Restricted record"


async def read_person(db: AsyncSession, actor: Actor, person_id: int, *, reason: str | None = None) -> PersonView:
    """One person, as this actor may see them. The read is audited even when the record is restricted.

    Row-level security already confines the query to the actor's force. A restricted person (a refuge
    resident, an officer who is a victim) shows nothing but that it exists, until grants to restricted
    records arrive.
    """
    person = await db.get(Person, person_id)
    if person is None:
        raise PersonNotFound(person_id)
    await audit.record_read(db, actor, "person", person_id, reason=reason)
    if person.restricted:
        return PersonView(person.id, RESTRICTED_NAME, None, "withheld", True)
    aliases = [f"{a.forename} {a.surname}" for a in await db.scalars(
        select(PersonAlias).where(PersonAlias.person_id == person_id).order_by(PersonAlias.id))]
    phones = list(await db.scalars(
        select(PersonPhone.number_e164).where(PersonPhone.person_id == person_id).order_by(PersonPhone.id)))
    rows = await db.execute(
        select(Location, PersonAddress.from_date, PersonAddress.to_date)
        .join(PersonAddress, PersonAddress.location_id == Location.id)
        .where(PersonAddress.person_id == person_id)
        .order_by(PersonAddress.from_date.desc().nulls_last())
    )
    addresses = [
        AddressView("Restricted address" if loc.restricted else
                    ", ".join(part for part in (loc.line1, loc.line2, loc.town, loc.postcode) if part),
                    from_date, to_date)
        for loc, from_date, to_date in rows
    ]
    return PersonView(person.id, person.display_name, person.date_of_birth, person.gender, False, aliases, phones,
                      addresses)
