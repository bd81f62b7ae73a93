"""Importing people from a legacy system: every row validated, nothing lost, nothing loaded twice."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import psycopg_dsn
from safeguard.imports.csvfiles import CsvShapeError, neutralise
from safeguard.imports.models import ImportRejection
from safeguard.imports.people import import_people, parse_date_of_birth
from safeguard.people.models import Person, PersonPhone
from tests.conftest import DatabaseUnderTest, ForceData

HEADER = "source_ref,forename,surname,middle_names,date_of_birth,gender,phone,address,town,postcode\n"
GOOD = (
    "RMS-1,Jonathan,Smith,,03/04/1989,M,07700 900123,1 High Street,Northfield,b12 9qs\n"
    "RMS-2,Aisha,Khan,,1992,female,,,,\n"
    "RMS-3,Zoë,Brontë,Anne,1990-07,F,+44 121 496 0001,,,\n"
)
BAD = (
    "RMS-4,Impossible,Date,,31/02/1990,F,,,,\n"
    "RMS-5,Future,Born,,2099-01-01,M,,,,\n"
    "RMS-6,Bad,Phone,,,M,12345,,,\n"
    "RMS-7,,Noforename,,,,,,,\n"
    "RMS-1,Jonathan,Again,,,,,,,\n"
    "RMS-8,Odd,Gender,,,banana,,,,\n"
    "RMS-9,Bad,Postcode,,,,,,,NOTAPOSTCODE\n"
    "=HYPERLINK(\"x\"),Formula,Row,,1/1/2001,,,,,bad\n"
)


async def test_good_rows_load_bad_rows_are_kept_with_reasons(db: AsyncSession, force_a: ForceData) -> None:
    report, rejected = await import_people(db, (HEADER + GOOD + BAD).encode(), filename="legacy.csv",
                                           force_id=force_a.id, imported_by="test")
    assert (report.loaded, report.unchanged, report.rejected) == (3, 0, 8)
    reasons = {number: reason for number, reason, _ in rejected}
    assert "not a real date" in reasons[5]
    assert "in the future" in reasons[6]
    assert "not a valid UK or international phone number" in reasons[7]
    assert "forename: must not be empty" in reasons[8]
    assert "already on line 2" in reasons[9]
    assert "not one of female, male" in reasons[10]
    assert "not a UK postcode" in reasons[11]
    stored = (await db.scalars(select(ImportRejection.row_number).where(
        ImportRejection.batch_id == report.batch_id).order_by(ImportRejection.row_number))).all()
    assert stored == list(range(5, 13))
    smith = await db.scalar(select(Person).where(Person.surname == "Smith"))
    assert smith is not None and (smith.dob_year, smith.dob_month, smith.dob_day) == (1989, 4, 3)
    assert smith.gender == "male"
    phones = (await db.scalars(select(PersonPhone.number_e164))).all()
    assert sorted(phones) == ["+441214960001", "+447700900123"]
    bronte = await db.scalar(select(Person).where(Person.surname == "Brontë"))
    assert bronte is not None and (bronte.dob_year, bronte.dob_month, bronte.dob_day) == (1990, 7, None)


async def test_the_same_file_again_changes_nothing(db: AsyncSession, force_a: ForceData) -> None:
    data = (HEADER + GOOD).encode()
    await import_people(db, data, filename="a.csv", force_id=force_a.id, imported_by="test")
    before = await db.scalar(select(func.count()).select_from(Person))
    report, _ = await import_people(db, data, filename="a.csv", force_id=force_a.id, imported_by="test")
    assert (report.loaded, report.unchanged, report.rejected) == (0, 3, 0)
    assert await db.scalar(select(func.count()).select_from(Person)) == before


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
async def test_byte_order_mark_and_windows_1252(db: AsyncSession, force_a: ForceData, encoding: str) -> None:
    data = (HEADER + "RMS-10,Zoë,O'Brien,,,,,,,\n").encode(encoding)
    report, _ = await import_people(db, data, filename="w.csv", force_id=force_a.id, imported_by="test")
    assert report.loaded == 1
    assert await db.scalar(select(Person.forename).where(Person.surname == "O'Brien")) == "Zoë"


async def test_wrong_headers_refuse_the_whole_file(db: AsyncSession, force_a: ForceData) -> None:
    with pytest.raises(CsvShapeError, match="Missing: source_ref") as error:
        await import_people(db, b"ref,forename,surname\n1,A,B\n", filename="x.csv", force_id=force_a.id,
                            imported_by="test")
    assert "Not recognised: ref" in str(error.value)


def test_dates_of_birth() -> None:
    assert parse_date_of_birth("03/04/1989") == (1989, 4, 3)
    assert parse_date_of_birth("1989-04-03") == (1989, 4, 3)
    assert parse_date_of_birth("04/1989") == (1989, 4, None)
    assert parse_date_of_birth("1989") == (1989, None, None)
    assert parse_date_of_birth("") == (None, None, None)
    for bad in ("31/02/1990", "1990-13-01", "yesterday", "2999"):
        with pytest.raises(ValueError):
            parse_date_of_birth(bad)


def test_formulas_are_neutralised() -> None:
    assert neutralise("=SUM(A1)") == "'=SUM(A1)"
    assert neutralise("+44 7700") == "'+44 7700"
    assert neutralise("Smith") == "Smith"


def test_the_command_writes_a_reject_file(fresh_db: DatabaseUnderTest, tmp_path: Path) -> None:
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        conn.execute("INSERT INTO force (code, name) VALUES ('IMP', 'Import Police')")
    source = tmp_path / "legacy.csv"
    source.write_text(HEADER + GOOD + BAD, encoding="utf-8")
    env = dict(os.environ, DATABASE_URL=fresh_db.app_url, DATABASE_ADMIN_URL=fresh_db.admin_url)
    result = subprocess.run([sys.executable, "-m", "safeguard", "import", "people", str(source)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Loaded 3, unchanged 0 (already imported), refused 8." in result.stdout
    rows = list(csv.reader(io.StringIO((tmp_path / "legacy.rejects.csv").read_text())))
    assert rows[0][:2] == ["row_number", "reason"] and len(rows) == 9
    assert rows[-1][2] == "'=HYPERLINK(\"x\")"  # a formula in the source is not live in the reject file
    again = subprocess.run([sys.executable, "-m", "safeguard", "import", "people", str(source)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert "Loaded 0, unchanged 3" in again.stdout
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    refused = subprocess.run([sys.executable, "-m", "safeguard", "import", "people", str(wrong)],
                             capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 2 and "Nothing was imported. The headers are not right" in refused.stderr
