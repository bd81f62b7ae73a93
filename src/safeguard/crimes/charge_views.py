"""Charging pages: charge a suspect, and give a crime its Home Office outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import charges, forms, suspects
from safeguard.crimes import offences as catalogue
from safeguard.crimes.rules import rules_for
from safeguard.crimes.service import CrimeNotFound, CrimeRefused, read_crime, uk_time
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**62)]
Writer = Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]

NO_SUSPECT = "There is no suspect with that number in your force."
NO_CRIME = "There is no crime with that number in your force."
CHARGE_ANCHORS = {"suspect": "suspect", "method": "method", "offences": "offences", "decided_by": "decided_by",
                  "code_test": "code_test", "charged_at": "charged_at_day", "first_court_date": "first_court_date_day",
                  "court": "court", "remanded": "remanded", "bail_conditions": "conditions"}
OUTCOME_ANCHORS = {"code": "code", "at": "at_day", "note": "note"}


def _anchored(errors: dict[str, str], anchors: dict[str, str]) -> dict[str, str]:
    anchored: dict[str, str] = {}
    for name, message in errors.items():
        anchored.setdefault(anchors.get(name, name), message)
    return anchored


@router.get("/crimes/suspects/{suspect_id}/charge")
async def charge_form(request: Request, suspect_id: Id, db: DbSession, actor: Writer) -> Response:
    return await _charge_form(request, db, actor, suspect_id)


@router.post("/crimes/suspects/{suspect_id}/charge")
async def charge(request: Request, suspect_id: Id, db: DbSession, actor: Writer) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}
    values["offences"] = [v for v in form.getlist("offence") if isinstance(v, str)][:40]
    errors: dict[str, str] = {}
    at = forms.form_when(values, errors, "charged_at", "of the charge")
    court_date = forms.form_date(values, errors, "first_court_date", "of the first court hearing")
    method = forms.text(values, "method", 30)
    custody = forms.text(values, "remanded", 10)
    if method == "charge" and custody not in ("remand", "bail"):
        errors["remanded"] = "Choose whether the suspect is remanded in custody or bailed to court"
    rules = (await rules_for(db, actor.force_id)).bail
    conditions = [{"kind": kind, "detail": forms.text(values, f"condition-{kind}", 600)}
                  for kind, _ in rules.condition_kinds if forms.text(values, f"condition-{kind}", 600)]
    new = charges.NewCharge(offence_codes=values["offences"], decided_by=forms.text(values, "decided_by", 10),
                            method=method, code_test=forms.text(values, "code_test", 20) or None,
                            charged_at=at, remanded=custody == "remand", first_court_date=court_date,
                            court=forms.text(values, "court", 300) or None, bail_conditions=conditions)
    try:
        if errors:
            try:
                await charges.charge_suspect(db, actor, suspect_id, new, dry_run=True)
            except CrimeRefused as refused:
                errors = {**refused.errors, **errors}
            raise CrimeRefused(errors)
        await charges.charge_suspect(db, actor, suspect_id, new)
    except suspects.SuspectNotFound:
        raise HTTPException(404, NO_SUSPECT) from None
    except CrimeRefused as refused:
        return await _charge_form(request, db, actor, suspect_id, errors=_anchored(refused.errors, CHARGE_ANCHORS),
                                  values=values, status_code=400)
    response = RedirectResponse(f"/crimes/suspects/{suspect_id}", status_code=303)
    flash(request, response, f"Suspect charged: {charges.METHOD_LABELS.get(method, method).lower()}.")
    return response


async def _charge_form(request: Request, db: DbSession, actor: Actor, suspect_id: int, *,
                       errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                       status_code: int = 200) -> Response:
    try:
        suspect = await suspects.read_suspect(db, actor, suspect_id, reason="charging the suspect")
    except suspects.SuspectNotFound:
        raise HTTPException(404, NO_SUSPECT) from None
    crime = await read_crime(db, actor, suspect.crime_id, reason="charging a suspect")
    rules = await rules_for(db, actor.force_id)
    if values is None:
        values = {**forms.when_values("charged_at", datetime.now(UTC)),
                  "offences": [o.code for o in crime.offences if o.active],
                  "method": "charge" if suspect.arrests else "summons", "decided_by": "cps",
                  "remanded": "bail"}
    groups: dict[str, list[Any]] = {}
    for offence in await catalogue.catalogue(db):
        groups.setdefault(offence.category, []).append(offence)
    refusal = suspects.why_not(suspect.status, "charged")  # None when some way of charging is open
    errors = errors or {}
    if refusal and not errors:
        errors = {"suspect": refusal}
    return render(request, "crimes/charge.html", {
        "s": suspect, "crime": crime, "errors": errors, "values": values,
        "groups": [(catalogue.category_label(c), items) for c, items in groups.items()],
        "methods": list(charges.METHOD_LABELS.items()), "condition_kinds": rules.bail.condition_kinds,
        "police_may_charge_da": rules.charging.police_may_charge_da,
        "title": ("Error: " if errors else "") + "Charge the suspect"},
        status_code=400 if (refusal and status_code == 200) else status_code)


# -- outcomes ----------------------------------------------------------------------------------------------

@router.get("/crimes/{crime_id}/outcome")
async def outcome_form(request: Request, crime_id: Id, db: DbSession, actor: Writer) -> Response:
    return await _outcome_form(request, db, actor, crime_id)


@router.post("/crimes/{crime_id}/outcome")
async def record_outcome(request: Request, crime_id: Id, db: DbSession, actor: Writer) -> Response:
    values = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str) and k != "csrf_token"}
    errors: dict[str, str] = {}
    at = forms.form_when(values, errors, "at", "of the outcome")
    try:
        if errors:
            raise CrimeRefused(errors)
        crime = await charges.record_outcome(db, actor, crime_id, code=forms.text(values, "code", 10), at=at,
                                             note=forms.text(values, "note", 2100) or None)
    except CrimeNotFound:
        raise HTTPException(404, NO_CRIME) from None
    except CrimeRefused as refused:
        return await _outcome_form(request, db, actor, crime_id, errors=_anchored(refused.errors, OUTCOME_ANCHORS),
                                   values=values, status_code=400)
    response = RedirectResponse(f"/crimes/{crime_id}", status_code=303)
    flash(request, response, f"Outcome {crime.outcome_code} recorded.")
    return response


async def _outcome_form(request: Request, db: DbSession, actor: Actor, crime_id: int, *,
                        errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                        status_code: int = 200) -> Response:
    try:
        crime = await read_crime(db, actor, crime_id, reason="recording the outcome")
    except CrimeNotFound:
        raise HTTPException(404, NO_CRIME) from None
    if values is None:
        values = {**forms.when_values("at", datetime.now(UTC)), "code": crime.outcome.code if crime.outcome else ""}
    kinds = await charges.outcome_types(db)
    return render(request, "crimes/outcome.html", {
        "crime": crime, "errors": errors or {}, "values": values, "uk_time": uk_time,
        "options": [(k.code, f"{k.code}: {k.title}") for k in kinds],
        "kinds": {k.code: k for k in kinds},
        "title": ("Error: " if errors else "") + f"Outcome of crime {crime.reference}"}, status_code=status_code)
