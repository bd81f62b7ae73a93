"""The PACE detention clock as pure functions: worked examples, and properties over any custody record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.crimes.clock import (
    OVERDUE,
    SOON,
    CustodyRecord,
    arrival_problems,
    clock,
    duration,
    extension_problem,
    limits,
    release_problem,
    relevant_time,
    review_problem,
    warrant_problem,
)
from safeguard.crimes.rules import ClockRules

H = timedelta(hours=1)
M = timedelta(minutes=1)
ARREST = datetime(2026, 3, 14, 21, 30, tzinfo=UTC)
RULES = ClockRules()
TOL = timedelta(minutes=1)
INDICTABLE = ("abh",)


def _messages(record: CustodyRecord, now: datetime, rules: ClockRules = RULES) -> list[str]:
    return [w.message for w in clock(record, now, rules).warnings]


# -- worked examples ---------------------------------------------------------------------------------------

def test_a_review_due_soon_and_a_limit_passed_are_said_plainly() -> None:
    arrived = ARREST + 20 * M
    record = CustodyRecord(ARREST, arrived, arrived + 10 * M)
    # First review 6 hours after detention was authorised.
    now = arrived + 10 * M + 6 * H - 40 * M
    assert _messages(record, now) == ["Review due in 40 minutes"]
    assert clock(record, now).next_review_due == arrived + 10 * M + 6 * H
    late = arrived + 24 * H + 12 * M
    reviewed = CustodyRecord(ARREST, arrived, arrived + 10 * M, reviews=(late - 2 * H,))
    assert _messages(reviewed, late) == ["Detention limit passed 12 minutes ago — release or extend"]
    assert "Review overdue by 1 hour 5 minutes" in _messages(record, arrived + 10 * M + 6 * H + 65 * M)


def test_the_limit_warns_within_the_hour_and_says_what_an_extension_needs() -> None:
    record = CustodyRecord(ARREST, ARREST, ARREST, reviews=(ARREST + 15 * H,))
    assert _messages(record, ARREST + 23 * H + 30 * M) == [
        "Review due in 30 minutes",
        "Detention limit in 30 minutes — release, charge or extend (a superintendent's extension needs review 2 "
        "first)"]
    assert _messages(record, ARREST + 22 * H) == []


def test_the_relevant_time_is_arrival_capped_at_24_hours_after_arrest() -> None:
    assert relevant_time(CustodyRecord(ARREST, ARREST + 2 * H), RULES) == (ARREST + 2 * H, False)
    assert relevant_time(CustodyRecord(ARREST, ARREST + 30 * H), RULES) == (ARREST + 24 * H, False)
    assert relevant_time(CustodyRecord(ARREST), RULES) == (ARREST, True)
    assert "Arrival at the station is not recorded" in _messages(CustodyRecord(ARREST), ARREST + H)[0]


def test_extensions_warrants_and_bail_breach_move_the_limit() -> None:
    base = CustodyRecord(ARREST, ARREST, ARREST)
    assert limits(base, RULES) == (ARREST + 24 * H, "basic")
    assert limits(CustodyRecord(ARREST, ARREST, ARREST, for_bail_breach=True), RULES) == (ARREST + 27 * H, "basic")
    extended = CustodyRecord(ARREST, ARREST, ARREST, reviews=(ARREST + 5 * H, ARREST + 14 * H),
                             superintendent_extension_at=ARREST + 20 * H)
    assert limits(extended, RULES) == (ARREST + 36 * H, "superintendent")
    warranted = CustodyRecord(ARREST, ARREST, ARREST, warrant_until=ARREST + 70 * H)
    assert limits(warranted, RULES) == (ARREST + 70 * H, "warrant")
    assert limits(CustodyRecord(ARREST, ARREST, ARREST, warrant_until=ARREST + 200 * H), RULES)[0] == ARREST + 96 * H
    assert _messages(warranted, ARREST + 70 * H + 5 * M)[-1] == (
        "Detention limit passed 5 minutes ago — release or charge")


def test_the_clock_stops_at_release_or_charge() -> None:
    record = CustodyRecord(ARREST, ARREST, ARREST, released_at=ARREST + 3 * H)
    later = clock(record, ARREST + 50 * H)
    assert later.stopped_by == "released" and later.warnings == () and later.next_review_due is None
    assert later.detained_for == 3 * H
    charged = clock(CustodyRecord(ARREST, ARREST, ARREST, charged_at=ARREST + 2 * H), ARREST + 30 * H)
    assert charged.stopped_by == "charged" and not charged.running


def test_a_force_may_set_its_own_hours() -> None:
    rules = ClockRules.from_settings({"custody_clock": {"basic_limit_hours": 12, "first_review_hours": 4,
                                                        "warn_within_hours": 0.5,
                                                        "summary_only_offences": ["abh"]}})
    record = CustodyRecord(ARREST, ARREST, ARREST)
    assert limits(record, rules) == (ARREST + 12 * H, "basic")
    assert clock(record, ARREST, rules).next_review_due == ARREST + 4 * H
    assert _messages(record, ARREST + 3 * H + 20 * M, rules) == []
    assert _messages(record, ARREST + 3 * H + 40 * M, rules) == ["Review due in 20 minutes"]
    assert "summary only" in (extension_problem(record, ARREST + H, ARREST + 2 * H, TOL, rules, ("abh",)) or "")


def test_each_custody_entry_is_refused_with_its_reason() -> None:
    record = CustodyRecord(ARREST, ARREST + 30 * M, ARREST + 40 * M, reviews=(ARREST + 6 * H,))
    now = ARREST + 20 * H
    assert "within 24 hours" not in (extension_problem(record, now, now, TOL, RULES, INDICTABLE) or "")
    assert extension_problem(record, now, now, TOL, RULES, INDICTABLE) == (
        "A superintendent's extension is given only after review 2: 1 review recorded so far")
    two = CustodyRecord(ARREST, ARREST + 30 * M, ARREST + 40 * M, reviews=(ARREST + 6 * H, ARREST + 15 * H))
    assert extension_problem(two, ARREST + 16 * H, now, TOL, RULES, INDICTABLE) is None
    assert "after review 2" in (extension_problem(two, ARREST + 14 * H, now, TOL, RULES, INDICTABLE) or "")
    assert "within 24 hours" in (extension_problem(two, ARREST + 25 * H, ARREST + 26 * H, TOL, RULES, INDICTABLE)
                                 or "")
    assert "summary only" in (extension_problem(two, now, now, TOL, RULES, ("common-assault", "harassment")) or "")
    assert extension_problem(two, now, now, TOL, RULES, ("common-assault", "abh")) is None  # one indictable is enough
    assert "future" in (extension_problem(two, now + H, now, TOL, RULES, INDICTABLE) or "")
    assert review_problem(record, now + H, now, TOL, RULES) == "The time of the review must not be in the future"
    assert "after the last one" in (review_problem(record, ARREST + 5 * H, now, TOL, RULES) or "")
    assert "after detention was authorised" in (review_problem(CustodyRecord(ARREST, ARREST + H, ARREST + H),
                                                               ARREST + 30 * M, now, TOL, RULES) or "")
    assert release_problem(record, ARREST - H, now, TOL) is not None
    assert "after the arrest" in (release_problem(record, ARREST - H, now, TOL) or "")
    assert "future" in (release_problem(record, now + H, now, TOL) or "")
    assert release_problem(record, now, now, TOL) is None
    assert "no longer detained" in (release_problem(CustodyRecord(ARREST, released_at=ARREST + H), now, now, TOL)
                                    or "")
    assert arrival_problems(record, ARREST - H, None, now, TOL) == {
        "arrived_at": "The arrival at the station must be after the arrest (14 March 2026 21:30)"}
    assert "future" in arrival_problems(record, now + H, None, now, TOL)["arrived_at"]
    assert "authorised after" in arrival_problems(record, ARREST + H, ARREST, now, TOL)["authorised_at"]
    assert warrant_problem(record, now, now + 36 * H, now, TOL, RULES, INDICTABLE) == {}
    assert "at most 36 hours" in warrant_problem(record, now, now + 37 * H, now, TOL, RULES, INDICTABLE)["until"]
    late = ARREST + 30 * M + 24 * H + M
    assert "before the detention limit" in warrant_problem(record, late, late + H, late, TOL, RULES,
                                                           INDICTABLE)["issued_at"]
    far = CustodyRecord(ARREST, ARREST, ARREST, warrant_until=ARREST + 70 * H)
    assert "beyond 96 hours" in warrant_problem(far, ARREST + 69 * H, ARREST + 100 * H, ARREST + 69 * H, TOL, RULES,
                                                INDICTABLE)["until"]
    assert "beyond the current one" in warrant_problem(far, ARREST + 60 * H, ARREST + 65 * H,
                                                       ARREST + 69 * H, TOL, RULES, INDICTABLE)["until"]


def test_durations_read_as_people_say_them() -> None:
    assert duration(40 * M + timedelta(seconds=59)) == "40 minutes"
    assert duration(M) == "1 minute"
    assert duration(H) == "1 hour"
    assert duration(2 * H + M) == "2 hours 1 minute"
    assert duration(timedelta(seconds=30)) == "less than a minute"
    assert duration(-H) == "less than a minute"


# -- properties ----------------------------------------------------------------------------------------------

hours = st.floats(min_value=0, max_value=120, allow_nan=False).map(lambda h: timedelta(hours=h))


@st.composite
def records(draw: st.DrawFn) -> CustodyRecord:
    arrested = ARREST + draw(hours)
    arrival = draw(st.none() | hours.map(lambda d: arrested + d / 3))
    authorised = None if arrival is None else draw(st.none() | hours.map(lambda d: arrival + d / 20))
    reviews = tuple(sorted(arrested + d for d in draw(st.lists(hours, max_size=6))))
    return CustodyRecord(
        arrested_at=arrested, arrived_at_station=arrival, detention_authorised_at=authorised,
        for_bail_breach=draw(st.booleans()), reviews=reviews,
        superintendent_extension_at=draw(st.none() | hours.map(lambda d: arrested + d / 4)),
        warrant_until=draw(st.none() | hours.map(lambda d: arrested + d)),
        released_at=draw(st.none() | hours.map(lambda d: arrested + d)),
        charged_at=draw(st.none() | hours.map(lambda d: arrested + d)))


@given(records(), hours)
@settings(max_examples=300, deadline=None)
def test_the_clock_keeps_its_rules_for_any_record(record: CustodyRecord, since: timedelta) -> None:
    now = record.arrested_at + since
    result = clock(record, now)
    start = result.relevant_time
    # The relevant time is between the arrest and 24 hours after it, and is the arrival when that came first.
    assert record.arrested_at <= start <= record.arrested_at + RULES.relevant_time_cap
    if record.arrived_at_station is not None and record.arrived_at_station <= record.arrested_at + 24 * H:
        assert start == record.arrived_at_station
    # No limit runs beyond 96 hours; without a warrant it is 24 or 36 hours (+3 for a bail breach).
    assert result.limit <= start + RULES.maximum
    extra = RULES.bail_breach_extra if record.for_bail_breach else timedelta(0)
    if record.warrant_until is None:
        expected = RULES.superintendent_limit if record.superintendent_extension_at else RULES.basic_limit
        assert result.limit == start + expected + extra
    # Reviews: 6 hours after detention was authorised, then 9 hours after the last one.
    if result.running:
        assert result.next_review_due is not None
        if record.reviews:
            assert result.next_review_due == max(record.reviews) + RULES.review_interval
        else:
            assert result.next_review_due == (record.detention_authorised_at or start) + RULES.first_review
    # A warning is overdue exactly when its time has passed, and soon only within the hour before it.
    by_kind = {(w.about, w.level) for w in result.warnings}
    assert (("limit", OVERDUE) in by_kind) == (result.running and now > result.limit)
    assert (("limit", SOON) in by_kind) == (result.running and now <= result.limit
                                            and result.limit - now <= RULES.warn_within)
    due = result.next_review_due
    assert (("review", OVERDUE) in by_kind) == (due is not None and now > due)
    if not result.running:
        assert result.warnings == () and result.stopped_at is not None
        assert result.stopped_at == min(t for t in (record.released_at, record.charged_at) if t is not None)
    assert result.detained_for >= timedelta(0)


@given(records(), hours, hours)
@settings(max_examples=200, deadline=None)
def test_a_stopped_clock_no_longer_changes_with_time(record: CustodyRecord, first: timedelta,
                                                     second: timedelta) -> None:
    result = clock(record, record.arrested_at + first)
    if result.running:
        return
    assert result == clock(record, record.arrested_at + max(first, second) + 200 * H)


@given(records(), hours)
@settings(max_examples=200, deadline=None)
def test_the_time_left_only_shrinks_as_time_passes(record: CustodyRecord, step: timedelta) -> None:
    running = CustodyRecord(record.arrested_at, record.arrived_at_station, record.detention_authorised_at,
                            record.for_bail_breach, record.reviews, record.superintendent_extension_at,
                            record.warrant_until)
    earlier, later = clock(running, running.arrested_at), clock(running, running.arrested_at + step)
    assert (earlier.limit, earlier.next_review_due) == (later.limit, later.next_review_due)
    assert later.detained_for >= earlier.detained_for


@given(records(), hours, hours, st.booleans())
@settings(max_examples=300, deadline=None)
def test_an_extension_or_warrant_allowed_keeps_the_law(record: CustodyRecord, at: timedelta, length: timedelta,
                                                       summary: bool) -> None:
    now = record.arrested_at + at + H
    when = record.arrested_at + at
    codes = ("common-assault",) if summary else INDICTABLE
    start, _ = relevant_time(record, RULES)
    if extension_problem(record, when, now, TOL, RULES, codes) is None:
        assert not summary and len(record.reviews) >= RULES.extension_after_reviews
        assert when >= sorted(record.reviews)[RULES.extension_after_reviews - 1].replace(second=0, microsecond=0)
        assert when <= start + RULES.extension_within
        assert record.superintendent_extension_at is None and record.warrant_until is None
        assert record.released_at is None and record.charged_at is None
    until = when + length
    if not warrant_problem(record, when, until, now, TOL, RULES, codes):
        assert not summary and until <= start + RULES.maximum and until - when <= RULES.warrant_step
        assert when <= limits(record, RULES)[0]
    released = record.arrested_at + at - 2 * H
    if release_problem(record, released, now, TOL) is None:
        assert released >= record.arrested_at.replace(second=0, microsecond=0) and released <= now + TOL
