"""The CLI's window argument and its JSON and CSV output contract."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from safeguard.targeting.cli import as_csv, as_json, parse_window
from safeguard.targeting.service import RankedPerpetrator


def test_windows_in_years_months_and_days() -> None:
    assert parse_window("3y") == 1095
    assert parse_window("18m") == 540
    assert parse_window("90d") == 90
    assert parse_window(" 2Y ") == 730


@pytest.mark.parametrize("text", ["", "3", "y", "3w", "-1y", "1.5y", "0d", "101y", "3y2m"])
def test_other_windows_are_refused_clearly(text: str) -> None:
    with pytest.raises(ValueError, match="--window must be"):
        parse_window(text)


ROW = RankedPerpetrator(rank=1, person_id=42, display_name="Adam Ashby", score=Decimal("22.2869"),
                        recency=Decimal("5.0000"), frequency=Decimal("4.0000"), gravity=Decimal("7.2869"),
                        victims=Decimal("6.0000"), total_harm=Decimal("1502.00"), incidents=4, victim_count=3,
                        last_incident_on=date(2026, 6, 20), flags=["serial", "active-order"])


def test_json_is_a_list_with_the_breakdown() -> None:
    assert json.loads(as_json([ROW])) == [{
        "rank": 1, "person_id": 42, "display_name": "Adam Ashby", "score": 22.2869,
        "breakdown": {"recency": 5.0, "frequency": 4.0, "gravity": 7.2869, "victims": 6.0},
        "flags": ["serial", "active-order"], "total_harm": 1502.0}]


def test_csv_has_the_same_fields_flattened() -> None:
    rows = list(csv.reader(io.StringIO(as_csv([ROW]))))
    assert rows == [["rank", "person_id", "display_name", "score", "recency", "frequency", "gravity", "victims",
                     "flags", "total_harm"],
                    ["1", "42", "Adam Ashby", "22.2869", "5.0000", "4.0000", "7.2869", "6.0000",
                     "serial;active-order", "1502.00"]]
