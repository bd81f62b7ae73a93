"""DA specialist review: the queue of DA-flagged contacts, the safeguarding view of one, and the advice given.

The DA specialist is a charity advocate who sits in the control room. They see what safeguarding needs and no
more (docs/da-specialist.md):

- the victims linked to the call: the caller, the victims on the call's incident, and the people linked to the
  caller's number who are on record as victims; each with their safe-contact preferences first, their
  current address, the victim-side markers the force allows (`force.settings["da_specialist"]["marker_kinds"]`),
  their saved DASH assessments, MARAC referrals and support referrals, and the active orders that protect them
  (in outline);
- the children: whether the caller said children were present, and children-at-the-address markers;
- what the call said (channel, time, grade, 55, injury, weapons, the handler's note, the online report).

Never shown: intelligence; anyone who is not a victim on record (a suspect linked to the number is counted,
never named or described); suspects' markers, crimes, arrests, custody, bail and wanted status; the
incidents of anyone. A restricted person is withheld ("Restricted person"), and a restricted address too.

Every person, assessment, referral and order shown is an audited read; so is the contact. Advice is stored as
`SpecialistAdvice` and shown to the handler and attending officers on the contact (`advice_for`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact.models import Contact, IncidentPerson, SpecialistAdvice
from safeguard.contact.rules import GRADE_LABELS
from safeguard.crimes.models import CrimePerson
from safeguard.force.models import Force
from safeguard.people import history, markers
from safeguard.people.markers import MarkerView
from safeguard.people.models import Location, Person, PersonAddress, PersonPhone
from safeguard.people.service import RESTRICTED_ADDRESS, address_text
from safeguard.risk import marac
from safeguard.risk.assessments import LEVEL_LABELS, ROUTE_LABELS
from safeguard.risk.forms import get_form
from safeguard.risk.models import MaracMeeting, MaracReferral, RiskAssessment
from safeguard.safeguarding.models import (
    OrderBreach,
    ProtectiveOrder,
    ProtectiveOrderPerson,
    ProtectiveOrderZone,
    SupportReferral,
    SupportService,
)
from safeguard.safeguarding.orders import KIND_LABELS as ORDER_KIND_LABELS
from safeguard.safeguarding.safe_contact import SafeContactView, safe_contact_for

UK = ZoneInfo("Europe/London")
RESTRICTED_PERSON = "Restricted person"
REASON = "DA specialist review"
QUEUE_LIMIT = 200
HISTORY_LIMIT = 20  # assessments, referrals per victim: the most recent
ADVICE_MAX = 4000
REFERRAL_MAX = 4000
ID_MAX = 2**62
CHANNEL_LABELS = {"999": "999", "999-silent": "Silent 999", "101": "101", "online": "Online report",
                  "in-person": "In person"}
SUPPORT_STATUS_LABELS = {"made": "Made", "accepted": "Accepted", "rejected": "Rejected", "withdrawn": "Withdrawn"}
# Victim-side markers a charity advocate may see, unless the force chooses its own list. Suspect-side kinds
# (DA perpetrator, weapons, violence towards police, officer safety, drugs) are never in it by default.
DEFAULT_MARKER_KINDS = ("da-high-risk-victim", "children-at-address", "stalking")
DEFAULT_CHILDREN_KINDS = ("children-at-address",)
DEFAULT_REVIEW_HOURS = 24
# Words the online report's answers are shown under, for the keys the public form is known to use.
REPORT_LABELS = {"what_happened": "What happened", "danger_now": "Anyone in danger now",
                 "safe_contact": "Safe ways and times to make contact", "safe_ways": "Safe ways to make contact",
                 "safe_times": "Safe times to make contact", "voicemail_safe": "Voicemail safe"}


class ContactNotFound(LookupError):
    """No DA contact with that number in this force (another force's, a non-DA contact, or none)."""


class AdviceRefused(ValueError):
    """The advice cannot be saved; `errors` maps each field at fault to what to fix. Nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


@dataclass(frozen=True)
class SpecialistRules:
    """The force's choices for DA specialist review (`force.settings["da_specialist"]`)."""

    # A DA contact waits for review while it is open, or for this long after it was received.
    review_window: timedelta = timedelta(hours=DEFAULT_REVIEW_HOURS)
    marker_kinds: tuple[str, ...] = DEFAULT_MARKER_KINDS
    children_kinds: tuple[str, ...] = DEFAULT_CHILDREN_KINDS

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> SpecialistRules:
        chosen = (settings or {}).get("da_specialist") or {}
        if not isinstance(chosen, Mapping):
            return cls()
        hours = chosen.get("review_window_hours", DEFAULT_REVIEW_HOURS)
        if not isinstance(hours, int) or not 1 <= hours <= 24 * 14:
            hours = DEFAULT_REVIEW_HOURS

        def kinds(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = chosen.get(name)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
            return default

        return cls(timedelta(hours=hours), kinds("marker_kinds", DEFAULT_MARKER_KINDS),
                   kinds("children_kinds", DEFAULT_CHILDREN_KINDS))


async def rules_for(db: AsyncSession, force_id: int) -> SpecialistRules:
    return SpecialistRules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))


