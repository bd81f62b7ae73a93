"""DASH risk assessment pages: find the incident, choose the victim, fill the form (built for a phone), see the
saved assessment, and the supervisors' review queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes import forms
from safeguard.crimes.service import incidents_by_reference, uk_time
from safeguard.people.history import visible_person
from safeguard.risk import assessments, scoring
from safeguard.risk.forms import Form as DashForm
from safeguard.risk.forms import form_set, get_form, levels
from safeguard.safeguarding.safe_contact import safe_contact_for
from safeguard.web.deps import DbSession, Requires
from safeguard.web.templating import flash, render

router = APIRouter()

AssessmentId = Annotated[int, Path(ge=1, le=2**62)]
Reader = Annotated[Actor, Depends(Requires(P.RISK_READ))]
Writer = Annotated[Actor, Depends(Requires(P.RISK_WRITE))]
Reviewer = Annotated[Actor, Depends(Requires(P.RISK_REVIEW))]
Short = Annotated[str, Form(max_length=100)]
Long = Annotated[str, Form(max_length=4000)]

DEFAULT_FORM = "DASH-27"
NOT_FOUND = "There is no risk assessment with that number in your force."
NO_INCIDENT = "There is no such incident in your force."
ANSWER_OPTIONS = [("yes", "Yes"), ("no", "No"), ("dont-know", "Don't know"), ("not-asked", "Not asked")]
SUPPLEMENT_PREFIX = "sdash_"
# Each service field, and the element its error-summary link goes to.
ANCHORS = {"victim_id": "victim", "incident_id": "victim", "form": "victim",
           "professional_judgement": "professional_judgement", "rationale": "rationale",
           "victim_view": "victim_view", "assessed_at": "assessed_at_day",
           "supplement_answers": "sdash_q1"}


def _common() -> dict[str, Any]:
    return {"uk_time": uk_time, "answer_labels": assessments.ANSWER_LABELS,
            "level_labels": assessments.LEVEL_LABELS, "route_labels": assessments.ROUTE_LABELS,
            "section_labels": assessments.SECTION_LABELS}


# -- a new assessment: find the incident, choose the victim, fill the form -----------------------------

async def _incident_and_victims(db: DbSession, actor: Actor, incident: Incident
                                ) -> tuple[list[tuple[int, str, str | None]], int]:
    """The incident's victims this actor may see (id, name, date of birth), and how many are withheld."""
    victims: list[tuple[int, str, str | None]] = []
    withheld = 0
    for (person_id,) in await db.execute(select(IncidentPerson.person_id).where(
            IncidentPerson.incident_id == incident.id, IncidentPerson.role == "victim").order_by(IncidentPerson.id)):
        person = await visible_person(db, actor, person_id)
        if person is None:
            withheld += 1
        else:
            victims.append((person.id, person.display_name, person.date_of_birth))
    await audit.record_read(db, actor, "incident", incident.id, reason="DASH risk assessment")
    return victims, withheld


def _main_forms() -> list[DashForm]:
    """The forms an assessment is made on: every form that is not only a supplement to another."""
    supplements = {s.form for f in form_set().forms.values() for s in f.supplements}
    return [f for f in form_set().forms.values() if f.id not in supplements]


def _form_or_default(form_id: str) -> DashForm:
    form = next((f for f in _main_forms() if f.id == form_id), None) or get_form(DEFAULT_FORM)
    assert form is not None
    return form


@router.get("/risk-assessments/new")
async def new_assessment_page(request: Request, db: DbSession, actor: Writer,
                              incident: Annotated[str, Query(max_length=40)] = "",
                              victim: Annotated[str, Query(max_length=20)] = "",
                              form: Annotated[str, Query(max_length=40)] = DEFAULT_FORM) -> Response:
    """Step 1: the incident by its reference; step 2: which of its victims; step 3: the form."""
    if not incident.strip():
        return render(request, "risk/find_incident.html", {"values": {}, "errors": {}})
    found = await incidents_by_reference(db, incident)
    if not found:
        errors = {"incident_reference": f"There is no incident {incident.strip()} in your force"}
        return render(request, "risk/find_incident.html",
                      {"values": {"incident_reference": incident}, "errors": errors,
                       "title": "Error: DASH risk assessment"}, status_code=404)
    chosen = found[0]
    victims, withheld = await _incident_and_victims(db, actor, chosen)
    victim_id = int(victim) if victim.strip().isdigit() and int(victim) <= 2**62 else None
    if victim_id is None or victim_id not in {v[0] for v in victims}:
        errors = {} if not victim.strip() else {"victim": "Choose one of the incident's victims"}
        return render(request, "risk/choose_victim.html", {
            "incident": chosen, "victims": victims, "withheld": withheld, "errors": errors,
            "form_id": _form_or_default(form).id, "title": ("Error: " if errors else "") + "Who is the assessment for?",
            **_common()}, status_code=400 if errors else 200)
    now = uk_time(datetime.now(UTC))
    values = {"assessed_at_day": str(now.day), "assessed_at_month": str(now.month),
              "assessed_at_year": str(now.year), "assessed_at_time": now.strftime("%H:%M")}
    return await _form_page(request, db, actor, _form_or_default(form), chosen, victim_id, values=values)


