"""Protective notices and orders: recording them with their legal clocks, ending them, and their breaches.

One record covers every kind: DAPN and DAPO, DVPN and DVPO, non-molestation and restraining orders, and bail
conditions. The person bound is the subject; the people protected, the exclusion zones and the breaches hang
off the order. Every check runs before anything is written and a refusal names each field at fault
(`OrderRefused`). Every read is audited. Row-level security hides an order whose subject the reader may not
see (so it is "not found"), and hides a protected person or zone the reader may not see: the page then says
"Restricted person" (or "Restricted address") in its place, counting from what was recorded.

The control room reads orders through `active_orders_involving` and `breach_alerts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor
from safeguard.contact.models import Incident
from safeguard.crimes.models import Arrest, Bail, Crime
from safeguard.people.models import Location, Person, PersonAddress
from safeguard.people.service import RESTRICTED_ADDRESS, address_text, may_see, visible_address
from safeguard.safeguarding import clocks
from safeguard.safeguarding.models import (
    ORDER_KINDS,
    ORDER_STATUSES,
    OrderBreach,
    ProtectiveOrder,
    ProtectiveOrderPerson,
    ProtectiveOrderZone,
)
from safeguard.safeguarding.order_rules import RANK_LABELS, OrderRules, order_rules_for

UK = clocks.UK
RESTRICTED_PERSON = "Restricted person"
KIND_LABELS = {
    "dapn": "Domestic abuse protection notice (DAPN)",
    "dapo": "Domestic abuse protection order (DAPO)",
    "dvpn": "Domestic violence protection notice (DVPN)",
    "dvpo": "Domestic violence protection order (DVPO)",
    "non-molestation": "Non-molestation order",
    "restraining": "Restraining order",
    "bail-conditions": "Bail conditions",
}
SHORT_LABELS = {"dapn": "DAPN", "dapo": "DAPO", "dvpn": "DVPN", "dvpo": "DVPO",
                "non-molestation": "Non-molestation order", "restraining": "Restraining order",
                "bail-conditions": "Bail conditions"}
assert set(KIND_LABELS) == set(ORDER_KINDS) == set(SHORT_LABELS)
STATUS_LABELS = {"active": "Active", "expired": "Expired", "discharged": "Discharged", "withdrawn": "Withdrawn",
                 "superseded": "Superseded"}
assert set(STATUS_LABELS) == set(ORDER_STATUSES)
END_STATUSES = ("discharged", "withdrawn", "superseded")
NOTICES = ("dapn", "dvpn")
# What may follow a notice: the order the court makes on the police application.
FOLLOWS = {"dapo": ("dapn",), "dvpo": ("dvpn",)}
MAX_PROTECTED = 20
MAX_ZONES = 10
MAX_RADIUS_M = 10_000
MAX_TEXT = 4000
FUTURE_SLACK = timedelta(minutes=5)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


class OrderRefused(ValueError):
    """What was asked cannot be saved. `errors` maps each field at fault to a message an officer can act on.

    Nothing has been written when this is raised."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class OrderNotFound(LookupError):
    """No such order in this force, or its subject is withheld from this reader."""


@dataclass(frozen=True)
class NewZone:
    location_id: int
    radius_m: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class NewOrder:
    kind: str
    subject_id: int | None
    protected_ids: Sequence[int]
    starts_at: datetime | None
    no_contact: bool = False
    conditions: str | None = None
    zones: Sequence[NewZone] = ()
    expires_at: datetime | None = None
    served_at: datetime | None = None
    authorised_by: str | None = None  # the officer (name and number) or the court's judge/bench
    authoriser_rank: str | None = None  # for a notice: one of RANK_LABELS
    court: str | None = None
    crime_id: int | None = None
    bail_id: int | None = None
    follows_order_id: int | None = None
    electronic_monitoring_until: datetime | None = None  # a DAPO only


@dataclass(frozen=True)
class NewBreach:
    occurred_at: datetime | None
    description: str
    location_id: int | None = None
    incident_id: int | None = None
    arrest_id: int | None = None
    arrested_at: datetime | None = None  # when no arrest record is linked


@dataclass(frozen=True)
class Ending:
    status: str
    reason: str
    at: datetime | None = None


@dataclass(frozen=True)
class Party:
    person_id: int | None  # None when withheld
    display_name: str
    date_of_birth: str | None = None

    @property
    def withheld(self) -> bool:
        return self.person_id is None


@dataclass(frozen=True)
class ZoneView:
    location_id: int | None  # None when withheld
    address: str
    radius_m: int | None
    description: str | None

    @property
    def withheld(self) -> bool:
        return self.location_id is None


@dataclass(frozen=True)
class ClockView:
    code: str  # hearing, notification, expiry, court
    label: str
    due: datetime
    left: str  # "in 5 hours", "overdue by 20 minutes"
    level: str  # ok, soon, overdue
    working: str | None = None  # the excluded days not counted


@dataclass(frozen=True)
class BreachView:
    id: int
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    description: str
    location: str | None
    incident_id: int | None
    incident_reference: str | None
    arrest_id: int | None
    court: ClockView | None


