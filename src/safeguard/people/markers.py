"""Warning markers on a person, an address or a phone number: what an officer must know before they go in.

A marker has a kind (weapons, violence towards police, children at the address...), a note, the day it
starts applying and, once it no longer applies, the day it stopped: `ends_on` is the first day the marker
no longer applies, so a marker ended today is no longer active today. Markers are never deleted: ending
one keeps the row and records who ended it, when and why.

The kinds are the force's to choose (`force.settings["marker_kinds"]`, a list of `{"code", "label"}`);
the defaults below are used when a force has not set its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.force.models import Force
from safeguard.people import history
from safeguard.people.models import Location, Marker
from safeguard.people.service import PersonNotFound, may_see

UK = ZoneInfo("Europe/London")
NOTE_MAX = 1000
REASON_MAX = 1000
CODE_MAX = 40


@dataclass(frozen=True)
class MarkerKind:
    code: str
    label: str


DEFAULT_MARKER_KINDS: tuple[MarkerKind, ...] = (
    MarkerKind("da-high-risk-victim", "DA high-risk victim"),
    MarkerKind("da-perpetrator", "DA perpetrator"),
    MarkerKind("weapons", "Weapons"),
    MarkerKind("children-at-address", "Children at the address"),
    MarkerKind("violence-to-police", "Violence towards police"),
    MarkerKind("officer-safety", "Officer safety"),
    MarkerKind("stalking", "Stalking"),
    MarkerKind("mental-health", "Mental health"),
    MarkerKind("drugs", "Drugs"),
)


class Refused(ValueError):
    """What was asked cannot be saved. `errors` maps each field at fault to a message an officer can act on.

    Nothing has been written when this is raised.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))

    @property
    def field(self) -> str:
        return next(iter(self.errors))


class MarkerRefused(Refused):
    pass


class MarkerNotFound(LookupError):
    """No such marker in this force, or it is on a record this user may not see, or not on this person."""


@dataclass(frozen=True)
class MarkerView:
    id: int
    kind: str
    label: str
    note: str | None
    starts_on: date
    ends_on: date | None
    set_by: str
    set_at: datetime
    ended_by: str | None
    ended_at: datetime | None
    end_reason: str | None


@dataclass(frozen=True)
class MarkerLists:
    active: list[MarkerView]
    past: list[MarkerView]


def today() -> date:
    """Today in the UK, which is what an officer means by a date."""
    return datetime.now(UTC).astimezone(UK).date()


def kinds_from_settings(settings: Mapping[str, Any] | None) -> list[MarkerKind]:
    """The force's own marker kinds, or the defaults. Entries without a usable code and label are ignored."""
    chosen = (settings or {}).get("marker_kinds")
    kinds: list[MarkerKind] = []
    seen: set[str] = set()
    if isinstance(chosen, list):
        for entry in chosen:
            if not isinstance(entry, Mapping):
                continue
            code, label = str(entry.get("code") or "").strip(), str(entry.get("label") or "").strip()
            if code and label and len(code) <= CODE_MAX and code not in seen:
                kinds.append(MarkerKind(code, label))
                seen.add(code)
    return kinds or list(DEFAULT_MARKER_KINDS)


async def kinds_for(db: AsyncSession, force_id: int) -> list[MarkerKind]:
    return kinds_from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))


def label_for(code: str, kinds: Iterable[MarkerKind]) -> str:
    """A kind's label, also for a kind the force has since dropped from its list."""
    for kind in (*kinds, *DEFAULT_MARKER_KINDS):
        if kind.code == code:
            return kind.label
    return code.replace("_", " ").replace("-", " ").capitalize()


