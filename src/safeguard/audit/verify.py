"""`safeguard audit verify`: walk every chain and name the first row that does not hold."""

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
    chains: int = 0  # how many chains hold events


@dataclass
class _Tip:
    """Where a chain has got to in the walk: its last position, and that event's id and hash."""
    seq: int = 0
    event_id: int = 0
    hash: str = GENESIS


def verify_chain(admin_url: str, batch: int = 10_000) -> VerifyResult:
    """Recompute every hash, in id order (which within each chain is chain order), following each chain from
    its first position to its head. Needs a role that sees every force's rows (the owner)."""
    tips: dict[int, _Tip] = {}
    checked = 0
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        # One snapshot for the walk and the heads, so events committed meanwhile do not look removed.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor(name="audit_verify") as cur:
            cur.itersize = batch
            cur.execute("SELECT e.id, e.chain, e.chain_seq, e.prev_hash, e.hash, audit_event_digest(e.prev_hash, e) "
                        "FROM audit_event e ORDER BY e.id")
            for event_id, chain, position, prev_hash, stored_hash, recomputed in cur:
                tip = tips.setdefault(chain, _Tip())
                if position > tip.seq + 1:
                    missing = (f"position {tip.seq + 1}" if position == tip.seq + 2
                               else f"positions {tip.seq + 1} to {position - 1}")
                    return VerifyResult(False, checked, event_id,
                                        f"the event before it in chain {chain} ({missing}) is missing",
                                        len(tips))
                if position <= tip.seq:
                    return VerifyResult(False, checked, event_id,
                                        f"it is out of place in chain {chain} (position {position} after "
                                        f"position {tip.seq})", len(tips))
                if prev_hash != tip.hash:
                    return VerifyResult(False, checked, event_id,
                                        "its previous-hash does not match the event before it", len(tips))
                if recomputed != stored_hash:
                    return VerifyResult(False, checked, event_id, "its content does not match its hash", len(tips))
                tip.seq, tip.event_id, tip.hash = position, event_id, stored_hash
                checked += 1
        heads = {chain: (last_seq, last_id, last_hash) for chain, last_seq, last_id, last_hash in conn.execute(
            "SELECT id, last_seq, last_id, last_hash FROM audit_chain_head")}
        conn.rollback()
    chains = sum(1 for tip in tips.values() if tip.seq)
    for chain in sorted(set(heads) | set(tips)):
        tip = tips.get(chain, _Tip())
        last_seq, last_id, last_hash = heads.get(chain, (None, None, None))
        if last_seq is None:
            return VerifyResult(False, checked, tip.event_id, f"chain {chain} has no head", chains)
        if last_seq > tip.seq:
            return VerifyResult(False, checked, last_id,
                                f"the newest events of chain {chain} have been removed (its head is at position "
                                f"{last_seq}, its events end at {tip.seq})", chains)
        if (last_seq, last_id, last_hash) != (tip.seq, tip.event_id if tip.seq else last_id, tip.hash):
            return VerifyResult(False, checked, tip.event_id or last_id,
                                f"chain {chain}'s head does not match its last event", chains)
    return VerifyResult(True, checked, chains=chains)
