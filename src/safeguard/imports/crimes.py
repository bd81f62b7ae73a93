"""`safeguard import crimes FILE.csv`: crimes from a legacy records system, under the same rules as the pages.

Each row names the incident it was recorded from (by the incident's reference), its offences (catalogue
codes, separated by semicolons) and its victims and suspects by the `source_ref` their people-import gave
them. Every row is validated; good rows load through `crimes.service.record_crime` (so the rules are the
rules of the pages and the API), bad rows are kept with the reason. Rows are keyed on `source_ref`, so
loading the same file again changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes import service
from safeguard.db.session import set_force_context
from safeguard.imports.csvfiles import ImportReport, Rejected, read_rows
from safeguard.imports.models import ImportBatch, ImportRejection, SourceRecord

COLUMNS = ["source_ref", "incident_reference", "occurred_at", "da_related", "offence_codes", "victim_source_refs",
           "suspect_source_refs"]
REQUIRED = ["source_ref", "incident_reference", "offence_codes", "victim_source_refs"]
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
FIELD_NAMES = {"incident": "incident reference", "offences": "offence codes", "victims": "victim source refs",
               "suspects": "suspect source refs", "witnesses": "witnesses", "occurred_at": "occurred at",
               "status": "status"}


def parse_occurred_at(value: str, now: datetime | None = None) -> datetime | None:
    """ISO 8601 (with or without a zone), `DD/MM/YYYY HH:MM` or a date alone; times without a zone are UK time."""
    text = value.strip()
    if not text:
        return None
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", text):
        try:
            parsed = datetime(int(m[3]), int(m[2]), int(m[1]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
        except ValueError:
            raise ValueError(f"'{value}' is not a real date and time") from None
    else:
        try:
            parsed = (datetime.combine(date.fromisoformat(text), time(0)) if len(text) == 10
                      else datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            raise ValueError(f"'{value}' is not a date and time; use YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=service.UK)
    if parsed > (now or datetime.now(UTC)):
        raise ValueError(f"'{value}' is in the future")
    return parsed


def _refs(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(";") if part.strip()))


async def import_crimes(db: AsyncSession, data: bytes, *, filename: str, force_id: int, imported_by: str
                        ) -> tuple[ImportReport, Rejected]:
    """Load a crimes CSV into one force, in the caller's transaction. Raises CsvShapeError for a bad file."""
    await set_force_context(db, force_id)
    actor = Actor(kind="import", force_id=force_id, label=imported_by, permissions=frozenset())
    batch = ImportBatch(force_id=force_id, kind="crimes", filename=filename[:300],
                        sha256=hashlib.sha256(data).hexdigest(), imported_by=imported_by)
    db.add(batch)
    await db.flush()
    known = set((await db.scalars(select(SourceRecord.source_ref).where(
        SourceRecord.force_id == force_id, SourceRecord.kind == "crime"))).all())
    people = {ref: record_id for ref, record_id in await db.execute(
        select(SourceRecord.source_ref, SourceRecord.record_id).where(
            SourceRecord.force_id == force_id, SourceRecord.kind == "person"))}
    rejected: Rejected = []
    seen: dict[str, int] = {}
    loaded = unchanged = 0
    for number, raw in read_rows(data, COLUMNS, REQUIRED):
        if "__error__" in raw:
            rejected.append((number, f"row {raw['__error__']}", raw))
            continue
        reasons, source_ref = [], raw.get("source_ref", "").strip()
        if not source_ref:
            reasons.append("source ref: must not be empty")
        elif len(source_ref) > 100:
            reasons.append("source ref: must be 100 characters or fewer")
        elif source_ref in seen:
            rejected.append((number, f"source ref '{source_ref}' is already on line {seen[source_ref]}", raw))
            continue
        if source_ref in known:
            seen[source_ref] = number
            unchanged += 1
            continue
        occurred = None
        try:
            occurred = parse_occurred_at(raw.get("occurred_at", ""))
        except ValueError as exc:
            reasons.append(f"occurred at: {exc}")
        da_word = raw.get("da_related", "").strip().lower()
        if da_word and da_word not in YES | NO:
            reasons.append(f"da related: '{raw['da_related']}' is not yes or no")
        ids: dict[str, list[int]] = {}
        for column, what in (("victim_source_refs", "victim"), ("suspect_source_refs", "suspect")):
            refs = _refs(raw.get(column, ""))
            missing = [ref for ref in refs if ref not in people]
            if missing:
                reasons.append(f"{column.replace('_', ' ')}: {what} '{missing[0]}' has not been imported as a person "
                               "(import people first)")
            ids[what] = [people[ref] for ref in refs if ref in people]
        incident_reference = raw.get("incident_reference", "").strip()
        incidents = await service.incidents_by_reference(db, incident_reference) if incident_reference else []
        if not incident_reference:
            reasons.append("incident reference: must not be empty")
        elif not incidents:
            reasons.append(f"incident reference: there is no incident '{incident_reference}' in the force")
        elif len(incidents) > 1:
            reasons.append(f"incident reference: {len(incidents)} incidents have the reference '{incident_reference}'")
        new = service.NewCrime(incident_id=incidents[0].id if len(incidents) == 1 else None,
                               offence_codes=_refs(raw.get("offence_codes", "")), victim_ids=ids["victim"],
                               suspect_ids=ids["suspect"], occurred_at=occurred,
                               da_related=(da_word in YES) if da_word else None)
        problems, _, _ = await service.crime_problems(db, actor, new)
        for name, message in problems.items():
            if name == "incident" and len(incidents) != 1:
                continue  # already said
            if name in {"victims", "suspects"} and any(r.startswith(name[:-1]) for r in reasons):
                continue
            reasons.append(f"{FIELD_NAMES.get(name, name)}: {message}")
        if reasons:
            rejected.append((number, "; ".join(reasons), raw))
            continue
        seen[source_ref] = number
        crime = await service.record_crime(db, actor, new, via="import")
        db.add(SourceRecord(force_id=force_id, kind="crime", source_ref=source_ref, record_id=crime.id,
                            batch_id=batch.id))
        loaded += 1
    for number, reason, raw in rejected:
        db.add(ImportRejection(force_id=force_id, batch_id=batch.id, row_number=number, reason=reason[:1000],
                               raw=raw))
    batch.loaded, batch.unchanged, batch.rejected = loaded, unchanged, len(rejected)
    await audit.record(db, action="import.crimes", actor_label=imported_by, force_id=force_id,
                       object_type="import_batch", object_id=batch.id,
                       details={"file": batch.filename, "loaded": loaded, "unchanged": unchanged,
                                "rejected": len(rejected)})
    return ImportReport(batch.id, loaded, unchanged, len(rejected)), rejected


