"""Risk assessments in the API: score a DASH form for live feedback, saving nothing.

Not audited: the call carries only a form id, answers and a level, reads no personal data and writes
nothing, so there is nothing about a person to account for. Saving an assessment (later) will be audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.schemas import ProblemOut
from safeguard.risk import scoring
from safeguard.web.deps import Requires

router = APIRouter(prefix="/api/v1/risk-assessments", tags=["risk"])


class ScoreIn(BaseModel):
    form: str = Field(max_length=40, examples=["DASH-27"])
    answers: dict[Annotated[str, Field(max_length=10)], Annotated[str, Field(max_length=20)]] = Field(
        max_length=60, description="Every question of the form, q1 to qN: yes, no, dont-know or not-asked")
    professional_judgement: str | None = Field(default=None, max_length=20,
                                               description="standard, medium or high; may only raise the level")
    rationale: str | None = Field(default=None, max_length=4000, description="Needed when judgement raises the level")


class ScoreOut(BaseModel):
    score: int
    suggested_level: str
    final_level: str
    marac_routes: list[str]


class ScoreRefusedOut(BaseModel):
    detail: str
    errors: list[ProblemOut]


@router.post("/score", response_model=ScoreOut,
             responses={422: {"model": ScoreRefusedOut, "description": "Each field at fault, named with the reason"}})
async def score_assessment(body: ScoreIn,
                           actor: Annotated[Actor, Depends(Requires(P.RISK_WRITE))]) -> ScoreOut | JSONResponse:
    """Score a DASH assessment: the count of yes answers, the suggested and final levels, and the MARAC routes
    the answers meet (the history-based routes come with saving). Nothing is saved."""
    try:
        scored = scoring.assess(body.form, body.answers, body.professional_judgement, body.rationale)
    except scoring.ScoreRefused as refused:
        return JSONResponse({"detail": "The assessment could not be scored.",
                             "errors": [{"field": name, "message": message}
                                        for name, message in refused.errors.items()]}, status_code=422)
    return ScoreOut(score=scored.score, suggested_level=scored.suggested_level, final_level=scored.final_level,
                    marac_routes=list(scored.marac_routes))
