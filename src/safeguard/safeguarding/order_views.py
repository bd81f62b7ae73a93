"""Protective order pages: the active orders with their clocks, recording an order, an order with its parties,
conditions, zones, clocks and breaches, and the forms to record a breach and to end the order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact.models import Incident
from safeguard.crimes import forms
from safeguard.crimes.models import Crime
from safeguard.safeguarding import orders
from safeguard.safeguarding.models import ORDER_KINDS, ProtectiveOrder
from safeguard.safeguarding.order_rules import RANK_LABELS, order_rules_for
from safeguard.safeguarding.safe_contact import safe_contact_for
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

OrderId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_READ))]
Writer = Annotated[Actor, Depends(Requires(P.ORDER_WRITE))]
Short = Annotated[str, Query(max_length=200)]

NOT_FOUND = "There is no order with that number in your force."
# Each service field, and the element its error-summary link goes to.
ANCHORS = {"kind": "kind", "subject": "protected", "protected": "protected", "no_contact": "no_contact",
           "conditions": "conditions", "zones": "other_zone", "starts_at": "starts_at_day",
           "served_at": "served_at_day", "expires_at": "expires_at_day", "authorised_by": "authorised_by",
           "authoriser_rank": "authoriser_rank", "court": "court", "crime": "crime", "bail": "crime",
           "follows_order": "follows_order", "electronic_monitoring_until": "em_until_day",
           # breach and end forms
           "occurred_at": "occurred_at_day", "description": "description", "location": "breach_location",
           "incident": "incident", "arrest": "arrested_at_day", "arrested_at": "arrested_at_day",
           "status": "end_status", "reason": "end_reason", "at": "ended_at_day"}
KIND_OPTIONS = [(kind, orders.KIND_LABELS[kind]) for kind in ORDER_KINDS]


def _anchored(errors: dict[str, str]) -> dict[str, str]:
    order = list(ANCHORS.values())
    anchored: dict[str, str] = {}
    for name, message in errors.items():
        anchored.setdefault(ANCHORS.get(name, name), message)
    return dict(sorted(anchored.items(), key=lambda item: order.index(item[0]) if item[0] in order else -1))


def _number(errors: dict[str, str], key: str, label: str, text: str) -> int | None:
    digits = text.strip().lower().removeprefix("person").removeprefix("address").strip()
    if not digits:
        return None
    if not digits.isdigit() or not 1 <= int(digits) <= forms.PERSON_NUMBER_MAX:
        errors.setdefault(key, f"{label}: '{text.strip()[:40]}' is not a number, like 1234")
        return None
    return int(digits)


def _numbers(errors: dict[str, str], key: str, label: str, text: str) -> list[int]:
    found = []
    for part in text.replace(";", ",").split(","):
        value = _number(errors, key, label, part)
        if value is not None:
            found.append(value)
    return found


# -- the list ---------------------------------------------------------------------------------------------

@router.get("/orders")
async def orders_page(request: Request, db: DbSession, actor: Reader, kind: Short = "") -> Response:
    """The force's active orders, soonest clock first; clocks due within the warning window are highlighted."""
    chosen = kind.strip()
    errors = {"kind": "Choose a kind of order from the list"} if chosen and chosen not in ORDER_KINDS else {}
    items = [] if errors else await orders.active_orders(db, actor, kind=chosen or None)
    rules = await order_rules_for(db, actor.force_id)
    return render(request, "orders/list.html", {
        "items": items, "errors": errors, "kind": chosen, "kinds": KIND_OPTIONS, "uk_time": orders.uk_time,
        "can_write": actor.can(P.ORDER_WRITE), "warn_hours": rules.warn_within_hours,
        "title": ("Error: " if errors else "") + "Protective orders"}, status_code=400 if errors else 200)


# -- recording an order -----------------------------------------------------------------------------------

