"""The `safeguard` command."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safeguard.config import get_settings
from safeguard.db.engine import DatabaseUrls
from safeguard.people.cli import people_app
from safeguard.targeting.cli import targets_app

app = typer.Typer(help="Safeguard: a police force's domestic abuse response.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for machine integrations.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
import_app = typer.Typer(help="Load data from legacy systems.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(people_app, name="people")
app.add_typer(targets_app, name="targets")

console = Console()
err = Console(stderr=True)


def _urls() -> DatabaseUrls:
    from safeguard.db.engine import resolve_urls

    return resolve_urls()


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from safeguard.db import migrate

    migrate.upgrade(_urls().admin, revision)
    console.print(f"Database at: {migrate.current(_urls().admin) or 'empty'}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument("-1")) -> None:
    """Step migrations back to REVISION (default: one step)."""
    from safeguard.db import migrate

    migrate.downgrade(_urls().admin, revision)
    console.print(f"Database at: {migrate.current(_urls().admin) or 'empty'}")


@db_app.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    from safeguard.db import migrate

    console.print(migrate.current(_urls().admin) or "empty (no migrations applied)")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. 'telephony gateway'.")],
    scope: Annotated[list[str], typer.Option("--scope", help="A scope such as contacts:write; repeat for more.")],
    force: Annotated[str | None, typer.Option("--force", help="Force code (default: the only force).")] = None,
) -> None:
    """Create a scoped API token. The token is printed once, as the last line."""
    from safeguard.auth import tokens

    try:
        token = asyncio.run(tokens.create_token_cli(_urls(), name=name, scopes=scope, force_code=force))
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"Created token '{name}' with scopes: {', '.join(sorted(set(scope)))}")
    console.print("Store it now: it is shown only this once.")
    sys.stdout.write(token + "\n")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chains and name the first broken row."""
    from safeguard.audit.verify import verify_chain

    result = verify_chain(_urls().admin)
    if result.ok:
        chains = "1 chain" if result.chains == 1 else f"{result.chains} chains"
        console.print(f"Audit chain intact: {result.checked} events checked in {chains}.")
        return
    err.print(f"[red]Audit chain broken at event {result.first_broken_id}: {result.reason}[/red]")
    raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    get_settings()
    app()


def _require_head(admin_url: str) -> None:
    from alembic.script import ScriptDirectory

    from safeguard.db import migrate

    heads = ScriptDirectory.from_config(migrate.alembic_config(admin_url)).get_heads()
    at = migrate.current(admin_url)
    if not any(head in at for head in heads):
        err.print(f"[red]The database is at '{at or 'empty'}', not at the newest schema ({', '.join(heads)}). "
                  "Run `safeguard db upgrade` first.[/red]")
        raise typer.Exit(1)


def _serve(host: str, port: int) -> None:
    import os

    import uvicorn

    from safeguard.app import create_app

    # uvloop and httptools (uvicorn[standard]) rather than asyncio and h11: the same app, several times the
    # requests per core. Live-board streams end by themselves within a minute; shutdown does not wait for them.
    options: dict[str, object] = {
        "host": host, "port": port, "loop": "uvloop", "http": "httptools", "proxy_headers": False,
        "server_header": False, "log_level": "info", "access_log": False, "timeout_graceful_shutdown": 5}
    workers = get_settings().safeguard_workers
    if workers == 1:
        uvicorn.run(create_app(), **options)  # type: ignore[arg-type]
        return
    # Each worker is a process of its own that builds the app from the environment: give them the database this
    # process found (it keeps an embedded server running until it stops), so that none starts one itself. The
    # live board works across workers: each stream LISTENs on a connection of its own.
    # Each worker accepts from a socket of its own (safeguard.web.serve), so that a burst of new connections is
    # spread across the workers rather than taken by whichever wakes first.
    from safeguard.web.serve import run_workers

    urls = _urls()
    os.environ["DATABASE_URL"], os.environ["DATABASE_ADMIN_URL"] = urls.app, urls.admin
    run_workers("safeguard.app:create_app", workers=workers, **options)  # type: ignore[arg-type]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve Safeguard over an existing, migrated database."""
    urls = _urls()
    _require_head(urls.admin)
    console.print(f"Safeguard on http://{host}:{port}/")
    _serve(host, port)


