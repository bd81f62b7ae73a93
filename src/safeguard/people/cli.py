"""`safeguard people ...`: finding the records that are the same person.

Imports of Splink and DuckDB stay inside the commands, so the rest of the `safeguard` command starts fast.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

people_app = typer.Typer(help="People records: duplicates and linkage.", no_args_is_help=True)

console = Console()
err = Console(stderr=True)

THRESHOLD_HELP = "Link pairs whose match probability is at least this (above 0, at most 1)."


class _WarningsToConsole(logging.Handler):
    """Our own warnings (a small extract, a skipped training step) as one readable line each."""

    def emit(self, record: logging.LogRecord) -> None:
        err.print(f"[yellow]Warning: {escape(record.getMessage())}[/yellow]")


def _quiet_logging() -> None:
    """Splink's progress and its warnings about training are for its developers, not for the analyst."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    ours = logging.getLogger("safeguard.people.linkage")
    ours.setLevel(logging.WARNING)
    if not any(isinstance(handler, _WarningsToConsole) for handler in ours.handlers):
        ours.addHandler(_WarningsToConsole())
    ours.propagate = False


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 1:  # NaN fails this too
        err.print(f"[red]--threshold must be a match probability above 0 and at most 1, not {threshold}.[/red]")
        raise typer.Exit(2)


@people_app.command("dedupe")
def dedupe(
    input_path: Annotated[Path, typer.Option("--input", help="CSV with the header record_id,forename,surname,"
                                             "date_of_birth,gender,address,postcode,phone.")],
    output_path: Annotated[Path, typer.Option("--output", help="Where to write record_id,cluster_id,"
                                              "match_probability (replaced if it exists).")],
    threshold: Annotated[float, typer.Option("--threshold", help=THRESHOLD_HELP)] = 0.9,
) -> None:
    """Find the records of a CSV extract that are the same person, and write one cluster per person.

    Runs on this machine only (Splink on DuckDB); no database is needed. See docs/linkage.md.
    """
    _check_threshold(threshold)
    if not input_path.is_file():
        err.print(f"[red]There is no file at {escape(str(input_path))}.[/red]")
        raise typer.Exit(2)
    if output_path.resolve() == input_path.resolve():
        err.print("[red]--output must not be the input file.[/red]")
        raise typer.Exit(2)
    _quiet_logging()
    from safeguard.people.linkage import dedupe_csv

    try:
        report = dedupe_csv(input_path, output_path, threshold=threshold)
    except (ValueError, OSError) as exc:
        err.print(f"[red]Nothing was written. {escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    for line, reason in report.rejected:
        err.print(f"Line {line}: {escape(reason)}")
    console.print(
        f"{report.records:,} records in {report.clusters:,} clusters (people); {report.pairs_scored:,} candidate "
        f"pairs scored; linked at match probability {report.threshold:g} or more; {report.seconds:.1f} s."
    )
    if report.rejected:
        console.print(f"{len(report.rejected):,} rows had a problem; each is listed with its line number and reason.")
    console.print(f"Clusters written to {escape(str(output_path))}")


@people_app.command("link")
def link(
    force: Annotated[str | None, typer.Option("--force", help="Force code (default: the only force).")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help=THRESHOLD_HELP)] = 0.9,
) -> None:
    """Find possible duplicates among the force's person records and add them to the analysts' review queue.

    Restricted people, restricted addresses and records already merged are never offered; pairs already in
    the queue (pending, confirmed or rejected) are left as they are. See docs/linkage.md.
    """
    import asyncio

    from safeguard.auth.tokens import force_by_code
    from safeguard.db.engine import resolve_urls
    from safeguard.db.session import session_scope, set_force_context
    from safeguard.people.linkjob import LinkReport, find_duplicates

    _check_threshold(threshold)
    _quiet_logging()

    async def run() -> tuple[str, LinkReport]:
        async with session_scope(resolve_urls().app) as db:
            found = await force_by_code(db, force)
            await set_force_context(db, found.id)
            return found.code, await find_duplicates(db, force_id=found.id, found_by="command line",
                                                     threshold=threshold)

    try:
        code, report = asyncio.run(run())
    except ValueError as exc:
        err.print(f"[red]Nothing was added. {escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f"{escape(code)}: {report.people:,} person records compared; {report.pairs_scored:,} candidate pairs "
        f"scored; {report.pairs_found:,} at match probability {report.threshold:g} or more, of which "
        f"{report.added:,} added to the review queue and {report.already_known:,} already there; "
        f"{report.seconds:.1f} s."
    )
    if report.added:
        console.print("Analysts review them at /people/duplicates.")
