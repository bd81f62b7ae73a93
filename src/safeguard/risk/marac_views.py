"""MARAC pages: referrals by status, making and moving a referral, meetings and their pack, and open actions.

Reading needs risk:read; changing needs marac:write. A referral of another force or of a restricted victim is
404. The referral page shows the victim's safe-contact preferences first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import forms
from safeguard.crimes.service import uk_time
from safeguard.risk import marac, marac_pack
from safeguard.risk.models import MARAC_STATUSES
from safeguard.safeguarding.safe_contact import safe_contact_for
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.RISK_READ))]
Writer = Annotated[Actor, Depends(Requires(P.MARAC_WRITE))]
Filter = Annotated[str, Query(max_length=40)]

NO_REFERRAL = "There is no MARAC referral with that number in your force."
NO_MEETING = "There is no MARAC meeting with that number in your force."
NO_ACTION = "There is no MARAC action with that number in your force."
ID_MAX = 2**62
# Service field -> the element its error-summary link goes to.
ANCHORS = {"held_on": "held_on_day", "due_on": "due_on_day", "routes": "routes", "consent": "consent",
           "victim_id": "victim_id", "assessment_id": "victim_id", "area_id": "area_id"}


def _anchored(errors: dict[str, str], prefix: str = "") -> dict[str, str]:
    anchored: dict[str, str] = {}
    for name, message in errors.items():
        anchored.setdefault(prefix + ANCHORS.get(name, name), message)
    return anchored


def _number(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and 0 < int(value) <= ID_MAX else None


def _values(form: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


# -- referrals ---------------------------------------------------------------------------------------------

@router.get("/marac")
async def marac_home(request: Request, db: DbSession, actor: Reader) -> Response:
    """Referrals by status, with links to meetings and open actions."""
    grouped = await marac.referrals_by_status(db, actor)
    return render(request, "marac/index.html", {
        "grouped": [(status, marac.status_label(status), grouped[status]) for status in MARAC_STATUSES],
        "total": sum(len(items) for items in grouped.values()), "route_labels": marac.ROUTE_LABELS,
        "uk_time": uk_time, "can_write": actor.can(P.MARAC_WRITE), "title": "MARAC referrals"})


async def _new_form(request: Request, db: DbSession, actor: Actor, assessment_id: int | None, *,
                    errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                    routes: list[str] | None = None, status_code: int = 200) -> Response:
    errors = dict(errors or {})
    found = None
    if assessment_id is not None:
        found = await marac.assessment_for_form(db, actor, assessment_id)
        if found is None:
            errors.setdefault("victim_id", "There is no saved DASH assessment with that number in your force")
            status_code = 400 if status_code == 200 else status_code
    if routes is None:
        routes = found[0].routes if found else []
    values = values or {}
    return render(request, "marac/new.html", {
        "assessment": found[0] if found else None, "victim": found[1] if found else None,
        "assessment_id": assessment_id if found else None, "errors": errors, "values": values, "chosen": routes,
        "route_labels": marac.ROUTE_LABELS, "consent_labels": marac.CONSENT_LABELS, "uk_time": uk_time,
        "level_labels": marac.LEVEL_LABELS,
        "title": ("Error: " if errors else "") + "New MARAC referral"}, status_code=status_code)


@router.get("/marac/referrals/new")
async def new_referral(request: Request, db: DbSession, actor: Writer, assessment: Filter = "") -> Response:
    """The referral form; `?assessment=<id>` starts from a saved DASH assessment (its victim and routes)."""
    assessment_id = _number(assessment) if assessment.strip() else None
    if assessment.strip() and assessment_id is None:
        return await _new_form(request, db, actor, None, status_code=400,
                               errors={"victim_id": "The assessment number must be a whole number"})
    return await _new_form(request, db, actor, assessment_id)


@router.post("/marac/referrals")
async def create_referral(request: Request, db: DbSession, actor: Writer) -> Response:
    posted = await request.form()
    form = dict(posted.multi_items())
    routes = [r for r in posted.getlist("routes") if isinstance(r, str)][:10]
    assessment_id = _number(forms.text(form, "assessment_id", 30))
    victim_text = forms.text(form, "victim_id", 30)
    victim_id = _number(victim_text) if victim_text else None
    errors: dict[str, str] = {}
    if victim_text and victim_id is None and assessment_id is None:
        errors["victim_id"] = "The person number must be a whole number, like 1234"
    new = marac.NewReferral(assessment_id=assessment_id, victim_id=None if assessment_id else victim_id,
                            routes=routes, reason=forms.text(form, "reason", 8000),
                            consent=forms.text(form, "consent", 20),
                            consent_note=forms.text(form, "consent_note", 8000))
    try:
        if errors:
            problems, *_ = await marac.referral_problems(db, actor, new)
            raise marac.MaracRefused({**problems, **errors})
        referral = await marac.create_referral(db, actor, new)
    except marac.MaracRefused as refused:
        return await _new_form(request, db, actor, assessment_id, errors=_anchored(refused.errors),
                               values=_values(form), routes=routes, status_code=400)
    response = RedirectResponse(f"/marac/referrals/{referral.id}", status_code=303)
    flash(request, response, f"Referral {referral.reference} drafted. Check it, then submit it.")
    return response


async def _referral_page(request: Request, db: DbSession, actor: Actor, referral_id: int, *,
                         errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                         status_code: int = 200) -> Response:
    try:
        referral = await marac.read_referral(db, actor, referral_id)
    except marac.ReferralNotFound:
        raise HTTPException(404, NO_REFERRAL) from None
    can_write = actor.can(P.MARAC_WRITE)
    upcoming = await marac.listable_meetings(db) if can_write and "listed" in referral.next_steps else []
    return render(request, "marac/referral.html", {
        "r": referral, "safe_contact": await safe_contact_for(db, referral.victim_id),
        "safe_contact_name": referral.victim.display_name,
        "safe_contact_edit": None, "route_labels": marac.ROUTE_LABELS, "consent_labels": marac.CONSENT_LABELS,
        "level_labels": marac.LEVEL_LABELS, "step_labels": marac.STEP_LABELS, "meetings": upcoming,
        "can_write": can_write, "errors": errors or {}, "values": values or {}, "uk_time": uk_time,
        "title": ("Error: " if errors else "") + f"MARAC referral {referral.reference}"}, status_code=status_code)


@router.get("/marac/referrals/{referral_id}")
async def referral_page(request: Request, referral_id: Id, db: DbSession, actor: Reader) -> Response:
    return await _referral_page(request, db, actor, referral_id)


@router.post("/marac/referrals/{referral_id}/transitions")
async def transition(request: Request, referral_id: Id, db: DbSession, actor: Writer) -> Response:
    form = dict((await request.form()).multi_items())
    to = forms.text(form, "to", 20)
    meeting_text = forms.text(form, "meeting_id", 30)
    step = marac.Step(to=to, note=forms.text(form, "note", 8000), meeting_id=_number(meeting_text),
                      summary=forms.text(form, "summary", 8000))
    try:
        await marac.transition(db, actor, referral_id, step)
    except marac.ReferralNotFound:
        raise HTTPException(404, NO_REFERRAL) from None
    except marac.MaracRefused as refused:
        prefix = f"{to}-" if to in marac.STEP_LABELS else ""
        errors = {(f"{prefix}{name}" if name != "to" else "to"): message for name, message in refused.errors.items()}
        values = {f"{prefix}{k}": v for k, v in _values(form).items()}
        return await _referral_page(request, db, actor, referral_id, errors=errors, values=values,
                                    status_code=400)
    response = RedirectResponse(f"/marac/referrals/{referral_id}", status_code=303)
    flash(request, response, f"Referral {marac.DONE.get(to, to)}.")
    return response


@router.post("/marac/referrals/{referral_id}/actions")
async def add_action(request: Request, referral_id: Id, db: DbSession, actor: Writer) -> Response:
    form = dict((await request.form()).multi_items())
    errors: dict[str, str] = {}
    due = forms.form_date(form, errors, "due_on", "the action is due")
    new = marac.NewAction(agency=forms.text(form, "agency", 400), description=forms.text(form, "description", 8000),
                          owner=forms.text(form, "owner", 400), due_on=due)
    try:
        await marac.add_action(db, actor, referral_id, new)
    except marac.ReferralNotFound:
        raise HTTPException(404, NO_REFERRAL) from None
    except marac.MaracRefused as refused:
        problems = {**_anchored(refused.errors, "action-"), **{f"action-{k}": v for k, v in errors.items()}}
        values = {f"action-{k}": v for k, v in _values(form).items()}
        return await _referral_page(request, db, actor, referral_id, errors=problems, values=values,
                                    status_code=400)
    response = RedirectResponse(f"/marac/referrals/{referral_id}#actions", status_code=303)
    flash(request, response, "Action recorded.")
    return response


# -- meetings ----------------------------------------------------------------------------------------------

@router.get("/marac/meetings")
async def meetings_page(request: Request, db: DbSession, actor: Reader) -> Response:
    upcoming, past = await marac.meetings(db)
    return render(request, "marac/meetings.html", {
        "upcoming": upcoming, "past": past, "can_write": actor.can(P.MARAC_WRITE), "title": "MARAC meetings"})


async def _meeting_form(request: Request, db: DbSession, *, errors: dict[str, str] | None = None,
                        values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    return render(request, "marac/meeting_new.html", {
        "areas": await marac.areas(db), "errors": errors or {}, "values": values or {},
        "title": ("Error: " if errors else "") + "Plan a MARAC meeting"}, status_code=status_code)


@router.get("/marac/meetings/new")
async def new_meeting(request: Request, db: DbSession, actor: Writer) -> Response:
    return await _meeting_form(request, db)


@router.post("/marac/meetings")
async def create_meeting(request: Request, db: DbSession, actor: Writer) -> Response:
    form = dict((await request.form()).multi_items())
    errors: dict[str, str] = {}
    held_on = forms.form_date(form, errors, "held_on", "of the meeting")
    area_text = forms.text(form, "area_id", 30)
    area_id = _number(area_text) if area_text else None
    if area_text and area_id is None:
        errors["area_id"] = "Choose an area of your force"
    new = marac.NewMeeting(held_on=held_on, venue=forms.text(form, "venue", 400),
                           chair=forms.text(form, "chair", 400), area_id=area_id)
    problems = await marac.meeting_problems(db, new)
    if errors:
        problems.pop("held_on", None)
    problems = {**_anchored(problems), **errors}
    if not problems:
        try:
            meeting = await marac.create_meeting(db, actor, new)
        except marac.MaracRefused as refused:
            problems = _anchored(refused.errors)
    if problems:
        return await _meeting_form(request, db, errors=problems, values=_values(form), status_code=400)
    response = RedirectResponse(f"/marac/meetings/{meeting.id}", status_code=303)
    flash(request, response, f"Meeting on {meeting.held_on:%d %B %Y} planned.")
    return response


@router.get("/marac/meetings/{meeting_id}")
async def meeting_page(request: Request, meeting_id: Id, db: DbSession, actor: Reader) -> Response:
    try:
        detail = await marac.read_meeting(db, actor, meeting_id)
    except marac.MeetingNotFound:
        raise HTTPException(404, NO_MEETING) from None
    return render(request, "marac/meeting.html", {
        "d": detail, "m": detail.meeting, "route_labels": marac.ROUTE_LABELS,
        "can_write": actor.can(P.MARAC_WRITE), "today": marac.uk_today(),
        "title": f"MARAC meeting {detail.meeting.held_on:%d %B %Y}"})


@router.post("/marac/meetings/{meeting_id}/held")
async def mark_held(request: Request, meeting_id: Id, db: DbSession, actor: Writer) -> Response:
    try:
        meeting = await marac.mark_held(db, actor, meeting_id)
    except marac.MeetingNotFound:
        raise HTTPException(404, NO_MEETING) from None
    except marac.MaracRefused as refused:
        response = RedirectResponse(f"/marac/meetings/{meeting_id}", status_code=303)
        flash(request, response, next(iter(refused.errors.values())), kind="error")
        return response
    response = RedirectResponse(f"/marac/meetings/{meeting.id}", status_code=303)
    flash(request, response, "Meeting marked held.")
    return response


@router.get("/marac/meetings/{meeting_id}/pack.pdf")
async def meeting_pack(meeting_id: Id, db: DbSession, actor: Reader) -> Response:
    """The meeting pack, OFFICIAL-SENSITIVE. Building it is audited as an export."""
    try:
        pack = await marac_pack.gather(db, actor, meeting_id)
    except marac.MeetingNotFound:
        raise HTTPException(404, NO_MEETING) from None
    body = marac_pack.render(pack)
    name = f"marac-pack-{pack.meeting.held_on:%Y-%m-%d}.pdf"
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# -- actions -----------------------------------------------------------------------------------------------

@router.get("/marac/actions")
async def actions_page(request: Request, db: DbSession, actor: Reader) -> Response:
    items = await marac.open_actions(db, actor)
    return render(request, "marac/actions.html", {
        "items": items, "overdue": sum(1 for i in items if i.action.overdue), "can_write": actor.can(P.MARAC_WRITE),
        "now": datetime.now(UTC), "title": "Open MARAC actions"})


@router.post("/marac/actions/{action_id}/complete")
async def complete_action(request: Request, action_id: Id, db: DbSession, actor: Writer) -> Response:
    form = dict((await request.form()).multi_items())
    outcome = forms.text(form, "outcome", 20)
    try:
        action = await marac.complete_action(db, actor, action_id, outcome=outcome,
                                             note=forms.text(form, "note", 8000))
    except marac.ActionNotFound:
        raise HTTPException(404, NO_ACTION) from None
    except marac.MaracRefused as refused:
        try:
            loaded = await marac.load_action(db, actor, action_id)
        except marac.ActionNotFound:
            raise HTTPException(404, NO_ACTION) from None
        errors = {f"complete-{action_id}-{name}": message for name, message in refused.errors.items()}
        values = {f"complete-{action_id}-{k}": v for k, v in _values(form).items()}
        return await _referral_page(request, db, actor, loaded.referral_id, errors=errors, values=values,
                                    status_code=400)
    response = RedirectResponse(f"/marac/referrals/{action.referral_id}#actions", status_code=303)
    flash(request, response, f"Action marked {action.status}.")
    return response
