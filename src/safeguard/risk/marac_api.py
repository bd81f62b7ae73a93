"""MARAC in the API: referrals and their lifecycle, meetings, and the actions agreed at them.

Reading needs risk:read; changing needs marac:write. Another force's referral, meeting or action, or a restricted
victim's referral, is 404. A refusal is 422 naming each field at fault; nothing is written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.schemas import ProblemOut
from safeguard.crimes.service import PersonInCrime
from safeguard.risk import marac
from safeguard.web.api_errors import refusal as refused
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/marac", tags=["marac"])

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.RISK_READ))]
Writer = Annotated[Actor, Depends(Requires(P.MARAC_WRITE))]


class RefusedOut(BaseModel):
    detail: str
    errors: list[ProblemOut]


REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": RefusedOut, "description": "Nothing was saved; each field at fault is named with the reason"}}


class ReferralIn(BaseModel):
    assessment_id: int | None = Field(default=None, ge=1, le=2**62,
                                      description="A saved DASH assessment: its victim and its routes")
    victim_id: int | None = Field(default=None, ge=1, le=2**62, description="Needed without an assessment")
    routes: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=4, description="visible-high-risk, professional-judgement, escalation, repeat; "
                                                "default with an assessment: its stored routes")
    reason: str | None = Field(default=None, max_length=8000,
                               description="Needed below 14 ticks or on professional judgement")
    consent: str = Field(max_length=20, description="given, refused or not-sought")
    consent_note: str | None = Field(default=None, max_length=8000, description="Needed unless consent was given")


class TransitionIn(BaseModel):
    to: str = Field(max_length=20, description="submitted, accepted, declined, listed, heard or closed")
    note: str | None = Field(default=None, max_length=8000, description="Needed to decline")
    meeting_id: int | None = Field(default=None, ge=1, le=2**62, description="Needed to list")
    summary: str | None = Field(default=None, max_length=8000, description="Needed to record it heard")


class MeetingIn(BaseModel):
    held_on: date
    venue: str = Field(max_length=400)
    chair: str = Field(max_length=400)
    area_id: int | None = Field(default=None, ge=1, le=2**62)


class ActionIn(BaseModel):
    agency: str = Field(max_length=400)
    description: str = Field(max_length=8000)
    owner: str | None = Field(default=None, max_length=400)
    due_on: date | None = None


class CompleteIn(BaseModel):
    outcome: str = Field(default="done", max_length=20, description="done or cancelled")
    note: str = Field(max_length=8000)


class PersonOut(BaseModel):
    person_id: int | None
    display_name: str
    date_of_birth: str | None
    withheld: bool


class EventOut(BaseModel):
    at: datetime
    from_status: str | None
    to_status: str
    by: str
    note: str | None


class ActionOut(BaseModel):
    id: int
    referral_id: int
    meeting_id: int | None
    agency: str
    description: str
    owner: str | None
    due_on: date | None
    status: str
    overdue: bool
    completed_at: datetime | None
    completed_by: str | None
    note: str | None


class AssessmentOut(BaseModel):
    id: int
    reference: str
    form: str
    score: int
    level: str
    assessed_at: datetime


class ReferralOut(BaseModel):
    id: int
    reference: str
    victim: PersonOut
    assessment: AssessmentOut | None
    latest_assessment: AssessmentOut | None
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
    meeting_id: int | None
    heard_at: datetime | None
    meeting_summary: str | None
    history: list[EventOut]
    actions: list[ActionOut]
    next_steps: list[str]


class MeetingCaseOut(BaseModel):
    referral_id: int
    reference: str
    victim: PersonOut
    routes: list[str]
    status: str
    open_actions: int


class MeetingOut(BaseModel):
    id: int
    held_on: date
    venue: str
    chair: str
    status: str
    area: str | None
    cases: list[MeetingCaseOut]


def _action_out(a: marac.ActionView) -> ActionOut:
    return ActionOut(id=a.id, referral_id=a.referral_id, meeting_id=a.meeting_id, agency=a.agency,
                     description=a.description, owner=a.owner, due_on=a.due_on, status=a.status, overdue=a.overdue,
                     completed_at=a.completed_at, completed_by=a.completed_by, note=a.note)


def _person_out(p: PersonInCrime) -> PersonOut:
    return PersonOut(person_id=p.person_id, display_name=p.display_name, date_of_birth=p.date_of_birth,
                     withheld=p.withheld)


def _assessment_out(a: marac.AssessmentSummary | None) -> AssessmentOut | None:
    if a is None:
        return None
    return AssessmentOut(id=a.id, reference=a.reference, form=a.form, score=a.score, level=a.level,
                         assessed_at=a.assessed_at)


def referral_out(r: marac.ReferralDetail) -> ReferralOut:
    return ReferralOut(
        id=r.id, reference=r.reference, victim=_person_out(r.victim), assessment=_assessment_out(r.assessment),
        latest_assessment=_assessment_out(r.latest_assessment), routes=r.routes, status=r.status, reason=r.reason,
        consent=r.consent, consent_note=r.consent_note, referred_by=r.referred_by, referred_at=r.referred_at,
        submitted_at=r.submitted_at, decided_at=r.decided_at, decided_by=r.decided_by,
        decline_reason=r.decline_reason, meeting_id=r.meeting.id if r.meeting else None, heard_at=r.heard_at,
        meeting_summary=r.meeting_summary,
        history=[EventOut(at=e.at, from_status=e.from_status, to_status=e.to_status, by=e.by, note=e.note)
                 for e in r.history],
        actions=[_action_out(a) for a in r.actions], next_steps=r.next_steps)


def _not_found(what: str, number: int) -> HTTPException:
    return HTTPException(404, f"No MARAC {what} {number}.")


@router.post("/referrals", response_model=ReferralOut, status_code=201, responses=REFUSED)
async def create_referral(body: ReferralIn, db: DbSession, actor: Writer) -> ReferralOut | JSONResponse:
    """Draft a MARAC referral, from a saved DASH assessment or for a victim an agency has concerns about."""
    new = marac.NewReferral(assessment_id=body.assessment_id, victim_id=body.victim_id, routes=body.routes,
                            reason=body.reason, consent=body.consent, consent_note=body.consent_note)
    try:
        referral = await marac.create_referral(db, actor, new, via="api")
    except marac.MaracRefused as problem:
        return refused("The referral was not made.", problem.errors)
    return referral_out(await marac.read_referral(db, actor, referral.id, reason="made through the API"))


@router.get("/referrals/{referral_id}", response_model=ReferralOut)
async def get_referral(referral_id: Id, db: DbSession, actor: Reader) -> ReferralOut:
    """A referral with its history, actions and next steps. Audited."""
    try:
        return referral_out(await marac.read_referral(db, actor, referral_id))
    except marac.ReferralNotFound:
        raise _not_found("referral", referral_id) from None


@router.post("/referrals/{referral_id}/transitions", response_model=ReferralOut, status_code=201, responses=REFUSED)
async def transition(referral_id: Id, body: TransitionIn, db: DbSession, actor: Writer
                     ) -> ReferralOut | JSONResponse:
    """Move a referral on one step: submitted, accepted or declined (with a note), listed (meeting_id), heard
    (summary), closed (only when no action is open)."""
    step = marac.Step(to=body.to, note=body.note, meeting_id=body.meeting_id, summary=body.summary)
    try:
        await marac.transition(db, actor, referral_id, step, via="api")
    except marac.ReferralNotFound:
        raise _not_found("referral", referral_id) from None
    except marac.MaracRefused as problem:
        return refused("The referral was not moved on.", problem.errors)
    return referral_out(await marac.read_referral(db, actor, referral_id, reason="changed through the API"))


@router.post("/meetings", response_model=MeetingOut, status_code=201, responses=REFUSED)
async def create_meeting(body: MeetingIn, db: DbSession, actor: Writer) -> MeetingOut | JSONResponse:
    """Plan a MARAC meeting (today or later)."""
    try:
        meeting = await marac.create_meeting(db, actor, marac.NewMeeting(
            held_on=body.held_on, venue=body.venue, chair=body.chair, area_id=body.area_id), via="api")
    except marac.MaracRefused as problem:
        return refused("The meeting was not created.", problem.errors)
    return await _meeting_out(db, actor, meeting.id)


async def _meeting_out(db: DbSession, actor: Actor, meeting_id: int) -> MeetingOut:
    detail = await marac.read_meeting(db, actor, meeting_id)
    m = detail.meeting
    return MeetingOut(id=m.id, held_on=m.held_on, venue=m.venue, chair=m.chair, status=m.status, area=m.area,
                      cases=[MeetingCaseOut(referral_id=c.referral_id, reference=c.reference,
                                            victim=_person_out(c.victim), routes=c.routes, status=c.status,
                                            open_actions=c.open_actions) for c in detail.cases])


@router.get("/meetings/{meeting_id}", response_model=MeetingOut)
async def get_meeting(meeting_id: Id, db: DbSession, actor: Reader) -> MeetingOut:
    """A meeting and the referrals listed for it. Audited."""
    try:
        return await _meeting_out(db, actor, meeting_id)
    except marac.MeetingNotFound:
        raise _not_found("meeting", meeting_id) from None


@router.post("/referrals/{referral_id}/actions", response_model=ActionOut, status_code=201, responses=REFUSED)
async def add_action(referral_id: Id, body: ActionIn, db: DbSession, actor: Writer) -> ActionOut | JSONResponse:
    """Record an action agreed at the referral's meeting (due no earlier than the meeting)."""
    try:
        action = await marac.add_action(db, actor, referral_id, marac.NewAction(
            agency=body.agency, description=body.description, owner=body.owner, due_on=body.due_on), via="api")
    except marac.ReferralNotFound:
        raise _not_found("referral", referral_id) from None
    except marac.MaracRefused as problem:
        return refused("The action was not recorded.", problem.errors)
    return _action_out(marac._action_view(action, marac.uk_today()))


@router.post("/actions/{action_id}/complete", response_model=ActionOut, responses=REFUSED)
async def complete_action(action_id: Id, body: CompleteIn, db: DbSession, actor: Writer
                          ) -> ActionOut | JSONResponse:
    """Mark an open action done or cancelled, with a note."""
    try:
        action = await marac.complete_action(db, actor, action_id, outcome=body.outcome, note=body.note, via="api")
    except marac.ActionNotFound:
        raise _not_found("action", action_id) from None
    except marac.MaracRefused as problem:
        return refused("The action was not changed.", problem.errors)
    return _action_out(marac._action_view(action, marac.uk_today()))
