"""Contact pages: the open contacts, the handler's "new contact" page (which telephony can prefill), and a
contact with its history at a glance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact import intake
from safeguard.contact.models import CHANNELS
from safeguard.contact.rules import GRADE_LABELS
from safeguard.crimes.service import uk_time
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

ContactId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.CONTACT_READ))]
Writer = Annotated[Actor, Depends(Requires(P.CONTACT_WRITE))]
Short = Annotated[str, Form(max_length=100)]
Long = Annotated[str, Form(max_length=intake.NOTE_MAX + 100)]
Prefill = Annotated[str, Query(max_length=100)]

NOT_FOUND = "There is no contact with that number in your force."
CHANNEL_OPTIONS = [(c, intake.CHANNEL_LABELS[c]) for c in CHANNELS]
FLAGS = (("injury", "Someone is injured"), ("weapons", "Weapons are mentioned or present"),
         ("children_present", "Children are present"), ("da_flag", "Domestic abuse"),
         ("rural", "Rural location (rural attendance target)"))


def _context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"values": values, "errors": errors, "channels": CHANNEL_OPTIONS, "flags": FLAGS,
            "title": "Error: New contact" if errors else "New contact"}


@router.get("/contacts")
async def contacts_page(request: Request, db: DbSession, actor: Reader) -> Response:
    contacts = await intake.open_contacts(db, actor)
    return render(request, "contact/list.html", {"contacts": contacts, "can_write": actor.can(P.CONTACT_WRITE),
                                                 "uk_time": uk_time, "national": intake.national,
                                                 "channel_labels": intake.CHANNEL_LABELS,
                                                 "grade_labels": GRADE_LABELS})


@router.get("/contacts/new")
async def new_contact_page(request: Request, actor: Writer, channel: Prefill = "", number: Prefill = "",
                           pressed_55: Prefill = "", received_at: Prefill = "", note: Prefill = "") -> Response:
    """The handler's form. Telephony opens it prefilled: ?channel=999-silent&number=...&pressed_55=1&received_at=..."""
    values: dict[str, Any] = {"channel": channel if channel in CHANNELS else "", "caller_number": number,
                              "pressed_55": "yes" if pressed_55.lower() in ("1", "true", "yes") else "",
                              "received_at": received_at, "note": note, "key": uuid.uuid4().hex}
    return render(request, "contact/new.html", _context(values, {}))


def _parse_received(text: str, errors: dict[str, str]) -> datetime | None:
    if not text.strip():
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        errors["received_at"] = f"'{text}' is not a date and time; telephony sends it as 2026-11-25T21:04:05Z"
        return None
    return value


@router.post("/contacts/new")
async def create_contact(request: Request, db: DbSession, actor: Writer, channel: Short = "",
                         caller_number: Short = "", received_at: Short = "", pressed_55: Short = "",
                         note: Long = "", location_text: Annotated[str, Form(max_length=400)] = "",
                         location_id: Short = "", injury: Short = "", weapons: Short = "",
                         children_present: Short = "", da_flag: Short = "", rural: Short = "",
                         key: Short = "") -> Response:
    values: dict[str, Any] = {"channel": channel, "caller_number": caller_number, "received_at": received_at,
                              "pressed_55": pressed_55, "note": note, "location_text": location_text,
                              "location_id": location_id, "injury": injury, "weapons": weapons,
                              "children_present": children_present, "da_flag": da_flag, "rural": rural,
                              "key": key or uuid.uuid4().hex}
    errors: dict[str, str] = {}
    received = _parse_received(received_at, errors)
    place: int | None = None
    if location_id.strip():
        if location_id.strip().isdigit() and 1 <= int(location_id) <= 2**62:
            place = int(location_id)
        else:
            errors["location_id"] = "The Safeguard address number is the number in the address's link, like 1234"
    new = intake.NewContact(channel=channel, caller_number=caller_number, received_at=received,
                            pressed_55=pressed_55 == "yes", note=note, location_text=location_text,
                            location_id=place, injury=injury == "yes", weapons=weapons == "yes",
                            children_present=children_present == "yes", da_flag=da_flag == "yes",
                            rural=rural == "yes")
    try:
        if errors:
            problems, _ = intake.contact_problems(new, datetime.now(UTC))
            raise intake.IntakeRefused({**problems, **errors})
        contact, created = await intake.receive_contact(db, actor, new, idempotency_key=f"page:{key}" if key
                                                        else None)
    except intake.IntakeRefused as refused:
        return render(request, "contact/new.html", _context(values, refused.errors), status_code=400)
    except intake.IdempotencyConflict as conflict:
        response = RedirectResponse(f"/contacts/{conflict.contact_id}", status_code=303)
        flash(request, response, f"This form was already sent as contact {conflict.contact_id}. Your changes "
                                 "were not saved: add them to this contact.", kind="important")
        return response
    response = RedirectResponse(f"/contacts/{contact.id}", status_code=303)
    flash(request, response, f"Contact {contact.id} recorded." if created
          else f"Contact {contact.id} was already recorded.")
    return response


@router.get("/contacts/{contact_id}")
async def contact_page(request: Request, contact_id: ContactId, db: DbSession, actor: Reader) -> Response:
    try:
        view = await intake.read_contact(db, actor, contact_id)
    except intake.ContactNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    return render(request, "contact/contact.html", {
        "view": view, "c": view.contact, "glance": view.glance, "uk_time": uk_time, "national": intake.national,
        "channel_labels": intake.CHANNEL_LABELS, "grade_labels": GRADE_LABELS,
        "can_grade": actor.can(P.CONTACT_WRITE), "can_advise": actor.can(P.SAFEGUARDING_WRITE),
        "can_see_people": actor.can(P.PERSON_READ)})
