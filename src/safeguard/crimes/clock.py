"""The PACE detention clock (DOMAIN.md §8.3), as pure functions of a custody record and the time now.

Nothing here reads the database or the system clock: `crimes.custody` gathers the record, and the rules
(every limit in hours) come from `crimes.rules.ClockRules`, which a force may override.

- The relevant time is arrival at the station, but never later than 24 hours after the arrest. Until the
  arrival is recorded the clock runs from the arrest itself, the earliest it can run from (so every
  deadline shown is the earliest it can be).
- Limits: 24 hours from the relevant time; 36 once a superintendent extends it (only for an indictable or
  either-way offence, after the second review, within the first 24 hours); a magistrates' warrant of
  further detention to the time it gives (at most 36 hours from its issue), never beyond 96 hours in all.
  Arrest for breaching pre-charge bail adds 3 hours to the 24- and 36-hour limits.
- Reviews: the first 6 hours after detention was first authorised, then at most 9 hours after the last.
- The clock stops when the suspect is released or charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from safeguard.crimes.rules import ClockRules

UK = ZoneInfo("Europe/London")
ARRIVAL, REVIEW, LIMIT = "arrival", "review", "limit"
INFO, SOON, OVERDUE = "info", "soon", "overdue"


@dataclass(frozen=True)
class CustodyRecord:
    arrested_at: datetime
    arrived_at_station: datetime | None = None
    detention_authorised_at: datetime | None = None
    for_bail_breach: bool = False
    reviews: tuple[datetime, ...] = ()
    superintendent_extension_at: datetime | None = None
    warrant_until: datetime | None = None
    released_at: datetime | None = None
    charged_at: datetime | None = None


@dataclass(frozen=True)
class Warning:
    level: str  # info, soon or overdue
    about: str  # arrival, review or limit
    message: str


@dataclass(frozen=True)
class Clock:
    relevant_time: datetime
    relevant_time_estimated: bool  # arrival not recorded: shown from the arrest
    reviews_from: datetime
    basic_limit: datetime
    extended_limit: datetime
    maximum: datetime
    limit: datetime
    limit_kind: str  # basic, superintendent or warrant
    next_review_due: datetime | None  # None once the clock has stopped
    reviews_done: int
    stopped_at: datetime | None
    stopped_by: str | None  # released or charged
    detained_for: timedelta
    warnings: tuple[Warning, ...] = field(default_factory=tuple)

    @property
    def running(self) -> bool:
        return self.stopped_at is None


def duration(delta: timedelta) -> str:
    """A span as people say it, to the whole minute below: "40 minutes", "1 hour 5 minutes", "2 hours"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes == 0:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def relevant_time(record: CustodyRecord, rules: ClockRules) -> tuple[datetime, bool]:
    """(relevant time, estimated): arrival at the station capped at 24 hours after arrest; the arrest if unknown."""
    cap = record.arrested_at + rules.relevant_time_cap
    if record.arrived_at_station is None:
        return record.arrested_at, True
    return min(max(record.arrived_at_station, record.arrested_at), cap), False


def _extra(record: CustodyRecord, rules: ClockRules) -> timedelta:
    return rules.bail_breach_extra if record.for_bail_breach else timedelta(0)


def stopped(record: CustodyRecord) -> tuple[datetime | None, str | None]:
    ends = [(t, why) for t, why in ((record.released_at, "released"), (record.charged_at, "charged")) if t]
    return min(ends) if ends else (None, None)


def limits(record: CustodyRecord, rules: ClockRules) -> tuple[datetime, str]:
    """(the detention limit now in force, which kind it is)."""
    start, _ = relevant_time(record, rules)
    maximum = start + rules.maximum
    if record.warrant_until is not None:
        return min(record.warrant_until, maximum), "warrant"
    if record.superintendent_extension_at is not None:
        return min(start + rules.superintendent_limit + _extra(record, rules), maximum), "superintendent"
    return min(start + rules.basic_limit + _extra(record, rules), maximum), "basic"


def reviews_from(record: CustodyRecord, rules: ClockRules) -> datetime:
    """When detention was first authorised (reviews count from it); the relevant time until it is recorded."""
    return record.detention_authorised_at or relevant_time(record, rules)[0]


