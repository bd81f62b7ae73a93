"""The legal clocks of protective notices and orders (DOMAIN.md §7.2-7.4), as pure functions.

Nothing here reads the database or the system clock: `safeguarding.orders` gathers the order and the force's
rules (`safeguarding.order_rules.OrderRules`), and passes the time in.

The Domestic Abuse Act 2021 (ss24-25, DAPN) counts its 48- and 24-hour periods "not counting Sundays,
Christmas Day, Good Friday or bank holidays". `count_hours` walks forward through the hours of the days that
count, in UK local time (Europe/London, so a day is 23 or 25 hours long when the clocks change), skipping
whole excluded days. Bank holidays come from the maintained `holidays` library (England and Wales calendar
by default: `holidays.country_holidays("GB", subdiv="ENG")`), never from a hand-typed list. Christmas Day,
Good Friday and Sundays are excluded by rule as well, so a calendar that left one out would not shorten a clock.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")
DAY = timedelta(days=1)
# Never walk further than this looking for a day that counts (a calendar of nothing but holidays is a bug).
MAX_DAYS_WALKED = 3660


def easter(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * ell) // 433
    month = (h + ell - 7 * m + 90) // 25
    return date(year, month, (h + ell - 7 * m + 33 * month + 19) % 32)


@lru_cache(maxsize=8)
def _bank_holidays(country: str, subdiv: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdiv)


def bank_holiday(day: date, country: str = "GB", subdiv: str | None = "ENG") -> str | None:
    """The bank holiday's name if `day` is one in the calendar chosen (England and Wales by default), else None.

    The one place Safeguard asks the `holidays` library: the legal clocks here and the Victims' Code's
    working days both come through it."""
    name = _bank_holidays(country, subdiv).get(day)
    return str(name) if name else None


@dataclass(frozen=True)
class ExcludedDays:
    """The days a legal clock does not count: Sundays, Christmas Day, Good Friday and bank holidays.

    `country` and `subdiv` choose the bank-holiday calendar of the `holidays` library; England and Wales
    share one ("GB", "ENG"). Each kind of day can be switched off for a clock that counts it."""

    country: str = "GB"
    subdiv: str | None = "ENG"
    sundays: bool = True
    christmas_day: bool = True
    good_friday: bool = True
    bank_holidays: bool = True

    def reason(self, day: date) -> str | None:
        """Why `day` is not counted ("Sunday", "Good Friday", "Easter Monday"...), or None if it counts."""
        if self.christmas_day and (day.month, day.day) == (12, 25):
            return "Christmas Day"
        if self.good_friday and day == easter(day.year) - timedelta(days=2):
            return "Good Friday"
        if self.bank_holidays:
            name = bank_holiday(day, self.country, self.subdiv)
            if name:
                return name
        if self.sundays and day.weekday() == 6:
            return "Sunday"
        return None

    def excluded(self, day: date) -> bool:
        return self.reason(day) is not None


NOTHING_EXCLUDED = ExcludedDays(sundays=False, christmas_day=False, good_friday=False, bank_holidays=False)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UK)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("A legal clock needs a time with its time zone")
    return value


def count_hours(start: datetime, hours: float, excluded: ExcludedDays = ExcludedDays()) -> datetime:
    """The moment `hours` hours after `start`, counting only the hours of days that are not excluded.

    A clock started on an excluded day starts counting at the beginning of the next day that counts. The result
    is in UTC (as stored; compare it, and show it in UK time); it is `start + hours` exactly when no excluded
    day intervenes."""
    remaining = timedelta(hours=hours)
    if remaining < timedelta(0):
        raise ValueError("A legal clock cannot run backwards")
    current = _aware(start).astimezone(UK)
    for _ in range(MAX_DAYS_WALKED):
        day = current.date()
        next_midnight = _local_midnight(day + DAY)
        if excluded.excluded(day):
            current = next_midnight
            continue
        # Real elapsed time to the next local midnight (23 or 25 hours on the days the clocks change).
        # (Subtracting two times in the same zone would give wall-clock time, so both go to UTC first.)
        available = next_midnight.astimezone(UTC) - current.astimezone(UTC)
        if remaining <= available:
            return current.astimezone(UTC) + remaining
        remaining -= available
        current = next_midnight
    raise ValueError("No day that counts was found: check the holiday calendar")


def counted_between(start: datetime, end: datetime, excluded: ExcludedDays = ExcludedDays()) -> timedelta:
    """How much of the time from `start` to `end` falls on days that count (zero if `end` is not later)."""
    current, end = _aware(start).astimezone(UK), _aware(end).astimezone(UK)
    total = timedelta(0)
    while current < end:
        next_midnight = _local_midnight(current.date() + DAY)
        upto = min(next_midnight, end)
        if not excluded.excluded(current.date()):
            total += upto.astimezone(UTC) - current.astimezone(UTC)
        current = upto.astimezone(UK)
    return total


def excluded_days_between(start: datetime, end: datetime, excluded: ExcludedDays = ExcludedDays()
                          ) -> list[tuple[date, str]]:
    """The excluded days from `start` up to `end`, with why each is not counted: for showing the working."""
    days: list[tuple[date, str]] = []
    day, last = _aware(start).astimezone(UK).date(), _aware(end).astimezone(UK).date()
    while day <= last and len(days) < MAX_DAYS_WALKED:
        reason = excluded.reason(day)
        if reason:
            days.append((day, reason))
        day += DAY
    return days


# -- the clocks of each kind of order ---------------------------------------------------------------------

def hearing_due(served_at: datetime, hours: float, excluded: ExcludedDays) -> datetime:
    """DAPN (s25) and DVPN: the order application must be heard within `hours` of service."""
    return count_hours(served_at, hours, excluded)


def breach_court_due(arrested_at: datetime, hours: float, excluded: ExcludedDays,
                     hearing_due_by: datetime | None = None) -> datetime:
    """DAPN breach (s26): before the court within `hours` of the arrest, or at the DAPO hearing if sooner."""
    due = count_hours(arrested_at, hours, excluded)
    if hearing_due_by is not None and hearing_due_by < due:
        return hearing_due_by.astimezone(UTC)
    return due


def notification_due(made_at: datetime, days: int) -> datetime:
    """DAPO (s41): the subject tells the police their name and address within `days` days of the order.

    Read as the period of `days` days beginning with the day the order is made: due by the end of its last day
    (UK time). The reading is an interpretation (`PARTIAL` in DOMAIN.md): earlier than `days` x 24 hours."""
    if days < 1:
        raise ValueError("A notification period is at least one day")
    return _local_midnight(_aware(made_at).astimezone(UK).date() + timedelta(days=days)).astimezone(UTC)


def duration_problem(starts_at: datetime, expires_at: datetime | None, min_days: int, max_days: int,
                     what: str = "A DVPO") -> str | None:
    """A DVPO lasts at least `min_days` and at most `max_days` days (CSA 2010 s28); None when it does."""
    if expires_at is None:
        return f"{what} must have an expiry: it lasts {min_days} to {max_days} days"
    length = expires_at - starts_at
    if length < timedelta(days=min_days) or length > timedelta(days=max_days):
        days = length / DAY
        shown = f"{days:.0f}" if days == int(days) else f"{days:.1f}"
        return f"{what} lasts {min_days} to {max_days} days: this one would last {shown} days"
    return None


def add_months(start: datetime, months: int) -> datetime:
    """The same local day and time `months` later, or the last day of that month."""
    local = _aware(start).astimezone(UK)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, month_calendar.monthrange(year, month)[1])
    return datetime.combine(date(year, month, day), local.time(), tzinfo=UK)


def monitoring_problem(starts_at: datetime, until: datetime | None, max_months: int) -> str | None:
    """Electronic monitoring under a DAPO lasts at most `max_months` months (renewable); None when it does."""
    if until is None:
        return None
    if until <= starts_at:
        return "Electronic monitoring must end after the order starts: the dates are in the wrong order"
    if until > add_months(starts_at, max_months):
        return f"Electronic monitoring can be required for at most {max_months} months at a time"
    return None


def is_under(age: int, on: date, dob_year: int | None, dob_month: int | None, dob_day: int | None) -> bool:
    """Is a person known to be under `age` on `on`? Only a date of birth (even a partial one) that makes it
    certain counts: an unknown date of birth is not known to be under age."""
    if dob_year is None:
        return False
    earliest = date(dob_year, dob_month or 1, dob_day or 1)
    try:
        birthday = earliest.replace(year=earliest.year + age)
    except ValueError:  # 29 February
        birthday = date(earliest.year + age, 3, 1)
    return on < birthday


# -- time left --------------------------------------------------------------------------------------------

def duration(delta: timedelta) -> str:
    """A span as people say it: "40 minutes", "1 day 5 hours", "2 hours 10 minutes"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes == 0:
        return "less than a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def time_left(due: datetime, now: datetime) -> str:
    """ "in 5 hours 3 minutes", or "overdue by 20 minutes"."""
    if due >= now:
        return f"in {duration(due - now)}"
    return f"overdue by {duration(now - due)}"
