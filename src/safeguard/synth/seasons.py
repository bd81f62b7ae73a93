"""When domestic abuse is reported: a weight per day and per hour (DOMAIN.md §10.3).

- Weekends are busier than weekdays, summer busier than winter (the record month for West Midlands
  Police was a July), with a festive peak from Christmas Eve into early January that is highest on
  Christmas Day, Boxing Day and New Year's Day.
- Men's football tournaments raise reports across the tournament, more on England match days (+26%
  after a win or a draw, +38% after a loss, Kirby et al.) and the day after a match (+11%).
- Evenings and nights are busiest.

Weights are relative; only their ratios matter. Hours are local (UK) time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAY = (1.0, 0.95, 0.95, 0.97, 1.08, 1.22, 1.2)  # Monday first
MONTH = (1.0, 0.92, 0.97, 0.98, 1.03, 1.06, 1.1, 1.07, 1.0, 0.98, 0.95, 1.0)  # January first
FESTIVE = {(12, 24): 1.2, (12, 25): 1.55, (12, 26): 1.5, (12, 27): 1.35, (12, 28): 1.25, (12, 29): 1.25,
           (12, 30): 1.25, (12, 31): 1.3, (1, 1): 1.7, (1, 2): 1.2, (1, 3): 1.15, (1, 4): 1.15, (1, 5): 1.1,
           (1, 6): 1.1}
HOURS = (5.5, 4.5, 3.5, 2.5, 1.8, 1.3, 1.2, 1.6, 2.2, 2.8, 3.2, 3.5, 3.8, 4.0, 4.2, 4.5, 5.0, 5.6, 6.2, 6.8,
         7.2, 7.3, 7.0, 6.3)


@dataclass(frozen=True)
class Tournament:
    name: str
    start: date
    end: date
    # England's match days and results ("W", "D", "L"; a win on penalties counts as a win).
    matches: tuple[tuple[date, str], ...]


TOURNAMENTS = (
    Tournament("UEFA Euro 2024", date(2024, 6, 14), date(2024, 7, 14), (
        (date(2024, 6, 16), "W"), (date(2024, 6, 20), "D"), (date(2024, 6, 25), "D"), (date(2024, 6, 30), "W"),
        (date(2024, 7, 6), "W"), (date(2024, 7, 10), "W"), (date(2024, 7, 14), "L"))),
    # The fictional force's 2026 World Cup: a group stage and a run to the quarter-final. Illustrative
    # match days, not England's real fixtures.
    Tournament("FIFA World Cup 2026", date(2026, 6, 11), date(2026, 7, 19), (
        (date(2026, 6, 17), "W"), (date(2026, 6, 23), "D"), (date(2026, 6, 27), "W"), (date(2026, 7, 3), "W"),
        (date(2026, 7, 11), "L"))),
)
MATCH_UPLIFT = {"W": 1.26, "D": 1.26, "L": 1.38}
DAY_AFTER_MATCH = 1.11
DURING_TOURNAMENT = 1.05


def day_weight(day: date) -> float:
    weight = WEEKDAY[day.weekday()] * MONTH[day.month - 1] * FESTIVE.get((day.month, day.day), 1.0)
    for tournament in TOURNAMENTS:
        if tournament.start <= day <= tournament.end + timedelta(days=1):
            weight *= DURING_TOURNAMENT
            for match_day, result in tournament.matches:
                if day == match_day:
                    weight *= MATCH_UPLIFT[result]
                elif day == match_day + timedelta(days=1):
                    weight *= DAY_AFTER_MATCH
    return weight


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def utc_offset_minutes(day: date) -> int:
    """The UK's offset from UTC at midday on this day: 60 in British Summer Time, else 0."""
    return 60 if _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10) else 0
