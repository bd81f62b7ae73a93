"""Finding duplicate person records in the force's own data, for the analysts' review queue.

`find_duplicates` reads the force's people through the caller's session, scores the pairs that may be one
person with the same Splink model as `safeguard people dedupe` (`safeguard.people.linkage.score_records`,
trained without labels on the force's own records, in DuckDB in this process) and adds each pair at or
above the threshold to `duplicate_candidate` as `pending`, with the evidence in words. Analysts confirm or
reject the pairs at /people/duplicates; nothing is merged here.

What is offered for linkage, and what is not:

- Only people the session can see: the caller sets the force with `set_force_context`, and row-level
  security hides every other force's records.
- Never a restricted person (a victim in a refuge, an officer who is a victim), whoever runs the job: row-level
  security hides them from anyone without a grant, and the query leaves them out even for someone with one,
  so that an automated job never puts a restricted record in front of analysts who may not see it.
  A restricted address (a refuge) is likewise never used as evidence: that person's address counts as
  missing.
- Never a record already merged into another (`merged_into_id` set): its survivor stands for it.
- A pair already in the queue, whatever its status, is left as it is (`ON CONFLICT DO NOTHING` on the pair):
  running the job again adds only new pairs, and a pair an analyst rejected is never offered again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.people.linkage import PersonRecord, ScoredPair, check_threshold, score_records
from safeguard.people.models import DuplicateCandidate

_INSERT_BATCH: Final = 1_000
_FETCH_BATCH: Final = 20_000

# One row per person offered for linkage: the current address (not restricted) and the first phone.
_PEOPLE_SQL: Final = text(
    """
    WITH current_address AS (
        SELECT DISTINCT ON (pa.person_id) pa.person_id,
               concat_ws(', ', nullif(l.line1, ''), nullif(l.line2, ''), nullif(l.town, '')) AS address,
               l.postcode
        FROM person_address pa
        JOIN location l ON l.id = pa.location_id
        WHERE pa.force_id = :force_id AND NOT l.restricted
          AND (pa.to_date IS NULL OR pa.to_date > current_date)
        ORDER BY pa.person_id, pa.to_date IS NULL DESC, pa.from_date DESC NULLS LAST, pa.id DESC
    ), first_phone AS (
        SELECT DISTINCT ON (person_id) person_id, number_e164
        FROM person_phone
        WHERE force_id = :force_id
        ORDER BY person_id, id
    )
    SELECT p.id, p.forename, p.surname, p.dob_year, p.dob_month, p.dob_day, p.gender,
           a.address, a.postcode, ph.number_e164
    FROM person p
    LEFT JOIN current_address a ON a.person_id = p.id
    LEFT JOIN first_phone ph ON ph.person_id = p.id
    WHERE p.force_id = :force_id AND NOT p.restricted AND p.merged_into_id IS NULL
    ORDER BY p.id
    """
)


@dataclass(frozen=True)
class LinkReport:
    """What one run of `find_duplicates` did."""

    people: int  # person records offered to the model
    pairs_scored: int  # candidate pairs the blocking rules produced and the model scored
    pairs_found: int  # pairs at or above the threshold (that pass the household guard)
    added: int  # of those, pairs new to the review queue
    already_known: int  # of those, pairs already in the queue (pending, confirmed or rejected), left as they were
    threshold: float
    seconds: float

    def counts(self) -> dict[str, Any]:
        return {"people": self.people, "pairs_scored": self.pairs_scored, "pairs_found": self.pairs_found,
                "added": self.added, "already_known": self.already_known, "threshold": self.threshold,
                "seconds": round(self.seconds, 1)}


async def find_duplicates(db: AsyncSession, *, force_id: int, found_by: str, threshold: float = 0.9) -> LinkReport:
    """Score the force's people for duplicates and add the new pairs to the review queue, in the caller's
    transaction. The caller has set the force context (`safeguard.db.session.set_force_context`).

    Raises ValueError for a threshold outside (0, 1].
    """
    started = time.perf_counter()
    threshold = check_threshold(threshold)
    records = await _people(db, force_id)
    # Splink and DuckDB hold the CPU for seconds to minutes: off the event loop, so a server stays responsive.
    scored = await asyncio.to_thread(score_records, records, threshold=threshold)
    added = await _add_candidates(db, force_id=force_id, found_by=found_by, pairs=scored.pairs)
    report = LinkReport(people=scored.records, pairs_scored=scored.pairs_scored, pairs_found=len(scored.pairs),
                        added=added, already_known=len(scored.pairs) - added, threshold=threshold,
                        seconds=time.perf_counter() - started)
    await audit.record(db, action="people.linkage_run", actor_label=found_by, force_id=force_id,
                       details=report.counts())
    return report


async def _people(db: AsyncSession, force_id: int) -> list[PersonRecord]:
    result = await db.stream(_PEOPLE_SQL.execution_options(yield_per=_FETCH_BATCH), {"force_id": force_id})
    return [PersonRecord(*row) async for row in result]


async def _add_candidates(db: AsyncSession, *, force_id: int, found_by: str, pairs: Iterable[ScoredPair]) -> int:
    """Insert the pairs not yet in the queue; returns how many were new."""
    rows = [{"force_id": force_id, "person_a_id": pair.id_a, "person_b_id": pair.id_b,
             "match_probability": pair.match_probability, "evidence": pair.evidence, "found_by": found_by[:140],
             "status": "pending"} for pair in pairs]
    added = 0
    for start in range(0, len(rows), _INSERT_BATCH):
        statement = (insert(DuplicateCandidate).values(rows[start:start + _INSERT_BATCH])
                     .on_conflict_do_nothing(constraint="uq_duplicate_candidate_pair")
                     .returning(DuplicateCandidate.id))
        added += len((await db.execute(statement)).all())
    return added
