"""Harm-ranking pages: the latest list and past lists, one person's score explained, the weight versions and a
new version, "Rank now", and the fairness report. Reads are audited in targeting/lists.py and fairness.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.targeting import fairness, lists, ranking_runs, weights_form
from safeguard.targeting import weights as weight_versions
from safeguard.targeting.models import HarmRanking
from safeguard.targeting.weights import DEFAULT_WEIGHTS, WeightsError, parse_weights
from safeguard.web.deps import DbSession, Requires
from safeguard.web.downloads import csv_attachment
from safeguard.web.templating import flash, render

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**62)]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reader = Annotated[Actor, Depends(Requires(P.TARGETS_READ))]
Writer = Annotated[Actor, Depends(Requires(P.TARGETS_WRITE))]
Short = Annotated[str, Query(max_length=40)]

NO_LIST = "There is no ranked list with that number in your force."
NO_ENTRY = "There is no one with that number on this list."
NO_VERSION = "There is no weight version {0} in your force."


def _page_number(value: str) -> int:
    return int(value) if value.strip().isdigit() and 0 < int(value) <= 100_000 else 1


async def _rank_form(db: DbSession, actor: Actor, values: dict[str, str] | None = None) -> dict[str, Any]:
    """What the "Rank now" form needs: the weight versions to choose from and the values to show."""
    if not actor.can(P.TARGETS_WRITE):
        return {}
    versions = await weight_versions.versions(db, actor.force_id)
    return {"rank_versions": versions, "rank_values": values or {"window": "3", "weight_version": ""},
            "rank_years": ranking_runs.YEARS}


async def _list_page(request: Request, db: DbSession, actor: Actor, found: HarmRanking | None, *, flag: str,
                     page: str, latest: bool, rank_errors: dict[str, str] | None = None,
                     rank_values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    context: dict[str, Any] = {
        "found": found, "latest": latest, "critique": lists.CRITIQUE, "critique_more": lists.CRITIQUE_MORE,
        "flag_labels": lists.FLAG_LABELS, "flag_hints": lists.FLAG_HINTS, "flag_label": lists.flag_label,
        "engine_labels": lists.ENGINE_LABELS, "when": lists.when, "flag": flag.strip(),
        "rank_errors": rank_errors or {}, **await _rank_form(db, actor, rank_values),
        "can_write": actor.can(P.TARGETS_WRITE),
    }
    if found is not None:
        chosen = await lists.entries_page(db, found.id, flag=flag.strip() or None, page=_page_number(page))
        context.update({"entries": chosen, "flags": await lists.flags_in_use(db, found.id),
                        "base": "/targets" if latest else f"/targets/rankings/{found.id}"})
        await lists.read_list(db, actor, found, details={"page": chosen.page, "flag": flag.strip() or None})
    title = "Harm ranking" if latest else f"Ranked list {found.id if found else ''}".strip()
    context["title"] = ("Error: " if rank_errors else "") + title
    context["heading"] = title
    return render(request, "targeting/list.html", context, status_code=status_code)


@router.get("/targets")
async def latest_list(request: Request, db: DbSession, actor: Reader, flag: Short = "", page: Short = "") -> Response:
    """The force's newest ranked list, or "No list yet" with the Rank now form for those who may rank."""
    return await _list_page(request, db, actor, await lists.latest(db), flag=flag, page=page, latest=True)


@router.get("/targets/rankings")
async def list_history(request: Request, db: DbSession, actor: Reader) -> Response:
    return render(request, "targeting/history.html", {
        "rankings": await lists.history(db), "engine_labels": lists.ENGINE_LABELS, "when": lists.when,
        "title": "Ranked lists", **await _rank_form(db, actor), "rank_errors": {}})


@router.post("/targets/rankings")
async def rank_now(request: Request, db: DbSession, actor: Writer) -> Response:
    """Compute a new list now (the window in years and a weight version) and go to it."""
    form = {k: v.strip() for k, v in (await request.form()).multi_items() if isinstance(v, str) and k != "csrf_token"}
    values = {"window": form.get("window", "")[:4], "weight_version": form.get("weight_version", "")[:12]}
    try:
        made = await ranking_runs.rank_now(db, actor, values["window"], values["weight_version"])
    except ranking_runs.RankRefused as refused:
        return await _list_page(request, db, actor, await lists.latest(db), flag="", page="", latest=True,
                                rank_errors=refused.errors, rank_values=values, status_code=400)
    response = RedirectResponse(f"/targets/rankings/{made.id}", status_code=303)
    flash(request, response, f"Ranked list {made.id} made: {made.perpetrators:,} perpetrators scored.")
    return response


# Before /targets/rankings/{ranking_id}, which would otherwise take "5.csv" as a list number.
@router.get("/targets/rankings/{ranking_id}.csv")
async def list_csv(ranking_id: Id, db: DbSession, actor: Reader) -> Response:
    found = await lists.ranking(db, ranking_id)
    if found is None:
        raise HTTPException(404, NO_LIST)
    return csv_attachment(await lists.list_csv(db, actor, found),
                          f"harm-ranking-{found.id}-{found.as_of.isoformat()}.csv")


@router.get("/targets/rankings/{ranking_id}")
async def one_list(request: Request, ranking_id: Id, db: DbSession, actor: Reader, flag: Short = "",
                   page: Short = "") -> Response:
    found = await lists.ranking(db, ranking_id)
    if found is None:
        raise HTTPException(404, NO_LIST)
    return await _list_page(request, db, actor, found, flag=flag, page=page, latest=False)


