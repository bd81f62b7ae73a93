"""MARAC: referring a victim, the referral's lifecycle, the meetings that hear referrals and the actions agreed.

A referral rests on one or more of the four SafeLives routes (DOMAIN.md §1.5). It may start from a saved DASH
assessment (its victim and its stored routes) or from nothing but an agency's concern (a repeat spotted by a
partner). Below the visible-high-risk threshold, or on professional judgement, the reason is written down.
Consent is recorded; high risk can justify a referral without it (DOMAIN.md §9.3), but then the note says why.

The lifecycle is the one table `TRANSITIONS`; every step is kept in `marac_referral_event` (who, when, from, to,
note) and anything else is refused with the reason (`why_not`). Every read of a referral, a meeting's cases or
the action list is audited. A referral of another force, or of a restricted victim the reader may not see, is
not found: row-level security hides it, and `load_referral` checks the person again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes.service import CrimeRefused, PersonInCrime, _person, uk_time
from safeguard.force.models import Area
from safeguard.people.models import Person
from safeguard.people.service import may_see
from safeguard.risk import forms as dash_forms
from safeguard.risk import scoring
from safeguard.risk.models import (
    MARAC_CONSENT,
    MARAC_STATUSES,
    MaracAction,
    MaracMeeting,
    MaracReferral,
    MaracReferralEvent,
    RiskAssessment,
)

ROUTE_LABELS = {
    scoring.VISIBLE_HIGH_RISK: "Visible high risk (14 or more ticks on DASH)",
    scoring.PROFESSIONAL_JUDGEMENT: "Professional judgement",
    scoring.ESCALATION: "Potential escalation (frequency or severity of abuse)",
    scoring.REPEAT: "Repeat (referred before, further incident within 12 months)",
}
assert set(ROUTE_LABELS) == set(scoring.MARAC_ROUTES)
STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "accepted": "Accepted",
    "declined": "Declined",
    "listed": "Listed for a meeting",
    "heard": "Heard",
    "closed": "Closed",
}
assert set(STATUS_LABELS) == set(MARAC_STATUSES)
CONSENT_LABELS = {
    "given": "Given",
    "refused": "Refused",
    "not-sought": "Not sought",
}
assert set(CONSENT_LABELS) == set(MARAC_CONSENT)
LEVEL_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High"}

# from status -> the statuses it may move to. The one place the lifecycle is defined.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted",),
    "submitted": ("accepted", "declined"),
    "accepted": ("listed",),
    "declined": (),
    "listed": ("heard",),
    "heard": ("closed",),
    "closed": (),
}
assert set(TRANSITIONS) == set(MARAC_STATUSES)
STEP_LABELS = {
    "submitted": "Submit the referral",
    "accepted": "Accept for MARAC",
    "declined": "Decline",
    "listed": "List for a meeting",
    "heard": "Record it heard",
    "closed": "Close",
}
DONE = {
    "submitted": "submitted",
    "accepted": "accepted",
    "declined": "declined",
    "listed": "listed for a meeting",
    "heard": "recorded as heard",
    "closed": "closed",
}
OPEN_STATUSES = ("draft", "submitted", "accepted", "listed", "heard")
ACTION_OUTCOMES = ("done", "cancelled")
# The visible-high-risk threshold when a form's data does not say (DOMAIN.md §1.5); each DASH form's data file
# carries its own (`marac_visible_high_risk`), which is what a referral from an assessment uses.
DEFAULT_VISIBLE_HIGH_RISK = 14
MAX_TEXT = 4000
MAX_SHORT = 200
LIST_LIMIT = 200
RESTRICTED_PERSON = "Restricted person"


class MaracRefused(CrimeRefused):
    """What was asked cannot be done; `errors` names each field at fault. Nothing has been written."""


class ReferralNotFound(LookupError):
    """No such referral in this force, or its victim is restricted from the reader."""


class MeetingNotFound(LookupError):
    """No such meeting in this force."""


class ActionNotFound(LookupError):
    """No such action in this force, or its victim is restricted from the reader."""


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def uk_today(now: datetime | None = None) -> date:
    return uk_time(now or datetime.now(UTC)).date()


def why_not(source: str, target: str) -> str | None:
    """None when `source` -> `target` is a step of the lifecycle; otherwise the reason it is refused."""
    if target not in MARAC_STATUSES:
        return f"'{target}' is not a MARAC referral status"
    if target in TRANSITIONS.get(source, ()):
        return None
    if source == target:
        return f"The referral is already {status_label(source).lower()}"
    if source == "closed":
        return "The referral is closed: make a new referral if there is a further incident"
    if source == "declined":
        return "The referral was declined: make a new referral if the risk changes"
    allowed = TRANSITIONS.get(source, ())
    steps = " or ".join(DONE[t] for t in allowed)
    return (f"A referral that is {status_label(source).lower()} cannot be {DONE.get(target, target)}; "
            f"next it can only be {steps}")


def next_steps(status: str) -> list[str]:
    return list(TRANSITIONS.get(status, ()))


def _clean(value: str | None, limit: int = MAX_TEXT) -> tuple[str, bool]:
    """The trimmed text and whether it fits within `limit`."""
    cleaned = (value or "").strip()
    return cleaned, len(cleaned) <= limit


# -- loading -----------------------------------------------------------------------------------------------

async def _visible_person(db: AsyncSession, actor: Actor, person_id: int) -> Person | None:
    person = (await db.scalars(select(Person).where(Person.id == person_id)
                               .execution_options(populate_existing=True))).first()
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person.id)):
        return None
    return person


async def load_referral(db: AsyncSession, actor: Actor, referral_id: int, *, lock: bool = False
                        ) -> tuple[MaracReferral, Person]:
    query = (select(MaracReferral).where(MaracReferral.id == referral_id)
             .execution_options(populate_existing=True))
    referral = (await db.scalars(query.with_for_update() if lock else query)).first()
    if referral is None:
        raise ReferralNotFound(referral_id)
    person = await _visible_person(db, actor, referral.victim_id)
    if person is None:
        raise ReferralNotFound(referral_id)
    return referral, person


async def load_meeting(db: AsyncSession, meeting_id: int, *, lock: bool = False) -> MaracMeeting:
    query = select(MaracMeeting).where(MaracMeeting.id == meeting_id).execution_options(populate_existing=True)
    meeting = (await db.scalars(query.with_for_update() if lock else query)).first()
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    return meeting


async def load_assessment(db: AsyncSession, actor: Actor, assessment_id: int) -> RiskAssessment | None:
    """A saved assessment this actor may see (its victim visible), or None."""
    assessment = (await db.scalars(select(RiskAssessment).where(RiskAssessment.id == assessment_id))).first()
    if assessment is None or await _visible_person(db, actor, assessment.victim_id) is None:
        return None
    return assessment


def visible_high_risk_threshold(assessment: RiskAssessment | None) -> int:
    if assessment is not None:
        form = dash_forms.get_form(assessment.form)
        if form is not None and form.marac_visible_high_risk is not None:
            return form.marac_visible_high_risk
    return DEFAULT_VISIBLE_HIGH_RISK


def assessment_level(assessment: RiskAssessment) -> str:
    """The level the assessment stands at: the supervisor's raised level if any, otherwise the final level."""
    return assessment.reviewed_level or assessment.final_level


