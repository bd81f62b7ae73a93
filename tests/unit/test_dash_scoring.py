"""DASH scoring: the forms are data, the score counts yes answers, judgement only raises, problems all at once."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.risk import forms, scoring
from safeguard.risk.forms import FormDataError, get_form
from safeguard.risk.scoring import ScoreRefused, assess

DASH27 = get_form("DASH-27")
assert DASH27 is not None


def _answers(n: int, yes: int, rest: str = "no") -> dict[str, str]:
    return {f"q{i}": "yes" if i <= yes else rest for i in range(1, n + 1)}


def _raw() -> dict:  # type: ignore[type-arg]
    text = resources.files("safeguard.risk").joinpath(forms.DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


# -- the forms ------------------------------------------------------------------------------------------

def test_the_three_forms_and_their_sizes() -> None:
    found = {form_id: len(form.questions) for form_id, form in forms.form_set().forms.items()}
    assert found == {"DASH-27": 27, "DASH-24": 24, "S-DASH-11": 11}
    assert forms.levels() == ("standard", "medium", "high")
    assert [(t.level, t.min_score) for t in DASH27.thresholds] == [("standard", 0), ("medium", 10), ("high", 14)]


def test_question_8_is_stalking_and_calls_for_s_dash() -> None:
    assert "stalking" in DASH27.questions[7].text
    assert [(s.form, s.question, s.answer) for s in DASH27.supplements] == [("S-DASH-11", "q8", "yes")]
    assert scoring.supplements_due(DASH27, {"q8": "yes"}) == ("S-DASH-11",)
    assert scoring.supplements_due(DASH27, {"q8": "dont-know"}) == ()


def test_the_agency_form_is_the_police_form_without_10_to_12() -> None:
    agency = get_form("DASH-24")
    assert agency is not None
    police = {q.id: q.text for q in DASH27.questions}
    assert [q.police_question for q in agency.questions] == [f"q{n}" for n in [*range(1, 10), *range(13, 28)]]
    assert all(q.text == police[q.police_question] for q in agency.questions if q.police_question)
    assert "stalking" in agency.questions[7].text


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["forms"][0]["questions"].pop(3), "q1 to q26"),
    (lambda d: d["forms"][0]["thresholds"].reverse(), "thresholds"),
    (lambda d: d["forms"][0]["supplements"][0].update(form="S-DASH-99"), "S-DASH-99"),
    (lambda d: d["forms"].append(d["forms"][1]), "used twice"),
])
def test_a_bad_data_file_is_refused(change, message: str) -> None:  # type: ignore[no-untyped-def]
    raw = _raw()
    change(raw)
    with pytest.raises(FormDataError, match=message):
        forms.parse(raw)


# -- examples ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("yes", "level"), [(0, "standard"), (1, "standard"), (9, "standard"), (10, "medium"),
                                            (13, "medium"), (14, "high"), (27, "high")])
def test_the_bands(yes: int, level: str) -> None:
    scored = assess("DASH-27", _answers(27, yes))
    assert (scored.score, scored.suggested_level, scored.final_level) == (yes, level, level)
    assert scored.marac_routes == (("visible-high-risk",) if yes >= 14 else ())


def test_dont_know_and_not_asked_never_count() -> None:
    answers = _answers(27, 5, rest="dont-know") | {"q27": "not-asked"}
    assert assess("DASH-27", answers).score == 5


def test_judgement_raises_to_high_with_a_rationale_and_is_a_marac_route() -> None:
    scored = assess("DASH-27", _answers(27, 6), "high", "Non-fatal strangulation last week; victim fears being killed")
    assert (scored.suggested_level, scored.final_level) == ("standard", "high")
    assert scored.marac_routes == ("professional-judgement",)


def test_judgement_to_medium_is_not_a_marac_route() -> None:
    scored = assess("DASH-27", _answers(27, 3), "medium", "Separation planned")
    assert scored.final_level == "medium" and scored.marac_routes == ()


def test_judgement_equal_to_the_suggestion_needs_no_rationale() -> None:
    assert assess("DASH-27", _answers(27, 15), "high").marac_routes == ("visible-high-risk",)


def test_lowering_is_refused_naming_the_field() -> None:
    with pytest.raises(ScoreRefused) as refused:
        assess("DASH-27", _answers(27, 14), "medium", "Victim seems calm")
    assert list(refused.value.errors) == ["professional_judgement"]
    assert "only raise" in refused.value.errors["professional_judgement"]


@pytest.mark.parametrize("rationale", [None, "", "   "])
def test_a_raise_without_a_rationale_is_refused(rationale: str | None) -> None:
    with pytest.raises(ScoreRefused) as refused:
        assess("DASH-27", _answers(27, 2), "high", rationale)
    assert list(refused.value.errors) == ["rationale"]


def test_every_problem_is_reported_at_once() -> None:
    answers = _answers(27, 3)
    del answers["q5"]  # left out: kept as not-asked, not a problem
    answers |= {"q2": "maybe", "q30": "yes"}
    with pytest.raises(ScoreRefused) as refused:
        assess("DASH-27", answers, "extreme")
    assert set(refused.value.errors) == {"answers.q2", "answers.q30", "professional_judgement"}
    assert "maybe" in refused.value.errors["answers.q2"] and "q30" in refused.value.errors["answers.q30"]


def test_an_incomplete_dash_keeps_the_unanswered_questions_as_not_asked() -> None:
    scored = assess("DASH-27", {"q1": "yes", "q2": "yes", "q8": "yes", "q9": "no", "q27": "not-asked"})
    assert scored.score == 3
    assert scored.not_asked == tuple(f"q{n}" for n in [*range(3, 8), *range(10, 28)])
    assert list(scored.answers) == [f"q{n}" for n in range(1, 28)]
    assert scored.answers["q4"] == "not-asked" and scored.answers["q9"] == "no"
    assert scored.supplements_due == ("S-DASH-11",)
    empty = assess("DASH-24", {})
    assert (empty.score, empty.suggested_level, len(empty.not_asked)) == (0, "standard", 24)


def test_an_unknown_form_is_named() -> None:
    with pytest.raises(ScoreRefused) as refused:
        assess("DASH-99", {"q1": "yes"})
    assert list(refused.value.errors) == ["form"]
    assert "DASH-99" in refused.value.errors["form"] and "DASH-27" in refused.value.errors["form"]


def test_history_routes_come_in_through_the_seam() -> None:
    assert scoring.marac_routes(DASH27, 15, "high", "high", history_routes=["repeat", "escalation"]) == (
        "visible-high-risk", "escalation", "repeat")
    with pytest.raises(ValueError, match="sometimes"):
        scoring.marac_routes(DASH27, 1, "standard", "standard", history_routes=["sometimes"])


def test_s_dash_alone_never_meets_visible_high_risk() -> None:
    scored = assess("S-DASH-11", _answers(11, 11))
    assert scored.score == 11 and scored.marac_routes == ()


# -- properties -------------------------------------------------------------------------------------------

FORM_IDS = st.sampled_from(["DASH-27", "DASH-24", "S-DASH-11"])


@st.composite
def assessments(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    form_id = draw(FORM_IDS)
    form = get_form(form_id)
    assert form is not None
    values = draw(st.lists(st.sampled_from(scoring.ANSWERS), min_size=len(form.questions),
                           max_size=len(form.questions)))
    return form_id, dict(zip(form.question_ids, values, strict=True))


@settings(max_examples=200, deadline=None)
@given(assessments())
def test_score_is_the_number_of_yes_answers(case: tuple[str, dict[str, str]]) -> None:
    form_id, answers = case
    assert assess(form_id, answers).score == list(answers.values()).count("yes")


@settings(max_examples=200, deadline=None)
@given(assessments(), st.data())
def test_leaving_questions_out_is_the_same_as_not_asked(case: tuple[str, dict[str, str]], data: st.DataObject) -> None:
    form_id, answers = case
    dropped = data.draw(st.sets(st.sampled_from(sorted(answers))))
    partial = {key: value for key, value in answers.items() if key not in dropped}
    full = answers | {key: "not-asked" for key in dropped}
    left_out, explicit = assess(form_id, partial), assess(form_id, full)
    assert left_out == explicit
    assert set(left_out.not_asked) == {key for key, value in full.items() if value == "not-asked"}


@settings(max_examples=200, deadline=None)
@given(FORM_IDS, st.integers(0, 40), st.integers(0, 40))
def test_level_is_monotone_in_score(form_id: str, a: int, b: int) -> None:
    form = get_form(form_id)
    assert form is not None
    low, high = sorted((a, b))
    assert scoring.rank(scoring.suggested_level(form, low)) <= scoring.rank(scoring.suggested_level(form, high))


@settings(max_examples=300, deadline=None)
@given(assessments(), st.sampled_from([None, "standard", "medium", "high"]), st.sampled_from([None, "", "Reason"]))
def test_judgement_never_lowers(case: tuple[str, dict[str, str]], judgement: str | None,
                                rationale: str | None) -> None:
    form_id, answers = case
    try:
        scored = assess(form_id, answers, judgement, rationale)
    except ScoreRefused as refused:
        assert judgement is not None and set(refused.errors) <= {"professional_judgement", "rationale"}
        return
    assert scoring.rank(scored.final_level) >= scoring.rank(scored.suggested_level)
    if judgement is not None:
        assert scored.final_level == judgement
    if scored.final_level != scored.suggested_level:
        assert (rationale or "").strip()
