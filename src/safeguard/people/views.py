"""The person page, and its forms for markers and personally connected people."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.audit import service as audit
from safeguard.audit.service import who_viewed
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.people import history, markers, relationships, service
from safeguard.people.models import Person
from safeguard.people.search import search_people
from safeguard.safeguarding.safe_contact import has_been_a_victim, safe_contact_for
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

PersonId = Annotated[int, Path(ge=1, le=2**62)]
MarkerId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.PERSON_READ))]
Writer = Annotated[Actor, Depends(Requires(P.PERSON_WRITE))]
# Generous caps on what a form may post; the services say precisely what is too long.
Short = Annotated[str, Form(max_length=100)]
Long = Annotated[str, Form(max_length=5000)]

NOT_FOUND = "There is no person with that number in your force."
MARKER_FORM = "marker-"
RELATIONSHIP_FORM = "rel-"


@router.get("/people")
async def search_page(request: Request, db: DbSession, actor: Reader,
                      q: Annotated[str, Query(max_length=200)] = "") -> Response:
    results = await search_people(db, q) if q.strip() else []
    if q.strip():
        await audit.record(db, action="person.search", actor=actor, details={"query": q, "results": len(results)})
    return render(request, "people/search.html", {"q": q, "results": results})


@router.get("/people/{person_id}")
async def person_page(request: Request, person_id: PersonId, db: DbSession, actor: Reader) -> Response:
    record = await history.visible_person(db, actor, person_id)
    if record is not None and record.merged_into_id is not None:
        survivor = await history.surviving_record(db, actor, person_id)
        if survivor is None:
            raise HTTPException(404, NOT_FOUND)
        response = RedirectResponse(f"/people/{survivor}", status_code=303)
        flash(request, response, f"Record {person_id} was merged into this record.", kind="information")
        return response
    return await _page(request, db, actor, person_id)


async def _page(request: Request, db: DbSession, actor: Actor, person_id: int, *,
                errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                open_form: str | None = None, status_code: int = 200) -> Response:
    """The whole person page; with `errors`, the form that failed shows them and keeps what was entered."""
    try:
        person = await service.read_person(db, actor, person_id)
    except service.PersonNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    record = await db.get(Person, person_id)
    assert record is not None
    entries = await history.timeline(db, person_id, disclosures=actor.can(P.DISCLOSURE_READ))
    person_flags = await history.flags(db, record, await history.rules_for(db, actor.force_id))
    viewings = await who_viewed(db, "person", person_id) if actor.can(P.AUDIT_READ) else None
    today = markers.today()
    marker_lists = await markers.markers_for(db, person_id=person_id, on=today)
    kinds = await markers.kinds_for(db, actor.force_id)
    connected = await relationships.relationships_for(db, person_id, actor=actor)
    form_values: dict[str, str] = {
        **_date_values(MARKER_FORM + "starts_on", today),
        **{k: v for m in marker_lists.active for k, v in _date_values(f"end-{m.id}-ends_on", today).items()},
    }
    form_values.update(values or {})
    context: dict[str, Any] = {
        "person": person, "title": ("Error: " if errors else "") + person.display_name,
        "timeline": entries, "flags": person_flags, "viewings": viewings,
        "markers": marker_lists, "marker_kinds": [(k.code, k.label) for k in kinds],
        "connected": connected, "relationship_kinds": list(relationships.RELATIONSHIP_LABELS.items()),
        "can_write": actor.can(P.PERSON_WRITE), "errors": errors or {}, "values": form_values,
        "open_form": open_form,
        # Shown first: how (and whether) this person may safely be contacted.
        "safe_contact": (safe := await safe_contact_for(db, person_id)), "safe_contact_name": None,
        "show_safe_contact": safe is not None or await has_been_a_victim(db, person_id),
        "safe_contact_edit": f"/people/{person_id}/safe-contact" if actor.can(P.SAFEGUARDING_WRITE) else None,
        "can_refer": actor.can(P.SAFEGUARDING_WRITE),
    }
    return render(request, "people/person.html", context, status_code=status_code)


# -- markers --------------------------------------------------------------------------------------

@router.post("/people/{person_id}/markers")
async def add_marker(request: Request, person_id: PersonId, db: DbSession, actor: Writer,
                     kind: Short = "", starts_on_day: Short = "", starts_on_month: Short = "",
                     starts_on_year: Short = "", ends_on_day: Short = "", ends_on_month: Short = "",
                     ends_on_year: Short = "", note: Long = "") -> Response:
    await _require_person(db, actor, person_id)
    p = MARKER_FORM
    values = {p + "kind": kind, p + "starts_on_day": starts_on_day, p + "starts_on_month": starts_on_month,
              p + "starts_on_year": starts_on_year, p + "ends_on_day": ends_on_day,
              p + "ends_on_month": ends_on_month, p + "ends_on_year": ends_on_year, p + "note": note}
    fields = {"kind": p + "kind", "starts_on": p + "starts_on_day", "ends_on": p + "ends_on_day",
              "note": p + "note"}
    parse_errors: dict[str, str] = {}
    starts_on = _form_date(parse_errors, "starts_on", "Start date", starts_on_day, starts_on_month,
                           starts_on_year, required=True)
    ends_on = _form_date(parse_errors, "ends_on", "End date", ends_on_day, ends_on_month, ends_on_year,
                         required=False)
    try:
        if parse_errors:
            problems = await markers.marker_problems(db, actor, kind=kind, starts_on=starts_on, ends_on=ends_on,
                                                     note=note)
            raise markers.MarkerRefused({**problems, **parse_errors})
        assert starts_on is not None
        marker = await markers.set_marker(db, actor, person_id=person_id, kind=kind, starts_on=starts_on,
                                          ends_on=ends_on, note=note)
    except markers.MarkerRefused as refused:
        return await _page(request, db, actor, person_id, errors=_anchored(refused.errors, fields, p + "kind"),
                           values=values, open_form="marker", status_code=400)
    label = markers.label_for(marker.kind, await markers.kinds_for(db, actor.force_id))
    return _done(request, person_id, f"Marker added: {label}.")


@router.post("/people/{person_id}/markers/{marker_id}/end")
async def end_marker(request: Request, person_id: PersonId, marker_id: MarkerId, db: DbSession, actor: Writer,
                     ends_on_day: Short = "", ends_on_month: Short = "", ends_on_year: Short = "",
                     reason: Long = "") -> Response:
    await _require_person(db, actor, person_id)
    try:
        marker = await markers.find_marker(db, marker_id, person_id=person_id)
    except markers.MarkerNotFound:
        raise HTTPException(404, "There is no such marker on this person.") from None
    p = f"end-{marker_id}-"
    values = {p + "ends_on_day": ends_on_day, p + "ends_on_month": ends_on_month,
              p + "ends_on_year": ends_on_year, p + "reason": reason}
    fields = {"ends_on": p + "ends_on_day", "reason": p + "reason"}
    parse_errors: dict[str, str] = {}
    ends_on = _form_date(parse_errors, "ends_on", "End date", ends_on_day, ends_on_month, ends_on_year,
                         required=True)
    try:
        if parse_errors:
            raise markers.MarkerRefused({**markers.end_problems(marker, ends_on=ends_on, reason=reason),
                                         **parse_errors})
        assert ends_on is not None
        await markers.end_marker(db, actor, marker_id, ends_on=ends_on, reason=reason, person_id=person_id)
    except markers.MarkerRefused as refused:
        return await _page(request, db, actor, person_id, errors=_anchored(refused.errors, fields, p + "reason"),
                           values=values, open_form=f"end-{marker_id}", status_code=400)
    label = markers.label_for(marker.kind, await markers.kinds_for(db, actor.force_id))
    return _done(request, person_id, f"Marker ended: {label}.")


# -- personally connected people ------------------------------------------------------------------

@router.post("/people/{person_id}/relationships")
async def add_relationship(request: Request, person_id: PersonId, db: DbSession, actor: Writer,
                           other_person: Short = "", kind: Short = "", since_day: Short = "",
                           since_month: Short = "", since_year: Short = "", detail: Long = "") -> Response:
    await _require_person(db, actor, person_id)
    p = RELATIONSHIP_FORM
    values = {p + "other_person": other_person, p + "kind": kind, p + "since_day": since_day,
              p + "since_month": since_month, p + "since_year": since_year, p + "detail": detail}
    fields = {"other_person_id": p + "other_person", "kind": p + "kind", "since": p + "since_day",
              "detail": p + "detail"}
    parse_errors: dict[str, str] = {}
    other_id = _person_number(parse_errors, other_person)
    since = _form_date(parse_errors, "since", "The date they have been connected since", since_day, since_month,
                       since_year, required=False)
    try:
        problems = await relationships.relationship_problems(db, actor, person_id, other_id, kind, since=since,
                                                             detail=detail)
        if parse_errors or problems:
            raise relationships.RelationshipRefused({**problems, **parse_errors})
        assert other_id is not None
        await relationships.add_relationship(db, actor, person_id, other_id, kind, since=since, detail=detail)
    except relationships.RelationshipRefused as refused:
        return await _page(request, db, actor, person_id,
                           errors=_anchored(refused.errors, fields, p + "other_person"), values=values,
                           open_form="relationship", status_code=400)
    label = relationships.RELATIONSHIP_LABELS[kind]
    return _done(request, person_id, f"Connected person added: {label.lower()}, person {other_id}.")


# -- helpers --------------------------------------------------------------------------------------

async def _require_person(db: DbSession, actor: Actor, person_id: int) -> None:
    if await history.visible_person(db, actor, person_id) is None:
        raise HTTPException(404, NOT_FOUND)


def _done(request: Request, person_id: int, message: str) -> Response:
    response = RedirectResponse(f"/people/{person_id}", status_code=303)
    flash(request, response, message)
    return response


def _anchored(errors: dict[str, str], fields: dict[str, str], fallback: str) -> dict[str, str]:
    """The service's errors, keyed by the element each one's error-summary link should go to."""
    anchored: dict[str, str] = {}
    for field, message in errors.items():
        anchor = fields.get(field, fallback)
        anchored.setdefault(anchor, message)
    order = list(fields.values())
    return dict(sorted(anchored.items(), key=lambda item: order.index(item[0]) if item[0] in order else -1))


def _date_values(id_: str, value: date) -> dict[str, str]:
    return {f"{id_}_day": str(value.day), f"{id_}_month": str(value.month), f"{id_}_year": str(value.year)}


def _form_date(errors: dict[str, str], field: str, what: str, day: str, month: str, year: str, *,
               required: bool) -> date | None:
    """A date from the three boxes of a GOV.UK date input; a problem is added to `errors` under `field`."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(parts.values()):
        if required:
            errors[field] = f"Enter the {what[0].lower() + what[1:]}"
        return None
    missing = [name for name, value in parts.items() if not value]
    if missing:
        errors[field] = f"{what} must include a {' and a '.join(missing)}"
        return None
    if not all(value.isdigit() for value in parts.values()) or len(parts["year"]) != 4:
        errors[field] = f"{what} must be a real date, with a 4-digit year"
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[field] = f"{what} must be a real date"
        return None


def _person_number(errors: dict[str, str], text: str) -> int | None:
    """A Safeguard person number as typed ("1234", "Person 1234")."""
    digits = text.strip().lower().removeprefix("person").strip()
    if not digits:
        errors["other_person_id"] = "Enter the other person's Safeguard person number"
        return None
    if not digits.isdigit() or not 1 <= int(digits) <= 2**62:
        errors["other_person_id"] = "The person number must be a number, like 1234"
        return None
    return int(digits)
