"""Contact intake: a call or report on any channel becomes a contact, once, and the handler sees its history.

Telephony posts a contact when the call is answered (`POST /api/v1/contacts`, docs/integrations.md); a handler
creates one from the "new contact" page. A retried post with the same Idempotency-Key returns the first contact:
the unique constraint `uq_contact_idempotency` decides between concurrent retries, and the loser returns the
winner's contact. The same key with a different body is refused, never silently merged.

The contact page shows one screen of history at a glance: what `people.glance` knows about the number, the
incidents at the contact's address or within the AML fix's radius in the last twelve months, and wanted or
outstanding suspects of DA crimes linked to the people at the number or address. Every record shown is an
audited read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import phonenumbers
from sqlalchemy import String, Table, bindparam, distinct, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact import aml_service
from safeguard.contact.models import CHANNELS, AmlFix, Contact, ContactGrade, Incident, SpecialistAdvice
from safeguard.crimes.models import Crime, Suspect
from safeguard.db.driver import DriverStatement
from safeguard.force.models import Force
from safeguard.people import glance, markers
from safeguard.people.history import visible_person
from safeguard.people.markers import MarkerView
from safeguard.people.models import Location, Marker, PersonAddress, PersonPhone
from safeguard.people.service import address_text
from safeguard.safeguarding import orders as protective_orders

# A switch's clock and ours are never exactly together: a received_at up to this far ahead of our clock is
# taken as "now" rather than refused. Two minutes covers NTP drift and queueing without admitting bad data.
CLOCK_SKEW = timedelta(minutes=2)
NOTE_MAX = 4000
LOCATION_TEXT_MAX = 300
KEY_MAX = 200
CHANNEL_LABELS = {"999": "999", "999-silent": "Silent 999", "101": "101", "online": "Online", "in-person": "In person"}
# Marker kinds that make a contact domestic abuse (DA flag) when they are on the number or on a person linked
# to it. Flagging a number or address with a DA marker is common local practice, not a national rule
# (DOMAIN.md §3, UNVERIFIED), so a force may set its own list in `force.settings["contact_da_marker_kinds"]`.
DEFAULT_DA_MARKER_KINDS = ("da-high-risk-victim", "da-perpetrator", "stalking")
# Marker kinds the handler is alerted to at the top of the contact: DA kinds and officer-safety kinds.
# A force may set its own list in `force.settings["contact_alert_marker_kinds"]`.
DEFAULT_ALERT_MARKER_KINDS = ("da-high-risk-victim", "da-perpetrator", "stalking", "weapons", "violence-to-police",
                              "officer-safety")
WANTED_STATUSES = ("wanted", "outstanding")
NEARBY_WINDOW = glance.INCIDENT_WINDOW


class IntakeRefused(ValueError):
    """The contact cannot be saved. `errors` maps each field at fault to what to fix. Nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was used before for a different contact. `fields` are those that differ."""

    def __init__(self, contact_id: int, fields: list[str]) -> None:
        self.contact_id = contact_id
        self.fields = fields
        super().__init__(f"Idempotency-Key already used for contact {contact_id} with different "
                         + ", ".join(fields))


class ContactNotFound(LookupError):
    pass


@dataclass
class NewContact:
    channel: str
    caller_number: str | None = None
    received_at: datetime | None = None
    pressed_55: bool = False
    note: str | None = None
    location_text: str | None = None
    location_id: int | None = None
    injury: bool = False
    weapons: bool = False
    children_present: bool = False
    rural: bool = False
    da_flag: bool = False  # the handler's view; Safeguard may set it too


def parse_number(text: str, field_name: str = "caller_number") -> str:
    """A caller's number as E.164, as `people.markers.parse_phone` reads numbers (Ofcom drama ranges included)."""
    try:
        return markers.parse_phone(text)
    except markers.MarkerRefused as refused:
        raise IntakeRefused({field_name: next(iter(refused.errors.values()))}) from None