@dataclass(frozen=True)
class OrderView:
    id: int
    reference: str
    kind: str
    kind_label: str
    short_label: str
    status: str  # the effective status: an active order past its expiry is "expired"
    status_label: str
    subject: Party
    protected: list[Party]
    zones: list[ZoneView]
    no_contact: bool
    conditions: str | None
    starts_at: datetime
    expires_at: datetime | None
    served_at: datetime | None
    authorised_by: str | None
    court: str | None
    crime_id: int | None
    crime_reference: str | None
    bail_id: int | None
    follows: tuple[int, str, str] | None  # (id, reference, short label)
    followed_by: list[tuple[int, str, str]]
    recorded_by: str
    created_at: datetime
    ended_at: datetime | None
    ended_reason: str | None
    hearing_at: datetime | None
    clocks: list[ClockView]
    breaches: list[BreachView]

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class OrderListItem:
    id: int
    reference: str
    kind: str
    short_label: str
    subject: Party
    starts_at: datetime
    expires_at: datetime | None
    next_clock: ClockView | None
    breaches: int

    @property
    def soon(self) -> bool:
        return self.next_clock is not None and self.next_clock.level in ("soon", "overdue")


@dataclass(frozen=True)
class SubjectOption:
    """The person found on the "new order" page, and the addresses offered as exclusion zones."""

    person: Party
    under_age: bool
    addresses: list[tuple[int, str, str]] = field(default_factory=list)  # (location id, address, whose)
    protected: list[Party] = field(default_factory=list)


@dataclass(frozen=True)
class InvolvedOrder:
    """An active order involving people linked to a call: for the control room's history at a glance."""

    id: int
    reference: str
    kind: str
    short_label: str
    subject: Party
    protected: list[Party]
    no_contact: bool
    conditions: str | None
    zones: list[ZoneView]
    starts_at: datetime
    expires_at: datetime | None
    breaches: int


@dataclass(frozen=True)
class BreachAlert:
    order_id: int
    reference: str
    short_label: str
    subject: str
    message: str


def uk_time(value: datetime) -> datetime:
    return value.astimezone(UK)


def _when(value: datetime) -> str:
    return uk_time(value).strftime("%d %B %Y at %H:%M")


def effective_status(order: ProtectiveOrder, now: datetime) -> str:
    """An order still marked active whose expiry has passed is shown as expired."""
    if order.status == "active" and order.expires_at is not None and order.expires_at <= now:
        return "expired"
    return order.status


def _ids(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values))


async def _visible(db: AsyncSession, actor: Actor | None, person_id: int) -> Person | None:
    person = await db.scalar(select(Person).where(Person.id == person_id).execution_options(populate_existing=True))
    if person is None:
        return None
    if person.restricted and (actor is None or not await may_see(db, actor, person_id=person_id)):
        return None
    return person


async def _party(db: AsyncSession, actor: Actor | None, person_id: int) -> Party:
    person = await _visible(db, actor, person_id)
    if person is None:
        return Party(None, RESTRICTED_PERSON)
    return Party(person.id, person.display_name, person.date_of_birth)


# -- finding the subject ------------------------------------------------------------------------------------

async def subject_for_order(db: AsyncSession, actor: Actor, person_id: int, protected_ids: Sequence[int] = (),
                            *, now: datetime | None = None) -> SubjectOption | None:
    """The subject and the protected people named on the find step, with their current addresses (offered as
    exclusion zones). None when the subject is not a visible person of the force. Audited as reads."""
    now = now or datetime.now(UTC)
    subject = await _visible(db, actor, person_id)
    if subject is None:
        return None
    await audit.record_read(db, actor, "person", subject.id, reason="recording a protective order")
    protected: list[Party] = []
    addresses: list[tuple[int, str, str]] = []
    for other_id in _ids(protected_ids)[:MAX_PROTECTED]:
        other = await _visible(db, actor, other_id)
        if other is None or other.id == subject.id:
            continue
        await audit.record_read(db, actor, "person", other.id, reason="recording a protective order")
        protected.append(Party(other.id, other.display_name, other.date_of_birth))
    seen: set[int] = set()
    for who in [*protected, Party(subject.id, subject.display_name)]:
        assert who.person_id is not None
        rows = await db.execute(
            select(Location).join(PersonAddress, PersonAddress.location_id == Location.id)
            .where(PersonAddress.person_id == who.person_id,
                   (PersonAddress.to_date.is_(None)) | (PersonAddress.to_date >= uk_time(now).date())))
        for location in rows.scalars():
            if location.id in seen or (location.restricted and not await may_see(db, actor, location_id=location.id)):
                continue
            seen.add(location.id)
            addresses.append((location.id, address_text(location), who.display_name))
    under = clocks.is_under((await order_rules_for(db, actor.force_id)).dapn_min_age, uk_time(now).date(),
                            subject.dob_year, subject.dob_month, subject.dob_day)
    return SubjectOption(Party(subject.id, subject.display_name, subject.date_of_birth), under, addresses,
                         protected)


# -- recording an order -------------------------------------------------------------------------------------

def _time_problem(value: datetime | None, what: str, now: datetime, *, future: bool = True) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return f"Give the time {what} with its time zone"
    if value < EARLIEST:
        return f"The time {what} must be after 1990"
    if not future and value > now + FUTURE_SLACK:
        return f"The time {what} must not be in the future"
    return None