def age_text(delta: timedelta) -> str:
    """How long ago, as a control room says it: "just now", "12 min ago", "3 h 05 min ago", "2 days 4 h ago"."""
    seconds = max(0, int(delta.total_seconds()))
    minutes = seconds // 60
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min ago"
    days, hours = divmod(hours, 24)
    return f"{days} day{'s' if days != 1 else ''} {hours} h ago"


def uk(value: datetime) -> str:
    return value.astimezone(UK).strftime("%d %b %Y %H:%M")


def uk_day_start(now: datetime) -> datetime:
    local = now.astimezone(UK)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


# -- the queue ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueItem:
    id: int
    channel: str
    channel_label: str
    received_at: datetime
    received_uk: str
    age: str
    grade: str | None
    grade_label: str | None
    silent: bool
    pressed_55: bool
    victim_identified: bool
    status: str
    advice_count: int
    last_advice_at: datetime | None
    last_advice_uk: str | None
    last_advice_by: str | None


@dataclass(frozen=True)
class Queue:
    waiting: list[QueueItem]
    reviewed: list[QueueItem]
    review_window: timedelta
    limit: int


def _victim_identified() -> Any:
    on_incident = exists().where(IncidentPerson.incident_id == Contact.incident_id, IncidentPerson.role == "victim")
    return Contact.caller_person_id.is_not(None) | on_incident


async def queue(db: AsyncSession, actor: Actor, *, now: datetime | None = None, limit: int = QUEUE_LIMIT) -> Queue:
    """The force's DA-flagged contacts, newest first: those waiting for review (no advice yet, and open or
    received within the review window) and those reviewed today (advice given since midnight, UK time).

    No names or numbers are listed, so the list itself is not an audited read; opening a contact is."""
    now = now or datetime.now(UTC)
    rules = await rules_for(db, actor.force_id)
    advised = (select(SpecialistAdvice.contact_id, func.count().label("n"),
                      func.max(SpecialistAdvice.given_at).label("last"))
               .group_by(SpecialistAdvice.contact_id).subquery())
    last_by = (select(SpecialistAdvice.given_by).where(SpecialistAdvice.contact_id == Contact.id)
               .order_by(SpecialistAdvice.given_at.desc(), SpecialistAdvice.id.desc()).limit(1)
               .scalar_subquery())
    base = (select(Contact, _victim_identified().label("identified"), func.coalesce(advised.c.n, 0),
                   advised.c.last, last_by)
            .outerjoin(advised, advised.c.contact_id == Contact.id)
            .where(Contact.da_flag.is_(True)))
    waiting_rows = await db.execute(
        base.where(advised.c.n.is_(None),
                   or_(Contact.status == "open", Contact.received_at >= now - rules.review_window))
        .order_by(Contact.received_at.desc(), Contact.id.desc()).limit(limit))
    reviewed_rows = await db.execute(
        base.where(advised.c.last >= uk_day_start(now))
        .order_by(Contact.received_at.desc(), Contact.id.desc()).limit(limit))

    def item(row: Any) -> QueueItem:
        contact, identified, count, last, by = row
        return QueueItem(contact.id, contact.channel, CHANNEL_LABELS.get(contact.channel, contact.channel),
                         contact.received_at, uk(contact.received_at), age_text(now - contact.received_at),
                         contact.grade, GRADE_LABELS.get(contact.grade) if contact.grade else None,
                         contact.channel == "999-silent", contact.pressed_55, bool(identified), contact.status,
                         int(count), last, uk(last) if last else None, by)

    return Queue([item(r) for r in waiting_rows], [item(r) for r in reviewed_rows], rules.review_window, limit)


# -- advice ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdviceView:
    id: int
    advice: str
    referral_note: str | None
    given_at: datetime
    given_uk: str
    given_by: str


