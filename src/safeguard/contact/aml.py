"""Advanced Mobile Location (AML) messages: a strict, pure parser and normaliser (DOMAIN.md §4).

Three forms arrive:

* SMS version 1 (ETSI TS 103 625, Google "ELS V1"): ``A"ML=1;lt=..;lg=..;rd=..;top=..;lc=..;pm=..;si=..;
  ei=..;mcc=..;mnc=..;ml=..``.
* SMS version 2 (Google "ELS Beta"): ``A"ML=2;en=..;et=..;lo=lat,lon,acc;lt=..;lc=..;ls=..;ei=..;nc=..;hc=..;
  lg=..``. ``lt`` and ``lg`` change meaning: in v2 ``lt`` is the fix time in seconds relative to ``et`` and
  ``lg`` is the handset's languages, so the parser branches on the header version before reading them.
* The HTTPS variant: form-encoded ``location_latitude``, ``location_longitude``, ``location_accuracy``,
  ``location_confidence`` (a 0-1 fraction), ``time``/``location_time`` (milliseconds), ``location_source``,
  ``device_imei``, ``device_number``, ``emergency_number``, ``v`` and more.

Everything is normalised to one shape (`AmlMessage`): degrees, metres, confidence in percent, times as
aware UTC datetimes, and one method vocabulary (gnss, wifi, cell, fused, none, unknown). A message with no
position (``rd=N``, ``pm=N`` or latitude and longitude both zero) is a valid message with ``has_fix`` False.

Anything else raises `AmlError` with a reason that says exactly what is wrong; nothing else is ever raised.
No maintained AML parser exists on PyPI (only an empty ``aml`` placeholder and unrelated anti-money-laundering
packages), so this one is written here, strictly, against the published formats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

HEADER = 'A"ML'
SMS_METHODS = {"G": "gnss", "W": "wifi", "C": "cell", "F": "fused", "N": "none", "U": "unknown"}
HTTPS_SOURCES = {"gps": "gnss", "gnss": "gnss", "wifi": "wifi", "cell": "cell", "fused": "fused",
                 "network": "cell", "none": "none", "unknown": "unknown"}
METHOD_CODES = {method: code for code, method in SMS_METHODS.items()}

# Times a handset could truthfully report: AML began in 2014; nothing is accepted from before 2000 or after 2100.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_RADIUS_M = 1_000_000.0
# How far the declared ml may be from the real length. ETSI says equal, but the published worked examples are
# not: Google's "location computed" example is 127 characters with ml=126, and aml-lib's vector is 126 with
# ml=128. Refusing those would quarantine real callers' positions over a miscount, while a message cut short
# loses or shortens the ml pair at its end and is still caught. A force can make it strict (0) in its settings.
DEFAULT_LENGTH_TOLERANCE = 2
_EARLIEST_MS = int(EARLIEST.timestamp()) * 1000
_LATEST_MS = int(LATEST.timestamp()) * 1000

_DECIMAL = re.compile(r"[+-]?\d{1,3}(?:\.\d{1,12})?", re.ASCII)
_NUMBER = re.compile(r"\d{1,7}(?:\.\d{1,6})?", re.ASCII)
_SIGNED_NUMBER = re.compile(r"[+-]?\d{1,7}(?:\.\d{1,6})?", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_IMEI = re.compile(r"\d{14,16}", re.ASCII)
_TOP = re.compile(r"\d{14}", re.ASCII)
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*", re.ASCII)


class AmlError(ValueError):
    """The message cannot be used. `reason` says exactly why, in words fit for the quarantine page."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class AmlMessage:
    transport: str  # sms or https
    version: str
    has_fix: bool
    latitude: float | None
    longitude: float | None
    radius_m: float | None
    confidence_pct: float | None
    method: str  # gnss, wifi, cell, fused, none, unknown
    fixed_at: datetime  # UTC: when the handset got the fix (or, with no fix, when it reported)
    imei: str
    imsi: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    emergency_number: str | None = None
    call_started_at: datetime | None = None  # v2 et, HTTPS time
    device_number: str | None = None  # HTTPS only, as the handset gave it
    languages: tuple[str, ...] = field(default_factory=tuple)
    declared_length: int | None = None


# -- SMS ---------------------------------------------------------------------------------------------

def split_pairs(text: str) -> list[tuple[str, str]]:
    """Split on ';', then on the first '=', trimming each part. Empty parts (a trailing ';') are skipped."""
    pairs = []
    for number, part in enumerate(text.split(";"), start=1):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise AmlError(f"Part {number} ('{_clip(part)}') has no '=': the message is not key=value pairs")
        pairs.append((key.strip(), value.strip()))
    return pairs


