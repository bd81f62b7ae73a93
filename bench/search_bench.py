"""Person search latency on a seeded force, beside a plain ILIKE scan measured in the same run.

Queries are made from real records of the force, typed the way a call handler would type them: with a
typo, a nickname, the names swapped, a partial date of birth, a phone number in another format, a
postcode with the surname, or the address alone. For each, "found" means the person's true identity
(kept apart by the generator) is among the top 20 results.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.people.search import search_people

KINDS = ["exact", "typo", "nickname", "swapped", "partial dob", "phone", "postcode", "address"]
NICK = {"William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Jonathan": "Jon", "Michael": "Mike",
        "Thomas": "Tom", "Daniel": "Danny", "Christopher": "Chris", "Mohammed": "Mo", "Katherine": "Kate"}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def make_queries(admin_url: str, force_code: str, count: int, seed: int = 11) -> list[tuple[str, str, set[int]]]:
    """(kind, query, ids of every record of the same true identity)."""
    rng = random.Random(seed)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        force_id = conn.execute("SELECT id FROM force WHERE code = %s", (force_code,)).fetchone()[0]  # type: ignore[index]
        bounds = conn.execute("SELECT min(id), max(id) FROM person WHERE force_id = %s", (force_id,)).fetchone()
        queries = []
        while len(queries) < count:
            pid = rng.randint(bounds[0], bounds[1])  # type: ignore[index]
            row = conn.execute(
                "SELECT p.forename, p.surname, p.dob_year, p.dob_month, p.dob_day, "
                "(SELECT number_e164 FROM person_phone WHERE person_id = p.id LIMIT 1), "
                "(SELECT l.postcode FROM person_address pa JOIN location l ON l.id = pa.location_id "
                " WHERE pa.person_id = p.id AND pa.to_date IS NULL LIMIT 1), "
                "(SELECT l.line1 FROM person_address pa JOIN location l ON l.id = pa.location_id "
                " WHERE pa.person_id = p.id AND pa.to_date IS NULL AND NOT l.restricted LIMIT 1), "
                "(SELECT array_agg(t2.person_id) FROM synth.true_identity t1 JOIN synth.true_identity t2 "
                " ON t2.identity_id = t1.identity_id WHERE t1.person_id = p.id) "
                "FROM person p WHERE p.id = %s AND NOT p.restricted", (pid,)).fetchone()
            if row is None:
                continue
            forename, surname, y, m, _day, phone, postcode, line1, same = row
            kind = KINDS[len(queries) % len(KINDS)]
            if kind == "exact":
                q = f"{forename} {surname}"
            elif kind == "typo":
                q = f"{forename} {_typo(surname, rng)}"
            elif kind == "nickname":
                q = f"{NICK.get(forename, forename)} {surname}"
            elif kind == "swapped":
                q = f"{surname} {forename}"
            elif kind == "partial dob":
                if y is None:
                    continue
                q = f"{forename} {surname} {m or 1}/{y}" if m else f"{forename} {surname} {y}"
            elif kind == "phone":
                if not phone:
                    continue
                q = "0" + phone[3:7] + " " + phone[7:]
            elif kind == "postcode":
                if not postcode:
                    continue
                q = f"{surname} {postcode.replace(' ', '').lower()}"
            else:  # the address alone, as a caller gives it
                if not line1:
                    continue
                q = line1
            queries.append((kind, q, set(same)))
    return queries


async def _time_search(app_url: str, force_id: int, queries: list[tuple[str, str, set[int]]],
                       use_ilike: bool, warm_up: int = 20
                       ) -> tuple[list[float], dict[str, list[bool]], dict[str, list[float]]]:
    """Latencies and found-in-top-20 of `queries`, after the first `warm_up` of them are run untimed.

    The warm-up runs on the same connection as the timed queries, as a long-lived pooled connection in
    the application would: the server has the tables in its cache and the statements prepared.
    """
    engine = make_engine(app_url, pool_size=1)
    latencies: list[float] = []
    found: dict[str, list[bool]] = {kind: [] for kind in KINDS}
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    try:
        async with AsyncSession(engine) as db:
            for i, (kind, query, same) in enumerate([*queries[:warm_up], *queries]):
                async with db.begin():
                    await set_force_context(db, force_id)
                    started = time.perf_counter()
                    if use_ilike:
                        words = [w for w in query.split() if w.isalpha()]
                        pattern = "%" + "%".join(words) + "%" if words else query
                        rows = (await db.execute(text(
                            "SELECT id FROM person WHERE (forename || ' ' || surname) ILIKE :p "
                            "OR (surname || ' ' || forename) ILIKE :p LIMIT 20"), {"p": pattern})).scalars().all()
                        ids = set(rows)
                    else:
                        ids = {r.id for r in await search_people(db, query)}
                    elapsed = (time.perf_counter() - started) * 1000
                if i >= warm_up:
                    latencies.append(elapsed)
                    by_kind[kind].append(elapsed)
                    found[kind].append(bool(ids & same))
    finally:
        await engine.dispose()
    return latencies, found, by_kind


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def run(admin_url: str, app_url: str, force_code: str, count: int = 700, baseline_count: int = 140) -> str:
    queries = make_queries(admin_url, force_code, count)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        force_id = conn.execute("SELECT id FROM force WHERE code = %s", (force_code,)).fetchone()[0]  # type: ignore[index]
        people = conn.execute("SELECT count(*) FROM person WHERE force_id = %s", (force_id,)).fetchone()[0]  # type: ignore[index]
    results = {}
    # The baseline scans the whole table for every query, so it gets the first queries only (every kind
    # is represented, in turn).
    for name, ilike, subset in (("Safeguard search", False, queries),
                                (f"baseline: plain ILIKE scan on names (first {baseline_count} queries)", True,
                                 queries[:baseline_count])):
        results[name] = asyncio.run(_time_search(app_url, force_id, subset, ilike))
    lines = [f"{len(queries)} queries against {people:,} person records, one at a time, as the application role "
             "(row-level security on), on one connection after 20 untimed warm-up queries. Target: p99 under "
             "50 ms.", "",
             "| method | p50 ms | p95 ms | p99 ms | max ms | found in top 20 |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, (latencies, found, _) in results.items():
        hits = sum(sum(v) for v in found.values()) / sum(len(v) for v in found.values())
        lines.append(f"| {name} | {statistics.median(latencies):.1f} | {_pct(latencies, 0.95):.1f} | "
                     f"{_pct(latencies, 0.99):.1f} | {max(latencies):.1f} | {hits:.0%} |")
    lines += ["", "| query kind | " + " | ".join(results) + " |", "| --- |" + " ---: |" * len(results)]
    for kind in KINDS:
        cells = []
        for _, found, _ in results.values():
            values = found[kind]
            cells.append(f"{sum(values)}/{len(values)}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    ours = results["Safeguard search"][2]
    lines += ["", "Safeguard search latency by query kind:", "",
              "| query kind | queries | p50 ms | p99 ms | max ms |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {kind} | {len(ours[kind])} | {statistics.median(ours[kind]):.1f} | {_pct(ours[kind], 0.99):.1f} | "
              f"{max(ours[kind]):.1f} |" for kind in KINDS if ours[kind]]
    lines += ["", "\"Found in top 20\" counts a query as found when the true person is among the first 20 results. "
              "Phone queries score low because the synthetic force may only use Ofcom's 1,000-number drama range, "
              "so each number is shared by about 1,300 synthetic people; a real force's numbers are nearly unique. "
              "Address queries give the first line alone (\"11 Sunnyside Road\"); the synthetic force repeats "
              "street names across its towns, so one first line can belong to dozens of addresses."]
    return "\n".join(lines)
