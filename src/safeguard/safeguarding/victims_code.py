"""The Victims' Code (DOMAIN.md §9.2): each victim's entitlements, with a due date, and the contact log that
meets them.

When a crime's victim's record is opened, the entitlements owed at the start are opened with due dates: by
default a needs assessment at first contact (right 4), written confirmation of the crime (right 3) and a
referral to support services (right 4). An officer adds an update entitlement (right 6) when a key decision
happens: an arrest, a charge, no further action, a change to bail. Each is due within a number of working days
of the crime being recorded (or of the decision): 1 for victims with enhanced rights (DA victims are enhanced)
and 5 otherwise. These timescales are UNVERIFIED in DOMAIN.md, so they, the opening entitlements and the
bank-holiday calendar are per-force settings in `force.settings["victims_code"]` (see
docs/clares-law-and-victims-code.md). Working days skip weekends and the bank holidays of England and Wales,
taken from the maintained `holidays` calendar, never a hand-typed list.

A contact with the victim (when, how, what was said) may meet one entitlement: meeting it records who met it and
when. Every read is audited; row-level security hides a restricted victim's entitlements and contacts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.models import User
from safeguard.crimes.models import Crime, CrimePerson
from safeguard.crimes.service import UK, uk_time
from safeguard.force.models import Force
from safeguard.people.models import Person
from safeguard.people.service import may_see
from safeguard.safeguarding.clocks import bank_holiday
from safeguard.safeguarding.models import CONTACT_METHODS, VictimContact, VictimEntitlement

RIGHT_TITLES = {
    1: "To understand and be understood",
    2: "To have the crime recorded without unjustified delay",
    3: "To get information when reporting the crime",
    4: "To be referred to support services and have needs assessed",
    5: "To get information about compensation",
    6: "To get updates on the investigation and prosecution",
    7: "To make a Victim Personal Statement",
    8: "To get information about the trial and their role",
    9: "To be told the outcome and any appeal",
    10: "To be paid expenses and have property returned",
    11: "To get information about the offender after conviction",
    12: "To make a complaint if rights are not met",
}
METHOD_LABELS = {"phone": "Phone", "in-person": "In person", "letter": "Letter", "email": "Email",
                 "text": "Text message", "via-third-party": "Through a third party"}
assert set(METHOD_LABELS) == set(CONTACT_METHODS)
# The key decisions a victim must be told about (right 6).
KEY_DECISIONS = {"arrest": "suspect arrested", "charge": "suspect charged", "nfa": "no further action",
                 "bail-change": "bail changed"}
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TEXT = 10_000


class VictimsCodeRefused(ValueError):
    """What was asked cannot be saved; `errors` maps each field at fault to a message. Nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class VictimsCodeNotFound(LookupError):
    """No such victim, crime or entitlement visible to this actor."""


# -- working days ------------------------------------------------------------------------------------------

def is_working_day(day: date, country: str = "GB", subdiv: str | None = "ENG") -> bool:
    """Monday to Friday, and not a bank holiday in the calendar chosen (England and Wales by default)."""
    return day.weekday() < 5 and bank_holiday(day, country, subdiv) is None


