"""Referrals of a victim to a support service: made only with the victim's consent, to an active service that
takes police referrals; then accepted, rejected or withdrawn, each step kept in the referral's history.

Every check runs before anything is written, and a refusal names each field at fault. Every read is audited.
Row-level security hides another force's referrals and those about a restricted person not granted to the
reader; the code checks the person too, so both give "not found".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.people.models import Person
from safeguard.people.service import may_see
from safeguard.safeguarding.models import CONSENT_METHODS, REFERRAL_STATUSES, SupportReferral, SupportService
from safeguard.safeguarding.services import GROUP_LABELS

STATUS_LABELS = {"made": "Made, awaiting the service", "accepted": "Accepted", "rejected": "Rejected",
                 "withdrawn": "Withdrawn"}
assert set(STATUS_LABELS) == set(REFERRAL_STATUSES)
CONSENT_LABELS = {"verbal": "Verbal", "written": "Written", "electronic": "Electronic (email, text or online)"}
assert set(CONSENT_LABELS) == set(CONSENT_METHODS)
# Where a referral may go next. Rejected and withdrawn are final; an accepted referral may still be withdrawn
# (the victim stops engaging, or asks the service to stop).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "made": ("accepted", "rejected", "withdrawn"),
    "accepted": ("withdrawn",),
    "rejected": (),
    "withdrawn": (),
}
DECISIONS = ("accepted", "rejected", "withdrawn")
ACTION_LABELS = {"accepted": "The service accepted the referral", "rejected": "The service rejected the referral",
                 "withdrawn": "Withdraw the referral"}
NOTE_REQUIRED = {"rejected", "withdrawn"}
NO_CONSENT = ("The victim has not consented, so no referral can be made. Record the victim's wishes instead (in the "
              "safe-contact notes or the contact log), and give them the service's details so they can choose "
              "to contact it themselves")
RESTRICTED_PERSON = "Restricted person"
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LIMITS = {"reason": 2000, "note": 2000, "consent_recorded_by": 100}


class ReferralRefused(ValueError):
    """The referral (or its step) cannot be saved; `errors` maps each field at fault to what to fix.

    Nothing has been written when this is raised."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class ReferralNotFound(LookupError):
    """No such referral in this force, or one about a person the reader may not see."""


def why_not(current: str, to: str) -> str | None:
    """Why a referral that is `current` cannot move to `to`; None when it can. Pure."""
    if to not in DECISIONS:
        return f"'{to}' is not a step: choose accepted, rejected or withdrawn"
    if to in TRANSITIONS.get(current, ()):
        return None
    if current == to:
        return f"The referral is already {to}"
    if current in ("rejected", "withdrawn"):
        return f"The referral was {current}: it is closed. Make a new referral if the victim now wants one"
    return f"An {current} referral cannot be {to}: it can only be withdrawn"


def age_on(person: Person, today: date) -> int | None:
    """The person's age in whole years where the date of birth is known well enough; None otherwise."""
    if person.dob_year is None:
        return None
    years = today.year - person.dob_year
    if person.dob_month is not None and (today.month, today.day) < (person.dob_month, person.dob_day or 1):
        years -= 1
    return years


def suggested_groups(gender: str | None, age: int | None) -> list[str]:
    """The directory groups that fit a victim, from what is known of them (nothing known: none). Pure."""
    groups = []
    if gender == "male":
        groups.append("men")
    elif gender == "female":
        groups.append("women")
    if age is not None:
        if age < 18:
            groups.append("children")
        if age < 26:
            groups.append("young-people")
        if age >= 60:
            groups.append("older-people")
    return groups


# -- making a referral ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewReferral:
    person_id: int
    service_id: int | None
    reason: str
    consent_given: bool | None
    consent_method: str
    consent_at: datetime | None
    consent_recorded_by: str = ""  # default: whoever makes the referral
    incident_id: int | None = None


async def _visible_person(db: AsyncSession, actor: Actor, person_id: int) -> Person | None:
    person = (await db.scalars(select(Person).where(Person.id == person_id))).first()
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        return None
    return person