async def advice_for(db: AsyncSession, contact_id: int) -> list[AdviceView]:
    """The DA specialist's advice on a contact, oldest first: for the contact page of the handler and the
    attending officers (include `specialist/_advice.html` with `specialist_advice` set to this). Reading it is
    part of reading the contact; the page that shows the contact audits that read."""
    rows = await db.scalars(select(SpecialistAdvice).where(SpecialistAdvice.contact_id == contact_id)
                            .order_by(SpecialistAdvice.given_at, SpecialistAdvice.id))
    return [AdviceView(a.id, a.advice, a.referral_note, a.given_at, uk(a.given_at), a.given_by) for a in rows]


async def contact_advice(db: AsyncSession, actor: Actor, contact_id: int) -> list[AdviceView]:
    """The advice on any contact of this force (DA-flagged or since unflagged), for whoever works the call.
    Raises ContactNotFound for another force's contact or none. Audited as a read of the contact."""
    if not 1 <= contact_id <= ID_MAX or await db.scalar(select(Contact.id).where(Contact.id == contact_id)) is None:
        raise ContactNotFound(contact_id)
    await audit.record_read(db, actor, "contact", contact_id, reason="DA specialist advice")
    return await advice_for(db, contact_id)


def advice_problems(advice: str, referral_note: str) -> dict[str, str]:
    """Everything wrong with the advice as typed, by field. Pure."""
    errors: dict[str, str] = {}
    if not advice.strip():
        errors["advice"] = "Enter your advice for the handler and the attending officers"
    elif len(advice.strip()) > ADVICE_MAX:
        errors["advice"] = f"Keep the advice to {ADVICE_MAX} characters or fewer (it has {len(advice.strip())})"
    if len(referral_note.strip()) > REFERRAL_MAX:
        errors["referral_note"] = (f"Keep the referrals to {REFERRAL_MAX} characters or fewer "
                                   f"(they have {len(referral_note.strip())})")
    return errors


async def da_contact(db: AsyncSession, contact_id: int) -> Contact:
    """A DA-flagged contact of this force (row-level security confines it), or ContactNotFound."""
    if not 1 <= contact_id <= ID_MAX:
        raise ContactNotFound(contact_id)
    contact = await db.scalar(select(Contact).where(Contact.id == contact_id)
                              .execution_options(populate_existing=True))
    if contact is None or not contact.da_flag:
        raise ContactNotFound(contact_id)
    return contact


async def record_advice(db: AsyncSession, actor: Actor, contact_id: int, *, advice: str, referral_note: str = "",
                        now: datetime | None = None) -> SpecialistAdvice:
    """Add a piece of advice to a DA contact. Raises ContactNotFound or AdviceRefused (nothing written).
    Audited with the contact's number only: never the words of the advice."""
    contact = await da_contact(db, contact_id)
    errors = advice_problems(advice, referral_note)
    if errors:
        raise AdviceRefused(errors)
    row = SpecialistAdvice(force_id=actor.force_id, contact_id=contact.id, advice=advice.strip(),
                           referral_note=referral_note.strip() or None, given_at=now or datetime.now(UTC),
                           given_by=actor.label)
    db.add(row)
    await db.flush()
    await audit.record(db, action="specialist_advice.create", actor=actor, object_type="contact",
                       object_id=contact.id, details={"advice_id": row.id, "referrals": bool(row.referral_note)})
    return row


# -- the safeguarding view ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssessmentLine:
    id: int
    reference: str
    assessed_uk: str
    form: str
    form_title: str
    score: int
    level_label: str
    routes: list[str]


@dataclass(frozen=True)
class MaracLine:
    id: int
    reference: str
    status_label: str
    referred_uk: str
    routes: list[str]
    meeting_on: str | None


@dataclass(frozen=True)
class SupportLine:
    id: int
    service: str
    status_label: str
    made_uk: str


@dataclass(frozen=True)
class OrderOutline:
    id: int
    reference: str
    kind_label: str
    bound_by: str
    no_contact: bool
    conditions: str | None
    zones: list[tuple[str, int | None]]  # (address, radius in metres)
    starts_uk: str
    expires_uk: str | None
    breaches: int


@dataclass(frozen=True)
class AddressLine:
    text: str
    markers: list[MarkerView]


