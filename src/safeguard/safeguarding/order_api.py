"""Protective orders in the API: record one, read one (audited), record a breach, end one; under the same rules
as the pages. A refusal is a 422 naming each field at fault; nothing is saved."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.safeguarding import orders
from safeguard.web.api_errors import refusal
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/orders", tags=["protective orders"])

OrderId = Annotated[int, Path(ge=1, le=2**62)]
Id = Annotated[int, Field(ge=1, le=2**62)]


class ZoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location_id: Id
    radius_m: int | None = Field(None, description="Distance in metres the subject must keep from the address")
    description: str | None = Field(None, max_length=300)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="dapn, dapo, dvpn, dvpo, non-molestation, restraining or bail-conditions")
    subject_id: Id = Field(description="The person bound by the order")
    protected_ids: list[Id] = Field(description="The people it protects: at least one, not the subject")
    no_contact: bool = False
    conditions: str | None = Field(None, max_length=4000)
    zones: list[ZoneIn] = Field(default_factory=list)
    starts_at: datetime
    expires_at: datetime | None = None
    served_at: datetime | None = Field(None, description="Required for a DAPN or DVPN: the hearing clock runs "
                                                         "from here")
    authorised_by: str | None = Field(None, max_length=200)
    authoriser_rank: str | None = Field(None, description="For a notice: inspector (DAPN) or superintendent (DVPN) "
                                                          "or above, by default")
    court: str | None = Field(None, max_length=200)
    crime_id: Id | None = None
    bail_id: Id | None = None
    follows_order_id: Id | None = None
    electronic_monitoring_until: datetime | None = None


class BreachIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occurred_at: datetime
    description: str = Field(max_length=4000)
    location_id: Id | None = None
    incident_id: Id | None = None
    arrest_id: Id | None = None
    arrested_at: datetime | None = Field(None, description="When no arrest record is linked; starts a DAPN's "
                                                           "court clock")


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="discharged, withdrawn or superseded")
    reason: str = Field(max_length=4000)
    at: datetime | None = None


class PartyOut(BaseModel):
    person_id: int | None = Field(description="None when the person is restricted and withheld from you")
    display_name: str
    date_of_birth: str | None
    withheld: bool


class ZoneOut(BaseModel):
    location_id: int | None
    address: str
    radius_m: int | None
    description: str | None
    withheld: bool


class ClockOut(BaseModel):
    code: str = Field(description="hearing, notification, expiry or court")
    label: str
    due: datetime
    left: str
    level: str = Field(description="ok, soon or overdue")


class BreachOut(BaseModel):
    id: int
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    description: str
    location: str | None
    incident_id: int | None
    arrest_id: int | None
    court_due_by: datetime | None


class OrderOut(BaseModel):
    id: int
    reference: str
    kind: str
    status: str = Field(description="active, expired (past its expiry), discharged, withdrawn or superseded")
    subject: PartyOut
    protected: list[PartyOut]
    no_contact: bool
    conditions: str | None
    zones: list[ZoneOut]
    starts_at: datetime
    expires_at: datetime | None
    served_at: datetime | None
    authorised_by: str | None
    court: str | None
    crime_id: int | None
    bail_id: int | None
    follows_order_id: int | None
    hearing_due_by: datetime | None
    notification_due_by: datetime | None
    ended_at: datetime | None
    ended_reason: str | None
    clocks: list[ClockOut]
    breaches: list[BreachOut]


class FieldError(BaseModel):
    field: str
    message: str


class RefusedOut(BaseModel):
    detail: str
    errors: list[FieldError]


def _party(p: orders.Party) -> PartyOut:
    return PartyOut(person_id=p.person_id, display_name=p.display_name, date_of_birth=p.date_of_birth,
                    withheld=p.withheld)


def _clock(c: orders.ClockView) -> ClockOut:
    return ClockOut(code=c.code, label=c.label, due=c.due, left=c.left, level=c.level)


def order_out(o: orders.OrderView) -> OrderOut:
    hearing = next((c.due for c in o.clocks if c.code == "hearing"), None)
    notification = next((c.due for c in o.clocks if c.code == "notification"), None)
    return OrderOut(
        id=o.id, reference=o.reference, kind=o.kind, status=o.status, subject=_party(o.subject),
        protected=[_party(p) for p in o.protected], no_contact=o.no_contact, conditions=o.conditions,
        zones=[ZoneOut(location_id=z.location_id, address=z.address, radius_m=z.radius_m, description=z.description,
                       withheld=z.withheld) for z in o.zones],
        starts_at=o.starts_at, expires_at=o.expires_at, served_at=o.served_at, authorised_by=o.authorised_by,
        court=o.court, crime_id=o.crime_id, bail_id=o.bail_id, follows_order_id=o.follows[0] if o.follows else None,
        hearing_due_by=hearing, notification_due_by=notification, ended_at=o.ended_at, ended_reason=o.ended_reason,
        clocks=[_clock(c) for c in o.clocks],
        breaches=[BreachOut(id=b.id, occurred_at=b.occurred_at, recorded_at=b.recorded_at, recorded_by=b.recorded_by,
                            description=b.description, location=b.location, incident_id=b.incident_id,
                            arrest_id=b.arrest_id, court_due_by=b.court.due if b.court else None)
                  for b in o.breaches])


# Service field names, as the API's bodies name them.
NAMES = {"subject": "subject_id", "protected": "protected_ids", "crime": "crime_id", "bail": "bail_id",
         "follows_order": "follows_order_id", "location": "location_id", "incident": "incident_id",
         "arrest": "arrest_id"}
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": RefusedOut, "description": "Nothing was saved; each field at fault is named with the reason"}}


def _refused(what: str, errors: dict[str, str]) -> JSONResponse:
    return refusal(what, errors, NAMES)


def _not_found(order_id: int) -> HTTPException:
    return HTTPException(404, f"No order {order_id}.")


@router.post("", response_model=OrderOut, status_code=201, responses=REFUSED)
async def create_order(body: OrderIn, db: DbSession, actor: Annotated[Actor, Depends(Requires(P.ORDER_WRITE))]
                       ) -> OrderOut | JSONResponse:
    """Record an order with its legal clocks (a DAPN's 48-hour hearing, a DAPO's 3-day notification...)."""
    new = orders.NewOrder(
        kind=body.kind, subject_id=body.subject_id, protected_ids=body.protected_ids, starts_at=body.starts_at,
        no_contact=body.no_contact, conditions=body.conditions,
        zones=[orders.NewZone(z.location_id, z.radius_m, z.description) for z in body.zones],
        expires_at=body.expires_at, served_at=body.served_at, authorised_by=body.authorised_by,
        authoriser_rank=body.authoriser_rank, court=body.court, crime_id=body.crime_id, bail_id=body.bail_id,
        follows_order_id=body.follows_order_id, electronic_monitoring_until=body.electronic_monitoring_until)
    try:
        order = await orders.record_order(db, actor, new, via="api")
    except orders.OrderRefused as refused:
        return _refused("The order was not recorded.", refused.errors)
    return order_out(await orders.read_order(db, actor, order.id, reason="recorded through the API"))


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(order_id: OrderId, db: DbSession,
                    actor: Annotated[Actor, Depends(Requires(P.SAFEGUARDING_READ))]) -> OrderOut:
    """One order: parties (restricted people withheld), terms, zones, clocks and breaches. Audited."""
    try:
        return order_out(await orders.read_order(db, actor, order_id))
    except orders.OrderNotFound:
        raise _not_found(order_id) from None


@router.post("/{order_id}/breaches", response_model=OrderOut, status_code=201, responses=REFUSED)
async def create_breach(order_id: OrderId, body: BreachIn, db: DbSession,
                        actor: Annotated[Actor, Depends(Requires(P.ORDER_WRITE))]) -> OrderOut | JSONResponse:
    """Record a breach; for a DAPN with an arrest, the court clock (24 hours, or the hearing if sooner)."""
    new = orders.NewBreach(occurred_at=body.occurred_at, description=body.description, location_id=body.location_id,
                           incident_id=body.incident_id, arrest_id=body.arrest_id, arrested_at=body.arrested_at)
    try:
        await orders.record_breach(db, actor, order_id, new)
    except orders.OrderNotFound:
        raise _not_found(order_id) from None
    except orders.OrderRefused as refused:
        return _refused("The breach was not recorded.", refused.errors)
    return order_out(await orders.read_order(db, actor, order_id, reason="breach recorded through the API"))


@router.post("/{order_id}/end", response_model=OrderOut, responses=REFUSED)
async def end_order(order_id: OrderId, body: EndIn, db: DbSession,
                    actor: Annotated[Actor, Depends(Requires(P.ORDER_WRITE))]) -> OrderOut | JSONResponse:
    """End an active order: discharged, withdrawn or superseded, with the reason."""
    try:
        await orders.end_order(db, actor, order_id, orders.Ending(body.status, body.reason, body.at))
    except orders.OrderNotFound:
        raise _not_found(order_id) from None
    except orders.OrderRefused as refused:
        return _refused("The order was not ended.", refused.errors)
    return order_out(await orders.read_order(db, actor, order_id, reason="ended through the API"))
