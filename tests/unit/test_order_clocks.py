"""The legal clocks of protective notices and orders: worked examples, and properties over any start and length."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.safeguarding import clocks
from safeguard.safeguarding.clocks import (
    NOTHING_EXCLUDED,
    UK,
    ExcludedDays,
    breach_court_due,
    count_hours,
    counted_between,
    duration_problem,
    easter,
    excluded_days_between,
    is_under,
    monitoring_problem,
    notification_due,
    time_left,
)
from safeguard.safeguarding.order_rules import OrderRules

H = timedelta(hours=1)
ENGLAND = ExcludedDays()


def uk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UK)  # type: ignore[misc]


# -- worked examples ---------------------------------------------------------------------------------------

def test_a_dapn_served_on_the_thursday_before_easter_is_heard_by_the_tuesday() -> None:
    """Served 15:00 Thursday 2 April 2026: Good Friday, Easter Sunday and Easter Monday are not counted, so the
    48 hours are 9 on Thursday, 24 on Saturday and 15 on Tuesday."""
    served = uk(2026, 4, 2, 15, 0)
    due = count_hours(served, 48, ENGLAND)
    assert due == uk(2026, 4, 7, 15, 0)
    assert [reason for _, reason in excluded_days_between(served, due)] == ["Good Friday", "Sunday", "Easter Monday"]


def test_a_notice_served_on_a_saturday_skips_the_sunday() -> None:
    served = uk(2026, 11, 21, 10, 0)  # Saturday
    assert count_hours(served, 48, ENGLAND) == uk(2026, 11, 24, 10, 0)  # Tuesday, not Monday
    assert count_hours(served, 48, NOTHING_EXCLUDED) == uk(2026, 11, 23, 10, 0)


def test_christmas_boxing_day_and_the_substitute_day_are_not_counted() -> None:
    # 2026: Christmas Friday, Boxing Day Saturday (a bank holiday as it is not a Sunday), Sunday, and the
    # substitute bank holiday Monday 28th.
    served = uk(2026, 12, 24, 18, 0)
    assert count_hours(served, 48, ENGLAND) == uk(2026, 12, 30, 18, 0)
    reasons = [reason for _, reason in excluded_days_between(served, uk(2026, 12, 30, 18, 0))]
    assert reasons == ["Christmas Day", "Boxing Day", "Sunday", "Boxing Day (observed)"]


def test_a_notice_served_on_a_sunday_starts_counting_on_monday() -> None:
    assert count_hours(uk(2026, 11, 22, 14, 30), 24, ENGLAND) == uk(2026, 11, 24, 0, 0)


def test_the_hours_are_real_hours_across_the_clock_change() -> None:
    # The clocks go forward at 01:00 UTC on Sunday 29 March 2026 (a Sunday, so skipped anyway) and back on
    # Sunday 25 October; with nothing excluded, 48 real hours pass across the change.
    start = uk(2026, 3, 28, 12, 0)
    due = count_hours(start, 48, NOTHING_EXCLUDED)
    assert due.astimezone(UTC) - start.astimezone(UTC) == 48 * H
    assert due.astimezone(UK).hour == 13  # one hour fewer on the wall clock's Sunday
    assert count_hours(start, 48, ENGLAND) == uk(2026, 3, 31, 12, 0)


def test_the_breach_court_clock_is_24_hours_or_the_hearing_if_sooner() -> None:
    arrested = uk(2026, 11, 21, 20, 0)  # Saturday evening
    assert breach_court_due(arrested, 24, ENGLAND) == uk(2026, 11, 23, 20, 0)  # Monday (Sunday not counted)
    hearing = uk(2026, 11, 23, 10, 0)
    assert breach_court_due(arrested, 24, ENGLAND, hearing) == hearing


def test_the_dapo_notification_is_due_by_the_end_of_the_third_day() -> None:
    assert notification_due(uk(2026, 11, 23, 15, 0), 3) == uk(2026, 11, 26, 0, 0)


def test_a_dvpo_lasts_14_to_28_days() -> None:
    start = uk(2026, 11, 1, 10, 0)
    assert duration_problem(start, start + timedelta(days=14), 14, 28) is None
    assert duration_problem(start, start + timedelta(days=28), 14, 28) is None
    assert duration_problem(start, start + timedelta(days=29), 14, 28) == \
        "A DVPO lasts 14 to 28 days: this one would last 29 days"
    assert duration_problem(start, start + timedelta(days=13, hours=12), 14, 28) == \
        "A DVPO lasts 14 to 28 days: this one would last 13.5 days"
    assert duration_problem(start, None, 14, 28) == "A DVPO must have an expiry: it lasts 14 to 28 days"


def test_electronic_monitoring_is_at_most_twelve_months() -> None:
    start = uk(2026, 1, 31, 9, 0)
    assert monitoring_problem(start, uk(2027, 1, 31, 9, 0), 12) is None
    assert monitoring_problem(start, uk(2027, 1, 31, 9, 1), 12) == \
        "Electronic monitoring can be required for at most 12 months at a time"
    assert monitoring_problem(start, start - H, 12) is not None
    assert monitoring_problem(start, None, 12) is None


def test_under_18_only_when_the_date_of_birth_makes_it_certain() -> None:
    today = date(2026, 11, 25)
    assert is_under(18, today, 2008, 11, 26)
    assert not is_under(18, today, 2008, 11, 25)
    assert is_under(18, today, 2009, None, None)  # born in 2009: 17 at most
    assert not is_under(18, today, 2008, None, None)  # could be 18 already
    assert not is_under(18, today, None, None, None)
    assert is_under(18, date(2026, 2, 28), 2008, 2, 29)


def test_the_force_can_change_every_number() -> None:
    rules = OrderRules.from_settings({"protective_orders": {
        "dapn_hearing_hours": 72, "dvpo_max_days": 21, "dvpn_skips_excluded_days": False,
        "dvpn_authoriser_ranks": ["inspector", "superintendent"], "calendar_subdiv": "WLS"}})
    assert rules.dapn_hearing_hours == 72 and rules.dvpo_max_days == 21
    assert rules.dvpn_authoriser_ranks == ("inspector", "superintendent")
    assert rules.excluded.subdiv == "WLS"
    saturday = uk(2026, 11, 21, 10, 0)
    assert count_hours(saturday, 48, rules.dvpn_excluded) == saturday + 48 * H
    assert OrderRules.from_settings(None) == OrderRules()
    assert OrderRules().authoriser_ranks("dapo") is None


def test_easter_matches_the_calendar() -> None:
    assert easter(2026) == date(2026, 4, 5) and easter(2027) == date(2027, 3, 28) and easter(2038) == date(2038, 4, 25)
    for year in range(2024, 2040):
        assert ENGLAND.reason(easter(year) - timedelta(days=2)) == "Good Friday"


def test_time_left_reads_plainly() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert time_left(now + 5 * H + timedelta(minutes=3), now) == "in 5 hours 3 minutes"
    assert time_left(now - timedelta(minutes=20), now) == "overdue by 20 minutes"
    assert time_left(now + 49 * H, now) == "in 2 days 1 hour"


# -- properties --------------------------------------------------------------------------------------------

starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                      timezones=st.just(UTC))
lengths = st.integers(min_value=0, max_value=24 * 7).map(float)


@settings(max_examples=300, deadline=None)
@given(starts, lengths)
def test_exactly_the_hours_asked_for_are_counted(start: datetime, hours: float) -> None:
    due = count_hours(start, hours, ENGLAND)
    assert counted_between(start, due, ENGLAND) == timedelta(hours=hours)
    assert due - start >= timedelta(hours=hours)


@settings(max_examples=300, deadline=None)
@given(starts, st.integers(min_value=1, max_value=24 * 7).map(float))
def test_the_due_time_never_lands_inside_an_excluded_day(start: datetime, hours: float) -> None:
    due = count_hours(start, hours, ENGLAND)
    last_counted = due - timedelta(microseconds=1)
    assert not ENGLAND.excluded(last_counted.astimezone(UK).date())


@settings(max_examples=200, deadline=None)
@given(starts, lengths)
def test_with_nothing_excluded_the_clock_is_plain_elapsed_time(start: datetime, hours: float) -> None:
    assert count_hours(start, hours, NOTHING_EXCLUDED) == start + timedelta(hours=hours)


@settings(max_examples=200, deadline=None)
@given(starts, lengths, st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 1, 31)), max_size=10))
def test_more_excluded_days_never_make_the_clock_shorter(start: datetime, hours: float, extra: set[date]) -> None:
    class More(ExcludedDays):
        def reason(self, day: date) -> str | None:
            return "extra" if day in extra else super().reason(day)

    more = More()
    assert count_hours(start, hours, more) >= count_hours(start, hours, ENGLAND)
    assert count_hours(start, hours, ENGLAND) >= count_hours(start, hours, NOTHING_EXCLUDED)


@settings(max_examples=200, deadline=None)
@given(starts, lengths, lengths)
def test_a_longer_clock_is_never_due_sooner(start: datetime, a: float, b: float) -> None:
    short, long = sorted((a, b))
    assert count_hours(start, short, ENGLAND) <= count_hours(start, long, ENGLAND)


@settings(max_examples=200, deadline=None)
@given(starts, st.integers(min_value=1, max_value=96).map(float))
def test_counting_in_two_steps_is_the_same_as_one(start: datetime, hours: float) -> None:
    half = count_hours(start, hours / 2, ENGLAND)
    assert count_hours(half, hours / 2, ENGLAND) == count_hours(start, hours, ENGLAND)


@settings(max_examples=100, deadline=None)
@given(starts, lengths, st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2031, 6, 1),
                                     timezones=st.just(UTC)))
def test_the_breach_clock_is_never_later_than_the_hearing(arrested: datetime, hours: float,
                                                          hearing: datetime) -> None:
    due = breach_court_due(arrested, hours, ENGLAND, hearing)
    assert due <= hearing and due <= count_hours(arrested, hours, ENGLAND)


def test_a_naive_time_is_refused() -> None:
    try:
        clocks.count_hours(datetime(2026, 1, 1), 48)
    except ValueError as error:
        assert "time zone" in str(error)
    else:
        raise AssertionError("a naive time was accepted")
