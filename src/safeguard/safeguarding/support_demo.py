"""Support services for the demo force: a few fictional local services (one for men, one for LGBT+ people),
safe-contact preferences on some of the seeded DA victims, and referrals in each state. Synthetic data only:
phone numbers are from Ofcom's drama ranges and web addresses are on example domains.

`seed_demo_support(admin_url)` may be run any number of times: it adds only what is not there yet.
"""

from __future__ import annotations

import psycopg

from safeguard.db.engine import psycopg_dsn
from safeguard.demo import DEMO_FORCE_CODE

DEMO_SERVICES_SQL = """
INSERT INTO support_service (force_id, code, name, scope, description, eligibility, groups, phone, text_number,
                             email, website, hours, referral_route, accepts_police_referrals, area, checked_on,
                             active)
SELECT f.id, v.code, v.name, 'local', v.description, v.eligibility, v.groups::jsonb, v.phone, v.text_number,
       v.email, v.website, v.hours, v.referral_route, v.accepts, 'Demo Constabulary area',
       CASE WHEN v.checked THEN current_date - 30 END, true
FROM force f CROSS JOIN (VALUES
    ('demo-idva', 'Demo Independent Domestic Violence Advisers (IDVA) Service',
     'Independent advocacy for victims at high risk of serious harm: safety planning, court support and '
     'representation at MARAC.', 'Victims of domestic abuse aged 16 and over assessed as high risk, of any gender',
     '["women", "men", "lgbt", "any"]', '01632 960100', NULL, 'referrals@idva.demo.example',
     'https://idva.demo.example', 'Weekdays 9am to 5pm', 'Police referral form by secure email', true, true),
    ('demo-mens-project', 'Northgate Men''s Domestic Abuse Project',
     'Casework, a weekly support group and help with housing for men experiencing abuse from a partner or family '
     'member.', 'Men aged 18 and over living in the force area', '["men"]', '01632 960200', NULL,
     'hello@northgate-men.demo.example', 'https://northgate-men.demo.example', 'Weekdays 10am to 6pm',
     'Police or self-referral by phone or email', true, true),
    ('demo-lgbt-advocacy', 'Rainbow Safe LGBT+ Advocacy (demo)',
     'Specialist advocacy for LGBT+ people experiencing domestic abuse, including abuse from family members.',
     'Lesbian, gay, bisexual, trans and queer people in the force area', '["lgbt"]', '01632 960300',
     '07700 900300', NULL, 'https://rainbowsafe.demo.example', 'Monday to Saturday 9am to 8pm',
     'Police referral by phone; self-referral by text', true, false),
    ('demo-older-outreach', 'Elder Safe Outreach (demo)',
     'Home visits and telephone befriending for older people experiencing abuse from partners or family.',
     'People aged 60 and over', '["older-people"]', '01632 960400', NULL, NULL,
     'https://eldersafe.demo.example', 'Weekdays 9am to 4pm', 'Self-referral by phone only', false, true)
) AS v(code, name, description, eligibility, groups, phone, text_number, email, website, hours, referral_route,
       accepts, checked)
WHERE f.code = %(force)s
ON CONFLICT (force_id, code) DO NOTHING
"""

# The demo force's most frequent DA victims (not restricted, not merged), by gender, for safe contact and
# referrals.
VICTIMS_SQL = """
CREATE TEMP TABLE demo_support_victims ON COMMIT DROP AS
SELECT p.id AS person_id, p.force_id, p.gender,
       row_number() OVER (PARTITION BY p.gender ORDER BY count(*) DESC, p.id) AS rank_in_gender,
       row_number() OVER (ORDER BY count(*) DESC, p.id) AS rank_overall
FROM incident_person ip JOIN incident i ON i.id = ip.incident_id JOIN person p ON p.id = ip.person_id
JOIN force f ON f.id = p.force_id
WHERE f.code = %(force)s AND i.da_related AND ip.role = 'victim' AND NOT p.restricted AND p.merged_into_id IS NULL
GROUP BY p.id, p.force_id, p.gender
"""

