"""Harm ranking in the API: a stored list (audited), the weight versions, and "rank now"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.targeting import lists, ranking_runs
from safeguard.targeting import weights as weight_versions
from safeguard.targeting.models import HarmRanking, HarmWeightSet
from safeguard.targeting.weights import WeightsError
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/targets", tags=["targets"])

Reader = Annotated[Actor, Depends(Requires(P.TARGETS_READ))]
Writer = Annotated[Actor, Depends(Requires(P.TARGETS_WRITE))]
DEFAULT_TOP = 100
MAX_TOP = 10_000


class BreakdownOut(BaseModel):
    recency: float
    frequency: float
    gravity: float
    victims: float


class EntryOut(BaseModel):
    entry_id: int
    rank: int
    person_id: int
    display_name: str
    score: float = Field(description="recency + frequency + gravity + victims, each already weighted")
    breakdown: BreakdownOut
    flags: list[str] = Field(description="serial, victim-high-risk, active-order, wanted")
    total_harm: float = Field(description="The harm weights (days) of the person's DA events in the window, added up")
    incidents: int
    victim_count: int
    last_incident_on: date


class RankingOut(BaseModel):
    id: int
    weight_version: int
    window_days: int
    as_of: date
    engine: str
    computed_at: datetime
    computed_by: str
    perpetrators: int = Field(description="Everyone scored, before any top-N cut")


class RankingListOut(BaseModel):
    ranking: RankingOut
    entries: list[EntryOut]


class WeightVersionOut(BaseModel):
    version: int
    weights: dict[str, Any]
    note: str | None
    created_by: str
    created_at: datetime


class WeightVersionsOut(BaseModel):
    versions: list[WeightVersionOut] = Field(description="Newest first")


class RankIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(default=1095, ge=1, le=ranking_runs.MAX_WINDOW_DAYS,
                             description="Days up to today; default three years")
    weight_version: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Default: the newest")


def _ranking_out(found: HarmRanking) -> RankingOut:
    return RankingOut(id=found.id, weight_version=found.weight_version, window_days=found.window_days,
                      as_of=found.as_of, engine=found.engine, computed_at=found.computed_at,
                      computed_by=found.computed_by, perpetrators=found.perpetrators)


def _entry_out(e: lists.Entry) -> EntryOut:
    return EntryOut(entry_id=e.id, rank=e.rank, person_id=e.person_id, display_name=e.display_name,
                    score=float(e.score), breakdown=BreakdownOut(**{k: float(v) for k, v in e.breakdown.items()}),
                    flags=e.flags, total_harm=float(e.total_harm), incidents=e.incidents,
                    victim_count=e.victim_count, last_incident_on=e.last_incident_on)


async def _list_out(db: DbSession, actor: Actor, found: HarmRanking, top: int, via: str) -> RankingListOut:
    entries = await lists.top_entries(db, found.id, top)
    await lists.read_list(db, actor, found, via=via, details={"top": top})
    return RankingListOut(ranking=_ranking_out(found), entries=[_entry_out(e) for e in entries])


def _version_out(v: HarmWeightSet) -> WeightVersionOut:
    return WeightVersionOut(version=v.version, weights=v.weights, note=v.note, created_by=v.created_by,
                            created_at=v.created_at)


@router.get("/ranking", response_model=RankingListOut)
async def get_ranking(db: DbSession, actor: Reader,
                      top: Annotated[int, Query(ge=1, le=MAX_TOP)] = DEFAULT_TOP,
                      ranking_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> RankingListOut:
    """The newest list (or `ranking_id`), its first `top` entries in rank order. Audited."""
    found = await (lists.ranking(db, ranking_id) if ranking_id is not None else lists.latest(db))
    if found is None:
        raise HTTPException(404, f"No ranked list {ranking_id}." if ranking_id is not None
                            else "No ranked list yet: make one with POST /api/v1/targets/rankings.")
    return await _list_out(db, actor, found, top, "api")


@router.get("/weights", response_model=WeightVersionsOut)
async def get_weight_versions(db: DbSession, actor: Reader) -> WeightVersionsOut:
    return WeightVersionsOut(versions=[_version_out(v) for v in await weight_versions.versions(db, actor.force_id)])


@router.get("/weights/{weight_version}", response_model=WeightVersionOut)
async def get_weight_version(db: DbSession, actor: Reader,
                             weight_version: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> WeightVersionOut:
    try:
        return _version_out(await weight_versions.weight_set(db, actor.force_id, weight_version))
    except WeightsError as missing:
        raise HTTPException(404, str(missing)) from None


@router.post("/rankings", response_model=RankingListOut, status_code=201,
             responses={404: {"description": "The weight version does not exist"},
                        422: {"description": "Nothing was made; each field at fault is named"}})
async def post_ranking(body: RankIn, db: DbSession, actor: Writer,
                       top: Annotated[int, Query(ge=1, le=MAX_TOP)] = DEFAULT_TOP) -> RankingListOut | JSONResponse:
    """Rank the force's DA perpetrators now and store the list; answers with the list's first `top` entries."""
    try:
        made = await ranking_runs.rank(db, actor, body.window_days, body.weight_version)
    except ranking_runs.RankRefused as refused:
        if refused.unknown_version:
            return JSONResponse({"detail": refused.errors["weight_version"]}, status_code=404)
        return JSONResponse({"detail": "No list was made.", "errors": [
            {"field": field, "message": message} for field, message in refused.errors.items()]}, status_code=422)
    return await _list_out(db, actor, made, top, "api")
