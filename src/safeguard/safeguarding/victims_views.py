"""Victims' Code pages: entitlements due (mine first), a victim's entitlements and contact log, one entitlement,
and the supervisors' overdue list with its CSV export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.service import uk_time
from safeguard.imports.csvfiles import csv_text
from safeguard.safeguarding import victims_code as service
from safeguard.safeguarding.disclosure_views import anchored, form_datetime, now_values
from safeguard.safeguarding.safe_contact import safe_contact_for
from safeguard.web.deps import DbSession, Requires
from safeguard.web.downloads import csv_attachment
from safeguard.web.templating import flash, render

router = APIRouter()

PersonId = Annotated[int, Path(ge=1, le=2**62)]
EntitlementId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_READ))]
Writer = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_WRITE))]
Supervisor = Annotated[Actor, Depends(Requires(P.VICTIMS_SUPERVISE))]
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=10_000)]

NOT_FOUND = "There is no such victim in your force."
ANCHORS = {"contacted_at": "contacted_at_day", "method": "method", "summary": "summary",
           "entitlement": "entitlement", "crime": "crime_id", "officer": "officer", "enhanced": "enhanced",
           "person": "crime_id", "decision": "decision", "decided_at": "decided_at_day"}


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= 2**62 else None


@router.get("/victims-code")
async def victims_code_page(request: Request, db: DbSession, actor: Reader,
                            crime: Annotated[str, Query(max_length=40)] = "") -> Response:
    due = await service.due_entitlements(db, actor)
    found: dict[str, Any] | None = None
    errors: dict[str, str] = {}
    if crime.strip():
        row = await service.crime_by_reference(db, crime)
        if row is None:
            errors["crime"] = f"There is no crime {crime.strip()} in your force"
        else:
            _, victims = await service.victims_of_crime(db, actor, row.id)
            found = {"reference": row.reference, "id": row.id, "victims": victims}
    return render(request, "victims/index.html", {
        "due": due, "mine": [e for e in due if e.officer == actor.label],
        "others": [e for e in due if e.officer != actor.label], "found": found, "errors": errors,
        "values": {"crime": crime}, "uk_time": uk_time, "can_supervise": actor.can(P.VICTIMS_SUPERVISE),
        "title": ("Error: " if errors else "") + "Victims' Code"}, status_code=404 if errors else 200)


async def _person_page(request: Request, db: DbSession, actor: Actor, person_id: int, *,
                       errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                       status_code: int = 200) -> Response:
    try:
        record = await service.victim_record(db, actor, person_id)
    except service.VictimsCodeNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    open_entitlements = [e for e in record.entitlements if e.met_at is None]
    defaults: dict[str, Any] = {**now_values("contacted_at"), **now_values("decided_at"), "officer": actor.label,
                                "update_officer": actor.label}
    crime_options = [(str(c.id), c.reference + (" (domestic abuse)" if c.da_related else ""), c.opened)
                     for c in record.crimes]
    unopened = [(i, text) for i, text, opened in crime_options if not opened]
    opened = [(i, text) for i, text, opened in crime_options if opened]
    if len(unopened) == 1:
        defaults["crime_id"] = unopened[0][0]
    if len(opened) == 1:
        defaults["update_crime_id"] = opened[0][0]
    return render(request, "victims/person.html", {
        "record": record, "open_entitlements": open_entitlements, "uk_time": uk_time, "errors": errors or {},
        "values": {**defaults, **(values or {})}, "can_write": actor.can(P.SAFEGUARDING_WRITE),
        "methods": list(service.METHOD_LABELS.items()), "decisions": list(service.KEY_DECISIONS.items()),
        "safe_contact": await safe_contact_for(db, person_id), "safe_contact_name": record.name,
        "unopened": unopened, "opened": opened,
        "title": ("Error: " if errors else "") + f"Victims' Code: {record.name}"}, status_code=status_code)


@router.get("/victims-code/people/{person_id}")
async def victim_page(request: Request, person_id: PersonId, db: DbSession, actor: Reader) -> Response:
    return await _person_page(request, db, actor, person_id)


@router.post("/victims-code/people/{person_id}/contacts")
async def log_contact(request: Request, person_id: PersonId, db: DbSession, actor: Writer,
                      contacted_at_day: Short = "", contacted_at_month: Short = "", contacted_at_year: Short = "",
                      contacted_at_time: Short = "", method: Short = "", summary: Long = "",
                      entitlement: Short = "") -> Response:
    values = {"contacted_at_day": contacted_at_day, "contacted_at_month": contacted_at_month,
              "contacted_at_year": contacted_at_year, "contacted_at_time": contacted_at_time, "method": method,
              "summary": summary, "entitlement": entitlement}
    parse_errors: dict[str, str] = {}
    when = form_datetime(parse_errors, "contacted_at", "of the contact", contacted_at_day, contacted_at_month,
                         contacted_at_year, contacted_at_time)
    entitlement_id = _number(entitlement) if entitlement.strip() else None
    if entitlement.strip() and entitlement_id is None:
        parse_errors["entitlement"] = "Choose one of this victim's entitlements"
    new = service.NewContact(person_id=person_id, contacted_at=when, method=method, summary=summary,
                             entitlement_id=entitlement_id)
    try:
        if parse_errors:
            raise service.VictimsCodeRefused(parse_errors)
        await service.log_contact(db, actor, new)
    except service.VictimsCodeNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except service.VictimsCodeRefused as refused:
        return await _person_page(request, db, actor, person_id, errors=anchored(refused.errors, ANCHORS),
                                  values=values, status_code=400)
    response = RedirectResponse(f"/victims-code/people/{person_id}", status_code=303)
    flash(request, response, "Contact recorded." + (" The entitlement is met." if entitlement_id else ""))
    return response


@router.post("/victims-code/people/{person_id}/open")
async def open_entitlements(request: Request, person_id: PersonId, db: DbSession, actor: Writer,
                            crime_id: Short = "", officer: Short = "", enhanced: Short = "") -> Response:
    values = {"crime_id": crime_id, "officer": officer, "enhanced": enhanced}
    number = _number(crime_id)
    try:
        if number is None:
            raise service.VictimsCodeRefused({"crime": "Choose the crime the victim's entitlements are for"})
        rows = await service.open_for_crime(db, actor, crime_id=number, person_id=person_id, officer=officer,
                                            enhanced=True if enhanced == "yes" else None)
    except service.VictimsCodeNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except service.VictimsCodeRefused as refused:
        return await _person_page(request, db, actor, person_id, errors=anchored(refused.errors, ANCHORS),
                                  values=values, status_code=400)
    response = RedirectResponse(f"/victims-code/people/{person_id}", status_code=303)
    flash(request, response, f"{len(rows)} Victims' Code entitlements opened, due "
                             f"{uk_time(rows[0].due_at):%d %B %Y at %H:%M}.")
    return response


@router.post("/victims-code/people/{person_id}/updates")
async def add_update(request: Request, person_id: PersonId, db: DbSession, actor: Writer,
                     crime_id: Short = "", decision: Short = "", decided_at_day: Short = "",
                     decided_at_month: Short = "", decided_at_year: Short = "", decided_at_time: Short = "",
                     officer: Short = "") -> Response:
    values = {"update_crime_id": crime_id, "decision": decision, "decided_at_day": decided_at_day,
              "decided_at_month": decided_at_month, "decided_at_year": decided_at_year,
              "decided_at_time": decided_at_time, "update_officer": officer}
    parse_errors: dict[str, str] = {}
    decided_at = form_datetime(parse_errors, "decided_at", "of the decision", decided_at_day, decided_at_month,
                               decided_at_year, decided_at_time)
    number = _number(crime_id)
    if number is None:
        parse_errors["update_crime_id"] = "Choose the crime the decision was made in"
    try:
        if parse_errors:
            raise service.VictimsCodeRefused(parse_errors)
        assert number is not None
        row = await service.add_update(db, actor, crime_id=number, person_id=person_id, decision=decision,
                                       decided_at=decided_at, officer=officer)
    except service.VictimsCodeNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except service.VictimsCodeRefused as refused:
        anchors = {**ANCHORS, "crime": "update_crime_id", "person": "update_crime_id", "officer": "update_officer"}
        return await _person_page(request, db, actor, person_id, errors=anchored(refused.errors, anchors),
                                  values=values, status_code=400)
    response = RedirectResponse(f"/victims-code/people/{person_id}", status_code=303)
    flash(request, response, f"{row.what}: the victim is owed an update by {uk_time(row.due_at):%d %B %Y at %H:%M}.")
    return response


@router.get("/victims-code/entitlements/{entitlement_id}")
async def entitlement_page(request: Request, entitlement_id: EntitlementId, db: DbSession, actor: Reader
                           ) -> Response:
    try:
        entitlement, contacts = await service.read_entitlement(db, actor, entitlement_id)
    except service.VictimsCodeNotFound:
        raise HTTPException(404, "There is no such entitlement in your force.") from None
    return render(request, "victims/entitlement.html", {
        "e": entitlement, "contacts": contacts, "uk_time": uk_time,
        "safe_contact": await safe_contact_for(db, entitlement.person_id), "safe_contact_name": entitlement.person_name,
        "title": f"Victims' Code entitlement: {entitlement.what}"})


@router.get("/victims-code/overdue")
async def overdue_page(request: Request, db: DbSession, actor: Supervisor) -> Response:
    rows, by_officer = await service.overdue(db, actor)
    return render(request, "victims/overdue.html", {"rows": rows, "by_officer": by_officer, "uk_time": uk_time,
                                                    "now": datetime.now(UTC)})


@router.get("/victims-code/overdue.csv")
async def overdue_csv(db: DbSession, actor: Supervisor) -> Response:
    rows, _ = await service.overdue(db, actor)
    body = csv_text(service.OVERDUE_CSV_HEADER, service.overdue_rows(rows))
    return csv_attachment(body, f"victims-code-overdue-{datetime.now(UTC):%Y%m%d}.csv")
