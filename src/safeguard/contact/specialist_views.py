"""DA specialist pages: the queue of DA calls for review, the safeguarding view of one call, and advice.

Every route needs safeguarding:write (the DA specialist; officers who safeguard hold it too). A contact of
another force, a contact that is not flagged DA, or no contact at all is 404. See docs/da-specialist.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import specialist
from safeguard.crimes.schemas import ProblemOut
from safeguard.web.api_errors import refusal
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

ContactId = Annotated[int, Path(ge=1, le=2**62)]
Specialist = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_WRITE))]
ContactReader = Annotated[Actor, Depends(Requires(P.CONTACT_READ))]
LongText = Annotated[str, Form(max_length=20_000)]

NOT_FOUND = "There is no DA call with that number in your force."


@router.get("/specialist")
async def queue_page(request: Request, db: DbSession, actor: Specialist) -> Response:
    found = await specialist.queue(db, actor)
    return render(request, "specialist/queue.html", {"queue": found, "title": "DA calls for review"})


async def _contact_page(request: Request, db: DbSession, actor: Actor, contact_id: int, *,
                        values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                        status_code: int = 200) -> Response:
    try:
        view = await specialist.safeguarding_view(db, actor, contact_id)
    except specialist.ContactNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    title = f"DA call {contact_id}: safeguarding view"
    return render(request, "specialist/contact.html", {
        "v": view, "values": values or {}, "errors": errors or {},
        "title": f"Error: {title}" if errors else title,
        "can_refer": actor.can(P.SAFEGUARDING_WRITE), "can_marac": actor.can(P.MARAC_WRITE),
        "advice_max": specialist.ADVICE_MAX}, status_code=status_code)


@router.get("/specialist/contacts/{contact_id}")
async def contact_page(request: Request, contact_id: ContactId, db: DbSession, actor: Specialist) -> Response:
    return await _contact_page(request, db, actor, contact_id)


@router.post("/specialist/contacts/{contact_id}/advice")
async def give_advice(request: Request, contact_id: ContactId, db: DbSession, actor: Specialist,
                      advice: LongText = "", referral_note: LongText = "") -> Response:
    try:
        await specialist.record_advice(db, actor, contact_id, advice=advice, referral_note=referral_note)
    except specialist.ContactNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except specialist.AdviceRefused as refused:
        return await _contact_page(request, db, actor, contact_id,
                                   values={"advice": advice, "referral_note": referral_note},
                                   errors=refused.errors, status_code=400)
    response = RedirectResponse(f"/specialist/contacts/{contact_id}#advice-given", status_code=303)
    flash(request, response, "Advice recorded. The handler and the attending officers see it on the call.")
    return response


# -- API: /api/v1/specialist/... ---------------------------------------------------------------------------

class QueueItemOut(BaseModel):
    id: int
    url: str
    channel: str
    received_at: datetime
    grade: str | None
    silent: bool
    pressed_55: bool
    victim_identified: bool
    status: str
    advice_count: int
    last_advice_at: datetime | None


class QueueOut(BaseModel):
    waiting: list[QueueItemOut]
    reviewed_today: list[QueueItemOut]


class AdviceOut(BaseModel):
    id: int
    advice: str
    referral_note: str | None
    given_at: datetime
    given_by: str


class AdviceListOut(BaseModel):
    contact_id: int
    advice: list[AdviceOut]


class AdviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advice: str = Field(max_length=20_000, description="Advice for the handler and the attending officers")
    referral_note: str | None = Field(default=None, max_length=20_000, description="Referrals made or suggested")


class AdviceRefusedOut(BaseModel):
    detail: str
    errors: list[ProblemOut]


REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": AdviceRefusedOut, "description": "Nothing was saved; each field at fault is named with the reason"}}


def _item_out(item: specialist.QueueItem) -> QueueItemOut:
    return QueueItemOut(id=item.id, url=f"/specialist/contacts/{item.id}", channel=item.channel,
                        received_at=item.received_at, grade=item.grade, silent=item.silent, pressed_55=item.pressed_55,
                        victim_identified=item.victim_identified, status=item.status, advice_count=item.advice_count,
                        last_advice_at=item.last_advice_at)


def _advice_out(a: specialist.AdviceView) -> AdviceOut:
    return AdviceOut(id=a.id, advice=a.advice, referral_note=a.referral_note, given_at=a.given_at,
                     given_by=a.given_by)


@router.get("/api/v1/specialist/queue", response_model=QueueOut, tags=["specialist"])
async def queue_api(db: DbSession, actor: Specialist) -> QueueOut:
    """The DA calls waiting for review and those reviewed today, newest first (as the queue page)."""
    found = await specialist.queue(db, actor)
    return QueueOut(waiting=[_item_out(i) for i in found.waiting],
                    reviewed_today=[_item_out(i) for i in found.reviewed])


@router.get("/api/v1/specialist/contacts/{contact_id}/advice", response_model=AdviceListOut, tags=["specialist"])
async def advice_api(contact_id: ContactId, db: DbSession, actor: ContactReader) -> AdviceListOut:
    """The DA specialist's advice on a call, oldest first, for the handler and the attending officers. Audited."""
    try:
        found = await specialist.contact_advice(db, actor, contact_id)
    except specialist.ContactNotFound:
        raise HTTPException(404, f"No contact {contact_id} in your force.") from None
    return AdviceListOut(contact_id=contact_id, advice=[_advice_out(a) for a in found])


@router.post("/api/v1/specialist/contacts/{contact_id}/advice", response_model=AdviceOut, status_code=201,
             responses=REFUSED, tags=["specialist"])
async def give_advice_api(contact_id: ContactId, body: AdviceIn, db: DbSession, actor: Specialist
                          ) -> AdviceOut | JSONResponse:
    """Record a piece of advice on a DA call."""
    try:
        row = await specialist.record_advice(db, actor, contact_id, advice=body.advice,
                                             referral_note=body.referral_note or "")
    except specialist.ContactNotFound:
        raise HTTPException(404, f"No DA contact {contact_id} in your force.") from None
    except specialist.AdviceRefused as refused:
        return refusal("The advice was not recorded.", refused.errors)
    return AdviceOut(id=row.id, advice=row.advice, referral_note=row.referral_note, given_at=row.given_at,
                     given_by=row.given_by)