async def order_problems(db: AsyncSession, actor: Actor, new: NewOrder, rules: OrderRules, *,
                         now: datetime | None = None) -> tuple[dict[str, str], ProtectiveOrder | None]:
    """Everything wrong with `new`, keyed by field; and the order it follows, if any."""
    now = now or datetime.now(UTC)
    errors: dict[str, str] = {}
    kind = new.kind
    if kind not in ORDER_KINDS:
        errors["kind"] = ("Choose the kind of order: DAPN, DAPO, DVPN, DVPO, non-molestation order, restraining "
                          "order or bail conditions" + (f" ('{kind}' is not one)" if kind else ""))
    short = SHORT_LABELS.get(kind, "An order")
    article = "A"
    subject: Person | None = None
    if new.subject_id is None:
        errors["subject"] = "Give the person number of the person the order binds"
    else:
        subject = await _visible(db, actor, new.subject_id)
        if subject is None:
            errors["subject"] = f"There is no person {new.subject_id} in your force"
        elif subject.merged_into_id is not None:
            errors["subject"] = f"Person {subject.id} was merged into person {subject.merged_into_id}: use that record"
    protected = _ids(new.protected_ids)
    if not protected:
        errors["protected"] = "Give the person number of at least one person the order protects"
    elif len(protected) > MAX_PROTECTED:
        errors["protected"] = f"Give at most {MAX_PROTECTED} protected people"
    elif new.subject_id is not None and new.subject_id in protected:
        errors["protected"] = "The person the order binds cannot also be a person it protects"
    else:
        for person_id in protected:
            person = await _visible(db, actor, person_id)
            if person is None:
                errors["protected"] = f"There is no person {person_id} in your force"
                break
            if person.merged_into_id is not None:
                errors["protected"] = (f"Person {person_id} was merged into person {person.merged_into_id}: "
                                       "use that record")
                break
    # Times.
    for name, value, what, future in (("starts_at", new.starts_at, "the order starts", True),
                                      ("expires_at", new.expires_at, "the order expires", True),
                                      ("served_at", new.served_at, "the order was served", False)):
        problem = _time_problem(value, what, now, future=future)
        if problem:
            errors[name] = problem
    if new.starts_at is None:
        errors.setdefault("starts_at", "Give the date and time the order starts")
    starts = new.starts_at if "starts_at" not in errors else None
    if starts is not None and new.expires_at is not None and "expires_at" not in errors and new.expires_at <= starts:
        errors["expires_at"] = "The order expires before it starts: the dates are in the wrong order"
    if starts is not None and new.served_at is not None and "served_at" not in errors and new.served_at < starts:
        errors["served_at"] = "The order was served before it starts: the dates are in the wrong order"
    if kind in NOTICES:
        if new.served_at is None:
            errors.setdefault("served_at", f"{article} {short} takes effect when it is served in person: give the "
                                           "date and time it was served")
        if new.expires_at is not None:
            errors.setdefault("expires_at", f"{article} {short} lasts until the court decides the application for "
                                            "the order: leave the expiry empty")
        ranks = rules.authoriser_ranks(kind) or ()
        rank_words = " or ".join(RANK_LABELS.get(r, r).lower() for r in ranks[:1]) + " or above"
        if not (new.authorised_by or "").strip():
            errors["authorised_by"] = (f"{article} {short} must be authorised by an officer of the rank of "
                                       f"{rank_words}: name the officer")
        elif new.authoriser_rank not in ranks:
            errors["authoriser_rank"] = (f"{article} {short} must be authorised by an officer of the rank of "
                                         f"{rank_words}")
    elif new.authoriser_rank and new.authoriser_rank not in RANK_LABELS:
        errors["authoriser_rank"] = "Choose a rank from the list"
    if kind == "dapn" and subject is not None and new.served_at is not None:
        if clocks.is_under(rules.dapn_min_age, uk_time(new.served_at).date(), subject.dob_year, subject.dob_month,
                           subject.dob_day):
            errors["subject"] = (f"A DAPN cannot be given to anyone under {rules.dapn_min_age}: this person's date "
                                 "of birth shows they are")
    if kind == "dvpo" and starts is not None and "expires_at" not in errors:
        problem = clocks.duration_problem(starts, new.expires_at, rules.dvpo_min_days, rules.dvpo_max_days)
        if problem:
            errors["expires_at"] = problem
    if new.electronic_monitoring_until is not None:
        naive = _time_problem(new.electronic_monitoring_until, "electronic monitoring ends", now)
        if naive:
            errors["electronic_monitoring_until"] = naive
        elif kind != "dapo":
            errors["electronic_monitoring_until"] = "Only a DAPO can require electronic monitoring"
        elif starts is not None:
            problem = clocks.monitoring_problem(starts, new.electronic_monitoring_until,
                                                rules.electronic_monitoring_max_months)
            if problem:
                errors["electronic_monitoring_until"] = problem
    # Terms.
    conditions = (new.conditions or "").strip()
    if len(conditions) > MAX_TEXT:
        errors["conditions"] = f"The conditions must be at most {MAX_TEXT} characters"
    if len(new.zones) > MAX_ZONES:
        errors["zones"] = f"Give at most {MAX_ZONES} exclusion zones"
    else:
        seen: set[int] = set()
        for zone in new.zones:
            if zone.location_id in seen:
                errors["zones"] = f"Address {zone.location_id} is given twice"
                break
            seen.add(zone.location_id)
            location = await db.scalar(select(Location).where(Location.id == zone.location_id))
            if location is None or (location.restricted and not await may_see(db, actor, location_id=location.id)):
                errors["zones"] = f"There is no address {zone.location_id} in your force"
                break
            if zone.radius_m is not None and not 1 <= zone.radius_m <= MAX_RADIUS_M:
                errors["zones"] = f"A distance must be between 1 and {MAX_RADIUS_M} metres"
                break
            if zone.description is not None and len(zone.description) > 300:
                errors["zones"] = "Describe each zone in at most 300 characters"
                break
    if not new.no_contact and not conditions and not new.zones and "conditions" not in errors:
        errors["conditions"] = "Give the order's terms: no contact, an exclusion zone, or the conditions in words"
    for name, words in (("authorised_by", new.authorised_by), ("court", new.court)):
        if words is not None and len(words) > 200 and name not in errors:
            errors[name] = "Keep this to 200 characters"
    # Links.
    if new.crime_id is not None and await db.scalar(select(Crime.id).where(Crime.id == new.crime_id)) is None:
        errors["crime"] = f"There is no crime {new.crime_id} in your force"
    if new.bail_id is not None and await db.scalar(select(Bail.id).where(Bail.id == new.bail_id)) is None:
        errors["bail"] = f"There is no bail record {new.bail_id} in your force"
    follows: ProtectiveOrder | None = None
    if new.follows_order_id is not None:
        follows = await db.scalar(select(ProtectiveOrder).where(ProtectiveOrder.id == new.follows_order_id))
        if follows is None:
            errors["follows_order"] = f"There is no order {new.follows_order_id} in your force"
        elif new.subject_id is not None and follows.subject_id != new.subject_id:
            errors["follows_order"] = f"Order {follows.reference} binds someone else: an order can follow only " \
                                      "one against the same person"
        elif kind in FOLLOWS and follows.kind not in FOLLOWS[kind]:
            errors["follows_order"] = (f"{article} {short} follows a {SHORT_LABELS[FOLLOWS[kind][0]]}: order "
                                       f"{follows.reference} is not one")
    return errors, follows


