"""Custody pages: record an arrest, the people detained now, and a custody record with its clock and forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import custody, forms, suspects
from safeguard.crimes import offences as catalogue
from safeguard.crimes.clock import duration
from safeguard.crimes.rules import RANK_LABELS
from safeguard.crimes.service import CrimeRefused, read_crime, uk_time
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.CRIME_READ))]
Writer = Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]
# Response officers record the arrests they make (DESIGN.md); the rest of the custody record is the
# investigators'.
Arrester = Annotated[Actor, Depends(Requires(P.ARREST_WRITE))]

NO_ARREST = "There is no arrest with that number in your force."
NO_SUSPECT = "There is no suspect with that number in your force."
ARREST_ANCHORS = {"suspect": "suspect", "arrested_at": "arrested_at_day", "place": "place", "offences": "offences",
                  "team": "team", "arresting_officer": "arresting_officer", "operation": "operation",
                  "for_bail_breach": "for_bail_breach", "custody_station": "custody_station",
                  "arrived_at": "arrived_at_day", "authorised_at": "authorised_at_day", "da_related": "da_related"}
# Each custody form: the service's field -> the element its error links to.
FORM_ANCHORS = {
    "arrival": {"arrived_at": "arrived_at_day", "authorised_at": "authorised_at_day",
                "custody_station": "custody_station"},
    "review": {"reviewed_at": "reviewed_at_day", "by": "review_by", "rank": "review_rank", "note": "review_note"},
    "extension": {"at": "extension_at_day", "by": "extension_by", "rank": "extension_rank"},
    "warrant": {"issued_at": "issued_at_day", "until": "until_day", "court": "court"},
    "release": {"released_at": "released_at_day", "reason": "release_reason"},
}
LIMIT_LABELS = {"basic": "Basic limit (24 hours)", "superintendent": "Extended by a superintendent (36 hours)",
                "warrant": "Warrant of further detention"}


def _posted(form: Any) -> dict[str, Any]:
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}


def _anchored(errors: dict[str, str], anchors: dict[str, str]) -> dict[str, str]:
    return {anchors.get(name, name): message for name, message in errors.items()}


def _relative(now: datetime) -> Any:
    def relative(value: datetime) -> str:
        if value >= now:
            return f"in {duration(value - now)}"
        return f"{duration(now - value)} ago"
    return relative


# -- recording an arrest -----------------------------------------------------------------------------------

@router.get("/crimes/suspects/{suspect_id}/arrest")
async def arrest_form(request: Request, suspect_id: Id, db: DbSession, actor: Arrester) -> Response:
    return await _arrest_form(request, db, actor, suspect_id)


@router.post("/crimes/suspects/{suspect_id}/arrest")
async def record_arrest(request: Request, suspect_id: Id, db: DbSession, actor: Arrester) -> Response:
    form = await request.form()
    values = _posted(form)
    values["offences"] = [v for v in form.getlist("offence") if isinstance(v, str)][:40]
    errors: dict[str, str] = {}
    at = forms.form_when(values, errors, "arrested_at", "of the arrest")
    arrived = forms.form_when(values, errors, "arrived_at", "of the arrival at the station", required=False)
    authorised = forms.form_when(values, errors, "authorised_at", "detention was authorised", required=False)
    team = forms.text(values, "team", 30)
    operation = forms.text(values, "operation", 30)
    if operation and not operation.isdigit():
        errors["operation"] = "Choose the operation from the list, or regular response"
    da = forms.text(values, "da_related", 5)
    if da not in ("yes", "no"):
        errors["da_related"] = "Choose whether the arrest is for domestic abuse"
    new = custody.NewArrest(
        suspect_id=suspect_id, arrested_at=at, place=forms.text(values, "place", 600),
        offence_codes=values["offences"], team_id=int(team) if team.isdigit() and len(team) < 19 else None,
        arresting_officer=forms.text(values, "arresting_officer", 200) or None,
        operation_id=int(operation) if operation.isdigit() and len(operation) < 19 else None,
        da_related=da == "yes", for_bail_breach=values.get("for_bail_breach") == "yes",
        custody_station=forms.text(values, "custody_station", 200) or None, arrived_at_station=arrived,
        detention_authorised_at=authorised)
    try:
        if errors:
            try:
                await custody.record_arrest(db, actor, new, dry_run=True)
            except CrimeRefused as refused:
                errors = {**refused.errors, **errors}
            raise CrimeRefused(errors)
        arrest = await custody.record_arrest(db, actor, new)
    except suspects.SuspectNotFound:
        raise HTTPException(404, NO_SUSPECT) from None
    except CrimeRefused as refused:
        return await _arrest_form(request, db, actor, suspect_id, errors=_anchored(refused.errors, ARREST_ANCHORS),
                                  values=values, status_code=400)
    assert arrest is not None
    response = RedirectResponse(f"/crimes/custody/{arrest.id}", status_code=303)
    flash(request, response, "Arrest recorded. The custody clock is running.")
    return response


async def _arrest_form(request: Request, db: DbSession, actor: Actor, suspect_id: int, *,
                       errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                       status_code: int = 200) -> Response:
    try:
        suspect = await suspects.read_suspect(db, actor, suspect_id, reason="recording an arrest")
    except suspects.SuspectNotFound:
        raise HTTPException(404, NO_SUSPECT) from None
    crime = await read_crime(db, actor, suspect.crime_id, reason="recording an arrest")
    if values is None:
        values = {**forms.when_values("arrested_at", datetime.now(UTC)),
                  "offences": [o.code for o in crime.offences if o.active],
                  "da_related": "yes" if crime.da_related else "no",
                  "team": str(actor.team_id or "")}
    groups: dict[str, list[Any]] = {}
    for offence in await catalogue.catalogue(db):
        groups.setdefault(offence.category, []).append(offence)
    refusal = suspects.why_not(suspect.status, "arrested", how=suspects.ARREST)
    errors = errors or {}
    if refusal and not errors:
        errors = {"suspect": refusal}
    return render(request, "crimes/arrest.html", {
        "s": suspect, "crime": crime, "errors": errors, "values": values, "teams": await custody.teams(db, actor),
        "operations": await custody.operations(db),
        "groups": [(catalogue.category_label(c), items) for c, items in groups.items()],
        "title": ("Error: " if errors else "") + "Record the arrest"},
        status_code=400 if (refusal and status_code == 200) else status_code)


# -- custody -----------------------------------------------------------------------------------------------

@router.get("/crimes/custody")
async def custody_list(request: Request, db: DbSession, actor: Reader) -> Response:
    now = datetime.now(UTC)
    items = await custody.in_custody(db, actor, now=now)
    return render(request, "crimes/custody_list.html", {"items": items, "uk_time": uk_time,
                                                         "relative": _relative(now), "title": "In custody"})


@router.get("/crimes/custody/{arrest_id}")
async def custody_page(request: Request, arrest_id: Id, db: DbSession, actor: Reader) -> Response:
    return await _custody_page(request, db, actor, arrest_id)


@router.post("/crimes/custody/{arrest_id}/{action}")
async def custody_action(request: Request, arrest_id: Id, action: Annotated[str, Path(max_length=20)],
                         db: DbSession, actor: Writer) -> Response:
    if action not in FORM_ANCHORS:
        raise HTTPException(404, "There is no such custody form.")
    values = _posted(await request.form())
    errors: dict[str, str] = {}
    message = ""
    try:
        if action == "arrival":
            arrived = forms.form_when(values, errors, "arrived_at", "of the arrival at the station")
            authorised = forms.form_when(values, errors, "authorised_at", "detention was authorised", required=False)
            if errors:
                raise CrimeRefused(errors)
            await custody.record_arrival(db, actor, arrest_id, arrived_at=arrived, authorised_at=authorised,
                                         station=forms.text(values, "custody_station", 200) or None)
            message = "Arrival at the station recorded."
        elif action == "review":
            at = forms.form_when(values, errors, "reviewed_at", "of the review")
            continued = forms.text(values, "continued", 5)
            if continued not in ("yes", "no"):
                errors["continued"] = "Choose whether detention was continued"
            review = custody.NewReview(reviewed_at=at, by=forms.text(values, "review_by", 200),
                                       rank=forms.text(values, "review_rank", 40),
                                       detention_continued=continued != "no",
                                       note=forms.text(values, "review_note", 2100) or None)
            if errors:
                raise CrimeRefused(errors)
            await custody.record_review(db, actor, arrest_id, review)
            message = ("Review recorded." if review.detention_continued
                       else "Review recorded: detention was not continued, so release the suspect now.")
        elif action == "extension":
            at = forms.form_when(values, errors, "extension_at", "of the extension")
            if errors:
                raise CrimeRefused(errors)
            await custody.record_extension(db, actor, arrest_id, at=at, by=forms.text(values, "extension_by", 200),
                                           rank=forms.text(values, "extension_rank", 40))
            message = "Superintendent's extension recorded: the limit is now 36 hours from the relevant time."
        elif action == "warrant":
            issued = forms.form_when(values, errors, "issued_at", "the warrant was issued")
            until = forms.form_when(values, errors, "until", "the warrant runs to")
            if errors:
                raise CrimeRefused(errors)
            await custody.record_warrant(db, actor, arrest_id, issued_at=issued, until=until,
                                         court=forms.text(values, "court", 300) or None)
            message = "Warrant of further detention recorded."
        else:
            at = forms.form_when(values, errors, "released_at", "of the release")
            if errors:
                raise CrimeRefused(errors)
            await custody.record_release(db, actor, arrest_id, released_at=at,
                                         reason=forms.text(values, "release_reason", 600))
            message = "Release recorded. The custody clock has stopped."
    except custody.ArrestNotFound:
        raise HTTPException(404, NO_ARREST) from None
    except CrimeRefused as refused:
        anchors = {**FORM_ANCHORS[action], "continued": "continued"}
        # Date fields already carry their anchor (`..._day`) when they come from the form's own parsing.
        anchored = {anchors.get(name, name): text for name, text in refused.errors.items()}
        return await _custody_page(request, db, actor, arrest_id, errors=anchored, values=values, open_form=action,
                                   status_code=400)
    response = RedirectResponse(f"/crimes/custody/{arrest_id}", status_code=303)
    flash(request, response, message)
    return response


async def _custody_page(request: Request, db: DbSession, actor: Actor, arrest_id: int, *,
                        errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                        open_form: str | None = None, status_code: int = 200) -> Response:
    now = datetime.now(UTC)
    try:
        arrest = await custody.read_arrest(db, actor, arrest_id, now=now)
    except custody.ArrestNotFound:
        raise HTTPException(404, NO_ARREST) from None
    if values is None:
        values = {}
        for prefix in ("arrived_at", "reviewed_at", "extension_at", "issued_at", "released_at"):
            values.update(forms.when_values(prefix, now))
        values["continued"] = "yes"
    rules = arrest.rules
    return render(request, "crimes/custody.html", {
        "a": arrest, "c": arrest.clock, "errors": errors or {}, "values": values, "open_form": open_form,
        "can_write": actor.can(P.CRIME_WRITE), "uk_time": uk_time, "relative": _relative(now),
        "limit_labels": LIMIT_LABELS,
        "review_ranks": [(r, RANK_LABELS.get(r, r)) for r in rules.review_ranks],
        "extension_ranks": [(r, RANK_LABELS.get(r, r)) for r in rules.extension_ranks],
        "title": ("Error: " if errors else "") + f"Custody: {arrest.person.display_name}"}, status_code=status_code)
