"""Scoring a DASH assessment: pure functions, no database (DOMAIN.md §1.4 and §1.5).

The score is the number of "yes" answers; "no", "dont-know" and "not-asked" never count. An incomplete DASH is
kept: a question with no answer is filled in as "not-asked", shown as such and never counted; unknown
question keys and unknown answers are still refused, by name. The suggested level
comes from the form's thresholds (data, see `forms`). Professional judgement may only raise the level, and a
raise needs a written rationale. The MARAC routes here are the two that the answers alone decide; the
history-based routes (`escalation`, `repeat`) are added by whoever has the person's history, through
`marac_routes(..., history_routes=...)`, when assessments are saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from safeguard.risk.forms import Form, form_set, get_form, levels

ANSWERS = ("yes", "no", "dont-know", "not-asked")

VISIBLE_HIGH_RISK = "visible-high-risk"
PROFESSIONAL_JUDGEMENT = "professional-judgement"
ESCALATION = "escalation"  # from history: decided when an assessment is saved
REPEAT = "repeat"  # from history: decided when an assessment is saved
MARAC_ROUTES = (VISIBLE_HIGH_RISK, PROFESSIONAL_JUDGEMENT, ESCALATION, REPEAT)


class ScoreRefused(ValueError):
    """The assessment cannot be scored. `errors` maps each field at fault to the reason, all found at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Scored:
    form: str
    score: int
    suggested_level: str
    final_level: str
    marac_routes: tuple[str, ...]
    supplements_due: tuple[str, ...]
    answers: dict[str, str]  # every question of the form, unanswered ones filled in as not-asked
    not_asked: tuple[str, ...]  # the questions not asked, in the form's order


NOT_ASKED = "not-asked"


def complete(form: Form, answers: Mapping[str, str]) -> dict[str, str]:
    """Every question of the form in order, each with its answer, or not-asked where none was given.
    Keys that are not the form's questions are left out (`answer_problems` names them)."""
    return {key: answers.get(key, NOT_ASKED) for key in form.question_ids}


def not_asked(form: Form, answers: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(key for key in form.question_ids if answers.get(key, NOT_ASKED) == NOT_ASKED)


def score(answers: Mapping[str, str]) -> int:
    return sum(1 for answer in answers.values() if answer == "yes")


def rank(level: str) -> int:
    return levels().index(level)


def suggested_level(form: Form, points: int) -> str:
    level = form.thresholds[0].level
    for threshold in form.thresholds:
        if points >= threshold.min_score:
            level = threshold.level
    return level


def judgement_problems(suggested: str, judgement: str | None, rationale: str | None) -> dict[str, str]:
    """Why a professional-judgement level cannot stand, by field; empty if it can."""
    if judgement is None:
        return {}
    if judgement not in levels():
        return {"professional_judgement": f"'{judgement}' is not a level; use one of {', '.join(levels())}"}
    if rank(judgement) < rank(suggested):
        return {"professional_judgement": f"Professional judgement may only raise the level, never lower it: "
                                          f"the answers suggest {suggested}, so {judgement} is refused"}
    if rank(judgement) > rank(suggested) and not (rationale or "").strip():
        return {"rationale": f"Raising the level from {suggested} to {judgement} needs a written rationale"}
    return {}


def final_level(suggested: str, judgement: str | None, rationale: str | None) -> str:
    problems = judgement_problems(suggested, judgement, rationale)
    if problems:
        raise ScoreRefused(problems)
    return suggested if judgement is None else judgement


def marac_routes(form: Form, points: int, suggested: str, final: str,
                 history_routes: Iterable[str] = ()) -> tuple[str, ...]:
    """The MARAC routes met, in the order of DOMAIN.md §1.5. `history_routes` is the seam for `escalation`
    and `repeat`, which need the person's incidents and referrals and so are decided when saving."""
    met = set(history_routes)
    unknown = met - set(MARAC_ROUTES)
    if unknown:
        raise ValueError(f"Unknown MARAC routes: {', '.join(sorted(unknown))}")
    if form.marac_visible_high_risk is not None and points >= form.marac_visible_high_risk:
        met.add(VISIBLE_HIGH_RISK)
    high = levels()[-1]
    if final == high and suggested != high:
        met.add(PROFESSIONAL_JUDGEMENT)
    return tuple(route for route in MARAC_ROUTES if route in met)


def supplements_due(form: Form, answers: Mapping[str, str]) -> tuple[str, ...]:
    """The supplementary forms these answers call for (S-DASH when the stalking question is yes)."""
    return tuple(s.form for s in form.supplements if answers.get(s.question) == s.answer)


def answer_problems(form: Form, answers: Mapping[str, str], prefix: str = "answers") -> dict[str, str]:
    """Unknown question keys and unknown answers, by field. A question with no answer is not a problem: it is
    kept as not-asked."""
    problems: dict[str, str] = {}
    wanted = form.question_ids
    for key, value in answers.items():
        if key not in wanted:
            problems[f"{prefix}.{key}"] = (f"{form.id} has no question '{key}'; "
                                           f"its questions are q1 to q{len(wanted)}")
        elif value not in ANSWERS:
            problems[f"{prefix}.{key}"] = f"'{value}' is not an answer; use one of {', '.join(ANSWERS)}"
    return problems


def assess(form_id: str, answers: Mapping[str, str], professional_judgement: str | None = None,
           rationale: str | None = None) -> Scored:
    """Validate and score an assessment, reporting every problem at once. Unanswered questions count as
    not-asked."""
    form = get_form(form_id)
    if form is None:
        problems = {"form": f"There is no form '{form_id}'; known forms are {', '.join(form_set().forms)}"}
        if professional_judgement is not None and professional_judgement not in levels():
            problems.update(judgement_problems(levels()[0], professional_judgement, rationale))
        raise ScoreRefused(problems)
    problems = answer_problems(form, answers)
    if problems:
        if professional_judgement is not None and professional_judgement not in levels():
            problems.update(judgement_problems(levels()[0], professional_judgement, rationale))
        raise ScoreRefused(problems)
    filled = complete(form, answers)
    points = score(filled)
    suggested = suggested_level(form, points)
    final = final_level(suggested, professional_judgement, rationale)
    return Scored(form=form.id, score=points, suggested_level=suggested, final_level=final,
                  marac_routes=marac_routes(form, points, suggested, final),
                  supplements_due=supplements_due(form, filled), answers=filled,
                  not_asked=not_asked(form, filled))
