"""The intake rules that need no database: channels, numbers, the received time with its clock-skew allowance,
and 55 only on silent 999 calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from safeguard.contact.intake import CLOCK_SKEW, NewContact, contact_problems
from safeguard.contact.models import CHANNELS

NOW = datetime(2026, 11, 25, 21, 4, 5, tzinfo=UTC)
zones = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(ago=st.timedeltas(min_value=-CLOCK_SKEW, max_value=timedelta(days=3)), zone=zones,
       channel=st.sampled_from(CHANNELS))
def test_any_past_time_with_a_zone_and_up_to_the_skew_ahead_is_accepted(ago: timedelta, zone: timezone,
                                                                         channel: str) -> None:
    new = NewContact(channel=channel, caller_number="07700 900123", received_at=(NOW - ago).astimezone(zone))
    problems, e164 = contact_problems(new, NOW)
    assert problems == {} and e164 == "+447700900123"


@given(ahead=st.timedeltas(min_value=CLOCK_SKEW + timedelta(microseconds=1), max_value=timedelta(days=400)),
       zone=zones)
def test_a_time_beyond_the_skew_ahead_is_refused(ahead: timedelta, zone: timezone) -> None:
    problems, _ = contact_problems(NewContact(channel="999", caller_number="01632 960555",
                                              received_at=(NOW + ahead).astimezone(zone)), NOW)
    assert list(problems) == ["received_at"] and "in the future" in problems["received_at"]


@given(channel=st.sampled_from([c for c in CHANNELS if c != "999-silent"]))
def test_55_is_refused_on_every_channel_but_silent_999(channel: str) -> None:
    problems, _ = contact_problems(NewContact(channel=channel, caller_number="07700 900123", received_at=NOW,
                                              pressed_55=True), NOW)
    assert list(problems) == ["pressed_55"]
    ok, _ = contact_problems(NewContact(channel="999-silent", caller_number="07700 900123", received_at=NOW,
                                        pressed_55=True), NOW)
    assert ok == {}


@given(channel=st.text(max_size=20).filter(lambda c: c not in CHANNELS))
def test_an_unknown_channel_is_named(channel: str) -> None:
    problems, _ = contact_problems(NewContact(channel=channel, received_at=NOW), NOW)
    assert "channel" in problems


def test_a_naive_time_and_a_bad_number_are_refused_together() -> None:
    problems, e164 = contact_problems(NewContact(channel="999", caller_number="12345",
                                                 received_at=datetime(2026, 11, 25, 21, 4, 5)), NOW)
    assert set(problems) == {"caller_number", "received_at"} and e164 is None
    assert "time zone" in problems["received_at"]


def test_drama_range_numbers_are_accepted_in_any_format() -> None:
    for text, expected in [("07700 900123", "+447700900123"), ("+44 (0)1632 960555", "+441632960555"),
                           ("(01632) 960 001", "+441632960001"), ("0044 7700 900999", "+447700900999")]:
        problems, e164 = contact_problems(NewContact(channel="101", caller_number=text, received_at=NOW), NOW)
        assert problems == {} and e164 == expected, text
