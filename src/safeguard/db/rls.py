"""Row-level security: the SQL that migrations apply to every force-owned table.

The application sets `app.force_id` (and `app.user_id`) for each transaction with `set_config(..., true)`.
The policy compares against it; when it is unset the comparison is NULL and no row is visible or
writable, so a forgotten context fails closed rather than open.
"""

from __future__ import annotations

CURRENT_FORCE = "NULLIF(current_setting('app.force_id', true), '')::bigint"


def force_policy_sql(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_force_isolation ON {table} "
        f"USING (force_id = {CURRENT_FORCE}) WITH CHECK (force_id = {CURRENT_FORCE})",
    ]


def drop_force_policy_sql(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS {table}_force_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]