@router.get("/targets/rankings/{ranking_id}/entries/{entry_id}")
async def entry_page(request: Request, ranking_id: Id, entry_id: Id, db: DbSession, actor: Reader) -> Response:
    explained = await lists.explain_entry(db, actor, ranking_id, entry_id)
    if explained is None:
        raise HTTPException(404, NO_ENTRY)
    return render(request, "targeting/entry.html", {
        "x": explained, "e": explained.entry, "flag_label": lists.flag_label, "flag_hints": lists.FLAG_HINTS,
        "critique": lists.CRITIQUE, "when": lists.when, "engine_labels": lists.ENGINE_LABELS,
        "bands": explained.weights.recency_bands if explained.weights else [],
        "title": f"Why {explained.entry.display_name} is ranked {explained.entry.rank}"})


# -- weights -------------------------------------------------------------------------------------------------

@router.get("/targets/weights")
async def weights_list(request: Request, db: DbSession, actor: Reader) -> Response:
    versions = await weight_versions.versions(db, actor.force_id)
    return render(request, "targeting/weights.html", {
        "versions": [(v, _readable(v.weights)) for v in versions], "defaults": DEFAULT_WEIGHTS,
        "fields": weights_form.FIELDS, "when": lists.when, "can_write": actor.can(P.TARGETS_WRITE),
        "title": "Harm-ranking weights"})


@router.get("/targets/weights/new")
async def new_weights_form(request: Request, db: DbSession, actor: Writer) -> Response:
    versions = await weight_versions.versions(db, actor.force_id)
    newest = next((w for v in versions if (w := _readable(v.weights)) is not None), None)
    return _weights_form(request, weights_form.form_values(newest or DEFAULT_WEIGHTS), {},
                         based_on=versions[0].version if versions and newest else None)


@router.post("/targets/weights")
async def add_weights(request: Request, db: DbSession, actor: Writer) -> Response:
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str) and k != "csrf_token"}
    weights, note, errors = weights_form.read_form(form)
    if weights is None:
        values = {k: v[:weights_form.NOTE_LIMIT + 100] for k, v in form.items()}
        return _weights_form(request, values, errors, based_on=None, status_code=400)
    made = await weight_versions.add_version(db, actor.force_id, weights, created_by=actor.label,
                                             created_by_id=actor.user_id, note=note)
    response = RedirectResponse(f"/targets/weights/{made.version}", status_code=303)
    flash(request, response, f"Weight version {made.version} saved. New lists can use it; past lists keep theirs.")
    return response


@router.get("/targets/weights/{weight_version}")
async def weights_version(request: Request, weight_version: Version, db: DbSession, actor: Reader) -> Response:
    try:
        found = await weight_versions.weight_set(db, actor.force_id, weight_version)
    except WeightsError:
        raise HTTPException(404, NO_VERSION.format(weight_version)) from None
    return render(request, "targeting/weights_version.html", {
        "v": found, "weights": _readable(found.weights), "fields": weights_form.FIELDS, "when": lists.when,
        "can_write": actor.can(P.TARGETS_WRITE), "title": f"Weight version {found.version}"})


def _readable(raw: dict[str, Any]) -> weight_versions.HarmWeights | None:
    try:
        return parse_weights(raw)
    except WeightsError:
        return None


def _weights_form(request: Request, values: dict[str, str], errors: dict[str, str], *, based_on: int | None,
                  status_code: int = 200) -> Response:
    return render(request, "targeting/weights_new.html", {
        "values": values, "errors": errors, "fields": weights_form.FIELDS, "rows": range(1, weights_form.BAND_ROWS + 1),
        "based_on": based_on, "title": ("Error: " if errors else "") + "New weight version"}, status_code=status_code)


# -- fairness ------------------------------------------------------------------------------------------------

async def _report_list(db: DbSession, ranking_id: str) -> HarmRanking | None:
    if ranking_id.strip():
        if not ranking_id.strip().isdigit() or int(ranking_id) > 2**62:
            raise HTTPException(404, NO_LIST)
        found = await lists.ranking(db, int(ranking_id))
        if found is None:
            raise HTTPException(404, NO_LIST)
        return found
    return await lists.latest(db)


@router.get("/targets/fairness")
async def fairness_page(request: Request, db: DbSession, actor: Reader, ranking_id: Short = "",
                        top: Short = fairness.DEFAULT_TOP) -> Response:
    found = await _report_list(db, ranking_id)
    made = await fairness.report(db, actor, found, top) if found is not None else None
    return render(request, "targeting/fairness.html", {
        "r": made, "found": found, "top_choices": list(fairness.TOP_CHOICES), "rankings": await lists.history(db),
        "when": lists.when, "title": "Fairness of the ranked list"})


@router.get("/targets/fairness.csv")
async def fairness_csv(db: DbSession, actor: Reader, ranking_id: Short = "",
                       top: Short = fairness.DEFAULT_TOP) -> Response:
    found = await _report_list(db, ranking_id)
    if found is None:
        raise HTTPException(404, "There is no ranked list yet, so there is no fairness report.")
    made = await fairness.report(db, actor, found, top, via="csv")
    return csv_attachment(fairness.to_csv(made), f"harm-ranking-{found.id}-fairness-top-{made.top_key}.csv")