async def _next_reference(db: AsyncSession, now: datetime) -> tuple[int, str]:
    order_id = int(await db.scalar(text("SELECT nextval(pg_get_serial_sequence('protective_order', 'id'))")) or 0)
    return order_id, f"PO-{uk_time(now).year}-{order_id:06d}"


async def record_order(db: AsyncSession, actor: Actor, new: NewOrder, *, via: str = "web",
                       now: datetime | None = None) -> ProtectiveOrder:
    """Record an order in the caller's transaction, with its clocks. Raises OrderRefused (nothing written)."""
    now = now or datetime.now(UTC)
    rules = await order_rules_for(db, actor.force_id)
    errors, follows = await order_problems(db, actor, new, rules, now=now)
    if errors:
        raise OrderRefused(errors)
    assert new.starts_at is not None and new.subject_id is not None
    hearing_due_by = notification_due_by = None
    if new.kind == "dapn" and new.served_at is not None:
        hearing_due_by = clocks.hearing_due(new.served_at, rules.dapn_hearing_hours, rules.excluded)
    elif new.kind == "dvpn" and new.served_at is not None:
        hearing_due_by = clocks.hearing_due(new.served_at, rules.dvpn_hearing_hours, rules.dvpn_excluded)
    elif new.kind == "dapo":
        notification_due_by = clocks.notification_due(new.starts_at, rules.dapo_notification_days)
    conditions = (new.conditions or "").strip()
    if new.electronic_monitoring_until is not None:
        conditions = (conditions + "\n" if conditions else "") + \
            f"Electronic monitoring until {_when(new.electronic_monitoring_until)}."
    authorised = (new.authorised_by or "").strip() or None
    if authorised and new.authoriser_rank:
        authorised = f"{authorised} ({RANK_LABELS[new.authoriser_rank]})"
    order_id, reference = await _next_reference(db, now)
    order = ProtectiveOrder(
        id=order_id, force_id=actor.force_id, reference=reference, kind=new.kind, subject_id=new.subject_id,
        status="active", starts_at=new.starts_at, expires_at=new.expires_at, served_at=new.served_at,
        authorised_by=authorised, court=(new.court or "").strip() or None, no_contact=new.no_contact,
        conditions=conditions or None, hearing_due_by=hearing_due_by, notification_due_by=notification_due_by,
        crime_id=new.crime_id, bail_id=new.bail_id, follows_order_id=new.follows_order_id,
        recorded_by=actor.label)
    db.add(order)
    await db.flush()
    protected = _ids(new.protected_ids)
    for person_id in protected:
        db.add(ProtectiveOrderPerson(force_id=actor.force_id, order_id=order.id, person_id=person_id))
    for zone in new.zones:
        db.add(ProtectiveOrderZone(force_id=actor.force_id, order_id=order.id, location_id=zone.location_id,
                                   radius_m=zone.radius_m, description=(zone.description or "").strip() or None))
    if follows is not None and follows.status == "active":
        follows.status = "superseded"
        follows.ended_at = now
        follows.ended_reason = f"Superseded by {SHORT_LABELS[new.kind]} {reference}"
        if follows.kind in NOTICES and follows.hearing_at is None:
            follows.hearing_at = new.starts_at
    await db.flush()
    # The counts are kept so that a reader who may not see a restricted protected person or address is told
    # that one is withheld, rather than shown an order that seems to protect no one.
    await audit.record(db, action="protective_order.create", actor=actor, object_type="protective_order",
                       object_id=order.id, details={"reference": reference, "kind": new.kind,
                                                    "protected": len(protected), "zones": len(new.zones),
                                                    "follows_order_id": new.follows_order_id, "via": via})
    return order


