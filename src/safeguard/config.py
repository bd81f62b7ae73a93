"""Typed settings, read from the environment when asked for, never at import time."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # Which environment: "demo", "development", "test" or "production".
    safeguard_env: str = Field(default="development")
    # Where the embedded PostgreSQL keeps its data (ignored when DATABASE_URL is set).
    safeguard_data_dir: Path = Field(default=PROJECT_ROOT / "var" / "pgdata")
    # The application's own connection: a role that neither owns the tables nor is a superuser.
    database_url: str | None = None
    # The owner's connection, for migrations, seeding and audit verification.
    database_admin_url: str | None = None
    # The role the application connects as; migrations grant it its rights.
    safeguard_app_role: str = "safeguard_app"
    # The database name used on the embedded server.
    safeguard_db_name: str = "safeguard"
    # Signs CSRF tokens; must be set outside development, demo and test.
    safeguard_secret_key: str = DEV_SECRET
    # Sessions end after this many minutes without a request...
    safeguard_session_idle_minutes: int = 30
    # ...and after this many hours whatever happens.
    safeguard_session_absolute_hours: int = 10
    # Failed sign-in attempts (password or code) before an account is locked.
    safeguard_lockout_attempts: int = 5
    # Shortest password accepted.
    safeguard_password_min_length: int = 12
    # Largest request body accepted, in bytes.
    safeguard_max_body_bytes: int = 1_000_000
    # Cookies are only sent over HTTPS (switch off for plain-HTTP local use).
    safeguard_secure_cookies: bool = False
    # The force's name shown in the header when a user is not signed in.
    safeguard_force_name: str = "Demo Constabulary"
    # The public report and help pages (no sign-in): the code of the force whose control room receives online
    # reports and whose local services /help lists. Empty: the only force in the database, if there is one.
    safeguard_public_force: str = ""
    # Where "Exit this page" (and Shift pressed three times) goes: a neutral site that replaces the page in history.
    safeguard_public_exit_url: str = "https://www.bbc.co.uk/weather"
    # Online reports one client address may send, and form submissions it may make (valid or not), per window.
    # In the `limits` notation: "5/10 minutes", "20 per hour". One process: the counts are kept in memory.
    safeguard_public_report_limit: str = "5/10 minutes"
    safeguard_public_attempt_limit: str = "20/10 minutes"
    # Web server processes `safeguard serve` starts on one port (uvicorn workers). More than one uses more than
    # one core; each process keeps its own public-form rate-limit counts (put the limit at the proxy then).
    safeguard_workers: int = Field(default=1, ge=1, le=64)
    # Database connections each server process keeps open. A request that finds them all busy waits for one;
    # none is opened beyond them (db.session.web_sessionmaker says why). Each live board stream has a
    # connection of its own, outside this number.
    safeguard_db_pool_size: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.safeguard_env == "production" and self.safeguard_secret_key == DEV_SECRET:
            raise ValueError(
                "SAFEGUARD_SECRET_KEY must be set to a long random value in production "
                f"(for example: {secrets.token_urlsafe(8)}...)"
            )
        return self

    @field_validator("safeguard_public_report_limit", "safeguard_public_attempt_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a rate limit: write it like \"5/10 minutes\"") from exc
        return value

    @field_validator("safeguard_public_exit_url")
    @classmethod
    def _exit_url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("The quick-exit address must be an https:// address of a neutral site")
        return value

    @property
    def demo_mode(self) -> bool:
        return self.safeguard_env == "demo"

    @property
    def embedded(self) -> bool:
        return self.database_url is None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