def contact_problems(new: NewContact, now: datetime) -> tuple[dict[str, str], str | None]:
    """Everything wrong with a new contact, field by field, and the caller's number as E.164 when it is valid."""
    problems: dict[str, str] = {}
    if new.channel not in CHANNELS:
        problems["channel"] = (f"'{new.channel}' is not a channel; use one of " + ", ".join(CHANNELS)
                               if new.channel else "Choose the channel the contact came in on")
    e164 = None
    if new.caller_number is not None and new.caller_number.strip():
        try:
            e164 = parse_number(new.caller_number)
        except IntakeRefused as refused:
            problems.update(refused.errors)
    elif new.channel in ("999", "999-silent"):
        problems["caller_number"] = "Enter the caller's number: a 999 call always has one (CLI)"
    if new.received_at is None:
        problems["received_at"] = "Enter when the contact was received"
    elif new.received_at.tzinfo is None or new.received_at.utcoffset() is None:
        problems["received_at"] = "received_at must include a time zone, for example 2026-11-25T21:04:05Z"
    elif new.received_at > now + CLOCK_SKEW:
        problems["received_at"] = "received_at is in the future; send the time the call was answered"
    if new.pressed_55 and new.channel != "999-silent":
        problems["pressed_55"] = "pressed_55 applies only to silent 999 calls (channel 999-silent)"
    if new.note is not None and len(new.note) > NOTE_MAX:
        problems["note"] = f"The note must be {NOTE_MAX} characters or fewer"
    if new.location_text is not None and len(new.location_text) > LOCATION_TEXT_MAX:
        problems["location_text"] = f"The location must be {LOCATION_TEXT_MAX} characters or fewer"
    return problems, e164


def _differences(contact: Contact, new: NewContact, e164: str | None) -> list[str]:
    """The fields of a retried post that differ from the contact its key created."""
    wanted: dict[str, Any] = {"channel": new.channel, "caller_number": e164,
                              "received_at": new.received_at.astimezone(UTC) if new.received_at else None,
                              "pressed_55": new.pressed_55, "note": (new.note or "").strip() or None}
    have: dict[str, Any] = {"channel": contact.channel, "caller_number": contact.caller_number,
                            "received_at": contact.received_at.astimezone(UTC), "pressed_55": contact.pressed_55,
                            "note": contact.note}
    return [name for name in wanted if wanted[name] != have[name]]


async def _force_settings(db: AsyncSession, force_id: int) -> dict[str, Any]:
    settings = await db.scalar(select(Force.settings).where(Force.id == force_id))
    return dict(settings or {})


def _kinds(settings: Mapping[str, Any], key: str, default: tuple[str, ...]) -> set[str]:
    chosen = settings.get(key)
    if isinstance(chosen, list) and all(isinstance(k, str) for k in chosen):
        return set(chosen)
    return set(default)


def _active_marker(today: Any) -> Any:
    return (Marker.starts_on <= today) & (Marker.ends_on.is_(None) | (Marker.ends_on > today))


async def people_at_number(db: AsyncSession, e164: str) -> list[int]:
    return list(dict.fromkeys(await db.scalars(
        select(PersonPhone.person_id).where(PersonPhone.number_e164 == e164).order_by(PersonPhone.person_id))))


# What nearly every call needs, in one statement built once (a statement built per call costs more to build and
# to find in SQLAlchemy's cache than PostgreSQL takes to answer it): the force's settings (its DA kinds), the
# kinds of the active markers on the number and on its people, and whether anyone is linked to the number at
# all (only then are orders looked up).
_AT_NUMBER = select(PersonPhone.person_id).where(PersonPhone.number_e164 == bindparam("e164"))
_ACTIVE_KINDS = (select(func.array_agg(distinct(Marker.kind)))
                 .where((Marker.phone_e164 == bindparam("e164")) | Marker.person_id.in_(_AT_NUMBER),
                        _active_marker(bindparam("today")))
                 .scalar_subquery())
_DA_LINK = select(Force.settings, _ACTIVE_KINDS, exists(_AT_NUMBER)).where(Force.id == bindparam("force_id"))
_DA_LINK_STATEMENT = DriverStatement(_DA_LINK)