async def _form_page(request: Request, db: DbSession, actor: Actor, form: DashForm, incident: Incident,
                     victim_id: int, *, values: dict[str, Any], errors: dict[str, str] | None = None,
                     status_code: int = 200) -> Response:
    victim = await visible_person(db, actor, victim_id)
    if victim is None:
        raise HTTPException(404, NO_INCIDENT)
    # The panel scores what can be scored: an answer that is not one of the four counts as not asked there.
    answers = {q.id: values[q.id] if values.get(q.id) in scoring.ANSWERS else scoring.NOT_ASKED
               for q in form.questions}
    try:
        scored: scoring.Scored | None = scoring.assess(form.id, answers, values.get("professional_judgement") or None,
                                                       values.get("rationale") or None)
    except scoring.ScoreRefused:
        scored = scoring.assess(form.id, answers)
    supplement = get_form(form.supplements[0].form) if form.supplements else None
    sections: list[tuple[str, list[Any]]] = []
    for question in form.questions:
        if not sections or sections[-1][0] != question.section:
            sections.append((question.section, []))
        sections[-1][1].append(question)
    other_forms = [f for f in _main_forms() if f.id != form.id]
    return render(request, "risk/new.html", {
        "form": form, "sections": sections, "supplement": supplement, "incident": incident, "victim": victim,
        "values": values, "errors": errors or {}, "answer_options": ANSWER_OPTIONS, "scored": scored,
        "levels": levels(), "other_forms": other_forms,
        "safe_contact": await safe_contact_for(db, victim.id), "safe_contact_name": victim.display_name,
        "title": ("Error: " if errors else "") + f"DASH risk assessment: {victim.display_name}",
        **_common()}, status_code=status_code)


@router.post("/risk-assessments/new")
async def save_assessment(request: Request, db: DbSession, actor: Writer, incident_id: Short = "",
                          victim_id: Short = "", form: Short = DEFAULT_FORM, professional_judgement: Short = "",
                          rationale: Long = "", victim_view: Long = "", assessed_at_day: Short = "",
                          assessed_at_month: Short = "", assessed_at_year: Short = "", assessed_at_time: Short = "",
                          action: Short = "save") -> Response:
    if not incident_id.isdigit() or not 1 <= int(incident_id) <= 2**62:
        raise HTTPException(404, NO_INCIDENT)
    incident = (await db.scalars(select(Incident).where(Incident.id == int(incident_id)))).first()
    if incident is None:
        raise HTTPException(404, NO_INCIDENT)
    dash = _form_or_default(form)
    posted = await request.form()
    answers = {q.id: str(posted.get(q.id, scoring.NOT_ASKED)) for q in dash.questions}
    supplement_answers: dict[str, str] = {}
    supplement = get_form(dash.supplements[0].form) if dash.supplements else None
    if supplement is not None:
        for q in supplement.questions:
            value = str(posted.get(SUPPLEMENT_PREFIX + q.id, scoring.NOT_ASKED))
            supplement_answers[q.id] = value
    values: dict[str, Any] = {
        **answers, **{SUPPLEMENT_PREFIX + k: v for k, v in supplement_answers.items()},
        "professional_judgement": professional_judgement, "rationale": rationale, "victim_view": victim_view,
        "assessed_at_day": assessed_at_day, "assessed_at_month": assessed_at_month,
        "assessed_at_year": assessed_at_year, "assessed_at_time": assessed_at_time,
    }
    victim = int(victim_id) if victim_id.isdigit() and int(victim_id) <= 2**62 else None
    if victim is None or await visible_person(db, actor, victim) is None:
        raise HTTPException(404, NO_INCIDENT)
    if action == "check":  # without JavaScript: show the score so far, save nothing
        return await _form_page(request, db, actor, dash, incident, victim, values=values)
    q8_yes = any(answers.get(s.question) == s.answer for s in dash.supplements)
    if not q8_yes:  # the supplement's untouched (not asked) radios are not answers to refuse
        supplement_answers = {k: v for k, v in supplement_answers.items() if v != scoring.NOT_ASKED}
    parse_errors: dict[str, str] = {}
    assessed_at = forms.parse_when(parse_errors, "assessed_at", "the assessment was made", assessed_at_day,
                                   assessed_at_month, assessed_at_year, assessed_at_time, time_required=False)
    new = assessments.NewAssessment(
        form=dash.id, victim_id=victim, incident_id=incident.id, answers=answers,
        supplement_answers=supplement_answers or None, professional_judgement=professional_judgement or None,
        rationale=rationale, victim_view=victim_view, assessed_at=assessed_at)
    try:
        if parse_errors:
            try:
                await assessments.check(db, actor, new)
            except assessments.AssessmentRefused as refused:
                raise assessments.AssessmentRefused({**refused.errors, **parse_errors}) from None
            raise assessments.AssessmentRefused(parse_errors)
        saved = await assessments.save_assessment(db, actor, new)
    except assessments.AssessmentRefused as refused:
        if "incident_id" in refused.errors:
            raise HTTPException(404, NO_INCIDENT) from None
        errors = {_anchor(name): message for name, message in refused.errors.items()}
        return await _form_page(request, db, actor, dash, incident, victim, values=values, errors=errors,
                                status_code=400)
    response = RedirectResponse(f"/risk-assessments/{saved.id}", status_code=303)
    flash(request, response, f"Risk assessment {saved.reference} saved: {saved.final_level} risk.")
    return response