# -- making a referral -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewReferral:
    assessment_id: int | None = None
    victim_id: int | None = None  # needed without an assessment; must match it with one
    routes: Sequence[str] | None = None  # default with an assessment: its stored routes
    reason: str | None = None
    consent: str = ""
    consent_note: str | None = None


def reason_needed(routes: Sequence[str], assessment: RiskAssessment | None) -> str | None:
    """Why this referral needs a written reason (DOMAIN.md §1.5), or None when it rests on a count of 14 or more."""
    if scoring.PROFESSIONAL_JUDGEMENT in routes:
        return "Say why you are concerned: a referral on professional judgement needs the reason written down"
    if assessment is None:
        return ("Say why you are referring: without a saved DASH assessment the referral is below the "
                "visible-high-risk count on record, so the reason must be written down")
    if scoring.VISIBLE_HIGH_RISK not in routes:
        return (f"Say why you are referring: the assessment has {assessment.score} ticks, below the "
                f"{visible_high_risk_threshold(assessment)} of visible high risk, so the reason must be written down")
    return None


async def referral_problems(db: AsyncSession, actor: Actor, new: NewReferral
                            ) -> tuple[dict[str, str], RiskAssessment | None, Person | None, list[str]]:
    """Everything wrong with `new`, keyed by field; and the assessment, victim and routes it resolves to."""
    errors: dict[str, str] = {}
    assessment = None
    victim = None
    if new.assessment_id is not None:
        assessment = await load_assessment(db, actor, new.assessment_id)
        if assessment is None:
            errors["assessment_id"] = "There is no saved DASH assessment with that number in your force"
        elif new.victim_id is not None and new.victim_id != assessment.victim_id:
            errors["victim_id"] = "The victim must be the person the assessment is about"
        else:
            victim = await _visible_person(db, actor, assessment.victim_id)
    elif new.victim_id is None:
        errors["victim_id"] = "Enter the person number of the victim, or refer from a saved DASH assessment"
    else:
        victim = await _visible_person(db, actor, new.victim_id)
        if victim is None:
            errors["victim_id"] = "There is no person with that number in your force"
    if new.routes is None:
        routes = list(assessment.marac_routes) if assessment is not None else []
    else:
        routes = [r for r in scoring.MARAC_ROUTES if r in set(new.routes)]
        unknown = sorted(set(new.routes) - set(scoring.MARAC_ROUTES))
        if unknown:
            errors["routes"] = f"'{unknown[0]}' is not a MARAC route: choose from the four routes"
    if "routes" not in errors and "assessment_id" not in errors:
        if not routes:
            errors["routes"] = ("Choose at least one MARAC route: visible high risk, professional judgement, "
                                "potential escalation or repeat. A referral with no route cannot be made")
        elif (scoring.VISIBLE_HIGH_RISK in routes and assessment is not None
              and scoring.VISIBLE_HIGH_RISK not in assessment.marac_routes):
            errors["routes"] = (f"The assessment has {assessment.score} ticks, below the "
                                f"{visible_high_risk_threshold(assessment)} of visible high risk: choose "
                                "professional judgement and say why instead")
    reason, fits = _clean(new.reason)
    needed = reason_needed(routes, assessment) if routes else None
    if not fits:
        errors["reason"] = f"The reason must be at most {MAX_TEXT} characters"
    elif needed and not reason:
        errors["reason"] = needed
    if new.consent not in MARAC_CONSENT:
        errors["consent"] = "Say whether the victim gave consent, refused it, or was not asked"
    note, fits = _clean(new.consent_note)
    if not fits:
        errors["consent_note"] = f"The consent note must be at most {MAX_TEXT} characters"
    elif new.consent in ("refused", "not-sought") and not note:
        errors["consent_note"] = ("Say why the referral goes ahead without consent (high risk can justify it), "
                                  "and whether the victim has been told")
    if victim is not None and "victim_id" not in errors:
        current = (await db.scalars(select(MaracReferral).where(MaracReferral.victim_id == victim.id,
                                                                MaracReferral.status.in_(OPEN_STATUSES))
                                    .order_by(MaracReferral.id).limit(1))).first()
        if current is not None:
            errors["victim_id"] = (f"This victim already has an open MARAC referral, {current.reference} "
                                   f"({status_label(current.status).lower()}): add to that one instead")
    return errors, assessment, victim, routes


