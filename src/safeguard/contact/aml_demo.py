"""Demo data for AML: a few synthetic fixes and two quarantined messages for the demo force.

The newest open contact with a caller number (if the control-room demo has made one) gets a Wi-Fi fix and a
later GNSS fix from its handset; another handset's fix is held with no call yet, one no-position message is held,
and two malformed messages sit in the quarantine. Synthetic only (Ofcom drama numbers, made-up IMEIs). Idempotent:
nothing is added if the demo IMEIs are already there. Runs as the database owner, so row-level security does not
apply.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from safeguard.contact.aml import parse_sms, render_sms_v1
from safeguard.db.engine import psycopg_dsn

DEMO_IMEIS = ("356938035643809", "356938035643810", "356938035643811")
HELD_NUMBER = "+447700900461"
QUARANTINED = [
    ("sms", "+447700900462", 'A"ML=1;lt=+52.47891;lg=-001.90412;rd=20;top=2026',
     "No message length (ml): the message may have been cut short"),
    ("https", "+447700900463", "v=3&time=1764070000&device_imei=356938035643812&location_latitude=52.4",
     "time=1764070000 is not a time in milliseconds since 1970 within the years 2000-2099 (it looks like seconds)"),
]

INSERT_FIX = """
INSERT INTO aml_fix (force_id, contact_id, msisdn, imei, transport, version, has_fix, latitude, longitude, radius_m,
                     confidence_pct, method, fixed_at, received_at, emergency_number, raw)
VALUES (%s, %s, %s, %s, 'sms', '1', %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s)
ON CONFLICT ON CONSTRAINT uq_aml_fix_imei_time DO NOTHING
"""


def seed_demo_aml(admin_url: str, *, now: datetime | None = None) -> None:
    """Add the demo force's AML fixes and quarantined messages, unless already there."""
    from safeguard.demo import DEMO_FORCE_CODE  # here, so that demo.py may import this module

    now = (now or datetime.now(UTC)).replace(microsecond=0)
    with psycopg.connect(psycopg_dsn(admin_url)) as conn:
        row = conn.execute("SELECT id FROM force WHERE code = %s", (DEMO_FORCE_CODE,)).fetchone()
        if row is None:
            return
        force_id = int(row[0])
        if conn.execute("SELECT 1 FROM aml_fix WHERE force_id = %s AND imei = ANY(%s)",
                        (force_id, list(DEMO_IMEIS))).fetchone():
            return
        contact = conn.execute(
            "SELECT id, caller_number, received_at FROM contact WHERE force_id = %s AND status = 'open' "
            "AND caller_number IS NOT NULL ORDER BY received_at DESC LIMIT 1", (force_id,)).fetchone()
        plan: list[tuple[int | None, str, str, datetime, float | None, float | None, int | None, str]] = []
        if contact is not None:
            on_call, number, received_at = int(contact[0]), str(contact[1]), contact[2]
            plan += [(on_call, number, DEMO_IMEIS[0], received_at + timedelta(seconds=18), 52.47932, -1.90187, 38,
                      "wifi"),
                     (on_call, number, DEMO_IMEIS[0], received_at + timedelta(seconds=46), 52.47918, -1.90163, 9,
                      "gnss")]
        plan += [(None, HELD_NUMBER, DEMO_IMEIS[1], now - timedelta(minutes=4), 52.50514, -1.96271, 12, "gnss"),
                 (None, HELD_NUMBER, DEMO_IMEIS[2], now - timedelta(minutes=3), None, None, None, "none")]
        for contact_id, number, imei, fixed_at, lat, lon, radius, method in plan:
            raw = render_sms_v1(latitude=lat, longitude=lon, radius_m=radius, fixed_at=fixed_at,
                                confidence_pct=68 if lat is not None else 0, method=method, imei=imei)
            fix = parse_sms(raw, length_tolerance=0)
            conn.execute(INSERT_FIX, (force_id, contact_id, number, imei, fix.has_fix, fix.latitude, fix.longitude,
                                      fix.radius_m, fix.confidence_pct, fix.method, fix.fixed_at,
                                      fixed_at + timedelta(seconds=4), raw))
        for transport, msisdn, raw, reason in QUARANTINED:
            conn.execute("INSERT INTO aml_quarantine (force_id, transport, msisdn, raw, reason, received_at) "
                         "VALUES (%s, %s, %s, %s, %s, %s)", (force_id, transport, msisdn, raw, reason,
                                                             now - timedelta(minutes=30)))
