"""Seeding loads a whole force with COPY, in one transaction, once, beside any other force."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from safeguard.db import migrate
from safeguard.db.embedded import EmbeddedPostgres
from safeguard.db.engine import bootstrap_database, psycopg_dsn
from safeguard.synth import COLUMNS, Batch, ForceGenerator, SeedReport, seed_force

APP_ROLE = "safeguard_app"
# Test speed only: this throwaway server holds nothing worth keeping.
SERVER_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture(scope="module")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("synth-pg") / "data", settings=SERVER_SETTINGS)
    server.acquire()
    try:
        bootstrap_database(server.url(), "synthtest", APP_ROLE)
        migrate.upgrade(server.url(database="synthtest"), app_role=APP_ROLE)
        yield server.url(database="synthtest")
    finally:
        server.release()


@pytest.fixture(scope="module")
def demo(admin_url: str) -> SeedReport:
    return seed_force(admin_url, size="demo", seed=1, force_code="DEMO")


def _count(admin_url: str, query: str, *params: object) -> int:
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        row = conn.execute(query, params).fetchone()
        assert row is not None
        return int(row[0])


def _force_counts(admin_url: str, force_id: int) -> dict[str, int]:
    counts = {}
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        for table in COLUMNS:
            if table == "synth.true_identity":
                query = ("SELECT count(*) FROM synth.true_identity t JOIN person p ON p.id = t.person_id "
                         "WHERE p.force_id = %s")
            else:
                query = f"SELECT count(*) FROM {table} WHERE force_id = %s"
            row = conn.execute(query, (force_id,)).fetchone()
            assert row is not None
            counts[table] = int(row[0])
    return counts


def test_every_row_reported_is_in_the_database(admin_url: str, demo: SeedReport) -> None:
    assert demo.rows["incident"] == 1500
    assert 3000 < demo.rows["person"] < 4000
    assert demo.rows["synth.true_identity"] == demo.rows["person"]
    assert _force_counts(admin_url, demo.force_id) == demo.rows
    assert demo.seconds > 0 and demo.stats["dyads"] > 0
    # PostgreSQL computed the search keys as the rows went in.
    assert _count(admin_url, "SELECT count(*) FROM person WHERE surname_sound IS NULL") == 0
    assert _count(admin_url, "SELECT count(*) FROM location WHERE postcode_key IS NULL") == 0


def test_the_force_has_its_areas_teams_refuges_and_silent_calls(admin_url: str, demo: SeedReport) -> None:
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        kinds = {str(kind): int(n) for kind, n in conn.execute(
            "SELECT kind, count(*) FROM team WHERE force_id = %s GROUP BY kind", (demo.force_id,)).fetchall()}
    assert kinds == {"public_protection": 1, "operational_support": 1, "control_room": 1,
                     "local_policing": demo.rows["area"]}
    assert _count(admin_url, "SELECT count(*) FROM location WHERE restricted AND force_id = %s", demo.force_id) > 0
    assert _count(admin_url, "SELECT count(*) FROM contact WHERE channel = '999-silent' AND pressed_55 "
                  "AND force_id = %s", demo.force_id) > 0
    # Every incident is in one of the force's own areas, at one of its own addresses.
    assert _count(admin_url, "SELECT count(*) FROM incident i JOIN location l ON l.id = i.location_id "
                  "WHERE i.force_id = %s AND (l.force_id <> i.force_id OR l.area_id <> i.area_id)",
                  demo.force_id) == 0


def test_sequences_are_past_the_loaded_ids(admin_url: str, demo: SeedReport) -> None:
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        conn.execute("INSERT INTO area (force_id, code, name) VALUES (%s, 'NEW', 'New area')", (demo.force_id,))
        person = conn.execute("INSERT INTO person (force_id, forename, surname) VALUES (%s, 'New', 'Person') "
                              "RETURNING id", (demo.force_id,)).fetchone()
        assert person is not None
        conn.execute("INSERT INTO person_phone (force_id, person_id, number_e164) VALUES (%s, %s, "
                     "'+447700900123')", (demo.force_id, person[0]))
        incident = conn.execute("INSERT INTO incident (force_id, reference, occurred_at) VALUES (%s, 'NEW-1', "
                                "now()) RETURNING id", (demo.force_id,)).fetchone()
        assert incident is not None
        conn.execute("INSERT INTO contact (force_id, channel, received_at, incident_id) VALUES (%s, '101', "
                     "now(), %s)", (demo.force_id, incident[0]))
        conn.rollback()


def test_a_second_load_of_the_same_force_is_refused_and_changes_nothing(admin_url: str, demo: SeedReport) -> None:
    before = _force_counts(admin_url, demo.force_id)
    forces = _count(admin_url, "SELECT count(*) FROM force")
    with pytest.raises(ValueError, match="already exists"):
        seed_force(admin_url, size="demo", seed=2, force_code="DEMO")
    assert _force_counts(admin_url, demo.force_id) == before
    assert _count(admin_url, "SELECT count(*) FROM force") == forces


def test_another_force_loads_beside_with_the_same_data_under_new_ids(admin_url: str, demo: SeedReport) -> None:
    other = seed_force(admin_url, size="demo", seed=1, force_code="TWIN", force_name="Twin Constabulary")
    assert other.rows == demo.rows
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        def people(force_id: int) -> list[tuple[object, ...]]:
            return conn.execute("SELECT forename, middle_names, surname, dob_year, dob_month, dob_day, gender "
                                "FROM person WHERE force_id = %s ORDER BY id", (force_id,)).fetchall()

        assert people(other.force_id) == people(demo.force_id)
        # Each force's true identities point within that force.
        crossing = conn.execute("SELECT count(*) FROM synth.true_identity t JOIN person a ON a.id = t.person_id "
                                "JOIN person b ON b.id = t.identity_id WHERE a.force_id <> b.force_id").fetchone()
        assert crossing == (0,)
        # The true identities are out of the application's reach.
        assert conn.execute("SELECT has_schema_privilege(%s, 'synth', 'USAGE')", (APP_ROLE,)).fetchone() == (False,)


def test_a_load_that_fails_part_way_leaves_nothing_behind(admin_url: str, demo: SeedReport,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    original = ForceGenerator.generate

    def broken(self: ForceGenerator) -> Iterator[Batch]:
        for batch in original(self):
            yield batch
            if batch.table == "incident":
                # A suspect who is nobody: the reference check before commit must catch it.
                yield Batch("incident_person", [(10**12, self.force_id, batch.rows[0][0], 10**12, "suspect")])
                return

    monkeypatch.setattr(ForceGenerator, "generate", broken)
    forces = _count(admin_url, "SELECT count(*) FROM force")
    people = _count(admin_url, "SELECT count(*) FROM person")
    with pytest.raises(RuntimeError, match=r"incident_person\.person_id"):
        seed_force(admin_url, size="demo", seed=5, force_code="BROKEN")
    assert _count(admin_url, "SELECT count(*) FROM force") == forces
    assert _count(admin_url, "SELECT count(*) FROM person") == people
