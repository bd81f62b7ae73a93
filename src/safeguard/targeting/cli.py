"""`safeguard targets ...`: rank a force's DA perpetrators by harm, and list its weight versions.

The ranking goes to standard output (CSV or JSON, see docs/harm-ranking.md); what was done goes to standard
error, so the output can be piped. The command runs as the application's role with the force's context and
no user, so restricted people (visible only to staff holding a grant) are not ranked.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

targets_app = typer.Typer(help="Harm ranking of DA perpetrators (RFG(V), docs/harm-ranking.md).",
                          no_args_is_help=True)

err = Console(stderr=True)

_WINDOW = re.compile(r"^\s*(\d{1,5})\s*([ymd])\s*$", re.IGNORECASE)
_DAYS_IN = {"y": 365, "m": 30, "d": 1}
MAX_WINDOW_DAYS = 36_500
FORMATS = ("json", "csv")
CSV_COLUMNS = ("rank", "person_id", "display_name", "score", "recency", "frequency", "gravity", "victims", "flags",
               "total_harm")


def parse_window(text: str) -> int:
    """'3y', '18m' or '90d' as days (a year is 365 days, a month 30, as in the recency bands).

    Raises ValueError with the reason."""
    match = _WINDOW.match(text or "")
    if not match:
        raise ValueError(f"--window must be a number of years, months or days, such as 3y, 18m or 90d, not '{text}'.")
    days = int(match.group(1)) * _DAYS_IN[match.group(2).lower()]
    if not 0 < days <= MAX_WINDOW_DAYS:
        raise ValueError(f"--window must be between 1 day and 100 years, not '{text}'.")
    return days


def as_json(ranked: list[Any]) -> str:
    return json.dumps([{
        "rank": r.rank, "person_id": r.person_id, "display_name": r.display_name, "score": float(r.score),
        "breakdown": {"recency": float(r.recency), "frequency": float(r.frequency), "gravity": float(r.gravity),
                      "victims": float(r.victims)},
        "flags": list(r.flags), "total_harm": float(r.total_harm),
    } for r in ranked], indent=2)


def _plain(value: Decimal) -> str:
    return format(value, "f")


def as_csv(ranked: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in ranked:
        writer.writerow([r.rank, r.person_id, r.display_name, _plain(r.score), _plain(r.recency),
                         _plain(r.frequency), _plain(r.gravity), _plain(r.victims), ";".join(r.flags),
                         _plain(r.total_harm)])
    return out.getvalue()


@targets_app.command("rank")
def rank(
    window: Annotated[str, typer.Option("--window", help="How far back: 3y, 18m or 90d.")] = "3y",
    top: Annotated[int | None, typer.Option("--top", min=1, help="Only the first N (default: everyone).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    force: Annotated[str | None, typer.Option("--force", help="Force code (default: the only force).")] = None,
    weights_version: Annotated[int | None, typer.Option("--weights-version",
                                                        help="Weight version (default: the newest).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb, spark or postgres.")] = "duckdb",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Rank as on this day, YYYY-MM-DD "
                                                              "(default: today, UK time).")] = None,
    store: Annotated[bool, typer.Option("--store/--no-store", help="Keep the whole list as the force's latest "
                                                                    "ranking, for operations to pick targets from."
                                        )] = False,
) -> None:
    """Rank the force's DA perpetrators by harm and print the list, best first."""
    import asyncio

    from safeguard.targeting.models import ENGINES

    try:
        days = parse_window(window)
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    if output_format not in FORMATS:
        err.print(f"[red]--format must be json or csv, not '{escape(output_format)}'.[/red]")
        raise typer.Exit(2)
    if engine not in ENGINES:
        err.print(f"[red]--engine must be one of {', '.join(ENGINES)}, not '{escape(engine)}'.[/red]")
        raise typer.Exit(2)
    day: date | None = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError as exc:
            err.print(f"[red]--as-of must be a date as YYYY-MM-DD, not '{escape(as_of)}'.[/red]")
            raise typer.Exit(2) from exc
    from safeguard.targeting.weights import WeightsError

    try:
        text, summary = asyncio.run(_rank(days=days, top=top, output_format=output_format, force=force,
                                          weights_version=weights_version, engine=engine, as_of=day, store=store))
    except WeightsError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    finally:
        if engine == "spark":
            from safeguard.targeting.engines import stop_spark

            stop_spark()
    typer.echo(text, nl=not text.endswith("\n"))
    err.print(escape(summary))


async def _rank(*, days: int, top: int | None, output_format: str, force: str | None, weights_version: int | None,
                engine: str, as_of: date | None, store: bool) -> tuple[str, str]:
    import time

    from safeguard.auth.tokens import force_by_code
    from safeguard.db.engine import resolve_urls
    from safeguard.db.session import session_scope, set_force_context
    from safeguard.targeting import service
    from safeguard.targeting.weights import parse_weights, weight_set

    async with session_scope(resolve_urls().app) as db:
        found = await force_by_code(db, force)
        await set_force_context(db, found.id)
        chosen = await weight_set(db, found.id, weights_version, created_by="command line")
        day = as_of or service.uk_today()
        started = time.perf_counter()
        stored = ""
        if store:
            ranking = await service.rank_and_store(db, found.id, window_days=days, weight_version=chosen.version,
                                                   as_of=day, engine=engine, computed_by="command line")
            ranked = await service.stored_entries(db, ranking.id, top=top)
            total = ranking.perpetrators
            stored = f" Stored as ranking {ranking.id}."
        else:
            everyone = await service.score(db, found.id, window_days=days, weights=parse_weights(chosen.weights),
                                           as_of=day, engine=engine)
            total = len(everyone)
            ranked = await service.named(db, everyone[:top] if top is not None else everyone)
        seconds = time.perf_counter() - started
    text = as_json(ranked) if output_format == "json" else as_csv(ranked)
    summary = (f"{found.code}: ranked {total:,} perpetrators over {days:,} days to {day.isoformat()} with weight "
               f"version {chosen.version} on {engine} in {seconds:.1f} s.{stored}")
    return text, summary


@targets_app.command("weights")
def weights(
    force: Annotated[str | None, typer.Option("--force", help="Force code (default: the only force).")] = None,
) -> None:
    """List the force's weight versions, newest first (version 1, the defaults, is made on first use)."""
    import asyncio

    try:
        rows = asyncio.run(_weights(force))
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    for version, created_at, created_by, note, values in rows:
        typer.echo(f"Version {version}, {created_at:%Y-%m-%d %H:%M} UTC, by {created_by}"
                   + (f": {note}" if note else ""))
        typer.echo("  " + json.dumps(values, sort_keys=True))


async def _weights(force: str | None) -> list[tuple[Any, ...]]:
    from safeguard.auth.tokens import force_by_code
    from safeguard.db.engine import resolve_urls
    from safeguard.db.session import session_scope, set_force_context
    from safeguard.targeting.weights import versions, weight_set

    async with session_scope(resolve_urls().app) as db:
        found = await force_by_code(db, force)
        await set_force_context(db, found.id)
        await weight_set(db, found.id, created_by="command line")
        return [(v.version, v.created_at, v.created_by, v.note, v.weights) for v in await versions(db, found.id)]
