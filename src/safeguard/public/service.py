"""The public online report and the help directory: rules, with no HTTP.

A member of the public is not signed in, so there is no actor. The force whose control room receives online
reports is configuration (`SAFEGUARD_PUBLIC_FORCE`); every query here runs under that force's row-level-security
context, which the caller sets with `set_force_context` (see `public_force`).

A stored report is an `online` contact, open and DA-flagged, in that force's queue: `taken_by` is "public" and
`report` holds the answers (the shape is `report_json` below, documented in docs/public-pages.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.config import Settings
from safeguard.contact.models import Contact
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from safeguard.safeguarding.models import SupportService
from safeguard.safeguarding.safe_contact import to_e164
from safeguard.safeguarding.services import ServiceView, view_of

REPORT_VERSION = 1
# The questions, in the order the form asks them (and so the order of the error summary).
QUESTIONS = ("danger_now", "what_happened", "where", "name", "phone", "voicemail_safe", "text_safe", "email",
             "safe_times")
ANSWERS = ("yes", "no")
# Longest answer accepted for each free-text field (location_text in the contact is 300 characters).
LIMITS = {"what_happened": 5000, "where": 300, "name": 200, "phone": 40, "email": 200, "safe_times": 500}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
FORM_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
NOTE_EXCERPT = 200

# The help page's directory, in the order shown: who each group serves, as a member of the public reads it.
HELP_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("men", "For men", ("men",)),
    ("women", "For women", ("women",)),
    ("lgbt", "For LGBT+ people", ("lgbt",)),
    ("older-people", "For older people", ("older-people",)),
    ("children", "For children and young people, and adults worried about a child", ("children", "young-people")),
    ("stalking", "Stalking and harassment", ("stalking",)),
    ("honour-based-abuse", "Honour-based abuse and forced marriage", ("honour-based-abuse",)),
    ("sexual-violence", "Rape and sexual abuse", ("sexual-violence",)),
    ("deaf", "For Deaf people", ("deaf",)),
    ("any", "For anyone", ("any",)),
    ("perpetrators", "If you are worried about your own behaviour", ("perpetrators",)),
)


class ReportRefused(ValueError):
    """The report cannot be sent; `errors` maps each field at fault to what to fix. Nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(", ".join(self.errors))  # field names only: the messages may quote what was typed


@dataclass(frozen=True)
class ReportInput:
    """What a member of the public typed, as typed."""

    danger_now: str = ""  # yes or no
    what_happened: str = ""
    where: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    safe_times: str = ""
    voicemail_safe: str = ""  # yes or no; asked when a phone number is given
    text_safe: str = ""  # yes or no; asked when a phone number is given


def report_problems(data: ReportInput) -> dict[str, str]:
    """Everything wrong with the report, by field, in words a member of the public can act on. Pure."""
    errors: dict[str, str] = {}
    if data.danger_now not in ANSWERS:
        errors["danger_now"] = "Select yes if anyone is in danger now"
    if not data.what_happened.strip():
        errors["what_happened"] = "Tell us what happened"
    labels = {"what_happened": "what happened", "where": "where it happened", "name": "your name",
              "phone": "the phone number", "email": "the email address", "safe_times": "safe times to contact you"}
    for name, limit in LIMITS.items():
        if len(getattr(data, name).strip()) > limit:
            errors[name] = f"Keep {labels[name]} to {limit} characters or fewer"
    phone, email = data.phone.strip(), data.email.strip()
    if not phone and not email:
        errors["phone"] = "Enter a phone number or an email address that is safe for us to use"
    if phone and "phone" not in errors and to_e164(phone) is None:
        errors["phone"] = "Enter a phone number we can call, like 07700 900123"
    if email and "email" not in errors and not EMAIL.fullmatch(email):
        errors["email"] = "Enter an email address in the correct format, like name@example.com"
    if phone:
        if data.voicemail_safe not in ANSWERS:
            errors["voicemail_safe"] = "Select yes if it is safe for us to leave a voicemail on this number"
        if data.text_safe not in ANSWERS:
            errors["text_safe"] = "Select yes if it is safe for us to send a text message to this number"
    order = {name: i for i, name in enumerate(QUESTIONS)}
    return dict(sorted(errors.items(), key=lambda item: order[item[0]]))


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


def report_json(data: ReportInput, submitted_at: datetime) -> dict[str, Any]:
    """The answers as the control room reads them from `contact.report`. Call only on a report without problems."""
    phone = to_e164(data.phone) if data.phone.strip() else None
    return {
        "version": REPORT_VERSION,
        "submitted_at": submitted_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "danger_now": data.danger_now == "yes",
        "what_happened": data.what_happened.strip(),
        "where": _optional(data.where),
        "name": _optional(data.name),
        "phone": phone,
        "email": _optional(data.email),
        "safe_times": _optional(data.safe_times),
        # Asked only when a phone number is given; null otherwise.
        "voicemail_safe": None if phone is None else data.voicemail_safe == "yes",
        "text_safe": None if phone is None else data.text_safe == "yes",
    }


