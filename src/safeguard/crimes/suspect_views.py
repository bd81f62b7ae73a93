"""Suspect pages: the wanted list, a suspect with their history, and the status form that moves them on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import forms, suspects
from safeguard.crimes import offences as catalogue
from safeguard.crimes.rules import AUTHORITY_LABELS, rules_for
from safeguard.crimes.service import CrimeRefused, uk_time
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

SuspectId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.CRIME_READ))]
Writer = Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]
Filter = Annotated[str, Query(max_length=40)]

NOT_FOUND = "There is no suspect with that number in your force."
# Each service field, and the element its error-summary link goes to.
ANCHORS = {"to": "to", "at": "at_day", "reason": "reason", "circulation_note": "circulation_note",
           "bail_starts_on": "bail_starts_on_day", "bail_return_on": "bail_return_on_day",
           "bail_authority": "bail_authority", "bail_conditions": "conditions",
           "bail_victim_views": "bail_victim_views"}


@router.get("/crimes/wanted")
async def wanted_page(request: Request, db: DbSession, actor: Reader, area: Filter = "", da: Filter = "",
                      category: Filter = "", min_harm: Filter = "") -> Response:
    """Suspects wanted now: an investigator's working list, filtered by area, DA and harm."""
    errors: dict[str, str] = {}
    area_id = None
    if area.strip():
        if area.strip().isdigit() and int(area) <= 2**62:
            area_id = int(area)
        else:
            errors["area"] = "Choose an area of your force"
    harm = None
    if min_harm.strip():
        try:
            harm = Decimal(min_harm.strip())
        except InvalidOperation:
            errors["min_harm"] = "The least harm weight must be a number, 0 or more"
    wanted = suspects.WantedFilter(area_id=area_id, da_only=da == "yes", category=category.strip() or None,
                                   min_harm=harm)
    area_options = await suspects.areas(db)
    errors = {**suspects.wanted_filter_problems([a for a, _ in area_options], wanted), **errors}
    items = [] if errors else await suspects.wanted_list(db, actor, wanted)
    return render(request, "crimes/wanted.html", {
        "items": items, "errors": errors, "areas": area_options, "uk_time": uk_time,
        "categories": list(catalogue.CATEGORY_LABELS.items()), "limit": suspects.WANTED_LIMIT,
        "values": {"area": area, "da": da, "category": category, "min_harm": min_harm},
        "now": datetime.now(UTC), "title": ("Error: " if errors else "") + "Wanted suspects",
        "harm_caveat": catalogue.HARM_CAVEAT}, status_code=400 if errors else 200)


@router.get("/crimes/suspects/{suspect_id}")
async def suspect_page(request: Request, suspect_id: SuspectId, db: DbSession, actor: Reader) -> Response:
    try:
        suspect = await suspects.read_suspect(db, actor, suspect_id)
    except suspects.SuspectNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    return render(request, "crimes/suspect.html", {
        "s": suspect, "uk_time": uk_time, "can_write": actor.can(P.CRIME_WRITE),
        "can_arrest": actor.can(P.ARREST_WRITE),
        "action_labels": suspects.ACTION_LABELS, "title": f"Suspect {suspect.person.display_name}"})


@router.get("/crimes/suspects/{suspect_id}/status")
async def status_form(request: Request, suspect_id: SuspectId, db: DbSession, actor: Writer,
                      to: Filter = "") -> Response:
    """The form for one step (`?to=wanted`), or a choice of the steps allowed now."""
    return await _status_form(request, db, actor, suspect_id, to)


@router.post("/crimes/suspects/{suspect_id}/status")
async def change_status(request: Request, suspect_id: SuspectId, db: DbSession, actor: Writer) -> Response:
    form = dict((await request.form()).multi_items())
    to = forms.text(form, "to", 40)
    errors: dict[str, str] = {}
    at = forms.form_when(form, errors, "at", "of this step")
    bail = None
    if to == "bailed":
        starts = forms.form_date(form, errors, "bail_starts_on", "bail started", required=False)
        returns = forms.form_date(form, errors, "bail_return_on", "the suspect must return on bail")
        rules = (await rules_for(db, actor.force_id)).bail
        conditions = [{"kind": kind, "detail": forms.text(form, f"condition-{kind}", 600)}
                      for kind, _ in rules.condition_kinds if forms.text(form, f"condition-{kind}", 600)]
        bail = suspects.BailTerms(return_on=returns, authority=forms.text(form, "bail_authority", 40),
                                  conditions=conditions, starts_on=starts,
                                  victim_views=forms.text(form, "bail_victim_views", 2100) or None)
    step = suspects.Step(to=to, at=at, reason=forms.text(form, "reason", 1100),
                         circulated=form.get("circulated") == "yes",
                         circulation_note=forms.text(form, "circulation_note", 1100), bail=bail)
    try:
        if errors:
            # Report the service's own findings too, so every problem is named at once.
            raise CrimeRefused({**await suspects.step_problems(db, actor, suspect_id, step), **errors})
        await suspects.change_status(db, actor, suspect_id, step)
    except suspects.SuspectNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except CrimeRefused as refused:
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return await _status_form(request, db, actor, suspect_id, to, errors=_anchored(refused.errors),
                                  values=values, status_code=400)
    response = RedirectResponse(f"/crimes/suspects/{suspect_id}", status_code=303)
    flash(request, response, f"Suspect {suspects.DONE.get(to, to)}.")
    return response


# -- helpers --------------------------------------------------------------------------------------

def _anchored(errors: dict[str, str]) -> dict[str, str]:
    anchored: dict[str, str] = {}
    for name, message in errors.items():
        anchored.setdefault(ANCHORS.get(name, name), message)
    return anchored


async def _status_form(request: Request, db: DbSession, actor: Actor, suspect_id: int, to: str, *,
                       errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                       status_code: int = 200) -> Response:
    try:
        suspect = await suspects.read_suspect(db, actor, suspect_id, reason="changing the suspect's status")
    except suspects.SuspectNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    choices = [(target, suspects.ACTION_LABELS[target]) for target, how in suspect.next_steps
               if how == suspects.STEP]
    rules = (await rules_for(db, actor.force_id)).bail
    chosen = to if to in dict(choices) else ""
    refusal = None
    if to and not chosen:
        refusal = suspects.why_not(suspect.status, to, how=suspects.STEP) if to in suspects.DONE else None
        refusal = refusal or "Choose what happens next"
    current_bail = suspect.current_bail
    if values is None:
        values = forms.when_values("at", datetime.now(UTC))
        if chosen == "bailed" and current_bail is not None:
            values.update(forms.date_values("bail_return_on", current_bail.return_on))
            values["bail_authority"] = current_bail.authority
            values.update({f"condition-{kind}": detail for kind, _, detail in current_bail.conditions})
            values["bail_victim_views"] = current_bail.victim_views or ""
    errors = errors or {}
    if refusal and not errors:
        errors = {"to": refusal}
    authorities = [(authority, f"{AUTHORITY_LABELS[authority]}: up to {months} months from the bail start")
                   for authority, months in rules.periods]
    title = suspects.ACTION_LABELS.get(chosen, "What happens next")
    return render(request, "crimes/status.html", {
        "s": suspect, "to": chosen, "choices": choices, "errors": errors, "values": values,
        "authorities": authorities, "condition_kinds": rules.condition_kinds, "current_bail": current_bail,
        "uk_time": uk_time, "title": ("Error: " if errors else "") + title, "heading": title},
        status_code=status_code if not (refusal and status_code == 200) else 400)
