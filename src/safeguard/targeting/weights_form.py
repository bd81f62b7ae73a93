"""The new-weights form: its fields, the values it starts with, and reading what was sent into HarmWeights with
each problem named against the field it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from safeguard.targeting.weights import HarmWeights

BAND_ROWS = 8
NOTE_LIMIT = 1000


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    hint: str
    whole: bool = False  # a whole number rather than any number


FIELDS = [
    Field("recency", "Recency weight", "Multiplies the points of the recency band the latest event falls in."),
    Field("frequency", "Frequency weight", "Multiplies the number of DA events in the window (up to the cap)."),
    Field("frequency_cap", "Frequency cap", "The most events that count, so one very frequent caller does not "
                                            "swamp the list.", whole=True),
    Field("gravity", "Gravity weight", "Multiplies ln(1 + the harm in days of the most harmful event)."),
    Field("victims", "Victims weight", "Multiplies the number of different victims."),
    Field("non_crime_harm", "Harm of an incident with no crime (days)",
          "The harm an incident counts for when no crime was recorded on it."),
    Field("serial_min_victims", "Victims that make a serial perpetrator",
          "Different victims in the window before the Serial flag is set (Northumbria: 2).", whole=True),
    Field("serial_min_age", "Least age of a serial perpetrator", "Northumbria's definition: 16.", whole=True),
]
LABELS = {f.name: f.label for f in FIELDS}


def _number(value: float) -> str:
    return f"{value:g}"


def form_values(weights: HarmWeights) -> dict[str, str]:
    """The form's fields filled with `weights` (the newest version, or the defaults)."""
    values = {f.name: _number(getattr(weights, f.name)) for f in FIELDS}
    for row, (months, points) in enumerate(weights.recency_bands, start=1):
        values[f"band_months_{row}"] = str(months)
        values[f"band_points_{row}"] = _number(points)
    return values


def _message(label: str, error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("float_parsing", "float_type", "missing"):
        return f"{label} must be a number"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label} must be a whole number"
    if kind == "greater_than_equal":
        return f"{label} must be {ctx['ge']:g} or more"
    if kind == "greater_than":
        return f"{label} must be more than {ctx['gt']:g}"
    if kind == "less_than_equal":
        return f"{label} must be {ctx['le']:g} or less"
    if kind == "finite_number":
        return f"{label} must be a number"
    return f"{label}: {error['msg']}"


def read_form(form: Mapping[str, str]) -> tuple[HarmWeights | None, str, dict[str, str]]:
    """The weights and note the form sent, or the problems keyed by the field (element id) at fault."""
    errors: dict[str, str] = {}
    note = form.get("note", "").strip()
    if not note:
        errors["note"] = "Say why these weights are changing: the note is kept with the version"
    elif len(note) > NOTE_LIMIT:
        errors["note"] = f"The note must be {NOTE_LIMIT} characters or fewer"
    raw: dict[str, Any] = {f.name: form.get(f.name, "").strip() for f in FIELDS}
    bands: list[list[str]] = []
    rows: list[int] = []  # the form row of each band sent, for naming the field at fault
    for row in range(1, BAND_ROWS + 1):
        months, points = form.get(f"band_months_{row}", "").strip(), form.get(f"band_points_{row}", "").strip()
        if months or points:
            bands.append([months, points])
            rows.append(row)
    raw["recency_bands"] = bands
    try:
        weights = HarmWeights.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            if loc and loc[0] == "recency_bands" and len(loc) >= 3:
                row = rows[int(loc[1])]
                column = "months" if loc[2] == 0 else "points"
                errors.setdefault(f"band_{column}_{row}", _message(f"Recency band {row}: {column}", error))
            elif not loc or loc[0] == "recency_bands":
                if error["type"] == "too_short":
                    message = "Give at least one recency band: months and points"
                else:
                    message = str(error["msg"]).removeprefix("Value error, ").replace(
                        "recency_bands: ", "Recency bands: ")
                errors.setdefault(f"band_months_{rows[0] if rows else 1}", message)
            else:
                name = str(loc[0])
                errors.setdefault(name, _message(LABELS.get(name, name), error))
        return None, note, _in_page_order(errors)
    return (weights if not errors else None), note, _in_page_order(errors)


def element_ids() -> list[str]:
    """The form's fields in page order: the bands, the weights, then the note."""
    bands = [f"band_{column}_{row}" for row in range(1, BAND_ROWS + 1) for column in ("months", "points")]
    return [*bands, *(f.name for f in FIELDS), "note"]


def _in_page_order(errors: dict[str, str]) -> dict[str, str]:
    order = {name: i for i, name in enumerate(element_ids())}
    return dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))