async def da_linked(db: AsyncSession, force_id: int, e164: str | None, now: datetime) -> bool:
    """Does the number, or a person linked to it, carry a DA marker or an active protective order?"""
    if e164 is None:
        return False
    settings, found, linked = await _DA_LINK_STATEMENT.first(
        db, {"e164": e164, "today": markers.today(), "force_id": force_id}) or ({}, None, False)
    kinds = _kinds(dict(settings or {}), "contact_da_marker_kinds", DEFAULT_DA_MARKER_KINDS)
    if kinds & set(found or ()):
        return True
    if not linked:
        return False
    people = await people_at_number(db, e164)
    return await protective_orders.any_active_order_involving(db, people, now=now)


# The intake insert, built once (Core: cheaper per call than the ORM's unit of work), with its audit event in the
# same statement (a data-modifying CTE: one statement for the server to run, not two, and no contact without its
# event). A concurrent post with the same key waits on the unique index until the first commits, then inserts
# nothing (and so audits nothing), and the first's contact is returned: one statement, no savepoint, on the usual
# path. `held_fixes` says whether any AML fix from the number is waiting for a contact (at any time: the window is
# the force's setting), so that aml_service.attach_held_fixes (two statements) runs only when there may be one to
# attach: nearly every call has none.
_CONTACT = cast(Table, Contact.__table__)
_FIX = cast(Table, AmlFix.__table__)
_INSERT_COLUMNS = ("force_id", "channel", "caller_number", "received_at", "pressed_55", "note", "da_flag",
                   "idempotency_key", "taken_by", "location_id", "location_text", "rural", "injury", "weapons",
                   "children_present")
_HELD = exists().where(_FIX.c.force_id == bindparam("force_id"), _FIX.c.contact_id.is_(None),
                       _FIX.c.msisdn == bindparam("caller_number")).label("held_fixes")
_VALUES = pg_insert(_CONTACT).values({name: bindparam(name) for name in _INSERT_COLUMNS})


def _audited(insert: Any) -> Any:
    inserted = insert.returning(*_CONTACT.c).cte("inserted")
    event = audit.events_for_rows(
        inserted, action="contact.received", object_type="contact", object_id=inserted.c.id,
        force_id=inserted.c.force_id,
        details=func.jsonb_build_object("channel", inserted.c.channel, "via", bindparam("via", type_=String),
                                        "pressed_55", inserted.c.pressed_55, "da_flag", inserted.c.da_flag))
    return select(*inserted.c, _HELD).add_cte(event.cte("audited"))


_CONTACT_ATTRIBUTES = [(p.key, p.columns[0]) for p in Contact.__mapper__.column_attrs]
_CONTACT_CLASS = Contact.__mapper__.class_manager
_RETURNED = list(_CONTACT.c)  # the order of the statement's columns, before held_fixes
# Every telephony post runs these, on the driver's connection (db/driver.py).
_INSERT_STATEMENT = DriverStatement(_audited(_VALUES.on_conflict_do_nothing(constraint="uq_contact_idempotency")))
_INSERT_WITHOUT_KEY_STATEMENT = DriverStatement(_audited(_VALUES))


async def _existing(db: AsyncSession, key: str) -> Contact | None:
    return await db.scalar(select(Contact).where(Contact.idempotency_key == key)
                           .execution_options(populate_existing=True))