def add_working_days(start: datetime, days: int, country: str = "GB", subdiv: str | None = "ENG") -> datetime:
    """The same UK time of day, `days` working days after `start`'s UK date (0 days: `start` itself).

    Friday 10:00 plus 1 working day is Monday 10:00; Christmas Eve plus 1 skips Christmas and Boxing Day.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start
    local = uk_time(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, country, subdiv):
            counted += 1
    return datetime.combine(day, time(local.hour, local.minute, local.second), tzinfo=UK).astimezone(UTC)


def working_days_between(start: date, end: date, country: str = "GB", subdiv: str | None = "ENG") -> int:
    """Working days after `start` up to and including `end`."""
    return sum(1 for n in range(1, (end - start).days + 1)
               if is_working_day(start + timedelta(days=n), country, subdiv))


# -- rules --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VictimsCodeRules:
    """A force's Victims' Code timescales (UNVERIFIED defaults, DOMAIN.md §9.2)."""

    enhanced_working_days: int = 1
    standard_working_days: int = 5
    holiday_country: str = "GB"
    holiday_subdiv: str | None = "ENG"
    # Opened for a crime's victim: (right number, what is owed).
    opening: tuple[tuple[int, str], ...] = field(default=(
        (4, "Needs assessment at first contact"),
        (3, "Written confirmation of the crime"),
        (4, "Referral to support services"),
    ))

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> VictimsCodeRules:
        chosen = (settings or {}).get("victims_code") or {}
        values: dict[str, Any] = {}
        for key in ("enhanced_working_days", "standard_working_days"):
            if key in chosen:
                days = int(chosen[key])
                if not 0 <= days <= 60:
                    raise ValueError(f"victims_code.{key} must be between 0 and 60")
                values[key] = days
        if "holiday_country" in chosen:
            values["holiday_country"] = str(chosen["holiday_country"])
        if "holiday_subdiv" in chosen:
            values["holiday_subdiv"] = None if chosen["holiday_subdiv"] is None else str(chosen["holiday_subdiv"])
        if isinstance(chosen.get("opening"), list):
            opening = tuple((int(item["right"]), str(item["what"])) for item in chosen["opening"])
            if any(right not in RIGHT_TITLES for right, _ in opening):
                raise ValueError("victims_code.opening rights must be 1 to 12")
            values["opening"] = opening
        return cls(**values)

    def working_days(self, enhanced: bool) -> int:
        return self.enhanced_working_days if enhanced else self.standard_working_days

    def due(self, start: datetime, enhanced: bool) -> datetime:
        return add_working_days(start, self.working_days(enhanced), self.holiday_country, self.holiday_subdiv)


async def rules_for(db: AsyncSession, force_id: int) -> VictimsCodeRules:
    return VictimsCodeRules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))


# -- views --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EntitlementView:
    id: int
    person_id: int
    person_name: str
    crime_id: int | None
    crime_reference: str | None
    right_number: int
    right_title: str
    what: str
    enhanced: bool
    due_at: datetime
    officer: str | None
    met_at: datetime | None
    met_by: str | None
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.met_at is None and self.due_at < self.now

    @property
    def state(self) -> str:
        if self.met_at is not None:
            return "Met late" if self.met_at > self.due_at else "Met"
        return "Overdue" if self.overdue else "Due"


@dataclass(frozen=True)
class ContactView:
    id: int
    crime_reference: str | None
    entitlement_id: int | None
    entitlement_what: str | None
    contacted_at: datetime
    method: str
    method_label: str
    by: str
    summary: str


@dataclass(frozen=True)
class VictimCrime:
    id: int
    reference: str
    da_related: bool
    recorded_at: datetime
    opened: bool  # entitlements already opened for this victim and crime


@dataclass(frozen=True)
class VictimRecord:
    person_id: int
    name: str
    entitlements: list[EntitlementView]
    contacts: list[ContactView]
    crimes: list[VictimCrime]


@dataclass(frozen=True)
class OverdueByOfficer:
    officer: str
    count: int
    oldest_due: datetime


# -- helpers ------------------------------------------------------------------------------------------------

def _clean(value: str | None) -> str:
    return (value or "").strip()


async def _visible_person(db: AsyncSession, actor: Actor, person_id: int) -> Person:
    if not 1 <= person_id <= 2**62:
        raise VictimsCodeNotFound(person_id)
    person = (await db.scalars(select(Person).where(Person.id == person_id))).first()
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        raise VictimsCodeNotFound(person_id)
    return person


def _when_problem(value: datetime | None, label: str, now: datetime) -> str | None:
    if value is None:
        return f"Enter the date {label}"
    if value.tzinfo is None:
        return f"Give the time {label} with its time zone"
    if value > now + timedelta(minutes=5):
        return f"The date {label} must not be in the future"
    if value < EARLIEST:
        return f"The date {label} must be after 1900"
    return None


async def _officer_problem(db: AsyncSession, actor: Actor, officer: str) -> str | None:
    if officer == actor.label:
        return None
    if len(officer) > 100:
        return "The officer's username must be 100 characters or fewer"
    found = await db.scalar(select(User.id).where(User.username == officer, User.force_id == actor.force_id))
    return None if found else f"There is no officer with the username {officer} in your force"


async def _victim_crime(db: AsyncSession, crime_id: int, person_id: int) -> Crime:
    crime = (await db.scalars(select(Crime).where(Crime.id == crime_id))).first()
    if crime is None:
        raise VictimsCodeRefused({"crime": f"There is no crime {crime_id} in your force"})
    victim = await db.scalar(select(CrimePerson.id).where(CrimePerson.crime_id == crime_id,
                                                          CrimePerson.person_id == person_id,
                                                          CrimePerson.role == "victim"))
    if victim is None:
        raise VictimsCodeRefused({"person": f"Person {person_id} is not a victim of crime {crime.reference}"})
    return crime


def _entitlement(e: VictimEntitlement, name: str, reference: str | None, now: datetime) -> EntitlementView:
    return EntitlementView(e.id, e.person_id, name, e.crime_id, reference, e.right_number,
                           RIGHT_TITLES[e.right_number], e.what, e.enhanced, e.due_at, e.officer, e.met_at,
                           e.met_by, now)


# -- opening entitlements -----------------------------------------------------------------------------------

async def victims_of_crime(db: AsyncSession, actor: Actor, crime_id: int) -> tuple[Crime, list[Person]]:
    """A crime and its victims this actor may see (restricted ones left out)."""
    crime = (await db.scalars(select(Crime).where(Crime.id == crime_id))).first()
    if crime is None:
        raise VictimsCodeNotFound(crime_id)
    people = []
    for person in await db.scalars(select(Person).join(CrimePerson, CrimePerson.person_id == Person.id)
                                   .where(CrimePerson.crime_id == crime_id, CrimePerson.role == "victim")
                                   .order_by(CrimePerson.id)):
        if person.restricted and not await may_see(db, actor, person_id=person.id):
            continue
        people.append(person)
    return crime, people


async def crime_by_reference(db: AsyncSession, reference: str) -> Crime | None:
    return (await db.scalars(select(Crime).where(Crime.reference == reference.strip().upper()))).first()


async def open_for_crime(db: AsyncSession, actor: Actor, *, crime_id: int, person_id: int,
                         officer: str | None = None, enhanced: bool | None = None,
                         now: datetime | None = None) -> list[VictimEntitlement]:
    """Open the entitlements owed at the start to a victim of a crime, due from when the crime was recorded.

    DA victims always have enhanced rights; otherwise `enhanced` says whether the victim is vulnerable,
    intimidated, persistently targeted or a victim of the most serious crime.
    """
    now = now or datetime.now(UTC)
    await _visible_person(db, actor, person_id)
    crime = await _victim_crime(db, crime_id, person_id)
    errors: dict[str, str] = {}
    opened = await db.scalar(select(VictimEntitlement.id).where(VictimEntitlement.crime_id == crime_id,
                                                                VictimEntitlement.person_id == person_id).limit(1))
    if opened is not None:
        errors["crime"] = f"The Victims' Code entitlements for this victim of {crime.reference} are already open"
    owed_by = _clean(officer) or actor.label
    problem = await _officer_problem(db, actor, owed_by)
    if problem:
        errors["officer"] = problem
    if crime.da_related and enhanced is False:
        errors["enhanced"] = "Victims of domestic abuse have enhanced rights under the Victims' Code"
    if errors:
        raise VictimsCodeRefused(errors)
    is_enhanced = True if crime.da_related else bool(enhanced)
    rules = await rules_for(db, actor.force_id)
    due = rules.due(crime.recorded_at, is_enhanced)
    rows = [VictimEntitlement(force_id=actor.force_id, person_id=person_id, crime_id=crime_id, right_number=right,
                              what=what, enhanced=is_enhanced, due_at=due, officer=owed_by)
            for right, what in rules.opening]
    db.add_all(rows)
    await db.flush()
    await audit.record(db, action="victims_code.open", actor=actor, object_type="person", object_id=person_id,
                       details={"crime_id": crime_id, "entitlements": len(rows), "enhanced": is_enhanced})
    return rows


async def add_update(db: AsyncSession, actor: Actor, *, crime_id: int, person_id: int, decision: str,
                     decided_at: datetime | None, officer: str | None = None,
                     now: datetime | None = None) -> VictimEntitlement:
    """A key decision happened (arrest, charge, NFA, bail change): the victim is owed an update (right 6)."""
    now = now or datetime.now(UTC)
    await _visible_person(db, actor, person_id)
    crime = await _victim_crime(db, crime_id, person_id)
    errors: dict[str, str] = {}
    if decision not in KEY_DECISIONS:
        errors["decision"] = "Choose the key decision: arrest, charge, no further action or bail change"
    problem = _when_problem(decided_at, "of the decision", now)
    if problem:
        errors["decided_at"] = problem
    elif decided_at is not None and decided_at < crime.recorded_at:
        errors["decided_at"] = ("The decision cannot be before the crime was recorded, on "
                                f"{uk_time(crime.recorded_at):%d %B %Y at %H:%M}")
    owed_by = _clean(officer) or actor.label
    problem = await _officer_problem(db, actor, owed_by)
    if problem:
        errors["officer"] = problem
    if errors:
        raise VictimsCodeRefused(errors)
    assert decided_at is not None
    existing = await db.scalar(select(VictimEntitlement.enhanced).where(VictimEntitlement.crime_id == crime_id,
                                                                        VictimEntitlement.person_id == person_id)
                               .limit(1))
    enhanced = True if crime.da_related else bool(existing)
    rules = await rules_for(db, actor.force_id)
    row = VictimEntitlement(force_id=actor.force_id, person_id=person_id, crime_id=crime_id, right_number=6,
                            what=f"Update: {KEY_DECISIONS[decision]}", enhanced=enhanced,
                            due_at=rules.due(decided_at, enhanced), officer=owed_by)
    db.add(row)
    await db.flush()
    await audit.record(db, action="victims_code.update_owed", actor=actor, object_type="victim_entitlement",
                       object_id=row.id, details={"crime_id": crime_id, "decision": decision})
    return row


# -- the contact log ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewContact:
    person_id: int
    contacted_at: datetime | None
    method: str
    summary: str
    entitlement_id: int | None = None
    crime_id: int | None = None


async def log_contact(db: AsyncSession, actor: Actor, new: NewContact, *, via: str = "web",
                      now: datetime | None = None) -> VictimContact:
    """Record a contact with a victim; if it names an entitlement, that entitlement is met by it."""
    now = now or datetime.now(UTC)
    await _visible_person(db, actor, new.person_id)
    errors: dict[str, str] = {}
    problem = _when_problem(new.contacted_at, "of the contact", now)
    if problem:
        errors["contacted_at"] = problem
    if new.method not in CONTACT_METHODS:
        errors["method"] = "Choose how the victim was contacted"
    summary = _clean(new.summary)
    if not summary:
        errors["summary"] = "Enter what was said or done in the contact"
    elif len(summary) > MAX_TEXT:
        errors["summary"] = f"The summary must be {MAX_TEXT} characters or fewer"
    entitlement = None
    crime_id = new.crime_id
    if new.entitlement_id is not None:
        entitlement = (await db.scalars(select(VictimEntitlement).where(VictimEntitlement.id == new.entitlement_id)
                                        .execution_options(populate_existing=True))).first()
        if entitlement is None or entitlement.person_id != new.person_id:
            errors["entitlement"] = "Choose one of this victim's entitlements"
            entitlement = None
        elif entitlement.met_at is not None:
            errors["entitlement"] = (f"That entitlement was already met on {uk_time(entitlement.met_at):%d %B %Y}"
                                     f" by {entitlement.met_by}")
        else:
            crime_id = crime_id or entitlement.crime_id
    if crime_id is not None:
        crime = (await db.scalars(select(Crime).where(Crime.id == crime_id))).first()
        if crime is None:
            errors["crime"] = f"There is no crime {crime_id} in your force"
        elif "contacted_at" not in errors and new.contacted_at is not None and new.contacted_at < crime.recorded_at:
            errors["contacted_at"] = ("The contact cannot be before the crime was recorded, on "
                                      f"{uk_time(crime.recorded_at):%d %B %Y at %H:%M}")
    if errors:
        raise VictimsCodeRefused(errors)
    assert new.contacted_at is not None
    contact = VictimContact(force_id=actor.force_id, person_id=new.person_id, crime_id=crime_id,
                            entitlement_id=entitlement.id if entitlement else None, contacted_at=new.contacted_at,
                            method=new.method, by=actor.label, summary=summary)
    db.add(contact)
    if entitlement is not None:
        entitlement.met_at, entitlement.met_by = new.contacted_at, actor.label
    await db.flush()
    await audit.record(db, action="victims_code.contact", actor=actor, object_type="person",
                       object_id=new.person_id, details={"entitlement_id": contact.entitlement_id, "via": via})
    return contact


# -- reading ------------------------------------------------------------------------------------------------

async def _references(db: AsyncSession, crime_ids: set[int]) -> dict[int, str]:
    if not crime_ids:
        return {}
    return {i: r for i, r in await db.execute(select(Crime.id, Crime.reference).where(Crime.id.in_(crime_ids)))}


async def victim_record(db: AsyncSession, actor: Actor, person_id: int, *, now: datetime | None = None
                        ) -> VictimRecord:
    """A victim's entitlements (open first, soonest due first), contact log (newest first) and crimes. Audited."""
    now = now or datetime.now(UTC)
    person = await _visible_person(db, actor, person_id)
    entitlements = list(await db.scalars(select(VictimEntitlement).where(VictimEntitlement.person_id == person_id)
                                         .execution_options(populate_existing=True)))
    contacts = list(await db.scalars(select(VictimContact).where(VictimContact.person_id == person_id)
                                     .order_by(VictimContact.contacted_at.desc(), VictimContact.id.desc())))
    crimes = list(await db.scalars(select(Crime).join(CrimePerson, CrimePerson.crime_id == Crime.id)
                                   .where(CrimePerson.person_id == person_id, CrimePerson.role == "victim")
                                   .order_by(Crime.recorded_at.desc())))
    refs = await _references(db, {e.crime_id for e in entitlements if e.crime_id}
                             | {c.crime_id for c in contacts if c.crime_id})
    refs.update({c.id: c.reference for c in crimes})
    opened = {e.crime_id for e in entitlements}
    whats = {e.id: e.what for e in entitlements}
    entitlements.sort(key=lambda e: (e.met_at is not None, e.due_at, e.id))
    await audit.record_read(db, actor, "victims_code", person_id)
    return VictimRecord(
        person.id, person.display_name,
        [_entitlement(e, person.display_name, refs.get(e.crime_id) if e.crime_id else None, now)
         for e in entitlements],
        [ContactView(c.id, refs.get(c.crime_id) if c.crime_id else None, c.entitlement_id,
                     whats.get(c.entitlement_id) if c.entitlement_id else None, c.contacted_at, c.method,
                     METHOD_LABELS[c.method], c.by, c.summary) for c in contacts],
        [VictimCrime(c.id, c.reference, c.da_related, c.recorded_at, c.id in opened) for c in crimes])


