"""AML fixes: storing them, attaching them to contacts, holding early ones, de-duplicating, quarantining bad messages.

Rules (DOMAIN.md §4, docs/aml.md):

* One fix per handset and time of positioning (IMEI + fixed_at, unique per force): a resend is acknowledged
  as a duplicate and not stored twice.
* A fix attaches to the open contact from the same number whose received_at is within the force's AML window
  (`contact/rules.py`, default 60 minutes) either side of the fix time; the nearest in time wins.
* A fix with no such contact is held (contact_id NULL). Contact intake calls `attach_held_fixes` for every new
  contact, which attaches the held fixes from its number within the window.
* A message that cannot be used is kept in the quarantine with the reason, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact import aml
from safeguard.contact.models import AmlFix, AmlQuarantine, Contact
from safeguard.contact.rules import rules_for
from safeguard.force.models import Force
from safeguard.safeguarding.safe_contact import to_e164

# An AML SMS is about 130 characters and the HTTPS form under 2 kB; anything far bigger is not AML.
MAX_MESSAGE_BYTES = 8192
QUARANTINE_PAGE_SIZE = 50


@dataclass(frozen=True)
class Outcome:
    """What happened to one message: attached, held, duplicate or quarantined."""

    status: str
    detail: str
    fix_id: int | None = None
    contact_id: int | None = None
    quarantine_id: int | None = None
    reason: str | None = None
    field: str | None = None
    has_fix: bool | None = None


async def length_tolerance_for(db: AsyncSession, force_id: int) -> int:
    """`control_room.aml_length_tolerance` in the force's settings (0 = strict ETSI); the parser's default
    otherwise. A setting that is not a whole number from 0 to 10 is ignored."""
    settings = await db.scalar(select(Force.settings).where(Force.id == force_id)) or {}
    value = (settings.get("control_room") or {}).get("aml_length_tolerance")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10:
        return value
    return aml.DEFAULT_LENGTH_TOLERANCE


async def receive_sms(db: AsyncSession, actor: Actor, *, body: bytes, msisdn: str | None) -> Outcome:
    """An AML SMS as the gateway delivered it, with the sender's number as the gateway saw it."""
    raw = body.decode("utf-8", errors="replace")
    if len(body) > MAX_MESSAGE_BYTES:
        return await _quarantine(db, actor, "sms", raw[:MAX_MESSAGE_BYTES], msisdn,
                                 f"The message is {len(body)} bytes; an AML message is at most "
                                 f"{MAX_MESSAGE_BYTES} (the first {MAX_MESSAGE_BYTES} are kept)")
    if "\ufffd" in raw:
        return await _quarantine(db, actor, "sms", raw, msisdn, "The message is not UTF-8 text")
    number = to_e164(msisdn) if msisdn else None
    if number is None:
        reason = ("No sender number: give it as ?msisdn=+447700900123" if not msisdn else
                  "The sender number (msisdn) is not a phone number")
        return await _quarantine(db, actor, "sms", raw, msisdn, reason, field="msisdn")
    try:
        message = aml.parse_sms(raw, length_tolerance=await length_tolerance_for(db, actor.force_id))
    except aml.AmlError as error:
        return await _quarantine(db, actor, "sms", raw, number, error.reason, field=error.field)
    return await _store(db, actor, message, number, raw)


async def receive_https(db: AsyncSession, actor: Actor, *, body: bytes, fields: Mapping[str, str]) -> Outcome:
    """The HTTPS form, already decoded into its first value per field."""
    raw = body.decode("utf-8", errors="replace")
    given_number = fields.get("device_number")
    if len(body) > MAX_MESSAGE_BYTES:
        return await _quarantine(db, actor, "https", raw[:MAX_MESSAGE_BYTES], given_number,
                                 f"The message is {len(body)} bytes; an AML message is at most "
                                 f"{MAX_MESSAGE_BYTES} (the first {MAX_MESSAGE_BYTES} are kept)")
    try:
        message = aml.parse_https(fields)
    except aml.AmlError as error:
        return await _quarantine(db, actor, "https", raw, given_number, error.reason, field=error.field)
    # device_number is "best effort" in Google's rules: a fix without one is kept, but cannot attach by number.
    number = to_e164(given_number) if given_number else None
    return await _store(db, actor, message, number, raw)


async def _quarantine(db: AsyncSession, actor: Actor, transport: str, raw: str, msisdn: str | None, reason: str,
                      *, field: str | None = None) -> Outcome:
    row = AmlQuarantine(force_id=actor.force_id, transport=transport, raw=_clean(raw),
                        msisdn=_clean(msisdn[:40]) if msisdn else None, reason=_clean(reason))
    db.add(row)
    await db.flush()
    await audit.record(db, action="aml.quarantine", actor=actor, object_type="aml_quarantine", object_id=row.id,
                       details={"transport": transport})
    return Outcome("quarantined", f"Quarantined: {reason}", quarantine_id=row.id, reason=reason, field=field)


