"""Victims' Code due dates: working days skip weekends and England and Wales bank holidays (from the maintained
`holidays` calendar), keep the UK time of day, and follow the force's settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguard.crimes.service import UK, uk_time
from safeguard.safeguarding.victims_code import (
    VictimsCodeRules,
    add_working_days,
    is_working_day,
    working_days_between,
)


def _uk(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UK).astimezone(UTC)


@pytest.mark.parametrize(("start", "days", "due"), [
    # An ordinary week: Tuesday + 1 is Wednesday; Friday + 1 is Monday; Saturday + 1 is Monday.
    (_uk(2026, 3, 10), 1, _uk(2026, 3, 11)),
    (_uk(2026, 3, 13), 1, _uk(2026, 3, 16)),
    (_uk(2026, 3, 14), 1, _uk(2026, 3, 16)),
    (_uk(2026, 3, 13), 5, _uk(2026, 3, 20)),
    # Christmas 2025: Christmas Day (Thursday) and Boxing Day (Friday), then the weekend.
    (_uk(2025, 12, 24, 16, 30), 1, _uk(2025, 12, 29, 16, 30)),
    (_uk(2025, 12, 24), 5, _uk(2026, 1, 5)),  # 29, 30, 31 Dec, (1 Jan is a holiday) 2, 5 Jan
    # Christmas 2026: Boxing Day falls on a Saturday, so Monday 28 December is the bank holiday in lieu.
    (_uk(2026, 12, 24), 1, _uk(2026, 12, 29)),
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    (_uk(2026, 4, 2), 1, _uk(2026, 4, 7)),
    (_uk(2026, 4, 2), 5, _uk(2026, 4, 13)),
    # Easter 2025: Good Friday 18 April, Easter Monday 21 April.
    (_uk(2025, 4, 17, 9, 15), 1, _uk(2025, 4, 22, 9, 15)),
    # Zero days: due at once.
    (_uk(2026, 3, 14), 0, _uk(2026, 3, 14)),
])
def test_worked_examples(start: datetime, days: int, due: datetime) -> None:
    assert add_working_days(start, days) == due


def test_the_uk_time_of_day_is_kept_across_the_clocks_going_forward() -> None:
    # The clocks went forward on Sunday 29 March 2026: Friday 10:00 GMT + 1 working day is Monday 10:00 BST.
    due = add_working_days(_uk(2026, 3, 27), 1)
    assert uk_time(due).hour == 10 and due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_bank_holidays_come_from_the_calendar_not_a_hand_typed_list() -> None:
    assert not is_working_day(date(2026, 5, 4))  # Early May bank holiday
    assert not is_working_day(date(2026, 8, 31))  # Summer bank holiday (England and Wales)
    assert is_working_day(date(2026, 8, 3))  # Scotland's summer bank holiday is not England's
    assert not is_working_day(date(2026, 8, 3), "GB", "SCT")


def test_the_force_sets_the_timescales_and_the_calendar() -> None:
    default = VictimsCodeRules.from_settings({})
    assert (default.enhanced_working_days, default.standard_working_days) == (1, 5)
    assert [right for right, _ in default.opening] == [4, 3, 4]
    start = _uk(2026, 3, 13)
    assert default.due(start, enhanced=True) == _uk(2026, 3, 16)
    assert default.due(start, enhanced=False) == _uk(2026, 3, 20)
    chosen = VictimsCodeRules.from_settings({"victims_code": {
        "enhanced_working_days": 2, "standard_working_days": 10, "holiday_subdiv": "SCT",
        "opening": [{"right": 4, "what": "Needs assessment"}]}})
    assert chosen.due(start, enhanced=True) == _uk(2026, 3, 17)
    assert chosen.opening == ((4, "Needs assessment"),)
    with pytest.raises(ValueError, match="rights must be 1 to 12"):
        VictimsCodeRules.from_settings({"victims_code": {"opening": [{"right": 13, "what": "x"}]}})
    with pytest.raises(ValueError):
        VictimsCodeRules.from_settings({"victims_code": {"enhanced_working_days": -1}})


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(_uk(2026, 3, 13), -1)


starts = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                      timezones=st.just(UTC))


@given(starts, st.integers(min_value=1, max_value=30))
def test_the_due_date_is_a_working_day_exactly_n_working_days_on(start: datetime, days: int) -> None:
    due = add_working_days(start, days)
    assert due > start
    assert is_working_day(uk_time(due).date())
    assert working_days_between(uk_time(start).date(), uk_time(due).date()) == days
    # No later than a working day spent on every calendar day, and never more than two weeks' slack per 5 days.
    assert uk_time(due).date() - uk_time(start).date() <= timedelta(days=days * 2 + 7)


@given(starts, st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=20))
def test_adding_working_days_composes_and_is_monotonic(start: datetime, a: int, b: int) -> None:
    assert add_working_days(add_working_days(start, a), b) == add_working_days(start, a + b)
    if a <= b:
        assert add_working_days(start, a) <= add_working_days(start, b)


@given(starts)
def test_enhanced_victims_are_never_due_later_than_others(start: datetime) -> None:
    rules = VictimsCodeRules()
    assert rules.due(start, enhanced=True) <= rules.due(start, enhanced=False)