async def _next_reference(db: AsyncSession, at: datetime) -> tuple[int, str]:
    referral_id = int(await db.scalar(text("SELECT nextval(pg_get_serial_sequence('marac_referral', 'id'))")) or 0)
    return referral_id, f"MR-{uk_time(at).year}-{referral_id:06d}"


async def create_referral(db: AsyncSession, actor: Actor, new: NewReferral, *, via: str = "web",
                          now: datetime | None = None) -> MaracReferral:
    """Make a draft referral. Raises MaracRefused (nothing written) naming every field at fault."""
    now = now or datetime.now(UTC)
    errors, assessment, victim, routes = await referral_problems(db, actor, new)
    if errors:
        raise MaracRefused(errors)
    assert victim is not None
    referral_id, reference = await _next_reference(db, now)
    referral = MaracReferral(
        id=referral_id, force_id=actor.force_id, reference=reference, victim_id=victim.id,
        assessment_id=assessment.id if assessment else None, routes=routes, status="draft",
        reason=(new.reason or "").strip() or None, consent=new.consent,
        consent_note=(new.consent_note or "").strip() or None, referred_by=actor.label, referred_at=now)
    db.add(referral)
    await db.flush()
    db.add(MaracReferralEvent(force_id=actor.force_id, referral_id=referral.id, from_status=None, to_status="draft",
                              at=now, by=actor.label, note="Referral drafted"))
    await db.flush()
    await audit.record(db, action="marac_referral.create", actor=actor, object_type="marac_referral",
                       object_id=referral.id, details={"reference": reference, "routes": routes,
                                                       "assessment_id": referral.assessment_id,
                                                       "consent": new.consent, "via": via})
    return referral