@router.get("/orders/new")
async def new_order_page(request: Request, db: DbSession, actor: Writer, subject: Short = "",
                         protected: Short = "") -> Response:
    """Find the subject (and the people protected) by person number, then the form."""
    values = {"subject": subject, "protected": protected}
    if not subject.strip():
        return render(request, "orders/find.html", {"values": values, "errors": {}})
    errors: dict[str, str] = {}
    subject_id = _number(errors, "subject", "The subject's person number", subject)
    protected_ids = _numbers(errors, "protected", "Protected people", protected)
    if subject_id is None and "subject" not in errors:
        errors["subject"] = "Give the person number of the person the order binds"
    found = None if errors or subject_id is None else await orders.subject_for_order(db, actor, subject_id,
                                                                                    protected_ids)
    if found is None:
        if not errors:
            errors["subject"] = f"There is no person {subject.strip()} in your force"
        return render(request, "orders/find.html", {"values": values, "errors": errors,
                                                    "title": "Error: Record a protective order"}, status_code=404
                      if "subject" in errors and "not a number" not in errors["subject"] else 400)
    form_values: dict[str, Any] = {
        "protected": ", ".join(str(p.person_id) for p in found.protected), "no_contact": "yes",
        **forms.when_values("starts_at", datetime.now(UTC)), **forms.when_values("served_at", datetime.now(UTC)),
        "zones": [],
    }
    return await _form(request, db, actor, found, form_values)