def parse_sms(text: str, *, length_tolerance: int = DEFAULT_LENGTH_TOLERANCE) -> AmlMessage:
    """Parse an AML SMS body (version 1 or 2). `length_tolerance` is how many characters the declared `ml`
    may differ from the real length (see DEFAULT_LENGTH_TOLERANCE; 0 is the strict ETSI rule)."""
    if not isinstance(text, str):
        raise AmlError("The message is not text")
    message = text.strip()
    if not message:
        raise AmlError("The message is empty")
    pairs = split_pairs(message)
    if not pairs or pairs[0][0] != HEADER:
        raise AmlError(f'Missing header: an AML message starts with {HEADER}=1 or {HEADER}=2', "A\"ML")
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise AmlError(f"'{_clip(key)}' appears twice", key)
        values[key] = value
    version = values[HEADER]
    if version not in ("1", "2"):
        raise AmlError(f"Unknown version {HEADER}={_clip(version)}: only versions 1 and 2 are understood", HEADER)
    declared = _check_length(message, values, required=version == "1", tolerance=length_tolerance)
    if version == "1":
        return _sms_v1(values, declared)
    return _sms_v2(values, declared)


def _check_length(message: str, values: Mapping[str, str], *, required: bool, tolerance: int) -> int | None:
    raw = values.get("ml")
    if raw is None:
        if required:
            raise AmlError("No message length (ml): the message may have been cut short", "ml")
        return None
    if not _DIGITS.fullmatch(raw) or len(raw) > 4:
        raise AmlError(f"The message length ml={_clip(raw)} is not a whole number", "ml")
    declared = int(raw)
    if abs(declared - len(message)) > tolerance:
        raise AmlError(f"Message length mismatch: ml={declared} but the message is {len(message)} characters "
                       "(it may have been cut short or altered)", "ml")
    return declared


def _sms_v1(values: Mapping[str, str], declared: int | None) -> AmlMessage:
    latitude = _degrees(values, "lt", 90.0, "latitude")
    longitude = _degrees(values, "lg", 180.0, "longitude")
    raw_rd = _required(values, "rd", "radius")
    radius = None if raw_rd.upper() == "N" else _non_negative(raw_rd, "rd", "radius")
    fixed_at = _top(_required(values, "top", "time of positioning"))
    confidence = _percent(values.get("lc"), "lc")
    method = _sms_method(values.get("pm"), "pm")
    imei = _imei(values.get("ei"), "ei")
    has_fix = not (radius is None or method == "none" or (latitude == 0.0 and longitude == 0.0))
    return AmlMessage(
        transport="sms", version="1", has_fix=has_fix,
        latitude=latitude if has_fix else None, longitude=longitude if has_fix else None,
        radius_m=radius if has_fix else None, confidence_pct=confidence if has_fix else None,
        method=method if has_fix or method in ("none", "unknown") else "none", fixed_at=fixed_at, imei=imei,
        imsi=_optional_digits(values.get("si"), "si", 5, 15), mcc=_optional_digits(values.get("mcc"), "mcc", 3, 3),
        mnc=_optional_digits(values.get("mnc"), "mnc", 2, 3), declared_length=declared)


def _sms_v2(values: Mapping[str, str], declared: int | None) -> AmlMessage:
    call_started = _epoch(_required(values, "et", "emergency call time"), "et", scale=1)
    raw_lt = values.get("lt")
    if raw_lt is None or raw_lt == "":
        fixed_at = call_started
    else:
        if not _SIGNED_NUMBER.fullmatch(raw_lt):
            raise AmlError(f"lt={_clip(raw_lt)} is not a number of seconds (in version 2, lt is the fix time "
                           "relative to et, not a latitude)", "lt")
        fixed_at = call_started + timedelta(seconds=float(raw_lt))
        if not EARLIEST <= fixed_at < LATEST:
            raise AmlError(f"lt={_clip(raw_lt)} puts the fix outside the years 2000-2099", "lt")
    latitude = longitude = radius = None
    raw_lo = values.get("lo")
    if raw_lo:
        parts = [p.strip() for p in raw_lo.split(",")]
        if len(parts) != 3:
            raise AmlError(f"lo={_clip(raw_lo)} is not latitude,longitude,accuracy", "lo")
        latitude = _degree_value(parts[0], "lo", 90.0, "latitude")
        longitude = _degree_value(parts[1], "lo", 180.0, "longitude")
        accuracy = _non_negative(parts[2], "lo", "accuracy")
        radius = accuracy if accuracy > 0 else None  # accuracy 0 means unknown
    method = _sms_method(values.get("ls"), "ls")
    has_fix = latitude is not None and longitude is not None and method != "none" \
        and not (latitude == 0.0 and longitude == 0.0)
    network = _optional_digits(values.get("nc"), "nc", 5, 6)
    return AmlMessage(
        transport="sms", version="2", has_fix=has_fix,
        latitude=latitude if has_fix else None, longitude=longitude if has_fix else None,
        radius_m=radius if has_fix else None,
        confidence_pct=_percent(values.get("lc"), "lc") if has_fix else None,
        method=method if has_fix or method in ("none", "unknown") else "none", fixed_at=fixed_at,
        imei=_imei(values.get("ei"), "ei"),
        mcc=network[:3] if network else None, mnc=network[3:] if network else None,
        emergency_number=_optional_digits(values.get("en"), "en", 2, 10), call_started_at=call_started,
        languages=_languages(values.get("lg")), declared_length=declared)