def _anchor(name: str) -> str:
    """The element a service field's error-summary link goes to."""
    if name in ANCHORS:
        return ANCHORS[name]
    if name.startswith("supplement_answers."):
        return SUPPLEMENT_PREFIX + name.split(".", 1)[1]
    return name.removeprefix("answers.")


# -- the review queue ----------------------------------------------------------------------------------------

@router.get("/risk-assessments/reviews")
async def review_queue(request: Request, db: DbSession, actor: Reviewer) -> Response:
    items = await assessments.awaiting_review(db, actor)
    return render(request, "risk/reviews.html", {"items": items, "title": "DASH assessments awaiting review",
                                                 "can_write": actor.can(P.RISK_WRITE), **_common()})


# -- one assessment ------------------------------------------------------------------------------------------

async def _assessment_page(request: Request, db: DbSession, actor: Actor, assessment_id: int, *,
                           errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                           status_code: int = 200) -> Response:
    try:
        view = await assessments.read_assessment(db, actor, assessment_id)
    except assessments.AssessmentNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    sections: list[tuple[str, list[assessments.AnswerView]]] = []
    for answer in view.answers:
        if not sections or sections[-1][0] != answer.section:
            sections.append((answer.section, []))
        sections[-1][1].append(answer)
    can_review = actor.can(P.RISK_REVIEW) and view.review_status == "awaiting-review"
    higher = [lvl for lvl in levels() if scoring.rank(lvl) >= scoring.rank(view.final_level)]
    return render(request, "risk/assessment.html", {
        "a": view, "sections": sections, "errors": errors or {}, "values": values or {"level": view.final_level},
        "can_review": can_review, "review_levels": higher, "can_refer": actor.can(P.MARAC_WRITE),
        "safe_contact": await safe_contact_for(db, view.victim_id), "safe_contact_name": view.victim_name,
        "title": ("Error: " if errors else "") + f"Risk assessment {view.reference}", **_common()},
        status_code=status_code)


@router.get("/risk-assessments/{assessment_id}")
async def assessment_page(request: Request, assessment_id: AssessmentId, db: DbSession, actor: Reader) -> Response:
    return await _assessment_page(request, db, actor, assessment_id)


@router.post("/risk-assessments/{assessment_id}/review")
async def review(request: Request, assessment_id: AssessmentId, db: DbSession, actor: Reviewer,
                 level: Short = "", note: Long = "") -> Response:
    try:
        saved = await assessments.review_assessment(db, actor, assessment_id, level=level or None, note=note)
    except assessments.AssessmentNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except assessments.AssessmentRefused as refused:
        return await _assessment_page(request, db, actor, assessment_id, errors=refused.errors,
                                      values={"level": level, "note": note}, status_code=400)
    response = RedirectResponse("/risk-assessments/reviews", status_code=303)
    raised = saved.reviewed_level != saved.final_level
    flash(request, response, f"Risk assessment {saved.reference} reviewed: "
                             f"{'raised to' if raised else 'confirmed as'} {saved.reviewed_level} risk.")
    return response