def note_for(report: Mapping[str, Any]) -> str:
    """The one-line summary the queue and the live board show."""
    text = " ".join(str(report["what_happened"]).split())
    excerpt = text if len(text) <= NOTE_EXCERPT else text[: NOTE_EXCERPT - 1].rstrip() + "…"
    lead = "Online report: someone is in danger now." if report["danger_now"] else "Online report."
    cautions = []
    if report["phone"] is not None and not report["voicemail_safe"]:
        cautions.append("no voicemail")
    if report["phone"] is not None and not report["text_safe"]:
        cautions.append("no texts")
    caution = f" Safe contact: {', '.join(cautions)}." if cautions else ""
    return f"{lead}{caution} {excerpt}"


def idempotency_key(form_id: str, data: ReportInput) -> str | None:
    """The same form sent twice with the same answers (a double click, a retried request) is one report.

    Keyed on the form's own random id and the answers, so a changed report sent from the same form is a new one.
    """
    if not FORM_ID.fullmatch(form_id):
        return None
    digest = hashlib.sha256(json.dumps([form_id, asdict(data)], sort_keys=True).encode()).hexdigest()
    return f"public:{digest[:48]}"


async def public_force(db: AsyncSession, settings: Settings) -> Force | None:
    """The force that receives online reports, with the transaction set to act for it; None if not configured.

    `SAFEGUARD_PUBLIC_FORCE` names it by code. When that is empty and the database holds exactly one force (a
    force's own installation, or the demo), that force.
    """
    code = settings.safeguard_public_force.strip()
    if code:
        force = await db.scalar(select(Force).where(Force.code == code))
    else:
        forces = list(await db.scalars(select(Force).order_by(Force.id).limit(2)))
        force = forces[0] if len(forces) == 1 else None
    if force is not None:
        await set_force_context(db, force.id)
    return force


async def submit_report(db: AsyncSession, *, force: Force, data: ReportInput, form_id: str = "",
                        now: datetime | None = None) -> int:
    """Store the report as an open, DA-flagged `online` contact in the force's queue; its id.

    The transaction must already act for `force` (see `public_force`). Raises ReportRefused, before anything is
    written, if the answers have problems. Audited as `contact.create` by "public (online report)", without the
    sender's address or any of the answers.
    """
    errors = report_problems(data)
    if errors:
        raise ReportRefused(errors)
    now = now or datetime.now(UTC)
    report = report_json(data, now)
    key = idempotency_key(form_id, data)
    values: dict[str, Any] = {
        "force_id": force.id, "channel": "online", "caller_number": report["phone"], "received_at": now,
        "pressed_55": False, "note": note_for(report), "da_flag": True, "status": "open", "taken_by": "public",
        "location_text": report["where"], "report": report, "idempotency_key": key,
    }
    statement = pg_insert(Contact).values(**values)
    if key is not None:
        statement = statement.on_conflict_do_nothing(constraint="uq_contact_idempotency")
    contact_id = await db.scalar(statement.returning(Contact.id))
    if contact_id is None:  # sent before: the first one stands
        existing = await db.scalar(select(Contact.id).where(Contact.force_id == force.id,
                                                            Contact.idempotency_key == key))
        assert existing is not None
        return int(existing)
    await audit.record(db, action="contact.create", actor_label="public (online report)", force_id=force.id,
                       object_type="contact", object_id=contact_id, details={"channel": "online"})
    return int(contact_id)


@dataclass(frozen=True)
class HelpGroup:
    key: str
    heading: str
    services: list[ServiceView]


async def help_directory(db: AsyncSession, force: Force | None) -> list[HelpGroup]:
    """Active support services, national and (with a force) the force's local ones, grouped for the public.

    Only what a service publishes about itself is shown; a service appears under each group it serves. Local
    services come first within a group.
    """
    query = select(SupportService).where(SupportService.active.is_(True))
    if force is None:
        query = query.where(SupportService.force_id.is_(None))
    else:
        query = query.where((SupportService.force_id.is_(None)) | (SupportService.force_id == force.id))
    rows = [view_of(row) for row in await db.scalars(query.order_by(func.lower(SupportService.name),
                                                                     SupportService.id))]
    groups = []
    for key, heading, tags in HELP_GROUPS:
        chosen = [row for row in rows if set(tags) & set(row.groups)]
        chosen.sort(key=lambda view: (view.national, view.name.lower()))
        if chosen:
            groups.append(HelpGroup(key, heading, chosen))
    return groups