# -- HTTPS -------------------------------------------------------------------------------------------

def parse_https(fields: Mapping[str, str]) -> AmlMessage:
    """Normalise the HTTPS form. Every field is optional in Google's rules, but a fix is usable only with an
    IMEI (to tell handsets apart) and a time; position fields, when given, must be well formed."""
    def get(key: str) -> str | None:
        value = fields.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    imei = _imei(get("device_imei"), "device_imei")
    call_started = _epoch(get("time"), "time", scale=1000) if get("time") else None
    location_time = _epoch(get("location_time"), "location_time", scale=1000) if get("location_time") else None
    fixed_at = location_time or call_started
    if fixed_at is None:
        raise AmlError("No time: give location_time or time, in milliseconds since 1970", "time")
    raw_lat, raw_lon = get("location_latitude"), get("location_longitude")
    if (raw_lat is None) != (raw_lon is None):
        missing = "location_longitude" if raw_lon is None else "location_latitude"
        raise AmlError(f"{missing} is missing while the other coordinate is given", missing)
    latitude = _degree_value(raw_lat, "location_latitude", 90.0, "latitude") if raw_lat else None
    longitude = _degree_value(raw_lon, "location_longitude", 180.0, "longitude") if raw_lon else None
    raw_accuracy = get("location_accuracy")
    radius = _non_negative(raw_accuracy, "location_accuracy", "accuracy") if raw_accuracy else None
    confidence = None
    raw_confidence = get("location_confidence")
    if raw_confidence is not None:
        if not _NUMBER.fullmatch(raw_confidence) or float(raw_confidence) > 1.0:
            raise AmlError(f"location_confidence={_clip(raw_confidence)} is not a fraction from 0 to 1 (the HTTPS "
                           "form gives confidence as a fraction, not a percentage)", "location_confidence")
        confidence = round(float(raw_confidence) * 100, 4)
    source = (get("location_source") or "unknown").lower()
    method = HTTPS_SOURCES.get(source, "unknown")
    has_fix = latitude is not None and longitude is not None and not (latitude == 0.0 and longitude == 0.0)
    number = get("emergency_number")
    return AmlMessage(
        transport="https", version=_clip(get("v") or "1")[:5], has_fix=has_fix,
        latitude=latitude if has_fix else None, longitude=longitude if has_fix else None,
        radius_m=radius if has_fix else None, confidence_pct=confidence if has_fix else None,
        method=method if has_fix else "none", fixed_at=fixed_at, imei=imei,
        imsi=get("device_imsi"), mcc=get("cell_network_mcc"), mnc=get("cell_network_mnc"),
        emergency_number=number if number and _DIGITS.fullmatch(number) and len(number) <= 10 else None,
        call_started_at=call_started, device_number=get("device_number"),
        languages=tuple(t for t in (get("device_languages") or "").split(",") if _LANGUAGE.fullmatch(t.strip())))


# -- Rendering (the demo and the property tests build messages with these) ---------------------------------

def render_sms_v1(*, latitude: float | None, longitude: float | None, radius_m: int | None, fixed_at: datetime,
                  confidence_pct: int, method: str, imei: str, imsi: str = "234159000000000", mcc: str = "234",
                  mnc: str = "15") -> str:
    """A version 1 message with the right ml. No position: pass latitude and longitude None."""
    if latitude is None or longitude is None:
        lt, lg, rd = "+00.00000", "+000.00000", "N"
    else:
        lt, lg, rd = f"{latitude:+09.5f}", f"{longitude:+010.5f}", str(radius_m)
    body = (f'{HEADER}=1;lt={lt};lg={lg};rd={rd};top={fixed_at.astimezone(UTC):%Y%m%d%H%M%S};'
            f"lc={confidence_pct};pm={METHOD_CODES[method]};si={imsi};ei={imei};mcc={mcc};mnc={mnc};ml=")
    return with_length(body)


def render_sms_v2(*, latitude: float, longitude: float, accuracy_m: float, call_started_at: datetime,
                  fix_offset_s: int, confidence_pct: int, method: str, imei: str, emergency_number: str = "999",
                  network: str = "23415", languages: str = "en-GB") -> str:
    body = (f"{HEADER}=2;en={emergency_number};et={int(call_started_at.timestamp())};"
            f"lo={latitude:.5f},{longitude:.5f},{accuracy_m:.1f};lt={fix_offset_s};lc={confidence_pct};"
            f"ls={METHOD_CODES[method]};ei={imei};nc={network};hc={network};lg={languages};ml=")
    return with_length(body)