async def _form(request: Request, db: DbSession, actor: Actor, found: orders.SubjectOption, values: dict[str, Any],
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    assert found.person.person_id is not None
    earlier = [(o.id, f"{o.reference}: {orders.SHORT_LABELS[o.kind]} ({orders.STATUS_LABELS[o.status].lower()})")
               for o in await db.scalars(select(ProtectiveOrder).where(
                   ProtectiveOrder.subject_id == found.person.person_id).order_by(ProtectiveOrder.id.desc()).limit(20))]
    rules = await order_rules_for(db, actor.force_id)
    return render(request, "orders/new.html", {
        "found": found, "values": values, "errors": errors or {}, "kinds": KIND_OPTIONS,
        "ranks": list(RANK_LABELS.items()), "earlier": earlier, "rules": rules,
        "title": ("Error: " if errors else "") + f"Record a protective order against {found.person.display_name}",
    }, status_code=status_code)


@router.post("/orders/new")
async def record_order(request: Request, db: DbSession, actor: Writer) -> Response:
    form = await request.form()
    single = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    subject_text = forms.text(single, "subject_id", 40)
    subject_id = _number(errors, "subject", "The subject's person number", subject_text)
    if subject_id is None:
        raise HTTPException(404, "There is no such person in your force.")
    zone_ids = [z for z in form.getlist("zone") if isinstance(z, str)]
    values: dict[str, Any] = {k: v for k, v in single.items() if k not in ("csrf_token", "zone")}
    values["zones"] = zone_ids
    protected_ids = _numbers(errors, "protected", "Protected people", forms.text(single, "protected", 1000))
    zones: list[orders.NewZone] = []
    for raw, radius_key in [*((z, f"radius-{z}") for z in zone_ids), (single.get("other_zone", ""), "other_radius")]:
        location_id = _number(errors, "zones", "Exclusion zone address number", raw)
        if location_id is None:
            continue
        radius_text = forms.text(single, radius_key, 10)
        radius = None
        if radius_text:
            if radius_text.isdigit():
                radius = int(radius_text)
            else:
                errors.setdefault("zones", f"The distance '{radius_text}' must be a whole number of metres")
        zones.append(orders.NewZone(location_id, radius))
    starts = forms.form_when(single, errors, "starts_at", "the order starts")
    served = forms.form_when(single, errors, "served_at", "the order was served", required=False)
    expires = forms.form_when(single, errors, "expires_at", "the order expires", required=False)
    monitoring = forms.form_when(single, errors, "em_until", "electronic monitoring ends", required=False)
    crime_id = None
    crime_text = forms.text(single, "crime", 40)
    if crime_text:
        crime_id = await db.scalar(select(Crime.id).where(Crime.reference == crime_text.upper()))
        if crime_id is None:
            errors["crime"] = f"There is no crime {crime_text} in your force"
    follows_text = forms.text(single, "follows_order", 40)
    follows = _number(errors, "follows_order", "The earlier order", follows_text) if follows_text else None
    new = orders.NewOrder(
        kind=forms.text(single, "kind", 40), subject_id=subject_id, protected_ids=protected_ids, starts_at=starts,
        no_contact=single.get("no_contact") == "yes", conditions=forms.text(single, "conditions", 4100) or None,
        zones=zones, expires_at=expires, served_at=served, authorised_by=forms.text(single, "authorised_by", 210),
        authoriser_rank=forms.text(single, "authoriser_rank", 40) or None, court=forms.text(single, "court", 210),
        crime_id=crime_id, follows_order_id=follows, electronic_monitoring_until=monitoring)
    try:
        if errors:
            problems, _ = await orders.order_problems(db, actor, new, await order_rules_for(db, actor.force_id))
            raise orders.OrderRefused({**problems, **errors})
        order = await orders.record_order(db, actor, new)
    except orders.OrderRefused as refused:
        found = await orders.subject_for_order(db, actor, subject_id, protected_ids)
        if found is None:
            raise HTTPException(404, "There is no such person in your force.") from None
        return await _form(request, db, actor, found, values, _anchored(refused.errors), 400)
    response = RedirectResponse(f"/orders/{order.id}", status_code=303)
    flash(request, response, f"{orders.SHORT_LABELS[order.kind]} {order.reference} recorded.")
    return response


# -- an order ---------------------------------------------------------------------------------------------

async def _order_page(request: Request, db: DbSession, actor: Actor, order_id: int, *,
                      errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                      status_code: int = 200) -> Response:
    try:
        order = await orders.read_order(db, actor, order_id)
    except orders.OrderNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    # Safe contact first, for each protected person the reader may see: they may be contacted from here.
    contacts = [(p, await safe_contact_for(db, p.person_id)) for p in order.protected if p.person_id is not None]
    return render(request, "orders/order.html", {
        "o": order, "uk_time": orders.uk_time, "contacts": contacts, "errors": errors or {},
        "values": values or {**forms.when_values("occurred_at", None), **forms.when_values("arrested_at", None)},
        "can_write": actor.can(P.ORDER_WRITE), "end_statuses": [(s, orders.STATUS_LABELS[s])
                                                                 for s in orders.END_STATUSES],
        "title": ("Error: " if errors else "") + f"{order.short_label} {order.reference}"}, status_code=status_code)


@router.get("/orders/{order_id}")
async def order_page(request: Request, order_id: OrderId, db: DbSession, actor: Reader) -> Response:
    return await _order_page(request, db, actor, order_id)


@router.post("/orders/{order_id}/breaches")
async def record_breach(request: Request, order_id: OrderId, db: DbSession, actor: Writer) -> Response:
    single = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    occurred = forms.form_when(single, errors, "occurred_at", "of the breach")
    arrested = forms.form_when(single, errors, "arrested_at", "of the arrest", required=False)
    location = _number(errors, "location", "The address number", forms.text(single, "breach_location", 40))
    incident_id = None
    incident_text = forms.text(single, "incident", 40)
    if incident_text:
        incident_id = await db.scalar(select(Incident.id).where(Incident.reference == incident_text))
        if incident_id is None:
            errors["incident"] = f"There is no incident {incident_text} in your force"
    new = orders.NewBreach(occurred_at=occurred, description=forms.text(single, "description", 4100),
                           location_id=location, incident_id=incident_id, arrested_at=arrested)
    try:
        if errors:
            raise orders.OrderRefused(errors)
        await orders.record_breach(db, actor, order_id, new)
    except orders.OrderNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except orders.OrderRefused as refused:
        values = {k: v for k, v in single.items() if k != "csrf_token"}
        return await _order_page(request, db, actor, order_id, errors=_anchored(refused.errors), values=values,
                                 status_code=400)
    response = RedirectResponse(f"/orders/{order_id}#breaches", status_code=303)
    flash(request, response, "Breach recorded.")
    return response


@router.post("/orders/{order_id}/end")
async def end_order(request: Request, order_id: OrderId, db: DbSession, actor: Writer) -> Response:
    single = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    at = forms.form_when(single, errors, "ended_at", "the order ended", required=False)
    ending = orders.Ending(status=forms.text(single, "end_status", 20), reason=forms.text(single, "end_reason", 4100),
                           at=at)
    try:
        if errors:
            raise orders.OrderRefused(errors)
        order = await orders.end_order(db, actor, order_id, ending)
    except orders.OrderNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except orders.OrderRefused as refused:
        values = {k: v for k, v in single.items() if k != "csrf_token"}
        return await _order_page(request, db, actor, order_id, errors=_anchored(refused.errors), values=values,
                                 status_code=400)
    response = RedirectResponse(f"/orders/{order_id}", status_code=303)
    flash(request, response, f"Order {order.reference} {orders.STATUS_LABELS[order.status].lower()}.")
    return response