async def referral_problems(db: AsyncSession, actor: Actor, new: NewReferral, *, now: datetime | None = None
                            ) -> dict[str, str]:
    """Everything wrong with `new`, keyed by field."""
    now = now or datetime.now(UTC)
    errors: dict[str, str] = {}
    person = await _visible_person(db, actor, new.person_id)
    if person is None:
        errors["person"] = f"There is no person {new.person_id} in your force"
    elif person.merged_into_id is not None:
        errors["person"] = f"Person {new.person_id} was merged into person {person.merged_into_id}: use that record"
    if new.service_id is None:
        errors["service"] = "Choose the service to refer the victim to"
    else:
        service = (await db.scalars(select(SupportService).where(SupportService.id == new.service_id))).first()
        if service is None:
            errors["service"] = f"There is no support service {new.service_id} in the directory"
        elif not service.active:
            errors["service"] = f"{service.name} is no longer active in the directory: choose another service"
        elif not service.accepts_police_referrals:
            number = service.phone or service.text_number or service.website or "its contact details"
            errors["service"] = (f"{service.name} does not take referrals from the police: give the victim its "
                                 f"number ({number}) instead, so that they can contact it themselves")
    if not new.reason.strip():
        errors["reason"] = "Say why the victim is being referred, and what support they want"
    elif len(new.reason.strip()) > LIMITS["reason"]:
        errors["reason"] = f"Keep the reason to {LIMITS['reason']} characters or fewer"
    if new.consent_given is not True:
        errors["consent_given"] = NO_CONSENT
    else:
        if new.consent_method not in CONSENT_METHODS:
            errors["consent_method"] = "Say how the victim gave consent: verbally, in writing or electronically"
        if new.consent_at is None:
            errors["consent_at"] = "Enter when the victim gave consent"
        elif new.consent_at.tzinfo is None:
            errors["consent_at"] = "Give the time consent was given with its time zone"
        elif new.consent_at > now + timedelta(minutes=5):
            errors["consent_at"] = "The time consent was given must not be in the future"
        elif new.consent_at < EARLIEST:
            errors["consent_at"] = "The time consent was given must be after 2000"
        if len(new.consent_recorded_by.strip()) > LIMITS["consent_recorded_by"]:
            errors["consent_recorded_by"] = "Keep the name of who recorded consent to 100 characters or fewer"
    return errors


def _step(at: datetime, by: str, from_status: str | None, to: str, note: str | None) -> dict[str, str | None]:
    return {"at": at.isoformat(), "by": by, "from": from_status, "to": to, "note": note}


async def make_referral(db: AsyncSession, actor: Actor, new: NewReferral, *, via: str = "web",
                        now: datetime | None = None) -> SupportReferral:
    """Make the referral in the caller's transaction. Raises ReferralRefused (nothing written). Audited."""
    now = now or datetime.now(UTC)
    errors = await referral_problems(db, actor, new, now=now)
    if errors:
        raise ReferralRefused(errors)
    assert new.consent_at is not None and new.service_id is not None
    recorder = new.consent_recorded_by.strip() or actor.label
    referral = SupportReferral(
        force_id=actor.force_id, person_id=new.person_id, service_id=new.service_id, incident_id=new.incident_id,
        status="made", reason=new.reason.strip(), consent_given=True, consent_method=new.consent_method,
        consent_at=new.consent_at, consent_recorded_by=recorder, made_at=now, made_by=actor.label,
        history=[_step(now, actor.label, None, "made", f"Consent: {new.consent_method}, recorded by {recorder}")])
    db.add(referral)
    await db.flush()
    await audit.record(db, action="support_referral.create", actor=actor, object_type="support_referral",
                       object_id=referral.id, details={"service_id": new.service_id, "via": via})
    return referral


# -- deciding ---------------------------------------------------------------------------------------------

async def _find(db: AsyncSession, actor: Actor, referral_id: int) -> SupportReferral:
    referral = (await db.scalars(select(SupportReferral).where(SupportReferral.id == referral_id))).first()
    if referral is None or await _visible_person(db, actor, referral.person_id) is None:
        raise ReferralNotFound(referral_id)
    return referral


def decision_problems(current: str, to: str, note: str) -> dict[str, str]:
    """What is wrong with moving a `current` referral to `to` with `note`. Pure."""
    errors: dict[str, str] = {}
    reason = why_not(current, to)
    if reason:
        errors["to"] = reason
    if to in NOTE_REQUIRED and not note.strip():
        errors["note"] = ("Say why the service rejected the referral" if to == "rejected"
                          else "Say why the referral is being withdrawn")
    elif len(note.strip()) > LIMITS["note"]:
        errors["note"] = f"Keep the note to {LIMITS['note']} characters or fewer"
    return errors


