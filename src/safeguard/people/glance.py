"""History at a glance: what the force knows about a phone number, on one screen, for the control room.

Given the caller's number: the people linked to it, the markers on the number, on those people and on
their addresses, and their incidents in the last twelve months; the active protective orders and bail
conditions involving those people, and breach alerts at the top when the subject of an active order is linked
to the number together with a person the order protects, or with an address the order bars them from.

A restricted person linked to the number is shown as "Restricted person", with nothing else about them; a
restricted address as "Restricted address". Every person and every order shown is an audited read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes.models import Bail, Suspect
from safeguard.crimes.rules import BailRules
from safeguard.people import history, markers
from safeguard.people.markers import MarkerView
from safeguard.people.models import Location, Marker, Person, PersonAddress, PersonPhone, RestrictedAccess
from safeguard.people.relationships import RESTRICTED_PERSON
from safeguard.people.service import RESTRICTED_ADDRESS, address_text
from safeguard.safeguarding import orders as protective_orders
from safeguard.safeguarding.models import SafeContact
from safeguard.safeguarding.orders import BreachAlert, InvolvedOrder
from safeguard.safeguarding.safe_contact import SafeContactView, view_of

INCIDENT_WINDOW = timedelta(days=365)
# A number shared by many records (a family landline, a business switchboard, or the synthetic force's few
# thousand fiction numbers) shows this many people in full, the most concerning first, and counts the rest.
MAX_PEOPLE = 20


@dataclass(frozen=True)
class GlanceAddress:
    text: str
    markers: list[MarkerView]


@dataclass(frozen=True)
class GlanceIncident:
    id: int
    reference: str
    occurred_at: datetime
    role: str
    da_related: bool
    address: str


@dataclass(frozen=True)
class GlancePerson:
    """A person linked to the number; `id` is None when the person is restricted and withheld."""

    id: int | None
    display_name: str
    date_of_birth: str | None = None
    markers: list[MarkerView] = field(default_factory=list)
    addresses: list[GlanceAddress] = field(default_factory=list)
    incidents: list[GlanceIncident] = field(default_factory=list)
    # How to contact the person safely, when recorded: a handler calling back must see it first.
    safe_contact: SafeContactView | None = None

    @property
    def withheld(self) -> bool:
        return self.id is None


@dataclass(frozen=True)
class GlanceBail:
    """Current pre-charge or court bail with conditions, for a person linked to the number."""

    suspect_id: int
    person: str
    return_on: date | None
    conditions: list[tuple[str, str]]  # (label, detail)


@dataclass(frozen=True)
class Glance:
    number: str  # E.164
    number_markers: list[MarkerView]
    people: list[GlancePerson]
    alerts: list[BreachAlert] = field(default_factory=list)
    orders: list[InvolvedOrder] = field(default_factory=list)
    bails: list[GlanceBail] = field(default_factory=list)
    more_people: int = 0  # further people linked to the number, beyond those shown


async def _people(db: AsyncSession, actor: Actor, person_ids: list[int], since: datetime
                  ) -> list[GlancePerson]:
    """Each person as the glance shows them, in the order given, with a query per kind of record for all of them
    rather than several per person. A merged record shows its survivor; a person the reader may not see is
    withheld. Every person shown is an audited read (one statement for all)."""
    found = {p.id: p for p in await db.scalars(select(Person).where(Person.id.in_(person_ids))
                                               .execution_options(populate_existing=True))}
    restricted = [p.id for p in found.values() if p.restricted]
    granted = set(await db.scalars(select(RestrictedAccess.person_id).where(
        RestrictedAccess.user_id == actor.user_id, RestrictedAccess.revoked_at.is_(None),
        RestrictedAccess.person_id.in_(restricted)))) if restricted and actor.user_id is not None else set()
    shown: list[Person | None] = []
    for person_id in person_ids:
        person = found.get(person_id)
        if person is not None and person.restricted and person.id not in granted:
            person = None
        if person is not None and person.merged_into_id is not None:  # a merged record leads to its survivor
            survivor = await history.surviving_record(db, actor, person_id)
            person = await history.visible_person(db, actor, survivor) if survivor is not None else None
        shown.append(person)
    visible = list(dict.fromkeys(p.id for p in shown if p is not None))
    if not visible:
        return [GlancePerson(None, RESTRICTED_PERSON) for _ in shown]
    await audit.record_reads(db, actor, "person", [p.id for p in shown if p is not None],
                             reason="history at a glance")
    today = date.today()
    homes: dict[int, list[int]] = {person_id: [] for person_id in visible}
    for person_id, location_id in await db.execute(
            select(PersonAddress.person_id, PersonAddress.location_id).where(
                PersonAddress.person_id.in_(visible),
                (PersonAddress.to_date.is_(None)) | (PersonAddress.to_date >= today))
            .order_by(PersonAddress.from_date.desc().nulls_last())):
        homes[person_id].append(location_id)
    place_ids = list(dict.fromkeys(location_id for ids in homes.values() for location_id in ids))
    # Row-level security leaves out an address this reader may not see (a refuge, say).
    places = {place.id: place for place in await db.scalars(select(Location).where(Location.id.in_(place_ids)))
              } if place_ids else {}
    on_person, on_place = await _markers(db, visible, list(places))
    incidents: dict[int, list[GlanceIncident]] = {person_id: [] for person_id in visible}
    for incident, person_id, role, location in await db.execute(
            select(Incident, IncidentPerson.person_id, IncidentPerson.role, Location)
            .join(IncidentPerson, IncidentPerson.incident_id == Incident.id)
            .outerjoin(Location, Location.id == Incident.location_id)
            .where(IncidentPerson.person_id.in_(visible), Incident.occurred_at >= since)
            .order_by(Incident.occurred_at.desc())):
        incidents[person_id].append(GlanceIncident(
            incident.id, incident.reference, incident.occurred_at, role, incident.da_related,
            address_text(location) if incident.location_id is not None else "Not recorded"))
    safe = {row.person_id: view_of(row) for row in await db.scalars(
        select(SafeContact).where(SafeContact.person_id.in_(visible)))}

    def address(location_id: int) -> GlanceAddress:
        place = places.get(location_id)
        if place is None:
            return GlanceAddress(RESTRICTED_ADDRESS, [])
        return GlanceAddress(address_text(place), on_place.get(place.id, []))

    return [GlancePerson(None, RESTRICTED_PERSON) if person is None else GlancePerson(
        person.id, person.display_name, person.date_of_birth, on_person.get(person.id, []),
        [address(location_id) for location_id in homes[person.id]], incidents[person.id], safe.get(person.id))
        for person in shown]


async def _markers(db: AsyncSession, person_ids: list[int], location_ids: list[int]
                   ) -> tuple[dict[int, list[MarkerView]], dict[int, list[MarkerView]]]:
    """The active markers of these people and addresses (as `markers.markers_for` gives them, newest first), in
    one query."""
    subject: ColumnElement[bool] = Marker.person_id.in_(person_ids)
    if location_ids:
        subject = subject | Marker.location_id.in_(location_ids)
    rows = list(await db.scalars(select(Marker).where(subject).order_by(Marker.starts_on.desc(), Marker.id.desc())))
    on_person: dict[int, list[MarkerView]] = {}
    on_place: dict[int, list[MarkerView]] = {}
    if not rows:
        return on_person, on_place
    kinds = await markers.kinds_for(db, rows[0].force_id)
    on = markers.today()
    for m in rows:
        if m.starts_on <= on and (m.ends_on is None or on < m.ends_on):
            view = MarkerView(m.id, m.kind, markers.label_for(m.kind, kinds), m.note, m.starts_on, m.ends_on,
                              m.set_by, m.set_at, m.ended_by, m.ended_at, m.end_reason)
            if m.person_id is not None:
                on_person.setdefault(m.person_id, []).append(view)
            if m.location_id is not None:
                on_place.setdefault(m.location_id, []).append(view)
    return on_person, on_place


async def history_for_number(db: AsyncSession, actor: Actor, number: str, *, now: datetime | None = None
                             ) -> Glance:
    """Everything linked to a phone number. Raises `markers.MarkerRefused` if the number is not valid."""
    e164 = markers.parse_phone(number)
    since = (now or datetime.now(UTC)) - INCIDENT_WINDOW
    # Phone rows are not themselves restricted, so a restricted person's number is found here and the
    # person is then withheld: the handler learns that someone restricted is linked, and nothing more.
    person_ids, more = await _linked(db, e164, since, (now or datetime.now(UTC)).date())
    people = await _people(db, actor, person_ids, since) if person_ids else []
    unique: dict[int | None, GlancePerson] = {}
    withheld = [p for p in people if p.withheld]
    for person in people:
        if not person.withheld:
            unique.setdefault(person.id, person)
    await audit.record(db, action="phone.history_viewed", actor=actor, object_type="phone", object_id=e164,
                       details={"people": len(unique), "withheld": len(withheld)})
    # What the handler must see first: a withheld (restricted) person, who may be a victim in a refuge; then
    # those with the most warning markers, then the most recent incidents.
    ranked = sorted(unique.values(), key=lambda p: (-len(p.markers), -len(p.incidents)))
    # Orders and alerts: the people at the number (as RLS lets this reader see them) and their addresses.
    linked = [p.id for p in ranked if p.id is not None]
    today = (now or datetime.now(UTC)).date()
    places = list(dict.fromkeys(await db.scalars(select(PersonAddress.location_id).where(
        PersonAddress.person_id.in_(linked), (PersonAddress.to_date.is_(None)) | (PersonAddress.to_date >= today)))
        )) if linked else []
    alerts = await protective_orders.breach_alerts(db, linked, places, actor=actor, now=now,
                                                   withheld_linked=bool(withheld))
    involved = await protective_orders.active_orders_involving(db, linked, actor=actor, now=now)
    return Glance(e164, (await markers.markers_for(db, phone=e164)).active, withheld[:1] + ranked, alerts, involved,
                  await _bails(db, actor, ranked, today), more)


async def _linked(db: AsyncSession, e164: str, since: datetime, today: date) -> tuple[list[int], int]:
    """The people linked to the number to show in full, in order of their ids, and how many more there are.

    A number shared by more than MAX_PEOPLE (a switchboard, or the synthetic force's fiction numbers) shows
    those the reader may not see first (each is withheld; one placeholder is enough), then the visible ones with
    the most active markers, then the most incidents in the window. One statement finds and ranks them all,
    rather than a list of ids and then a query with a thousand of them."""
    at_number = select(PersonPhone.person_id).where(PersonPhone.number_e164 == e164).distinct().subquery()
    linked = at_number.c.person_id
    markers_now = (select(func.count()).select_from(Marker).where(
        Marker.person_id == linked, Marker.starts_on <= today,
        (Marker.ends_on.is_(None)) | (Marker.ends_on > today)).scalar_subquery())
    recent = (select(func.count()).select_from(IncidentPerson)
              .join(Incident, Incident.id == IncidentPerson.incident_id)
              .where(IncidentPerson.person_id == linked, Incident.occurred_at >= since).scalar_subquery())
    rows = (await db.execute(
        select(linked, Person.id.is_not(None), markers_now, recent)
        .select_from(at_number.outerjoin(Person, Person.id == linked)).order_by(linked))).all()
    if len(rows) <= MAX_PEOPLE:
        return [row[0] for row in rows], 0
    # Row-level security leaves out the person of a restricted record this reader has no grant for.
    hidden = [person_id for person_id, visible, _, _ in rows if not visible]
    ranked = sorted((row for row in rows if row[1]), key=lambda row: (-row[2], -row[3], row[0]))
    return hidden[:1] + [row[0] for row in ranked[:MAX_PEOPLE]], max(0, len(ranked) - MAX_PEOPLE)


async def _bails(db: AsyncSession, actor: Actor, people: list[GlancePerson], today: date) -> list[GlanceBail]:
    """Current bail with conditions for the people shown: what the control room must know about a bailed suspect."""
    names = {p.id: p.display_name for p in people if p.id is not None}
    if not names:
        return []
    rules = BailRules.from_settings(None)
    found: list[GlanceBail] = []
    read: list[int] = []
    for bail, suspect in await db.execute(
            select(Bail, Suspect).join(Suspect, Suspect.id == Bail.suspect_id)
            .where(Suspect.person_id.in_(list(names)), Bail.ended_at.is_(None),
                   (Bail.return_on.is_(None)) | (Bail.return_on >= today))
            .order_by(Bail.starts_on.desc())):
        conditions = [(rules.condition_label(str(c.get("kind", ""))), str(c.get("detail", "")))
                      for c in bail.conditions or [] if isinstance(c, dict)]
        if not conditions:
            continue
        read.append(bail.id)
        found.append(GlanceBail(suspect.id, names[suspect.person_id], bail.return_on, conditions))
    await audit.record_reads(db, actor, "bail", read, reason="history at a glance")
    return found
