"""Audit trail: several hash chains side by side, so audited commits no longer queue behind one another

With one chain head, each audited transaction held the head's row lock from its first event until its commit
had flushed, so every audited commit waited for the flush of the one before it and PostgreSQL could not flush
them together (contact intake at 32 clients: 3.6 ms a contact waiting on that lock). Now the trigger takes the
first chain head no other transaction holds (`FOR UPDATE SKIP LOCKED`), keeps it for the rest of its
transaction, and only if all are held waits for one. Each chain is as before: positions without gaps, each
hash SHA-256(previous hash in the chain || the event's content), and a head that names its newest event.

Ids now come from a sequence, taken once the chain is held, so within a chain id order is chain order; ids of
rolled-back events are not reused, so ids have gaps and a removed event shows as a gap in its chain's
positions. The events so far become chain 1, positions equal to their ids.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINS = 32  # more than the connections that write at once in practice (2 workers' pools, the CLI, jobs)

CHAIN_TRIGGER = """CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
       SET search_path = public, pg_temp AS $$
    DECLARE
        head audit_chain_head%ROWTYPE;
        setting text := current_setting('safeguard.audit_chain', true);
        held int := CASE WHEN setting ~ '^[0-9]{1,4}$' THEN setting::int END;
    BEGIN
        -- The chain this transaction already holds: its events stay together and in order.
        IF held IS NOT NULL THEN
            SELECT * INTO head FROM audit_chain_head WHERE id = held FOR UPDATE;
        END IF;
        -- Otherwise the first chain no other transaction holds.
        IF head.id IS NULL THEN
            SELECT * INTO head FROM audit_chain_head ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;
        END IF;
        -- Every chain is held: wait for one, spreading the waiters.
        IF head.id IS NULL THEN
            SELECT * INTO head FROM audit_chain_head
                WHERE id = 1 + pg_backend_pid() % (SELECT count(*) FROM audit_chain_head) FOR UPDATE;
        END IF;
        -- Until the transaction (or the savepoint, with its lock) ends.
        PERFORM set_config('safeguard.audit_chain', head.id::text, true);
        NEW.id := nextval('audit_event_id_seq');
        NEW.chain := head.id;
        NEW.chain_seq := head.last_seq + 1;
        NEW.occurred_at := coalesce(NEW.occurred_at, now());
        NEW.prev_hash := head.last_hash;
        NEW.hash := audit_event_digest(head.last_hash, NEW);
        UPDATE audit_chain_head SET last_id = NEW.id, last_seq = NEW.chain_seq, last_hash = NEW.hash
            WHERE id = head.id;
        RETURN NEW;
    END $$"""

ONE_CHAIN_TRIGGER = """CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
       SET search_path = public, pg_temp AS $$
    DECLARE
        head audit_chain_head%ROWTYPE;
    BEGIN
        SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
        NEW.id := head.last_id + 1;
        NEW.occurred_at := coalesce(NEW.occurred_at, now());
        NEW.prev_hash := head.last_hash;
        NEW.hash := audit_event_digest(head.last_hash, NEW);
        UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.hash WHERE id = 1;
        RETURN NEW;
    END $$"""


def upgrade() -> None:
    op.execute("ALTER TABLE audit_event ADD COLUMN chain smallint NOT NULL DEFAULT 1")
    op.execute("ALTER TABLE audit_event ADD COLUMN chain_seq bigint")
    op.execute("UPDATE audit_event SET chain_seq = id")
    op.execute("ALTER TABLE audit_event ALTER COLUMN chain_seq SET NOT NULL")
    op.execute("ALTER TABLE audit_event ALTER COLUMN chain DROP DEFAULT")
    op.execute("CREATE UNIQUE INDEX ux_audit_event_chain_position ON audit_event (chain, chain_seq)")

    op.execute("ALTER TABLE audit_chain_head DROP CONSTRAINT IF EXISTS audit_chain_head_id_check")
    op.execute("ALTER TABLE audit_chain_head ADD COLUMN last_seq bigint")
    op.execute("UPDATE audit_chain_head SET last_seq = last_id")
    op.execute("ALTER TABLE audit_chain_head ALTER COLUMN last_seq SET NOT NULL")
    op.execute(f"ALTER TABLE audit_chain_head ADD CONSTRAINT audit_chain_head_id_check "
               f"CHECK (id BETWEEN 1 AND {CHAINS})")
    op.execute(f"INSERT INTO audit_chain_head (id, last_id, last_seq, last_hash) "
               f"SELECT n, 0, 0, repeat('0', 64) FROM generate_series(2, {CHAINS}) AS n")

    # Only the trigger (running as the owner) draws ids: the application role gets no use of the sequence.
    op.execute("CREATE SEQUENCE audit_event_id_seq AS bigint OWNED BY audit_event.id")
    op.execute("SELECT setval('audit_event_id_seq', greatest((SELECT max(id) FROM audit_event), 1), "
               "(SELECT max(id) FROM audit_event) IS NOT NULL)")
    op.execute("REVOKE ALL ON SEQUENCE audit_event_id_seq FROM PUBLIC")
    quoted_role = '"' + op.get_context().opts["app_role"].replace('"', '""') + '"'
    op.execute(f"REVOKE ALL ON SEQUENCE audit_event_id_seq FROM {quoted_role}")
    op.execute(CHAIN_TRIGGER)


def downgrade() -> None:
    # Only back to one chain if the trail is still one chain: merging chains would rewrite hashes.
    op.execute("""DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM audit_event WHERE chain <> 1 OR chain_seq <> id) THEN
                RAISE EXCEPTION 'the audit trail has more than one chain; it cannot be made one again';
            END IF;
        END $$""")
    op.execute(ONE_CHAIN_TRIGGER)
    op.execute("DROP SEQUENCE audit_event_id_seq")
    op.execute("DELETE FROM audit_chain_head WHERE id <> 1")
    op.execute("ALTER TABLE audit_chain_head DROP CONSTRAINT audit_chain_head_id_check")
    op.execute("ALTER TABLE audit_chain_head ADD CONSTRAINT audit_chain_head_id_check CHECK (id = 1)")
    op.execute("ALTER TABLE audit_chain_head DROP COLUMN last_seq")
    op.execute("DROP INDEX ux_audit_event_chain_position")
    op.execute("ALTER TABLE audit_event DROP COLUMN chain_seq")
    op.execute("ALTER TABLE audit_event DROP COLUMN chain")
