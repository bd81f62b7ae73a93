"""The TOTP second factor (RFC 6238), as authenticator apps implement it."""

from __future__ import annotations

import time

import pyotp
import segno

ISSUER = "Safeguard"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, force_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username} ({force_name})", issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as an inline SVG (no script, no inline style, so the CSP allows it)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#0b0c0c", light="#ffffff"))


def accepted_step(secret: str, code: str, *, last_step: int | None, now: float | None = None) -> int | None:
    """The time-step the code belongs to if it is valid and not a replay, else None.

    One step either side is allowed for clock drift.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    for step in (current, current - 1, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * totp.interval), code):
            return step
    return None


def current_code(secret: str, now: float | None = None) -> str:
    return pyotp.TOTP(secret).at(time.time() if now is None else now)
