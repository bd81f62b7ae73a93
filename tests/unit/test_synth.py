"""The synthetic force, generated without a database: deterministic, well-formed, and shaped like real DA demand."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import cast

import pytest

from safeguard.synth import COLUMNS, SIZES, ForceGenerator, generate, names, places, seasons
from safeguard.synth.generator import Row

Tables = dict[str, list[Row]]


def collect(size: str = "demo", seed: int = 7, end_date: date = date(2026, 11, 1)) -> tuple[Tables, ForceGenerator]:
    generator = ForceGenerator(size, seed, end_date=end_date)
    tables: Tables = defaultdict(list)
    for table, rows in generator.generate():
        tables[table].extend(rows)
    return tables, generator


def col(table: str, name: str) -> int:
    return COLUMNS[table].index(name)


@pytest.fixture(scope="module")
def small() -> tuple[Tables, ForceGenerator]:
    return collect("small", 11)


@pytest.fixture(scope="module")
def force(small: tuple[Tables, ForceGenerator]) -> Tables:
    return small[0]


@pytest.fixture(scope="module")
def truth(force: Tables) -> dict[object, object]:
    return {person: identity for person, identity in force["synth.true_identity"]}


@pytest.fixture(scope="module")
def incidents(force: Tables, truth: dict[object, object]) -> dict[object, dict[str, set[object]]]:
    """incident id -> role -> true identities."""
    by_incident: dict[object, dict[str, set[object]]] = defaultdict(lambda: defaultdict(set))
    for row in force["incident_person"]:
        by_incident[row[col("incident_person", "incident_id")]][str(row[col("incident_person", "role")])].add(
            truth[row[col("incident_person", "person_id")]])
    return by_incident


# -- determinism -------------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first, _ = collect(seed=3)
    assert first == collect(seed=3)[0]
    other, _ = collect(seed=4)
    assert other["person"] != first["person"]
    assert other["incident"] != first["incident"]


def test_the_end_date_anchors_every_date(force: Tables) -> None:
    earlier, _ = collect(seed=3, end_date=date(2025, 3, 31))
    latest = max(cast(datetime, row[col("incident", "occurred_at")]) for row in earlier["incident"])
    assert date(2025, 3, 20) < latest.date() <= date(2025, 3, 31)
    days = {str(row[col("incident", "reference")]).split("-")[1] for row in force["incident"]}
    assert min(days) >= "20231101" and max(days) <= "20261101"


def test_generation_is_lazy_even_for_the_largest_force() -> None:
    started = time.perf_counter()
    first = next(generate("large", 1))
    assert first.table == "area" and len(first.rows) == SIZES["large"].areas
    assert time.perf_counter() - started < 5  # nothing about two million people was built yet


def test_sizes_and_unknown_size() -> None:
    assert (SIZES["demo"].incidents, SIZES["small"].incidents, SIZES["large"].incidents) == (1_500, 10_000, 1_000_000)
    with pytest.raises(ValueError, match="Unknown size"):
        ForceGenerator("huge", 1)


# -- shape -------------------------------------------------------------------------------------------
def test_rows_match_their_columns_and_ids_are_unique(force: Tables) -> None:
    assert set(force) == set(COLUMNS)
    for table, rows in force.items():
        assert all(len(row) == len(COLUMNS[table]) for row in rows), table
        assert len({row[0] for row in rows}) == len(rows), table


def test_foreign_keys_point_at_rows_loaded_earlier(force: Tables) -> None:
    people = {row[0] for row in force["person"]}
    locations = {row[0] for row in force["location"]}
    incident_ids = {row[0] for row in force["incident"]}
    assert {row[col("person_address", "location_id")] for row in force["person_address"]} <= locations
    assert {row[col("incident", "location_id")] for row in force["incident"]} <= locations
    for table, column in (("person_phone", "person_id"), ("person_alias", "person_id"),
                          ("person_address", "person_id"), ("incident_person", "person_id"),
                          ("relationship", "person_a_id"), ("relationship", "person_b_id")):
        assert {row[col(table, column)] for row in force[table]} <= people, table
    assert {row[col("contact", "incident_id")] for row in force["contact"]} == incident_ids


def test_areas_and_teams(force: Tables) -> None:
    assert 4 <= len(force["area"]) <= 10
    assert all(re.fullmatch(r"LPA-[A-Z]", str(row[col("area", "code")])) for row in force["area"])
    kinds = Counter(row[col("team", "kind")] for row in force["team"])
    assert kinds == {"public_protection": 1, "operational_support": 1, "control_room": 1,
                     "local_policing": len(force["area"])}


def test_addresses_are_well_formed_clustered_and_some_restricted(force: Tables) -> None:
    rows = force["location"]
    postcode = re.compile(r"ZZ\d{1,2} \d[ABDEFGHJLNPQRSTUWXYZ]{2}")
    assert all(postcode.fullmatch(str(r[col("location", "postcode")])) for r in rows)
    assert all(abs(float(r[col("location", "latitude")]) - 52.48) < 0.3  # type: ignore[arg-type]
               and abs(float(r[col("location", "longitude")]) + 1.89) < 0.4 for r in rows)  # type: ignore[arg-type]
    restricted = sum(1 for r in rows if r[col("location", "restricted")]) / len(rows)
    assert 0.01 < restricted < 0.05
    # Each area's addresses sit around its own centre.
    by_area: dict[object, list[float]] = defaultdict(list)
    for r in rows:
        by_area[r[col("location", "area_id")]].append(float(r[col("location", "latitude")]))  # type: ignore[arg-type]
    centres = sorted(statistics.mean(lats) for lats in by_area.values())
    assert centres[-1] - centres[0] > 0.05
    current = {r[col("person_address", "location_id")] for r in force["person_address"]
               if r[col("person_address", "to_date")] is None}
    first_records = sum(1 for person, identity in force["synth.true_identity"] if person == identity)
    assert 1.5 < first_records / len(current) < 3.5


def test_people_have_diverse_names_genders_and_partial_dates_of_birth(force: Tables) -> None:
    people = force["person"]
    surnames = Counter(row[col("person", "surname")] for row in people)
    for group in ({"Khan", "Hussain", "Begum", "Ahmed"}, {"Patel", "Kaur", "Singh"}, {"Campbell", "McKenzie"},
                  {"Okafor", "Mensah", "Adeyemi", "Mohamed"}, {"Nowak", "Kowalska", "Kowalski", "Popescu"}):
        assert sum(surnames[name] for name in group) > 0, group
    assert len(surnames) > 300
    genders = Counter(row[col("person", "gender")] for row in people)
    assert set(genders) == {"female", "male", "non-binary", "unknown"}
    assert 0.4 < genders["female"] / len(people) < 0.6
    dobs = Counter((row[col("person", "dob_year")] is None, row[col("person", "dob_month")] is None,
                    row[col("person", "dob_day")] is None) for row in people)
    assert dobs[(False, False, False)] > 0.8 * len(people)
    assert dobs[(True, True, True)] and dobs[(False, True, True)] and dobs[(False, False, True)]
    assert force["person_alias"]


def test_phone_numbers_are_only_from_reserved_fiction_ranges(force: Tables) -> None:
    allowed = set(places.ALL_NUMBERS)
    phones = force["person_phone"]
    assert all(row[col("person_phone", "number_e164")] in allowed for row in phones)
    assert all(row[col("contact", "caller_number")] in allowed for row in force["contact"]
               if row[col("contact", "caller_number")] is not None)
    mobiles = sum(1 for row in phones if str(row[col("person_phone", "number_e164")]).startswith("+447700900"))
    assert 0.5 < mobiles / len(phones) < 1
    # A person's own list of numbers has no repeats.
    per_person = Counter((row[col("person_phone", "person_id")], row[col("person_phone", "number_e164")])
                         for row in phones)
    assert max(per_person.values()) == 1


# -- duplicates --------------------------------------------------------------------------------------
def test_every_person_has_a_true_identity_and_about_one_in_eight_has_duplicates(
        force: Tables, truth: dict[object, object]) -> None:
    assert set(truth) == {row[0] for row in force["person"]}
    sizes = Counter(truth.values())
    assert all(truth[identity] == identity for identity in sizes)  # an identity is its first record's id
    duplicated = sum(1 for n in sizes.values() if n > 1) / len(sizes)
    assert 0.10 <= duplicated <= 0.15
    assert max(sizes.values()) >= 3


def test_duplicates_carry_every_kind_of_error(small: tuple[Tables, ForceGenerator],
                                              truth: dict[object, object]) -> None:
    force, generator = small
    people = {row[0]: row for row in force["person"]}
    phones: dict[object, set[object]] = defaultdict(set)
    for row in force["person_phone"]:
        phones[row[col("person_phone", "person_id")]].add(row[col("person_phone", "number_e164")])
    homes: dict[object, set[object]] = defaultdict(set)
    for row in force["person_address"]:
        homes[row[col("person_address", "person_id")]].add(row[col("person_address", "location_id")])
    fore, sur = col("person", "forename"), col("person", "surname")
    seen: Counter[str] = Counter()
    for person, identity in truth.items():
        if person == identity:
            continue
        dup, first = people[person], people[identity]
        if (dup[fore], dup[sur]) == (first[sur], first[fore]):
            seen["swapped"] += 1
        if dup[fore] in names.NICKNAMES.get(str(first[fore]), ()):
            seen["nickname"] += 1
        if dup[fore] == first[fore] and dup[sur] != first[sur]:
            seen["surname differs"] += 1
        if dup[col("person", "dob_year")] is None and first[col("person", "dob_year")] is not None:
            seen["date of birth missing"] += 1
        if dup[col("person", "dob_year")] is not None and dup[col("person", "dob_day")] is None \
                and first[col("person", "dob_day")] is not None:
            seen["date of birth partial"] += 1
        if not homes[person] <= homes[identity]:
            seen["moved"] += 1
        if phones[person] and not phones[person] <= phones[identity]:
            seen["phone variant"] += 1
    assert all(seen[kind] > 0 for kind in ("swapped", "nickname", "surname differs", "date of birth missing",
                                           "date of birth partial", "moved", "phone variant")), seen
    kinds = {kind.removeprefix("error_") for kind in generator.stats if kind.startswith("error_")}
    assert kinds == {"typo_surname", "typo_forename", "nickname", "swapped", "surname_changed", "moved",
                     "dob_missing", "dob_partial", "dob_wrong", "phone_variant", "middle_as_forename", "exact"}


def test_the_true_identity_is_not_a_person_field() -> None:
    assert not {"identity_id", "true_identity", "identity"} & set(COLUMNS["person"])


# -- domestic abuse ----------------------------------------------------------------------------------
def test_about_a_third_of_victims_are_male(force: Tables, incidents: dict[object, dict[str, set[object]]]) -> None:
    gender = {row[0]: row[col("person", "gender")] for row in force["person"]}
    da = {row[0] for row in force["incident"] if row[col("incident", "da_related")]}
    victims = {v for incident, parts in incidents.items() if incident in da for v in parts["victim"]}
    share = sum(1 for v in victims if gender[v] == "male") / len(victims)
    assert 0.25 <= share <= 0.42


def test_a_few_perpetrators_account_for_a_large_share_of_incidents(
        incidents: dict[object, dict[str, set[object]]], force: Tables) -> None:
    da = {row[0] for row in force["incident"] if row[col("incident", "da_related")]}
    counts = sorted(Counter(s for i, parts in incidents.items() if i in da for s in parts["suspect"]).values(),
                    reverse=True)
    top = counts[: len(counts) // 20]
    assert sum(top) / sum(counts) > 0.25  # the top 5% hold five times their share or more
    assert sum(1 for n in counts if n == 1) / len(counts) > 0.6  # most are reported once


def test_serial_perpetrators_and_repeat_victims_exist(force: Tables,
                                                      incidents: dict[object, dict[str, set[object]]]) -> None:
    when = {row[0]: row[col("incident", "occurred_at")] for row in force["incident"]}
    victims_of: dict[object, set[object]] = defaultdict(set)
    times_of: dict[object, list[datetime]] = defaultdict(list)
    for incident, parts in incidents.items():
        for suspect in parts["suspect"]:
            victims_of[suspect] |= parts["victim"]
        for victim in parts["victim"]:
            moment = when[incident]
            assert isinstance(moment, datetime)
            times_of[victim].append(moment)
    assert sum(1 for v in victims_of.values() if len(v) >= 2) >= 20
    repeat = 0
    for moments in times_of.values():
        moments.sort()
        repeat += any(moments[i + 2] - moments[i] <= timedelta(days=365) for i in range(len(moments) - 2))
    assert repeat >= 50


def test_relationships_of_every_kind_including_same_sex(force: Tables) -> None:
    gender = {row[0]: row[col("person", "gender")] for row in force["person"]}
    kinds = Counter(row[col("relationship", "kind")] for row in force["relationship"])
    assert set(kinds) == {"intimate_partner", "ex_partner", "family_member"}
    partners = [(gender[row[col("relationship", "person_a_id")]], gender[row[col("relationship", "person_b_id")]])
                for row in force["relationship"] if row[col("relationship", "kind")] != "family_member"]
    same_sex = sum(1 for a, b in partners if a == b and a in ("male", "female"))
    assert same_sex > 0


def test_most_incidents_are_domestic_abuse_and_have_a_victim_and_suspect(
        force: Tables, incidents: dict[object, dict[str, set[object]]]) -> None:
    da = [row[col("incident", "da_related")] for row in force["incident"]]
    assert 0.8 < sum(map(bool, da)) / len(da) < 0.95
    assert all(parts["victim"] for parts in incidents.values())
    roles = Counter(row[col("incident_person", "role")] for row in force["incident_person"])
    assert set(roles) == {"victim", "suspect", "witness"}
    # Incident ids follow time.
    ordered = [row[col("incident", "occurred_at")] for row in sorted(force["incident"], key=lambda r: r[0])]  # type: ignore[arg-type, return-value]
    assert ordered == sorted(ordered)  # type: ignore[type-var]


# -- the calendar ------------------------------------------------------------------------------------
def _per_day(force: Tables) -> Counter[str]:
    return Counter(str(row[col("incident", "reference")]).split("-")[1] for row in force["incident"])


def test_christmas_and_new_year_are_busier_than_the_median_day(force: Tables) -> None:
    per_day = _per_day(force)
    median = statistics.median(per_day.values())
    festive = [n for day, n in per_day.items() if day[4:] >= "1225" or day[4:] <= "0101"]
    assert len(festive) >= 16  # two or three festive seasons in three years
    assert statistics.mean(festive) > median * 1.15


def test_england_match_days_are_busier_than_the_median_day(force: Tables) -> None:
    per_day = _per_day(force)
    matches = [per_day[f"{d:%Y%m%d}"] for t in seasons.TOURNAMENTS for d, _ in t.matches]
    assert statistics.mean(matches) > statistics.median(per_day.values())


def test_day_weights_peak_at_the_festive_season_and_on_match_days() -> None:
    ordinary = seasons.day_weight(date(2025, 11, 12))  # a Wednesday in November
    assert seasons.day_weight(date(2025, 12, 25)) > ordinary * 1.4
    assert seasons.day_weight(date(2026, 1, 1)) > ordinary * 1.5
    assert seasons.day_weight(date(2024, 7, 14)) > seasons.day_weight(date(2023, 7, 16))  # the Euro 2024 final
    assert seasons.utc_offset_minutes(date(2026, 7, 1)) == 60 and seasons.utc_offset_minutes(date(2026, 1, 1)) == 0


# -- contacts ----------------------------------------------------------------------------------------
def test_contacts_on_every_channel_with_silent_calls_and_press_55(force: Tables) -> None:
    contacts = force["contact"]
    channel, number, pressed = col("contact", "channel"), col("contact", "caller_number"), col("contact", "pressed_55")
    channels = Counter(row[channel] for row in contacts)
    assert set(channels) == {"999", "999-silent", "101", "online", "in-person"}
    assert channels.most_common(1)[0][0] == "999"
    assert 0.02 < channels["999-silent"] / len(contacts) < 0.10
    silent = [row for row in contacts if row[channel] == "999-silent"]
    assert sum(1 for row in silent if row[pressed]) / len(silent) > 0.5
    # The Silent Solution is for mobiles: 55 is never pressed on a landline or on another channel.
    assert all(str(row[number]).startswith("+447") for row in contacts if row[pressed])
    assert not any(row[pressed] for row in contacts if row[channel] != "999-silent")
    assert all(row[number] for row in contacts if row[channel] in ("999", "999-silent", "101"))
    walk_in = [row for row in contacts if row[channel] in ("online", "in-person")]
    assert sum(1 for row in walk_in if row[number] is None) / len(walk_in) > 0.7


def test_contacts_arrive_shortly_before_their_incident(force: Tables) -> None:
    occurred = {row[0]: row[col("incident", "occurred_at")] for row in force["incident"]}
    for row in force["contact"]:
        gap = occurred[row[col("contact", "incident_id")]] - row[col("contact", "received_at")]  # type: ignore[operator]
        assert timedelta(0) < gap < timedelta(hours=1)
    flags = [row[col("contact", "da_flag")] for row in force["contact"]]
    assert 0.75 < sum(map(bool, flags)) / len(flags) < 0.95