@dataclass(frozen=True)
class VictimView:
    """A victim linked to the call; `person_id` None when the person is restricted and withheld."""

    person_id: int | None
    display_name: str
    why: str = ""  # the caller, a victim on this call, or linked to the number and a victim on record
    date_of_birth: str | None = None
    safe_contact: SafeContactView | None = None
    markers: list[MarkerView] = field(default_factory=list)
    addresses: list[AddressLine] = field(default_factory=list)
    assessments: list[AssessmentLine] = field(default_factory=list)
    marac: list[MaracLine] = field(default_factory=list)
    support: list[SupportLine] = field(default_factory=list)
    orders: list[OrderOutline] = field(default_factory=list)
    latest_assessment_id: int | None = None

    @property
    def withheld(self) -> bool:
        return self.person_id is None


@dataclass(frozen=True)
class SafeguardingView:
    contact_id: int
    channel_label: str
    received_uk: str
    age: str
    status: str
    grade_label: str | None
    silent: bool
    pressed_55: bool
    injury: bool
    weapons: bool
    children_present: bool
    note: str | None
    location: str | None
    report: list[tuple[str, str]]
    victims: list[VictimView]
    others_not_shown: int  # people linked to the call who are not victims on record: never named
    children: list[str]  # what is known about children, in words
    number_markers: list[MarkerView]
    advice: list[AdviceView]

    @property
    def said(self) -> str:
        """What the caller said about injury, weapons and children, in a sentence."""
        parts = [text for flag, text in ((self.injury, "someone is injured"), (self.weapons, "weapons are involved"),
                                         (self.children_present, "children are present")) if flag]
        if not parts:
            return "No injury, weapons or children recorded."
        return "The caller said " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]) + "."


def _allowed(found: Sequence[MarkerView], kinds: Sequence[str]) -> list[MarkerView]:
    return [m for m in found if m.kind in kinds]


def _report_lines(report: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for key, value in (report or {}).items():
        if isinstance(value, bool):
            text = "Yes" if value else "No"
        elif isinstance(value, str | int | float):
            text = str(value).strip()
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            text = ", ".join(value)
        else:
            continue
        if text:
            lines.append((REPORT_LABELS.get(key, key.replace("_", " ").replace("-", " ").capitalize()), text))
    return lines


async def _victim_on_record(db: AsyncSession, person_id: int) -> bool:
    """Recorded as a victim anywhere: an incident or crime, a DASH assessment, a support referral, or protected by
    an order."""
    checks = [
        select(IncidentPerson.id).where(IncidentPerson.person_id == person_id, IncidentPerson.role == "victim"),
        select(CrimePerson.id).where(CrimePerson.person_id == person_id, CrimePerson.role == "victim"),
        select(RiskAssessment.id).where(RiskAssessment.victim_id == person_id),
        select(SupportReferral.id).where(SupportReferral.person_id == person_id),
        select(ProtectiveOrderPerson.id).where(ProtectiveOrderPerson.person_id == person_id),
    ]
    for check in checks:
        if await db.scalar(check.limit(1)) is not None:
            return True
    return False


async def _survivor(db: AsyncSession, actor: Actor, person_id: int) -> Person | None:
    person = await history.visible_person(db, actor, person_id)
    if person is not None and person.merged_into_id is not None:
        survivor = await history.surviving_record(db, actor, person_id)
        person = await history.visible_person(db, actor, survivor) if survivor is not None else None
    return person


async def _assessments(db: AsyncSession, actor: Actor, person_id: int) -> list[AssessmentLine]:
    rows = list(await db.scalars(select(RiskAssessment).where(RiskAssessment.victim_id == person_id)
                                 .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc())
                                 .limit(HISTORY_LIMIT)))
    lines = []
    for a in rows:
        await audit.record_read(db, actor, "risk_assessment", a.id, reason=REASON)
        form = get_form(a.form)
        level = marac.assessment_level(a)
        lines.append(AssessmentLine(a.id, a.reference, uk(a.assessed_at), a.form, form.title if form else a.form,
                                    a.score, LEVEL_LABELS.get(level, level),
                                    [ROUTE_LABELS.get(r, r) for r in a.marac_routes or []]))
    return lines


