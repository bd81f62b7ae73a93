"""Saved DASH risk assessments: the rules, for the pages and the API alike.

An assessment is saved for one victim at one incident of the force. The victim must be a person the officer
may see who is a victim in that incident. Every question of the form is kept, an unanswered one as not-asked;
the S-DASH supplement is kept when question 8 is yes (and refused when it is not); the score, suggested and
final levels and the MARAC routes (with the history-based routes from `eligibility`) are worked out here and
stored with it. Professional judgement may only raise the level. Every check runs before anything is written,
and a refusal names each field at fault. Every read is audited.

A supervisor (risk:review) then reviews it once: confirming the level or raising it (with a note), never
lowering it. Who reviewed it, when, and the level they set are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes.service import uk_time
from safeguard.people.history import visible_person
from safeguard.people.models import Person
from safeguard.risk import eligibility, scoring
from safeguard.risk.forms import get_form, levels
from safeguard.risk.models import RiskAssessment

ANSWER_LABELS = {"yes": "Yes", "no": "No", "dont-know": "Don't know", "not-asked": "Not asked"}
LEVEL_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High"}
ROUTE_LABELS = {
    scoring.VISIBLE_HIGH_RISK: "Visible high risk (14 or more yes answers)",
    scoring.PROFESSIONAL_JUDGEMENT: "Professional judgement",
    scoring.ESCALATION: "Potential escalation (domestic abuse incidents in the last months)",
    scoring.REPEAT: "Repeat (within 12 months of the last MARAC referral)",
}
SECTION_LABELS = {
    "current": "Current situation",
    "children": "Children and dependants",
    "history": "Domestic abuse history",
    "abuser": "The abuser",
    "stalking": "Stalking and harassment (S-DASH)",
}
MAX_TEXT = 4000
# A clock a few minutes ahead on the officer's phone is not a future assessment.
CLOCK_SLACK = timedelta(minutes=5)


class AssessmentRefused(ValueError):
    """What was asked cannot be saved. `errors` maps each field at fault to a message an officer can act on.
    Nothing has been written when this is raised."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class AssessmentNotFound(LookupError):
    """No such assessment in this force that this actor may see."""


@dataclass(frozen=True)
class NewAssessment:
    form: str
    victim_id: int | None
    incident_id: int | None
    answers: Mapping[str, str]
    supplement_answers: Mapping[str, str] | None = None
    professional_judgement: str | None = None
    rationale: str | None = None
    victim_view: str | None = None
    assessed_at: datetime | None = None  # default: now


@dataclass(frozen=True)
class Checked:
    """A new assessment that passed every check, with everything worked out for saving it."""

    scored: scoring.Scored
    incident: Incident
    victim: Person
    supplement_form: str | None
    supplement_answers: dict[str, str] | None
    supplement_score: int | None
    marac_routes: tuple[str, ...]
    assessed_at: datetime


@dataclass(frozen=True)
class AnswerView:
    id: str
    section: str
    text: str
    answer: str

    @property
    def label(self) -> str:
        return ANSWER_LABELS.get(self.answer, self.answer)


@dataclass(frozen=True)
class AssessmentView:
    id: int
    reference: str
    form: str
    form_title: str
    victim_id: int
    victim_name: str
    incident_id: int
    incident_reference: str | None
    answers: list[AnswerView]
    supplement_form: str | None
    supplement: list[AnswerView]
    supplement_score: int | None
    score: int
    suggested_level: str
    professional_judgement: str | None
    rationale: str | None
    final_level: str
    marac_routes: list[str]
    victim_view: str | None
    assessed_at: datetime
    assessed_by: str
    review_status: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    reviewed_level: str | None
    review_note: str | None
    not_asked: list[str] = field(default_factory=list)

    @property
    def current_level(self) -> str:
        """The level that stands now: the reviewer's where there is one, otherwise the officer's."""
        return self.reviewed_level or self.final_level


@dataclass(frozen=True)
class QueueItem:
    id: int
    reference: str
    incident_reference: str | None
    form: str
    score: int
    final_level: str
    marac_routes: list[str]
    assessed_at: datetime
    assessed_by: str


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


