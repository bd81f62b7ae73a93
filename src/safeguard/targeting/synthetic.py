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


def add_crimes(admin_url: str, force_code: str) -> int:
    """Add the crimes (as the owner, in one transaction); returns how many suspects were added."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        added = conn.execute(ADD_CRIMES_SQL, {"force": force_code}).rowcount
        conn.execute("ANALYZE crime; ANALYZE crime_offence; ANALYZE crime_person; ANALYZE suspect")
    return max(added, 0)