async def receive_contact(db: AsyncSession, actor: Actor, new: NewContact, *, idempotency_key: str | None = None,
                          now: datetime | None = None, via: str = "page") -> tuple[Contact, bool]:
    """Record a contact, or return the one this key already recorded. Returns (contact, created).

    Raises IntakeRefused (nothing written) or IdempotencyConflict (same key, different contact)."""
    now = now or datetime.now(UTC)
    problems, e164 = contact_problems(new, now)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > KEY_MAX:
        problems["idempotency_key"] = f"The Idempotency-Key must be {KEY_MAX} characters or fewer"
    if new.location_id is not None and await db.scalar(
            select(Location.id).where(Location.id == new.location_id)) is None:
        problems["location_id"] = f"There is no address {new.location_id} in your force's records"
    if problems:
        raise IntakeRefused(problems)
    assert new.received_at is not None
    received = new.received_at.astimezone(UTC)
    da_flag = new.da_flag or await da_linked(db, actor.force_id, e164, now)
    values = {"force_id": actor.force_id, "channel": new.channel, "caller_number": e164, "received_at": received,
              "pressed_55": new.pressed_55, "note": (new.note or "").strip() or None, "da_flag": da_flag,
              "idempotency_key": key, "taken_by": "telephony" if actor.kind == "token" else actor.label,
              "location_id": new.location_id, "location_text": (new.location_text or "").strip() or None,
              "rural": new.rural, "injury": new.injury, "weapons": new.weapons,
              "children_present": new.children_present}
    row = await (_INSERT_STATEMENT if key is not None else _INSERT_WITHOUT_KEY_STATEMENT).first(
        db, {**values, **audit.actor_params(actor), "via": via})
    if row is None:  # the key's contact exists (or was committed while this insert waited for it)
        earlier = await _existing(db, key) if key is not None else None
        if earlier is None:  # cannot happen: the conflicting row is committed and in this force
            raise IntakeRefused({"idempotency_key": "This Idempotency-Key could not be checked; try again"})
        return _same_or_conflict(earlier, new, e164), False
    *returned, held_fixes = row
    contact = _persistent(db, dict(zip(_RETURNED, returned, strict=True)))
    if held_fixes:
        await aml_service.attach_held_fixes(db, contact)
    return contact, True


def _persistent(db: AsyncSession, row: Mapping[Any, Any]) -> Contact:
    """The inserted row (by column) as the session's own Contact, as if loaded by a query (no further round
    trip)."""
    # Built as a query's loader builds a row's object (the constructor's per-attribute events cost twice as much):
    # state set directly, with no changes pending.
    contact = cast(Contact, _CONTACT_CLASS.new_instance())
    instance_state(contact).dict.update({attribute: row[column] for attribute, column in _CONTACT_ATTRIBUTES})
    make_transient_to_detached(contact)
    db.add(contact)
    return contact


def _same_or_conflict(earlier: Contact, new: NewContact, e164: str | None) -> Contact:
    differences = _differences(earlier, new, e164)
    if differences:
        raise IdempotencyConflict(earlier.id, differences)
    return earlier


# -- reading ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LocationView:
    latitude: float
    longitude: float
    radius_m: float | None
    confidence_pct: float | None
    method: str
    fixed_at: datetime


@dataclass(frozen=True)
class Alert:
    kind: str  # silent-55, marker, breach, wanted
    message: str
    href: str | None = None


@dataclass(frozen=True)
class NearbyIncident:
    id: int
    reference: str
    occurred_at: datetime
    da_related: bool
    address: str
    why: str  # "at the contact's address" or "within 120 m of the AML fix"
    crime_id: int | None


@dataclass(frozen=True)
class WantedSuspect:
    suspect_id: int
    person_id: int
    name: str
    status: str
    crime_id: int
    crime_reference: str
    wanted_since: datetime | None


@dataclass(frozen=True)
class GradeRow:
    grade: str
    suggested_grade: str | None
    below_reason: str | None
    graded_at: datetime
    graded_by: str


@dataclass(frozen=True)
class AdviceRow:
    advice: str
    referral_note: str | None
    given_at: datetime
    given_by: str


@dataclass
class ContactView:
    contact: Contact
    location: LocationView | None
    address: str | None  # the Safeguard address, when one was given
    glance: glance.Glance | None
    nearby: list[NearbyIncident] = field(default_factory=list)
    wanted: list[WantedSuspect] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    grades: list[GradeRow] = field(default_factory=list)
    advice: list[AdviceRow] = field(default_factory=list)