# -- reading ------------------------------------------------------------------------------------------------

def _clock(code: str, label: str, due: datetime, now: datetime, rules: OrderRules, working: str | None = None,
           ) -> ClockView:
    level = "overdue" if due < now else ("soon" if due - now <= timedelta(hours=rules.warn_within_hours) else "ok")
    return ClockView(code, label, uk_time(due), clocks.time_left(due, now), level, working)


def _working(start: datetime, due: datetime, excluded: clocks.ExcludedDays) -> str | None:
    days = clocks.excluded_days_between(start, due, excluded)
    if not days:
        return None
    return "Not counted: " + ", ".join(uk_time_day(day) + ("" if reason == "Sunday" else f" ({reason})")
                                       for day, reason in days)


def uk_time_day(day: Any) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _order_clocks(order: ProtectiveOrder, now: datetime, rules: OrderRules) -> list[ClockView]:
    found: list[ClockView] = []
    if effective_status(order, now) != "active":
        return found
    if order.hearing_due_by is not None and order.hearing_at is None:
        kind = "DAPO" if order.kind == "dapn" else "DVPO"
        hours = rules.dapn_hearing_hours if order.kind == "dapn" else rules.dvpn_hearing_hours
        excluded = rules.excluded if order.kind == "dapn" else rules.dvpn_excluded
        working = _working(order.served_at, order.hearing_due_by, excluded) if order.served_at else None
        found.append(_clock("hearing", f"{kind} application heard within {hours:g} hours of service",
                            order.hearing_due_by, now, rules, working))
    if order.notification_due_by is not None:
        found.append(_clock("notification", f"Subject notifies name and address (within "
                                            f"{rules.dapo_notification_days} days)", order.notification_due_by, now,
                            rules))
    if order.expires_at is not None:
        found.append(_clock("expiry", "Expires", order.expires_at, now, rules))
    return found


async def _withheld_counts(db: AsyncSession, order_id: int) -> tuple[int, int]:
    details = await db.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "protective_order.create", AuditEvent.object_type == "protective_order",
        AuditEvent.object_id == str(order_id)).order_by(AuditEvent.id).limit(1))
    if not isinstance(details, dict):
        return 0, 0
    return int(details.get("protected") or 0), int(details.get("zones") or 0)


async def _zones(db: AsyncSession, actor: Actor | None, order_id: int) -> list[ZoneView]:
    zones: list[ZoneView] = []
    for zone, location in await db.execute(
            select(ProtectiveOrderZone, Location).outerjoin(Location, Location.id == ProtectiveOrderZone.location_id)
            .where(ProtectiveOrderZone.order_id == order_id).order_by(ProtectiveOrderZone.id)):
        if location is None or (location.restricted and (
                actor is None or not await may_see(db, actor, location_id=location.id))):
            zones.append(ZoneView(None, RESTRICTED_ADDRESS, None, None))
        else:
            zones.append(ZoneView(location.id, address_text(location), zone.radius_m, zone.description))
    return zones


async def _protected(db: AsyncSession, actor: Actor | None, order_id: int) -> list[Party]:
    ids = list(await db.scalars(select(ProtectiveOrderPerson.person_id)
                                .where(ProtectiveOrderPerson.order_id == order_id).order_by(ProtectiveOrderPerson.id)))
    return [await _party(db, actor, person_id) for person_id in ids]


