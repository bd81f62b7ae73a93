"""Protective orders for the demo force: a DVPO, a non-molestation order with an exclusion zone at the victim's
address, and bail conditions, each binding a suspect of a recorded DA crime and protecting its victim.

Run after the demo crimes are seeded (`safeguard.demo.add_demo_crimes`); safe to run again (it adds nothing
once the demo orders exist). Synthetic data only.
"""

from __future__ import annotations

import psycopg

from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE

DEMO_ORDERS_SQL = """
WITH force_row AS (SELECT id FROM force WHERE code = %(force)s),
pairs AS (
    -- The most recent DA crimes with one visible suspect and one visible victim who has a current address.
    SELECT DISTINCT ON (c.id) c.id AS crime_id, c.force_id, s.person_id AS subject_id, v.person_id AS victim_id,
           (SELECT pa.location_id FROM person_address pa JOIN location l ON l.id = pa.location_id
            WHERE pa.person_id = v.person_id AND pa.to_date IS NULL AND NOT l.restricted
            ORDER BY pa.from_date DESC NULLS LAST LIMIT 1) AS home_id,
           c.recorded_at
    FROM crime c
    JOIN suspect s ON s.crime_id = c.id
    JOIN crime_person v ON v.crime_id = c.id AND v.role = 'victim'
    JOIN person sp ON sp.id = s.person_id AND NOT sp.restricted AND sp.merged_into_id IS NULL
    JOIN person vp ON vp.id = v.person_id AND NOT vp.restricted AND vp.merged_into_id IS NULL
    WHERE c.force_id = (SELECT id FROM force_row) AND c.da_related AND s.person_id <> v.person_id
    ORDER BY c.id, s.id, v.id
), chosen AS (
    SELECT p.*, row_number() OVER (ORDER BY p.recorded_at DESC, p.crime_id DESC) AS n
    FROM pairs p WHERE p.home_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM protective_order o WHERE o.force_id = p.force_id AND o.recorded_by = 'demo seed')
), plan AS (
    SELECT c.*, nextval(pg_get_serial_sequence('protective_order', 'id')) AS order_id,
           (ARRAY['dvpo', 'non-molestation', 'bail-conditions'])[c.n] AS kind,
           (ARRAY[interval '5 days', interval '60 days', interval '10 days'])[c.n] AS age,
           (ARRAY[interval '23 days', interval '305 days', interval '80 days'])[c.n] AS remaining
    FROM chosen c WHERE c.n <= 3
), orders AS (
    INSERT INTO protective_order (id, force_id, reference, kind, subject_id, status, starts_at, expires_at,
                                  served_at, authorised_by, court, no_contact, conditions, crime_id, recorded_by)
    SELECT order_id, force_id, 'PO-' || extract(year FROM now())::int || '-' || lpad(order_id::text, 6, '0'), kind,
           subject_id, 'active', date_trunc('hour', now() - age), date_trunc('hour', now() + remaining),
           date_trunc('hour', now() - age) + interval '3 hours',
           CASE kind WHEN 'bail-conditions' THEN 'Sgt 2231 Demo Custody (Sergeant)' ELSE 'District Judge (demo)' END,
           CASE kind WHEN 'dvpo' THEN 'Northfield Magistrates'' Court'
                     WHEN 'non-molestation' THEN 'Northfield Family Court' END,
           kind <> 'bail-conditions',
           CASE kind WHEN 'bail-conditions'
                THEN 'Not to contact the victim directly or indirectly; not to enter the street where she lives; '
                     'to live and sleep at his home address'
                WHEN 'dvpo' THEN 'Not to molest the victim; not to enter the home or come within 100 metres of it'
           END,
           crime_id, 'demo seed'
    FROM plan RETURNING id
), protected AS (
    INSERT INTO protective_order_person (force_id, order_id, person_id)
    SELECT force_id, order_id, victim_id FROM plan RETURNING id
)
INSERT INTO protective_order_zone (force_id, order_id, location_id, radius_m, description)
SELECT force_id, order_id, home_id, 100, 'The victim''s home' FROM plan WHERE kind IN ('non-molestation', 'dvpo')
"""


def seed_demo_orders(admin_url: str) -> None:
    """Add the demo force's protective orders (idempotent)."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        conn.execute(DEMO_ORDERS_SQL, {"force": DEMO_FORCE_CODE})