async def _store(db: AsyncSession, actor: Actor, message: aml.AmlMessage, number: str | None, raw: str) -> Outcome:
    existing = await _existing(db, actor.force_id, message)
    if existing is not None:
        return _duplicate(existing)
    fix = AmlFix(force_id=actor.force_id, msisdn=number, imei=message.imei, transport=message.transport,
                 version=message.version, has_fix=message.has_fix, latitude=message.latitude,
                 longitude=message.longitude, radius_m=message.radius_m, confidence_pct=message.confidence_pct,
                 method=message.method, fixed_at=message.fixed_at, received_at=datetime.now(UTC),
                 emergency_number=message.emergency_number, raw=_clean(raw))
    try:
        async with db.begin_nested():
            db.add(fix)
            await db.flush()
    except IntegrityError:
        # The same fix arrived twice at once (SMS and HTTPS together): the other request stored it.
        existing = await _existing(db, actor.force_id, message)
        if existing is None:
            raise
        return _duplicate(existing)
    contact_id = await _contact_for(db, actor.force_id, number, message.fixed_at) if number else None
    if contact_id is not None:
        fix.contact_id = contact_id
        await db.flush()
    await audit.record(db, action="aml.receive", actor=actor, object_type="aml_fix", object_id=fix.id,
                       details={"transport": message.transport, "has_fix": message.has_fix,
                                "attached": contact_id is not None})
    what = "Stored" if message.has_fix else "Stored (no position: the handset had no fix)"
    if contact_id is not None:
        return Outcome("attached", f"{what} and attached to contact {contact_id}.", fix_id=fix.id,
                       contact_id=contact_id, has_fix=message.has_fix)
    why = ("no number came with it, so it cannot be matched to a call" if number is None else
           "no open contact from that number within the window yet; it will attach when the call is taken")
    return Outcome("held", f"{what} and held: {why}.", fix_id=fix.id, has_fix=message.has_fix)


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL: keep everything else exactly as it came."""
    return text.replace("\x00", "\ufffd")


async def _existing(db: AsyncSession, force_id: int, message: aml.AmlMessage) -> AmlFix | None:
    found: AmlFix | None = await db.scalar(select(AmlFix).where(
        AmlFix.force_id == force_id, AmlFix.imei == message.imei, AmlFix.fixed_at == message.fixed_at))
    return found


def _duplicate(existing: AmlFix) -> Outcome:
    where = f"attached to contact {existing.contact_id}" if existing.contact_id else "held"
    return Outcome("duplicate", f"Already received (fix {existing.id}, {where}): not stored again.",
                   fix_id=existing.id, contact_id=existing.contact_id, has_fix=existing.has_fix)


async def _contact_for(db: AsyncSession, force_id: int, number: str, fixed_at: datetime) -> int | None:
    """The open contact from this number received nearest the fix time, within the force's window."""
    window = (await rules_for(db, force_id)).aml_window
    distance = func.abs(func.extract("epoch", Contact.received_at - fixed_at))
    found: int | None = await db.scalar(
        select(Contact.id).where(Contact.force_id == force_id, Contact.status == "open",
                                 Contact.caller_number == number,
                                 Contact.received_at.between(fixed_at - window, fixed_at + window))
        .order_by(distance, Contact.received_at.desc(), Contact.id.desc()).limit(1))
    return found


async def attach_held_fixes(db: AsyncSession, contact: Contact) -> int:
    """Attach to a newly received contact the AML fixes from its number that arrived before it, within the
    force's window. Returns how many were attached. Called by contact intake for every new contact."""
    if not contact.caller_number or contact.status != "open":
        return 0
    window = (await rules_for(db, contact.force_id)).aml_window
    result = await db.execute(
        update(AmlFix)
        .where(AmlFix.force_id == contact.force_id, AmlFix.contact_id.is_(None),
               AmlFix.msisdn == contact.caller_number,
               AmlFix.fixed_at.between(contact.received_at - window, contact.received_at + window))
        .values(contact_id=contact.id)
        .returning(AmlFix.id))
    attached = list(result.scalars())
    if attached:
        await audit.record(db, action="aml.attach_held", actor_label="aml", force_id=contact.force_id,
                           object_type="contact", object_id=contact.id, details={"fixes": len(attached)})
    return len(attached)


@dataclass(frozen=True)
class QuarantinedView:
    id: int
    transport: str
    msisdn: str | None
    raw: str
    reason: str
    received_at: datetime


async def recent_quarantine(db: AsyncSession, actor: Actor, *, limit: int = QUARANTINE_PAGE_SIZE
                            ) -> Sequence[QuarantinedView]:
    """The force's most recent quarantined messages, newest first. The viewing is audited (the raw messages
    hold handset identifiers)."""
    rows = (await db.scalars(select(AmlQuarantine).where(AmlQuarantine.force_id == actor.force_id)
                             .order_by(AmlQuarantine.received_at.desc(), AmlQuarantine.id.desc())
                             .limit(limit))).all()
    await audit.record(db, action="aml_quarantine.list", actor=actor, object_type="aml_quarantine",
                       details={"shown": len(rows)})
    return [QuarantinedView(r.id, r.transport, r.msisdn, r.raw, r.reason, r.received_at) for r in rows]


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {"outcome": outcome.status, "detail": outcome.detail}
    for key in ("fix_id", "contact_id", "quarantine_id", "reason", "has_fix"):
        value = getattr(outcome, key)
        if value is not None:
            body[key] = value
    return body
