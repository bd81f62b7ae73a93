"""Crime pages: the force's recent crimes, a crime, and recording a crime from an incident."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import charges, forms, service
from safeguard.crimes import offences as catalogue
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

CrimeId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.CRIME_READ))]
Writer = Annotated[Actor, Depends(Requires(P.CRIME_WRITE))]
Short = Annotated[str, Form(max_length=100)]
Many = Annotated[list[str], Form(max_length=200)]
PeopleText = Annotated[str, Form(max_length=1000)]

NOT_FOUND = "There is no crime with that number in your force."
# Each service field, and the element its error-summary link goes to.
FIELDS = {"incident": "incident_reference", "offences": "offences", "victims": "victims",
          "suspects": "suspects", "witnesses": "witnesses", "occurred_at": "occurred_at_day",
          "da_related": "da_related", "status": "status"}
ROLES = (("victims", "victim", "Victims"), ("suspects", "suspect", "Suspects"), ("witnesses", "witness", "Witnesses"))


@router.get("/crimes")
async def crimes_page(request: Request, db: DbSession, actor: Reader) -> Response:
    crimes = await service.recent_crimes(db, actor)
    return render(request, "crimes/list.html", {"crimes": crimes, "can_write": actor.can(P.CRIME_WRITE),
                                                "uk_time": service.uk_time})


@router.get("/crimes/new")
async def new_crime_page(request: Request, db: DbSession, actor: Writer,
                         incident: Annotated[str, Query(max_length=40)] = "") -> Response:
    """Find the incident by its reference, then the form to record a crime from it."""
    if not incident.strip():
        return render(request, "crimes/find_incident.html", {"values": {}, "errors": {}})
    found = await service.incidents_by_reference(db, incident)
    if not found:
        errors = {"incident_reference": f"There is no incident {incident.strip()} in your force"}
        return render(request, "crimes/find_incident.html",
                      {"values": {"incident_reference": incident}, "errors": errors, "title": "Error: Record a crime"},
                      status_code=404)
    return await _form(request, db, actor, found[0].id)


@router.post("/crimes/new")
async def record_crime(request: Request, db: DbSession, actor: Writer, incident_id: Short = "",
                       offence: Many = [], victim: Many = [], suspect: Many = [],  # noqa: B006 (FastAPI form lists)
                       witness: Many = [], other_victims: PeopleText = "",  # noqa: B006
                       other_suspects: PeopleText = "", other_witnesses: PeopleText = "",
                       occurred_at_day: Short = "", occurred_at_month: Short = "", occurred_at_year: Short = "",
                       occurred_at_time: Short = "", da_related: Short = "", status: Short = "") -> Response:
    if not incident_id.isdigit() or not 1 <= int(incident_id) <= 2**62:
        raise HTTPException(404, "There is no such incident in your force.")
    values: dict[str, Any] = {
        "offences": offence, "victims": victim, "suspects": suspect, "witnesses": witness,
        "other_victims": other_victims, "other_suspects": other_suspects, "other_witnesses": other_witnesses,
        "occurred_at_day": occurred_at_day, "occurred_at_month": occurred_at_month,
        "occurred_at_year": occurred_at_year, "occurred_at_time": occurred_at_time,
        "da_related": da_related, "status": status,
    }
    parse_errors: dict[str, str] = {}
    people: dict[str, list[int]] = {}
    for name, _role, label in ROLES:
        ticked = values[name]
        typed = values["other_" + name]
        people[name] = _person_numbers(parse_errors, name, label, [*ticked, *typed.replace(";", ",").split(",")])
    occurred = forms.parse_when(parse_errors, "occurred_at", "the crime happened", occurred_at_day, occurred_at_month,
                                occurred_at_year, occurred_at_time, time_required=False)
    if da_related not in ("yes", "no"):
        parse_errors["da_related"] = "Choose whether the crime is domestic abuse"
    new = service.NewCrime(incident_id=int(incident_id), offence_codes=offence, victim_ids=people["victims"],
                           suspect_ids=people["suspects"], witness_ids=people["witnesses"], occurred_at=occurred,
                           da_related=da_related == "yes", status=status)
    try:
        if parse_errors:
            problems, _, _ = await service.crime_problems(db, actor, new)
            raise service.CrimeRefused({**problems, **parse_errors})
        crime = await service.record_crime(db, actor, new)
    except service.CrimeRefused as refused:
        if "incident" in refused.errors:
            raise HTTPException(404, "There is no such incident in your force.") from None
        return await _form(request, db, actor, int(incident_id), errors=_anchored(refused.errors), values=values,
                           status_code=400)
    response = RedirectResponse(f"/crimes/{crime.id}", status_code=303)
    flash(request, response, f"Crime {crime.reference} recorded.")
    return response


@router.get("/crimes/{crime_id}")
async def crime_page(request: Request, crime_id: CrimeId, db: DbSession, actor: Reader) -> Response:
    try:
        crime = await service.read_crime(db, actor, crime_id)
    except service.CrimeNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    return render(request, "crimes/crime.html", {
        "crime": crime, "title": f"Crime {crime.reference}", "uk_time": service.uk_time,
        "harm_sources": catalogue.HARM_SOURCE_LABELS, "harm_caveat": catalogue.HARM_CAVEAT,
        "charges": await charges.charges_for_crime(db, crime_id), "can_write": actor.can(P.CRIME_WRITE),
        "method_labels": charges.METHOD_LABELS, "can_victims_code": actor.can(P.SAFEGUARDING_READ)})


# -- helpers --------------------------------------------------------------------------------------

async def _form(request: Request, db: DbSession, actor: Actor, incident_id: int, *,
                errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                status_code: int = 200) -> Response:
    incident = await service.incident_for_recording(db, actor, incident_id)
    if incident is None:
        raise HTTPException(404, "There is no such incident in your force.")
    if values is None:
        when = service.uk_time(incident.occurred_at)
        values = {
            "victims": [str(p.person_id) for p in incident.people if p.role == "victim"],
            "suspects": [str(p.person_id) for p in incident.people if p.role == "suspect"],
            "witnesses": [str(p.person_id) for p in incident.people if p.role == "witness"],
            "occurred_at_day": str(when.day), "occurred_at_month": str(when.month),
            "occurred_at_year": str(when.year), "occurred_at_time": when.strftime("%H:%M"),
            "da_related": "yes" if incident.da_related else "no", "status": "under-investigation",
        }
    groups: dict[str, list[Any]] = {}
    for offence in await catalogue.catalogue(db):
        groups.setdefault(offence.category, []).append(offence)
    context = {
        "incident": incident, "uk_time": service.uk_time, "errors": errors or {}, "values": values,
        "groups": [(catalogue.category_label(category), items) for category, items in groups.items()],
        "roles": ROLES, "statuses": [(s, service.STATUS_LABELS[s]) for s in service.RECORDING_STATUSES],
        "title": ("Error: " if errors else "") + f"Record a crime from incident {incident.reference}",
        "harm_caveat": catalogue.HARM_CAVEAT,
    }
    return render(request, "crimes/new.html", context, status_code=status_code)


def _anchored(errors: dict[str, str]) -> dict[str, str]:
    """The errors keyed by the element each error-summary link goes to, in the order of the form."""
    order = list(FIELDS.values())
    anchored = {FIELDS.get(name, "offences"): message for name, message in errors.items()}
    return dict(sorted(anchored.items(), key=lambda item: order.index(item[0]) if item[0] in order else -1))


def _person_numbers(errors: dict[str, str], field: str, label: str, texts: list[str]) -> list[int]:
    numbers: list[int] = []
    for text in texts:
        digits = text.strip().lower().removeprefix("person").strip()
        if not digits:
            continue
        if not digits.isdigit() or not 1 <= int(digits) <= 2**62:
            errors.setdefault(field, f"{label}: '{text.strip()}' is not a person number, like 1234")
            continue
        numbers.append(int(digits))
    return numbers