async def latest_fix(db: AsyncSession, contact_id: int) -> LocationView | None:
    fix = await db.scalar(select(AmlFix).where(AmlFix.contact_id == contact_id, AmlFix.has_fix.is_(True),
                                               AmlFix.latitude.is_not(None), AmlFix.longitude.is_not(None))
                          .order_by(AmlFix.fixed_at.desc(), AmlFix.id.desc()).limit(1))
    if fix is None or fix.latitude is None or fix.longitude is None:
        return None
    return LocationView(fix.latitude, fix.longitude, fix.radius_m, fix.confidence_pct, fix.method, fix.fixed_at)


async def get_contact(db: AsyncSession, contact_id: int) -> Contact:
    contact = await db.scalar(select(Contact).where(Contact.id == contact_id))
    if contact is None:  # row-level security: another force's contact is simply not there
        raise ContactNotFound(contact_id)
    return contact


async def read_contact(db: AsyncSession, actor: Actor, contact_id: int, *, now: datetime | None = None,
                       reason: str = "contact viewed") -> ContactView:
    """A contact with its location, history at a glance, alerts, grade history and specialist advice. Audited."""
    now = now or datetime.now(UTC)
    contact = await get_contact(db, contact_id)
    await audit.record_read(db, actor, "contact", contact.id, reason=reason)
    location = await latest_fix(db, contact.id)
    address = None
    if contact.location_id is not None:
        place = await db.get(Location, contact.location_id)
        address = address_text(place)
    found = None
    if contact.caller_number:
        try:
            found = await glance.history_for_number(db, actor, contact.caller_number, now=now)
        except markers.MarkerRefused:  # a number recorded before intake checked numbers: no history by number
            found = None
    view = ContactView(contact, location, address, found)
    view.nearby = await _nearby_incidents(db, actor, contact, location, now)
    view.wanted = await _wanted_suspects(db, actor, contact, found)
    view.alerts = await _alerts(db, actor, view)
    view.grades = [GradeRow(g.grade, g.suggested_grade, g.below_reason, g.graded_at, g.graded_by)
                   for g in await db.scalars(select(ContactGrade).where(ContactGrade.contact_id == contact.id)
                                             .order_by(ContactGrade.graded_at, ContactGrade.id))]
    view.advice = [AdviceRow(a.advice, a.referral_note, a.given_at, a.given_by)
                   for a in await db.scalars(select(SpecialistAdvice).where(SpecialistAdvice.contact_id == contact.id)
                                             .order_by(SpecialistAdvice.given_at.desc(), SpecialistAdvice.id.desc()))]
    return view


async def _nearby_incidents(db: AsyncSession, actor: Actor, contact: Contact, location: LocationView | None,
                            now: datetime) -> list[NearbyIncident]:
    """Incidents in the last twelve months at the contact's address, or within the AML fix's radius."""
    since = now - NEARBY_WINDOW
    found: dict[int, NearbyIncident] = {}

    async def crime_for(incident_id: int) -> int | None:
        return await db.scalar(select(Crime.id).where(Crime.incident_id == incident_id).order_by(Crime.id).limit(1))

    if contact.location_id is not None:
        for incident, place in await db.execute(
                select(Incident, Location).join(Location, Location.id == Incident.location_id)
                .where(Incident.location_id == contact.location_id, Incident.occurred_at >= since)
                .order_by(Incident.occurred_at.desc())):
            found[incident.id] = NearbyIncident(incident.id, incident.reference, incident.occurred_at,
                                                incident.da_related, address_text(place), "at the contact's address",
                                                await crime_for(incident.id))
    if location is not None and location.radius_m is not None:
        distance = func.earth_distance(func.ll_to_earth(Location.latitude, Location.longitude),
                                       func.ll_to_earth(location.latitude, location.longitude))
        for incident, place, metres in await db.execute(
                select(Incident, Location, distance).join(Location, Location.id == Incident.location_id)
                .where(Incident.occurred_at >= since, Location.latitude.is_not(None),
                       Location.longitude.is_not(None), distance <= location.radius_m)
                .order_by(Incident.occurred_at.desc())):
            if incident.id not in found:
                found[incident.id] = NearbyIncident(
                    incident.id, incident.reference, incident.occurred_at, incident.da_related, address_text(place),
                    f"{round(metres)} m from the AML fix (radius {round(location.radius_m)} m)",
                    await crime_for(incident.id))
    for incident_id in found:
        await audit.record_read(db, actor, "incident", incident_id, reason="history at a glance")
    return sorted(found.values(), key=lambda i: i.occurred_at, reverse=True)