async def _next_reference(db: AsyncSession, at: datetime) -> tuple[int, str]:
    assessment_id = int(await db.scalar(text("SELECT nextval(pg_get_serial_sequence('risk_assessment', 'id'))"))
                        or 0)
    return assessment_id, f"RA-{uk_time(at).year}-{assessment_id:06d}"


# -- checking and saving -----------------------------------------------------------------------------------

async def _victim_problem(db: AsyncSession, actor: Actor, victim_id: int | None,
                          incident: Incident | None) -> tuple[str | None, Person | None]:
    if victim_id is None:
        return "Choose the victim the assessment is for", None
    person = await visible_person(db, actor, victim_id)
    if person is None:
        return f"There is no person {victim_id} in your force", None
    if person.merged_into_id is not None:
        return f"Person {victim_id} was merged into person {person.merged_into_id}: use that record", None
    if incident is not None:
        is_victim = await db.scalar(select(IncidentPerson.id).where(
            IncidentPerson.incident_id == incident.id, IncidentPerson.person_id == victim_id,
            IncidentPerson.role == "victim").limit(1))
        if is_victim is None:
            return (f"Person {victim_id} is not a victim in incident {incident.reference}; "
                    "choose one of the incident's victims"), None
    return None, person


def _supplement(due: tuple[str, ...] | None, given: Mapping[str, str] | None
                ) -> tuple[dict[str, str], str | None, dict[str, str] | None, int | None]:
    """Problems with the supplement answers, and the supplement to keep: (problems, form, answers, score).
    `due` is None when the main form is unknown (nothing can be said about its supplement)."""
    given = dict(given or {})
    if not due:
        if given and due is not None:
            return ({"supplement_answers": "The S-DASH supplement is asked only when question 8 (stalking and "
                                           "harassment) is yes: remove its answers or answer question 8 yes"},
                    None, None, None)
        return {}, None, None, None
    supplement = get_form(due[0])
    assert supplement is not None  # the forms' loader checks every supplement is a known form
    problems = scoring.answer_problems(supplement, given, prefix="supplement_answers")
    if problems:
        return problems, None, None, None
    filled = scoring.complete(supplement, given)
    return {}, supplement.id, filled, scoring.score(filled)


async def check(db: AsyncSession, actor: Actor, new: NewAssessment, *, now: datetime | None = None) -> Checked:
    """Every check, all problems at once (AssessmentRefused); nothing is written."""
    now = now or datetime.now(UTC)
    errors: dict[str, str] = {}
    scored: scoring.Scored | None = None
    try:
        scored = scoring.assess(new.form, new.answers, new.professional_judgement, _clean(new.rationale))
    except scoring.ScoreRefused as refused:
        errors.update(refused.errors)
    incident = None
    if new.incident_id is None:
        errors["incident_id"] = "Choose the incident the assessment was made at"
    else:
        incident = (await db.scalars(select(Incident).where(Incident.id == new.incident_id))).first()
        if incident is None:
            errors["incident_id"] = f"There is no incident {new.incident_id} in your force"
    problem, victim = await _victim_problem(db, actor, new.victim_id, incident)
    if problem:
        errors["victim_id"] = problem
    main_form = get_form(new.form)
    due = scoring.supplements_due(main_form, new.answers) if main_form is not None else None
    supplement_problems, supplement_form, supplement_answers, supplement_score = _supplement(
        due, new.supplement_answers)
    errors.update(supplement_problems)
    for name, value in (("rationale", new.rationale), ("victim_view", new.victim_view)):
        if value and len(value) > MAX_TEXT:
            errors[name] = f"Keep it to {MAX_TEXT} characters"
    assessed_at = new.assessed_at or now
    if assessed_at.tzinfo is None:
        errors["assessed_at"] = "Give the time the assessment was made with its time zone"
    elif assessed_at > now + CLOCK_SLACK:
        errors["assessed_at"] = "The time the assessment was made must not be in the future"
    elif incident is not None and assessed_at < incident.occurred_at:
        errors["assessed_at"] = (f"The assessment cannot be made before the incident happened "
                                 f"({uk_time(incident.occurred_at):%d %B %Y at %H:%M})")
    if errors:
        raise AssessmentRefused(errors)
    assert scored is not None and incident is not None and victim is not None
    form = get_form(scored.form)
    assert form is not None
    history = await eligibility.history_routes(db, victim_id=victim.id, incident_id=incident.id,
                                               force_id=actor.force_id)
    routes = scoring.marac_routes(form, scored.score, scored.suggested_level, scored.final_level,
                                  history_routes=history)
    return Checked(scored, incident, victim, supplement_form, supplement_answers, supplement_score, routes,
                   assessed_at)


