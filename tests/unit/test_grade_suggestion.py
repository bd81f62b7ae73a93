"""The suggested grade: each risk factor raises it to at least its grade, with the reason in words; a force's
settings change the table; adding a factor never lowers the suggestion."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.contact.grading import (
    BASELINE_REASON,
    FACTOR_NAMES,
    GRADE_RANK,
    Facts,
    GradingRules,
    GradingRulesError,
    grading_problems,
    is_below,
    suggest,
)
from safeguard.contact.models import CHANNELS, GRADES

BOOLS = ("pressed_55", "da_flag", "injury", "weapons", "children_present", "high_risk_victim", "perpetrator",
         "weapons_marker", "breach_alert")
facts_st = st.builds(Facts, channel=st.sampled_from(CHANNELS), **{name: st.booleans() for name in BOOLS})
rules_st = st.builds(GradingRules, factors=st.fixed_dictionaries({n: st.sampled_from(GRADES) for n in FACTOR_NAMES}),
                     baseline=st.sampled_from(GRADES))
SILENT_OPEN = "Silent 999 call: the line was left open"
THRIVE_OK = {k: "noted" for k in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")}


def test_a_silent_call_with_55_pressed_is_an_emergency_and_says_why() -> None:
    suggestion = suggest(Facts(channel="999-silent", pressed_55=True))
    assert suggestion.grade == "emergency"
    assert suggestion.reasons == ["Silent 999 call: the caller pressed 55"]


def test_nothing_known_gives_the_baseline_with_its_reason() -> None:
    suggestion = suggest(Facts(channel="101"))
    assert (suggestion.grade, suggestion.reasons) == ("scheduled", [BASELINE_REASON])


def test_reasons_come_most_urgent_first() -> None:
    suggestion = suggest(Facts(channel="999", da_flag=True, perpetrator=True, injury=True))
    assert suggestion.grade == "emergency"
    assert suggestion.reasons == ["Someone is injured", "DA perpetrator marker on the number or a person linked to it",
                                  "Domestic abuse flagged on the contact"]


@pytest.mark.parametrize(("facts", "grade", "reason"), [
    (Facts(channel="999-silent"), "emergency", "Silent 999 call: the line was left open"),
    (Facts(breach_alert=True), "emergency", "Order breach alert"),
    (Facts(high_risk_victim=True), "emergency", "DA high-risk victim marker"),
    (Facts(weapons=True), "emergency", "Weapons mentioned"),
    (Facts(children_present=True), "priority", "Children are present"),
    (Facts(da_flag=True), "priority", "Domestic abuse flagged"),
])
def test_each_factor_alone(facts: Facts, grade: str, reason: str) -> None:
    suggestion = suggest(facts)
    assert suggestion.grade == grade
    assert len(suggestion.reasons) == 1 and suggestion.reasons[0].startswith(reason)


def test_a_force_raises_a_factor_and_the_baseline() -> None:
    rules = GradingRules.from_settings({"control_room": {"grading": {"factors": {"perpetrator": "emergency"},
                                                                     "baseline": "priority"}}})
    assert suggest(Facts(perpetrator=True), rules).grade == "emergency"
    assert suggest(Facts(), rules).grade == "priority"
    assert GradingRules.from_settings(None) == GradingRules()


@pytest.mark.parametrize(("settings", "message"), [
    ({"factors": {"moon": "emergency"}}, "'moon' is not a risk factor"),
    ({"factors": {"injury": "p1"}}, "'p1' is not a grade"),
    ({"baseline": "soon"}, "baseline: 'soon' is not a grade"),
])
def test_unusable_settings_are_refused_by_name(settings: dict[str, object], message: str) -> None:
    with pytest.raises(GradingRulesError, match=message):
        GradingRules.from_settings({"control_room": {"grading": settings}})


@settings(deadline=None, max_examples=300)
@given(facts_st, st.sampled_from(BOOLS), rules_st)
def test_adding_a_risk_factor_never_lowers_the_suggestion(facts: Facts, factor: str, rules: GradingRules) -> None:
    before = suggest(facts, rules)
    after = suggest(replace(facts, **{factor: True}), rules)  # type: ignore[arg-type]
    assert GRADE_RANK[after.grade] <= GRADE_RANK[before.grade]
    # Every reason stays, except that "line left open" becomes "the caller pressed 55" on a silent call.
    if before.reasons != [BASELINE_REASON]:
        assert set(before.reasons) - {SILENT_OPEN} <= set(after.reasons)


@settings(deadline=None, max_examples=300)
@given(facts_st, rules_st)
def test_the_suggestion_is_the_most_urgent_reason_and_every_reason_is_given(facts: Facts, rules: GradingRules
                                                                            ) -> None:
    suggestion = suggest(facts, rules)
    present = facts.present()
    assert len(suggestion.reasons) == max(len(present), 1)
    grades = [rules.factors[n] for n in present] + [rules.baseline]
    if facts.channel == "999-silent":
        grades.append(rules.factors["silent"])
    assert suggestion.grade == min(grades, key=GRADE_RANK.__getitem__)
    assert all(reason.strip() for reason in suggestion.reasons)


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(GRADES), st.sampled_from(GRADES), st.one_of(st.none(), st.just(""), st.just("  "),
                                                                    st.just("Victim now safe at a neighbour's")))
def test_below_the_suggestion_needs_a_written_reason(grade: str, suggested: str, reason: str | None) -> None:
    errors = grading_problems(grade, THRIVE_OK, reason, suggested)
    needs = is_below(grade, suggested) and not (reason or "").strip()
    assert ("below_reason" in errors) == needs
    assert set(errors) <= {"below_reason"}


def test_every_thrive_box_and_the_grade_are_required() -> None:
    errors = grading_problems(None, {"threat": "x", "harm": " "}, None, "priority")
    assert set(errors) == {"harm", "risk", "investigation", "vulnerability", "engagement", "grade"}
    assert errors["harm"] == "Enter the harm: what you found about harm on this call"