# -- moving a referral on ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    to: str
    note: str | None = None
    meeting_id: int | None = None  # for "listed"
    summary: str | None = None  # for "heard"


async def open_action_count(db: AsyncSession, referral_id: int) -> int:
    return int(await db.scalar(select(func.count()).select_from(MaracAction)
                               .where(MaracAction.referral_id == referral_id, MaracAction.status == "open")) or 0)


async def transition(db: AsyncSession, actor: Actor, referral_id: int, step: Step, *, via: str = "web",
                     now: datetime | None = None) -> MaracReferralEvent:
    """Take one step of the lifecycle. Raises MaracRefused (nothing written) with the reason."""
    now = now or datetime.now(UTC)
    today = uk_today(now)
    referral, _victim = await load_referral(db, actor, referral_id, lock=True)
    source = referral.status
    refusal = why_not(source, step.to)
    if refusal:
        raise MaracRefused({"to": refusal})
    errors: dict[str, str] = {}
    note, fits = _clean(step.note)
    if not fits:
        errors["note"] = f"The note must be at most {MAX_TEXT} characters"
    elif step.to == "declined" and not note:
        errors["note"] = "Say why the referral is declined, so the referrer can act on it"
    meeting = None
    if step.to == "listed":
        if step.meeting_id is None:
            errors["meeting_id"] = "Choose the meeting the referral is listed for"
        else:
            try:
                meeting = await load_meeting(db, step.meeting_id)
            except MeetingNotFound:
                errors["meeting_id"] = "There is no MARAC meeting with that number in your force"
            else:
                if meeting.status != "planned":
                    errors["meeting_id"] = (f"The meeting on {meeting.held_on:%d %B %Y} has been held: "
                                            "list the referral for a planned meeting")
                elif meeting.held_on < today:
                    errors["meeting_id"] = (f"The meeting on {meeting.held_on:%d %B %Y} is in the past: "
                                            "list the referral for a meeting today or later")
    summary, fits = _clean(step.summary)
    if step.to == "heard":
        if not fits:
            errors["summary"] = f"The meeting summary must be at most {MAX_TEXT} characters"
        elif not summary:
            errors["summary"] = "Summarise what the meeting decided for this victim"
        if referral.meeting_id is not None and "summary" not in errors:
            listed_for = await load_meeting(db, referral.meeting_id)
            if listed_for.held_on > today:
                errors["to"] = (f"The meeting is on {listed_for.held_on:%d %B %Y}: a referral is heard at or "
                                "after its meeting")
    if step.to == "closed":
        still_open = await open_action_count(db, referral.id)
        if still_open:
            errors["to"] = (f"{still_open} action{'s are' if still_open != 1 else ' is'} still open: mark "
                            f"{'each' if still_open != 1 else 'it'} done or cancelled before closing the referral")
    if errors:
        raise MaracRefused(errors)
    if step.to == "submitted":
        referral.submitted_at = now
    elif step.to in ("accepted", "declined"):
        referral.decided_at = now
        referral.decided_by = actor.label
        if step.to == "declined":
            referral.decline_reason = note
    elif step.to == "listed":
        assert meeting is not None
        referral.meeting_id = meeting.id
    elif step.to == "heard":
        referral.heard_at = now
        referral.meeting_summary = summary
    referral.status = step.to
    event_note = note or None
    if step.to == "listed" and meeting is not None:
        listed = f"Listed for the meeting on {meeting.held_on:%d %B %Y} at {meeting.venue}"
        event_note = f"{listed}. {note}" if note else listed
    event = MaracReferralEvent(force_id=referral.force_id, referral_id=referral.id, from_status=source,
                               to_status=step.to, at=now, by=actor.label, note=event_note)
    db.add(event)
    await db.flush()
    await audit.record(db, action="marac_referral.transition", actor=actor, object_type="marac_referral",
                       object_id=referral.id, details={"from": source, "to": step.to, "via": via,
                                                       "meeting_id": referral.meeting_id})
    return event


