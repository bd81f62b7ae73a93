"""The analyst's duplicate review queue: compare a pair, merge or reject it, and undo a merge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.people import duplicates
from safeguard.people.linkage import EVIDENCE_FIELDS
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()
Analyst = Annotated[Actor, Depends(Requires(P.PERSON_MERGE))]
Id = Annotated[int, Path(ge=1, le=2**62)]
PAGE_SIZE = 50
STATUSES = {"pending": "To review", "confirmed": "Merged", "rejected": "Not the same person"}


@router.get("/people/duplicates")
async def queue_page(request: Request, db: DbSession, actor: Analyst,
                     status: Annotated[str, Query(pattern="^(pending|confirmed|rejected)$")] = "pending",
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    entries, total = await duplicates.queue(db, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    recent = await duplicates.merges(db, limit=20)
    return render(request, "people/duplicates.html", {
        "entries": entries, "total": total, "status": status, "statuses": STATUSES, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "merges": recent})


async def _pair_context(db: DbSession, actor: Actor, candidate_id: int) -> dict[str, object]:
    try:
        candidate = await duplicates.get_candidate(db, candidate_id)
        a = await duplicates.side(db, actor, candidate.person_a_id)
        b = await duplicates.side(db, actor, candidate.person_b_id)
    except duplicates.NotFound:
        raise HTTPException(404, "There is no such pair to review in your force.") from None
    # JSONB keeps no key order; show the fields in the model's own order, then anything else.
    order = list(EVIDENCE_FIELDS.values())
    evidence = sorted((candidate.evidence or {}).items(),
                      key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]))
    return {"candidate": candidate, "a": a, "b": b, "evidence": evidence,
            "title": f"Possible duplicate {candidate.id}"}


@router.get("/people/duplicates/{candidate_id}")
async def pair_page(request: Request, candidate_id: Id, db: DbSession, actor: Analyst) -> Response:
    context = await _pair_context(db, actor, candidate_id)
    return render(request, "people/duplicate_pair.html", {**context, "errors": {}, "decision": "", "reason": ""})


@router.post("/people/duplicates/{candidate_id}")
async def decide(request: Request, candidate_id: Id, db: DbSession, actor: Analyst,
                 decision: Annotated[str, Form(max_length=20)] = "",
                 reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    errors: dict[str, str] = {}
    if decision not in duplicates.DECISIONS:
        errors["decision"] = "Choose which record to keep, or that these are not the same person."
    if not reason.strip():
        errors["reason"] = "Give the reason for your decision: it is kept with the record."
    elif len(reason.strip()) > 1000:
        errors["reason"] = "Keep the reason to 1,000 characters or fewer."
    if not errors:
        try:
            async with db.begin_nested():  # a refused decision leaves nothing behind
                merge = await duplicates.decide(db, actor, candidate_id, decision=decision, reason=reason)
        except duplicates.NotFound:
            raise HTTPException(404, "There is no such pair to review in your force.") from None
        except duplicates.DuplicateError as error:
            errors["decision"] = str(error)
        else:
            if merge is None:
                response = RedirectResponse("/people/duplicates", status_code=303)
                flash(request, response, "Recorded: these are not the same person.")
            else:
                response = RedirectResponse(f"/people/{merge.survivor_id}", status_code=303)
                flash(request, response, f"Person {merge.merged_id} was merged into this record. "
                                         f"It can be undone from merge {merge.id}.")
            return response
    context = await _pair_context(db, actor, candidate_id)
    return render(request, "people/duplicate_pair.html",
                  {**context, "errors": errors, "decision": decision, "reason": reason}, status_code=400)


async def _merge_context(db: DbSession, actor: Actor, merge_id: int) -> dict[str, object]:
    try:
        record = await duplicates.get_merge(db, merge_id)
        survivor = await duplicates.side(db, actor, record.survivor_id)
        merged = await duplicates.side(db, actor, record.merged_id)
    except duplicates.NotFound:
        raise HTTPException(404, "There is no such merge in your force.") from None
    moved = {key: len(ids) for key, ids in record.moved.items() if ids}
    return {"merge": record, "survivor": survivor, "merged": merged, "moved": moved,
            "title": f"Merge {record.id}"}


@router.get("/people/merges/{merge_id}")
async def merge_page(request: Request, merge_id: Id, db: DbSession, actor: Analyst) -> Response:
    context = await _merge_context(db, actor, merge_id)
    return render(request, "people/merge.html", {**context, "errors": {}, "reason": ""})


@router.post("/people/merges/{merge_id}/unmerge")
async def unmerge(request: Request, merge_id: Id, db: DbSession, actor: Analyst,
                  reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        async with db.begin_nested():
            record = await duplicates.unmerge(db, actor, merge_id, reason=reason)
    except duplicates.NotFound:
        raise HTTPException(404, "There is no such merge in your force.") from None
    except duplicates.DuplicateError as error:
        context = await _merge_context(db, actor, merge_id)
        return render(request, "people/merge.html", {**context, "errors": {"reason": str(error)},
                                                      "reason": reason}, status_code=400)
    response = RedirectResponse(f"/people/merges/{record.id}", status_code=303)
    flash(request, response, f"Merge undone: person {record.merged_id} is a separate record again.")
    return response
