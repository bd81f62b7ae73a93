"""Alembic, driven from code: `safeguard db upgrade|downgrade|current` and the test fixtures use this."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config

from safeguard.config import PROJECT_ROOT, get_settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(admin_url: str, *, app_role: str | None = None, stdout: TextIO | None = None) -> Config:
    script_location = MIGRATIONS if MIGRATIONS.exists() else PROJECT_ROOT / "migrations"
    cfg = Config(stdout=stdout) if stdout is not None else Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["admin_url"] = admin_url
    cfg.attributes["app_role"] = app_role or get_settings().safeguard_app_role
    return cfg


def upgrade(admin_url: str, revision: str = "head", *, app_role: str | None = None) -> None:
    command.upgrade(alembic_config(admin_url, app_role=app_role), revision)


def downgrade(admin_url: str, revision: str = "-1", *, app_role: str | None = None) -> None:
    command.downgrade(alembic_config(admin_url, app_role=app_role), revision)


def current(admin_url: str) -> str:
    buffer = io.StringIO()
    command.current(alembic_config(admin_url, stdout=buffer))
    return buffer.getvalue().strip()
