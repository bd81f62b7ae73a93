"""Safe contact: how a victim may be contacted without putting them at risk.

Shown first on every screen from which someone might contact the victim (the person page, support and MARAC
referrals, Clare's Law requests, the Victims' Code contact log): include `safeguarding/_safe_contact.html` with
`safe_contact` set from `safe_contact_for`. Reading the preferences is part of reading the person; the screen
that shows them audits that read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.people.models import Person
from safeguard.people.service import may_see
from safeguard.safeguarding.models import SafeContact

UK = ZoneInfo("Europe/London")


def display_number(e164: str | None) -> str | None:
    """An E.164 number as a UK officer would dial it: national format for UK numbers, international otherwise."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 44
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


@dataclass(frozen=True)
class SafeContactView:
    person_id: int
    safe_number: str | None
    safe_times: str | None
    no_voicemail: bool
    no_text_messages: bool
    no_letters_home: bool
    third_party_name: str | None
    third_party_number: str | None
    third_party_relationship: str | None
    only_through_third_party: bool
    notes: str | None
    updated_at: datetime
    updated_by: str
    # The numbers as stored (E.164), for integrations; the fields above are for people to dial.
    safe_number_e164: str | None = None
    third_party_number_e164: str | None = None

    @property
    def updated_uk(self) -> str:
        """When the preferences were last recorded, in UK time, as the pages show it."""
        return self.updated_at.astimezone(UK).strftime("%d %b %Y %H:%M")

    @property
    def warnings(self) -> list[str]:
        """The don'ts, in the words an officer should read before picking up the phone."""
        said = []
        if self.only_through_third_party:
            said.append("Contact only through the third party named below")
        if self.no_voicemail:
            said.append("Do not leave voicemail")
        if self.no_text_messages:
            said.append("Do not send text messages")
        if self.no_letters_home:
            said.append("Do not send letters to the home address")
        return said


def view_of(row: SafeContact) -> SafeContactView:
    return SafeContactView(
        person_id=row.person_id, safe_number=display_number(row.safe_number), safe_times=row.safe_times,
        no_voicemail=row.no_voicemail, no_text_messages=row.no_text_messages, no_letters_home=row.no_letters_home,
        third_party_name=row.third_party_name, third_party_number=display_number(row.third_party_number),
        third_party_relationship=row.third_party_relationship, only_through_third_party=row.only_through_third_party,
        notes=row.notes, updated_at=row.updated_at, updated_by=row.updated_by,
        safe_number_e164=row.safe_number, third_party_number_e164=row.third_party_number)


async def safe_contact_for(db: AsyncSession, person_id: int) -> SafeContactView | None:
    """The person's safe-contact preferences, or None when none are recorded (or the person is not visible:
    row-level security hides a restricted person's preferences with the person)."""
    row = await db.scalar(select(SafeContact).where(SafeContact.person_id == person_id))
    return view_of(row) if row is not None else None


# -- recording them ----------------------------------------------------------------------------------------

SAFE_CONTACT_FIELDS = ("safe_number", "safe_times", "no_voicemail", "no_text_messages", "no_letters_home",
                       "third_party_name", "third_party_number", "third_party_relationship",
                       "only_through_third_party", "notes")
LIMITS = {"safe_times": 500, "third_party_name": 200, "third_party_relationship": 100, "notes": 2000,
          "safe_number": 40, "third_party_number": 40}