def next_review_due(record: CustodyRecord, rules: ClockRules) -> datetime | None:
    if stopped(record)[0] is not None:
        return None
    if not record.reviews:
        return reviews_from(record, rules) + rules.first_review
    return max(record.reviews) + rules.review_interval


def _action(kind: str, passed: bool) -> str:
    if kind == "basic":
        return "release or extend" if passed else "release, charge or extend"
    if kind == "superintendent":
        return "release or apply for a warrant" if passed else "release, charge or apply for a warrant"
    return "release or charge"


def clock(record: CustodyRecord, now: datetime, rules: ClockRules | None = None) -> Clock:
    """Every deadline of the custody record, and the warnings due at `now`."""
    rules = rules or ClockRules()
    start, estimated = relevant_time(record, rules)
    extra = _extra(record, rules)
    limit, kind = limits(record, rules)
    stop, stopped_by = stopped(record)
    due = next_review_due(record, rules)
    until = stop or now
    warnings: list[Warning] = []
    if stop is None:
        if estimated:
            warnings.append(Warning(INFO, ARRIVAL, "Arrival at the station is not recorded: the clock is shown "
                                                   "from the arrest, the earliest it can run from"))
        if due is not None:
            if now > due:
                warnings.append(Warning(OVERDUE, REVIEW, f"Review overdue by {duration(now - due)}"))
            elif due - now <= rules.warn_within:
                warnings.append(Warning(SOON, REVIEW, f"Review due in {duration(due - now)}"))
        if now > limit:
            warnings.append(Warning(OVERDUE, LIMIT, f"Detention limit passed {duration(now - limit)} ago — "
                                                    f"{_action(kind, True)}"))
        elif limit - now <= rules.warn_within:
            message = f"Detention limit in {duration(limit - now)} — {_action(kind, False)}"
            if kind == "basic" and len(record.reviews) < rules.extension_after_reviews:
                message += (f" (a superintendent's extension needs review {rules.extension_after_reviews} "
                            "first)")
            warnings.append(Warning(SOON, LIMIT, message))
    return Clock(
        relevant_time=start, relevant_time_estimated=estimated, reviews_from=reviews_from(record, rules),
        basic_limit=start + rules.basic_limit + extra, extended_limit=start + rules.superintendent_limit + extra,
        maximum=start + rules.maximum, limit=limit, limit_kind=kind, next_review_due=due,
        reviews_done=len(record.reviews), stopped_at=stop, stopped_by=stopped_by,
        detained_for=max(until - start, timedelta(0)), warnings=tuple(warnings))


# -- the rules each custody entry must keep (pure; each returns the reason it is refused, or None) -----------

def _when(value: datetime) -> str:
    return value.astimezone(UK).strftime("%d %B %Y %H:%M")


