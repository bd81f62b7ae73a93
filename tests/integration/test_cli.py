"""The `safeguard` command, run as an operator would, against a database of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import psycopg

from safeguard.app import create_app
from safeguard.db.engine import psycopg_dsn
from safeguard.db.session import sessionmaker_for
from tests.conftest import DatabaseUnderTest, make_settings


def _run(db: DatabaseUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=db.app_url, DATABASE_ADMIN_URL=db.admin_url, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "safeguard", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def _add_force(db: DatabaseUnderTest, code: str = "CLI") -> None:
    with psycopg.connect(psycopg_dsn(db.admin_url)) as conn:
        conn.execute("INSERT INTO force (code, name) VALUES (%s, %s)", (code, f"{code} Police"))


def test_db_current_names_the_head(fresh_db: DatabaseUnderTest) -> None:
    result = _run(fresh_db, "db", "current")
    assert result.returncode == 0, result.stderr
    assert "(head)" in result.stdout


async def test_tokens_create_prints_the_token_last_and_it_works(fresh_db: DatabaseUnderTest) -> None:
    _add_force(fresh_db)
    result = _run(fresh_db, "tokens", "create", "--name", "telephony gateway", "--scope", "contacts:write",
                  "--scope", "contacts:read")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("sg_")
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        stored = conn.execute("SELECT token_hash, scopes FROM api_token").fetchall()
        assert len(stored) == 1 and token not in stored[0][0]
        assert sorted(stored[0][1]) == ["contacts:read", "contacts:write"]
        audit = conn.execute("SELECT action FROM audit_event").fetchall()
        assert ("token.created",) in audit
    sessionmaker = sessionmaker_for(fresh_db.app_url)
    app = create_app(make_settings(), sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        ok = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert ok.json()["permissions"] == ["contacts:read", "contacts:write"]
        refused = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token[:-2]}xx"})
        assert refused.status_code == 401
    await sessionmaker.kw["bind"].dispose()


def test_tokens_create_refuses_unknown_scopes_clearly(fresh_db: DatabaseUnderTest) -> None:
    _add_force(fresh_db)
    result = _run(fresh_db, "tokens", "create", "--name", "x", "--scope", "everything")
    assert result.returncode == 2
    assert "Unknown scope 'everything'" in result.stderr
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        assert conn.execute("SELECT count(*) FROM api_token").fetchone() == (0,)


def test_tokens_create_without_a_force_says_what_to_do(fresh_db: DatabaseUnderTest) -> None:
    result = _run(fresh_db, "tokens", "create", "--name", "x", "--scope", "aml:write")
    assert result.returncode == 2
    assert "make demo" in result.stderr


def test_audit_verify_reports_an_intact_chain(fresh_db: DatabaseUnderTest) -> None:
    _add_force(fresh_db)
    _run(fresh_db, "tokens", "create", "--name", "x", "--scope", "aml:write")
    result = _run(fresh_db, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "intact: 1 events checked" in result.stdout


def test_demo_seeds_on_the_first_run_only_and_prints_the_accounts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_ADMIN_URL")}
    env.update(SAFEGUARD_DATA_DIR=str(tmp_path / "pgdata"), COLUMNS="200")
    first = subprocess.run([sys.executable, "-m", "safeguard", "demo", "--no-serve"], capture_output=True,
                           text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "Seeded the demo force (first run)" in first.stdout
    # The demo has something to show every role: duplicate pairs, crimes with wanted suspects, markers, and
    # safeguarding records (assessments, MARAC referrals, orders), a harm ranking and operations.
    assert re.search(r"The linkage job queued [1-9][\d,]* possible duplicate pairs", first.stdout), first.stdout
    summary = re.search(r"holds ([\d,]+) person records, ([\d,]+) incidents, ([\d,]+) crimes \(([\d,]+) suspects "
                        r"wanted\), ([\d,]+) warning markers, ([\d,]+) DASH assessments, ([\d,]+) MARAC referrals"
                        r", ([\d,]+) active protective orders, ([\d,]+) perpetrators ranked by harm and ([\d,]+) "
                        r"targeted operations", " ".join(first.stdout.split()))
    assert summary and all(int(n.replace(",", "")) > 0 for n in summary.groups()), first.stdout
    assert "handler" in first.stdout and "Demo-Safeguard-2026!" in first.stdout
    secret = next(line.split("│")[4].strip() for line in first.stdout.splitlines() if "│ handler " in line)
    assert len(secret) == 32
    second = subprocess.run([sys.executable, "-m", "safeguard", "demo", "--no-serve"], capture_output=True,
                            text=True, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "already seeded; keeping its data" in second.stdout
    assert secret in second.stdout  # the same accounts, the same secrets
    # Every holder left, so the embedded server was stopped.
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
