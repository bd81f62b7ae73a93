"""The history-based MARAC routes as pure functions: escalation (N DA incidents in M months, the current one
included) and repeat (within 12 months of the last referral that was not declined)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.risk.eligibility import (
    EligibilityRules,
    PastReferral,
    RulesError,
    escalation_met,
    months_after,
    months_before,
    repeat_met,
    routes,
)

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
RULES = EligibilityRules()


def _times(*days_ago: int) -> dict[int, datetime]:
    return {n: NOW - timedelta(days=d) for n, d in enumerate(days_ago, start=100)}


def test_the_defaults_are_three_in_twelve_and_twelve_for_repeats() -> None:
    assert (RULES.escalation_incidents, RULES.escalation_months, RULES.repeat_months) == (3, 12, 12)


def test_the_force_sets_its_own_thresholds() -> None:
    kent = EligibilityRules.from_settings({"marac": {"escalation_months": 6, "unrelated": 9},
                                           "custody_clock": {"basic_limit_hours": 24}})
    assert (kent.escalation_incidents, kent.escalation_months, kent.repeat_months) == (3, 6, 12)
    assert EligibilityRules.from_settings(None) == RULES
    assert EligibilityRules.from_settings({"marac": None}) == RULES


@pytest.mark.parametrize("bad", [0, -1, "3", 2.5, True, 500])
def test_bad_settings_are_refused_by_name(bad: object) -> None:
    with pytest.raises(RulesError, match=r"marac\.escalation_incidents"):
        EligibilityRules.from_settings({"marac": {"escalation_incidents": bad}})


def test_escalation_counts_the_current_incident() -> None:
    earlier = _times(30, 200)
    assert escalation_met(earlier, 1, NOW, RULES)  # two before and this one
    assert not escalation_met(_times(30), 1, NOW, RULES)
    # The current incident is among the victim's incidents already: it counts once.
    assert not escalation_met({1: NOW, **_times(30)}, 1, NOW, RULES)


def test_escalation_looks_back_only_over_the_window_that_ends_at_the_incident() -> None:
    assert not escalation_met(_times(30, 400), 1, NOW, RULES)  # one outside 12 months
    assert not escalation_met(_times(30, -10), 1, NOW, RULES)  # one after this incident
    assert escalation_met(_times(30, 150), 1, NOW, RULES)
    assert not escalation_met(_times(30, 200), 1, NOW, EligibilityRules(escalation_months=6))


def test_repeat_runs_from_the_last_referral_not_declined() -> None:
    submitted = PastReferral(NOW - timedelta(days=400), NOW - timedelta(days=300), "heard")
    assert repeat_met([submitted], NOW, RULES)
    # A draft never submitted is dated when it was made.
    draft = PastReferral(NOW - timedelta(days=100), None, "draft")
    assert repeat_met([draft], NOW, RULES)
    old = PastReferral(NOW - timedelta(days=500), NOW - timedelta(days=390), "closed")
    assert not repeat_met([old], NOW, RULES)  # a new referral, not a repeat
    declined = PastReferral(NOW - timedelta(days=50), NOW - timedelta(days=50), "declined")
    assert not repeat_met([declined], NOW, RULES)
    assert repeat_met([old, declined, submitted], NOW, RULES)
    later = PastReferral(NOW + timedelta(days=1), None, "draft")
    assert not repeat_met([later], NOW, RULES)  # a referral after the incident is not a previous one


def test_routes_in_order() -> None:
    referral = PastReferral(NOW - timedelta(days=60), None, "submitted")
    assert routes(_times(10, 20), [referral], 1, NOW, RULES) == ("escalation", "repeat")
    assert routes({}, [], 1, NOW, RULES) == ()


def test_months_are_calendar_months() -> None:
    assert months_before(datetime(2026, 3, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 12) == datetime(2025, 1, 15, tzinfo=UTC)
    assert months_after(datetime(2024, 2, 29, tzinfo=UTC), 12) == datetime(2025, 2, 28, tzinfo=UTC)


# -- properties -------------------------------------------------------------------------------------------

DAYS = st.lists(st.integers(-400, 800), max_size=12)
RULESETS = st.builds(EligibilityRules, escalation_incidents=st.integers(1, 6), escalation_months=st.integers(1, 24),
                     repeat_months=st.integers(1, 24))


@settings(max_examples=300, deadline=None)
@given(DAYS, RULESETS)
def test_escalation_is_a_count_over_the_window(days: list[int], rules: EligibilityRules) -> None:
    times = _times(*days)
    start = months_before(NOW, rules.escalation_months)
    inside = sum(1 for at in times.values() if start < at <= NOW) + 1
    assert escalation_met(times, 1, NOW, rules) == (inside >= rules.escalation_incidents)


@settings(max_examples=300, deadline=None)
@given(DAYS, st.integers(1, 400), RULESETS)
def test_more_history_never_takes_escalation_away(days: list[int], extra: int, rules: EligibilityRules) -> None:
    times = _times(*days)
    if escalation_met(times, 1, NOW, rules):
        assert escalation_met(times | {999: NOW - timedelta(days=extra)}, 1, NOW, rules)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-100, 900), st.booleans(),
                          st.sampled_from(["draft", "submitted", "accepted", "declined", "heard", "closed"])),
                max_size=6), RULESETS)
def test_repeat_is_decided_by_the_last_counted_referral(referrals: list[tuple[int, bool, str]],
                                                        rules: EligibilityRules) -> None:
    past = [PastReferral(NOW - timedelta(days=days + 10), NOW - timedelta(days=days) if sent else None, status)
            for days, sent, status in referrals]
    counted = [r.submitted_at or r.referred_at for r in past if r.status != "declined"]
    counted = [at for at in counted if at < NOW]
    expected = bool(counted) and NOW <= months_after(max(counted), rules.repeat_months)
    assert repeat_met(past, NOW, rules) == expected
    # Declined referrals never matter.
    assert repeat_met([r for r in past if r.status != "declined"], NOW, rules) == expected