async def save_assessment(db: AsyncSession, actor: Actor, new: NewAssessment, *, via: str = "web",
                          now: datetime | None = None) -> RiskAssessment:
    """Save a completed assessment in the caller's transaction. Raises AssessmentRefused (nothing written)."""
    now = now or datetime.now(UTC)
    checked = await check(db, actor, new, now=now)
    scored = checked.scored
    assessment_id, reference = await _next_reference(db, checked.assessed_at)
    assessment = RiskAssessment(
        id=assessment_id, force_id=actor.force_id, reference=reference, victim_id=checked.victim.id,
        incident_id=checked.incident.id, form=scored.form, answers=scored.answers,
        supplement_form=checked.supplement_form, supplement_answers=checked.supplement_answers,
        score=scored.score, supplement_score=checked.supplement_score, suggested_level=scored.suggested_level,
        professional_judgement=new.professional_judgement, rationale=_clean(new.rationale),
        final_level=scored.final_level, marac_routes=list(checked.marac_routes),
        victim_view=_clean(new.victim_view), assessed_at=checked.assessed_at, assessed_by=actor.label,
        review_status="awaiting-review")
    db.add(assessment)
    await db.flush()
    await audit.record(db, action="risk_assessment.create", actor=actor, object_type="risk_assessment",
                       object_id=assessment.id,
                       details={"reference": reference, "incident_id": checked.incident.id, "form": scored.form,
                                "score": scored.score, "final_level": scored.final_level,
                                "marac_routes": list(checked.marac_routes), "not_asked": len(scored.not_asked),
                                "via": via})
    return assessment


# -- reading -----------------------------------------------------------------------------------------------

def _answers(form_id: str | None, answers: Mapping[str, str] | None) -> list[AnswerView]:
    form = get_form(form_id) if form_id else None
    if form is None or answers is None:
        return []
    filled = scoring.complete(form, answers)
    return [AnswerView(q.id, q.section, q.text, filled[q.id]) for q in form.questions]


async def _visible(db: AsyncSession, actor: Actor, assessment_id: int) -> RiskAssessment:
    # A query, not the identity map, so row-level security decides (it hides a restricted victim's assessment).
    row = (await db.scalars(select(RiskAssessment).where(RiskAssessment.id == assessment_id)
                            .execution_options(populate_existing=True))).first()
    if row is None or await visible_person(db, actor, row.victim_id) is None:
        raise AssessmentNotFound(assessment_id)
    return row


async def read_assessment(db: AsyncSession, actor: Actor, assessment_id: int, *,
                          reason: str | None = None) -> AssessmentView:
    """One assessment as saved, every question with its answer (not-asked shown as such). The read is audited."""
    row = await _visible(db, actor, assessment_id)
    victim = await visible_person(db, actor, row.victim_id)
    assert victim is not None
    await audit.record_read(db, actor, "risk_assessment", assessment_id, reason=reason)
    form = get_form(row.form)
    answers = _answers(row.form, row.answers)
    incident_reference = await db.scalar(select(Incident.reference).where(Incident.id == row.incident_id))
    return AssessmentView(
        id=row.id, reference=row.reference, form=row.form, form_title=form.title if form else row.form,
        victim_id=row.victim_id, victim_name=victim.display_name, incident_id=row.incident_id,
        incident_reference=incident_reference, answers=answers, supplement_form=row.supplement_form,
        supplement=_answers(row.supplement_form, row.supplement_answers), supplement_score=row.supplement_score,
        score=row.score, suggested_level=row.suggested_level, professional_judgement=row.professional_judgement,
        rationale=row.rationale, final_level=row.final_level, marac_routes=list(row.marac_routes),
        victim_view=row.victim_view, assessed_at=row.assessed_at, assessed_by=row.assessed_by,
        review_status=row.review_status, reviewed_at=row.reviewed_at, reviewed_by=row.reviewed_by,
        reviewed_level=row.reviewed_level, review_note=row.review_note,
        not_asked=[a.id for a in answers if a.answer == scoring.NOT_ASKED])