# -- reading a referral ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventView:
    at: datetime
    from_status: str | None
    to_status: str
    by: str
    note: str | None

    @property
    def from_label(self) -> str | None:
        return status_label(self.from_status) if self.from_status else None

    @property
    def to_label(self) -> str:
        return status_label(self.to_status)


@dataclass(frozen=True)
class ActionView:
    id: int
    referral_id: int
    meeting_id: int | None
    agency: str
    description: str
    owner: str | None
    due_on: date | None
    status: str
    completed_at: datetime | None
    completed_by: str | None
    note: str | None
    created_by: str
    created_at: datetime
    overdue: bool = False


@dataclass(frozen=True)
class AssessmentSummary:
    id: int
    reference: str
    form: str
    score: int
    level: str
    assessed_at: datetime
    routes: list[str]


@dataclass(frozen=True)
class MeetingSummary:
    id: int
    held_on: date
    venue: str
    chair: str
    status: str
    area: str | None


@dataclass(frozen=True)
class ReferralDetail:
    id: int
    reference: str
    victim: PersonInCrime
    victim_id: int
    assessment: AssessmentSummary | None
    latest_assessment: AssessmentSummary | None
    routes: list[str]
    status: str
    reason: str | None
    consent: str
    consent_note: str | None
    referred_by: str
    referred_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decline_reason: str | None
    meeting: MeetingSummary | None
    heard_at: datetime | None
    meeting_summary: str | None
    history: list[EventView]
    actions: list[ActionView]
    next_steps: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def open_actions(self) -> list[ActionView]:
        return [a for a in self.actions if a.status == "open"]


def _action_view(action: MaracAction, today: date) -> ActionView:
    return ActionView(action.id, action.referral_id, action.meeting_id, action.agency, action.description,
                      action.owner, action.due_on, action.status, action.completed_at, action.completed_by,
                      action.note, action.created_by, action.created_at,
                      overdue=action.status == "open" and action.due_on is not None and action.due_on < today)


def _assessment_summary(a: RiskAssessment) -> AssessmentSummary:
    return AssessmentSummary(a.id, a.reference, a.form, a.score, assessment_level(a), a.assessed_at,
                             list(a.marac_routes))


async def latest_assessment(db: AsyncSession, victim_id: int) -> RiskAssessment | None:
    found: RiskAssessment | None = (await db.scalars(
        select(RiskAssessment).where(RiskAssessment.victim_id == victim_id)
        .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1))).first()
    return found


async def _meeting_summary(db: AsyncSession, meeting: MaracMeeting) -> MeetingSummary:
    area = await db.scalar(select(Area.name).where(Area.id == meeting.area_id)) if meeting.area_id else None
    return MeetingSummary(meeting.id, meeting.held_on, meeting.venue, meeting.chair, meeting.status, area)


async def read_referral(db: AsyncSession, actor: Actor, referral_id: int, *, reason: str | None = None,
                        now: datetime | None = None) -> ReferralDetail:
    """A referral with its history, actions and meeting. Audited."""
    referral, person = await load_referral(db, actor, referral_id)
    await audit.record_read(db, actor, "marac_referral", referral_id, reason=reason)
    today = uk_today(now)
    assessment = None
    if referral.assessment_id is not None:
        assessment = (await db.scalars(select(RiskAssessment)
                                       .where(RiskAssessment.id == referral.assessment_id))).first()
    latest = await latest_assessment(db, referral.victim_id)
    meeting = None
    if referral.meeting_id is not None:
        meeting = await _meeting_summary(db, await load_meeting(db, referral.meeting_id))
    events = await db.scalars(select(MaracReferralEvent).where(MaracReferralEvent.referral_id == referral.id)
                              .order_by(MaracReferralEvent.at, MaracReferralEvent.id))
    actions = await db.scalars(select(MaracAction).where(MaracAction.referral_id == referral.id)
                               .order_by(MaracAction.id))
    return ReferralDetail(
        referral.id, referral.reference, await _person(db, actor, person.id, person), person.id,
        _assessment_summary(assessment) if assessment else None, _assessment_summary(latest) if latest else None,
        list(referral.routes), referral.status, referral.reason, referral.consent, referral.consent_note,
        referral.referred_by, referral.referred_at, referral.submitted_at, referral.decided_at, referral.decided_by,
        referral.decline_reason, meeting, referral.heard_at, referral.meeting_summary,
        [EventView(e.at, e.from_status, e.to_status, e.by, e.note) for e in events],
        [_action_view(a, today) for a in actions], next_steps(referral.status))


