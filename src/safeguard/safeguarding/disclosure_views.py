"""Clare's Law (DVDS) pages: open requests with their clocks, recording a request, and one request with its
steps, decision and disclosure. DISCLOSURE_READ to read, DISCLOSURE_WRITE to change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import forms
from safeguard.crimes.service import UK, uk_time
from safeguard.safeguarding import disclosure as service
from safeguard.safeguarding.safe_contact import safe_contact_for
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

DisclosureId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.DISCLOSURE_READ))]
Writer = Annotated[Actor, Depends(Requires(P.DISCLOSURE_WRITE))]
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=10_000)]

NOT_FOUND = "There is no Clare's Law request with that number in your force."
# Service fields, and the element each error-summary link goes to.
ANCHORS = {"person_at_risk": "person_at_risk", "subject": "subject", "route": "route",
           "applicant_name": "applicant_name", "applicant_relationship": "applicant_relationship",
           "received_at": "received_at_day", "decided_at": "decided_at_day", "disclosed_at": "disclosed_at_day",
           "status": "to", "note": "note", "decision": "decision", "rationale": "rationale",
           "disclosure": "disclosed_to", "disclosed_to": "disclosed_to", "disclosure_text": "disclosure_text"}


def form_datetime(errors: dict[str, str], key: str, label: str, day: str, month: str, year: str,
                  clock: str) -> datetime | None:
    """A date and an optional 24-hour time typed in UK local time; an error keyed `<key>_day` names what to fix."""
    return forms.parse_when(errors, f"{key}_day", label, day, month, year, clock, time_required=False,
                            example="14:30")


def now_values(key: str, at: datetime | None = None) -> dict[str, str]:
    local = uk_time(at or datetime.now(UK))
    return {f"{key}_day": str(local.day), f"{key}_month": str(local.month), f"{key}_year": str(local.year),
            f"{key}_time": local.strftime("%H:%M")}


def anchored(errors: dict[str, str], anchors: dict[str, str]) -> dict[str, str]:
    return {anchors.get(name, name): message for name, message in errors.items()}


def _person_number(errors: dict[str, str], key: str, what: str, typed: str) -> int | None:
    digits = typed.strip().lower().removeprefix("person").strip()
    if not digits:
        return None
    if not digits.isdigit() or not 1 <= int(digits) <= 2**62:
        errors[key] = f"The {what}: '{typed.strip()}' is not a person number, like 1234"
        return None
    return int(digits)


@router.get("/disclosures")
async def disclosures_page(request: Request, db: DbSession, actor: Reader) -> Response:
    requests = await service.open_requests(db, actor)
    return render(request, "disclosures/list.html", {
        "requests": requests, "can_write": actor.can(P.DISCLOSURE_WRITE), "uk_time": uk_time,
        "target_days": (await service.rules_for(db, actor.force_id)).target_days})


def _new_context(values: dict[str, Any], errors: dict[str, str], target_days: int) -> dict[str, Any]:
    return {"values": values, "errors": errors, "target_days": target_days,
            "routes": list(service.ROUTE_LABELS.items()),
            "title": ("Error: " if errors else "") + "Record a Clare's Law request"}


@router.get("/disclosures/new")
async def new_disclosure_page(request: Request, db: DbSession, actor: Writer,
                              person: Annotated[str, Query(max_length=40)] = "") -> Response:
    values = {"person_at_risk": person.strip(), "route": "right-to-ask", **now_values("received_at")}
    rules = await service.rules_for(db, actor.force_id)
    return render(request, "disclosures/new.html", _new_context(values, {}, rules.target_days))


@router.post("/disclosures/new")
async def record_disclosure_request(
        request: Request, db: DbSession, actor: Writer, route: Short = "", person_at_risk: Short = "",
        subject: Short = "", applicant_name: Short = "", applicant_relationship: Short = "",
        received_at_day: Short = "", received_at_month: Short = "", received_at_year: Short = "",
        received_at_time: Short = "") -> Response:
    values = {"route": route, "person_at_risk": person_at_risk, "subject": subject, "applicant_name": applicant_name,
              "applicant_relationship": applicant_relationship, "received_at_day": received_at_day,
              "received_at_month": received_at_month, "received_at_year": received_at_year,
              "received_at_time": received_at_time}
    parse_errors: dict[str, str] = {}
    at_risk = _person_number(parse_errors, "person_at_risk", "person at risk", person_at_risk)
    subject_id = _person_number(parse_errors, "subject", "partner or ex-partner", subject)
    received = form_datetime(parse_errors, "received_at", "the request was received", received_at_day,
                             received_at_month, received_at_year, received_at_time)
    new = service.NewRequest(route=route, person_at_risk_id=at_risk, subject_id=subject_id,
                             applicant_name=applicant_name, applicant_relationship=applicant_relationship,
                             received_at=received)
    try:
        if parse_errors:
            problems = await service.request_problems(db, actor, new)
            raise service.DisclosureRefused({**anchored(problems, ANCHORS), **parse_errors})
        created = await service.record_request(db, actor, new)
    except service.DisclosureRefused as refused:
        rules = await service.rules_for(db, actor.force_id)
        errors = anchored(refused.errors, ANCHORS)
        order = ["route", "person_at_risk", "subject", "applicant_name", "applicant_relationship", "received_at_day"]
        errors = dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))
        return render(request, "disclosures/new.html", _new_context(values, errors, rules.target_days),
                      status_code=400)
    response = RedirectResponse(f"/disclosures/{created.id}", status_code=303)
    flash(request, response, f"Clare's Law request {created.reference} recorded.")
    return response


async def _detail(request: Request, db: DbSession, actor: Actor, disclosure_id: int, *,
                  errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                  status_code: int = 200) -> Response:
    try:
        view = await service.read_request(db, actor, disclosure_id)
    except service.DisclosureNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    defaults = {**now_values("decided_at"), **now_values("disclosed_at")}
    if view.decision == "disclose" and not view.disclosed_to and view.applicant_relationship.lower() == "self":
        defaults["disclosed_to"] = view.person_at_risk_name
    return render(request, "disclosures/request.html", {
        "r": view, "uk_time": uk_time, "errors": errors or {}, "values": {**defaults, **(values or {})},
        "can_write": actor.can(P.DISCLOSURE_WRITE), "status_labels": service.STATUS_LABELS,
        "decisions": list(service.DECISION_LABELS.items()), "decidable": view.status in service.DECIDABLE,
        "safe_contact": await safe_contact_for(db, view.person_at_risk_id),
        "safe_contact_name": view.person_at_risk_name,
        "title": ("Error: " if errors else "") + f"Clare's Law request {view.reference}"}, status_code=status_code)


@router.get("/disclosures/{disclosure_id}")
async def disclosure_page(request: Request, disclosure_id: DisclosureId, db: DbSession, actor: Reader) -> Response:
    return await _detail(request, db, actor, disclosure_id)


async def _exists(db: DbSession, disclosure_id: int) -> None:
    try:
        await service._load(db, disclosure_id)
    except service.DisclosureNotFound:
        raise HTTPException(404, NOT_FOUND) from None


@router.post("/disclosures/{disclosure_id}/step")
async def step(request: Request, disclosure_id: DisclosureId, db: DbSession, actor: Writer, to: Short = "",
               note: Long = "") -> Response:
    await _exists(db, disclosure_id)
    try:
        moved = await service.advance(db, actor, disclosure_id, to, note=note)
    except service.DisclosureRefused as refused:
        return await _detail(request, db, actor, disclosure_id, errors=anchored(refused.errors, ANCHORS),
                             values={"note": note}, status_code=400)
    response = RedirectResponse(f"/disclosures/{disclosure_id}", status_code=303)
    flash(request, response, f"Request {moved.reference}: {service.STATUS_LABELS[moved.status].lower()}.")
    return response


@router.post("/disclosures/{disclosure_id}/decision")
async def decision(request: Request, disclosure_id: DisclosureId, db: DbSession, actor: Writer,
                   decision: Short = "", rationale: Long = "", decided_at_day: Short = "",
                   decided_at_month: Short = "", decided_at_year: Short = "", decided_at_time: Short = "") -> Response:
    await _exists(db, disclosure_id)
    values = {"decision": decision, "rationale": rationale, "decided_at_day": decided_at_day,
              "decided_at_month": decided_at_month, "decided_at_year": decided_at_year,
              "decided_at_time": decided_at_time}
    parse_errors: dict[str, str] = {}
    decided_at = form_datetime(parse_errors, "decided_at", "of the decision", decided_at_day, decided_at_month,
                               decided_at_year, decided_at_time)
    try:
        if parse_errors:
            raise service.DisclosureRefused(parse_errors)
        decided = await service.decide(db, actor, disclosure_id, decision=decision, rationale=rationale,
                                       decided_at=decided_at)
    except service.DisclosureRefused as refused:
        return await _detail(request, db, actor, disclosure_id, errors=anchored(refused.errors, ANCHORS),
                             values=values, status_code=400)
    response = RedirectResponse(f"/disclosures/{disclosure_id}", status_code=303)
    flash(request, response, f"Decision recorded: {service.DECISION_LABELS[decided.decision or decision].lower()}.")
    return response


@router.post("/disclosures/{disclosure_id}/disclosure")
async def disclosure(request: Request, disclosure_id: DisclosureId, db: DbSession, actor: Writer,
                     disclosed_to: Short = "", disclosure_text: Long = "", disclosed_at_day: Short = "",
                     disclosed_at_month: Short = "", disclosed_at_year: Short = "",
                     disclosed_at_time: Short = "") -> Response:
    await _exists(db, disclosure_id)
    values = {"disclosed_to": disclosed_to, "disclosure_text": disclosure_text, "disclosed_at_day": disclosed_at_day,
              "disclosed_at_month": disclosed_at_month, "disclosed_at_year": disclosed_at_year,
              "disclosed_at_time": disclosed_at_time}
    parse_errors: dict[str, str] = {}
    disclosed_at = form_datetime(parse_errors, "disclosed_at", "of the disclosure", disclosed_at_day,
                                 disclosed_at_month, disclosed_at_year, disclosed_at_time)
    try:
        if parse_errors:
            raise service.DisclosureRefused(parse_errors)
        await service.record_disclosure(db, actor, disclosure_id, disclosed_to=disclosed_to,
                                        disclosed_at=disclosed_at, disclosure_text=disclosure_text)
    except service.DisclosureRefused as refused:
        return await _detail(request, db, actor, disclosure_id, errors=anchored(refused.errors, ANCHORS),
                             values=values, status_code=400)
    response = RedirectResponse(f"/disclosures/{disclosure_id}", status_code=303)
    flash(request, response, "Disclosure recorded.")
    return response