SAFE_CONTACT_SQL = """
INSERT INTO safe_contact (force_id, person_id, safe_number, safe_times, no_voicemail, no_text_messages,
                          no_letters_home, third_party_name, third_party_number, third_party_relationship,
                          only_through_third_party, notes, updated_at, updated_by)
SELECT v.force_id, v.person_id, '+4477009005' || lpad(v.rank_overall::text, 2, '0'),
       CASE v.rank_overall % 3 WHEN 1 THEN 'Weekdays 10am to 2pm, while the ex-partner is at work'
                               WHEN 2 THEN 'Evenings after 7pm only' ELSE 'Any time' END,
       true, v.rank_overall % 3 = 1, v.rank_overall % 2 = 1,
       CASE WHEN v.rank_overall % 3 = 2 THEN 'Jo Adeyemi' END,
       CASE WHEN v.rank_overall % 3 = 2 THEN '+447700900599' END,
       CASE WHEN v.rank_overall % 3 = 2 THEN 'sister' END,
       false, 'Recorded for the demo', now() - interval '5 days', 'demo seed'
FROM demo_support_victims v
WHERE v.rank_overall <= 5
ON CONFLICT (person_id) DO NOTHING
"""

REFERRALS_SQL = """
WITH f AS (SELECT id FROM force WHERE code = %(force)s),
chosen AS (
    SELECT v.force_id, v.person_id, s.id AS service_id, c.status, c.reason, d.days
    FROM (VALUES
        ('male', 1, 'demo-mens-project', 'accepted', 'Wants casework and the weekly group'),
        ('female', 1, 'demo-idva', 'made', 'High-risk DASH: needs an IDVA before the MARAC'),
        ('male', 2, 'demo-idva', 'made', 'High-risk DASH after repeat incidents'),
        ('female', 2, 'demo-lgbt-advocacy', 'withdrawn', 'Asked for specialist LGBT+ support')
    ) AS c(gender, rank_in_gender, code, status, reason)
    CROSS JOIN LATERAL (SELECT CASE c.status WHEN 'made' THEN 1 ELSE 6 END AS days) d(days)
    JOIN demo_support_victims v ON v.gender = c.gender AND v.rank_in_gender = c.rank_in_gender
    JOIN support_service s ON s.force_id = v.force_id AND s.code = c.code
    WHERE NOT EXISTS (SELECT 1 FROM support_referral r WHERE r.force_id = (SELECT id FROM f)
                                                          AND r.made_by = 'demo seed')
)
INSERT INTO support_referral (force_id, person_id, service_id, status, reason, consent_given, consent_method,
                              consent_at, consent_recorded_by, made_at, made_by, decided_at, decided_by,
                              decision_note, history)
SELECT force_id, person_id, service_id, status, reason, true, 'verbal',
       now() - make_interval(days => days, hours => 1), 'demo seed', now() - make_interval(days => days),
       'demo seed',
       CASE WHEN status <> 'made' THEN now() - make_interval(days => days - 2) END,
       CASE WHEN status <> 'made' THEN 'demo seed' END,
       CASE status WHEN 'accepted' THEN 'Caseworker assigned' WHEN 'withdrawn' THEN 'Victim chose the IDVA instead'
       END,
       jsonb_build_array(jsonb_build_object('at', now() - make_interval(days => days), 'by', 'demo seed',
                                            'from', NULL, 'to', 'made',
                                            'note', 'Consent: verbal, recorded by demo seed'))
       || CASE WHEN status <> 'made' THEN jsonb_build_array(jsonb_build_object(
              'at', now() - make_interval(days => days - 2), 'by', 'demo seed', 'from', 'made', 'to', status,
              'note', CASE status WHEN 'accepted' THEN 'Caseworker assigned'
                                  ELSE 'Victim chose the IDVA instead' END))
          ELSE '[]'::jsonb END
FROM chosen
"""


def seed_demo_support(admin_url: str) -> None:
    """Add the demo force's local support services, some safe-contact preferences and referrals. Idempotent."""
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        params = {"force": DEMO_FORCE_CODE}
        conn.execute(DEMO_SERVICES_SQL, params)
        conn.execute(VICTIMS_SQL, params)
        conn.execute(SAFE_CONTACT_SQL)  # no parameters: its % is SQL's modulo
        conn.execute(REFERRALS_SQL, params)
