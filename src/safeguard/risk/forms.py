"""The DASH forms as versioned data: police DASH-27, agency DASH-24 and the S-DASH-11 stalking supplement.

The question texts, the level bands and the MARAC visible-high-risk threshold live in `data/dash_forms.json`,
shipped in the package and loaded once. They are configurable data rather than code: DOMAIN.md §1.4 marks the
bands as SafeLives' for the 24-question form and says forces differ in applying them to the police form. A
changed form gets a new version id; an id in use is never edited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

DATA_FILE = "data/dash_forms.json"


class FormDataError(ValueError):
    """The forms' data file is not well formed."""


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    text: str
    police_question: str | None = None  # on the agency form, the matching police question


@dataclass(frozen=True)
class Threshold:
    level: str
    min_score: int


@dataclass(frozen=True)
class Supplement:
    form: str
    question: str
    answer: str


@dataclass(frozen=True)
class Form:
    id: str
    title: str
    audience: str
    confidence: str
    questions: tuple[Question, ...]
    thresholds: tuple[Threshold, ...]  # ascending by min_score; the first starts at 0
    marac_visible_high_risk: int | None  # None: this form alone never meets the visible-high-risk route
    supplements: tuple[Supplement, ...]

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


@dataclass(frozen=True)
class FormSet:
    levels: tuple[str, ...]  # lowest first
    forms: dict[str, Form]


def parse(raw: dict[str, Any]) -> FormSet:
    """Build the forms from the data file's contents, refusing anything inconsistent."""
    levels = tuple(raw["levels"])
    forms: dict[str, Form] = {}
    for entry in raw["forms"]:
        form_id = entry["id"]
        questions = tuple(Question(id=q["id"], section=q["section"], text=q["text"],
                                   police_question=q.get("police_question")) for q in entry["questions"])
        expected = [f"q{n}" for n in range(1, len(questions) + 1)]
        if [q.id for q in questions] != expected:
            raise FormDataError(f"{form_id}: question ids must be q1 to q{len(questions)} in order")
        thresholds = tuple(Threshold(t["level"], int(t["min_score"])) for t in entry["thresholds"])
        if ([t.level for t in thresholds] != list(levels) or thresholds[0].min_score != 0
                or any(a.min_score >= b.min_score for a, b in pairwise(thresholds))):
            raise FormDataError(f"{form_id}: thresholds must name each level once, lowest first, from 0 upwards")
        supplements = tuple(Supplement(s["form"], s["when"]["question"], s["when"]["answer"])
                            for s in entry.get("supplements", []))
        for supplement in supplements:
            if supplement.question not in expected:
                raise FormDataError(f"{form_id}: supplement {supplement.form} is asked on an unknown question")
        if form_id in forms:
            raise FormDataError(f"{form_id}: the version id is used twice")
        forms[form_id] = Form(id=form_id, title=entry["title"], audience=entry["audience"],
                              confidence=entry["confidence"], questions=questions, thresholds=thresholds,
                              marac_visible_high_risk=entry.get("marac_visible_high_risk"), supplements=supplements)
    for form in forms.values():
        for supplement in form.supplements:
            if supplement.form not in forms:
                raise FormDataError(f"{form.id}: supplement {supplement.form} is not a known form")
    return FormSet(levels=levels, forms=forms)


@cache
def form_set() -> FormSet:
    text = resources.files("safeguard.risk").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse(json.loads(text))


def get_form(form_id: str) -> Form | None:
    return form_set().forms.get(form_id)


def levels() -> tuple[str, ...]:
    return form_set().levels
