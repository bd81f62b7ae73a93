"""Contacts in the API: telephony (or a signed-in handler) posts a contact; read one back with its alerts.

The contract is in docs/integrations.md. A token must send an Idempotency-Key; a retry with the same key and
body returns the same contact (200), never a duplicate; the same key with a different body is a 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path
from fastapi.responses import JSONResponse

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import intake
from safeguard.contact.schemas import AlertOut, ContactCreatedOut, ContactIn, ContactOut, LocationOut
from safeguard.crimes.schemas import CrimeRefusedOut
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])

Reader = Annotated[Actor, Depends(Requires(P.CONTACT_READ))]
Writer = Annotated[Actor, Depends(Requires(P.CONTACT_WRITE))]
ContactId = Annotated[int, Path(ge=1, le=2**62)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=intake.KEY_MAX)]


def _refused(errors: dict[str, str], detail: str = "The contact was not recorded.", status: int = 422
             ) -> JSONResponse:
    return JSONResponse({"detail": detail, "errors": [{"field": k, "message": v} for k, v in errors.items()]},
                        status_code=status)


@router.post("", status_code=201, response_model=ContactCreatedOut,
             responses={200: {"model": ContactCreatedOut, "description": "A retry: the contact this key created"},
                        400: {"model": CrimeRefusedOut, "description": "A token sent no Idempotency-Key"},
                        409: {"model": CrimeRefusedOut, "description": "The key was used for a different contact"},
                        422: {"model": CrimeRefusedOut, "description": "Nothing was saved; each field at fault "
                                                                       "is named with the reason"}})
async def create_contact(body: ContactIn, db: DbSession, actor: Writer,
                         idempotency_key: IdempotencyKey = None) -> ContactCreatedOut | JSONResponse:
    """Record a contact as the call is answered. 201 when created, 200 when a retry finds the same contact."""
    # A switch posts many contacts at once: hold the audit chain's lock for the commit only.
    audit.defer_until_commit(db)
    if actor.kind == "token" and not (idempotency_key or "").strip():
        return _refused({"Idempotency-Key": "Send an Idempotency-Key header (a unique id for this call, such as "
                                            "the switch's call id) so that a retry cannot create a second "
                                            "contact"}, status=400)
    new = intake.NewContact(channel=body.channel, caller_number=body.caller_number, received_at=body.received_at,
                            pressed_55=body.pressed_55, note=body.note, location_text=body.location_text,
                            da_flag=body.da_flag)
    try:
        contact, created = await intake.receive_contact(db, actor, new, idempotency_key=idempotency_key, via="api")
    except intake.IntakeRefused as refused:
        return _refused(refused.errors)
    except intake.IdempotencyConflict as conflict:
        return _refused({"Idempotency-Key": f"This Idempotency-Key was already used for contact "
                                            f"{conflict.contact_id} with a different "
                                            + ", ".join(conflict.fields) + "; use a new key for a new contact"},
                        detail="The Idempotency-Key was used before for a different contact.", status=409)
    out = ContactCreatedOut(id=contact.id, url=f"/contacts/{contact.id}")
    if created:
        return out
    return JSONResponse(out.model_dump(), status_code=200)


@router.get("/{contact_id}", response_model=ContactOut)
async def get_contact(contact_id: ContactId, db: DbSession, actor: Reader) -> ContactOut:
    """One contact: channel, number, times, grade, the latest AML location and the alerts for the handler.
    Audited."""
    try:
        view = await intake.read_contact(db, actor, contact_id, reason="read through the API")
    except intake.ContactNotFound:
        raise HTTPException(404, f"No contact {contact_id}.") from None
    contact, fix = view.contact, view.location
    return ContactOut(
        id=contact.id, channel=contact.channel, caller_number=contact.caller_number,
        received_at=contact.received_at, pressed_55=contact.pressed_55, da_flag=contact.da_flag,
        status=contact.status, grade=contact.grade,
        location=None if fix is None else LocationOut(latitude=fix.latitude, longitude=fix.longitude,
                                                      radius_m=fix.radius_m, confidence_pct=fix.confidence_pct,
                                                      method=fix.method, fixed_at=fix.fixed_at),
        alerts=[AlertOut(kind=a.kind, message=a.message) for a in view.alerts], url=f"/contacts/{contact.id}")
