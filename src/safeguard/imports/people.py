"""`safeguard import people FILE.csv`: every row validated; good rows load, bad rows are kept with the reason.

Rows are keyed on the legacy system's `source_ref`, so loading the same file again changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

import phonenumbers
from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.db.session import set_force_context
from safeguard.imports.csvfiles import ImportReport, Rejected, read_rows
from safeguard.imports.models import ImportBatch, ImportRejection, SourceRecord
from safeguard.people.models import GENDERS, Location, Person, PersonAddress, PersonPhone

COLUMNS = ["source_ref", "forename", "surname", "middle_names", "date_of_birth", "gender", "phone", "address", "town",
           "postcode"]
REQUIRED = ["source_ref", "forename", "surname"]
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
GENDER_WORDS = {"f": "female", "female": "female", "w": "female", "woman": "female", "m": "male", "male": "male",
                "man": "male", "non-binary": "non-binary", "nonbinary": "non-binary", "x": "non-binary",
                "u": "unknown", "unknown": "unknown", "": "unknown"}


def parse_date_of_birth(value: str, today: date | None = None) -> tuple[int | None, int | None, int | None]:
    """YYYY-MM-DD, DD/MM/YYYY, YYYY-MM, MM/YYYY or YYYY; blank for not known. Refuses impossible dates."""
    today = today or date.today()
    value = value.strip()
    if not value:
        return None, None, None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{4})-(\d{1,2})", value) or re.fullmatch(r"(\d{1,2})/(\d{4})", value):
        y, mo = (int(m[1]), int(m[2])) if len(m[1]) == 4 else (int(m[2]), int(m[1]))
        if not 1 <= mo <= 12:
            raise ValueError(f"date of birth '{value}' has no month {mo}")
        if (y, mo) > (today.year, today.month):
            raise ValueError(f"date of birth '{value}' is in the future")
        return y, mo, None
    elif re.fullmatch(r"\d{4}", value):
        if int(value) > today.year:
            raise ValueError(f"date of birth '{value}' is in the future")
        return int(value), None, None
    else:
        raise ValueError(f"date of birth '{value}' is not a date; use YYYY-MM-DD or DD/MM/YYYY")
    try:
        born = date(y, mo, d)
    except ValueError:
        raise ValueError(f"date of birth '{value}' is not a real date") from None
    if born > today:
        raise ValueError(f"date of birth '{value}' is in the future")
    if y < today.year - 120:
        raise ValueError(f"date of birth '{value}' is more than 120 years ago")
    return y, mo, d


class PersonRow(BaseModel):
    source_ref: str
    forename: str
    surname: str
    middle_names: str = ""
    date_of_birth: tuple[int | None, int | None, int | None] = (None, None, None)
    gender: str = "unknown"
    phone: str | None = None
    address: str = ""
    town: str = ""
    postcode: str | None = None

    @field_validator("source_ref", "forename", "surname")
    @classmethod
    def _present(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if len(value) > 100:
            raise ValueError("must be 100 characters or fewer")
        return value.strip()

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _dob(cls, value: object) -> tuple[int | None, int | None, int | None]:
        return parse_date_of_birth(str(value or ""))

    @field_validator("gender", mode="before")
    @classmethod
    def _gender(cls, value: object) -> str:
        word = str(value or "").strip().lower()
        if word not in GENDER_WORDS:
            raise ValueError(f"'{value}' is not one of {', '.join(GENDERS)}")
        return GENDER_WORDS[word]

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            number = phonenumbers.parse(text, "GB")
        except phonenumbers.NumberParseException:
            raise ValueError(f"'{text}' is not a phone number") from None
        # "Possible" (right length and shape) rather than "valid" (allocated): the reserved fiction ranges
        # are not allocated, and a force's records hold numbers since withdrawn.
        if not phonenumbers.is_possible_number(number) or len(str(number.national_number)) < 7:
            raise ValueError(f"'{text}' is not a valid UK or international phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("postcode", mode="before")
    @classmethod
    def _postcode(cls, value: object) -> str | None:
        text = re.sub(r"\s+", " ", str(value or "").strip().upper())
        if not text:
            return None
        if not POSTCODE.match(text):
            raise ValueError(f"'{value}' is not a UK postcode")
        compact = text.replace(" ", "")
        return f"{compact[:-3]} {compact[-3:]}"


def _reason(error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        field = ".".join(str(p) for p in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        parts.append(f"{field.replace('_', ' ')}: {message}")
    return "; ".join(parts)



async def import_people(db: AsyncSession, data: bytes, *, filename: str, force_id: int, imported_by: str
                        ) -> tuple[ImportReport, Rejected]:
    """Load a people CSV into one force, in the caller's transaction. Raises CsvShapeError for a bad file.

    Returns the report and the rejected rows (line number, reason, row), which are also kept in
    `import_rejection`; `write_rejects` puts them in a CSV for the person who ran the import.
    """
    await set_force_context(db, force_id)
    batch = ImportBatch(force_id=force_id, kind="people", filename=filename[:300],
                        sha256=hashlib.sha256(data).hexdigest(), imported_by=imported_by)
    db.add(batch)
    await db.flush()
    rejected: Rejected = []
    loaded = unchanged = 0
    seen: dict[str, int] = {}
    known = set((await db.scalars(select(SourceRecord.source_ref).where(
        SourceRecord.force_id == force_id, SourceRecord.kind == "person"))).all())
    for number, raw in read_rows(data, COLUMNS, REQUIRED):
        if "__error__" in raw:
            rejected.append((number, f"row {raw['__error__']}", raw))
            continue
        try:
            row = PersonRow.model_validate(raw)
        except ValidationError as error:
            rejected.append((number, _reason(error), raw))
            continue
        if row.source_ref in seen:
            rejected.append((number, f"source ref '{row.source_ref}' is already on line {seen[row.source_ref]}", raw))
            continue
        seen[row.source_ref] = number
        if row.source_ref in known:
            unchanged += 1
            continue
        await _load(db, row, force_id, batch.id)
        loaded += 1
    for number, reason, raw in rejected:
        db.add(ImportRejection(force_id=force_id, batch_id=batch.id, row_number=number, reason=reason[:1000],
                               raw=raw))
    batch.loaded, batch.unchanged, batch.rejected = loaded, unchanged, len(rejected)
    await audit.record(db, action="import.people", actor_label=imported_by, force_id=force_id,
                       object_type="import_batch", object_id=batch.id,
                       details={"file": batch.filename, "loaded": loaded, "unchanged": unchanged,
                                "rejected": len(rejected)})
    return ImportReport(batch.id, loaded, unchanged, len(rejected)), rejected


async def _load(db: AsyncSession, row: PersonRow, force_id: int, batch_id: int) -> None:
    y, m, d = row.date_of_birth
    person = Person(force_id=force_id, forename=row.forename, surname=row.surname,
                    middle_names=row.middle_names or None, dob_year=y, dob_month=m, dob_day=d, gender=row.gender)
    db.add(person)
    await db.flush()
    if row.phone:
        db.add(PersonPhone(force_id=force_id, person_id=person.id, number_e164=row.phone))
    if row.address or row.postcode:
        place = Location(force_id=force_id, line1=row.address or "(no street given)", town=row.town,
                         postcode=row.postcode)
        db.add(place)
        await db.flush()
        db.add(PersonAddress(force_id=force_id, person_id=person.id, location_id=place.id))
    db.add(SourceRecord(force_id=force_id, kind="person", source_ref=row.source_ref, record_id=person.id,
                        batch_id=batch_id))