async def read_order(db: AsyncSession, actor: Actor, order_id: int, *, reason: str | None = None,
                     now: datetime | None = None) -> OrderView:
    """One order as this actor may see it (restricted people and addresses withheld). Audited."""
    now = now or datetime.now(UTC)
    order = await db.scalar(select(ProtectiveOrder).where(ProtectiveOrder.id == order_id)
                            .execution_options(populate_existing=True))
    if order is None:
        raise OrderNotFound(order_id)
    subject = await _party(db, actor, order.subject_id)
    if subject.withheld:  # restricted subject, without a grant: as if there were no such order
        raise OrderNotFound(order_id)
    await audit.record_read(db, actor, "protective_order", order_id, reason=reason)
    rules = await order_rules_for(db, actor.force_id)
    protected = await _protected(db, actor, order_id)
    zones = await _zones(db, actor, order_id)
    recorded_protected, recorded_zones = await _withheld_counts(db, order_id)
    protected += [Party(None, RESTRICTED_PERSON)] * max(0, recorded_protected - len(protected))
    zones += [ZoneView(None, RESTRICTED_ADDRESS, None, None)] * max(0, recorded_zones - len(zones))
    crime_reference = None
    if order.crime_id is not None:
        crime_reference = await db.scalar(select(Crime.reference).where(Crime.id == order.crime_id))
    follows = None
    if order.follows_order_id is not None:
        earlier = await db.scalar(select(ProtectiveOrder).where(ProtectiveOrder.id == order.follows_order_id))
        if earlier is not None:
            follows = (earlier.id, earlier.reference, SHORT_LABELS[earlier.kind])
    followed_by = [(o.id, o.reference, SHORT_LABELS[o.kind]) for o in await db.scalars(
        select(ProtectiveOrder).where(ProtectiveOrder.follows_order_id == order_id).order_by(ProtectiveOrder.id))]
    breaches: list[BreachView] = []
    for breach, location, incident_reference in await db.execute(
            select(OrderBreach, Location, Incident.reference)
            .outerjoin(Location, Location.id == OrderBreach.location_id)
            .outerjoin(Incident, Incident.id == OrderBreach.incident_id)
            .where(OrderBreach.order_id == order_id).order_by(OrderBreach.occurred_at.desc(), OrderBreach.id.desc())):
        court = None
        if breach.court_due_by is not None:
            court = _clock("court", f"Before the court within {rules.dapn_breach_court_hours:g} hours of arrest",
                           breach.court_due_by, now, rules)
        place = None
        if breach.location_id is not None:
            place = await visible_address(db, actor, location)
        breaches.append(BreachView(breach.id, breach.occurred_at, breach.recorded_at, breach.recorded_by,
                                   breach.description, place, breach.incident_id, incident_reference,
                                   breach.arrest_id, court))
    status = effective_status(order, now)
    return OrderView(
        id=order.id, reference=order.reference, kind=order.kind, kind_label=KIND_LABELS[order.kind],
        short_label=SHORT_LABELS[order.kind], status=status, status_label=STATUS_LABELS[status], subject=subject,
        protected=protected, zones=zones, no_contact=order.no_contact, conditions=order.conditions,
        starts_at=order.starts_at, expires_at=order.expires_at, served_at=order.served_at,
        authorised_by=order.authorised_by, court=order.court, crime_id=order.crime_id,
        crime_reference=crime_reference, bail_id=order.bail_id, follows=follows, followed_by=followed_by,
        recorded_by=order.recorded_by, created_at=order.created_at, ended_at=order.ended_at,
        ended_reason=order.ended_reason, hearing_at=order.hearing_at, clocks=_order_clocks(order, now, rules),
        breaches=breaches)


def _active_filter(now: datetime) -> Any:
    return (ProtectiveOrder.status == "active") & (
        ProtectiveOrder.expires_at.is_(None) | (ProtectiveOrder.expires_at > now))


async def active_orders(db: AsyncSession, actor: Actor, *, kind: str | None = None, now: datetime | None = None,
                        limit: int = 200) -> list[OrderListItem]:
    """The force's active orders, the soonest clock first. Audited as a list (no names in the audit)."""
    now = now or datetime.now(UTC)
    rules = await order_rules_for(db, actor.force_id)
    query = select(ProtectiveOrder).where(_active_filter(now))
    if kind:
        query = query.where(ProtectiveOrder.kind == kind)
    orders = list(await db.scalars(query.order_by(ProtectiveOrder.starts_at.desc()).limit(limit)))
    counts: dict[int, int] = {}
    if orders:
        for order_id in await db.scalars(select(OrderBreach.order_id)
                                         .where(OrderBreach.order_id.in_([o.id for o in orders]))):
            counts[order_id] = counts.get(order_id, 0) + 1
    items: list[OrderListItem] = []
    for order in orders:
        subject = await _party(db, actor, order.subject_id)
        if subject.withheld:
            continue
        order_clocks = _order_clocks(order, now, rules)
        next_clock = min(order_clocks, key=lambda c: c.due) if order_clocks else None
        items.append(OrderListItem(order.id, order.reference, order.kind, SHORT_LABELS[order.kind], subject,
                                   order.starts_at, order.expires_at, next_clock, counts.get(order.id, 0)))
    await audit.record(db, action="protective_order.list", actor=actor,
                       details={"shown": len(items), "kind": kind})
    # Orders whose clocks fall due soonest first, then the rest by start, newest first.
    items.sort(key=lambda i: (i.next_clock is None, i.next_clock.due if i.next_clock else now))
    return items


# -- ending an order ----------------------------------------------------------------------------------------