@app.command()
def seed(
    size: Annotated[str, typer.Option(help="demo, small or large.")] = "demo",
    seed: Annotated[int, typer.Option(help="The same seed always gives the same force.")] = 1,
    force_code: Annotated[str, typer.Option("--force-code", help="Code of the force to create.")] = "DEMO",
    force_name: Annotated[str, typer.Option("--force-name", help="Name of the force.")] = "Demo Constabulary",
) -> None:
    """Build a fictional force with the synthetic-force generator (loaded with COPY)."""
    from rich.progress import Progress

    from safeguard.db import migrate
    from safeguard.synth import SIZES, seed_force

    if size not in SIZES:
        err.print(f"[red]Unknown size '{size}'. Choose one of: {', '.join(SIZES)}.[/red]")
        raise typer.Exit(2)
    urls = _urls()
    migrate.upgrade(urls.admin)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Generating", total=None)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total or None)

        try:
            result = seed_force(urls.admin, size=size, seed=seed, force_code=force_code, force_name=force_name,
                                progress=report)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(str(result))


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Set up and print the accounts, then stop.")] = False,
) -> None:
    """Set up the demo force on first run (kept on later runs), print the accounts, and serve."""
    import logging
    import os

    from rich.table import Table

    from safeguard.auth.totp import current_code
    from safeguard.config import get_settings
    from safeguard.db import migrate
    from safeguard.demo import demo_summary, ensure_demo_accounts, link_demo, seed_demo

    os.environ["SAFEGUARD_ENV"] = "demo"
    get_settings.cache_clear()
    settings = get_settings()
    urls = _urls()
    migrate.upgrade(urls.admin)
    if seed_demo(urls):
        console.print("Seeded the demo force (first run).")
        logging.getLogger("splink").setLevel(logging.ERROR)
        pairs = asyncio.run(link_demo(urls))
        console.print(f"The linkage job queued {pairs:,} possible duplicate pairs for the analysts.")
        console.print(demo_summary(urls.admin))
    else:
        console.print("The demo force is already seeded; keeping its data.")
    logins = asyncio.run(ensure_demo_accounts(urls, settings))
    table = Table(title="Demo accounts (fictional data only)")
    for column in ("username", "role", "password", "TOTP secret", "code now"):
        table.add_column(column, no_wrap=True)
    for login in logins:
        table.add_row(login.username, login.role, login.password, login.totp_secret, current_code(login.totp_secret))
    # Wide enough never to cut a secret, whatever the terminal (or CI log) says its width is.
    Console(width=max(console.width, 130)).print(table)
    console.print("Add a TOTP secret to any authenticator app, or run "
                  "`uv run safeguard users code USERNAME` for the current code.")
    if not no_serve:
        console.print(f"Safeguard demo on http://{host}:{port}/")
        _serve(host, port)


@users_app.command("unlock")
def users_unlock(username: str) -> None:
    """Unlock an account locked after too many failed sign-in attempts."""
    from safeguard.auth.service import unlock_user
    from safeguard.db.session import session_scope

    async def run() -> None:
        async with session_scope(_urls().app) as db:
            await unlock_user(db, username=username, by="command line")

    try:
        asyncio.run(run())
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Unlocked {username}.")


@users_app.command("code")
def users_code(username: str) -> None:
    """Print the current TOTP code for a demo account (demo mode only)."""
    import psycopg

    from safeguard.auth.totp import current_code
    from safeguard.db.engine import psycopg_dsn

    with psycopg.connect(psycopg_dsn(_urls().admin)) as conn:
        row = conn.execute("SELECT u.totp_secret, f.code FROM app_user u JOIN force f ON f.id = u.force_id "
                           "WHERE u.username = %s", (username,)).fetchone()
    if row is None or row[1] != "DEMO" or not row[0]:
        err.print("[red]Codes can only be shown for accounts of the demo force.[/red]")
        raise typer.Exit(1)
    console.print(current_code(row[0]))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Sign-in name.")],
    name: Annotated[str, typer.Option(help="Full name shown in Safeguard.")],
    role: Annotated[str, typer.Option(help="One of the roles in the README.")],
    force: Annotated[str | None, typer.Option("--force", help="Force code (default: the only force).")] = None,
) -> None:
    """Create a staff account. Asks for the password; the user sets up their authenticator at first sign-in."""
    from safeguard.auth.service import create_user
    from safeguard.auth.tokens import force_by_code
    from safeguard.db.session import session_scope

    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def run() -> None:
        async with session_scope(_urls().app) as db:
            found = await force_by_code(db, force)
            await create_user(db, get_settings(), force_id=found.id, username=username, display_name=name,
                              role=role, password=password)

    try:
        asyncio.run(run())
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"Created {username} ({role}).")