async def read_entitlement(db: AsyncSession, actor: Actor, entitlement_id: int, *, now: datetime | None = None
                           ) -> tuple[EntitlementView, list[ContactView]]:
    """One entitlement and the contacts recorded against it. Audited."""
    now = now or datetime.now(UTC)
    row = (await db.scalars(select(VictimEntitlement).where(VictimEntitlement.id == entitlement_id)
                            .execution_options(populate_existing=True))).first()
    if row is None:
        raise VictimsCodeNotFound(entitlement_id)
    person = await _visible_person(db, actor, row.person_id)
    refs = await _references(db, {row.crime_id} if row.crime_id else set())
    contacts = [ContactView(c.id, refs.get(c.crime_id) if c.crime_id else None, c.entitlement_id, row.what,
                            c.contacted_at, c.method, METHOD_LABELS[c.method], c.by, c.summary)
                for c in await db.scalars(select(VictimContact).where(VictimContact.entitlement_id == entitlement_id)
                                          .order_by(VictimContact.contacted_at))]
    await audit.record_read(db, actor, "victim_entitlement", entitlement_id)
    return _entitlement(row, person.display_name, refs.get(row.crime_id) if row.crime_id else None, now), contacts


async def _views(db: AsyncSession, actor: Actor, rows: list[VictimEntitlement], now: datetime
                 ) -> list[EntitlementView]:
    names: dict[int, str] = {}
    ids = {r.person_id for r in rows}
    if ids:
        for person in await db.scalars(select(Person).where(Person.id.in_(ids))):
            if person.restricted and not await may_see(db, actor, person_id=person.id):
                continue
            names[person.id] = person.display_name
    refs = await _references(db, {r.crime_id for r in rows if r.crime_id})
    return [_entitlement(r, names[r.person_id], refs.get(r.crime_id) if r.crime_id else None, now)
            for r in rows if r.person_id in names]