async def _marac(db: AsyncSession, actor: Actor, person_id: int) -> list[MaracLine]:
    rows = await db.execute(select(MaracReferral, MaracMeeting.held_on)
                            .outerjoin(MaracMeeting, MaracMeeting.id == MaracReferral.meeting_id)
                            .where(MaracReferral.victim_id == person_id)
                            .order_by(MaracReferral.referred_at.desc(), MaracReferral.id.desc()).limit(HISTORY_LIMIT))
    lines = []
    for referral, held_on in rows:
        await audit.record_read(db, actor, "marac_referral", referral.id, reason=REASON)
        lines.append(MaracLine(referral.id, referral.reference, marac.status_label(referral.status),
                               uk(referral.referred_at), [marac.ROUTE_LABELS.get(r, r) for r in referral.routes or []],
                               held_on.strftime("%d %b %Y") if held_on else None))
    return lines


async def _support(db: AsyncSession, actor: Actor, person_id: int) -> list[SupportLine]:
    rows = await db.execute(select(SupportReferral, SupportService.name)
                            .join(SupportService, SupportService.id == SupportReferral.service_id)
                            .where(SupportReferral.person_id == person_id)
                            .order_by(SupportReferral.made_at.desc(), SupportReferral.id.desc()).limit(HISTORY_LIMIT))
    lines = []
    for referral, name in rows:
        await audit.record_read(db, actor, "support_referral", referral.id, reason=REASON)
        lines.append(SupportLine(referral.id, name, SUPPORT_STATUS_LABELS.get(referral.status, referral.status),
                                 uk(referral.made_at)))
    return lines


async def _orders_protecting(db: AsyncSession, actor: Actor, person_id: int, now: datetime) -> list[OrderOutline]:
    """Active orders that protect this person, in outline: the kind, who is bound, the terms, the dates and how
    many breaches are recorded. Never the crime, the arrest or the breach details."""
    protecting = select(ProtectiveOrderPerson.order_id).where(ProtectiveOrderPerson.person_id == person_id)
    orders = list(await db.scalars(
        select(ProtectiveOrder).where(ProtectiveOrder.id.in_(protecting), ProtectiveOrder.status == "active",
                                      ProtectiveOrder.expires_at.is_(None) | (ProtectiveOrder.expires_at > now),
                                      ProtectiveOrder.starts_at <= now + timedelta(minutes=5))
        .order_by(ProtectiveOrder.starts_at.desc())))
    found = []
    for order in orders:
        subject = await history.visible_person(db, actor, order.subject_id)
        if subject is None:  # row-level security hides such an order anyway
            continue
        zones = []
        recorded = list(await db.execute(select(ProtectiveOrderZone.location_id, ProtectiveOrderZone.radius_m)
                                         .where(ProtectiveOrderZone.order_id == order.id)
                                         .order_by(ProtectiveOrderZone.id)))
        for location_id, radius in recorded:
            location = await db.scalar(select(Location).where(Location.id == location_id))
            zones.append((address_text(location), radius))  # hidden by RLS: "Restricted address"
        breaches = int(await db.scalar(select(func.count()).select_from(OrderBreach)
                                       .where(OrderBreach.order_id == order.id)) or 0)
        await audit.record_read(db, actor, "protective_order", order.id, reason=REASON)
        found.append(OrderOutline(order.id, order.reference, ORDER_KIND_LABELS.get(order.kind, order.kind),
                                  subject.display_name, order.no_contact, order.conditions, zones,
                                  order.starts_at.astimezone(UK).strftime("%d %b %Y"),
                                  order.expires_at.astimezone(UK).strftime("%d %b %Y") if order.expires_at else None,
                                  breaches))
    return found


async def _victim(db: AsyncSession, actor: Actor, person: Person, why: str, rules: SpecialistRules,
                  now: datetime) -> VictimView:
    await audit.record_read(db, actor, "person", person.id, reason=REASON)
    today = now.astimezone(UK).date()
    addresses = []
    for location_id in await db.scalars(
            select(PersonAddress.location_id).where(
                PersonAddress.person_id == person.id,
                PersonAddress.to_date.is_(None) | (PersonAddress.to_date >= today))
            .order_by(PersonAddress.from_date.desc().nulls_last())):
        location = await db.scalar(select(Location).where(Location.id == location_id))
        if location is None:
            addresses.append(AddressLine(RESTRICTED_ADDRESS, []))
        else:
            addresses.append(AddressLine(address_text(location), _allowed(
                (await markers.markers_for(db, location_id=location.id)).active, rules.marker_kinds)))
    safe_contact = await safe_contact_for(db, person.id)
    if safe_contact is not None:
        await audit.record_read(db, actor, "safe_contact", person.id, reason=REASON)
    assessments = await _assessments(db, actor, person.id)
    return VictimView(
        person.id, person.display_name, why, person.date_of_birth, safe_contact,
        _allowed((await markers.markers_for(db, person_id=person.id)).active, rules.marker_kinds), addresses,
        assessments, await _marac(db, actor, person.id), await _support(db, actor, person.id),
        await _orders_protecting(db, actor, person.id, now), assessments[0].id if assessments else None)


