"""DA specialist pages: the queue of DA calls for review, the safeguarding view of one call, and advice.

Every route needs safeguarding:write (the DA specialist; officers who safeguard hold it too). A contact of
another force, a contact that is not flagged DA, or no contact at all is 404. See docs/da-specialist.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import specialist
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

ContactId = Annotated[int, Path(ge=1, le=2**62)]
Specialist = Annotated[Actor, Depends(Requires(P.SAFEGUARDING_WRITE))]
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