@dataclass(frozen=True)
class ReferralItem:
    id: int
    reference: str
    victim: PersonInCrime
    routes: list[str]
    status: str
    referred_at: datetime
    referred_by: str
    meeting_on: date | None

    @property
    def status_label(self) -> str:
        return status_label(self.status)


async def referrals_by_status(db: AsyncSession, actor: Actor, *, limit: int = LIST_LIMIT
                              ) -> dict[str, list[ReferralItem]]:
    """The force's referrals, grouped by status in lifecycle order (newest first in each). Audited as a list."""
    rows = (await db.execute(
        select(MaracReferral, Person, MaracMeeting.held_on)
        .outerjoin(Person, Person.id == MaracReferral.victim_id)
        .outerjoin(MaracMeeting, MaracMeeting.id == MaracReferral.meeting_id)
        .order_by(MaracReferral.referred_at.desc(), MaracReferral.id.desc()).limit(limit))).all()
    grouped: dict[str, list[ReferralItem]] = {status: [] for status in MARAC_STATUSES}
    for referral, person, held_on in rows:
        grouped[referral.status].append(ReferralItem(
            referral.id, referral.reference, await _person(db, actor, referral.victim_id, person),
            list(referral.routes), referral.status, referral.referred_at, referral.referred_by, held_on))
    await audit.record(db, action="marac_referral.list", actor=actor, object_type="marac_referral",
                       details={"shown": len(rows)})
    return grouped


# -- meetings ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewMeeting:
    held_on: date | None
    venue: str
    chair: str
    area_id: int | None = None


