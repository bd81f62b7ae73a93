"""Exports staff take to a meeting (a MARAC, a case conference): a person's record, and search results.

Every export is audited, redacts exactly as the pages do (a refuge is "Restricted address", a restricted
connected person "Restricted person"), and neutralises anything a spreadsheet would run as a formula.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.imports.csvfiles import csv_text
from safeguard.people import history, markers, relationships, service
from safeguard.people.search import SearchResult

RECORD_HEADER = ["section", "item", "detail", "from", "to", "recorded_by"]
SEARCH_HEADER = ["person_id", "name", "date_of_birth", "score", "why"]


async def person_record(db: AsyncSession, actor: Actor, person_id: int) -> str:
    """The person's record as CSV, one row per fact. Raises `service.PersonNotFound`."""
    person = await service.read_person(db, actor, person_id, reason="export")
    rows: list[list[object]] = [
        ["person", "Person number", person.id, "", "", ""],
        ["person", "Name", person.display_name, "", "", ""],
        ["person", "Date of birth", person.date_of_birth or "Not known", "", "", ""],
        ["person", "Gender", person.gender, "", "", ""],
    ]
    rows += [["alias", "Also known as", alias, "", "", ""] for alias in person.aliases]
    rows += [["phone", "Phone", phone, "", "", ""] for phone in person.phones]
    rows += [["address", "Address", a.text, a.from_date or "", a.to_date or "", ""] for a in person.addresses]
    marker_lists = await markers.markers_for(db, person_id=person_id)
    for state, marker_list in (("active", marker_lists.active), ("ended", marker_lists.past)):
        rows += [[f"marker ({state})", m.label, m.note or "", m.starts_on, m.ends_on or "", m.set_by]
                 for m in marker_list]
    for connected in await relationships.relationships_for(db, person_id, actor=actor):
        who = connected.display_name if connected.withheld else \
            f"{connected.display_name} (person {connected.person_id}, born {connected.date_of_birth or 'not known'})"
        rows.append(["connected person", connected.kind_label, who, connected.since or "", "", ""])
    for entry in await history.timeline(db, person_id, disclosures=actor.can(P.DISCLOSURE_READ)):
        rows.append(["timeline", f"{entry.kind} {entry.reference}",
                     f"{entry.role or ''}{' (DA)' if entry.da else ''} {entry.summary}".strip(),
                     entry.when.strftime("%Y-%m-%d %H:%M"), "", ""])
    await audit.record(db, action="person.exported", actor=actor, object_type="person", object_id=person_id,
                       details={"rows": len(rows)})
    return csv_text(RECORD_HEADER, rows)


async def search_results(db: AsyncSession, actor: Actor, query: str, results: list[SearchResult]) -> str:
    """Search results as CSV. Restricted people never reach the results, so never the export."""
    await audit.record(db, action="person.search_exported", actor=actor,
                       details={"query": query, "results": len(results)})
    return csv_text(SEARCH_HEADER, ([r.id, r.display_name, r.date_of_birth or "", f"{r.score:.2f}", "; ".join(r.why)]
                                  for r in results))