class SafeContactRefused(ValueError):
    """The preferences cannot be saved; `errors` maps each field at fault to what to fix. Nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class PersonNotVisible(LookupError):
    """No such person in the force, or a restricted one this member of staff has not been granted."""


@dataclass(frozen=True)
class SafeContactInput:
    safe_number: str = ""
    safe_times: str = ""
    no_voicemail: bool = False
    no_text_messages: bool = False
    no_letters_home: bool = False
    third_party_name: str = ""
    third_party_number: str = ""
    third_party_relationship: str = ""
    only_through_third_party: bool = False
    notes: str = ""


def parse_number(raw: str) -> phonenumbers.PhoneNumber | None:
    """A phone number as typed (UK by default); None unless it could be a real number of at least 7 digits.

    "Possible", not "valid": libphonenumber does not count Ofcom's drama ranges as valid, and the rule is the
    one the rest of Safeguard applies to phone numbers."""
    try:
        number = phonenumbers.parse(raw.strip(), "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or len(str(number.national_number)) < 7:
        return None
    return number


def to_e164(raw: str) -> str | None:
    """A phone number typed as a UK officer would (07700 900123, +44 7700 900123) in E.164; None if not valid."""
    number = parse_number(raw)
    return None if number is None else str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def safe_contact_problems(data: SafeContactInput) -> dict[str, str]:
    """Everything wrong with `data`, by field. Pure: no database."""
    errors: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if len(str(getattr(data, name)).strip()) > limit:
            errors[name] = f"Keep the {name.replace('_', ' ')} to {limit} characters or fewer"
    if data.safe_number.strip() and "safe_number" not in errors and to_e164(data.safe_number) is None:
        errors["safe_number"] = "Enter a real phone number for the safe number, like 07700 900123"
    if (data.third_party_number.strip() and "third_party_number" not in errors
            and to_e164(data.third_party_number) is None):
        errors["third_party_number"] = "Enter a real phone number for the third party, like 07700 900123"
    has_name = bool(data.third_party_name.strip())
    if not has_name and (data.third_party_number.strip() or data.third_party_relationship.strip()):
        errors.setdefault("third_party_name", "Enter the third party's name, or clear their number and relationship")
    if data.only_through_third_party:
        if not has_name:
            errors.setdefault("third_party_name", "Contact only through a third party needs the third party's name "
                                                  "and number")
        elif not data.third_party_number.strip():
            errors.setdefault("third_party_number", "Contact only through a third party needs the third party's "
                                                    "number")
    empty = not any(str(getattr(data, name)).strip() for name in ("safe_number", "safe_times", "third_party_name",
                                                                   "notes"))
    flags = data.no_voicemail or data.no_text_messages or data.no_letters_home or data.only_through_third_party
    if empty and not flags and not errors:
        errors["safe_number"] = ("Record at least one preference: a safe number, safe times, a don't (no voicemail, "
                                 "no texts, no letters home) or a third party")
    return errors


async def visible_person(db: AsyncSession, actor: Actor, person_id: int) -> Person:
    """The person, if this member of staff may see them; otherwise PersonNotVisible (shown as not found)."""
    person = (await db.scalars(select(Person).where(Person.id == person_id))).first()
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        raise PersonNotVisible(person_id)
    return person


async def read_safe_contact(db: AsyncSession, actor: Actor, person_id: int, *,
                            reason: str | None = None) -> tuple[Person, SafeContactView | None]:
    """The person and their safe-contact preferences (None when none are recorded). Audited."""
    person = await visible_person(db, actor, person_id)
    view = await safe_contact_for(db, person_id)
    await audit.record_read(db, actor, "safe_contact", person_id, reason=reason)
    return person, view


async def save_safe_contact(db: AsyncSession, actor: Actor, person_id: int, data: SafeContactInput, *,
                            via: str = "web", now: datetime | None = None) -> SafeContactView:
    """Record or replace the person's safe-contact preferences. Raises PersonNotVisible or SafeContactRefused
    (nothing written). The change is audited with the names of the fields changed, never their values."""
    person = await visible_person(db, actor, person_id)
    if person.merged_into_id is not None:
        raise SafeContactRefused({"person": f"Person {person_id} was merged into person {person.merged_into_id}: "
                                            "record safe contact on that record"})
    errors = safe_contact_problems(data)
    if errors:
        raise SafeContactRefused(errors)
    now = now or datetime.now(UTC)
    values: dict[str, object] = {
        "safe_number": to_e164(data.safe_number) if data.safe_number.strip() else None,
        "safe_times": data.safe_times.strip() or None,
        "no_voicemail": data.no_voicemail, "no_text_messages": data.no_text_messages,
        "no_letters_home": data.no_letters_home,
        "third_party_name": data.third_party_name.strip() or None,
        "third_party_number": to_e164(data.third_party_number) if data.third_party_number.strip() else None,
        "third_party_relationship": data.third_party_relationship.strip() or None,
        "only_through_third_party": data.only_through_third_party,
        "notes": data.notes.strip() or None,
    }
    row = (await db.scalars(select(SafeContact).where(SafeContact.person_id == person_id))).first()
    if row is None:
        row = SafeContact(force_id=actor.force_id, person_id=person_id, updated_at=now, updated_by=actor.label,
                          **values)
        db.add(row)
        changed = sorted(name for name, value in values.items() if value not in (None, False))
        action = "safe_contact.create"
    else:
        changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = now, actor.label
        action = "safe_contact.update"
    await db.flush()
    await audit.record(db, action=action, actor=actor, object_type="safe_contact", object_id=person_id,
                       details={"changed": changed, "via": via})
    return view_of(row)


async def has_been_a_victim(db: AsyncSession, person_id: int) -> bool:
    """Is the person recorded as a victim anywhere (an incident, a crime, a support referral)? The person page
    warns that no safe contact is recorded only for them, not for every suspect and witness."""
    from safeguard.contact.models import IncidentPerson
    from safeguard.crimes.models import CrimePerson
    from safeguard.safeguarding.models import SupportReferral

    query = union_all(
        select(IncidentPerson.id).where(IncidentPerson.person_id == person_id, IncidentPerson.role == "victim"),
        select(CrimePerson.id).where(CrimePerson.person_id == person_id, CrimePerson.role == "victim"),
        select(SupportReferral.id).where(SupportReferral.person_id == person_id)).limit(1)
    return (await db.execute(query)).first() is not None
