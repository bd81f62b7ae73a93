"""History at a glance for a phone number, and the exports of a person's record and of search results.

Registered before `/people/{person_id}`, which would otherwise claim `/people/history` and
`/people/export.csv`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.people import exports, glance, service
from safeguard.people.markers import MarkerRefused, MarkerView
from safeguard.people.schemas import MarkerOut
from safeguard.people.search import search_people
from safeguard.safeguarding.safe_contact import SafeContactView
from safeguard.web.deps import DbSession, Requires
from safeguard.web.downloads import csv_attachment
from safeguard.web.templating import render

router = APIRouter()


class GlanceIncidentOut(BaseModel):
    id: int
    reference: str
    occurred_at: datetime
    role: str
    da_related: bool
    address: str


class GlanceAddressOut(BaseModel):
    address: str = Field(description='"Restricted address" when the address is withheld from you')
    markers: list[MarkerOut]


class GlanceSafeContactOut(BaseModel):
    safe_number: str | None = Field(description="The number to use, as dialled in the UK")
    safe_times: str | None
    warnings: list[str] = Field(description="The don'ts: no voicemail, no texts, only through the third party...")
    third_party: str | None = Field(description="Name, relationship and number of the third party to go through")


class GlancePersonOut(BaseModel):
    id: int | None = Field(description="None when the person is restricted and withheld from you")
    display_name: str = Field(description='"Restricted person" when withheld')
    date_of_birth: str | None
    withheld: bool
    markers: list[MarkerOut]
    addresses: list[GlanceAddressOut]
    incidents: list[GlanceIncidentOut] = Field(description="Incidents in the last 12 months, newest first")
    safe_contact: GlanceSafeContactOut | None = Field(description="How to contact the person safely, if recorded")


class BreachAlertOut(BaseModel):
    order_id: int
    reference: str
    kind: str = Field(description="The order's short label: DAPN, DVPO, Non-molestation order, ...")
    subject: str
    message: str


class PartyOut(BaseModel):
    person_id: int | None = Field(description="null when the person is restricted and withheld")
    display_name: str


class ZoneOut(BaseModel):
    address: str = Field(description="'Restricted address' when withheld")
    radius_m: int | None


class ActiveOrderOut(BaseModel):
    id: int
    reference: str
    kind: str
    label: str
    subject: PartyOut
    protected: list[PartyOut]
    no_contact: bool
    conditions: str | None
    exclusion_zones: list[ZoneOut]
    starts_at: datetime
    expires_at: datetime | None
    breaches: int


class BailOut(BaseModel):
    suspect_id: int
    person: str
    return_on: date | None
    conditions: list[str]


class GlanceOut(BaseModel):
    number: str = Field(description="The number in E.164")
    alerts: list[BreachAlertOut] = Field(description="Possible breaches of active orders, shown first")
    number_markers: list[MarkerOut]
    people: list[GlancePersonOut]
    active_orders: list[ActiveOrderOut]
    bail: list[BailOut]
    more_people: int = Field(description="People also linked to the number but not listed: a shared number lists "
                                         "the 20 most concerning (withheld first, then most markers and incidents)")

    @classmethod
    def from_glance(cls, found: glance.Glance) -> GlanceOut:
        def marker(m: MarkerView) -> MarkerOut:
            return MarkerOut(id=m.id, kind=m.kind, label=m.label, note=m.note, starts_on=m.starts_on,
                             ends_on=m.ends_on, set_by=m.set_by)

        return cls(number=found.number, number_markers=[marker(m) for m in found.number_markers], people=[
            GlancePersonOut(id=p.id, display_name=p.display_name, date_of_birth=p.date_of_birth,
                            withheld=p.withheld, markers=[marker(m) for m in p.markers],
                            addresses=[GlanceAddressOut(address=a.text, markers=[marker(m) for m in a.markers])
                                       for a in p.addresses],
                            incidents=[GlanceIncidentOut(**vars(i)) for i in p.incidents],
                            safe_contact=_safe_contact(p.safe_contact))
            for p in found.people],
            alerts=[BreachAlertOut(order_id=a.order_id, reference=a.reference, kind=a.short_label,
                                   subject=a.subject, message=a.message) for a in found.alerts],
            active_orders=[ActiveOrderOut(
                id=o.id, reference=o.reference, kind=o.kind, label=o.short_label,
                subject=PartyOut(person_id=o.subject.person_id, display_name=o.subject.display_name),
                protected=[PartyOut(person_id=p.person_id, display_name=p.display_name) for p in o.protected],
                no_contact=o.no_contact, conditions=o.conditions,
                exclusion_zones=[ZoneOut(address=z.address, radius_m=z.radius_m) for z in o.zones],
                starts_at=o.starts_at, expires_at=o.expires_at, breaches=o.breaches) for o in found.orders],
            more_people=found.more_people,
            bail=[BailOut(suspect_id=b.suspect_id, person=b.person, return_on=b.return_on,
                          conditions=[f"{label}: {detail}" for label, detail in b.conditions]) for b in found.bails])


def _safe_contact(view: SafeContactView | None) -> GlanceSafeContactOut | None:
    if view is None:
        return None
    third = None
    if view.third_party_name:
        third = view.third_party_name + (f" ({view.third_party_relationship})" if view.third_party_relationship
                                         else "") + (f", {view.third_party_number}" if view.third_party_number else "")
    return GlanceSafeContactOut(safe_number=view.safe_number, safe_times=view.safe_times, warnings=view.warnings,
                                third_party=third)


Reader = Annotated[Actor, Depends(Requires(P.PERSON_READ))]
Number = Annotated[str, Query(max_length=40)]


@router.get("/people/history")
async def history_page(request: Request, db: DbSession, actor: Reader, number: Number = "") -> Response:
    found, error = None, None
    if number.strip():
        try:
            found = await glance.history_for_number(db, actor, number)
        except MarkerRefused as refused:
            error = refused.errors.get("phone", str(refused))
    return render(request, "people/history.html", {"number": number, "glance": found,
                                                   "errors": {"number": error} if error else {}},
                  status_code=400 if error else 200)


@router.get("/api/v1/people/history", response_model=GlanceOut)
async def history_api(db: DbSession, actor: Reader, number: Number) -> GlanceOut:
    try:
        found = await glance.history_for_number(db, actor, number)
    except MarkerRefused as refused:
        raise HTTPException(422, refused.errors.get("phone", str(refused))) from None
    return GlanceOut.from_glance(found)


@router.get("/people/export.csv")
async def export_search(db: DbSession, actor: Reader, q: Annotated[str, Query(min_length=1, max_length=200)]
                        ) -> Response:
    results = await search_people(db, q)
    return csv_attachment(await exports.search_results(db, actor, q, results), "people-search.csv")


@router.get("/people/{person_id}/export.csv")
async def export_person(person_id: Annotated[int, Path(ge=1, le=2**62)], db: DbSession, actor: Reader
                        ) -> Response:
    try:
        body = await exports.person_record(db, actor, person_id)
    except service.PersonNotFound:
        raise HTTPException(404, "There is no person with that number in your force.") from None
    return csv_attachment(body, f"person-{person_id}.csv")
