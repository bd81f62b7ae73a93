"""Row-level security keeps each force's data inside that force, even for a query that forgets to filter.

These tests connect as the application's own role on a database of their own, with data seeded by the
owner, so nothing here can lean on the ORM or on application code to do the filtering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from tests.conftest import DatabaseUnderTest

# Staff tables: read before a force is known, filtered by force in code (see safeguard/auth/models.py).
STAFF_TABLES = {"app_user", "team", "api_token"}

# For each table tried row by row: how to insert a row for a force, and a text column to overwrite.
TABLES = {
    "person": ("INSERT INTO person (force_id, forename, surname) VALUES (:force, 'Intruder', 'Row')", "surname"),
    "incident": ("INSERT INTO incident (force_id, reference, occurred_at) VALUES (:force, 'X-RLS', now())",
                 "summary"),
    "contact": ("INSERT INTO contact (force_id, channel, received_at) VALUES (:force, '101', now())", "note"),
}


@dataclass
class Seeded:
    db: DatabaseUnderTest
    force_a: int
    force_b: int
    rows: dict[str, dict[int, set[int]]]  # table -> force -> ids
    audit: dict[int | None, set[int]]  # force (or None) -> audit event ids

    def ids(self, table: str, force: int) -> set[int]:
        return self.rows[table][force]


@pytest.fixture
def seeded(fresh_db: DatabaseUnderTest) -> Iterator[Seeded]:
    """Two forces, seeded by the owner (who is not subject to row-level security)."""
    rows: dict[str, dict[int, set[int]]] = {table: {} for table in TABLES}
    audit: dict[int | None, set[int]] = {}
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        forces = []
        for code, people in (("AAA", 2), ("BBB", 1)):
            (force_id,) = conn.execute("INSERT INTO force (code, name) VALUES (%s, %s) RETURNING id",
                                       (code, f"{code} Police")).fetchone() or (0,)
            forces.append(force_id)
            for table, count in (("person", people), ("incident", people), ("contact", people)):
                for n in range(count):
                    if table == "person":
                        sql = "INSERT INTO person (force_id, forename, surname) VALUES (%s, %s, %s) RETURNING id"
                        args: tuple[object, ...] = (force_id, f"{code} person {n}", f"Surname{code}")
                    elif table == "incident":
                        sql = ("INSERT INTO incident (force_id, reference, occurred_at, summary) "
                               "VALUES (%s, %s, now(), %s) RETURNING id")
                        args = (force_id, f"{code}-{n}", f"{code} summary")
                    else:
                        sql = ("INSERT INTO contact (force_id, channel, received_at, note) "
                               "VALUES (%s, '999', now(), %s) RETURNING id")
                        args = (force_id, f"{code} note")
                    (row_id,) = conn.execute(sql, args).fetchone() or (0,)
                    rows[table].setdefault(force_id, set()).add(row_id)
        for force_id in (*forces, None):
            for n in range(2):
                conn.execute("INSERT INTO audit_event (force_id, actor_label, action) VALUES (%s, %s, 'seed.event')",
                             (force_id, f"seed {force_id} {n}"))
        for event_id, force_id in conn.execute("SELECT id, force_id FROM audit_event"):
            audit.setdefault(force_id, set()).add(event_id)
    yield Seeded(fresh_db, forces[0], forces[1], rows, audit)


@pytest.fixture
async def engine(fresh_db: DatabaseUnderTest) -> AsyncIterator[AsyncEngine]:
    """The application's role on the test's own database."""
    engine = make_engine(fresh_db.app_url, pool_size=2, max_overflow=0)
    yield engine
    await engine.dispose()


def _admin_rows(seeded: Seeded, sql: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg.connect(psycopg_dsn(seeded.db.admin_url)) as conn:
        return conn.execute(sql, args or None).fetchall()


def _refused_by_rls(exc: DBAPIError) -> bool:
    return isinstance(exc.orig, errors.InsufficientPrivilege) and "row-level security" in str(exc.orig)


# -- the application's role -------------------------------------------------------------------------------

async def test_the_app_role_is_unprivileged_and_owns_nothing(seeded: Seeded, engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        user = await conn.scalar(text("SELECT current_user"))
        assert user == seeded.db.app_role
        role = (await conn.execute(text(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ))).one()
        assert tuple(role) == (False, False, False, False)
        owned_tables = (await conn.execute(text(
            "SELECT schemaname, tablename FROM pg_tables WHERE tableowner = current_user"))).all()
        assert owned_tables == []
        owned_relations = (await conn.execute(text(
            "SELECT relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        ))).all()
        assert owned_relations == []
        owned_schemas = (await conn.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        ))).all()
        assert owned_schemas == []
        # Nor can it become a role that does (SET ROLE to a role it is a member of).
        memberships = (await conn.execute(text(
            "SELECT roleid::regrole::text FROM pg_auth_members "
            "WHERE member = (SELECT oid FROM pg_roles WHERE rolname = current_user)"))).all()
        assert memberships == []
    # The tables do have an owner, and it is someone else.
    owners = {owner for (owner,) in _admin_rows(seeded, "SELECT DISTINCT tableowner FROM pg_tables "
                                                        "WHERE schemaname = 'public'")}
    assert owners and seeded.db.app_role not in owners


async def test_the_app_role_cannot_switch_row_level_security_off(seeded: Seeded, engine: AsyncEngine) -> None:
    for statement in ("ALTER TABLE person DISABLE ROW LEVEL SECURITY",
                      "ALTER TABLE person NO FORCE ROW LEVEL SECURITY",
                      "DROP POLICY person_force_isolation ON person"):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as info:
                await conn.execute(text(statement))
            assert isinstance(info.value.orig, errors.InsufficientPrivilege), statement
    # row_security = off does not bypass policies for a role without BYPASSRLS: the query is refused.
    async with engine.connect() as conn:
        await conn.execute(text("SET row_security = off"))
        await conn.execute(text("SELECT set_config('app.force_id', :f, false)"), {"f": str(seeded.force_a)})
        with pytest.raises(DBAPIError) as info:
            await conn.execute(text("SELECT count(*) FROM person"))
        assert isinstance(info.value.orig, errors.InsufficientPrivilege)
        assert "row-level security" in str(info.value.orig)


# -- the catalogue: every force-owned table is guarded ----------------------------------------------------

def test_every_force_owned_table_has_forced_rls_and_a_policy(seeded: Seeded) -> None:
    tables = _admin_rows(seeded, """
        SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'force_id' AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%'
        ORDER BY 1, 2""")
    names = {name for _, name, *_ in tables}
    # The documented exceptions exist (so the list is not stale) ...
    assert names >= STAFF_TABLES
    # ... and everything else that belongs to a force is guarded.
    guarded = [row for row in tables if row[1] not in STAFF_TABLES]
    assert {"person", "incident", "contact", "audit_event", "area", "location"} <= {row[1] for row in guarded}
    unguarded = [(schema, name) for schema, name, rls, forced, policies in guarded
                 if not (rls and forced and policies >= 1)]
    assert unguarded == [], f"tables with a force_id but no forced row-level security policy: {unguarded}"


def test_every_policy_compares_with_the_transaction_force(seeded: Seeded) -> None:
    """Each policy on a force-owned table tests force_id against app.force_id (fail-closed when it is unset)."""
    policies = _admin_rows(seeded, """
        SELECT tablename, policyname, cmd, coalesce(qual, ''), coalesce(with_check, '')
        FROM pg_policies WHERE schemaname = 'public'""")
    assert policies
    for table, name, cmd, qual, check in policies:
        for expression in (qual, check):
            if expression:
                assert "force_id" in expression and "app.force_id" in expression, (table, name, cmd, expression)
        assert "true" != qual.strip().lower(), (table, name)


# -- reading, writing and inserting as a force ------------------------------------------------------------

async def _as_force(conn: AsyncConnection, force_id: int) -> AsyncSession:
    session = AsyncSession(bind=conn)
    await set_force_context(session, force_id)
    return session


@pytest.mark.parametrize("table", sorted(TABLES))
async def test_an_unfiltered_select_returns_only_the_forces_rows(table: str, seeded: Seeded,
                                                                  engine: AsyncEngine) -> None:
    for me, other in ((seeded.force_a, seeded.force_b), (seeded.force_b, seeded.force_a)):
        async with engine.connect() as conn, conn.begin():
            db = await _as_force(conn, me)
            rows = (await db.execute(text(f"SELECT * FROM {table}"))).mappings().all()
            assert {row["id"] for row in rows} == seeded.ids(table, me)
            assert {row["force_id"] for row in rows} == {me}
            # Asking for the other force's rows by id or by force finds nothing.
            other_ids = list(seeded.ids(table, other))
            found = await db.scalar(text(f"SELECT count(*) FROM {table} WHERE id = ANY(:ids) OR force_id = :f"),
                                    {"ids": other_ids, "f": other})
            assert found == 0


@pytest.mark.parametrize("table", sorted(TABLES))
async def test_an_unfiltered_update_touches_none_of_the_other_forces_rows(table: str, seeded: Seeded,
                                                                           engine: AsyncEngine) -> None:
    column = TABLES[table][1]
    async with engine.connect() as conn, conn.begin():
        db = await _as_force(conn, seeded.force_a)
        result = await db.execute(text(f"UPDATE {table} SET {column} = 'x'"))
        assert result.rowcount == len(seeded.ids(table, seeded.force_a))  # type: ignore[attr-defined]
        targeted = await db.execute(text(f"UPDATE {table} SET {column} = 'x' WHERE force_id = :b"),
                                    {"b": seeded.force_b})
        assert targeted.rowcount == 0  # type: ignore[attr-defined]
        deleted = await db.execute(text(f"DELETE FROM {table} WHERE force_id = :b"), {"b": seeded.force_b})
        assert deleted.rowcount == 0  # type: ignore[attr-defined]
    values = dict(_admin_rows(seeded, f"SELECT force_id, array_agg(DISTINCT {column}) FROM {table} GROUP BY 1"))
    assert values[seeded.force_a] == ["x"]
    assert values[seeded.force_b] != ["x"] and len(values[seeded.force_b]) == 1  # type: ignore[arg-type]
    remaining = _admin_rows(seeded, f"SELECT id FROM {table} WHERE force_id = %s", seeded.force_b)
    assert {row_id for (row_id,) in remaining} == seeded.ids(table, seeded.force_b)


@pytest.mark.parametrize("table", sorted(TABLES))
async def test_a_row_cannot_be_moved_into_another_force(table: str, seeded: Seeded, engine: AsyncEngine) -> None:
    async with engine.connect() as conn, conn.begin():
        db = await _as_force(conn, seeded.force_a)
        with pytest.raises(DBAPIError) as info:
            await db.execute(text(f"UPDATE {table} SET force_id = :b"), {"b": seeded.force_b})
        assert _refused_by_rls(info.value), info.value.orig


@pytest.mark.parametrize("table", sorted(TABLES))
async def test_inserting_for_another_force_is_refused(table: str, seeded: Seeded, engine: AsyncEngine) -> None:
    insert = text(TABLES[table][0])
    async with engine.connect() as conn, conn.begin():
        db = await _as_force(conn, seeded.force_a)
        await db.execute(insert, {"force": seeded.force_a})  # control: its own force is fine
    async with engine.connect() as conn, conn.begin():
        db = await _as_force(conn, seeded.force_a)
        with pytest.raises(DBAPIError) as info:
            await db.execute(insert, {"force": seeded.force_b})
        assert _refused_by_rls(info.value), info.value.orig
    counts = dict(_admin_rows(seeded, f"SELECT force_id, count(*) FROM {table} GROUP BY 1"))
    assert counts[seeded.force_a] == len(seeded.ids(table, seeded.force_a)) + 1
    assert counts[seeded.force_b] == len(seeded.ids(table, seeded.force_b))


@pytest.mark.parametrize("table", sorted(TABLES))
async def test_without_a_force_nothing_is_visible_or_writable(table: str, seeded: Seeded,
                                                               engine: AsyncEngine) -> None:
    insert = text(TABLES[table][0])
    column = TABLES[table][1]
    async with engine.connect() as conn:
        # Never set on this connection at all.
        async with conn.begin():
            assert await conn.scalar(text("SELECT current_setting('app.force_id', true)")) in (None, "")
            assert await conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0
            updated = await conn.execute(text(f"UPDATE {table} SET {column} = 'x'"))
            assert updated.rowcount == 0  # type: ignore[attr-defined]
        async with conn.begin():
            with pytest.raises(DBAPIError) as info:
                await conn.execute(insert, {"force": seeded.force_a})
            assert _refused_by_rls(info.value), info.value.orig
        # A force set in one transaction does not carry into the next on the same (pooled) connection.
        async with conn.begin():
            db = await _as_force(conn, seeded.force_a)
            assert await db.scalar(text(f"SELECT count(*) FROM {table}")) == len(seeded.ids(table, seeded.force_a))
        async with conn.begin():
            assert await conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0
        # Cleared explicitly, as the application does for a request that has no actor.
        async with conn.begin():
            await conn.execute(text("SELECT set_config('app.force_id', '', true)"))
            assert await conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0
    untouched = _admin_rows(seeded, f"SELECT count(*) FROM {table} WHERE {column} = 'x'")
    assert untouched == [(0,)]


async def test_a_force_id_that_is_not_a_number_is_an_error_not_a_bypass(seeded: Seeded,
                                                                         engine: AsyncEngine) -> None:
    async with engine.connect() as conn, conn.begin():
        await conn.execute(text("SELECT set_config('app.force_id', :v, true)"),
                           {"v": f"{seeded.force_a} OR true"})
        with pytest.raises(DBAPIError) as info:
            await conn.execute(text("SELECT count(*) FROM person"))
        assert isinstance(info.value.orig, errors.InvalidTextRepresentation)


# -- the audit trail --------------------------------------------------------------------------------------

async def test_audit_events_of_another_force_are_invisible(seeded: Seeded, engine: AsyncEngine) -> None:
    assert seeded.audit[seeded.force_b] and seeded.audit[None]  # there is something to hide
    for me in (seeded.force_a, seeded.force_b):
        async with engine.connect() as conn, conn.begin():
            db = await _as_force(conn, me)
            rows = (await db.execute(text("SELECT id, force_id FROM audit_event"))).all()
            assert {row.id for row in rows} == seeded.audit[me]
            assert {row.force_id for row in rows} == {me}
    async with engine.connect() as conn, conn.begin():
        assert await conn.scalar(text("SELECT count(*) FROM audit_event")) == 0


async def test_an_audit_event_cannot_be_written_for_another_force(seeded: Seeded, engine: AsyncEngine) -> None:
    insert = text("INSERT INTO audit_event (force_id, actor_label, action) VALUES (:f, 'intruder', 'forged')")
    async with engine.connect() as conn, conn.begin():
        db = await _as_force(conn, seeded.force_a)
        with pytest.raises(DBAPIError) as info:
            await db.execute(insert, {"f": seeded.force_b})
        assert _refused_by_rls(info.value), info.value.orig
    assert _admin_rows(seeded, "SELECT count(*) FROM audit_event WHERE action = 'forged'") == [(0,)]
