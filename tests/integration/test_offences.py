"""The offence catalogue as data: shipped with the migration, replaced by `safeguard import offences`."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.crimes import offences
from safeguard.crimes.models import HARM_SOURCES, OFFENCE_CATEGORIES, Offence, OutcomeType
from safeguard.db.engine import make_engine
from safeguard.imports.csvfiles import CsvShapeError
from safeguard.imports.offences import import_offences
from tests.conftest import DatabaseUnderTest

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "safeguard" / "crimes" / "data" / "offences.csv"
HEADER = "code,offence,legislation,ho_class,da_related,category,harm_weight,harm_source,harm_note\n"


@pytest.fixture
async def owner(template_db: DatabaseUnderTest) -> AsyncIterator[AsyncSession]:
    """The database owner (as `safeguard import offences` runs), in a transaction that is rolled back."""
    engine = make_engine(template_db.admin_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            try:
                yield AsyncSession(bind=conn, expire_on_commit=False)
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()


def _shipped_codes() -> list[str]:
    with SHIPPED.open(encoding="utf-8", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


async def test_the_migration_loads_the_shipped_catalogue_and_outcome_types(db: AsyncSession) -> None:
    rows = list(await db.scalars(select(Offence)))
    assert sorted(o.code for o in rows) == sorted(_shipped_codes())
    assert {o.category for o in rows} <= set(OFFENCE_CATEGORIES)
    assert {o.harm_source for o in rows} <= set(HARM_SOURCES)
    # Every shipped weight is honestly a placeholder until the official table is imported (DOMAIN.md §5.3).
    assert {o.harm_source for o in rows} == {"estimate"}
    ccb = await offences.by_code(db, "coercive-control")
    assert ccb is not None and ccb.ho_class == "008/67" and ccb.da_related
    assert ccb.category == "coercive-control-stalking" and ccb.legislation == "s76 Serious Crime Act 2015"
    # The seed operation's four categories all have offences.
    for category in ("assault-wounding", "coercive-control-stalking", "false-imprisonment-kidnap", "threats-to-kill"):
        assert await offences.by_category(db, category)
    outcomes = list(await db.scalars(select(OutcomeType).order_by(OutcomeType.sort_order)))
    assert [o.code for o in outcomes] == ["1", "1A", *(str(n) for n in range(2, 23))]
    by_code = {o.code: o for o in outcomes}
    assert by_code["16"].confidence == "VERIFIED" and by_code["16"].outcome_group.startswith("Evidential")
    assert by_code["1A"].confidence == "UNVERIFIED"
    assert by_code["1"].final and not by_code["18"].final


async def test_the_application_may_read_the_catalogue_but_not_change_it(db: AsyncSession) -> None:
    for statement in ("UPDATE offence SET harm_weight = 0",
                      "INSERT INTO offence (code, title, legislation, category, harm_weight, harm_source) "
                      "VALUES ('x', 'x', 'x', 'other', 1, 'chi')",
                      "DELETE FROM outcome_type"):
        with pytest.raises(DBAPIError) as info:
            async with db.begin_nested():
                await db.execute(text(statement))
        assert "permission denied" in str(info.value.orig)


async def test_lookups_by_code_and_category(db: AsyncSession) -> None:
    found = await offences.by_codes(db, ["abh", "threats-to-kill", "no-such-offence"])
    assert set(found) == {"abh", "threats-to-kill"}
    assert await offences.by_code(db, "no-such-offence") is None
    kidnap = await offences.by_category(db, "false-imprisonment-kidnap")
    assert {o.code for o in kidnap} == {"false-imprisonment", "kidnapping"}
    with pytest.raises(ValueError, match="not a category"):
        await offences.by_category(db, "burglary")
    everything = await offences.catalogue(db)
    assert everything[0].category == "assault-wounding" and everything[-1].category == "other"


async def test_good_rows_upsert_bad_rows_are_refused_with_reasons(owner: AsyncSession) -> None:
    data = (HEADER
            + "abh,Assault occasioning actual bodily harm,s47 OAPA 1861,8N,no,assault-wounding,14.5,chi,Official\n"
            + "new-offence,A new offence,Some Act 2025,99Z,yes,harassment,3,css,\n"
            + "bad-category,Bad,Act,,no,burglary,1,chi,\n"
            + "bad-weight,Bad,Act,,no,other,lots,chi,\n"
            + "negative,Bad,Act,,no,other,-4,chi,\n"
            + "bad-source,Bad,Act,,no,other,4,guess,\n"
            + "abh,Again,Act,,no,other,4,chi,\n"
            + "Bad Code,Bad,Act,,no,other,4,chi,\n"
            + "no-title,,Act,,no,other,4,chi,\n"
            + "bad-da,Bad,Act,,perhaps,other,4,chi,\n"
            + "short,row\n").encode()
    report, rejected = await import_offences(owner, data, filename="official.csv", imported_by="test")
    assert (report.added, report.updated, report.rejected) == (1, 1, 9)
    assert report.sources == ["chi", "css"]  # two scales now mixed: the command warns
    reasons = {number: reason for number, reason, _ in rejected}
    assert "category: 'burglary' is not a category" in reasons[4]
    assert "harm weight: 'lots' is not a number" in reasons[5]
    assert "harm weight: '-4' is negative" in reasons[6]
    assert "harm source: 'guess' is not a harm source; use one of chi, css, estimate" in reasons[7]
    assert reasons[8] == "code 'abh' is already on line 2"
    assert "code: 'Bad Code' is not a code" in reasons[9]
    assert reasons[10] == "offence: must not be empty"
    assert "da related: 'perhaps' is not yes or no" in reasons[11]
    assert "has 2 fields" in reasons[12]
    abh = await owner.scalar(select(Offence).where(Offence.code == "abh"))
    assert abh is not None and (abh.harm_weight, abh.harm_source, abh.harm_note) == (Decimal("14.50"), "chi",
                                                                                       "Official")
    assert await owner.scalar(select(Offence.category).where(Offence.code == "new-offence")) == "harassment"
    # Nothing the file did not mention was deleted; the report says how many codes that was.
    assert len(report.not_mentioned) == len(_shipped_codes()) - 1
    assert "coercive-control" in report.not_mentioned
    assert await owner.scalar(select(Offence.id).where(Offence.code == "coercive-control")) is not None


async def test_the_official_table_replaces_estimates_and_estimates_never_replace_it(owner: AsyncSession) -> None:
    official = (HEADER + "threats-to-kill,Threats to kill,s16 Offences Against the Person Act 1861,3B,no,"
                           "threats-to-kill,365,chi,CCHI 2023\n")
    report, _ = await import_offences(owner, official.encode(), filename="cchi.csv", imported_by="test")
    assert report.updated == 1
    # Importing the shipped file again keeps the official weight, and changes nothing else.
    report, rejected = await import_offences(owner, SHIPPED.read_bytes(), filename="offences.csv",
                                             imported_by="test")
    assert rejected == [] and report.kept_official == ["threats-to-kill"]
    assert (report.added, report.updated, report.not_mentioned) == (0, 0, [])
    row = await owner.scalar(select(Offence).where(Offence.code == "threats-to-kill"))
    assert row is not None and (row.harm_weight, row.harm_source) == (Decimal("365.00"), "chi")


async def test_a_row_can_retire_an_offence_and_the_same_file_again_changes_nothing(owner: AsyncSession) -> None:
    data = (HEADER.rstrip("\n") + ",active\n"
            + "murder,Murder,Common law,1,no,other,5475,estimate,Pending,no\n").encode()
    report, _ = await import_offences(owner, data, filename="retire.csv", imported_by="test")
    assert report.updated == 1
    assert await owner.scalar(select(Offence.active).where(Offence.code == "murder")) is False
    assert "murder" not in {o.code for o in await offences.catalogue(owner)}
    again, _ = await import_offences(owner, data, filename="retire.csv", imported_by="test")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)


async def test_wrong_headers_refuse_the_whole_file(owner: AsyncSession) -> None:
    with pytest.raises(CsvShapeError, match="Missing: harm_weight"):
        await import_offences(owner, b"code,offence,legislation,ho_class,da_related,category,harm_source,harm_note\n",
                              filename="x.csv", imported_by="test")


def test_the_command_reports_and_writes_a_reject_file(fresh_db: DatabaseUnderTest, tmp_path: Path) -> None:
    source = tmp_path / "cchi.csv"
    source.write_text(HEADER + "abh,ABH,s47 OAPA 1861,8N,no,assault-wounding,30,chi,\n"
                      + "=cmd(),Formula,Act,,no,other,1,chi,\n", encoding="utf-8")
    env = dict(os.environ, DATABASE_URL=fresh_db.app_url, DATABASE_ADMIN_URL=fresh_db.admin_url, COLUMNS="300")
    result = subprocess.run([sys.executable, "-m", "safeguard", "import", "offences", str(source)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Added 0, updated 1, unchanged 0, refused 1." in result.stdout
    assert f"The file did not mention {len(_shipped_codes()) - 1} codes" in result.stdout
    rows = list(csv.reader(io.StringIO((tmp_path / "cchi.rejects.csv").read_text())))
    assert rows[0][:2] == ["row_number", "reason"] and rows[1][0] == "3"
    assert rows[1][2] == "'=cmd()"  # a formula in the source is not live in the reject file
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    refused = subprocess.run([sys.executable, "-m", "safeguard", "import", "offences", str(wrong)],
                             capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 2 and "Nothing was imported. The headers are not right" in refused.stderr