def _floor(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def stopped_problem(record: CustodyRecord) -> str | None:
    stop, why = stopped(record)
    if stop is not None:
        return f"The suspect is no longer detained: {why} at {_when(stop)}"
    return None


def summary_only(codes: Sequence[str], rules: ClockRules) -> bool:
    """True when every offence of the arrest is summary only (no extension or warrant may then be given)."""
    return bool(codes) and all(code in rules.summary_only_offences for code in codes)


def arrival_problems(record: CustodyRecord, arrived_at: datetime | None, authorised_at: datetime | None,
                     now: datetime, tolerance: timedelta) -> dict[str, str]:
    errors: dict[str, str] = {}
    if arrived_at is not None:
        if arrived_at > now + tolerance:
            errors["arrived_at"] = "The arrival at the station must not be in the future"
        elif arrived_at < _floor(record.arrested_at):
            errors["arrived_at"] = f"The arrival at the station must be after the arrest ({_when(record.arrested_at)})"
    if authorised_at is not None:
        if arrived_at is None:
            errors["authorised_at"] = "Give the arrival at the station as well: detention is authorised after it"
        elif authorised_at > now + tolerance:
            errors["authorised_at"] = "The time detention was authorised must not be in the future"
        elif authorised_at < _floor(arrived_at):
            errors["authorised_at"] = "Detention is authorised after the arrival at the station"
    return errors


def review_problem(record: CustodyRecord, reviewed_at: datetime, now: datetime, tolerance: timedelta,
                   rules: ClockRules) -> str | None:
    if reviewed_at > now + tolerance:
        return "The time of the review must not be in the future"
    stop = stopped_problem(record)
    if stop and record.released_at is not None and reviewed_at >= record.released_at:
        return stop
    begins = reviews_from(record, rules)
    if reviewed_at < _floor(begins):
        return f"A review comes after detention was authorised ({_when(begins)})"
    if record.reviews and reviewed_at < _floor(max(record.reviews)):
        return f"A review comes after the last one ({_when(max(record.reviews))})"
    return None


def extension_problem(record: CustodyRecord, at: datetime, now: datetime, tolerance: timedelta,
                      rules: ClockRules, offence_codes: Sequence[str]) -> str | None:
    """Why a superintendent may not extend detention to 36 hours at `at`; None when they may."""
    if at > now + tolerance:
        return "The time of the extension must not be in the future"
    stop = stopped_problem(record)
    if stop:
        return stop
    if summary_only(offence_codes, rules):
        return ("A superintendent can extend detention only for an indictable or either-way offence: every offence "
                "of this arrest is summary only")
    if record.warrant_until is not None:
        return "A warrant of further detention has been granted: a superintendent's extension no longer applies"
    if record.superintendent_extension_at is not None:
        return f"Detention was already extended by a superintendent at {_when(record.superintendent_extension_at)}"
    done = sorted(record.reviews)
    needed = rules.extension_after_reviews
    if len(done) < needed:
        return (f"A superintendent's extension is given only after review {needed}: "
                f"{len(done)} review{'s' if len(done) != 1 else ''} recorded so far")
    if needed and at < _floor(done[needed - 1]):
        return f"A superintendent's extension is given after review {needed} ({_when(done[needed - 1])})"
    start, _ = relevant_time(record, rules)
    if at > start + rules.extension_within:
        hours = int(rules.extension_within.total_seconds() // 3600)
        return (f"A superintendent's extension must be given within {hours} hours of the relevant time "
                f"({_when(start)}); after that only a magistrates' warrant can extend detention")
    return None


def warrant_problem(record: CustodyRecord, issued_at: datetime, until: datetime, now: datetime,
                    tolerance: timedelta, rules: ClockRules, offence_codes: Sequence[str]) -> dict[str, str]:
    """Why a warrant of further detention issued at `issued_at` cannot run to `until`, keyed by field."""
    if issued_at > now + tolerance:
        return {"issued_at": "The time the warrant was issued must not be in the future"}
    stop = stopped_problem(record)
    if stop:
        return {"issued_at": stop}
    if summary_only(offence_codes, rules):
        return {"issued_at": "A warrant of further detention is only for an indictable or either-way offence: every "
                             "offence of this arrest is summary only"}
    start, _ = relevant_time(record, rules)
    if issued_at < _floor(start):
        return {"issued_at": f"A warrant is issued after the relevant time ({_when(start)})"}
    limit, _ = limits(record, rules)
    if issued_at > limit:
        return {"issued_at": f"A warrant must be issued before the detention limit ({_when(limit)}) passes"}
    step_hours = int(rules.warrant_step.total_seconds() // 3600)
    max_hours = int(rules.maximum.total_seconds() // 3600)
    if until <= issued_at:
        return {"until": "The warrant must run to a time after it was issued"}
    if until > issued_at + rules.warrant_step:
        return {"until": f"A warrant of further detention runs at most {step_hours} hours from its issue "
                         f"({_when(issued_at + rules.warrant_step)})"}
    if until > start + rules.maximum:
        return {"until": f"Detention cannot run beyond {max_hours} hours from the relevant time "
                         f"({_when(start + rules.maximum)})"}
    if record.warrant_until is not None and until <= record.warrant_until:
        return {"until": f"An extended warrant must run beyond the current one ({_when(record.warrant_until)})"}
    return {}


def release_problem(record: CustodyRecord, released_at: datetime, now: datetime, tolerance: timedelta
                    ) -> str | None:
    if released_at > now + tolerance:
        return "The release must not be in the future"
    stop = stopped_problem(record)
    if stop:
        return stop
    if released_at < _floor(record.arrested_at):
        return f"The release must be after the arrest ({_when(record.arrested_at)})"
    if record.arrived_at_station is not None and released_at < _floor(record.arrived_at_station):
        return f"The release must be after the arrival at the station ({_when(record.arrived_at_station)})"
    return None