async def safeguarding_view(db: AsyncSession, actor: Actor, contact_id: int, *, now: datetime | None = None
                            ) -> SafeguardingView:
    """What a DA specialist needs to advise on one DA contact, and no more. Raises ContactNotFound."""
    now = now or datetime.now(UTC)
    contact = await da_contact(db, contact_id)
    rules = await rules_for(db, actor.force_id)
    await audit.record_read(db, actor, "contact", contact.id, reason=REASON)

    # Who might be a victim here, in the order the specialist should read them.
    candidates: list[tuple[int, str]] = []
    suspects_on_call: set[int] = set()
    if contact.incident_id is not None:
        for person_id, role in await db.execute(
                select(IncidentPerson.person_id, IncidentPerson.role)
                .where(IncidentPerson.incident_id == contact.incident_id).order_by(IncidentPerson.id)):
            if role == "victim":
                candidates.append((person_id, "A victim on this call"))
            elif role == "suspect":
                suspects_on_call.add(person_id)
    if contact.caller_person_id is not None and contact.caller_person_id not in suspects_on_call:
        candidates.insert(0, (contact.caller_person_id, "The caller"))
    linked: list[int] = []
    if contact.caller_number:
        linked = list(dict.fromkeys(await db.scalars(
            select(PersonPhone.person_id).where(PersonPhone.number_e164 == contact.caller_number)
            .order_by(PersonPhone.person_id))))
    named = {person_id for person_id, _ in candidates}
    for person_id in linked:
        if person_id not in named and person_id not in suspects_on_call:
            candidates.append((person_id, "Linked to the caller's number, and a victim on record"))

    victims: list[VictimView] = []
    shown: set[int] = set()
    withheld = False
    others = 0
    for person_id, why in candidates:
        person = await _survivor(db, actor, person_id)
        if person is None:
            withheld = True
            continue
        if person.id in shown:
            continue
        if why.startswith("Linked") and not await _victim_on_record(db, person.id):
            others += 1
            continue
        shown.add(person.id)
        victims.append(await _victim(db, actor, person, why, rules, now))
    others += len({p for p in linked if p in suspects_on_call})
    if withheld:  # first: it may be a victim in a refuge
        victims.insert(0, VictimView(None, RESTRICTED_PERSON))

    number_markers: list[MarkerView] = []
    if contact.caller_number:
        number_markers = _allowed((await markers.markers_for(db, phone=contact.caller_number)).active,
                                  rules.marker_kinds)
    location: str | None = contact.location_text
    location_markers: list[MarkerView] = []
    if contact.location_id is not None:
        place = await db.scalar(select(Location).where(Location.id == contact.location_id))
        if place is None:
            location = RESTRICTED_ADDRESS
        else:
            location = address_text(place)
            location_markers = (await markers.markers_for(db, location_id=place.id)).active

    children: list[str] = []
    if contact.children_present:
        children.append("The caller said children were present.")
    for marker in [m for m in location_markers if m.kind in rules.children_kinds]:
        children.append(f"{marker.label} at the place of the call{': ' + marker.note if marker.note else ''}.")
    for victim in victims:
        for address in victim.addresses:
            for marker in address.markers:
                if marker.kind in rules.children_kinds:
                    children.append(f"{marker.label}: {address.text}{' (' + marker.note + ')' if marker.note else ''}.")
        for marker in victim.markers:
            if marker.kind in rules.children_kinds:
                children.append(f"{marker.label}: on {victim.display_name}'s record"
                                f"{' (' + marker.note + ')' if marker.note else ''}.")
    for marker in number_markers:
        if marker.kind in rules.children_kinds:
            children.append(f"{marker.label}: on the caller's number.")

    return SafeguardingView(
        contact.id, CHANNEL_LABELS.get(contact.channel, contact.channel), uk(contact.received_at),
        age_text(now - contact.received_at), contact.status,
        GRADE_LABELS.get(contact.grade) if contact.grade else None, contact.channel == "999-silent",
        contact.pressed_55, contact.injury, contact.weapons, contact.children_present, contact.note, location,
        _report_lines(contact.report), victims, others, list(dict.fromkeys(children)), number_markers,
        await advice_for(db, contact.id))
