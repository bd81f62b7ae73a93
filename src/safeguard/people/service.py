"""Reading person records. Every read is audited; restricted records are withheld by default."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonAddress, PersonAlias, PersonPhone, RestrictedAccess


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


async def read_person(db: AsyncSession, actor: Actor, person_id: int, *, reason: str | None = None) -> PersonView:
    """One person, as this actor may see them. The read is audited.

    Row-level security confines the query to the actor's force, and hides a restricted person (a refuge
    resident, an officer who is a victim) from anyone without a grant for them.
    """
    # A query, not the session's identity map, so that row-level security always decides.
    person = (await db.scalars(select(Person).where(Person.id == person_id))).first()
    # Row-level security hides a restricted person from anyone without a grant; the code checks too.
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        raise PersonNotFound(person_id)
    await audit.record_read(db, actor, "person", person_id, reason=reason)
    aliases = [f"{a.forename} {a.surname}" for a in await db.scalars(
        select(PersonAlias).where(PersonAlias.person_id == person_id).order_by(PersonAlias.id))]
    phones = list(await db.scalars(
        select(PersonPhone.number_e164).where(PersonPhone.person_id == person_id).order_by(PersonPhone.id)))
    # An address this user may not see (a refuge) comes back from the outer join as nothing at all.
    rows = await db.execute(
        select(Location, PersonAddress.from_date, PersonAddress.to_date)
        .select_from(PersonAddress)
        .outerjoin(Location, PersonAddress.location_id == Location.id)
        .where(PersonAddress.person_id == person_id)
        .order_by(PersonAddress.from_date.desc().nulls_last())
    )
    addresses = [AddressView(address_text(loc), from_date, to_date) for loc, from_date, to_date in rows]
    return PersonView(person.id, person.display_name, person.date_of_birth, person.gender, person.restricted,
                      aliases, phones, addresses)


RESTRICTED_ADDRESS = "Restricted address"


def address_text(location: Location | None) -> str:
    if location is None:
        return RESTRICTED_ADDRESS
    return ", ".join(part for part in (location.line1, location.line2, location.town, location.postcode) if part)


async def visible_address(db: AsyncSession, actor: Actor, location: Location | None) -> str:
    """A location's address as this actor may see it: RESTRICTED_ADDRESS when row-level security hid it (None)
    or it is restricted and they hold no grant for it."""
    if location is None or (location.restricted and not await may_see(db, actor, location_id=location.id)):
        return RESTRICTED_ADDRESS
    return address_text(location)


async def may_see(db: AsyncSession, actor: Actor, *, person_id: int | None = None,
                  location_id: int | None = None) -> bool:
    """Does this member of staff hold a live grant for this restricted person or address?"""
    if actor.user_id is None:
        return False
    query = select(RestrictedAccess.id).where(RestrictedAccess.user_id == actor.user_id,
                                              RestrictedAccess.revoked_at.is_(None))
    if person_id is not None:
        query = query.where(RestrictedAccess.person_id == person_id)
    else:
        query = query.where(RestrictedAccess.location_id == location_id)
    return (await db.scalar(query.limit(1))) is not None


async def grant_restricted(db: AsyncSession, *, force_id: int, user_id: int, granted_by: str, reason: str,
                           person_id: int | None = None, location_id: int | None = None) -> RestrictedAccess:
    """Let one member of staff see one restricted person or address. Audited."""
    if (person_id is None) == (location_id is None):
        raise ValueError("Grant access to exactly one person or one address.")
    if not reason.strip():
        raise ValueError("Say why this person needs access to a restricted record.")
    grant = RestrictedAccess(force_id=force_id, user_id=user_id, person_id=person_id, location_id=location_id,
                             granted_by=granted_by, reason=reason.strip())
    db.add(grant)
    await db.flush()
    subject = ("person", person_id) if person_id is not None else ("location", location_id)
    await audit.record(db, action="restricted.granted", actor_label=granted_by, force_id=force_id,
                       object_type=subject[0], object_id=subject[1], reason=reason.strip(),
                       details={"user_id": user_id})
    return grant


async def restrict(db: AsyncSession, *, force_id: int, by_user_id: int, by_label: str, reason: str,
                   person_id: int | None = None, location_id: int | None = None) -> None:
    """Make a person or address restricted. Whoever restricts it keeps access to it; everyone else loses it.

    The grant comes first, because a row this user could not see after the change could not be updated
    through row-level security at all.
    """
    await set_force_context(db, force_id, by_user_id)
    await grant_restricted(db, force_id=force_id, user_id=by_user_id, granted_by=by_label, reason=reason,
                           person_id=person_id, location_id=location_id)
    model: type[Person] | type[Location] = Person if person_id is not None else Location
    subject = person_id if person_id is not None else location_id
    await db.execute(update(model).where(model.id == subject).values(restricted=True)
                     .execution_options(synchronize_session=False))
    await audit.record(db, action="restricted.set", actor_label=by_label, force_id=force_id,
                       object_type="person" if person_id is not None else "location", object_id=subject,
                       reason=reason)
