"""Risk assessments in the API: score a DASH form for live feedback (saving nothing), save an assessment for a
victim at an incident, read one, and review one.

Scoring is not audited: the call carries only a form id, answers and a level, reads no personal data and
writes nothing. Saving, reading and reviewing are audited. Another force's assessment, or a restricted victim's
that the caller has not been granted, is not found (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes.schemas import ProblemOut
from safeguard.risk import assessments, scoring
from safeguard.web.api_errors import refusal
from safeguard.web.deps import DbSession, Requires

router = APIRouter(prefix="/api/v1/risk-assessments", tags=["risk"])

Answers = dict[Annotated[str, Field(max_length=10)], Annotated[str, Field(max_length=20)]]
AssessmentId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.RISK_READ))]
Writer = Annotated[Actor, Depends(Requires(P.RISK_WRITE))]
Reviewer = Annotated[Actor, Depends(Requires(P.RISK_REVIEW))]


class ScoreIn(BaseModel):
    form: str = Field(max_length=40, examples=["DASH-27"])
    answers: Answers = Field(max_length=60, description="Questions of the form, q1 to qN: yes, no, dont-know or "
                                                        "not-asked; a question left out counts as not-asked")
    professional_judgement: str | None = Field(default=None, max_length=20,
                                               description="standard, medium or high; may only raise the level")
    rationale: str | None = Field(default=None, max_length=4000, description="Needed when judgement raises the level")


class ScoreOut(BaseModel):
    score: int
    suggested_level: str
    final_level: str
    marac_routes: list[str]
    not_asked: list[str] = Field(description="The questions not asked (or left out), in the form's order")
    supplements_due: list[str] = Field(description="Supplementary forms to ask next: S-DASH-11 when q8 is yes")


class ScoreRefusedOut(BaseModel):
    detail: str
    errors: list[ProblemOut]


@router.post("/score", response_model=ScoreOut,
             responses={422: {"model": ScoreRefusedOut, "description": "Each field at fault, named with the reason"}})
async def score_assessment(body: ScoreIn,
                           actor: Annotated[Actor, Depends(Requires(P.RISK_WRITE))]) -> ScoreOut | JSONResponse:
    """Score a DASH assessment: the count of yes answers, the suggested and final levels, and the MARAC routes
    the answers meet (the history-based routes come with saving), the questions not asked and the supplements
    due. Nothing is saved."""
    try:
        scored = scoring.assess(body.form, body.answers, body.professional_judgement, body.rationale)
    except scoring.ScoreRefused as refused:
        return refusal("The assessment could not be scored.", refused.errors)
    return ScoreOut(score=scored.score, suggested_level=scored.suggested_level, final_level=scored.final_level,
                    marac_routes=list(scored.marac_routes), not_asked=list(scored.not_asked),
                    supplements_due=list(scored.supplements_due))


# -- saving, reading and reviewing -------------------------------------------------------------------------

class AssessmentIn(BaseModel):
    form: str = Field(max_length=40, examples=["DASH-27"])
    victim_id: int = Field(ge=1, le=2**62, description="A person who is a victim in the incident")
    incident_id: int = Field(ge=1, le=2**62)
    answers: Answers = Field(max_length=60, description="As for /score; a question left out is kept as not-asked")
    supplement_answers: Answers | None = Field(default=None, max_length=60,
                                               description="S-DASH-11 answers; only when q8 is yes")
    professional_judgement: str | None = Field(default=None, max_length=20)
    rationale: str | None = Field(default=None, max_length=4000)
    victim_view: str | None = Field(default=None, max_length=4000, description="The victim's own view of the risk")
    assessed_at: datetime | None = Field(default=None, description="With a time zone; not in the future. "
                                                                   "Default: now")


class SavedOut(BaseModel):
    id: int
    url: str
    reference: str
    score: int
    suggested_level: str
    final_level: str
    marac_routes: list[str]
    not_asked: list[str]


class ReviewIn(BaseModel):
    level: str = Field(max_length=20, description="The assessment's level (confirm) or a higher one (raise)")
    note: str | None = Field(default=None, max_length=4000, description="Needed when raising the level")


class AnswerOut(BaseModel):
    question: str
    text: str
    answer: str


class ReviewOut(BaseModel):
    status: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    level: str | None
    note: str | None


class AssessmentOut(BaseModel):
    id: int
    reference: str
    url: str
    form: str
    victim_id: int
    incident_id: int
    incident_reference: str | None
    answers: list[AnswerOut]
    not_asked: list[str]
    supplement_form: str | None
    supplement_answers: list[AnswerOut]
    supplement_score: int | None
    score: int
    suggested_level: str
    professional_judgement: str | None
    rationale: str | None
    final_level: str
    current_level: str = Field(description="The reviewer's level once reviewed, otherwise final_level")
    marac_routes: list[str]
    victim_view: str | None
    assessed_at: datetime
    assessed_by: str
    review: ReviewOut


def _url(assessment_id: int) -> str:
    return f"/risk-assessments/{assessment_id}"


def assessment_out(view: assessments.AssessmentView) -> AssessmentOut:
    return AssessmentOut(
        id=view.id, reference=view.reference, url=_url(view.id), form=view.form, victim_id=view.victim_id,
        incident_id=view.incident_id, incident_reference=view.incident_reference,
        answers=[AnswerOut(question=a.id, text=a.text, answer=a.answer) for a in view.answers],
        not_asked=view.not_asked, supplement_form=view.supplement_form,
        supplement_answers=[AnswerOut(question=a.id, text=a.text, answer=a.answer) for a in view.supplement],
        supplement_score=view.supplement_score, score=view.score, suggested_level=view.suggested_level,
        professional_judgement=view.professional_judgement, rationale=view.rationale,
        final_level=view.final_level, current_level=view.current_level, marac_routes=view.marac_routes,
        victim_view=view.victim_view, assessed_at=view.assessed_at, assessed_by=view.assessed_by,
        review=ReviewOut(status=view.review_status, reviewed_at=view.reviewed_at, reviewed_by=view.reviewed_by,
                         level=view.reviewed_level, note=view.review_note))


NOT_FOUND = "No such risk assessment."


@router.post("", response_model=SavedOut, status_code=201,
             responses={422: {"model": ScoreRefusedOut, "description": "Nothing was saved; each field at fault "
                                                                       "is named with the reason"}})
async def save_assessment(body: AssessmentIn, db: DbSession, actor: Writer) -> SavedOut | JSONResponse:
    """Save a completed DASH assessment for a victim at an incident. Unanswered questions are kept as
    not-asked; the MARAC routes include the history-based routes (escalation, repeat). Audited."""
    new = assessments.NewAssessment(
        form=body.form, victim_id=body.victim_id, incident_id=body.incident_id, answers=body.answers,
        supplement_answers=body.supplement_answers, professional_judgement=body.professional_judgement,
        rationale=body.rationale, victim_view=body.victim_view, assessed_at=body.assessed_at)
    try:
        saved = await assessments.save_assessment(db, actor, new, via="api")
    except assessments.AssessmentRefused as refused:
        return refusal("The assessment was not saved.", refused.errors)
    return SavedOut(id=saved.id, url=_url(saved.id), reference=saved.reference, score=saved.score,
                    suggested_level=saved.suggested_level, final_level=saved.final_level,
                    marac_routes=list(saved.marac_routes),
                    not_asked=[key for key, value in saved.answers.items() if value == scoring.NOT_ASKED])


@router.get("/{assessment_id}", response_model=AssessmentOut)
async def get_assessment(assessment_id: AssessmentId, db: DbSession, actor: Reader) -> AssessmentOut:
    """One saved assessment: every question with its answer, the levels, routes and review. Audited."""
    try:
        view = await assessments.read_assessment(db, actor, assessment_id)
    except assessments.AssessmentNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    return assessment_out(view)


@router.post("/{assessment_id}/review", response_model=AssessmentOut,
             responses={422: {"model": ScoreRefusedOut, "description": "The review was refused, with the reason"}})
async def review_assessment(assessment_id: AssessmentId, body: ReviewIn, db: DbSession,
                            actor: Reviewer) -> AssessmentOut | JSONResponse:
    """A supervisor confirms the level or raises it (with a note); never lowers it; once only. Audited."""
    try:
        await assessments.review_assessment(db, actor, assessment_id, level=body.level, note=body.note)
    except assessments.AssessmentNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except assessments.AssessmentRefused as refused:
        return refusal("The review was not saved.", refused.errors)
    return assessment_out(await assessments.read_assessment(db, actor, assessment_id, reason="reviewed"))