async def decide(db: AsyncSession, actor: Actor, referral_id: int, *, to: str, note: str = "", via: str = "web",
                 now: datetime | None = None) -> SupportReferral:
    """Accept, reject or withdraw a referral. Raises ReferralNotFound, or ReferralRefused (nothing written)."""
    now = now or datetime.now(UTC)
    referral = await _find(db, actor, referral_id)
    errors = decision_problems(referral.status, to, note)
    if errors:
        raise ReferralRefused(errors)
    before = referral.status
    referral.history = [*referral.history, _step(now, actor.label, before, to, note.strip() or None)]
    referral.status = to
    referral.decided_at, referral.decided_by, referral.decision_note = now, actor.label, note.strip() or None
    await db.flush()
    await audit.record(db, action="support_referral.decision", actor=actor, object_type="support_referral",
                       object_id=referral.id, details={"from": before, "to": to, "via": via})
    return referral


# -- reading ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    at: datetime
    by: str | None
    from_status: str | None
    to_status: str | None
    note: str | None


@dataclass(frozen=True)
class ReferralView:
    id: int
    person_id: int
    person_name: str
    person_gender: str | None
    service_id: int
    service_name: str
    service_phone: str | None
    service_national: bool
    incident_id: int | None
    status: str
    status_label: str
    reason: str
    consent_given: bool
    consent_method: str
    consent_at: datetime
    consent_recorded_by: str
    made_at: datetime
    made_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    history: list[Step]

    @property
    def next_steps(self) -> list[tuple[str, str]]:
        return [(to, ACTION_LABELS[to]) for to in TRANSITIONS[self.status]]


def history_steps(raw: list[dict[str, str | None]]) -> list[Step]:
    steps = []
    for item in raw or []:
        at = item.get("at")
        steps.append(Step(datetime.fromisoformat(at) if at else datetime.min.replace(tzinfo=UTC), item.get("by"),
                          item.get("from"), item.get("to"), item.get("note")))
    return steps


async def read_referral(db: AsyncSession, actor: Actor, referral_id: int, *, reason: str | None = None
                        ) -> ReferralView:
    """One referral with its history. Audited. ReferralNotFound for another force's or a hidden person's."""
    referral = await _find(db, actor, referral_id)
    person = await db.scalar(select(Person).where(Person.id == referral.person_id))
    service = await db.scalar(select(SupportService).where(SupportService.id == referral.service_id))
    assert person is not None
    await audit.record_read(db, actor, "support_referral", referral_id, reason=reason)
    return ReferralView(
        referral.id, referral.person_id, person.display_name, person.gender, referral.service_id,
        service.name if service else f"Service {referral.service_id}", service.phone if service else None,
        bool(service and service.force_id is None), referral.incident_id, referral.status,
        STATUS_LABELS[referral.status], referral.reason, referral.consent_given, referral.consent_method,
        referral.consent_at, referral.consent_recorded_by, referral.made_at, referral.made_by, referral.decided_at,
        referral.decided_by, referral.decision_note, history_steps(referral.history))


@dataclass(frozen=True)
class ReferralListItem:
    id: int
    person_id: int
    person_name: str
    service_name: str
    status: str
    status_label: str
    made_at: datetime
    made_by: str


LIST_LIMIT = 200


async def list_referrals(db: AsyncSession, actor: Actor, *, statuses: tuple[str, ...] = ("made",),
                         person_id: int | None = None, limit: int = LIST_LIMIT) -> list[ReferralListItem]:
    """Referrals in these states, newest first (restricted people withheld by row-level security and the code).
    Audited as a list."""
    query = (select(SupportReferral, Person, SupportService.name)
             .join(Person, Person.id == SupportReferral.person_id)
             .outerjoin(SupportService, SupportService.id == SupportReferral.service_id)
             .where(SupportReferral.status.in_(statuses)))
    if person_id is not None:
        query = query.where(SupportReferral.person_id == person_id)
    rows = await db.execute(query.order_by(SupportReferral.made_at.desc(), SupportReferral.id.desc()).limit(limit))
    items = []
    for referral, person, service_name in rows:
        if person.restricted and not await may_see(db, actor, person_id=person.id):
            continue
        items.append(ReferralListItem(referral.id, person.id, person.display_name,
                                      service_name or f"Service {referral.service_id}", referral.status,
                                      STATUS_LABELS[referral.status], referral.made_at, referral.made_by))
    await audit.record(db, action="support_referral.list", actor=actor,
                       details={"statuses": list(statuses), "shown": len(items),
                                **({"person_id": person_id} if person_id is not None else {})})
    return items


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group)
