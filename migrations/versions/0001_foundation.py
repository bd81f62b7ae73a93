"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-25 07:00:52.098236
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from safeguard.db.rls import drop_force_policy_sql, force_policy_sql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FORCE_OWNED = [
    "area", "location", "person", "person_alias", "person_phone", "person_address", "relationship",
    "incident", "incident_person", "contact",
]

AUDIT_SQL = [
    # The chain head: the last id and hash. Only the owner (and so the trigger) can touch it.
    "CREATE TABLE audit_chain_head (id int PRIMARY KEY CHECK (id = 1), last_id bigint NOT NULL, "
    "last_hash char(64) NOT NULL)",
    "INSERT INTO audit_chain_head VALUES (1, 0, repeat('0', 64))",
    # The canonical content of a row, hashed with the previous row's hash.
    """CREATE FUNCTION audit_event_content(e audit_event) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_array(e.id, e.force_id,
            to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            e.actor_user_id, e.actor_label, e.action, e.object_type, e.object_id, e.client_addr,
            e.reason, e.details)::text
    $$""",
    """CREATE FUNCTION audit_event_digest(prev text, e audit_event) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT encode(sha256(convert_to(prev || audit_event_content(e), 'UTF8')), 'hex')
    $$""",
    # Runs as the owner, so it can read and move the chain head that the application cannot see.
    """CREATE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
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
    END $$""",
    "CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_chain()",
    "ALTER TABLE audit_event ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE audit_event FORCE ROW LEVEL SECURITY",
    "CREATE POLICY audit_event_read ON audit_event FOR SELECT "
    "USING (force_id = NULLIF(current_setting('app.force_id', true), '')::bigint)",
    # An event may belong to no force yet (a sign-in attempt with an unknown username).
    "CREATE POLICY audit_event_write ON audit_event FOR INSERT WITH CHECK "
    "(force_id IS NULL OR force_id = NULLIF(current_setting('app.force_id', true), '')::bigint)",
]


def _grants(role: str) -> list[str]:
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
        # Append-only: the application may add to the audit trail and read it, nothing more.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {quoted}",
        f"REVOKE ALL ON audit_chain_head FROM PUBLIC, {quoted}",
        f"REVOKE ALL ON alembic_version FROM {quoted}",
        f"GRANT SELECT ON alembic_version TO {quoted}",
    ]


