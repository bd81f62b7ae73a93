"""`safeguard.people.linkage.dedupe_csv`: the analyst's deduplication of a person extract with Splink."""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pytest

from safeguard.imports.csvfiles import neutralise
from safeguard.people.linkage import (
    COLUMNS,
    EVIDENCE_FIELDS,
    DedupeReport,
    PersonRecord,
    dedupe_csv,
    normalise_phone,
    score_records,
    soundex,
)

FORENAMES = {
    "M": ["William", "Robert", "James", "Thomas", "Michael", "Daniel", "Oliver", "George", "Harry", "Jack", "Noah",
          "Leo", "Arthur", "Oscar", "Henry", "Mohammed", "Adam", "Liam", "Kieran", "Dylan"],
    "F": ["Elizabeth", "Margaret", "Katherine", "Jennifer", "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Grace",
          "Freya", "Sophie", "Chloe", "Fatima", "Zainab", "Niamh", "Bethany", "Holly", "Megan"],
}
NICKNAMES = {"William": "Bill", "Robert": "Bob", "James": "Jim", "Thomas": "Tom", "Michael": "Mike",
             "Daniel": "Dan", "Elizabeth": "Liz", "Margaret": "Peggy", "Katherine": "Kate", "Jennifer": "Jenny"}
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright",
            "Khan", "Patel", "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Clarke", "Lewis", "Ashworth",
            "Brindley", "Cartwright", "Dunmore", "Fairclough", "Greenhalgh", "Hollinrake", "Kershaw", "Lumb",
            "Murgatroyd", "Ormerod", "Pickles", "Sutcliffe", "Thackray", "Uttley", "Whiteley", "Ackroyd", "Binns"]
STREETS = ["High Street", "Church Lane", "Park Road", "Mill Lane", "Station Road", "Victoria Street", "Moor Lane",
           "Manor Close", "Green Lane", "Chapel Street"]


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # two letters swapped
    return word[:i] + word[i + 1:]  # one letter dropped


def _phone_format(mobile: str, rng: random.Random) -> str:
    return rng.choice([mobile, f"{mobile[:5]} {mobile[5:]}", f"+44 {mobile[1:5]} {mobile[5:]}",
                       f"+44 (0){mobile[1:5]} {mobile[5:8]} {mobile[8:]}", f"0044{mobile[1:]}"])


def make_people(seed: int = 1234, households: int = 100) -> tuple[list[list[str]], dict[str, int]]:
    """Rows for a synthetic extract, and the true identity of each record id.

    A quarter of the households are a couple or parent and child, who share a surname, an address and a
    landline but are different people. Over half the people have 2 or 3 records; each copy carries one or two
    of the errors an extract accumulates: a typo, a nickname, swapped forename and surname, a changed
    surname, a missing date of birth, a move, capitals, or the phone written another way.
    """
    rng = random.Random(seed)
    people: list[list[str]] = []
    for _ in range(households):
        surname = rng.choice(SURNAMES)
        address = f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, Halifax"
        postcode = f"HX{rng.randrange(1, 8)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
        landline = f"01422{rng.randrange(100000, 999999)}"
        for _member in range(rng.choices([1, 2], [0.75, 0.25])[0]):
            gender = rng.choice("MF")
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(60 * 365))
            phone = f"07{rng.randrange(100, 999)}{rng.randrange(100000, 999999)}" if rng.random() < 0.7 else landline
            people.append([rng.choice(FORENAMES[gender]), surname, born.isoformat(), gender, address, postcode, phone])
    rows: list[tuple[int, list[str]]] = []
    for identity, base in enumerate(people):
        rows.append((identity, base))
        for _ in range(rng.choices([0, 1, 2], [0.45, 0.35, 0.2])[0]):
            copy = list(base)
            copy[6] = _phone_format(base[6], rng)
            for error in rng.sample(["typo", "nickname", "swap", "surname", "dob", "moved", "case"], 2):
                if error == "typo":
                    i = rng.choice([0, 1])
                    copy[i] = _typo(copy[i], rng)
                elif error == "nickname" and base[0] in NICKNAMES:
                    copy[0] = NICKNAMES[base[0]]
                elif error == "swap":
                    copy[0], copy[1] = copy[1], copy[0]
                elif error == "surname":
                    copy[1] = rng.choice(SURNAMES)
                elif error == "dob":
                    copy[2] = ""
                elif error == "moved":
                    copy[4] = f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, Leeds"
                    copy[5] = f"LS{rng.randrange(1, 20)} {rng.randrange(1, 10)}AB"
                elif error == "case":
                    copy[0], copy[1], copy[4] = copy[0].upper(), copy[1].upper(), copy[4].lower()
            rows.append((identity, copy))
    rng.shuffle(rows)
    truth = {f"P{n:04d}": identity for n, (identity, _) in enumerate(rows)}
    return [[f"P{n:04d}", *fields] for n, (_, fields) in enumerate(rows)], truth


