from __future__ import annotations

import pyotp

from safeguard.auth import totp

NOW = 1_790_000_000.0


def test_current_code_is_accepted_once() -> None:
    secret = totp.new_secret()
    code = totp.current_code(secret, NOW)
    step = totp.accepted_step(secret, code, last_step=None, now=NOW)
    assert step == int(NOW // 30)
    # The same code again is a replay.
    assert totp.accepted_step(secret, code, last_step=step, now=NOW) is None


def test_one_step_of_clock_drift_is_allowed_but_not_two() -> None:
    secret = totp.new_secret()
    assert totp.accepted_step(secret, totp.current_code(secret, NOW - 30), last_step=None, now=NOW) is not None
    assert totp.accepted_step(secret, totp.current_code(secret, NOW + 30), last_step=None, now=NOW) is not None
    assert totp.accepted_step(secret, totp.current_code(secret, NOW - 90), last_step=None, now=NOW) is None


def test_malformed_codes_are_refused() -> None:
    secret = totp.new_secret()
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert totp.accepted_step(secret, code, last_step=None, now=NOW) is None


def test_spaces_in_a_code_are_tolerated() -> None:
    secret = totp.new_secret()
    code = totp.current_code(secret, NOW)
    assert totp.accepted_step(secret, f"{code[:3]} {code[3:]}", last_step=None, now=NOW) is not None


def test_provisioning_uri_and_qr_code() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "handler", "Demo Constabulary")
    assert pyotp.parse_uri(uri).secret == secret
    assert "issuer=Safeguard" in uri
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