def parse_phone(text: str) -> str:
    """A phone number in any common UK or international format, as E.164. Raises MarkerRefused."""
    text = text.strip()
    if not text:
        raise MarkerRefused({"phone": "Enter a phone number"})
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise MarkerRefused({"phone": f"'{text}' is not a phone number"}) from None
    if not phonenumbers.is_possible_number(number) or len(str(number.national_number)) < 7:
        raise MarkerRefused({"phone": f"'{text}' is not a valid UK or international phone number"})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_active(marker: Marker, on: date) -> bool:
    return marker.starts_on <= on and (marker.ends_on is None or on < marker.ends_on)


async def marker_problems(db: AsyncSession, actor: Actor, *, kind: str, starts_on: date | None,
                          ends_on: date | None = None, note: str | None = None) -> dict[str, str]:
    """Everything wrong with a marker's kind, dates and note, field by field (empty when it may be saved)."""
    problems: dict[str, str] = {}
    kinds = await kinds_for(db, actor.force_id)
    if not kind.strip():
        problems["kind"] = "Choose the type of marker"
    elif kind not in {k.code for k in kinds}:
        problems["kind"] = f"'{kind}' is not a marker type your force uses"
    now = today()
    if starts_on is None:
        problems["starts_on"] = "Enter the date the marker starts"
    elif starts_on > now:
        problems["starts_on"] = "The start date must be today or in the past"
    if ends_on is not None and starts_on is not None and ends_on <= starts_on:
        problems["ends_on"] = "The end date must be after the start date"
    if note is not None and len(note.strip()) > NOTE_MAX:
        problems["note"] = f"The note must be {NOTE_MAX} characters or fewer"
    return problems


async def set_marker(db: AsyncSession, actor: Actor, *, person_id: int | None = None,
                     location_id: int | None = None, phone: str | None = None, kind: str, starts_on: date,
                     ends_on: date | None = None, note: str | None = None) -> Marker:
    """Put a marker on one person, address or phone number. Audited.

    Raises MarkerRefused (a ValueError naming each field at fault) and saves nothing when the kind is not
    one the force uses, the start is in the future, the end is not after the start, the phone number is not
    one, or not exactly one subject is given; PersonNotFound when the person is not one this user may see.
    """
    subjects = [s for s in (person_id, location_id, phone) if s is not None]
    if len(subjects) != 1:
        raise MarkerRefused({"subject": "Put a marker on exactly one person, address or phone number"})
    phone_e164 = parse_phone(phone) if phone is not None else None
    if person_id is not None:
        person = await history.visible_person(db, actor, person_id)
        if person is None:
            raise PersonNotFound(person_id)
        if person.merged_into_id is not None:
            raise MarkerRefused({"person_id": f"Person {person_id} was merged into person {person.merged_into_id}: "
                                              "put the marker on that record"})
    if location_id is not None:
        location = await db.scalar(select(Location).where(Location.id == location_id))
        if location is None or (location.restricted and not await may_see(db, actor, location_id=location_id)):
            raise MarkerRefused({"location_id": f"There is no address {location_id} in your force"})
    problems = await marker_problems(db, actor, kind=kind, starts_on=starts_on, ends_on=ends_on, note=note)
    if problems:
        raise MarkerRefused(problems)
    marker = Marker(force_id=actor.force_id, person_id=person_id, location_id=location_id, phone_e164=phone_e164,
                    kind=kind, note=(note or "").strip() or None, starts_on=starts_on, ends_on=ends_on,
                    set_by_id=actor.user_id, set_by=actor.label)
    db.add(marker)
    await db.flush()
    await audit.record(db, action="marker.set", actor=actor, object_type="marker", object_id=marker.id,
                       details={"kind": kind, "person_id": person_id, "location_id": location_id,
                                "phone": phone_e164, "starts_on": starts_on.isoformat(),
                                "ends_on": ends_on.isoformat() if ends_on else None})
    return marker


async def find_marker(db: AsyncSession, marker_id: int, *, person_id: int | None = None) -> Marker:
    """A marker this user may see (row-level security confines it to their force and visible records)."""
    marker = await db.scalar(select(Marker).where(Marker.id == marker_id).execution_options(populate_existing=True))
    if marker is None or (person_id is not None and marker.person_id != person_id):
        raise MarkerNotFound(marker_id)
    return marker