def write_csv(path: Path, rows: Iterable[list[str]], *, header: list[str] = COLUMNS, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_output(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["record_id", "cluster_id", "match_probability"]
        return list(reader)


def pairwise(truth: dict[str, int], clusters: dict[str, str]) -> tuple[float, float]:
    def pairs(counter: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    correct = pairs(Counter((clusters[r], truth[r]) for r in truth))
    return correct / pairs(Counter(clusters.values())), correct / pairs(Counter(truth.values()))


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    rows, truth = make_people()
    return write_csv(tmp_path_factory.mktemp("linkage") / "persons.csv", rows), truth


@pytest.fixture(scope="module")
def deduped(extract: tuple[Path, dict[str, int]]) -> tuple[DedupeReport, list[dict[str, str]]]:
    source, _ = extract
    target = source.with_name("clusters.csv")
    report = dedupe_csv(source, target)
    return report, read_output(target)


def test_every_record_is_in_exactly_one_cluster(extract: tuple[Path, dict[str, int]],
                                                 deduped: tuple[DedupeReport, list[dict[str, str]]]) -> None:
    _, truth = extract
    report, output = deduped
    assert sorted(row["record_id"] for row in output) == sorted(truth)
    assert report.records == len(truth) and report.rejected == []
    assert report.clusters == len({row["cluster_id"] for row in output})
    assert report.pairs_scored > 0 and report.threshold == 0.9 and report.seconds > 0


def test_duplicates_are_found_with_high_precision_and_recall(
    extract: tuple[Path, dict[str, int]], deduped: tuple[DedupeReport, list[dict[str, str]]]
) -> None:
    _, truth = extract
    _, output = deduped
    clusters = {row["record_id"]: row["cluster_id"] for row in output}
    precision, recall = pairwise(truth, clusters)
    assert precision >= 0.8, precision
    assert recall >= 0.8, recall
    people: dict[int, set[str]] = {}
    for record, identity in truth.items():
        people.setdefault(identity, set()).add(clusters[record])
    duplicated = [identity for identity, count in Counter(truth.values()).items() if count > 1]
    together = sum(len(people[identity]) == 1 for identity in duplicated)
    assert together / len(duplicated) >= 0.75, (together, len(duplicated))


def test_cluster_ids_and_probabilities_follow_the_contract(
    deduped: tuple[DedupeReport, list[dict[str, str]]],
) -> None:
    _, output = deduped
    order = {row["record_id"]: n for n, row in enumerate(output)}
    members: dict[str, list[str]] = {}
    for row in output:
        members.setdefault(row["cluster_id"], []).append(row["record_id"])
    for cluster_id, records in members.items():
        # The cluster is named after its first record in the input.
        assert cluster_id == min(records, key=order.__getitem__)
    for row in output:
        alone = len(members[row["cluster_id"]]) == 1
        if alone:
            assert row["match_probability"] == ""
        else:
            assert 0.9 <= float(row["match_probability"]) <= 1.0


def test_the_splink_default_baseline_also_writes_every_record(extract: tuple[Path, dict[str, int]],
                                                              tmp_path: Path) -> None:
    source, truth = extract
    report = dedupe_csv(source, tmp_path / "baseline.csv", settings="splink-default", threshold=0.95)
    assert sorted(row["record_id"] for row in read_output(tmp_path / "baseline.csv")) == sorted(truth)
    assert report.threshold == 0.95 and report.records == len(truth)


def test_header_errors_name_the_expected_and_the_found_headers(tmp_path: Path) -> None:
    wrong = ["id", *COLUMNS[1:]]
    with pytest.raises(ValueError, match=r"Expected: record_id,forename.*found: id,forename"):
        dedupe_csv(write_csv(tmp_path / "a.csv", [], header=wrong), tmp_path / "out.csv")
    with pytest.raises(ValueError, match=r"found: record_id,forename,surname$"):
        dedupe_csv(write_csv(tmp_path / "b.csv", [], header=COLUMNS[:3]), tmp_path / "out.csv")
    (tmp_path / "c.csv").write_bytes(b"")
    with pytest.raises(ValueError, match="empty: expected the header record_id,forename"):
        dedupe_csv(tmp_path / "c.csv", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_bad_arguments_are_refused(extract: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    source, _ = extract
    for threshold in (0, 1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            dedupe_csv(source, tmp_path / "out.csv", threshold=threshold)
    with pytest.raises(ValueError, match="settings must be one of safeguard, splink-default"):
        dedupe_csv(source, tmp_path / "out.csv", settings="fastest")


def test_utf8_with_bom_and_windows_1252_are_read(tmp_path: Path) -> None:
    rows = [["Zoë-1", "Zoë", "Brontë", "1990-01-02", "F", "1 Café Row", "HX1 1AA", ""],
            ["Zoë-2", "Zoe", "Bronte", "1990-01-02", "F", "1 Cafe Row", "hx11aa", ""],
            ["Søren", "Søren", "O’Brien", "1971-03-04", "M", "£5 House", "HX2 2BB", "07700 900123"]]
    for encoding in ("utf-8-sig", "cp1252"):
        if encoding == "cp1252":
            rows[2][0] = rows[2][1] = "Sören"  # cp1252 has no ø
        source = write_csv(tmp_path / f"{encoding}.csv", rows, encoding=encoding)
        if encoding == "cp1252":
            with pytest.raises(UnicodeDecodeError):
                source.read_text(encoding="utf-8")
        report = dedupe_csv(source, tmp_path / "out.csv")
        assert [row["record_id"] for row in read_output(tmp_path / "out.csv")] == [r[0] for r in rows]
        assert report.records == 3 and report.rejected == []


def test_bad_rows_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    future = (date.today() + timedelta(days=30)).isoformat()
    source = tmp_path / "bad.csv"
    source.write_text(
        "record_id,forename,surname,date_of_birth,gender,address,postcode,phone\n"  # line 1
        "A1,Ann,Lee,1980-05-06,F,1 High St,HX1 1AA,\n"  # 2
        "A2,Bob,Lee,2001-02-31,M,1 High St,HX1 1AA,\n"  # 3: impossible date: kept, date treated as missing
        "A3,Cat,Lee,1985,F,\"2 High St,\n"  # 4-5: an address over two lines; a partial (year only) date
        "Halifax\",HX1 1AB,\n"
        "A1,Dan,Lee,1979-01-01,M,3 High St,HX1 1AC,\n"  # 6: duplicate record_id: excluded
        ",Eve,Lee,1979-01-02,F,4 High St,HX1 1AD,\n"  # 7: empty record_id: excluded
        "A4,Fay,Lee,01/02/1990,F,5 High St,HX1 1AE\n"  # 8: 7 fields: excluded
        "\n"  # 9: blank line, ignored
        f"A5,Guy,Lee,{future},M,6 High St,HX1 1AF,\n"  # 10: future date: kept, date treated as missing
        "A6,Hal,Lee,13/02/1990,M,7 High St,HX1 1AG,\n",  # 11: not YYYY-MM-DD: kept, date treated as missing
        encoding="utf-8",
    )
    report = dedupe_csv(source, tmp_path / "out.csv")
    lines = {line: reason for line, reason in report.rejected}
    assert [line for line, _ in report.rejected] == [3, 6, 7, 8, 10, 11]
    assert "'2001-02-31' is not a real date; treated as missing (record kept)" in lines[3]
    assert "record_id 'A1' is already used on line 2; row excluded" in lines[6]
    assert "record_id is empty; row excluded" in lines[7]
    assert "expected 8 fields, found 7; row excluded" in lines[8]
    assert "is in the future; treated as missing" in lines[10]
    assert "is not a date in the form YYYY-MM-DD" in lines[11]
    output = read_output(tmp_path / "out.csv")
    assert [row["record_id"] for row in output] == ["A1", "A2", "A3", "A5", "A6"]
    assert report.records == 5


def test_formula_looking_ids_are_neutralised_in_the_output(tmp_path: Path) -> None:
    ids = ["=HYPERLINK(\"http://x\")", "+441", "-2", "@SUM(A1)", "plain", "'quoted"]
    names = ["Ann", "Bob", "Cat", "Dan", "Eve", "Fay"]
    rows = [[rid, names[n], "Lee", f"19{60 + n}-0{n + 1}-1{n}", "", "", "", ""] for n, rid in enumerate(ids)]
    dedupe_csv(write_csv(tmp_path / "ids.csv", rows), tmp_path / "out.csv")
    output = read_output(tmp_path / "out.csv")
    expected = ["'=HYPERLINK(\"http://x\")", "'+441", "'-2", "'@SUM(A1)", "plain", "'quoted"]
    assert [row["record_id"] for row in output] == expected
    assert [row["cluster_id"] for row in output] == expected
    assert neutralise("\tcmd") == "'\tcmd" and neutralise("\r1") == "'\r1"


def test_header_only_input_gives_header_only_output(tmp_path: Path) -> None:
    report = dedupe_csv(write_csv(tmp_path / "empty.csv", []), tmp_path / "out.csv")
    assert read_output(tmp_path / "out.csv") == []
    assert (report.records, report.clusters, report.pairs_scored) == (0, 0, 0)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("07700 900123", "+447700900123"), ("+44 (0)7700 900 123", "+447700900123"), ("0044 7700 900123",
     "+447700900123"), ("(0113) 496 0000", "+441134960000"), ("+1 202 555 0143", "+12025550143"), ("n/k", None),
     ("not known", None)],
)
def test_phones_are_compared_in_e164(raw: str, e164: str | None) -> None:
    assert normalise_phone(raw) == e164


def test_soundex() -> None:
    assert soundex("Robert") == soundex("Rupert") == "R163"
    assert soundex("Ashcraft") == "A261" and soundex("Tymczak") == "T522" and soundex("Lee") == "L000"
    assert soundex("O'Brien") == "O165" and soundex("--") is None


def _records(rows: list[list[str]]) -> list[PersonRecord]:
    records = []
    for n, (_, forename, surname, dob, gender, address, postcode, phone) in enumerate(rows, start=1):
        year, month, day = (int(part) for part in dob.split("-")) if dob else (None, None, None)
        records.append(PersonRecord(n * 10, forename, surname, year, month, day, gender, address, postcode, phone))
    return records


def test_score_records_links_pairs_with_evidence_in_words() -> None:
    rows, truth = make_people()
    records = _records(rows)
    identity = {record.id: truth[row[0]] for record, row in zip(records, rows, strict=True)}
    report = score_records(records, threshold=0.95)
    assert report.records == len(records) and report.pairs_scored > 0 and report.threshold == 0.95
    assert report.pairs, "no pairs found"
    probabilities = [pair.match_probability for pair in report.pairs]
    assert probabilities == sorted(probabilities, reverse=True) and min(probabilities) >= 0.95
    assert all(pair.id_a < pair.id_b for pair in report.pairs)
    right = sum(identity[pair.id_a] == identity[pair.id_b] for pair in report.pairs)
    assert right / len(report.pairs) >= 0.9
    labels = {field: {pair.evidence[field] for pair in report.pairs} for field in EVIDENCE_FIELDS.values()}
    assert all(list(pair.evidence) == list(EVIDENCE_FIELDS.values()) for pair in report.pairs)
    assert "exact" in labels["date_of_birth"] and "same" in labels["gender"]
    assert labels["forename"] <= {"missing on one or both records", "exact", "swapped with the surname",
                                  "similar (Jaro-Winkler ≥ 0.92)", "nickname of the same name (e.g. Bill and William)",
                                  "alike (Jaro-Winkler ≥ 0.8)", "one letter wrong, missing or swapped",
                                  "initial only, agrees"}  # never "different": the household guard


def test_score_records_edge_cases() -> None:
    one = PersonRecord(1, "Ann", "Lee", 1980, 5, 6, "female", "1 High Street", "HX1 1AA", "+447700900123")
    assert score_records([]).pairs == [] and score_records([one]).records == 1
    with pytest.raises(ValueError, match="1 record ids appear more than once"):
        score_records([one, one._replace(forename="Anne")])
    with pytest.raises(ValueError, match="threshold"):
        score_records([one], threshold=0)
