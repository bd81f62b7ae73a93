"""History at a glance on a seeded force: the control room's one screen for a caller's number.

Times `people.glance.history_for_number` (people at the number, their markers, addresses, incidents in 12
months, safe contact, active orders, bail and breach alerts, every read audited) for phone numbers drawn at
random from the force, as a call handler under row-level security, one at a time on one connection after
untimed warm-up lookups; each lookup is its own committed transaction, as a request is, timed to the end of its
commit. Baseline from the same
run: one plain SQL query listing the people linked to the number. Target (issue 6): p95 under 100 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import ROLES
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.people.glance import history_for_number

BASELINE_SQL = text("SELECT p.id, p.forename, p.surname FROM person_phone ph JOIN person p ON p.id = ph.person_id "
                    "WHERE ph.number_e164 = :number")


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(share * len(ordered)) - 1)]


def _prepare(admin_url: str, force_code: str, count: int) -> tuple[int, int, list[str]]:
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        force_id = conn.execute("SELECT id FROM force WHERE code = %s", (force_code,)).fetchone()[0]  # type: ignore[index]
        user = conn.execute("SELECT id FROM app_user WHERE username = 'glance-bench'").fetchone()
        if user is None:
            user = conn.execute("INSERT INTO app_user (force_id, username, display_name, role, password_hash) "
                                "VALUES (%s, 'glance-bench', 'Glance Bench', 'call_handler', 'x') RETURNING id",
                                (force_id,)).fetchone()
        numbers = [row[0] for row in conn.execute(
            "SELECT number_e164 FROM (SELECT DISTINCT number_e164 FROM person_phone WHERE force_id = %s) n "
            "ORDER BY md5(number_e164) LIMIT %s", (force_id, count))]
        return force_id, user[0], numbers  # type: ignore[index]


async def _time(app_url: str, force_id: int, user_id: int, numbers: list[str], warm_up: int = 10
                ) -> tuple[list[float], list[float], list[int]]:
    engine = make_engine(app_url, pool_size=1)
    actor = Actor(kind="user", force_id=force_id, label="glance-bench", user_id=user_id, role="call_handler",
                  permissions=ROLES["call_handler"].permissions)
    ours: list[float] = []
    baseline: list[float] = []
    linked: list[int] = []
    try:
        async with AsyncSession(engine) as db:
            for i, number in enumerate([*numbers[:warm_up], *numbers]):
                async with db.begin():
                    await set_force_context(db, force_id, user_id)
                    started = time.perf_counter()
                    found = await history_for_number(db, actor, number)
                elapsed = (time.perf_counter() - started) * 1000  # the commit (and its audit events) included
                async with db.begin():
                    await set_force_context(db, force_id, user_id)
                    started = time.perf_counter()
                    rows = (await db.execute(BASELINE_SQL, {"number": number})).all()
                    plain = (time.perf_counter() - started) * 1000
                if i >= warm_up:
                    ours.append(elapsed)
                    baseline.append(plain)
                    linked.append(len(rows))
                    assert len(found.people) <= len(rows) + 1
    finally:
        await engine.dispose()
    return ours, baseline, linked


def run(admin_url: str, app_url: str, force_code: str, count: int = 300) -> str:
    force_id, user_id, numbers = _prepare(admin_url, force_code, count)
    ours, baseline, linked = asyncio.run(_time(app_url, force_id, user_id, numbers))
    lines = [f"{len(ours)} phone numbers drawn from the force, looked up one at a time as a call handler "
             "(row-level security on, every read audited and committed; each time runs to the end of the "
             "commit), after 10 untimed warm-up lookups. "
             f"People linked per number: median {statistics.median(linked):.0f}, most {max(linked)} (the "
             "synthetic force shares Ofcom's few thousand drama numbers, so numbers are far more shared than a "
             "real force's; the glance shows the 20 most concerning people in full and counts the rest). "
             "Target: p95 under 100 ms.", "",
             "| method | p50 ms | p95 ms | p99 ms | max ms |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, values in (("History at a glance (`history_for_number`)", ours),
                         ("baseline: one SQL query listing the people at the number", baseline)):
        lines.append(f"| {name} | {statistics.median(values):.1f} | {_pct(values, 0.95):.1f} | "
                     f"{_pct(values, 0.99):.1f} | {max(values):.1f} |")
    return "\n".join(lines)