def with_length(body_ending_in_ml: str) -> str:
    """Append the length to a message ending in 'ml=': the length counts its own digits."""
    for digits in range(1, 5):
        total = len(body_ending_in_ml) + digits
        if len(str(total)) == digits:
            return body_ending_in_ml + str(total)
    raise ValueError("message too long")  # pragma: no cover - AML messages are about 130 characters


# -- Field readers -----------------------------------------------------------------------------------

def _clip(value: str, limit: int = 40) -> str:
    value = "".join(ch if ch.isprintable() else "?" for ch in value)
    return value if len(value) <= limit else value[:limit] + "..."


def _required(values: Mapping[str, str], key: str, what: str) -> str:
    value = values.get(key)
    if value is None or value == "":
        raise AmlError(f"No {what} ({key})", key)
    return value


def _degrees(values: Mapping[str, str], key: str, limit: float, what: str) -> float:
    return _degree_value(_required(values, key, what), key, limit, what)


def _degree_value(raw: str, key: str, limit: float, what: str) -> float:
    if not _DECIMAL.fullmatch(raw):
        raise AmlError(f"{key}={_clip(raw)} is not a {what} in decimal degrees", key)
    value = float(raw)
    if not -limit <= value <= limit:
        raise AmlError(f"{key}={_clip(raw)} is out of range: a {what} is from -{limit:g} to {limit:g}", key)
    return value


def _non_negative(raw: str, key: str, what: str) -> float:
    if not _NUMBER.fullmatch(raw):
        raise AmlError(f"{key}: {what} '{_clip(raw)}' is not a number of metres of 0 or more", key)
    value = float(raw)
    if value > MAX_RADIUS_M:
        raise AmlError(f"{key}: {what} {_clip(raw)} m is beyond {MAX_RADIUS_M:g} m", key)
    return value


def _percent(raw: str | None, key: str) -> float | None:
    if raw is None or raw == "":
        return None
    if not _NUMBER.fullmatch(raw) or float(raw) > 100:
        raise AmlError(f"{key}={_clip(raw)} is not a confidence percentage from 0 to 100", key)
    return float(raw)


def _sms_method(raw: str | None, key: str) -> str:
    if raw is None or raw == "":
        return "unknown"
    method = SMS_METHODS.get(raw.upper())
    if method is None:
        raise AmlError(f"{key}={_clip(raw)} is not a positioning method (G, W, C, F, N or U)", key)
    return method


def _imei(raw: str | None, key: str) -> str:
    if raw is None or raw == "":
        raise AmlError(f"No IMEI ({key}): a fix cannot be told apart from another handset's without it", key)
    if not _IMEI.fullmatch(raw):
        raise AmlError(f"{key}={_clip(raw)} is not an IMEI (14 to 16 digits)", key)
    return raw


def _optional_digits(raw: str | None, key: str, shortest: int, longest: int) -> str | None:
    if raw is None or raw == "":
        return None
    if not _DIGITS.fullmatch(raw) or not shortest <= len(raw) <= longest:
        raise AmlError(f"{key}={_clip(raw)} is not {shortest} to {longest} digits", key)
    return raw


def _top(raw: str) -> datetime:
    if not _TOP.fullmatch(raw):
        raise AmlError(f"top={_clip(raw)} is not a time as yyyyMMddHHmmss (UTC)", "top")
    try:
        when = datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise AmlError(f"top={raw} is not a real date and time", "top") from None
    if not EARLIEST <= when < LATEST:
        raise AmlError(f"top={raw} is outside the years 2000-2099", "top")
    return when


def _epoch(raw: str | None, key: str, *, scale: int) -> datetime:
    unit = "seconds" if scale == 1 else "milliseconds"
    if raw is None or not _DIGITS.fullmatch(raw) or len(raw) > 16:
        raise AmlError(f"{key}={_clip(raw or '')} is not a whole number of {unit} since 1970", key)
    millis = int(raw) * (1000 // scale)
    if not _EARLIEST_MS <= millis < _LATEST_MS:
        hint = ""
        if scale == 1000 and _EARLIEST_MS <= int(raw) * 1000 < _LATEST_MS:
            hint = " (it looks like seconds)"
        elif scale == 1 and _EARLIEST_MS <= int(raw) < _LATEST_MS:
            hint = " (it looks like milliseconds)"
        raise AmlError(f"{key}={raw} is not a time in {unit} since 1970 within the years 2000-2099{hint}", key)
    return datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=millis)


def _languages(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(tag.strip() for tag in raw.split(",") if _LANGUAGE.fullmatch(tag.strip()))