async def meeting_problems(db: AsyncSession, new: NewMeeting, *, now: datetime | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if new.held_on is None:
        errors["held_on"] = "Enter the date of the meeting"
    elif new.held_on < uk_today(now):
        errors["held_on"] = "The meeting date must be today or later"
    for name, what in (("venue", "where the meeting is held"), ("chair", "who chairs the meeting")):
        value = getattr(new, name).strip()
        if not value:
            errors[name] = f"Enter {what}"
        elif len(value) > MAX_SHORT:
            errors[name] = f"The {name} must be at most {MAX_SHORT} characters"
    if new.area_id is not None and await db.scalar(select(Area.id).where(Area.id == new.area_id)) is None:
        errors["area_id"] = "Choose an area of your force"
    return errors


async def create_meeting(db: AsyncSession, actor: Actor, new: NewMeeting, *, via: str = "web",
                         now: datetime | None = None) -> MaracMeeting:
    errors = await meeting_problems(db, new, now=now)
    if errors:
        raise MaracRefused(errors)
    assert new.held_on is not None
    meeting = MaracMeeting(force_id=actor.force_id, area_id=new.area_id, held_on=new.held_on,
                           venue=new.venue.strip(), chair=new.chair.strip(), status="planned",
                           created_by=actor.label)
    db.add(meeting)
    await db.flush()
    await audit.record(db, action="marac_meeting.create", actor=actor, object_type="marac_meeting",
                       object_id=meeting.id, details={"held_on": new.held_on.isoformat(), "via": via})
    return meeting


async def mark_held(db: AsyncSession, actor: Actor, meeting_id: int, *, via: str = "web",
                    now: datetime | None = None) -> MaracMeeting:
    meeting = await load_meeting(db, meeting_id, lock=True)
    if meeting.status == "held":
        raise MaracRefused({"status": "The meeting is already marked held"})
    if meeting.held_on > uk_today(now):
        raise MaracRefused({"status": f"The meeting is on {meeting.held_on:%d %B %Y}: it cannot be marked held "
                                      "before that day"})
    meeting.status = "held"
    await db.flush()
    await audit.record(db, action="marac_meeting.held", actor=actor, object_type="marac_meeting",
                       object_id=meeting.id, details={"via": via})
    return meeting


@dataclass(frozen=True)
class MeetingItem:
    id: int
    held_on: date
    venue: str
    chair: str
    status: str
    area: str | None
    cases: int


async def meetings(db: AsyncSession, *, now: datetime | None = None) -> tuple[list[MeetingItem], list[MeetingItem]]:
    """(upcoming, past): upcoming soonest first; past most recent first. Counts only the cases the reader sees."""
    today = uk_today(now)
    cases = (select(MaracReferral.meeting_id, func.count().label("n")).where(MaracReferral.meeting_id.is_not(None))
             .group_by(MaracReferral.meeting_id).subquery())
    rows = (await db.execute(select(MaracMeeting, Area.name, cases.c.n)
                             .outerjoin(Area, Area.id == MaracMeeting.area_id)
                             .outerjoin(cases, cases.c.meeting_id == MaracMeeting.id)
                             .order_by(MaracMeeting.held_on, MaracMeeting.id))).all()
    items = [MeetingItem(m.id, m.held_on, m.venue, m.chair, m.status, area, int(n or 0)) for m, area, n in rows]
    upcoming = [m for m in items if m.status == "planned" and m.held_on >= today]
    past = [m for m in reversed(items) if not (m.status == "planned" and m.held_on >= today)]
    return upcoming[:LIST_LIMIT], past[:LIST_LIMIT]


async def listable_meetings(db: AsyncSession, *, now: datetime | None = None) -> list[MeetingItem]:
    upcoming, _past = await meetings(db, now=now)
    return upcoming


@dataclass(frozen=True)
class MeetingCase:
    referral_id: int
    reference: str
    victim: PersonInCrime
    routes: list[str]
    status: str
    open_actions: int

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass(frozen=True)
class MeetingDetail:
    meeting: MeetingSummary
    cases: list[MeetingCase]
    created_by: str


async def read_meeting(db: AsyncSession, actor: Actor, meeting_id: int, *, reason: str | None = None
                       ) -> MeetingDetail:
    """A meeting and the referrals listed for it (those the reader may see). Audited."""
    meeting = await load_meeting(db, meeting_id)
    await audit.record_read(db, actor, "marac_meeting", meeting_id, reason=reason)
    rows = (await db.execute(select(MaracReferral, Person).outerjoin(Person, Person.id == MaracReferral.victim_id)
                             .where(MaracReferral.meeting_id == meeting_id)
                             .order_by(MaracReferral.reference))).all()
    cases = [MeetingCase(r.id, r.reference, await _person(db, actor, r.victim_id, p), list(r.routes), r.status,
                         await open_action_count(db, r.id)) for r, p in rows]
    return MeetingDetail(await _meeting_summary(db, meeting), cases, meeting.created_by)


# -- actions -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewAction:
    agency: str
    description: str
    owner: str | None = None
    due_on: date | None = None


async def add_action(db: AsyncSession, actor: Actor, referral_id: int, new: NewAction, *, via: str = "web"
                     ) -> MaracAction:
    """An action agreed at the referral's meeting. Raises MaracRefused (nothing written) naming each field."""
    referral, _victim = await load_referral(db, actor, referral_id, lock=True)
    errors: dict[str, str] = {}
    meeting = None
    if referral.status not in ("listed", "heard") or referral.meeting_id is None:
        errors["referral"] = (f"Actions are agreed at a MARAC meeting: this referral is "
                              f"{status_label(referral.status).lower()}, not listed for or heard at one")
    else:
        meeting = await load_meeting(db, referral.meeting_id)
    agency, fits = _clean(new.agency, MAX_SHORT)
    if not agency:
        errors["agency"] = "Enter the agency that will carry out the action"
    elif not fits:
        errors["agency"] = f"The agency must be at most {MAX_SHORT} characters"
    description, fits = _clean(new.description)
    if not description:
        errors["description"] = "Describe the action agreed"
    elif not fits:
        errors["description"] = f"The description must be at most {MAX_TEXT} characters"
    owner, fits = _clean(new.owner, MAX_SHORT)
    if not fits:
        errors["owner"] = f"The owner must be at most {MAX_SHORT} characters"
    if new.due_on is None:
        errors["due_on"] = "Enter the date the action is due"
    elif meeting is not None and new.due_on < meeting.held_on:
        errors["due_on"] = f"The due date must not be before the meeting on {meeting.held_on:%d %B %Y}"
    if errors:
        raise MaracRefused(errors)
    action = MaracAction(force_id=referral.force_id, referral_id=referral.id, meeting_id=referral.meeting_id,
                         agency=agency, description=description, owner=owner or None, due_on=new.due_on,
                         status="open", created_by=actor.label)
    db.add(action)
    await db.flush()
    await audit.record(db, action="marac_action.create", actor=actor, object_type="marac_action",
                       object_id=action.id, details={"referral_id": referral.id, "via": via})
    return action


async def load_action(db: AsyncSession, actor: Actor, action_id: int, *, lock: bool = False) -> MaracAction:
    query = select(MaracAction).where(MaracAction.id == action_id).execution_options(populate_existing=True)
    action = (await db.scalars(query.with_for_update() if lock else query)).first()
    if action is None:
        raise ActionNotFound(action_id)
    try:
        await load_referral(db, actor, action.referral_id)
    except ReferralNotFound:
        raise ActionNotFound(action_id) from None
    return action


async def complete_action(db: AsyncSession, actor: Actor, action_id: int, *, outcome: str, note: str | None,
                          via: str = "web", now: datetime | None = None) -> MaracAction:
    """Mark an open action done or cancelled, with a note. Raises MaracRefused (nothing written)."""
    now = now or datetime.now(UTC)
    action = await load_action(db, actor, action_id, lock=True)
    errors: dict[str, str] = {}
    if action.status != "open":
        errors["outcome"] = f"The action is already {action.status}"
    elif outcome not in ACTION_OUTCOMES:
        errors["outcome"] = "Choose whether the action is done or cancelled"
    cleaned, fits = _clean(note)
    if not fits:
        errors["note"] = f"The note must be at most {MAX_TEXT} characters"
    elif not cleaned and "outcome" not in errors:
        errors["note"] = ("Say what was done" if outcome == "done" else "Say why the action is cancelled")
    if errors:
        raise MaracRefused(errors)
    action.status = outcome
    action.completed_at = now
    action.completed_by = actor.label
    action.note = cleaned
    await db.flush()
    await audit.record(db, action="marac_action.complete", actor=actor, object_type="marac_action",
                       object_id=action.id, details={"referral_id": action.referral_id, "outcome": outcome,
                                                     "via": via})
    return action


@dataclass(frozen=True)
class OpenActionItem:
    action: ActionView
    referral_id: int
    reference: str
    victim: PersonInCrime


async def open_actions(db: AsyncSession, actor: Actor, *, now: datetime | None = None, limit: int = LIST_LIMIT
                       ) -> list[OpenActionItem]:
    """Every open action the reader may see, overdue first (oldest due first), then by due date. Audited."""
    today = uk_today(now)
    overdue = MaracAction.due_on < today
    rows = (await db.execute(
        select(MaracAction, MaracReferral, Person)
        .join(MaracReferral, MaracReferral.id == MaracAction.referral_id)
        .outerjoin(Person, Person.id == MaracReferral.victim_id)
        .where(MaracAction.status == "open")
        .order_by(overdue.desc().nulls_last(), MaracAction.due_on.nulls_last(), MaracAction.id)
        .limit(limit))).all()
    items = [OpenActionItem(_action_view(a, today), r.id, r.reference, await _person(db, actor, r.victim_id, p))
             for a, r, p in rows]
    await audit.record(db, action="marac_action.list", actor=actor, object_type="marac_action",
                       details={"shown": len(items), "overdue": sum(1 for i in items if i.action.overdue)})
    return items


async def areas(db: AsyncSession) -> list[tuple[int, str]]:
    return [(a.id, a.name) for a in await db.scalars(select(Area).order_by(Area.name))]


async def assessment_for_form(db: AsyncSession, actor: Actor, assessment_id: int
                              ) -> tuple[AssessmentSummary, PersonInCrime, int] | None:
    """The assessment a new referral starts from, for the form (audited as a read of the assessment)."""
    assessment = await load_assessment(db, actor, assessment_id)
    if assessment is None:
        return None
    person = await _visible_person(db, actor, assessment.victim_id)
    assert person is not None
    await audit.record_read(db, actor, "risk_assessment", assessment.id, reason="making a MARAC referral")
    return (_assessment_summary(assessment), await _person(db, actor, person.id, person), person.id)
