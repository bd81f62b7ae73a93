"""The AML parser: the published worked examples, precise refusals, and properties (DOMAIN.md §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.contact.aml import (
    DEFAULT_LENGTH_TOLERANCE,
    AmlError,
    parse_https,
    parse_sms,
    render_sms_v1,
    render_sms_v2,
    with_length,
)

# DOMAIN.md §4.2, from Google's ELS specification.
LOCATED = ('A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;si=234159000000000;'
           'ei=123456789012345;mcc=234;mnc=15;ml=126')
NO_POSITION = ('A"ML=1;lt=+00.00000;lg=+000.00000;rd=N;top=20220131173734;lc=0;pm=N;si=234159000000000;'
               'ei=123456789012345;mcc=234;mnc=15;ml=127')
# DOMAIN.md §4.2, "other published test vectors" (aml-lib).
FRENCH = ('A"ML=1;lt=48.82639;lg=-2.36619;rd=52;top=20191112112928;lc=68;pm=G;si=208201771948415;'
          'ei=353472104343540;mcc=208;mnc=20;ml=128')


def test_the_located_uk_example_parses_to_the_values_stated() -> None:
    m = parse_sms(LOCATED)
    assert (m.transport, m.version, m.has_fix) == ("sms", "1", True)
    assert (m.latitude, m.longitude, m.radius_m, m.confidence_pct, m.method) == (51.53321, -0.12601, 14.0, 68.0,
                                                                                "wifi")
    assert m.fixed_at == datetime(2022, 1, 31, 17, 17, 48, tzinfo=UTC)
    assert (m.imei, m.imsi, m.mcc, m.mnc, m.declared_length) == ("123456789012345", "234159000000000", "234", "15",
                                                                 126)


def test_the_no_position_example_is_a_valid_message_without_a_fix() -> None:
    m = parse_sms(NO_POSITION, length_tolerance=0)  # this one's ml is exact
    assert m.has_fix is False
    assert (m.latitude, m.longitude, m.radius_m, m.confidence_pct, m.method) == (None, None, None, None, "none")
    assert m.fixed_at == datetime(2022, 1, 31, 17, 37, 34, tzinfo=UTC)
    assert m.imei == "123456789012345"


def test_the_aml_lib_vector_parses() -> None:
    m = parse_sms(FRENCH)
    assert (m.latitude, m.longitude, m.radius_m, m.method, m.mcc, m.mnc) == (48.82639, -2.36619, 52.0, "gnss",
                                                                             "208", "20")
    assert m.fixed_at == datetime(2019, 11, 12, 11, 29, 28, tzinfo=UTC)


def test_the_published_examples_miscount_their_length_and_strict_mode_says_so() -> None:
    """Google's located example is 127 characters with ml=126; aml-lib's is 126 with ml=128. The default
    tolerance accepts them; the strict ETSI rule (a force setting of 0) refuses them with the numbers."""
    assert DEFAULT_LENGTH_TOLERANCE == 2
    with pytest.raises(AmlError) as refused:
        parse_sms(LOCATED, length_tolerance=0)
    assert refused.value.reason == ("Message length mismatch: ml=126 but the message is 127 characters "
                                    "(it may have been cut short or altered)")
    assert refused.value.field == "ml"
    with pytest.raises(AmlError, match="ml=128 but the message is 126 characters"):
        parse_sms(FRENCH, length_tolerance=0)


def test_a_message_cut_short_is_refused() -> None:
    with pytest.raises(AmlError, match="No message length"):
        parse_sms(LOCATED[: LOCATED.index(";ml=")])
    with pytest.raises(AmlError, match="ml=12 but the message is 126 characters"):
        parse_sms(LOCATED[:-1])


@pytest.mark.parametrize(("text", "reason"), [
    ("", "The message is empty"),
    ("lt=+51.53321;lg=-0.12601;ml=25", 'Missing header: an AML message starts with A"ML=1 or A"ML=2'),
    ('A"ML=3;lt=1;ml=14', 'Unknown version A"ML=3: only versions 1 and 2 are understood'),
    ('A"ML=1;lt=+91.00000;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;ei=123456789012345;ml=86',
     "lt=+91.00000 is out of range: a latitude is from -90 to 90"),
    ('A"ML=1;lt=+51.00000;lg=-180.12601;rd=14;top=20220131171748;lc=68;pm=W;ei=123456789012345;ml=88',
     "lg=-180.12601 is out of range: a longitude is from -180 to 180"),
    ('A"ML=1;lt=nan;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;ei=123456789012345;ml=76',
     "lt=nan is not a latitude in decimal degrees"),
    ('A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20221331171748;lc=68;pm=W;ei=123456789012345;ml=86',
     "top=20221331171748 is not a real date and time"),
    ('A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=2022-01-31;lc=68;pm=W;ei=123456789012345;ml=82',
     "top=2022-01-31 is not a time as yyyyMMddHHmmss (UTC)"),
    ('A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;ml=64',
     "No IMEI (ei): a fix cannot be told apart from another handset's without it"),
    ('A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=Z;ei=123456789012345;ml=86',
     "pm=Z is not a positioning method (G, W, C, F, N or U)"),
    ('A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=680;pm=W;ei=123456789012345;ml=87',
     "lc=680 is not a confidence percentage from 0 to 100"),
    ('A"ML=1;lt=+51.53321;lt=+51.53321;ml=40', "'lt' appears twice"),
    ('A"ML=1;garbage;ml=20', "Part 2 ('garbage') has no '=': the message is not key=value pairs"),
])
def test_refusals_name_the_reason(text: str, reason: str) -> None:
    if "ml=" in text:  # make the length right, so that the refusal is about the field under test
        text = with_length(text[: text.rindex("ml=") + 3])
    with pytest.raises(AmlError) as refused:
        parse_sms(text)
    assert refused.value.reason == reason


def test_split_trims_and_ignores_unknown_keys() -> None:
    text = with_length('A"ML=1 ; lt = +51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;'
                       'xx=anything=at all;ei=123456789012345;ml=')
    m = parse_sms(text)
    assert (m.latitude, m.longitude, m.imei) == (51.53321, -0.12601, "123456789012345")


def test_version_2_reads_lt_as_seconds_after_et_and_lg_as_languages() -> None:
    text = with_length('A"ML=2;en=999;et=1593187189;lo=37.42175,-122.08461,20.1;lt=-3;lc=68;ls=F;'
                       'ei=355458061005220;nc=310260;hc=310260;lg=en-US,es-419;ml=')
    m = parse_sms(text)
    assert m.version == "2" and m.has_fix
    assert (m.latitude, m.longitude, m.radius_m, m.method) == (37.42175, -122.08461, 20.1, "fused")
    assert m.call_started_at == datetime.fromtimestamp(1593187189, UTC)
    assert m.fixed_at == datetime.fromtimestamp(1593187189 - 3, UTC)
    assert m.languages == ("en-US", "es-419")
    assert (m.mcc, m.mnc, m.emergency_number) == ("310", "260", "999")


def test_version_2_accuracy_zero_means_unknown_and_a_latitude_in_lt_is_refused() -> None:
    base = 'A"ML=2;en=112;et=1593187189;lo=51.5,-0.1,0;lc=68;ls=G;ei=355458061005220;'
    assert parse_sms(with_length(base + "ml=")).radius_m is None
    with pytest.raises(AmlError, match="in version 2, lt is the fix time relative to et, not a latitude"):
        parse_sms(with_length(base + "lt=+51.53321x;ml="))


def test_version_2_et_in_milliseconds_is_caught() -> None:
    with pytest.raises(AmlError, match=r"et=1593187189000 .*\(it looks like milliseconds\)"):
        parse_sms(with_length('A"ML=2;et=1593187189000;ei=355458061005220;ml='))


def test_https_normalises_units() -> None:
    m = parse_https({"v": "3", "emergency_number": "999", "time": "1438101600123", "location_time": "1438101605123",
                     "location_latitude": "52.4862", "location_longitude": "-1.8904", "location_accuracy": "20",
                     "location_confidence": "0.6827", "location_source": "gps", "device_imei": "353472104343540",
                     "device_number": "+447700900123", "location_floor": "ground"})
    assert (m.transport, m.version, m.has_fix, m.method) == ("https", "3", True, "gnss")
    assert m.confidence_pct == pytest.approx(68.27)
    assert m.fixed_at == datetime(2015, 7, 28, 16, 40, 5, 123000, tzinfo=UTC)
    assert m.call_started_at == datetime(2015, 7, 28, 16, 40, 0, 123000, tzinfo=UTC)
    assert (m.latitude, m.longitude, m.radius_m, m.device_number) == (52.4862, -1.8904, 20.0, "+447700900123")


@pytest.mark.parametrize(("fields", "reason"), [
    ({"time": "1438101600123"}, "No IMEI (device_imei): a fix cannot be told apart from another handset's without it"),
    ({"device_imei": "353472104343540"}, "No time: give location_time or time, in milliseconds since 1970"),
    ({"device_imei": "353472104343540", "time": "1438101600"},
     "time=1438101600 is not a time in milliseconds since 1970 within the years 2000-2099 (it looks like seconds)"),
    ({"device_imei": "353472104343540", "time": "1438101600123", "location_latitude": "52.1",
      "location_longitude": "-1.9", "location_confidence": "68"},
     "location_confidence=68 is not a fraction from 0 to 1 (the HTTPS form gives confidence as a fraction, "
     "not a percentage)"),
    ({"device_imei": "353472104343540", "time": "1438101600123", "location_latitude": "52.1"},
     "location_longitude is missing while the other coordinate is given"),
])
def test_https_refusals(fields: dict[str, str], reason: str) -> None:
    with pytest.raises(AmlError) as refused:
        parse_https(fields)
    assert refused.value.reason == reason


def test_https_without_a_position_is_valid_without_a_fix() -> None:
    m = parse_https({"device_imei": "353472104343540", "time": "1438101600123"})
    assert m.has_fix is False and m.latitude is None and m.method == "none"
    assert m.fixed_at == datetime(2015, 7, 28, 16, 40, 0, 123000, tzinfo=UTC)


# -- Properties ----------------------------------------------------------------------------------------

imeis = st.from_regex(r"[0-9]{15}", fullmatch=True)
times = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)) \
    .map(lambda d: d.replace(microsecond=0))
latitudes = st.integers(-9_000_000, 9_000_000).map(lambda n: n / 100_000)
longitudes = st.integers(-18_000_000, 18_000_000).map(lambda n: n / 100_000)
methods = st.sampled_from(["gnss", "wifi", "cell", "fused"])


@settings(max_examples=200)
@given(latitudes, longitudes, st.integers(1, 5000), times, st.integers(1, 100), methods, imeis)
def test_v1_round_trips(lat: float, lon: float, rd: int, when: datetime, lc: int, method: str, imei: str) -> None:
    text = render_sms_v1(latitude=lat, longitude=lon, radius_m=rd, fixed_at=when, confidence_pct=lc, method=method,
                         imei=imei)
    m = parse_sms(text, length_tolerance=0)
    assert m.declared_length == len(text)
    if lat == 0.0 and lon == 0.0:
        assert not m.has_fix
        return
    assert m.has_fix
    assert (m.latitude, m.longitude, m.radius_m, m.confidence_pct) == (lat, lon, float(rd), float(lc))
    assert (m.fixed_at, m.method, m.imei, m.version) == (when, method, imei, "1")


@settings(max_examples=200)
@given(latitudes, longitudes, st.integers(1, 99999).map(lambda n: n / 10), times, st.integers(-600, 600),
       st.integers(0, 100), methods, imeis)
def test_v2_round_trips_with_lt_as_seconds(lat: float, lon: float, acc: float, started: datetime, offset: int,
                                           lc: int, method: str, imei: str) -> None:
    text = render_sms_v2(latitude=lat, longitude=lon, accuracy_m=acc, call_started_at=started, fix_offset_s=offset,
                         confidence_pct=lc, method=method, imei=imei, languages="en-GB,cy")
    m = parse_sms(text, length_tolerance=0)
    assert m.call_started_at == started
    assert m.fixed_at == started + timedelta(seconds=offset)  # lt is time, never latitude, in v2
    assert m.languages == ("en-GB", "cy")  # lg is languages, never longitude, in v2
    if lat == 0.0 and lon == 0.0:
        assert not m.has_fix
    else:
        assert (m.latitude, m.longitude, m.radius_m, m.method) == (lat, lon, acc, method)


@given(st.text(max_size=300))
def test_garbage_only_ever_raises_the_parsers_own_error(text: str) -> None:
    try:
        parse_sms(text)
    except AmlError:
        pass


@given(st.text(alphabet=st.sampled_from(list('A"ML=12;ltgrdopcmsieN+-.,0123456789 ')), max_size=200))
def test_near_miss_messages_only_raise_the_parsers_own_error(text: str) -> None:
    try:
        parse_sms('A"ML=1;' + text)
        parse_sms('A"ML=2;' + text)
    except AmlError:
        pass


@given(st.dictionaries(st.sampled_from(["v", "time", "location_time", "location_latitude", "location_longitude",
                                        "location_accuracy", "location_confidence", "location_source",
                                        "device_imei", "device_number", "emergency_number"]),
                       st.text(max_size=30)))
def test_https_garbage_only_raises_the_parsers_own_error(fields: dict[str, str]) -> None:
    try:
        parse_https(fields)
    except AmlError:
        pass


@given(st.integers(1_000_000_000_000, 4_000_000_000_000), imeis, st.integers(0, 10_000))
def test_https_confidence_fraction_becomes_percent_and_milliseconds_are_kept(millis: int, imei: str,
                                                                            basis_points: int) -> None:
    fraction = basis_points / 10_000
    m = parse_https({"time": str(millis), "device_imei": imei, "location_latitude": "52.5",
                     "location_longitude": "-1.9", "location_confidence": f"{fraction:.4f}"})
    assert m.fixed_at == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    assert m.confidence_pct == pytest.approx(fraction * 100)
    assert 0 <= (m.confidence_pct or 0) <= 100


def test_only_ascii_digits_count() -> None:
    with pytest.raises(AmlError, match="is not an IMEI"):
        parse_https({"device_imei": "٣٥٣٤٧٢١٠٤٣٤٣٥٤٠", "time": "1438101600123"})


@given(st.integers(978_307_200, 4_070_908_800), imeis)  # 2001-01-01 to 2099-01-01 in seconds
def test_https_seconds_are_never_taken_for_milliseconds(seconds: int, imei: str) -> None:
    with pytest.raises(AmlError, match=r"\(it looks like seconds\)"):
        parse_https({"time": str(seconds), "device_imei": imei})


@given(st.integers(0, 100), times, imeis)
def test_sms_confidence_is_a_percentage_as_given(lc: int, when: datetime, imei: str) -> None:
    text = render_sms_v1(latitude=52.5, longitude=-1.9, radius_m=10, fixed_at=when, confidence_pct=lc,
                         method="cell", imei=imei)
    assert parse_sms(text).confidence_pct == float(lc)