def end_problems(marker: Marker, *, ends_on: date | None, reason: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    now = today()
    if marker.ended_at is not None:
        problems["marker"] = f"This marker was already ended by {marker.ended_by}"
    elif marker.ends_on is not None and marker.ends_on <= now:
        problems["marker"] = f"This marker already stopped applying on {marker.ends_on:%d %B %Y}"
    if ends_on is None:
        problems["ends_on"] = "Enter the date the marker stops applying"
    elif ends_on > now:
        problems["ends_on"] = "The end date must be today or in the past"
    elif ends_on < marker.starts_on:
        problems["ends_on"] = f"The end date must be on or after the start date, {marker.starts_on:%d %B %Y}"
    if not reason.strip():
        problems["reason"] = "Say why the marker no longer applies"
    elif len(reason.strip()) > REASON_MAX:
        problems["reason"] = f"The reason must be {REASON_MAX} characters or fewer"
    return problems


async def end_marker(db: AsyncSession, actor: Actor, marker_id: int, *, ends_on: date, reason: str,
                     person_id: int | None = None) -> Marker:
    """Stop a marker applying from `ends_on`. The marker is kept, with who ended it, when and why. Audited.

    Raises MarkerNotFound for a marker this user cannot see (or not on `person_id` when given), and
    MarkerRefused when it has already ended, the date is in the future or before the start, or no reason
    is given.
    """
    marker = await find_marker(db, marker_id, person_id=person_id)
    problems = end_problems(marker, ends_on=ends_on, reason=reason)
    if problems:
        raise MarkerRefused(problems)
    marker.ends_on = ends_on
    marker.ended_by = actor.label
    marker.ended_at = datetime.now(UTC)
    marker.end_reason = reason.strip()
    await db.flush()
    await audit.record(db, action="marker.ended", actor=actor, object_type="marker", object_id=marker.id,
                       reason=marker.end_reason,
                       details={"kind": marker.kind, "person_id": marker.person_id,
                                "location_id": marker.location_id, "phone": marker.phone_e164,
                                "ends_on": ends_on.isoformat()})
    return marker


async def markers_for(db: AsyncSession, *, person_id: int | None = None, location_id: int | None = None,
                      phone: str | None = None, on: date | None = None) -> MarkerLists:
    """The markers on one person, address or phone number: those active on `on` (today by default), newest
    first, and those that have stopped applying, most recently ended first. Markers that start after `on`
    are in neither list."""
    subjects = [s for s in (person_id, location_id, phone) if s is not None]
    if len(subjects) != 1:
        raise MarkerRefused({"subject": "Ask for the markers of exactly one person, address or phone number"})
    on = on or today()
    query = select(Marker)
    if person_id is not None:
        query = query.where(Marker.person_id == person_id)
    elif location_id is not None:
        query = query.where(Marker.location_id == location_id)
    else:
        query = query.where(Marker.phone_e164 == parse_phone(phone or ""))
    rows = list(await db.scalars(query.order_by(Marker.starts_on.desc(), Marker.id.desc())))
    if not rows:
        return MarkerLists([], [])
    kinds = await kinds_for(db, rows[0].force_id)

    def view(m: Marker) -> MarkerView:
        return MarkerView(m.id, m.kind, label_for(m.kind, kinds), m.note, m.starts_on, m.ends_on, m.set_by,
                          m.set_at, m.ended_by, m.ended_at, m.end_reason)

    active = [view(m) for m in rows if _is_active(m, on)]
    past = [view(m) for m in rows if m.ends_on is not None and m.ends_on <= on]
    past.sort(key=lambda m: (m.ends_on or on, m.id), reverse=True)
    return MarkerLists(active, past)