def _import_for_force(file: Path, force: str | None, rejects: Path | None, kind: str) -> None:
    """Run one force's import of `kind` from a CSV: good rows load; refused rows go to a reject file."""
    from safeguard.auth.tokens import force_by_code
    from safeguard.db.session import session_scope
    from safeguard.imports import crimes, people
    from safeguard.imports.csvfiles import CsvShapeError, ImportReport, Rejected, write_rejects

    module = {"people": people, "crimes": crimes}[kind]
    load = {"people": people.import_people, "crimes": crimes.import_crimes}[kind]
    if not file.is_file():
        err.print(f"[red]There is no file at {file}.[/red]")
        raise typer.Exit(2)
    data = file.read_bytes()

    async def run() -> tuple[ImportReport, Rejected]:
        async with session_scope(_urls().app) as db:
            found = await force_by_code(db, force)
            return await load(db, data, filename=file.name, force_id=found.id, imported_by="command line")

    try:
        report, rejected = asyncio.run(run())
    except (CsvShapeError, ValueError) as exc:
        err.print(f"[red]Nothing was imported. {exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"Loaded {report.loaded}, unchanged {report.unchanged} (already imported), "
                  f"refused {report.rejected}.")
    if rejected:
        reject_path = rejects or file.with_name(file.stem + ".rejects.csv")
        write_rejects(reject_path, module.COLUMNS, rejected)
        console.print(f"Refused rows, each with its line number and reason: {reject_path}")


@import_app.command("people")
def import_people_command(
    file: Annotated[Path, typer.Argument(help="CSV with headers source_ref,forename,surname,middle_names,"
                                               "date_of_birth,gender,phone,address,town,postcode.")],
    force: Annotated[str | None, typer.Option("--force", help="Force code (default: the only force).")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Where to write refused rows (default: FILE.rejects.csv).")]
    = None,
) -> None:
    """Load people from a legacy system. Good rows load; refused rows go to a reject file with the reason."""
    _import_for_force(file, force, rejects, "people")


@import_app.command("offences")
def import_offences_command(
    file: Annotated[Path, typer.Argument(help="CSV with the headers of the shipped catalogue: code,offence,"
                                               "legislation,ho_class,da_related,category,harm_weight,harm_source,"
                                               "harm_note (and optionally active).")],
    rejects: Annotated[Path | None, typer.Option(help="Where to write refused rows (default: FILE.rejects.csv).")]
    = None,
) -> None:
    """Replace the offence catalogue, shared by every force, from a CSV (runs as the database owner)."""
    from safeguard.db.session import session_scope
    from safeguard.imports.csvfiles import CsvShapeError, Rejected, write_rejects
    from safeguard.imports.offences import COLUMNS, OffenceImportReport, import_offences

    if not file.is_file():
        err.print(f"[red]There is no file at {file}.[/red]")
        raise typer.Exit(2)

    async def run() -> tuple[OffenceImportReport, Rejected]:
        async with session_scope(_urls().admin) as db:
            return await import_offences(db, file.read_bytes(), filename=file.name, imported_by="command line")

    try:
        report, rejected = asyncio.run(run())
    except (CsvShapeError, ValueError) as exc:
        err.print(f"[red]Nothing was imported. {exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"Added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                  f"refused {report.rejected}.")
    if report.kept_official:
        console.print(f"Kept the official harm weight of {len(report.kept_official)} offences the file gave only "
                      f"an estimate for: {', '.join(report.kept_official)}.")
    if len(report.sources) > 1:
        console.print(f"[yellow]The catalogue now mixes harm weights from {' and '.join(report.sources)}, which are on "
                      "different scales: import one official table for every offence.[/yellow]")
    console.print(f"The file did not mention {len(report.not_mentioned)} codes already in the catalogue; they are "
                  "kept as they are (set active to 'no' in a row to retire one)"
                  + (f": {', '.join(report.not_mentioned)}." if report.not_mentioned else "."))
    if rejected:
        reject_path = rejects or file.with_name(file.stem + ".rejects.csv")
        write_rejects(reject_path, COLUMNS, rejected)
        console.print(f"Refused rows, each with its line number and reason: {reject_path}")


@import_app.command("crimes")
def import_crimes_command(
    file: Annotated[Path, typer.Argument(help="CSV with headers source_ref,incident_reference,occurred_at,da_related,"
                                               "offence_codes,victim_source_refs,suspect_source_refs.")],
    force: Annotated[str | None, typer.Option("--force", help="Force code (default: the only force).")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Where to write refused rows (default: FILE.rejects.csv).")]
    = None,
) -> None:
    """Load crimes from a legacy system, after its people. Refused rows go to a reject file with the reason."""
    _import_for_force(file, force, rejects, "crimes")
