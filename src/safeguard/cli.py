"""The `safeguard` command."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich.console import Console

from safeguard.config import get_settings

app = typer.Typer(help="Safeguard: a police force's domestic abuse response.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for machine integrations.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")

console = Console()
err = Console(stderr=True)


def _urls():  # type: ignore[no-untyped-def]
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
    """Check the audit trail's hash chain and name the first broken row."""
    from safeguard.audit.verify import verify_chain

    result = verify_chain(_urls().admin)
    if result.ok:
        console.print(f"Audit chain intact: {result.checked} events checked.")
        return
    err.print(f"[red]Audit chain broken at event {result.first_broken_id}: {result.reason}[/red]")
    raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    get_settings()
    app()