async def _wanted_suspects(db: AsyncSession, actor: Actor, contact: Contact, found: glance.Glance | None
                           ) -> list[WantedSuspect]:
    """Wanted or outstanding suspects of DA crimes who are linked to the number or live at the address."""
    people = [p.id for p in found.people if p.id is not None] if found else []
    if contact.location_id is not None:
        today = markers.today()
        people += list(await db.scalars(select(PersonAddress.person_id).where(
            PersonAddress.location_id == contact.location_id,
            PersonAddress.to_date.is_(None) | (PersonAddress.to_date >= today))))
    people = list(dict.fromkeys(people))
    if not people:
        return []
    wanted: list[WantedSuspect] = []
    for suspect, crime in await db.execute(
            select(Suspect, Crime).join(Crime, Crime.id == Suspect.crime_id)
            .where(Suspect.person_id.in_(people), Suspect.status.in_(WANTED_STATUSES), Crime.da_related.is_(True))
            .order_by(Suspect.status.desc(), Suspect.wanted_since.desc().nulls_last(), Suspect.id)):
        person = await visible_person(db, actor, suspect.person_id)
        if person is None:  # restricted: not named here
            continue
        await audit.record_read(db, actor, "suspect", suspect.id, reason="history at a glance")
        wanted.append(WantedSuspect(suspect.id, person.id, person.display_name, suspect.status, crime.id,
                                    crime.reference, suspect.wanted_since))
    return wanted


async def _alerts(db: AsyncSession, actor: Actor, view: ContactView) -> list[Alert]:
    contact = view.contact
    alerts: list[Alert] = []
    if contact.channel == "999-silent" and contact.pressed_55:
        alerts.append(Alert("silent-55", "Silent 999 call: the caller pressed 55. Use yes/no questions "
                                         "(one tap for no, two for yes) and listen for a disturbance."))
    found = view.glance
    if found is not None:
        kinds = _kinds(await _force_settings(db, actor.force_id), "contact_alert_marker_kinds",
                       DEFAULT_ALERT_MARKER_KINDS)

        def listed(marker_list: list[MarkerView]) -> str:
            return ", ".join(m.label for m in marker_list if m.kind in kinds)

        on_number = listed(found.number_markers)
        if on_number:
            alerts.append(Alert("marker", f"Markers on this number: {on_number}"))
        for person in found.people:
            if person.id is None:
                continue
            on_person = listed(person.markers)
            if on_person:
                alerts.append(Alert("marker", f"{person.display_name}, linked to this number: {on_person}",
                                    f"/people/{person.id}"))
        for breach in found.alerts:
            alerts.append(Alert("breach", f"{breach.message} ({breach.short_label} {breach.reference})",
                                f"/orders/{breach.order_id}"))
    for suspect in view.wanted:
        alerts.append(Alert("wanted", f"{suspect.name} is {suspect.status} as a suspect for DA crime "
                                      f"{suspect.crime_reference}", f"/crimes/{suspect.crime_id}"))
    return alerts


async def open_contacts(db: AsyncSession, actor: Actor, limit: int = 200) -> list[Contact]:
    """The force's open contacts, newest first."""
    return list(await db.scalars(select(Contact).where(Contact.status == "open")
                                 .order_by(Contact.received_at.desc(), Contact.id.desc()).limit(limit)))


def national(e164: str | None) -> str:
    """A number as a UK handler reads it: 07700 900123."""
    if not e164:
        return "Not known"
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 44 \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