async def due_entitlements(db: AsyncSession, actor: Actor, *, now: datetime | None = None, limit: int = 200
                           ) -> list[EntitlementView]:
    """Entitlements not yet met: the actor's own first, then everyone's, each soonest due first. Audited."""
    now = now or datetime.now(UTC)
    rows = list(await db.scalars(select(VictimEntitlement).where(VictimEntitlement.met_at.is_(None))
                                 .order_by((VictimEntitlement.officer == actor.label).desc().nulls_last(),
                                           VictimEntitlement.due_at, VictimEntitlement.id).limit(limit)))
    views = await _views(db, actor, rows, now)
    await audit.record(db, action="victims_code.list", actor=actor, details={"shown": len(views)})
    return views


async def overdue(db: AsyncSession, actor: Actor, *, now: datetime | None = None, limit: int = 1000
                  ) -> tuple[list[EntitlementView], list[OverdueByOfficer]]:
    """Entitlements past due and not met, across the force, oldest first; and the count by officer. Audited."""
    now = now or datetime.now(UTC)
    rows = list(await db.scalars(select(VictimEntitlement).where(VictimEntitlement.met_at.is_(None),
                                                                 VictimEntitlement.due_at < now)
                                 .order_by(VictimEntitlement.due_at, VictimEntitlement.id).limit(limit)))
    views = await _views(db, actor, rows, now)
    by: dict[str, OverdueByOfficer] = {}
    for v in views:
        key = v.officer or "Nobody named"
        seen = by.get(key)
        by[key] = OverdueByOfficer(key, (seen.count if seen else 0) + 1, seen.oldest_due if seen else v.due_at)
    await audit.record(db, action="victims_code.overdue", actor=actor, details={"shown": len(views)})
    return views, sorted(by.values(), key=lambda o: (-o.count, o.oldest_due))


OVERDUE_CSV_HEADER = ["entitlement_id", "person_id", "victim", "crime", "right", "what", "enhanced", "due_at_uk",
                      "days_overdue", "officer"]


def overdue_rows(views: list[EntitlementView]) -> list[list[object]]:
    return [[v.id, v.person_id, v.person_name, v.crime_reference or "", v.right_number, v.what,
             "yes" if v.enhanced else "no", f"{uk_time(v.due_at):%Y-%m-%d %H:%M}", (v.now - v.due_at).days,
             v.officer or ""] for v in views]