def upgrade() -> None:
    for extension in ("pg_trgm", "fuzzystrmatch", "cube", "earthdistance"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.create_table('force',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_force')),
    sa.UniqueConstraint('code', name=op.f('uq_force_code'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', postgresql.ARRAY(sa.String(length=40)), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_api_token_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_token_prefix'))
    )
    op.create_index(op.f('ix_api_token_force_id'), 'api_token', ['force_id'], unique=False)
    op.create_table('area',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_area_force_id_force')),
    sa.ForeignKeyConstraint(['parent_id'], ['area.id'], name=op.f('fk_area_parent_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('force_id', 'code', name=op.f('uq_area_force_id'))
    )
    op.create_index(op.f('ix_area_force_id'), 'area', ['force_id'], unique=False)
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_user_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_label', sa.String(length=140), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('client_addr', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_audit_event_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    op.create_index(op.f('ix_audit_event_action'), 'audit_event', ['action'], unique=False)
    op.create_index(op.f('ix_audit_event_actor_user_id'), 'audit_event', ['actor_user_id'], unique=False)
    op.create_index(op.f('ix_audit_event_force_id'), 'audit_event', ['force_id'], unique=False)
    op.create_index('ix_audit_event_object', 'audit_event', ['object_type', 'object_id'], unique=False)
    op.create_table('person',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('forename', sa.String(length=100), nullable=False),
    sa.Column('middle_names', sa.String(length=200), nullable=True),
    sa.Column('surname', sa.String(length=100), nullable=False),
    sa.Column('dob_year', sa.SmallInteger(), nullable=True),
    sa.Column('dob_month', sa.SmallInteger(), nullable=True),
    sa.Column('dob_day', sa.SmallInteger(), nullable=True),
    sa.Column('gender', sa.String(length=12), server_default='unknown', nullable=False),
    sa.Column('restricted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("gender IN ('female', 'male', 'non-binary', 'unknown')", name=op.f('ck_person_gender_known')),
    sa.CheckConstraint('dob_day IS NULL OR dob_day BETWEEN 1 AND 31', name=op.f('ck_person_dob_day_range')),
    sa.CheckConstraint('dob_month IS NULL OR dob_month BETWEEN 1 AND 12', name=op.f('ck_person_dob_month_range')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_person_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    op.create_index(op.f('ix_person_force_id'), 'person', ['force_id'], unique=False)
    op.create_index(op.f('ix_person_surname'), 'person', ['surname'], unique=False)
    op.create_table('location',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=True),
    sa.Column('line1', sa.String(length=200), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=True),
    sa.Column('town', sa.String(length=100), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('uprn', sa.String(length=12), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('restricted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_location_area_id_area')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_location_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location'))
    )
    op.create_index(op.f('ix_location_area_id'), 'location', ['area_id'], unique=False)
    op.create_index(op.f('ix_location_force_id'), 'location', ['force_id'], unique=False)
    op.create_index(op.f('ix_location_postcode'), 'location', ['postcode'], unique=False)
    op.create_table('person_alias',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('forename', sa.String(length=100), nullable=False),
    sa.Column('surname', sa.String(length=100), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_person_alias_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_alias_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_alias'))
    )
    op.create_index(op.f('ix_person_alias_force_id'), 'person_alias', ['force_id'], unique=False)
    op.create_index(op.f('ix_person_alias_person_id'), 'person_alias', ['person_id'], unique=False)
    op.create_table('person_phone',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('number_e164', sa.String(length=20), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_person_phone_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_phone_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_phone'))
    )
    op.create_index(op.f('ix_person_phone_force_id'), 'person_phone', ['force_id'], unique=False)
    op.create_index(op.f('ix_person_phone_number_e164'), 'person_phone', ['number_e164'], unique=False)
    op.create_index(op.f('ix_person_phone_person_id'), 'person_phone', ['person_id'], unique=False)
    op.create_table('relationship',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_a_id', sa.BigInteger(), nullable=False),
    sa.Column('person_b_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=40), nullable=True),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("kind IN ('intimate_partner', 'ex_partner', 'family_member')", name=op.f('ck_relationship_kind_known')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_relationship_force_id_force')),
    sa.ForeignKeyConstraint(['person_a_id'], ['person.id'], name=op.f('fk_relationship_person_a_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_b_id'], ['person.id'], name=op.f('fk_relationship_person_b_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relationship'))
    )
    op.create_index(op.f('ix_relationship_force_id'), 'relationship', ['force_id'], unique=False)
    op.create_index(op.f('ix_relationship_person_a_id'), 'relationship', ['person_a_id'], unique=False)
    op.create_index(op.f('ix_relationship_person_b_id'), 'relationship', ['person_b_id'], unique=False)
    op.create_table('team',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("kind IN ('public_protection', 'operational_support', 'local_policing', 'control_room')", name=op.f('ck_team_kind_known')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_team_area_id_area')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_team_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('force_id', 'name', name=op.f('uq_team_force_id'))
    )
    op.create_index(op.f('ix_team_force_id'), 'team', ['force_id'], unique=False)
    op.create_table('app_user',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_enrolled', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_app_user_force_id_force')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_app_user_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_index(op.f('ix_app_user_force_id'), 'app_user', ['force_id'], unique=False)
    op.create_table('incident',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location_id', sa.BigInteger(), nullable=True),
    sa.Column('area_id', sa.BigInteger(), nullable=True),
    sa.Column('da_related', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_incident_area_id_area')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_incident_force_id_force')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_incident_location_id_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    op.create_index(op.f('ix_incident_area_id'), 'incident', ['area_id'], unique=False)
    op.create_index(op.f('ix_incident_force_id'), 'incident', ['force_id'], unique=False)
    op.create_index(op.f('ix_incident_location_id'), 'incident', ['location_id'], unique=False)
    op.create_index(op.f('ix_incident_occurred_at'), 'incident', ['occurred_at'], unique=False)
    op.create_index(op.f('ix_incident_reference'), 'incident', ['reference'], unique=False)
    op.create_table('person_address',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('location_id', sa.BigInteger(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_person_address_force_id_force')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_person_address_location_id_location')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_address_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_address'))
    )
    op.create_index(op.f('ix_person_address_force_id'), 'person_address', ['force_id'], unique=False)
    op.create_index(op.f('ix_person_address_location_id'), 'person_address', ['location_id'], unique=False)
    op.create_index(op.f('ix_person_address_person_id'), 'person_address', ['person_id'], unique=False)
    op.create_table('contact',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('caller_number', sa.String(length=20), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pressed_55', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('da_flag', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("channel IN ('999', '999-silent', '101', 'online', 'in-person')", name=op.f('ck_contact_channel_known')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_contact_force_id_force')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_contact_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact'))
    )
    op.create_index(op.f('ix_contact_caller_number'), 'contact', ['caller_number'], unique=False)
    op.create_index(op.f('ix_contact_force_id'), 'contact', ['force_id'], unique=False)
    op.create_index(op.f('ix_contact_incident_id'), 'contact', ['incident_id'], unique=False)
    op.create_index(op.f('ix_contact_received_at'), 'contact', ['received_at'], unique=False)
    op.create_table('incident_person',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("role IN ('victim', 'suspect', 'witness')", name=op.f('ck_incident_person_role_known')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_incident_person_force_id_force')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_person_incident_id_incident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_incident_person_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_person'))
    )
    op.create_index(op.f('ix_incident_person_force_id'), 'incident_person', ['force_id'], unique=False)
    op.create_index(op.f('ix_incident_person_incident_id'), 'incident_person', ['incident_id'], unique=False)
    op.create_index(op.f('ix_incident_person_person_id'), 'incident_person', ['person_id'], unique=False)
    op.create_table('user_session',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('mfa_passed', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_addr', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_session_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'], unique=False)
    for table in FORCE_OWNED:
        for statement in force_policy_sql(table):
            op.execute(statement)
    for statement in AUDIT_SQL:
        op.execute(statement)
    # The synthetic force's true identities live apart from the person records, for tests and
    # benchmarks only; the application's role has no rights on this schema.
    op.execute("CREATE SCHEMA IF NOT EXISTS synth")
    op.execute("CREATE TABLE synth.true_identity (person_id bigint PRIMARY KEY, identity_id bigint NOT NULL)")
    op.execute("CREATE INDEX ix_true_identity_identity ON synth.true_identity (identity_id)")
    for statement in _grants(op.get_context().opts["app_role"]):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS synth CASCADE")
    op.execute("DROP TRIGGER IF EXISTS audit_event_chain ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_chain()")
    op.execute("DROP FUNCTION IF EXISTS audit_event_digest(text, audit_event)")
    op.execute("DROP FUNCTION IF EXISTS audit_event_content(audit_event)")
    op.execute("DROP TABLE IF EXISTS audit_chain_head")
    for table in FORCE_OWNED:
        for statement in drop_force_policy_sql(table):
            op.execute(statement)
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_table('user_session')
    op.drop_index(op.f('ix_incident_person_person_id'), table_name='incident_person')
    op.drop_index(op.f('ix_incident_person_incident_id'), table_name='incident_person')
    op.drop_index(op.f('ix_incident_person_force_id'), table_name='incident_person')
    op.drop_table('incident_person')
    op.drop_index(op.f('ix_contact_received_at'), table_name='contact')
    op.drop_index(op.f('ix_contact_incident_id'), table_name='contact')
    op.drop_index(op.f('ix_contact_force_id'), table_name='contact')
    op.drop_index(op.f('ix_contact_caller_number'), table_name='contact')
    op.drop_table('contact')
    op.drop_index(op.f('ix_person_address_person_id'), table_name='person_address')
    op.drop_index(op.f('ix_person_address_location_id'), table_name='person_address')
    op.drop_index(op.f('ix_person_address_force_id'), table_name='person_address')
    op.drop_table('person_address')
    op.drop_index(op.f('ix_incident_reference'), table_name='incident')
    op.drop_index(op.f('ix_incident_occurred_at'), table_name='incident')
    op.drop_index(op.f('ix_incident_location_id'), table_name='incident')
    op.drop_index(op.f('ix_incident_force_id'), table_name='incident')
    op.drop_index(op.f('ix_incident_area_id'), table_name='incident')
    op.drop_table('incident')
    op.drop_index(op.f('ix_app_user_force_id'), table_name='app_user')
    op.drop_table('app_user')
    op.drop_index(op.f('ix_team_force_id'), table_name='team')
    op.drop_table('team')
    op.drop_index(op.f('ix_relationship_person_b_id'), table_name='relationship')
    op.drop_index(op.f('ix_relationship_person_a_id'), table_name='relationship')
    op.drop_index(op.f('ix_relationship_force_id'), table_name='relationship')
    op.drop_table('relationship')
    op.drop_index(op.f('ix_person_phone_person_id'), table_name='person_phone')
    op.drop_index(op.f('ix_person_phone_number_e164'), table_name='person_phone')
    op.drop_index(op.f('ix_person_phone_force_id'), table_name='person_phone')
    op.drop_table('person_phone')
    op.drop_index(op.f('ix_person_alias_person_id'), table_name='person_alias')
    op.drop_index(op.f('ix_person_alias_force_id'), table_name='person_alias')
    op.drop_table('person_alias')
    op.drop_index(op.f('ix_location_postcode'), table_name='location')
    op.drop_index(op.f('ix_location_force_id'), table_name='location')
    op.drop_index(op.f('ix_location_area_id'), table_name='location')
    op.drop_table('location')
    op.drop_index(op.f('ix_person_surname'), table_name='person')
    op.drop_index(op.f('ix_person_force_id'), table_name='person')
    op.drop_table('person')
    op.drop_index('ix_audit_event_object', table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_force_id'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_actor_user_id'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_action'), table_name='audit_event')
    op.drop_table('audit_event')
    op.drop_index(op.f('ix_area_force_id'), table_name='area')
    op.drop_table('area')
    op.drop_index(op.f('ix_api_token_force_id'), table_name='api_token')
    op.drop_table('api_token')
    op.drop_table('force')
