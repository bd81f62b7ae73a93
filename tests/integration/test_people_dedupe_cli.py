"""`safeguard people dedupe`: the analyst's deduplication of a CSV extract, run as a command."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeguard.cli import app
from safeguard.people.linkage import COLUMNS
from tests.unit.test_linkage import make_people, write_csv

# Hand-written records (all fictional) on top of the generated extract: two people with a duplicate record
# each, and the partner who shares their surname, address and landline but is someone else.
KNOWN = [
    ["K-1", "Margaret", "Thackeray", "1961-04-12", "F", "14 Lumb Lane, Halifax", "HX3 9QT", "01422 700111"],
    ["K-2", "Peggy", "Thackray", "1961-04-12", "Female", "14 Lumb Ln, Halifax", "hx39qt", "+44 1422 700111"],
    ["K-3", "Desmond", "Thackeray", "1958-11-30", "M", "14 Lumb Lane, Halifax", "HX3 9QT", "01422 700111"],
    ["K-4", "Oluwaseun", "Adeyemi-Clarke", "1990-07-03", "M", "Flat 2, 9 Wharf Street, Sowerby Bridge",
     "HX6 2AE", "07700 900555"],
    ["K-5", "Oluwaseun", "Adeyemi Clarke", "", "M", "Flat 2, 9 Wharf St, Sowerby Bridge", "HX6 2AE",
     "07700900555"],
]
# A repeated id whose value looks like Rich markup: the reason quotes it and must be printed as written.
REPEATED_ID = ["[bold]K-1", "Ann", "Other", "1970-01-01", "F", "", "", ""]


def _extract(tmp_path: Path) -> tuple[Path, list[str]]:
    rows, _ = make_people(seed=99)
    rows += [*KNOWN, REPEATED_ID, REPEATED_ID, ["K-6", "Ian", "Impossible", "2001-02-30", "M", "", "", ""]]
    source = write_csv(tmp_path / "persons.csv", rows)
    return source, [row[0] for row in rows]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "safeguard", "people", *args], capture_output=True, text=True,
                          env=dict(os.environ, COLUMNS="200"), timeout=300)


def _read(path: Path) -> tuple[list[str] | None, list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_the_command_writes_one_cluster_per_person(tmp_path: Path) -> None:
    source, ids = _extract(tmp_path)
    target = tmp_path / "out" / "clusters.csv"
    result = _run("dedupe", "--input", str(source), "--output", str(target))
    assert result.returncode == 0, result.stderr
    header, rows = _read(target)
    assert header == ["record_id", "cluster_id", "match_probability"]
    # Every accepted input record exactly once; the second row with a repeated id is excluded.
    expected = list(dict.fromkeys(ids))
    assert [row["record_id"] for row in rows] == expected
    cluster = {row["record_id"]: row["cluster_id"] for row in rows}
    assert cluster["K-1"] == cluster["K-2"]  # nickname, surname typo, other formats
    assert cluster["K-4"] == cluster["K-5"]  # double-barrelled written two ways, date of birth missing
    assert cluster["K-3"] != cluster["K-1"]  # the partner at the same address is someone else
    clusters = len(set(cluster.values()))
    assert f"{len(expected):,} records in {clusters:,} clusters" in result.stdout
    assert "candidate pairs scored" in result.stdout and str(target) in result.stdout
    # Rejected rows on stderr, by line number (header = line 1), the id printed as written, not as markup.
    repeated_line = ids.index("[bold]K-1") + 3
    assert f"Line {repeated_line}: record_id '[bold]K-1' is already used on line {repeated_line - 1}" \
        in result.stderr
    assert "'2001-02-30' is not a real date; treated as missing (record kept)" in result.stderr
    assert "Traceback" not in result.stderr and "splink" not in result.stderr.lower()


def test_a_wrong_header_is_refused_with_the_expected_header(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "wrong.csv", [["1", "Ann", "Lee"]], header=["id", "forename", "surname"])
    target = tmp_path / "clusters.csv"
    result = CliRunner().invoke(app, ["people", "dedupe", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 2, result.output
    assert "Nothing was written" in result.stderr
    assert ",".join(COLUMNS) in result.stderr.replace("\n", "")
    assert not target.exists()
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("threshold", ["0", "1.5", "-0.2", "nan"])
def test_a_threshold_that_is_not_a_probability_is_refused(tmp_path: Path, threshold: str) -> None:
    source = write_csv(tmp_path / "persons.csv", KNOWN)
    target = tmp_path / "clusters.csv"
    result = CliRunner().invoke(app, ["people", "dedupe", "--input", str(source), "--output", str(target),
                                      "--threshold", threshold])
    assert result.exit_code == 2, result.output
    assert "--threshold must be a match probability above 0 and at most 1" in result.stderr
    assert not target.exists()


def test_a_missing_input_file_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["people", "dedupe", "--input", str(tmp_path / "none.csv"), "--output",
                                      str(tmp_path / "clusters.csv")])
    assert result.exit_code == 2
    assert "There is no file at" in result.stderr
