"""`safeguard import offences FILE.csv`: the offence catalogue replaced by a force's own (or the official) file.

Every row is validated; refused rows go to a reject file with the reason. Good rows are upserted by
`code`. Codes already in the catalogue that the file does not mention are left as they are (crimes refer
to them; retire one with `active` = `no`), and the report says how many there were. A row marked
`estimate` never overwrites an official (`chi` or `css`) weight already held, so re-importing the shipped
file after the official table keeps the official weights.

The catalogue is shared by every force of the deployment, so this runs as the database owner: the
application's role may read it but not change it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.crimes.models import HARM_SOURCES, OFFENCE_CATEGORIES, Offence
from safeguard.imports.csvfiles import Rejected, read_rows

COLUMNS = ["code", "offence", "legislation", "ho_class", "da_related", "category", "harm_weight", "harm_source",
           "harm_note", "active"]
REQUIRED = COLUMNS[:-1]  # `active` may be left out: every row is then in use
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
MAX_WEIGHT = Decimal("9999999999.99")


def _yes_no(value: object, *, blank: bool | None) -> bool:
    word = str(value or "").strip().lower()
    if not word and blank is not None:
        return blank
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValueError(f"'{value}' is not yes or no")


class OffenceRow(BaseModel):
    code: str
    offence: str
    legislation: str
    ho_class: str | None = None
    da_related: bool
    category: str
    harm_weight: Decimal
    harm_source: str
    harm_note: str | None = None
    active: bool = True

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> str:
        text = str(value or "").strip()
        if not CODE.match(text):
            raise ValueError(f"'{text}' is not a code: use lower-case letters, digits and hyphens "
                             "(at most 60), e.g. coercive-control")
        return text

    @field_validator("offence", "legislation", mode="before")
    @classmethod
    def _present(cls, value: object) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValueError("must not be empty")
        if len(text) > 300:
            raise ValueError("must be 300 characters or fewer")
        return text

    @field_validator("ho_class", mode="before")
    @classmethod
    def _ho_class(cls, value: object) -> str | None:
        text = str(value or "").strip()
        if len(text) > 20:
            raise ValueError("must be 20 characters or fewer")
        return text or None

    @field_validator("harm_note", mode="before")
    @classmethod
    def _note(cls, value: object) -> str | None:
        text = str(value or "").strip()
        if len(text) > 1000:
            raise ValueError("must be 1000 characters or fewer")
        return text or None

    @field_validator("da_related", mode="before")
    @classmethod
    def _da(cls, value: object) -> bool:
        return _yes_no(value, blank=None)

    @field_validator("active", mode="before")
    @classmethod
    def _active(cls, value: object) -> bool:
        return _yes_no(value, blank=True)

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: object) -> str:
        text = str(value or "").strip().lower()
        if text not in OFFENCE_CATEGORIES:
            raise ValueError(f"'{value}' is not a category; use one of {', '.join(OFFENCE_CATEGORIES)}")
        return text

    @field_validator("harm_source", mode="before")
    @classmethod
    def _source(cls, value: object) -> str:
        text = str(value or "").strip().lower()
        if text not in HARM_SOURCES:
            raise ValueError(f"'{value}' is not a harm source; use one of {', '.join(HARM_SOURCES)}")
        return text

    @field_validator("harm_weight", mode="before")
    @classmethod
    def _weight(cls, value: object) -> Decimal:
        text = str(value or "").strip().replace(",", "")
        try:
            weight = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"'{value}' is not a number") from None
        if not weight.is_finite():
            raise ValueError(f"'{value}' is not a number")
        if weight < 0:
            raise ValueError(f"'{value}' is negative; a harm weight is zero or more")
        if weight > MAX_WEIGHT:
            raise ValueError(f"'{value}' is too large")
        return weight.quantize(Decimal("0.01"))


def _reason(error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        name = ".".join(str(p) for p in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "missing":
            message = "must not be empty"
        parts.append(f"{name.replace('_', ' ')}: {message}")
    return "; ".join(parts)


@dataclass
class OffenceImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # Codes already in the catalogue that the file did not mention: kept as they were.
    not_mentioned: list[str] = field(default_factory=list)
    # Codes whose official weight was kept although the file gave an estimate.
    kept_official: list[str] = field(default_factory=list)
    # The official sources the catalogue's weights now come from: more than one means two scales are mixed.
    sources: list[str] = field(default_factory=list)


def _values(row: OffenceRow) -> dict[str, object]:
    return {"title": row.offence, "legislation": row.legislation, "ho_class": row.ho_class,
            "da_related": row.da_related, "category": row.category, "harm_weight": row.harm_weight,
            "harm_source": row.harm_source, "harm_note": row.harm_note, "active": row.active}


async def import_offences(db: AsyncSession, data: bytes, *, filename: str, imported_by: str
                          ) -> tuple[OffenceImportReport, Rejected]:
    """Upsert the catalogue from a CSV, in the caller's transaction (as the owner). Raises CsvShapeError."""
    report = OffenceImportReport()
    rejected: Rejected = []
    seen: dict[str, int] = {}
    good: list[OffenceRow] = []
    for number, raw in read_rows(data, COLUMNS, REQUIRED):
        if "__error__" in raw:
            rejected.append((number, f"row {raw['__error__']}", raw))
            continue
        try:
            row = OffenceRow.model_validate(raw)
        except ValidationError as error:
            rejected.append((number, _reason(error), raw))
            continue
        if row.code in seen:
            rejected.append((number, f"code '{row.code}' is already on line {seen[row.code]}", raw))
            continue
        seen[row.code] = number
        good.append(row)
    existing = {offence.code: offence for offence in await db.scalars(select(Offence).with_for_update())}
    for row in good:
        values = _values(row)
        offence = existing.get(row.code)
        if offence is None:
            db.add(Offence(code=row.code, **values))
            report.added += 1
            continue
        if row.harm_source == "estimate" and offence.harm_source != "estimate":
            values["harm_weight"], values["harm_source"] = offence.harm_weight, offence.harm_source
            values["harm_note"] = offence.harm_note
            report.kept_official.append(row.code)
        changed = {name: value for name, value in values.items() if getattr(offence, name) != value}
        if not changed:
            report.unchanged += 1
            continue
        for name, value in changed.items():
            setattr(offence, name, value)
        offence.updated_at = datetime.now(UTC)
        report.updated += 1
    report.not_mentioned = sorted(set(existing) - set(seen))
    report.rejected = len(rejected)
    await db.flush()
    report.sources = sorted(set(await db.scalars(select(Offence.harm_source).where(
        Offence.harm_source != "estimate", Offence.active.is_(True)))))
    await audit.record(db, action="import.offences", actor_label=imported_by, object_type="offence",
                       details={"file": filename[:300], "sha256": hashlib.sha256(data).hexdigest(),
                                "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                                "rejected": report.rejected, "not_mentioned": len(report.not_mentioned)})
    return report, rejected