async def end_order(db: AsyncSession, actor: Actor, order_id: int, ending: Ending, *,
                    now: datetime | None = None) -> ProtectiveOrder:
    """Discharge, withdraw or mark superseded an active order, with the reason. Raises OrderRefused."""
    now = now or datetime.now(UTC)
    order = await db.scalar(select(ProtectiveOrder).where(ProtectiveOrder.id == order_id))
    if order is None or (await _party(db, actor, order.subject_id)).withheld:
        raise OrderNotFound(order_id)
    errors: dict[str, str] = {}
    status = effective_status(order, now)
    if status != "active":
        when = f" on {_when(order.expires_at)}" if status == "expired" and order.expires_at else ""
        errors["status"] = f"This order is {STATUS_LABELS[status].lower()}{when}: it has already ended"
    elif ending.status not in END_STATUSES:
        errors["status"] = "Choose how the order ended: discharged, withdrawn or superseded"
    reason = ending.reason.strip()
    if not reason:
        errors["reason"] = "Say why the order ended"
    elif len(reason) > MAX_TEXT:
        errors["reason"] = f"The reason must be at most {MAX_TEXT} characters"
    at = ending.at or now
    problem = _time_problem(at, "the order ended", now, future=False)
    if problem:
        errors["at"] = problem
    elif at < order.starts_at:
        errors["at"] = "The order cannot end before it starts: the dates are in the wrong order"
    if errors:
        raise OrderRefused(errors)
    before = order.status
    order.status = ending.status
    order.ended_at = at
    order.ended_reason = reason
    await db.flush()
    await audit.record(db, action="protective_order.end", actor=actor, object_type="protective_order",
                       object_id=order.id, details={"from": before, "to": ending.status})
    return order


# -- breaches -----------------------------------------------------------------------------------------------

async def record_breach(db: AsyncSession, actor: Actor, order_id: int, new: NewBreach, *,
                        now: datetime | None = None) -> OrderBreach:
    """Record a breach. For a DAPN the subject must go before the court within 24 hours of the arrest (not
    counting Sundays and holidays), or at the DAPO hearing if that is sooner: kept as `court_due_by`."""
    now = now or datetime.now(UTC)
    order = await db.scalar(select(ProtectiveOrder).where(ProtectiveOrder.id == order_id))
    if order is None or (await _party(db, actor, order.subject_id)).withheld:
        raise OrderNotFound(order_id)
    rules = await order_rules_for(db, actor.force_id)
    errors: dict[str, str] = {}
    occurred = new.occurred_at
    problem = _time_problem(occurred, "of the breach", now, future=False)
    if occurred is None:
        errors["occurred_at"] = "Give the date and time of the breach"
    elif problem:
        errors["occurred_at"] = problem
    elif occurred < order.starts_at:
        errors["occurred_at"] = (f"The order started on {_when(order.starts_at)}: a breach cannot come before it "
                                 "(the dates are in the wrong order)")
    else:
        ended = order.ended_at or (order.expires_at if order.expires_at and order.expires_at <= now else None)
        if ended is not None and occurred > ended:
            errors["occurred_at"] = f"The order ended on {_when(ended)}: it cannot be breached after that"
    description = new.description.strip()
    if not description:
        errors["description"] = "Describe what the subject did that breached the order"
    elif len(description) > MAX_TEXT:
        errors["description"] = f"The description must be at most {MAX_TEXT} characters"
    if new.location_id is not None:
        location = await db.scalar(select(Location).where(Location.id == new.location_id))
        if location is None or (location.restricted and not await may_see(db, actor, location_id=location.id)):
            errors["location"] = f"There is no address {new.location_id} in your force"
    if new.incident_id is not None and await db.scalar(
            select(Incident.id).where(Incident.id == new.incident_id)) is None:
        errors["incident"] = f"There is no incident {new.incident_id} in your force"
    arrested_at = new.arrested_at
    if new.arrest_id is not None:
        arrest = await db.scalar(select(Arrest).where(Arrest.id == new.arrest_id))
        if arrest is None:
            errors["arrest"] = f"There is no arrest {new.arrest_id} in your force"
        elif arrest.person_id != order.subject_id:
            errors["arrest"] = "That arrest is not of the person the order binds"
        else:
            arrested_at = arrest.arrested_at
    problem = _time_problem(arrested_at, "of the arrest", now, future=False)
    if problem:
        errors.setdefault("arrested_at", problem)
    elif arrested_at is not None and occurred is not None and "occurred_at" not in errors and arrested_at < occurred:
        errors.setdefault("arrested_at", "The arrest is before the breach: the dates are in the wrong order")
    if errors:
        raise OrderRefused(errors)
    assert occurred is not None
    court_due_by = None
    if order.kind == "dapn" and arrested_at is not None:
        hearing = order.hearing_due_by if order.hearing_at is None else None
        court_due_by = clocks.breach_court_due(arrested_at, rules.dapn_breach_court_hours, rules.excluded, hearing)
    breach = OrderBreach(force_id=actor.force_id, order_id=order.id, occurred_at=occurred, recorded_at=now,
                         recorded_by=actor.label, description=description, location_id=new.location_id,
                         incident_id=new.incident_id, arrest_id=new.arrest_id, court_due_by=court_due_by)
    db.add(breach)
    await db.flush()
    await audit.record(db, action="order_breach.create", actor=actor, object_type="protective_order",
                       object_id=order.id, details={"breach_id": breach.id, "arrested": arrested_at is not None})
    return breach


# -- for the control room -----------------------------------------------------------------------------------

def _active_and_involving(ids: Sequence[int], now: datetime) -> tuple[Any, ...]:
    """Conditions for the active orders (in force now, or starting within FUTURE_SLACK of now) in which any of
    these people is the subject or a protected person."""
    # The orders' ids from both sides by their indexes, then those orders: "subject in ids OR id in (protected)"
    # made PostgreSQL check every active order of the force (70 ms on a large force, against a fraction of one).
    involved = union(select(ProtectiveOrder.id).where(ProtectiveOrder.subject_id.in_(ids)),
                     select(ProtectiveOrderPerson.order_id).where(ProtectiveOrderPerson.person_id.in_(ids)))
    return _active_filter(now), ProtectiveOrder.starts_at <= now + FUTURE_SLACK, ProtectiveOrder.id.in_(involved)


