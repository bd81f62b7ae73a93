"""The synthetic force, generated without a database: deterministic, and shaped like real DA demand."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest

from safeguard.synth.generator import COLUMNS, SIZES, ForceGenerator, reserved_numbers


def _tables(seed: int = 7, size: str = "demo") -> dict[str, list[tuple[object, ...]]]:
    tables: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    for table, rows in ForceGenerator(size, seed, force_id=1).generate():
        tables[table].extend(rows)
    return tables


@pytest.fixture(scope="module")
def force() -> dict[str, list[tuple[object, ...]]]:
    return _tables()


def test_same_seed_same_force_and_another_seed_another() -> None:
    assert _tables(3) == _tables(3)
    assert _tables(3)["person"] != _tables(4)["person"]


def test_rows_match_their_columns(force: dict[str, list[tuple[object, ...]]]) -> None:
    for table, rows in force.items():
        assert all(len(row) == len(COLUMNS[table]) for row in rows), table


def test_every_person_has_a_true_identity_and_duplicates_exist(force: dict[str, list[tuple[object, ...]]]) -> None:
    people = {row[0] for row in force["person"]}
    truth = dict((row[0], row[1]) for row in force["synth.true_identity"])
    assert set(truth) == people
    sizes = Counter(truth.values())
    duplicated = sum(1 for n in sizes.values() if n > 1)
    assert 0.08 < duplicated / len(sizes) < 0.2
    by_identity: dict[object, list[tuple[object, ...]]] = defaultdict(list)
    for row in force["person"]:
        by_identity[truth[row[0]]].append(row)
    kinds = Counter()
    for rows in by_identity.values():
        first = rows[0]
        for other in rows[1:]:
            if (other[2], other[4]) == (first[4], first[2]):
                kinds["swapped"] += 1
            elif other[4] != first[4] and other[2] == first[2]:
                kinds["surname differs"] += 1
            elif other[2] != first[2]:
                kinds["forename differs"] += 1
            elif other[5:8] != first[5:8]:
                kinds["date of birth differs"] += 1
    assert all(kinds[k] > 0 for k in ("swapped", "surname differs", "forename differs", "date of birth differs"))


def test_about_a_third_of_victims_are_male(force: dict[str, list[tuple[object, ...]]]) -> None:
    gender = {row[0]: row[8] for row in force["person"]}
    truth = dict((row[0], row[1]) for row in force["synth.true_identity"])
    victims = {truth[row[3]]: gender[row[3]] for row in force["incident_person"] if row[4] == "victim"}
    share = list(victims.values()).count("male") / len(victims)
    assert 0.25 < share < 0.42


def test_harm_is_concentrated_in_a_few_perpetrators(force: dict[str, list[tuple[object, ...]]]) -> None:
    truth = dict((row[0], row[1]) for row in force["synth.true_identity"])
    counts = sorted(Counter(truth[row[3]] for row in force["incident_person"] if row[4] == "suspect").values(),
                    reverse=True)
    top = counts[: max(1, len(counts) // 20)]
    assert sum(top) / sum(counts) > 0.2  # the top 5% hold far more than 5% of incidents


def test_serial_perpetrators_and_repeat_victims_exist(force: dict[str, list[tuple[object, ...]]]) -> None:
    truth = dict((row[0], row[1]) for row in force["synth.true_identity"])
    by_incident: dict[object, dict[str, object]] = defaultdict(dict)
    for row in force["incident_person"]:
        by_incident[row[2]][str(row[4])] = truth[row[3]]
    victims_of: dict[object, set[object]] = defaultdict(set)
    for parts in by_incident.values():
        if "suspect" in parts and "victim" in parts:
            victims_of[parts["suspect"]].add(parts["victim"])
    assert any(len(v) >= 2 for v in victims_of.values())
    repeat = Counter(parts["victim"] for parts in by_incident.values() if "victim" in parts)
    assert any(n >= 3 for n in repeat.values())


def test_christmas_is_busier_than_a_typical_day() -> None:
    tables = _tables(5, "small")
    per_day = Counter(row[3].date() for row in tables["incident"])  # type: ignore[attr-defined]
    ordinary = sorted(per_day.values())[len(per_day) // 2]
    festive = [n for day, n in per_day.items() if (day.month, day.day) in ((12, 25), (12, 26), (1, 1))]
    assert sum(festive) / len(festive) > ordinary


def test_every_channel_and_silent_calls(force: dict[str, list[tuple[object, ...]]]) -> None:
    channels = Counter(row[2] for row in force["contact"])
    assert set(channels) == {"999", "999-silent", "101", "online", "in-person"}
    assert channels["999"] > channels["101"] > channels["999-silent"]
    assert any(row[5] for row in force["contact"] if row[2] == "999-silent")


def test_phone_numbers_are_only_from_reserved_fiction_ranges(force: dict[str, list[tuple[object, ...]]]) -> None:
    allowed = set(reserved_numbers())
    assert all(row[3] in allowed for row in force["person_phone"])
    assert all(row[3] in allowed for row in force["contact"] if row[3])


def test_incidents_span_three_years_to_the_end_date(force: dict[str, list[tuple[object, ...]]]) -> None:
    dates = [row[3].date() for row in force["incident"]]  # type: ignore[attr-defined]
    assert max(dates) <= date(2026, 11, 1) and min(dates) >= date(2023, 10, 31)


def test_sizes() -> None:
    assert SIZES["large"].incidents == 1_000_000
    with pytest.raises(ValueError, match="Unknown size"):
        ForceGenerator("huge", 1, force_id=1)