async def awaiting_review(db: AsyncSession, actor: Actor, *, limit: int = 200) -> list[QueueItem]:
    """The force's assessments awaiting a supervisor's review, oldest first: references and levels, no names.
    Audited as one list read."""
    rows = await db.execute(
        select(RiskAssessment, Incident.reference).outerjoin(Incident, Incident.id == RiskAssessment.incident_id)
        .where(RiskAssessment.review_status == "awaiting-review")
        .order_by(RiskAssessment.assessed_at, RiskAssessment.id).limit(limit))
    items = [QueueItem(a.id, a.reference, reference, a.form, a.score, a.final_level, list(a.marac_routes),
                       a.assessed_at, a.assessed_by) for a, reference in rows]
    await audit.record(db, action="risk_assessment.review_queue_read", actor=actor,
                       details={"shown": len(items)})
    return items


# -- supervisor review -------------------------------------------------------------------------------------

async def review_assessment(db: AsyncSession, actor: Actor, assessment_id: int, *, level: str | None,
                            note: str | None, now: datetime | None = None) -> RiskAssessment:
    """Confirm the level (same level) or raise it (a higher level, with a note). Never lower; only once; not by
    the officer who made the assessment. Raises AssessmentNotFound or AssessmentRefused (nothing written)."""
    now = now or datetime.now(UTC)
    row = await _visible(db, actor, assessment_id)
    errors: dict[str, str] = {}
    if row.review_status == "reviewed":
        when = uk_time(row.reviewed_at).strftime("%d %B %Y at %H:%M") if row.reviewed_at else "earlier"
        raise AssessmentRefused({"review": f"Assessment {row.reference} was already reviewed by {row.reviewed_by} "
                                           f"on {when}; a review is made once"})
    if row.assessed_by == actor.label:
        raise AssessmentRefused({"review": "You made this assessment: another supervisor must review it"})
    clean_note = _clean(note)
    if level is None or level not in levels():
        errors["level"] = f"Choose the level: {', '.join(levels())}"
    elif scoring.rank(level) < scoring.rank(row.final_level):
        errors["level"] = (f"A review may confirm or raise the level, never lower it: the assessment is "
                           f"{row.final_level}, so {level} is refused")
    elif scoring.rank(level) > scoring.rank(row.final_level) and not clean_note:
        errors["note"] = f"Raising the level from {row.final_level} to {level} needs a note saying why"
    if clean_note and len(clean_note) > MAX_TEXT:
        errors["note"] = f"Keep the note to {MAX_TEXT} characters"
    if errors:
        raise AssessmentRefused(errors)
    assert level is not None
    routes = list(row.marac_routes)
    if level == levels()[-1] and row.final_level != level and scoring.PROFESSIONAL_JUDGEMENT not in routes:
        routes = [r for r in scoring.MARAC_ROUTES if r in {*routes, scoring.PROFESSIONAL_JUDGEMENT}]
    row.review_status = "reviewed"
    row.reviewed_at = now
    row.reviewed_by = actor.label
    row.reviewed_level = level
    row.review_note = clean_note
    row.marac_routes = routes
    await db.flush()
    await audit.record(db, action="risk_assessment.review", actor=actor, object_type="risk_assessment",
                       object_id=row.id, details={"reference": row.reference, "from": row.final_level, "to": level,
                                                  "raised": level != row.final_level})
    return row
