"""Deduplication accuracy and cost: our Splink model against Splink's out-of-the-box set-up.

    uv run python bench/bench_dedupe.py [--records 100000 --records 1000000] [--threshold 0.9] [--seed 1]

For each size, draws a person extract from the synthetic force (`safeguard.synth`): every person record it
generates (people, then their duplicate records with typos, nicknames, swapped names, changed surnames, old
addresses, missing, partial or wrong dates of birth, other phones) with its current address and first phone, as
`safeguard people dedupe` reads them, and each record's true identity from the generator's
`synth.true_identity` rows. Then runs `dedupe_csv` on it with settings="safeguard" and with
settings="splink-default", each in its own child process, and scores the clusters against the true identities:
pairwise precision, recall and F1, the run time `dedupe_csv` reports, and the child's peak resident memory
(ru_maxrss from os.wait4: that one child's, since getrusage(RUSAGE_CHILDREN) would give the largest of all
children so far). DuckDB allocates outside Python, so tracemalloc would not see it.

A model that runs past --cap seconds is stopped, and the table says so and how far it got. The same --seed and
--records always give the same extract.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MODELS = ["safeguard", "splink-default"]
RECORDS_PER_IDENTITY = 1.156  # the synthetic force's average (12% of people have 1 to 3 duplicate records)
DEFAULT_SIZES = [100_000, 1_000_000]
DEFAULT_CAP = 20 * 60


def synth_extract(path: Path, truth_path: Path, records: int, seed: int) -> Counter[str]:
    """Write `records` person records of a synthetic force to `path` (the dedupe CSV) and their identities.

    The generator's sizes jump from about 20,000 records ("small") to about 2 million ("large"), so this takes
    the "large" force's geography and sets the number of people to what `records` needs. Only the phases up to
    the person records run: relationships and incidents are never generated. Returns the duplicate errors made.
    """
    from safeguard.people.linkage import COLUMNS
    from safeguard.synth.generator import ForceGenerator, Size

    generator = ForceGenerator("large", seed)
    identities = math.ceil(records / RECORDS_PER_IDENTITY * 1.02)
    generator.size = Size(identities=identities, incidents=max(1_000, identities // 2),
                          areas=generator.size.areas)
    places: dict[int, tuple[str, str | None]] = {}
    pending: list[tuple[object, ...]] = []  # person rows of the current batch, written once their rows are in
    phones: dict[int, str] = {}
    homes: dict[int, int] = {}
    identity: dict[int, int] = {}
    written = 0
    with path.open("w", newline="", encoding="utf-8") as out, truth_path.open("w", newline="") as truth:
        writer, truth_writer = csv.writer(out), csv.writer(truth)
        writer.writerow(COLUMNS)
        truth_writer.writerow(["record_id", "identity"])
        for table, rows in generator.generate():
            if table == "location":
                for row in rows:
                    places[row[0]] = (", ".join(str(part) for part in (row[3], row[4], row[5]) if part), row[6])
            elif table == "person":
                pending.extend(rows)
            elif table == "person_phone":
                for row in rows:
                    phones.setdefault(row[2], row[3])
            elif table == "person_address":
                homes.update((row[2], row[3]) for row in rows if row[5] is None)  # to_date: the current address
            elif table == "synth.true_identity":
                identity.update(rows)
                for pid, _, forename, _middle, surname, year, month, day, gender, _restricted in pending:
                    if written == records:
                        break
                    born = "" if year is None else f"{year:04d}" if month is None else f"{year:04d}-{month:02d}" \
                        if day is None else f"{year:04d}-{month:02d}-{day:02d}"
                    address, postcode = places.get(homes.get(pid, -1), ("", ""))
                    writer.writerow([f"P{pid}", forename, surname, born, gender, address, postcode or "",
                                     phones.get(pid, "")])
                    truth_writer.writerow([f"P{pid}", identity[pid]])
                    written += 1
                pending.clear()
                phones.clear()
                homes.clear()
                if written == records:
                    break
            elif table == "relationship":
                break
    if written < records:
        raise SystemExit(f"the generator gave {written:,} records, fewer than {records:,}")
    return Counter({kind: n for kind, n in generator.stats.items() if kind.startswith("error_")})


def pairwise_scores(truth_path: Path, clusters_path: Path) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of the clusters against the true identities."""
    with truth_path.open(newline="") as f:
        identity = {row["record_id"]: row["identity"] for row in csv.DictReader(f)}
    with clusters_path.open(newline="") as f:
        cluster = {row["record_id"]: row["cluster_id"] for row in csv.DictReader(f)}

    def pairs(counter: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    predicted = pairs(Counter(cluster.values()))
    actual = pairs(Counter(identity[r] for r in cluster))
    correct = pairs(Counter((cluster[r], identity[r]) for r in cluster))
    precision = correct / predicted if predicted else 1.0
    recall = correct / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _ratio(value: float) -> str:
    """Three decimals, or two significant digits below 0.001 (a collapsed precision is not zero)."""
    return f"{value:.3f}" if value >= 0.001 or value == 0 else f"{value:.2g}"


def _shared(loads: list[tuple[str, float]]) -> str:
    cores = os.cpu_count() or 1
    busy = [load > cores for _, load in loads]
    if all(busy):
        return (f"The machine's {cores} cores were shared with other work (tests, builds) throughout: the load "
                f"was above {cores} whenever a model started, so run times are longer than on an idle machine.")
    if any(busy):
        return (f"The machine's {cores} cores were shared with other work for part of the run (a load above "
                f"{cores}), so some run times are longer than on an idle machine.")
    return f"The machine's {cores} cores were not busy with other work when the models started."


@dataclass
class Outcome:
    finished: bool
    seconds: float  # dedupe_csv's own time when finished, else how long it ran before it was stopped
    peak_mib: float
    records: int = 0
    clusters: int = 0
    pairs: int = 0  # candidate pairs scored (known once blocking finished, even when stopped later)
    last_stage: str = ""  # the last stage that finished, when stopped


def run_child(settings: str, source: Path, target: Path, threshold: float, cap: float) -> Outcome:
    """Run one model in a fresh process, stopped after `cap` seconds; peak RSS from wait4 (that child alone)."""
    command = [sys.executable, __file__, "--child", settings, str(source), str(target), str(threshold)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        stopped = threading.Event()

        def stop() -> None:
            stopped.set()
            os.killpg(child.pid, signal.SIGKILL)

        timer = threading.Timer(cap, stop)
        timer.start()
        assert child.stdout is not None
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        log.seek(0)
        messages = log.read().splitlines()
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    if stopped.is_set():
        stages = [m.split("linkage: ", 1)[1].rsplit(" took", 1)[0] for m in messages if " took " in m]
        pairs = [m for m in messages if "candidate pairs to score" in m]
        return Outcome(False, elapsed, peak, pairs=int(pairs[-1].split(", ")[1].split()[0]) if pairs else 0,
                       last_stage=stages[-1] if stages else "")
    if child.returncode != 0:
        sys.stderr.write("\n".join(messages[-20:]) + "\n")
        raise SystemExit(f"{settings} failed with exit code {child.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    return Outcome(True, float(result["seconds"]), peak, int(result["records"]), int(result["clusters"]),
                   int(result["pairs"]))


def child_main(settings: str, source: str, target: str, threshold: str) -> None:
    import logging

    from safeguard.people.linkage import dedupe_csv

    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("safeguard.people.linkage").setLevel(logging.INFO)  # stages and timings, for a cap
    logging.getLogger("splink").setLevel(logging.ERROR)
    report = dedupe_csv(Path(source), Path(target), threshold=float(threshold), settings=settings)
    print(json.dumps({"seconds": report.seconds, "records": report.records, "clusters": report.clusters,
                      "pairs": report.pairs_scored, "rejected": len(report.rejected)}))


def run(sizes: list[int], *, threshold: float = 0.9, seed: int = 1, models: list[str] | None = None,
        cap: float = DEFAULT_CAP, keep: Path | None = None) -> str:
    """Measure and return the Markdown table and what it means (the body of the benchmarks section)."""
    lines = ["| records | model | precision | recall | F1 | clusters | pairs scored | run time (s) | "
             "peak memory (MiB) |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    notes: list[str] = []
    errors: Counter[str] = Counter()
    loads: list[tuple[str, float]] = []  # the machine's load when each model started: was it shared?
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as tmp:
        workdir = keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            source, truth = workdir / f"persons_{size}.csv", workdir / f"truth_{size}.csv"
            started = time.perf_counter()
            errors = synth_extract(source, truth, size, seed)
            print(f"extract of {size:,} records written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            for model in models or MODELS:
                target = workdir / f"clusters_{size}_{model}.csv"
                loads.append((f"{model} on {size:,} records", os.getloadavg()[0]))
                outcome = run_child(model, source, target, threshold, cap)
                if outcome.finished:
                    precision, recall, f1 = pairwise_scores(truth, target)
                    row = (f"| {size:,} | {model} | {_ratio(precision)} | {_ratio(recall)} | {_ratio(f1)} | "
                           f"{outcome.clusters:,} | {outcome.pairs:,} | {outcome.seconds:.1f} | "
                           f"{outcome.peak_mib:,.0f} |")
                else:
                    pairs = f"{outcome.pairs:,}" if outcome.pairs else "not known"
                    row = (f"| {size:,} | {model} | not finished | | | | {pairs} | stopped at "
                           f"{outcome.seconds:,.0f} | {outcome.peak_mib:,.0f} so far |")
                    notes.append(f"- {model} on {size:,} records was stopped after {cap:,.0f} s, "
                                 f"with the last stage it finished being *{outcome.last_stage or 'none'}*"
                                 + (f" (it had {outcome.pairs:,} candidate pairs to score)" if outcome.pairs
                                    else "") + ": no accuracy can be given for it.")
                print(row, file=sys.stderr)
                lines.append(row)
    made = ", ".join(f"{kind.removeprefix('error_').replace('_', ' ')} {n:,}" for kind, n in errors.most_common())
    return "\n".join([
        f"`safeguard people dedupe` (`dedupe_csv`) on extracts of the synthetic force (`safeguard.synth`, seed "
        f"{seed}): every person record the generator makes, with its current address and first phone, and each "
        "record's true identity from the generator's `synth.true_identity`. About 12% of people have one to three "
        f"more records, each with one or two errors (in the largest extract: {made}). "
        "Our model against Splink's out-of-the-box set-up (`settings=\"splink-default\"`: Splink's tutorial "
        "comparisons and blocking on the raw columns), each in its own process, same training budget, threshold "
        f"{threshold}. Precision and recall count pairs of records put in one cluster, against the true "
        "identities. Peak memory is the child process's peak resident set. Run: "
        f"`uv run python bench/bench_dedupe.py {' '.join(f'--records {s}' for s in sizes)}`.",
        "",
        *lines,
        "",
        *notes,
        f"- {_shared(loads)} Load average over the minute before each model started: "
        f"{'; '.join(f'{what} {load:.1f}' for what, load in loads)}. The models ran one after the other, not "
        "side by side.",
        "",
    ])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, action="append", help="size of the extract; repeat for more")
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--cap", type=float, default=DEFAULT_CAP, help="stop a model after this many seconds")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this directory")
    args = parser.parse_args()
    body = run(args.records or DEFAULT_SIZES, threshold=args.threshold, seed=args.seed, models=args.models,
               cap=args.cap, keep=args.keep)
    print(f"\nMeasured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs\n")
    print(body)


if __name__ == "__main__":
    main()
