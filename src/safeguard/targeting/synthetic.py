"""Crimes for a synthetic force's DA incidents, so the harm ranking has gravity to work with.

The synthetic-force generator writes incidents but no crimes. This adds one DA crime to every DA incident
that has a suspect and no crime yet (so running it twice adds nothing): its offence is picked from the
catalogue's DA offences by the incident's id, its victims and witnesses and suspects are the incident's, and
every third suspect (by person id) is wanted. For the benchmark and tests; fictional data only.
"""

from __future__ import annotations

import psycopg

from safeguard.db.engine import psycopg_dsn

ADD_CRIMES_SQL = """
WITH force_row AS (SELECT id FROM force WHERE code = %(force)s),
offences AS (
    SELECT array_agg(id ORDER BY code) AS ids FROM offence WHERE da_related AND active
),
chosen AS (
    SELECT i.id AS incident_id, i.force_id, i.occurred_at, i.area_id, i.location_id,
           nextval(pg_get_serial_sequence('crime', 'id')) AS crime_id,
           offences.ids[1 + (i.id %% cardinality(offences.ids))] AS offence_id
    FROM incident i CROSS JOIN offences
    WHERE i.force_id = (SELECT id FROM force_row) AND i.da_related
      AND EXISTS (SELECT 1 FROM incident_person ip WHERE ip.incident_id = i.id AND ip.role = 'suspect')
      AND NOT EXISTS (SELECT 1 FROM crime c WHERE c.incident_id = i.id)
), crimes AS (
    INSERT INTO crime (id, force_id, reference, incident_id, occurred_at, recorded_at, recorded_by, da_related,
                       status, area_id, location_id)
    SELECT crime_id, force_id, 'CR-H-' || lpad(crime_id::text, 8, '0'), incident_id, occurred_at,
           occurred_at + interval '2 hours', 'synthetic crimes', true, 'under-investigation', area_id, location_id
    FROM chosen RETURNING id
), crime_offences AS (
    INSERT INTO crime_offence (force_id, crime_id, offence_id, principal)
    SELECT force_id, crime_id, offence_id, true FROM chosen
    RETURNING id
), people AS (
    INSERT INTO crime_person (force_id, crime_id, person_id, role)
    SELECT DISTINCT c.force_id, c.crime_id, ip.person_id, ip.role
    FROM chosen c JOIN incident_person ip ON ip.incident_id = c.incident_id WHERE ip.role IN ('victim', 'witness')
    RETURNING id
)
INSERT INTO suspect (force_id, crime_id, person_id, status, status_since, wanted_since, circulated)
SELECT DISTINCT ON (c.crime_id, ip.person_id) c.force_id, c.crime_id, ip.person_id,
       CASE WHEN ip.person_id %% 3 = 0 THEN 'wanted' ELSE 'outstanding' END, c.occurred_at + interval '2 hours',
       CASE WHEN ip.person_id %% 3 = 0 THEN c.occurred_at + interval '1 day' END, ip.person_id %% 3 = 0
FROM chosen c JOIN incident_person ip ON ip.incident_id = c.incident_id WHERE ip.role = 'suspect'
"""


# Inputs of the other flags, also only once: a DASH for the victim of every 7th DA incident (its level from the
# incident's id, so a victim's latest assessment is sometimes high and sometimes not), and an active order
# (or, one time in four, an expired one) on the suspect of every 25th.
ADD_FLAG_INPUTS_SQL = """
WITH force_row AS (SELECT id FROM force WHERE code = %(force)s),
dash AS (
    INSERT INTO risk_assessment (force_id, reference, victim_id, incident_id, form, answers, score, suggested_level,
                                 final_level, marac_routes, assessed_at, assessed_by)
    SELECT i.force_id, 'RA-H-' || ip.id, ip.person_id, i.id, 'DASH-27', '{}'::jsonb, (i.id %% 24)::smallint,
           (ARRAY['standard', 'medium', 'high'])[1 + i.id %% 3], (ARRAY['standard', 'medium', 'high'])[1 + i.id %% 3],
           '[]'::jsonb, i.occurred_at + interval '3 hours', 'synthetic DASH'
    FROM incident i JOIN incident_person ip ON ip.incident_id = i.id AND ip.role = 'victim'
    WHERE i.force_id = (SELECT id FROM force_row) AND i.da_related AND i.id %% 7 = 0
      AND NOT EXISTS (SELECT 1 FROM risk_assessment r WHERE r.force_id = i.force_id)
    RETURNING id
)
INSERT INTO protective_order (force_id, reference, kind, subject_id, status, starts_at, recorded_by)
SELECT DISTINCT ON (ip.person_id) i.force_id, 'PO-H-' || ip.id, 'dapo', ip.person_id,
       CASE WHEN i.id %% 4 = 0 THEN 'expired' ELSE 'active' END, i.occurred_at + interval '2 days', 'synthetic orders'
FROM incident i JOIN incident_person ip ON ip.incident_id = i.id AND ip.role = 'suspect'
WHERE i.force_id = (SELECT id FROM force_row) AND i.da_related AND i.id %% 25 = 0
  AND NOT EXISTS (SELECT 1 FROM protective_order o WHERE o.force_id = i.force_id)
"""


def add_flag_inputs(admin_url: str, force_code: str) -> None:
    """DASH assessments and protective orders for the force, once (as the owner)."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        conn.execute(ADD_FLAG_INPUTS_SQL, {"force": force_code})


def add_crimes(admin_url: str, force_code: str) -> int:
    """Add the crimes (as the owner, in one transaction); returns how many suspects were added."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        added = conn.execute(ADD_CRIMES_SQL, {"force": force_code}).rowcount
        conn.execute("ANALYZE crime; ANALYZE crime_offence; ANALYZE crime_person; ANALYZE suspect")
    return max(added, 0)
