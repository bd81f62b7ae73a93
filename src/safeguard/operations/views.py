"""Operation pages: the operations, a new operation, its overview, choosing targets and their teams, planning
arrest attempts, and the officers' phone pages for today's attempts and recording one."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.models import Team
from safeguard.auth.permissions import TEAM_NAMES, P
from safeguard.crimes import forms
from safeguard.crimes.service import uk_time
from safeguard.operations import attempts, service, targets
from safeguard.operations.models import ATTEMPT_OUTCOMES, OUTCOME_LABELS, TARGET_TEAM_KINDS
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.OPERATION_READ))]
Writer = Annotated[Actor, Depends(Requires(P.OPERATION_WRITE))]
Recorder = Annotated[Actor, Depends(Requires(P.ATTEMPT_WRITE))]

NO_OPERATION = "There is no operation with that number in your force."
NO_TARGET = "There is no such target in this operation."
NO_ATTEMPT = "There is no such arrest attempt in this operation."
NEW_ANCHORS = {"starts_on": "starts_on_day", "ends_on": "ends_on_day"}
PLAN_ANCHORS = {"planned_at": "planned_at_day"}
OUTCOME_ANCHORS = {"attempted_at": "attempted_at_day"}
TEAM_KIND_OPTIONS = [(kind, TEAM_NAMES[kind]) for kind in TARGET_TEAM_KINDS]
OUTCOME_OPTIONS = [(code, OUTCOME_LABELS[code]) for code in ATTEMPT_OUTCOMES]


def _posted(form: Any) -> dict[str, Any]:
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}


def _anchored(errors: dict[str, str], anchors: dict[str, str]) -> dict[str, str]:
    anchored: dict[str, str] = {}
    for name, message in errors.items():
        anchored.setdefault(anchors.get(name, name), message)
    return anchored


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 19 and int(text) >= 1 else None


def _numbers(values: list[Any]) -> list[int]:
    return [n for v in values if isinstance(v, str) and (n := _number(v)) is not None]


def _teams(teams: list[Team]) -> list[tuple[int, str, str]]:
    return [(t.id, t.name, t.kind) for t in teams]


def _redirect(request: Request, to: str, message: str, kind: str = "success") -> Response:
    response = RedirectResponse(to, status_code=303)
    flash(request, response, message, kind)
    return response


# -- the operations ------------------------------------------------------------------------------------------

@router.get("/operations")
async def operations_page(request: Request, db: DbSession, actor: Reader) -> Response:
    return render(request, "operations/list.html", {
        "operations": await service.list_operations(db, actor), "can_write": actor.can(P.OPERATION_WRITE),
        "title": "Operations"})


@router.get("/operations/new")
async def new_operation_form(request: Request, db: DbSession, actor: Writer) -> Response:
    return await _new_form(request, db, actor)


@router.post("/operations/new")
async def create_operation(request: Request, db: DbSession, actor: Writer) -> Response:
    values = _posted(await request.form())
    errors: dict[str, str] = {}
    starts = forms.form_date(values, errors, "starts_on", "the operation starts")
    ends = forms.form_date(values, errors, "ends_on", "the operation ends")
    lead = forms.text(values, "lead", 30)
    new = service.NewOperation(name=forms.text(values, "name", 200), objective=forms.text(values, "objective", 2100),
                               starts_on=starts, ends_on=ends,
                               lead_user_id=_number(lead) if lead and lead != "other" else None,
                               lead_name=forms.text(values, "lead_name", 200) if lead in ("", "other") else None)
    if lead and lead != "other" and _number(lead) is None:
        errors["lead"] = "Choose a lead from your force's operation leads"
    problems, _ = await service.operation_problems(db, actor, new)
    problems = _anchored(problems, NEW_ANCHORS)
    if errors or problems:
        return await _new_form(request, db, actor, errors={**problems, **errors}, values=values, status_code=400)
    operation = await service.create_operation(db, actor, new)
    return _redirect(request, f"/operations/{operation.id}",
                     f"{operation.name} created. Choose its targets next.")


async def _new_form(request: Request, db: DbSession, actor: Actor, *, errors: dict[str, str] | None = None,
                    values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    leads = await service.leads(db, actor)
    if values is None:
        values = {"lead": str(actor.user_id) if actor.user_id in dict(leads) else ""}
    return render(request, "operations/new.html", {
        "errors": errors or {}, "values": values, "leads": leads, "max_days": service.MAX_DAYS,
        "title": ("Error: " if errors else "") + "New operation"}, status_code=status_code)


@router.get("/operations/{operation_id}")
async def operation_page(request: Request, operation_id: Id, db: DbSession, actor: Reader) -> Response:
    try:
        operation = await service.read_operation(db, actor, operation_id)
    except service.OperationNotFound:
        raise HTTPException(404, NO_OPERATION) from None
    return render(request, "operations/operation.html", {
        "o": operation, "uk_time": uk_time, "can_write": actor.can(P.OPERATION_WRITE),
        "can_record": actor.can(P.ATTEMPT_WRITE), "today": service.uk_today(),
        "title": operation.name})


@router.post("/operations/{operation_id}/status")
async def operation_status(request: Request, operation_id: Id, db: DbSession, actor: Writer) -> Response:
    to = forms.text(_posted(await request.form()), "to", 10)
    try:
        operation = await service.change_status(db, actor, operation_id, to)
    except service.OperationNotFound:
        raise HTTPException(404, NO_OPERATION) from None
    except service.OperationConflict as conflict:
        return _redirect(request, f"/operations/{operation_id}", conflict.message, "important")
    said = "started: officers can now record attempts" if to == "active" else "closed"
    return _redirect(request, f"/operations/{operation_id}", f"{operation.name} {said}.")


# -- targets -----------------------------------------------------------------------------------------------

@router.get("/operations/{operation_id}/targets/add")
async def add_targets_form(request: Request, operation_id: Id, db: DbSession, actor: Writer) -> Response:
    return await _add_form(request, db, actor, operation_id)


@router.post("/operations/{operation_id}/targets/add")
async def add_targets(request: Request, operation_id: Id, db: DbSession, actor: Writer) -> Response:
    form = await request.form()
    values = _posted(form)
    values["entries"] = [v for v in form.getlist("entry") if isinstance(v, str)][:200]
    values["suspects"] = [v for v in form.getlist("suspect") if isinstance(v, str)][:200]
    team = forms.text(values, "team", 30)
    new = targets.NewTargets(entry_ids=_numbers(values["entries"]), suspect_ids=_numbers(values["suspects"]),
                             team_kind=forms.text(values, "team_kind", 30) or None,
                             team_id=_number(team) if team else None)
    errors: dict[str, str] = {}
    if team and new.team_id is None:
        errors["team"] = "Choose a team of your force"
    try:
        if errors:
            raise service.OperationRefused(errors)
        added = await targets.add_targets(db, actor, operation_id, new)
    except service.OperationNotFound:
        raise HTTPException(404, NO_OPERATION) from None
    except service.OperationConflict as conflict:
        return await _add_form(request, db, actor, operation_id, errors={"chosen": conflict.message}, values=values,
                               status_code=409)
    except service.OperationRefused as refused:
        return await _add_form(request, db, actor, operation_id, errors=refused.errors, values=values,
                               status_code=400)
    warned = bool(added.skipped or added.overlaps)
    return _redirect(request, f"/operations/{operation_id}", " ".join(added.messages)[:1500],
                     "important" if warned else "success")


async def _add_form(request: Request, db: DbSession, actor: Actor, operation_id: int, *,
                    errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                    status_code: int = 200) -> Response:
    try:
        operation = await service.load_operation(db, operation_id)
    except service.OperationNotFound:
        raise HTTPException(404, NO_OPERATION) from None
    found = await targets.candidates(db, actor, operation)
    return render(request, "operations/add_targets.html", {
        "operation": operation, "c": found, "errors": errors or {},
        "values": values or {"entries": [], "suspects": []}, "team_kinds": TEAM_KIND_OPTIONS,
        "teams": _teams(await service.force_teams(db, actor)), "uk_time": uk_time,
        "title": ("Error: " if errors else "") + f"Choose targets for {operation.name}"}, status_code=status_code)


@router.get("/operations/{operation_id}/targets/{target_id}")
async def target_page(request: Request, operation_id: Id, target_id: Id, db: DbSession, actor: Reader) -> Response:
    return await _target_page(request, db, actor, operation_id, target_id)


@router.post("/operations/{operation_id}/targets/{target_id}/team")
async def change_team(request: Request, operation_id: Id, target_id: Id, db: DbSession, actor: Writer) -> Response:
    values = _posted(await request.form())
    team = forms.text(values, "team", 30)

    async def change() -> None:
        if team and _number(team) is None:
            raise service.OperationRefused({"team": "Choose a team of your force"})
        await targets.set_team(db, actor, operation_id, target_id, team_kind=forms.text(values, "team_kind", 30),
                               team_id=_number(team) if team else None)

    return await _change_target(request, db, actor, operation_id, target_id, values, change(),
                                conflict_field="team_kind", done="Team changed.")


@router.post("/operations/{operation_id}/targets/{target_id}/withdraw")
async def withdraw_target(request: Request, operation_id: Id, target_id: Id, db: DbSession, actor: Writer
                          ) -> Response:
    values = _posted(await request.form())
    withdrawal = targets.withdraw(db, actor, operation_id, target_id, reason=forms.text(values, "reason", 1100))
    return await _change_target(request, db, actor, operation_id, target_id, values, withdrawal,
                                conflict_field="reason", done="Target withdrawn.")


async def _change_target(request: Request, db: DbSession, actor: Actor, operation_id: int, target_id: int,
                         values: dict[str, Any], change: Awaitable[object], *, conflict_field: str,
                         done: str) -> Response:
    """Run one change to a target; on refusal show the target page again with the problem, else go back to it."""
    try:
        await change
    except service.OperationNotFound:
        raise HTTPException(404, NO_TARGET) from None
    except service.OperationConflict as conflict:
        return await _target_page(request, db, actor, operation_id, target_id,
                                  errors={conflict_field: conflict.message}, values=values, status_code=409)
    except service.OperationRefused as refused:
        return await _target_page(request, db, actor, operation_id, target_id, errors=refused.errors, values=values,
                                  status_code=400)
    return _redirect(request, f"/operations/{operation_id}/targets/{target_id}", done)


async def _target_page(request: Request, db: DbSession, actor: Actor, operation_id: int, target_id: int, *,
                       errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                       status_code: int = 200) -> Response:
    try:
        operation = await service.load_operation(db, operation_id)
        await service.load_target(db, operation, target_id)
    except service.OperationNotFound:
        raise HTTPException(404, NO_TARGET) from None
    target = (await service.target_views(db, operation, target_id=target_id))[0]
    planned = await service.attempt_views(db, operation, target_id=target_id)
    await service.audit_people(db, actor, operation, [target.person_id], page="target")
    if values is None:
        values = {"team_kind": target.team_kind or "", "team": str(target.team_id or "")}
    return render(request, "operations/target.html", {
        "operation": operation, "t": target, "attempts": planned, "errors": errors or {}, "values": values,
        "team_kinds": TEAM_KIND_OPTIONS, "teams": _teams(await service.force_teams(db, actor)), "uk_time": uk_time,
        "can_write": actor.can(P.OPERATION_WRITE), "can_record": actor.can(P.ATTEMPT_WRITE),
        "title": ("Error: " if errors else "") + f"{target.display_name}: target of {operation.name}"},
        status_code=status_code)


# -- planning an attempt -----------------------------------------------------------------------------------

@router.get("/operations/{operation_id}/targets/{target_id}/attempts/new")
async def plan_form(request: Request, operation_id: Id, target_id: Id, db: DbSession, actor: Recorder) -> Response:
    return await _plan_form(request, db, actor, operation_id, target_id)


@router.post("/operations/{operation_id}/targets/{target_id}/attempts/new")
async def plan_attempt(request: Request, operation_id: Id, target_id: Id, db: DbSession, actor: Recorder
                       ) -> Response:
    values = _posted(await request.form())
    errors: dict[str, str] = {}
    at = forms.form_when(values, errors, "planned_at", "of the attempt")
    team = forms.text(values, "team", 30)
    new = attempts.NewAttempt(target_id=target_id, planned_at=at, address=forms.text(values, "address", 600),
                              team_id=_number(team) if team else None)
    try:
        operation = await service.load_operation(db, operation_id)
        await service.load_target(db, operation, target_id)
        if errors:
            try:
                await _dry_run(db, attempts.plan_attempt(db, actor, operation_id, attempts.NewAttempt(
                    target_id, datetime.now(UTC), new.address, new.team_id)))
            except service.OperationRefused as refused:
                errors = {**{k: v for k, v in refused.errors.items() if k != "planned_at"}, **errors}
            raise service.OperationRefused(errors)
        await attempts.plan_attempt(db, actor, operation_id, new)
    except service.OperationNotFound:
        raise HTTPException(404, NO_TARGET) from None
    except service.OperationConflict as conflict:
        return await _plan_form(request, db, actor, operation_id, target_id, errors={"target_id": conflict.message},
                                values=values, status_code=409)
    except service.OperationRefused as refused:
        return await _plan_form(request, db, actor, operation_id, target_id,
                                errors=_anchored(refused.errors, PLAN_ANCHORS), values=values, status_code=400)
    assert at is not None
    return _redirect(request, f"/operations/{operation_id}/targets/{target_id}",
                     f"Attempt planned for {uk_time(at):%d %B %Y at %H:%M}.")


async def _plan_form(request: Request, db: DbSession, actor: Actor, operation_id: int, target_id: int, *,
                     errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                     status_code: int = 200) -> Response:
    try:
        operation = await service.load_operation(db, operation_id)
        await service.load_target(db, operation, target_id)
    except service.OperationNotFound:
        raise HTTPException(404, NO_TARGET) from None
    target = (await service.target_views(db, operation, target_id=target_id))[0]
    known = await attempts.current_address(db, target.person_id)
    await service.audit_people(db, actor, operation, [target.person_id], page="plan attempt")
    if values is None:
        values = {**forms.when_values("planned_at", None), "address": known[1] if known else "",
                  "team": str(target.team_id or actor.team_id or "")}
        today = service.uk_today()
        if operation.starts_on <= today <= operation.ends_on:
            values.update({"planned_at_day": str(today.day), "planned_at_month": str(today.month),
                           "planned_at_year": str(today.year)})
    return render(request, "operations/plan.html", {
        "operation": operation, "t": target, "known_address": known[1] if known else None, "errors": errors or {},
        "values": values, "teams": _teams(await service.force_teams(db, actor)),
        "title": ("Error: " if errors else "") + f"Plan an arrest attempt: {target.display_name}"},
        status_code=status_code)


# -- the officers' phone pages -----------------------------------------------------------------------------

@router.get("/operations/{operation_id}/attempts")
async def todays_attempts(request: Request, operation_id: Id, db: DbSession, actor: Reader) -> Response:
    try:
        operation, found = await attempts.todays_attempts(db, actor, operation_id)
    except service.OperationNotFound:
        raise HTTPException(404, NO_OPERATION) from None
    return render(request, "operations/attempts.html", {
        "operation": operation, "attempts": found, "uk_time": uk_time, "team_id": actor.team_id,
        "today": service.uk_today(), "title": f"Today's arrest attempts: {operation.name}"})


@router.get("/operations/{operation_id}/attempts/{attempt_id}")
async def attempt_page(request: Request, operation_id: Id, attempt_id: Id, db: DbSession, actor: Reader) -> Response:
    return await _attempt_page(request, db, actor, operation_id, attempt_id)


@router.post("/operations/{operation_id}/attempts/{attempt_id}")
async def record_attempt(request: Request, operation_id: Id, attempt_id: Id, db: DbSession, actor: Recorder
                         ) -> Response:
    form = await request.form()
    values = _posted(form)
    values["offences"] = [v for v in form.getlist("offence") if isinstance(v, str)][:40]
    errors: dict[str, str] = {}
    at = forms.form_when(values, errors, "attempted_at", "of the attempt")
    outcome = attempts.Outcome(outcome=forms.text(values, "outcome", 30), attempted_at=at or datetime.now(UTC),
                               notes=forms.text(values, "notes", 2100) or None, offence_codes=values["offences"],
                               place=forms.text(values, "place", 600) or None)
    try:
        if errors:
            # The other fields are checked as well, so that one submission shows every problem.
            try:
                await _dry_run(db, attempts.record_outcome(db, actor, operation_id, attempt_id, outcome))
            except service.OperationRefused as refused:
                errors = {**{k: v for k, v in refused.errors.items() if k != "attempted_at"}, **errors}
            raise service.OperationRefused(errors)
        attempt = await attempts.record_outcome(db, actor, operation_id, attempt_id, outcome)
    except service.OperationNotFound:
        raise HTTPException(404, NO_ATTEMPT) from None
    except service.OperationConflict as conflict:
        return await _attempt_page(request, db, actor, operation_id, attempt_id, errors={"outcome": conflict.message},
                                   values=values, status_code=409)
    except service.OperationRefused as refused:
        return await _attempt_page(request, db, actor, operation_id, attempt_id,
                                   errors=_anchored(refused.errors, OUTCOME_ANCHORS), values=values,
                                   status_code=400)
    said = OUTCOME_LABELS[attempt.outcome or ""]
    message = (f"Arrest recorded (arrest {attempt.arrest_id}). The custody clock is running."
               if attempt.arrest_id else f"Attempt recorded: {said.lower()}.")
    return _redirect(request, f"/operations/{operation_id}/attempts", message)


async def _dry_run(db: DbSession, action: Awaitable[object]) -> None:
    """Run a service call for its checks only, inside a savepoint that is always rolled back: a form with a
    field the page could not read still shows every other problem in one go, and nothing is saved."""
    savepoint = await db.begin_nested()
    try:
        await action
    finally:
        await savepoint.rollback()


async def _attempt_page(request: Request, db: DbSession, actor: Actor, operation_id: int, attempt_id: int, *,
                        errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                        status_code: int = 200) -> Response:
    try:
        page = await attempts.read_attempt(db, actor, operation_id, attempt_id)
    except service.OperationNotFound:
        raise HTTPException(404, NO_ATTEMPT) from None
    if values is None:
        values = {**forms.when_values("attempted_at", datetime.now(UTC)),
                  "offences": [code for code, _ in page.crime_offences]}
    return render(request, "operations/attempt.html", {
        "p": page, "a": page.attempt, "t": page.target, "operation": page.operation, "errors": errors or {},
        "values": values, "outcomes": OUTCOME_OPTIONS, "uk_time": uk_time,
        "can_record": actor.can(P.ATTEMPT_WRITE), "can_arrest": actor.can(P.ARREST_WRITE),
        "can_write_crimes": actor.can(P.CRIME_WRITE),
        "title": ("Error: " if errors else "") + f"Arrest attempt: {page.target.display_name}"},
        status_code=status_code)
