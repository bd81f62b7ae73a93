"""The RFG(V) score on small hand-made extracts, run by the job's own SQL on DuckDB, with every expected value
worked out by hand from the definition in targeting/weights.py."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from safeguard.targeting.engines import run_duckdb
from safeguard.targeting.job import COLUMNS, Extract, Scored, Window, day_number, rank_sql
from safeguard.targeting.weights import DEFAULT_WEIGHTS, HarmWeights

AS_OF = date(2026, 6, 30)
WINDOW = Window(AS_OF, 1095)  # 2023-07-01 .. 2026-06-30


@dataclass
class Inputs:
    """An extract written by hand: events, their victims and the flag inputs."""

    folder: Path
    rows: dict[str, list[tuple[object, ...]]] = field(default_factory=lambda: {table: [] for table in COLUMNS})
    next_event: int = 1

    def event(self, person: int, days_ago: int, harm: str | None = None, victims: tuple[int, ...] = (),
              dob: tuple[int, int, int] | None = (1980, 1, 1)) -> None:
        event_id = self.next_event
        self.next_event += 1
        dob_key = None if dob is None else dob[0] * 10000 + dob[1] * 100 + dob[2]
        self.rows["events"].append((person, event_id, day_number(AS_OF - timedelta(days=days_ago)), dob_key))
        if harm is not None:
            self.rows["event_harm"].append((person, event_id, harm))
        for victim in victims:
            self.rows["event_victims"].append((event_id, victim))

    def rank(self, weights: HarmWeights = DEFAULT_WEIGHTS, window: Window = WINDOW) -> dict[int, Scored]:
        found = Extract(self.folder, window)
        for table, rows in self.rows.items():
            with found.path(table).open("w", newline="") as out:
                csv.writer(out).writerows(["" if value is None else value for value in row] for row in rows)
        return {row.person_id: row for row in run_duckdb(found, weights)}


@pytest.fixture
def inputs(tmp_path: Path) -> Inputs:
    return Inputs(tmp_path)


def test_three_events_two_victims_and_one_high_harm_crime(inputs: Inputs) -> None:
    inputs.event(1, 10, harm="40.00", victims=(101,))
    inputs.event(1, 100, harm=None, victims=(102,))  # no crime recorded: non_crime_harm, 1 day
    inputs.event(1, 400, harm="1460.00", victims=(101,))
    row = inputs.rank()[1]
    # recency: 10 days = 0.33 months, inside the first band (3 months, 5 points) x 1
    # frequency: 3 events x 1; gravity: ln(1 + 1460) = 7.28688 x 1; victims: 2 distinct x 2
    assert (row.recency, row.frequency, row.gravity, row.victims) == (
        Decimal("5.0000"), Decimal("3.0000"), Decimal("7.2869"), Decimal("4.0000"))
    assert row.score == Decimal("19.2869")
    assert row.total_harm == Decimal("1501.00")
    assert (row.incidents, row.victim_count, row.rank) == (3, 2, 1)
    assert row.last_incident_on == AS_OF - timedelta(days=10)
    assert row.flags == ("serial",)


def test_no_victims_and_an_event_exactly_at_the_window_edge(inputs: Inputs) -> None:
    inputs.event(2, 1095)  # 2023-07-01, the first day of the window: counted
    inputs.event(2, 1096)  # the day before: not counted
    inputs.event(2, -1)  # after the day of the ranking: not counted
    row = inputs.rank()[2]
    # 1095 days = 36.5 months: past the last band (36 months), so no recency points
    assert (row.recency, row.frequency, row.gravity, row.victims) == (
        Decimal("0.0000"), Decimal("1.0000"), Decimal("0.6931"), Decimal("0.0000"))
    assert row.score == Decimal("1.6931")
    assert (row.incidents, row.victim_count, row.total_harm) == (1, 0, Decimal("1.00"))
    assert row.last_incident_on == date(2023, 7, 1)
    assert row.flags == ()


def test_recency_bands_are_inclusive_of_their_months(inputs: Inputs) -> None:
    inputs.event(1, 90)  # 3.0 months: the 3-month band, 5 points
    inputs.event(2, 91)  # 3.03 months: the 6-month band, 4 points
    inputs.event(3, 1080)  # 36.0 months: the last band, 1 point
    ranked = inputs.rank()
    assert [ranked[p].recency for p in (1, 2, 3)] == [Decimal("5.0000"), Decimal("4.0000"), Decimal("1.0000")]


def test_ties_go_to_total_harm_then_the_latest_event_then_the_lower_person_id(inputs: Inputs) -> None:
    # 7 and 5: the same in everything, so person 5 ranks first.
    for person in (7, 5):
        inputs.event(person, 30, harm="10.00")
    # 8 and 9: the same score (gravity uses the highest harm), but 9 has more harm in total.
    inputs.event(8, 200, harm="40.00")
    inputs.event(8, 210, harm="2.00")
    inputs.event(9, 200, harm="40.00")
    inputs.event(9, 210, harm="40.00")
    # 10 and 11: the same score and total harm; 11's latest event is more recent within the same band.
    inputs.event(10, 500, harm="5.00")
    inputs.event(11, 400, harm="5.00")
    ranked = inputs.rank()
    assert ranked[8].score == ranked[9].score and ranked[10].score == ranked[11].score
    order = [row.person_id for row in sorted(ranked.values(), key=lambda r: r.rank)]
    assert order.index(5) + 1 == order.index(7)
    assert order.index(9) + 1 == order.index(8)
    assert order.index(11) + 1 == order.index(10)
    assert [row.rank for row in sorted(ranked.values(), key=lambda r: r.rank)] == list(range(1, 7))


def test_an_event_shared_by_two_suspects_with_several_crimes_and_a_suspect_who_is_also_a_victim(
        inputs: Inputs) -> None:
    # One incident, suspects 1 and 2, victims 101 and 2 (a cross-allegation); two crimes against 1 and one offence
    # row against 2: each suspect's event harm is their own highest, and nobody is their own victim.
    inputs.event(1, 10, harm="40.00", victims=(101, 2))
    event_id = inputs.next_event - 1
    inputs.rows["event_harm"] += [(1, event_id, "180.00"), (1, event_id, "2.00"), (2, event_id, "7.50")]
    inputs.rows["events"].append((2, event_id, day_number(AS_OF - timedelta(days=10)), 19800101))
    ranked = inputs.rank()
    assert (ranked[1].total_harm, ranked[1].victim_count, ranked[1].incidents) == (Decimal("180.00"), 2, 1)
    assert (ranked[2].total_harm, ranked[2].victim_count, ranked[2].incidents) == (Decimal("7.50"), 1, 1)
    # gravity uses the highest harm: ln(1 + 180) = 5.19850
    assert ranked[1].gravity == Decimal("5.1985")


def test_serial_needs_two_events_two_victims_and_sixteen_years(inputs: Inputs) -> None:
    two_victims = ((201,), (202,))
    for victims in two_victims:
        inputs.event(1, 10, victims=victims, dob=(2010, 6, 30))  # 16 today
        inputs.event(2, 10, victims=victims, dob=(2010, 7, 1))  # 16 tomorrow
        inputs.event(3, 10, victims=victims, dob=None)  # age not known: counts
    inputs.event(4, 10, victims=(201, 202))  # one event only
    inputs.event(5, 10, victims=(201,))
    inputs.event(5, 20, victims=(201,))  # the same victim twice
    ranked = inputs.rank()
    assert {p: "serial" in ranked[p].flags for p in range(1, 6)} == {1: True, 2: False, 3: True, 4: False,
                                                                     5: False}


def test_flags_for_high_risk_victims_orders_and_wanted(inputs: Inputs) -> None:
    inputs.event(1, 10, victims=(301,))
    inputs.event(2, 10, victims=(302,))
    inputs.event(3, 10)
    inputs.event(4, 2000, victims=(301,))  # outside the window: that victim does not count for person 4
    inputs.event(4, 10)
    inputs.rows["high_risk_victims"].append((301,))
    inputs.rows["active_orders"].append((2,))
    inputs.rows["wanted"].extend([(3,), (3,)])
    ranked = inputs.rank()
    assert ranked[1].flags == ("victim-high-risk",)
    assert ranked[2].flags == ("active-order",)
    assert ranked[3].flags == ("wanted",)
    assert ranked[4].flags == () and ranked[4].victim_count == 0


def test_the_weights_of_a_version_are_what_scores(inputs: Inputs) -> None:
    weights = HarmWeights(recency_bands=[(1, 10.0), (12, 2.5)], recency=0.5, frequency=2.0, frequency_cap=2,
                          gravity=1.5, victims=0.25, non_crime_harm=5.0)
    for days in (45, 60, 300):
        inputs.event(1, days, victims=(401, 402, 403))
    row = inputs.rank(weights)[1]
    # recency: 1.5 months -> the 12-month band, 2.5 x 0.5; frequency: min(3, 2) x 2; gravity: ln(1 + 5) x 1.5
    # = 2.68764; victims: 3 x 0.25
    assert (row.recency, row.frequency, row.gravity, row.victims) == (
        Decimal("1.2500"), Decimal("4.0000"), Decimal("2.6876"), Decimal("0.7500"))
    assert row.score == Decimal("8.6876")
    assert row.total_harm == Decimal("15.00")


def test_the_weights_are_inlined_only_as_numbers() -> None:
    weights = HarmWeights(recency_bands=[(3, 0.1)], recency=1e-05, victims=1000)
    sql = rank_sql(weights, WINDOW)
    assert "0.00001 * (CASE" in sql and "1000.0 * COALESCE(vc.victim_count" in sql
    assert "WHEN 20634 - p.last_day <= 90 THEN 0.1" in sql  # 2026-06-30 is day 20,634


def test_an_empty_extract_ranks_no_one(inputs: Inputs) -> None:
    assert inputs.rank() == {}
