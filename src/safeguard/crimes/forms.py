"""Reading dates and times from GOV.UK date inputs, as typed in UK local time, with errors an officer can act on."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from safeguard.crimes.service import UK, uk_time

CLOCK = re.compile(r"(\d{1,2})(?::?(\d{2}))?")
PERSON_NUMBER_MAX = 2**62


def parse_date(errors: dict[str, str], key: str, what: str, day: str, month: str, year: str, *,
               required: bool = True) -> date | None:
    """The date typed in three boxes; records an error under `key` ("the date {what} ...")."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(parts.values()):
        if required:
            errors[key] = f"Enter the date {what}"
        return None
    missing = [name for name, value in parts.items() if not value]
    if missing:
        errors[key] = f"The date {what} must include a {' and a '.join(missing)}"
        return None
    if not all(value.isdigit() for value in parts.values()) or len(parts["year"]) != 4:
        errors[key] = f"The date {what} must be a real date, with a 4-digit year"
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[key] = f"The date {what} must be a real date"
        return None


def parse_when(errors: dict[str, str], key: str, what: str, day: str, month: str, year: str, clock: str, *,
               required: bool = True, time_required: bool = True, example: str = "21:30") -> datetime | None:
    """A date and a 24-hour time in UK local time; both are needed when either is given, unless
    `time_required` is False, when a date alone means the start of that day. `example` is the time the
    page's hint shows, repeated in the error."""
    on = parse_date(errors, key, what, day, month, year, required=required)
    if on is None:
        if key not in errors and clock.strip():
            errors[key] = f"Enter the date {what}"
        return None
    text = clock.strip().replace(".", ":")
    if not text:
        if not time_required:
            return datetime.combine(on, time(0, 0), tzinfo=UK)
        errors[key] = f"Enter the time {what}, like {example}"
        return None
    match = CLOCK.fullmatch(text)
    if not match or int(match[1]) > 23 or int(match[2] or 0) > 59:
        errors[key] = f"The time {what} must be a 24-hour time, like {example}"
        return None
    return datetime.combine(on, time(int(match[1]), int(match[2] or 0)), tzinfo=UK)


def when_values(prefix: str, value: datetime | None) -> dict[str, str]:
    """Form values for a date-and-time field, in UK time (empty when there is no value)."""
    if value is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": "", f"{prefix}_time": ""}
    local = uk_time(value)
    return {f"{prefix}_day": str(local.day), f"{prefix}_month": str(local.month), f"{prefix}_year": str(local.year),
            f"{prefix}_time": local.strftime("%H:%M")}


def date_values(prefix: str, value: date | None) -> dict[str, str]:
    if value is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    return {f"{prefix}_day": str(value.day), f"{prefix}_month": str(value.month), f"{prefix}_year": str(value.year)}


def form_when(form: dict[str, Any], errors: dict[str, str], prefix: str, what: str, *,
              required: bool = True) -> datetime | None:
    """`parse_when` over a posted form whose fields are `{prefix}_day`, `_month`, `_year` and `_time`.

    The error is keyed by the day input's id, which is where the error summary links."""
    return parse_when(errors, f"{prefix}_day", what, str(form.get(f"{prefix}_day", "")),
                      str(form.get(f"{prefix}_month", "")), str(form.get(f"{prefix}_year", "")),
                      str(form.get(f"{prefix}_time", "")), required=required)


def form_date(form: dict[str, Any], errors: dict[str, str], prefix: str, what: str, *,
              required: bool = True) -> date | None:
    return parse_date(errors, f"{prefix}_day", what, str(form.get(f"{prefix}_day", "")),
                      str(form.get(f"{prefix}_month", "")), str(form.get(f"{prefix}_year", "")),
                      required=required)


def text(form: dict[str, Any], name: str, limit: int = 1000) -> str:
    """A single posted text field, trimmed and cut to `limit` characters."""
    value = form.get(name, "")
    return (value if isinstance(value, str) else "").strip()[:limit]
