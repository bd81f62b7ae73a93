"""`safeguard audit verify`: walk the chain and name the first row that does not hold."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from safeguard.db.engine import psycopg_dsn

GENESIS = "0" * 64


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


def verify_chain(admin_url: str, batch: int = 10_000) -> VerifyResult:
    """Recompute every hash in id order. Needs a role that sees every force's rows (the owner)."""
    expected_prev = GENESIS
    expected_id = 1
    checked = 0
    with psycopg.connect(psycopg_dsn(admin_url)) as conn, conn.cursor(name="audit_verify") as cur:
        cur.itersize = batch
        cur.execute(
            "SELECT e.id, e.prev_hash, e.hash, audit_event_digest(e.prev_hash, e) FROM audit_event e ORDER BY e.id"
        )
        for event_id, prev_hash, stored_hash, recomputed in cur:
            if event_id != expected_id:
                return VerifyResult(False, checked, expected_id, f"event {expected_id} is missing")
            if prev_hash != expected_prev:
                return VerifyResult(False, checked, event_id, "its previous-hash does not match the event before it")
            if recomputed != stored_hash:
                return VerifyResult(False, checked, event_id, "its content does not match its hash")
            expected_prev = stored_hash
            expected_id += 1
            checked += 1
        with conn.cursor() as head_cur:
            head_cur.execute("SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1")
            head = head_cur.fetchone()
    if head is not None and (head[0] != expected_id - 1 or head[1] != expected_prev):
        return VerifyResult(False, checked, expected_id if head[0] >= expected_id else head[0],
                            "the newest events have been removed" if head[0] >= expected_id
                            else "the chain head does not match the last event")
    return VerifyResult(True, checked)
