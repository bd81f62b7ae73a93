"""Safe contact: how a victim may be contacted without putting them at risk.

Shown first on every screen from which someone might contact the victim (the person page, support and MARAC
referrals, Clare's Law requests, the Victims' Code contact log): include `safeguarding/_safe_contact.html` with
`safe_contact` set from `safe_contact_for`. Reading the preferences is part of reading the person; the screen
that shows them audits that read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.safeguarding.models import SafeContact


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
        notes=row.notes, updated_at=row.updated_at, updated_by=row.updated_by)


async def safe_contact_for(db: AsyncSession, person_id: int) -> SafeContactView | None:
    """The person's safe-contact preferences, or None when none are recorded (or the person is not visible:
    row-level security hides a restricted person's preferences with the person)."""
    row = await db.scalar(select(SafeContact).where(SafeContact.person_id == person_id))
    return view_of(row) if row is not None else None