async def any_active_order_involving(db: AsyncSession, person_ids: Sequence[int], *, now: datetime | None = None
                                     ) -> bool:
    """Is any of these people the subject of, or protected by, an active order? For flagging a call as domestic
    abuse: one statement, naming no one. It counts the orders this transaction may see: row-level security
    hides an order whose subject or protected person is restricted from a reader without a grant for them."""
    ids = _ids(person_ids)
    if not ids:
        return False
    return bool(await db.scalar(select(exists().where(*_active_and_involving(ids, now or datetime.now(UTC))))))


async def active_orders_involving(db: AsyncSession, person_ids: Sequence[int], *, actor: Actor | None = None,
                                  now: datetime | None = None, reason: str = "history at a glance"
                                  ) -> list[InvolvedOrder]:
    """Active orders in which any of these people is the subject or a protected person. Each order shown is an
    audited read when `actor` is given; restricted people and addresses are withheld."""
    now = now or datetime.now(UTC)
    ids = _ids(person_ids)
    if not ids:
        return []
    orders = list(await db.scalars(
        select(ProtectiveOrder).where(*_active_and_involving(ids, now)).order_by(ProtectiveOrder.starts_at.desc())))
    found: list[InvolvedOrder] = []
    for order in orders:
        subject = await _party(db, actor, order.subject_id)
        if subject.withheld:
            continue
        protected = await _protected(db, actor, order.id)
        recorded, recorded_zones = await _withheld_counts(db, order.id)
        protected += [Party(None, RESTRICTED_PERSON)] * max(0, recorded - len(protected))
        zones = await _zones(db, actor, order.id)
        zones += [ZoneView(None, RESTRICTED_ADDRESS, None, None)] * max(0, recorded_zones - len(zones))
        breaches = len(list(await db.scalars(select(OrderBreach.id).where(OrderBreach.order_id == order.id))))
        if actor is not None:
            await audit.record_read(db, actor, "protective_order", order.id, reason=reason)
        found.append(InvolvedOrder(order.id, order.reference, order.kind, SHORT_LABELS[order.kind], subject,
                                   protected, order.no_contact, order.conditions, zones, uk_time(order.starts_at),
                                   uk_time(order.expires_at) if order.expires_at else None, breaches))
    return found


async def breach_alerts(db: AsyncSession, person_ids: Sequence[int], location_ids: Sequence[int], *,
                        actor: Actor | None = None, now: datetime | None = None, withheld_linked: bool = False
                        ) -> list[BreachAlert]:
    """Alerts for the control room: a person linked to the call is the subject of an active order that protects
    another person linked to the call, or that bars them from an address of the call.

    A restricted protected person is hidden from a reader without a grant, so their link cannot be matched. When
    the caller says a restricted person is linked to the call too (`withheld_linked`) and the order protects
    someone withheld from this reader, the alert says so without naming anyone."""
    now = now or datetime.now(UTC)
    people, places = set(_ids(person_ids)), set(_ids(location_ids))
    if not people:
        return []
    orders = list(await db.scalars(
        select(ProtectiveOrder).where(_active_filter(now), ProtectiveOrder.starts_at <= now + FUTURE_SLACK,
                                      ProtectiveOrder.subject_id.in_(people))
        .order_by(ProtectiveOrder.starts_at.desc())))
    alerts: list[BreachAlert] = []
    for order in orders:
        subject = await _party(db, actor, order.subject_id)
        if subject.withheld:
            continue
        short = SHORT_LABELS[order.kind]
        protected_ids = set(await db.scalars(select(ProtectiveOrderPerson.person_id)
                                             .where(ProtectiveOrderPerson.order_id == order.id)))
        for person_id in sorted((protected_ids & people) - {order.subject_id}):
            party = await _party(db, actor, person_id)
            what = "barred from contacting" if order.no_contact else "bound to keep away from"
            alerts.append(BreachAlert(order.id, order.reference, short, subject.display_name,
                                      f"{subject.display_name} is {what} {party.display_name} by {short} "
                                      f"{order.reference}, and both are linked to this call"))
        visible = [await _party(db, actor, person_id) for person_id in protected_ids]
        recorded, _ = await _withheld_counts(db, order.id)
        if withheld_linked and (recorded > len(protected_ids) or any(p.withheld for p in visible)):
            alerts.append(BreachAlert(order.id, order.reference, short, subject.display_name,
                                      f"{subject.display_name} is bound by {short} {order.reference} to protect "
                                      "someone whose record is restricted, and a restricted person is linked to "
                                      "this call: ask the public protection unit"))
        for zone in await _zones(db, actor, order.id):
            if zone.location_id is not None and zone.location_id in places:
                distance = f" (within {zone.radius_m} m)" if zone.radius_m else ""
                alerts.append(BreachAlert(order.id, order.reference, short, subject.display_name,
                                          f"{subject.display_name} is barred from {zone.address}{distance} by "
                                          f"{short} {order.reference}: an address linked to this call"))
    return alerts
