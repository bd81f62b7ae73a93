"""Grading a contact with THRIVE, and closing it: the page and the API, under the same rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import grading
from safeguard.contact.models import GRADES
from safeguard.contact.rules import GRADE_LABELS
from safeguard.crimes.service import uk_time
from safeguard.web.api_errors import refusal
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**62)]
Writer = Annotated[Actor, Depends(Requires(P.CONTACT_WRITE))]
NO_CONTACT = "There is no contact with that number in your force."


# -- pages ------------------------------------------------------------------------------------------------

async def _grade_page(request: Request, db: DbSession, actor: Actor, contact_id: int, *,
                      errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                      status_code: int = 200) -> Response:
    try:
        view = await grading.read_grading(db, actor, contact_id)
    except grading.ContactNotFound:
        raise HTTPException(404, NO_CONTACT) from None
    values = dict(values or {})
    if not values and view.history:  # a re-grade starts from the last THRIVE record
        values = {**view.history[-1].thrive}
    values.setdefault("grade", view.contact.grade or view.suggestion.grade)
    return render(request, "grading/grade.html", {
        "title": f"Grade contact {view.contact.id}", "view": view, "contact": view.contact,
        "suggestion": view.suggestion, "history": list(reversed(view.history)), "thrive": grading.THRIVE,
        "grades": [(g, GRADE_LABELS[g]) for g in GRADES], "grade_labels": GRADE_LABELS,
        "errors": errors or {}, "values": values, "uk_time": uk_time}, status_code=status_code)


@router.get("/contacts/{contact_id}/grade")
async def grade_form(request: Request, contact_id: Id, db: DbSession, actor: Writer) -> Response:
    return await _grade_page(request, db, actor, contact_id)


@router.post("/contacts/{contact_id}/grade")
async def grade(request: Request, contact_id: Id, db: DbSession, actor: Writer) -> Response:
    form = await request.form()
    values = {k: v[:grading.TEXT_MAX + 10] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        entry = await grading.grade_contact(db, actor, contact_id, grade=values.get("grade") or None,
                                            thrive={k: values.get(k) for k in grading.THRIVE_KEYS},
                                            below_reason=values.get("below_reason"))
    except grading.ContactNotFound:
        raise HTTPException(404, NO_CONTACT) from None
    except grading.GradingRefused as refused:
        return await _grade_page(request, db, actor, contact_id, errors=refused.errors, values=values,
                                 status_code=400)
    response = RedirectResponse(f"/contacts/{contact_id}", status_code=303)
    flash(request, response, f"Contact graded: {GRADE_LABELS[entry.grade].lower()}.")
    return response


@router.post("/contacts/{contact_id}/close")
async def close(request: Request, contact_id: Id, db: DbSession, actor: Writer) -> Response:
    form = await request.form()
    reason = form.get("close_reason")
    reason = reason[:grading.REASON_MAX + 10] if isinstance(reason, str) else None
    try:
        await grading.close_contact(db, actor, contact_id, reason=reason)
    except grading.ContactNotFound:
        raise HTTPException(404, NO_CONTACT) from None
    except grading.GradingRefused as refused:
        return await _grade_page(request, db, actor, contact_id, errors=refused.errors,
                                 values={"close_reason": reason or ""}, status_code=400)
    response = RedirectResponse("/board", status_code=303)
    flash(request, response, f"Contact {contact_id} closed.")
    return response


# -- API --------------------------------------------------------------------------------------------------

class GradeIn(BaseModel):
    grade: str | None = Field(None, max_length=20, description="emergency, priority, scheduled or resolution")
    thrive: dict[str, str | None] = Field(default_factory=dict,
                                          description="threat, harm, risk, investigation, vulnerability, "
                                                      "engagement: text for each, all required")
    below_reason: str | None = Field(None, max_length=grading.REASON_MAX,
                                     description="Required when the grade is below the suggested grade")


class CloseIn(BaseModel):
    reason: str | None = Field(None, max_length=grading.REASON_MAX)


class GradeEntryOut(BaseModel):
    grade: str
    suggested_grade: str | None
    reasons: list[str]
    below_reason: str | None
    thrive: dict[str, str]
    graded_at: datetime
    graded_by: str


class GradingOut(BaseModel):
    contact_id: int
    status: str
    grade: str | None
    graded_at: datetime | None
    attend_by: datetime | None = Field(description="When officers should arrive; the clock runs from when the "
                                                   "contact was received, even after an upgrade")
    suggested_grade: str
    reasons: list[str]
    history: list[GradeEntryOut]


class ErrorOut(BaseModel):
    field: str
    message: str


class RefusedOut(BaseModel):
    detail: str
    errors: list[ErrorOut]


REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": RefusedOut, "description": "Nothing was saved; each field at fault is named"}}


def _refused(detail: str, errors: dict[str, str]) -> JSONResponse:
    names = {key: f"thrive.{key}" for key in grading.THRIVE_KEYS} | {"close_reason": "reason"}
    return refusal(detail, errors, names)


async def _out(db: DbSession, actor: Actor, contact_id: int) -> GradingOut:
    view = await grading.read_grading(db, actor, contact_id)
    return GradingOut(
        contact_id=view.contact.id, status=view.contact.status, grade=view.contact.grade,
        graded_at=view.contact.graded_at, attend_by=view.attend_by, suggested_grade=view.suggestion.grade,
        reasons=view.suggestion.reasons,
        history=[GradeEntryOut(grade=h.grade, suggested_grade=h.suggested_grade, reasons=h.reasons,
                               below_reason=h.below_reason, thrive=h.thrive, graded_at=h.graded_at,
                               graded_by=h.graded_by) for h in view.history])


@router.get("/api/v1/contacts/{contact_id}/grading", response_model=GradingOut, tags=["contacts"])
async def grading_api(contact_id: Id, db: DbSession,
                      actor: Annotated[Actor, Depends(Requires(P.CONTACT_READ))]) -> GradingOut:
    """The suggested grade with its reasons, the current grade and attendance time, and the grade history."""
    try:
        return await _out(db, actor, contact_id)
    except grading.ContactNotFound:
        raise HTTPException(404, f"No contact {contact_id}.") from None


@router.post("/api/v1/contacts/{contact_id}/grade", response_model=GradingOut, status_code=201,
             responses=REFUSED, tags=["contacts"])
async def grade_api(contact_id: Id, body: GradeIn, db: DbSession, actor: Writer) -> GradingOut | JSONResponse:
    """Grade or re-grade an open contact with its THRIVE record. Below the suggestion needs `below_reason`."""
    try:
        await grading.grade_contact(db, actor, contact_id, grade=body.grade, thrive=body.thrive,
                                    below_reason=body.below_reason, via="api")
    except grading.ContactNotFound:
        raise HTTPException(404, f"No contact {contact_id}.") from None
    except grading.GradingRefused as refused:
        return _refused("The contact was not graded.", refused.errors)
    return await _out(db, actor, contact_id)


@router.post("/api/v1/contacts/{contact_id}/close", response_model=GradingOut, responses=REFUSED,
             tags=["contacts"])
async def close_api(contact_id: Id, body: CloseIn, db: DbSession, actor: Writer) -> GradingOut | JSONResponse:
    """Close an open contact with a reason; it leaves the board."""
    try:
        await grading.close_contact(db, actor, contact_id, reason=body.reason, via="api")
    except grading.ContactNotFound:
        raise HTTPException(404, f"No contact {contact_id}.") from None
    except grading.GradingRefused as refused:
        return _refused("The contact was not closed.", refused.errors)
    return await _out(db, actor, contact_id)
