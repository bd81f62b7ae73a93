"""Find the person records that are the same person, with Splink on DuckDB in this process.

`dedupe_csv` reads a person extract (see `COLUMNS`), scores candidate pairs of records with a Fellegi-Sunter
model trained without labels on the extract itself, links every pair at or above a match probability, and
writes one row per accepted record: its record id, the cluster (person) it belongs to and the strongest link
that put it there. The analyst's guide and the contract are in docs/linkage.md.

`score_records` runs the same model on records held in memory (the force's own people, read from the database
by `safeguard.people.linkjob`) and returns the linked pairs, each with its evidence in words, instead of
clusters. Both go through `_score`: one normalisation, one model, one training procedure.

Two models are available. ``"safeguard"`` normalises names, dates of birth, phones, postcodes and addresses
first and uses comparisons built for our data (nicknames, swapped names, changed surnames, moves, partial
dates of birth). ``"splink-default"`` is Splink's out-of-the-box set-up from its tutorial on the raw columns;
it is kept as the baseline the benchmark (bench/bench_dedupe.py) compares against.

Nothing leaves the machine: DuckDB runs in memory, and the only files written besides the output are a
cleaned copy of the input and DuckDB's spill files, both in a private temporary directory removed on return.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, NamedTuple, TextIO

import duckdb
import phonenumbers
from nicknames import NickNamer
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink import comparison_level_library as cll
from splink import comparison_library as cl
from splink.blocking_rule_library import CustomRule
from splink.clustering import cluster_pairwise_predictions_at_threshold
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.exceptions import EMTrainingException

from safeguard.imports.csvfiles import neutralise

COLUMNS: Final = ["record_id", "forename", "surname", "date_of_birth", "gender", "address", "postcode", "phone"]
OUTPUT_COLUMNS: Final = ["record_id", "cluster_id", "match_probability"]
SETTINGS: Final = ("safeguard", "splink-default")

# Training budget, the same for both models so the comparison between them is fair.
U_MAX_PAIRS: Final = 2e6  # pairs sampled at random to estimate u (per comparison; Splink's default is 1e6)
EM_MAX_PAIRS: Final = 2e6  # cap on the blocked pairs each EM session iterates over
SEED: Final = 20240601  # fixed: the same input always gives the same model and the same clusters
MIN_YEAR: Final = 1900  # a date of birth before this is treated as impossible
SMALL_EXTRACT: Final = 200  # below this many records, unsupervised training has too little to learn from

_FULL_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_NON_DIGIT = re.compile(r"\D")
_GB_NATIONAL = re.compile(r"0[1-9]\d{8,9}")
_GB_INTERNATIONAL = re.compile(r"44[1-9]\d{8,9}")
_GB_INTERNATIONAL_TRUNK = re.compile(r"440[1-9]\d{8,9}")
_NOT_LETTER = re.compile(r"[^a-z]+")
_OUTPUT_BATCH: Final = 50_000
PHONE_BLOCK_MAX: Final = 10  # a phone on more records than this is not used to find candidate pairs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DedupeReport:
    """What `dedupe_csv` did."""

    records: int  # input records accepted, each of which is in the output exactly once
    clusters: int  # distinct cluster_id values written (singletons included)
    pairs_scored: int  # candidate pairs produced by the blocking rules and scored by the model
    threshold: float  # pairs at or above this match probability were linked
    seconds: float  # wall-clock time for the whole run
    rejected: list[tuple[int, str]]  # (CSV line number, reason) for rows that could not be read as given


class _Rejects:
    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []

    def add(self, line: int, reason: str) -> None:
        self.items.append((line, reason))


# --------------------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------------------


def dedupe_csv(
    input_path: Path, output_path: Path, *, threshold: float = 0.9, settings: str = "safeguard"
) -> DedupeReport:
    """Cluster the records of the CSV at `input_path` into people and write the clusters to `output_path`.

    Raises ValueError for a missing or wrong header, an unreadable encoding, malformed CSV, a threshold outside
    (0, 1] or an unknown `settings`. Row-level problems do not raise: they are listed in the report's `rejected`
    (see docs/linkage.md for which rows are excluded and which are kept with a field treated as missing).
    """
    started = time.perf_counter()
    threshold = check_threshold(threshold)
    if settings not in SETTINGS:
        raise ValueError(f"settings must be one of {', '.join(SETTINGS)}, got {settings!r}")

    with tempfile.TemporaryDirectory(prefix="safeguard-dedupe-") as tmp:
        workdir = Path(tmp)
        clean_csv = workdir / "input.csv"
        rejects = _Rejects()
        with _stage("read and check the input"):
            _read_and_clean(Path(input_path), clean_csv, rejects)

        with _duckdb(workdir) as con:
            with _stage("load into DuckDB"):
                _load(con, clean_csv, rejects)
            records = _scalar_int(con, "SELECT count(*) FROM sg_records")
            pairs_scored = _score(con, settings, threshold).pairs_scored
            with _stage("cluster"):
                _cluster(con, threshold)
            with _stage("write the output"):
                clusters = _write_output(con, Path(output_path))

    return DedupeReport(
        records=records,
        clusters=clusters,
        pairs_scored=pairs_scored,
        threshold=threshold,
        seconds=time.perf_counter() - started,
        rejected=sorted(rejects.items),
    )


class PersonRecord(NamedTuple):
    """One person record as the model compares it (what `score_records` takes)."""

    id: int
    forename: str | None
    surname: str | None
    dob_year: int | None
    dob_month: int | None  # None when only the year is known
    dob_day: int | None  # None when only the year, or the year and month, are known
    gender: str | None  # female, male, non-binary, unknown (or F, M ...: as in the CSV)
    address: str | None  # one line: "12 High Street, Brindleford"
    postcode: str | None
    phone: str | None  # any format; E.164 as stored is best


@dataclass(frozen=True)
class ScoredPair:
    """Two records that the model links, with what agreed and what did not, in words an analyst reads."""

    id_a: int  # the smaller id
    id_b: int
    match_probability: float
    evidence: dict[str, str]  # field -> e.g. "exact", "similar (Jaro-Winkler ≥ 0.92)", "different", "missing"


@dataclass(frozen=True)
class PairReport:
    """What `score_records` found."""

    records: int
    pairs_scored: int  # candidate pairs produced by the blocking rules and scored by the model
    pairs: list[ScoredPair]  # those at or above the threshold that pass the household guard, strongest first
    threshold: float
    seconds: float


# Evidence keys, in the order an analyst reads a record, from the model's comparison names.
EVIDENCE_FIELDS: Final = {"forename": "forename", "surname": "surname", "dob": "date_of_birth",
                          "gender": "gender", "address_postcode": "address", "phone": "phone"}


def score_records(records: Iterable[PersonRecord], *, threshold: float = 0.9) -> PairReport:
    """Score the pairs of `records` that may be one person with the "safeguard" model, as `dedupe_csv` does.

    The model is trained on these records alone (unsupervised), exactly as for a CSV extract. Returns the pairs
    at or above `threshold` that pass the household guard (not their clusters: each pair is one decision for
    an analyst). Raises ValueError for a threshold outside (0, 1] or an id that appears twice.
    """
    started = time.perf_counter()
    threshold = check_threshold(threshold)
    with tempfile.TemporaryDirectory(prefix="safeguard-link-") as tmp, _duckdb(Path(tmp)) as con:
        with _stage("load into DuckDB"):
            count = _load_records(con, records)
        scored = _score(con, "safeguard", threshold)
        with _stage("read the links"):
            pairs = _read_edges(con, scored.labels)
    return PairReport(records=count, pairs_scored=scored.pairs_scored, pairs=pairs, threshold=threshold,
                      seconds=time.perf_counter() - started)


def check_threshold(threshold: float) -> float:
    """The threshold as a float; ValueError unless it is a match probability above 0 and at most 1."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a match probability above 0 and at most 1, got {threshold!r}")
    return float(threshold)


@contextlib.contextmanager
def _duckdb(workdir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB that spills, when it must, into `workdir` (private, and removed by the caller)."""
    con = duckdb.connect(":memory:")
    try:
        spill = workdir / "duckdb"
        spill.mkdir()
        con.execute(f"SET temp_directory = '{_sql_str(str(spill))}'")
        con.execute("SET enable_progress_bar = false")
        yield con
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------------------
# Reading the input
# --------------------------------------------------------------------------------------------------------------


def _read_and_clean(source: Path, target: Path, rejects: _Rejects) -> None:
    """Validate `source` row by row and write the accepted rows, cleaned, to `target` (UTF-8 CSV)."""
    try:
        _read_and_clean_as(source, target, rejects, "utf-8-sig")
    except UnicodeDecodeError:
        rejects.items.clear()
        try:
            _read_and_clean_as(source, target, rejects, "cp1252")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{source}: the file is neither UTF-8 nor Windows-1252 (byte {exc.object[exc.start:exc.end]!r} "
                "cannot be decoded); save it again as UTF-8 CSV"
            ) from exc


def _read_and_clean_as(source: Path, target: Path, rejects: _Rejects, encoding: str) -> None:
    today = date.today()
    with source.open(encoding=encoding, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["line", *COLUMNS, "dob_year", "dob_month", "dob_day"])
        rows = _numbered_rows(src, source)
        header = next(rows, None)
        if header is None:
            raise ValueError(f"{source} is empty: expected the header {','.join(COLUMNS)}")
        _check_header(header[1], source)
        for line, row in rows:
            if len(row) != len(COLUMNS):
                rejects.add(line, f"expected {len(COLUMNS)} fields, found {len(row)}; row excluded")
                continue
            values = [value.strip() for value in row]
            if not values[0]:
                rejects.add(line, "record_id is empty; row excluded")
                continue
            dob, parts = _check_dob(values[3], line, today, rejects)
            values[3] = dob
            writer.writerow([line, *values, *parts])


def _numbered_rows(src: TextIO, source: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number where the record starts, fields), skipping blank lines."""
    reader = csv.reader(src, strict=True)
    previous_end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValueError(f"{source}, line {previous_end + 1}: malformed CSV ({exc})") from exc
        start, previous_end = previous_end + 1, reader.line_num
        if row and any(field.strip() for field in row):
            yield start, row


def _check_header(found: list[str], source: Path) -> None:
    if [name.strip().lower() for name in found] != COLUMNS:
        raise ValueError(
            f"{source}: wrong header. Expected: {','.join(COLUMNS)} -- found: {','.join(found) or '(empty)'}"
        )


def _check_dob(value: str, line: int, today: date, rejects: _Rejects) -> tuple[str, tuple[str, str, str]]:
    """The date of birth as written back (full or partial) and its year, month and day ('' when unknown).

    An impossible or unreadable date of birth is treated as missing and reported; the record is kept.
    """
    if not value:
        return "", ("", "", "")
    full = _FULL_DATE.fullmatch(value)
    partial = _YEAR_MONTH.fullmatch(value)
    problem = ""
    if full:
        year, month, day = (int(part) for part in full.groups())
        try:
            born = date(year, month, day)
        except ValueError:
            problem = "is not a real date"
        else:
            if born > today:
                problem = "is in the future"
            elif year < MIN_YEAR:
                problem = f"is before {MIN_YEAR}"
            else:
                return born.isoformat(), (str(year), str(month), str(day))
    elif partial or _YEAR.fullmatch(value):
        year = int(value[:4])
        month = int(partial.group(2)) if partial else 0
        if partial and not 1 <= month <= 12:
            problem = "is not a real month"
        elif (year, month) > (today.year, today.month if partial else 0) or year > today.year:
            problem = "is in the future"
        elif year < MIN_YEAR:
            problem = f"is before {MIN_YEAR}"
        else:
            written = f"{year:04d}-{month:02d}" if partial else f"{year:04d}"
            return written, (str(year), str(month) if partial else "", "")
    else:
        problem = "is not a date in the form YYYY-MM-DD"
    rejects.add(line, f"date_of_birth {value[:40]!r} {problem}; treated as missing (record kept)")
    return "", ("", "", "")


def _load(con: duckdb.DuckDBPyConnection, clean_csv: Path, rejects: _Rejects) -> None:
    """Load the cleaned rows, and exclude (and report) every repeat of a record_id after its first row."""
    types = {"line": "BIGINT"} | {name: "VARCHAR" for name in COLUMNS}
    types |= {"dob_year": "INTEGER", "dob_month": "INTEGER", "dob_day": "INTEGER"}
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in types.items())
    # The path is ours (in a private temporary directory) and quoted; the rest are this module's constants.
    con.execute(
        f"""
        CREATE TABLE sg_raw AS
        SELECT *, min(line) OVER (PARTITION BY record_id) AS first_line
        FROM read_csv('{_sql_str(str(clean_csv))}', header = true, delim = ',', quote = '"', escape = '"',
                      columns = {{{columns}}}, nullstr = '', auto_detect = false)
        """  # noqa: S608
    )
    duplicates = con.execute(
        "SELECT line, record_id, first_line FROM sg_raw WHERE line <> first_line ORDER BY line"
    ).fetchall()
    for line, record_id, first_line in duplicates:
        rejects.add(line, f"record_id {record_id[:40]!r} is already used on line {first_line}; row excluded")
    con.execute(
        "CREATE TABLE sg_records AS SELECT line AS unique_id, * EXCLUDE (line, first_line) FROM sg_raw "
        "WHERE line = first_line"
    )
    con.execute("DROP TABLE sg_raw")


_RECORD_TYPES: Final = {
    "unique_id": "BIGINT", "record_id": "VARCHAR", "forename": "VARCHAR", "surname": "VARCHAR",
    "date_of_birth": "VARCHAR", "gender": "VARCHAR", "address": "VARCHAR", "postcode": "VARCHAR", "phone": "VARCHAR",
    "dob_year": "INTEGER", "dob_month": "INTEGER", "dob_day": "INTEGER",
}
_RECORD_BATCH: Final = 50_000


def _load_records(con: duckdb.DuckDBPyConnection, records: Iterable[PersonRecord]) -> int:
    """Create `sg_records` (as `_load` does for a CSV) from records in memory; returns how many there are."""
    con.execute(f"CREATE TABLE sg_records ({', '.join(f'{c} {t}' for c, t in _RECORD_TYPES.items())})")
    selects = ", ".join(f"unnest(${i + 1}::{kind}[])" for i, kind in enumerate(_RECORD_TYPES.values()))
    batch: list[tuple[object, ...]] = []

    def flush() -> None:
        con.execute(f"INSERT INTO sg_records SELECT {selects}", [list(c) for c in zip(*batch, strict=True)])
        batch.clear()

    for record in records:
        year, month, day = record.dob_year, record.dob_month, record.dob_day
        if year is None:
            month = day = None
        elif month is None:
            day = None
        dob = None if year is None else f"{year:04d}" if month is None else f"{year:04d}-{month:02d}" \
            if day is None else f"{year:04d}-{month:02d}-{day:02d}"
        batch.append((record.id, str(record.id), _blank_none(record.forename), _blank_none(record.surname), dob,
                      _blank_none(record.gender), _blank_none(record.address), _blank_none(record.postcode),
                      _blank_none(record.phone), year, month, day))
        if len(batch) >= _RECORD_BATCH:
            flush()
    if batch:
        flush()
    count, distinct = con.execute("SELECT count(*), count(DISTINCT unique_id) FROM sg_records").fetchall()[0]
    if count != distinct:
        raise ValueError(f"{count - distinct} record ids appear more than once")
    return int(count)


def _blank_none(value: str | None) -> str | None:
    value = value.strip() if value else None
    return value or None


# --------------------------------------------------------------------------------------------------------------
# Normalisation and derived columns (the "safeguard" model only)
# --------------------------------------------------------------------------------------------------------------

# Whole-word address abbreviations, expanded so "12 High St." and "12 high street" compare equal.
_ADDRESS_WORDS: Final = {
    "rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "ln": "lane", "dr": "drive", "cl": "close",
    "ct": "court", "cres": "crescent", "cresc": "crescent", "pl": "place", "sq": "square", "gdns": "gardens",
    "gr": "grove", "gro": "grove", "tce": "terrace", "terr": "terrace", "pk": "park", "wy": "way",
    "hse": "house", "apt": "flat", "apartment": "flat", "fl": "flat", "no": "", "nr": "",
}

_GENDERS: Final = {
    "m": "m", "male": "m", "man": "m", "boy": "m",
    "f": "f", "female": "f", "woman": "f", "girl": "f",
    "u": None, "unknown": None, "not known": None, "not stated": None, "n/k": None, "nk": None,
}


def _prepare_model_table(con: duckdb.DuckDBPyConnection, settings: str) -> None:
    """Create `sg_model` from `sg_records`: the table Splink reads, one row per record, keyed by unique_id."""
    if settings == "splink-default":
        # The baseline sees the columns as read: no normalisation beyond trimming and empty -> missing.
        con.execute(
            """
            CREATE TABLE sg_model AS
            SELECT unique_id, forename, surname, date_of_birth, gender, address, postcode, phone
            FROM sg_records
            """
        )
        return

    _register_lookup(con, "sg_nick", ["name", "key", "names"], _nickname_rows(), ["VARCHAR", "VARCHAR", "VARCHAR[]"])
    phones = con.execute("SELECT DISTINCT phone FROM sg_records WHERE phone IS NOT NULL").fetchall()
    _register_lookup(
        con, "sg_phone", ["raw", "e164"], ((raw, normalise_phone(raw)) for (raw,) in phones), ["VARCHAR", "VARCHAR"]
    )
    words = "MAP {" + ", ".join(f"'{short}': '{long}'" for short, long in _ADDRESS_WORDS.items()) + "}"
    gender_cases = " ".join(
        f"WHEN '{_sql_str(raw)}' THEN {'NULL' if norm is None else repr(norm)}" for raw, norm in _GENDERS.items()
    )
    con.execute(  # built from this module's constants only
        f"""
        CREATE TABLE sg_norm AS
        SELECT
            unique_id,
            nullif(trim(regexp_replace(regexp_replace(lower(strip_accents(forename)), '[''’`.]', '', 'g'),
                                       '[^a-z]+', ' ', 'g')), '') AS forename,
            nullif(regexp_replace(lower(strip_accents(surname)), '[^a-z]+', '', 'g'), '') AS surname,
            CASE WHEN dob_day IS NOT NULL THEN date_of_birth END AS dob,
            dob_year, dob_month, dob_day,
            CASE WHEN gender IS NOT NULL THEN CASE lower(gender) {gender_cases} ELSE 'x' END END AS gender,
            nullif(array_to_string(list_filter(list_transform(
                string_split(regexp_replace(regexp_replace(lower(strip_accents(address)), '[''’`]', '', 'g'),
                                            '[^a-z0-9]+', ' ', 'g'), ' '),
                lambda word: coalesce({words}[word], word)), lambda word: word <> ''), ' '), '') AS address,
            nullif(upper(regexp_replace(postcode, '[^A-Za-z0-9]', '', 'g')), '') AS postcode,
            phone AS phone_raw
        FROM sg_records
        """  # noqa: S608
    )
    surnames = con.execute("SELECT DISTINCT surname FROM sg_norm WHERE surname IS NOT NULL").fetchall()
    _register_lookup(
        con, "sg_soundex", ["surname", "code"], ((s, soundex(s)) for (s,) in surnames), ["VARCHAR", "VARCHAR"]
    )
    con.execute(  # this module's constant only
        f"""
        CREATE TABLE sg_model AS
        SELECT
            n.unique_id,
            n.forename,
            CASE WHEN n.forename IS NOT NULL THEN coalesce(k.names, [split_part(n.forename, ' ', 1)]) END
                AS forename_names,
            CASE WHEN n.forename IS NOT NULL THEN coalesce(k.key, split_part(n.forename, ' ', 1)) END
                AS forename_key,
            n.surname,
            s.code AS surname_sdx,
            n.dob, n.dob_year, n.dob_month, n.dob_day,
            n.gender,
            n.address,
            regexp_extract(n.address, '\\d+[a-z]?') AS address_num,
            n.postcode,
            CASE WHEN length(n.postcode) BETWEEN 5 AND 7 THEN left(n.postcode, length(n.postcode) - 2) END
                AS postcode_sector,
            p.e164 AS phone,
            -- A number on many records (a switchboard, a refuge, a placeholder, a shared handset) says little
            -- about who is who and would put every pair of those records up for scoring: block on it only
            -- while it is rare.
            CASE WHEN count(p.e164) OVER (PARTITION BY p.e164) <= {PHONE_BLOCK_MAX} THEN p.e164 END AS phone_block
        FROM sg_norm n
        LEFT JOIN sg_nick k ON k.name = split_part(n.forename, ' ', 1)
        LEFT JOIN sg_soundex s ON s.surname = n.surname
        LEFT JOIN sg_phone p ON p.raw = n.phone_raw
        """  # noqa: S608
    )
    for table in ("sg_norm", "sg_nick", "sg_phone", "sg_soundex"):
        con.execute(f"DROP TABLE {table}")


def normalise_phone(raw: str) -> str | None:
    """A phone number in E.164 (+447700900123), read as a GB number unless it says otherwise.

    The common GB shapes are rewritten directly; anything else goes through `phonenumbers`. A number that
    cannot be made sense of is kept as its digits, so two copies of it still compare equal.
    """
    digits = _NON_DIGIT.sub("", raw)
    if not digits:
        return None
    international = raw.lstrip().startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if not international and _GB_NATIONAL.fullmatch(digits):
        return "+44" + digits[1:]
    if _GB_INTERNATIONAL.fullmatch(digits):
        return "+" + digits
    if _GB_INTERNATIONAL_TRUNK.fullmatch(digits):  # +44 (0)7700 900123
        return "+44" + digits[3:]
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_possible_number(number):
        return digits
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_SOUNDEX_CODES: Final = {
    letter: code
    for code, letters in {"1": "bfpv", "2": "cgjkqsxz", "3": "dt", "4": "l", "5": "mn", "6": "r"}.items()
    for letter in letters
}


def soundex(name: str) -> str | None:
    """American Soundex of the letters of `name` ("Robert" and "Rupert" -> "R163"); None without letters."""
    letters = _NOT_LETTER.sub("", name.lower())
    if not letters:
        return None
    code = [letters[0].upper()]
    previous = _SOUNDEX_CODES.get(letters[0], "")
    for letter in letters[1:]:
        digit = _SOUNDEX_CODES.get(letter, "")
        if digit and digit != previous:
            code.append(digit)
            if len(code) == 4:
                break
        if letter not in "hw":
            previous = digit
    return "".join(code).ljust(4, "0")


@functools.cache
def _nickname_rows() -> tuple[tuple[str, str, list[str]], ...]:
    """(name, key, names): every name the `nicknames` package knows, with its formal forms.

    `names` is the name with every name it is a nickname of, so two forenames are nicknames of each other
    when their `names` overlap (Bill and William share "william"). `key` is the smallest of `names`, one
    string per name for blocking (Bill and William both get "bill").
    """
    namer = NickNamer()
    known = set(namer.nickname_lookup) | set(namer.canonical_lookup)
    rows: dict[str, set[str]] = {}
    for raw in known:
        name = _NOT_LETTER.sub("", raw.lower())
        if name:
            group = {name} | {_NOT_LETTER.sub("", c.lower()) for c in namer.canonicals_of(raw)}
            rows.setdefault(name, set()).update(g for g in group if g)
    return tuple((name, min(group), sorted(group)) for name, group in sorted(rows.items()))


def _register_lookup(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    rows: Iterable[tuple[Any, ...]],
    types: list[str],
) -> None:
    """Create `table` from Python rows, in bulk (one list parameter per column)."""
    materialised = list(rows)
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in zip(columns, types, strict=True))})")
    if not materialised:
        return
    lists = [list(column) for column in zip(*materialised, strict=True)]
    selects = ", ".join(f"unnest(${i + 1}::{kind}[])" for i, kind in enumerate(types))
    con.execute(f"INSERT INTO {table} SELECT {selects}", lists)


# --------------------------------------------------------------------------------------------------------------
# The two models
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    comparisons: list[ComparisonCreator]
    blocking: list[BlockingRuleCreator]
    deterministic: list[BlockingRuleCreator | str]  # rules for the probability two random records match
    recall: float  # the assumed recall of those rules
    em_blocking: list[BlockingRuleCreator]  # one EM session per rule
    guard: str = "TRUE"  # SQL over the scored pairs: a pair that fails it is never linked, whatever its score


def _jw(column: str, other: str | None = None, at_least: float = 0.92) -> str:
    return f"jaro_winkler_similarity({column}_l, {other or column}_r) >= {at_least}"


# Cheap equalities first: DuckDB evaluates the rest of an AND in a CASE only for the rows still in play.
_SWAPPED = (
    f"(forename_l = surname_r AND {_jw('surname', 'forename', 0.8)}) OR "
    f"(surname_l = forename_r AND {_jw('forename', 'surname', 0.8)})"
)
_TYPO = (
    "left({c}_l, 1) = left({c}_r, 1) AND abs(length({c}_l) - length({c}_r)) <= 1 "
    "AND damerau_levenshtein({c}_l, {c}_r) <= 1"
)


def _safeguard_model() -> _Model:
    # Each level's label is what an analyst reads in the review queue (`ScoredPair.evidence`), so it says in
    # plain words what agreed; docs/linkage.md explains each one.
    missing = "missing on one or both records"
    forename = cl.CustomComparison(
        output_column_name="forename",
        comparison_description="Forename: typos, nicknames, initials, swapped with surname",
        comparison_levels=[
            cll.NullLevel("forename").configure(label_for_charts=missing),
            cll.ExactMatchLevel("forename").configure(
                tf_adjustment_column="forename", tf_minimum_u_value=0.001, label_for_charts="exact"
            ),
            cll.CustomLevel(_SWAPPED, "swapped with the surname"),
            cll.CustomLevel(_jw("forename", at_least=0.92), "similar (Jaro-Winkler ≥ 0.92)"),
            cll.CustomLevel("list_has_any(forename_names_l, forename_names_r)",
                            "nickname of the same name (e.g. Bill and William)"),
            cll.CustomLevel(_jw("forename", at_least=0.8), "alike (Jaro-Winkler ≥ 0.8)"),
            cll.CustomLevel(_TYPO.format(c="forename"), "one letter wrong, missing or swapped"),
            cll.CustomLevel(
                "(length(forename_l) = 1 OR length(forename_r) = 1) AND left(forename_l, 1) = left(forename_r, 1)",
                "initial only, agrees",
            ),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_description="Surname: typos, sound-alikes, double-barrelled; a change is not fatal",
        comparison_levels=[
            cll.NullLevel("surname").configure(label_for_charts=missing),
            cll.ExactMatchLevel("surname").configure(
                tf_adjustment_column="surname", tf_minimum_u_value=0.001, label_for_charts="exact"
            ),
            cll.CustomLevel(_jw("surname", at_least=0.92), "similar (Jaro-Winkler ≥ 0.92)"),
            cll.CustomLevel(
                "least(length(surname_l), length(surname_r)) >= 3 "
                "AND (contains(surname_l, surname_r) OR contains(surname_r, surname_l))",
                "one inside the other (double-barrelled)",
            ),
            cll.CustomLevel("surname_sdx_l = surname_sdx_r", "sounds alike (same Soundex code)"),
            cll.CustomLevel(_jw("surname", at_least=0.8), "alike (Jaro-Winkler ≥ 0.8)"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_description="Date of birth: exact, day/month swapped, one-digit typo, partial",
        comparison_levels=[
            cll.CustomLevel("dob_year_l IS NULL OR dob_year_r IS NULL", missing).configure(is_null_level=True),
            cll.CustomLevel("dob_l = dob_r", "exact"),
            cll.CustomLevel(
                "dob_year_l = dob_year_r AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r",
                "day and month swapped",
            ),
            cll.CustomLevel(
                "(dob_year_l = dob_year_r AND dob_month_l = dob_month_r) OR (dob_year_l = dob_year_r AND "
                "dob_day_l = dob_day_r) OR (dob_month_l = dob_month_r AND dob_day_l = dob_day_r)",
                "partial: two of year, month and day agree",
            ),
            cll.CustomLevel("dob_year_l = dob_year_r", "partial: only the year agrees"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    gender = cl.CustomComparison(
        output_column_name="gender",
        comparison_description="Gender",
        comparison_levels=[
            cll.NullLevel("gender").configure(label_for_charts=missing),
            cll.ExactMatchLevel("gender").configure(label_for_charts="same"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    location = cl.CustomComparison(
        output_column_name="address_postcode",
        comparison_description="Address and postcode together (they are not independent); a move is not fatal",
        comparison_levels=[
            cll.CustomLevel(
                "(address_l IS NULL AND postcode_l IS NULL) OR (address_r IS NULL AND postcode_r IS NULL)", missing
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "postcode_l = postcode_r AND (address_l = address_r OR (address_num_l = address_num_r AND "
                f"{_jw('address', at_least=0.88)}))",
                "same address and postcode",
            ),
            cll.CustomLevel(
                f"address_l = address_r OR (address_num_l = address_num_r AND {_jw('address', at_least=0.92)})",
                "same address, postcode different or missing",
            ),
            cll.CustomLevel("postcode_l = postcode_r", "same postcode, different address"),
            cll.CustomLevel("postcode_sector_l = postcode_sector_r", "nearby (same postcode sector)"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_description="Phone, compared in E.164",
        comparison_levels=[
            cll.NullLevel("phone").configure(label_for_charts=missing),
            cll.ExactMatchLevel("phone").configure(
                tf_adjustment_column="phone", tf_minimum_u_value=0.001, label_for_charts="exact"
            ),
            cll.CustomLevel(
                "length(phone_l) = length(phone_r) AND hamming(phone_l, phone_r) <= 2", "one or two digits differ"
            ),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    return _Model(
        comparisons=[forename, surname, dob, gender, location, phone],
        # Each rule is an equi-join DuckDB can hash. Together they find about 98% of the true pairs of the
        # benchmark while scoring a fraction of what blocking on date of birth alone would (see docs/linkage.md).
        blocking=[
            block_on("dob", "surname_sdx"),  # forename typo or nickname
            block_on("dob", "left(forename, 1)"),  # changed surname
            CustomRule("l.dob = r.dob AND left(l.forename, 1) = left(r.surname, 1)"),  # swapped, with typos
            block_on("dob", "postcode"),
            block_on("phone_block"),  # the phone, unless many records share it
            block_on("postcode", "forename_key"),  # same address: changed surname, date of birth wrong
            block_on("postcode", "surname_sdx"),
            block_on("forename_key", "surname_sdx", "dob_year"),  # moved, day or month wrong
            block_on("forename_key", "surname_sdx", "dob_month", "dob_day"),  # moved, year wrong
            CustomRule(  # moved, date of birth missing or partial on one side
                "l.forename_key = r.forename_key AND l.surname_sdx = r.surname_sdx AND (l.dob IS NULL OR r.dob IS NULL)"
            ),
            CustomRule("l.forename = r.surname AND l.surname = r.forename"),  # swapped
        ],
        deterministic=[block_on("forename", "surname", "dob"), block_on("dob", "phone")],
        recall=0.7,
        em_blocking=[block_on("dob"), block_on("forename", "surname")],
        # Household guard: relatives share a surname, an address and a landline, which together outweigh
        # anything else in a Fellegi-Sunter model. Two records are never linked when their forenames
        # disagree outright or their known dates of birth do (level 0 is "All other comparisons").
        guard="gamma_forename <> 0 AND gamma_dob <> 0",
    )


def _splink_default_model() -> _Model:
    """Splink's tutorial set-up, on the raw columns: the baseline."""
    return _Model(
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("gender"),
            cl.LevenshteinAtThresholds("address", [1, 2]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("phone"),
        ],
        blocking=[block_on("forename", "surname"), block_on("date_of_birth"), block_on("postcode")],
        deterministic=[
            block_on("forename", "date_of_birth"),
            "l.forename = r.forename AND levenshtein(r.surname, l.surname) <= 2",
            block_on("phone"),
        ],
        recall=0.7,
        em_blocking=[block_on("forename", "surname"), block_on("date_of_birth")],
    )


_MODELS: Final[dict[str, Callable[[], _Model]]] = {
    "safeguard": _safeguard_model,
    "splink-default": _splink_default_model,
}


def _train(linker: Linker, model: _Model, records: int) -> None:
    """Unsupervised training, as Splink does it: lambda from deterministic rules, u by sampling, m by EM.

    A small or unusual extract can leave a step without the pairs it needs. The step is then skipped with a
    warning in the log, and the parameters it would have estimated keep Splink's starting values: the
    result is still written, but should be read as indicative only.
    """
    settings = linker._settings_obj
    if records < SMALL_EXTRACT:
        log.warning("linkage: only %d records; the model learns from the records themselves, so treat what it "
                    "finds in so few as indicative only", records)
    total_pairs = max(1, records * (records - 1) // 2)
    with _stage("estimate the probability two random records match"):
        try:
            linker.training.estimate_probability_two_random_records_match(
                list(model.deterministic), recall=model.recall
            )
        except ValueError:  # the rules matched more pairs than the assumed recall allows: a tiny extract
            log.warning("linkage: most pairs match the deterministic rules; assuming half of all pairs match")
            settings._probability_two_random_records_match = 0.5
    if settings._probability_two_random_records_match <= 0:
        log.warning("linkage: the deterministic rules found no duplicates; assuming one per hundred records")
        settings._probability_two_random_records_match = min(0.5, max(1.0, records / 100) / total_pairs)
    with _stage("estimate u by random sampling"):
        # Chunks only let Splink stop early on a big extract; on a small one they just repeat the work.
        chunks = 10 if total_pairs > U_MAX_PAIRS else 1
        linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED, num_chunks=chunks)
    for rule in model.em_blocking:
        with _stage("estimate m by expectation maximisation"):
            # Splink 5 drops the comparisons a session cannot estimate from the linker's own settings before it
            # finds out whether the session has any pairs: keep a copy to put back if it has none.
            before = settings.core_model_settings.copy()  # type: ignore[no-untyped-call]
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS
                )
            except (EMTrainingException, ValueError) as exc:  # no pairs to train on, or degenerate estimates
                settings.core_model_settings = before
                log.warning("linkage: an EM training session was skipped: %s", str(exc).splitlines()[0])


@dataclass(frozen=True)
class _Scored:
    pairs_scored: int
    labels: dict[str, dict[int, str]]  # comparison -> gamma (comparison level) -> its label


def _score(con: duckdb.DuckDBPyConnection, settings: str, threshold: float) -> _Scored:
    """Normalise `sg_records`, train the model on it and score the blocked pairs: the one model both the CSV
    extract and the force's own records go through.

    Leaves `sg_edges` behind: the pairs at or above the threshold that pass the guard, with their match
    probability and the comparison level (gamma_*) each comparison reached.
    """
    records = _scalar_int(con, "SELECT count(*) FROM sg_records")
    if records < 2:
        con.execute("CREATE TABLE sg_edges (unique_id_l BIGINT, unique_id_r BIGINT, match_probability DOUBLE)")
        return _Scored(0, {})
    with _stage("normalise"):
        _prepare_model_table(con, settings)
    model = _MODELS[settings]()
    db_api = DuckDBAPI(connection=con)
    people = db_api.register("sg_model", dataset_display_name="people")
    linker = Linker(
        people,
        SettingsCreator(
            link_type="dedupe_only",
            comparisons=list(model.comparisons),
            blocking_rules_to_generate_predictions=list(model.blocking),
            retain_matching_columns=True,  # needed for the gamma_ (comparison level) columns of the guard
            retain_intermediate_calculation_columns=False,
        ),
        log_level=None,
    )
    labels = {
        comparison.output_column_name: {
            level.comparison_vector_value: level.label_for_charts for level in comparison.comparison_levels
        }
        for comparison in linker._settings_obj.comparisons
    }
    _train(linker, model, records)
    with _stage("block"):
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        pairs_scored = _scalar_int(con, f"SELECT count(*) FROM {blocked.physical_name}")  # noqa: S608 - Splink's
    log.info("linkage: %d records, %d candidate pairs to score", records, pairs_scored)
    with _stage("score"):
        predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    gammas = "".join(f", gamma_{name}" for name in labels)
    con.execute(  # a table name from Splink, column names from the model, a float and this module's guard
        f"CREATE TABLE sg_edges AS SELECT unique_id_l, unique_id_r, match_probability{gammas} "  # noqa: S608
        f"FROM {predictions.physical_name} WHERE match_probability >= {threshold!r} AND ({model.guard})"
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    return _Scored(pairs_scored, labels)


def _cluster(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    """Create `sg_clusters` (unique_id -> cluster_id) from `sg_edges`: the connected groups of links.

    Records in no link are not in it; `_write_output` gives each of them a cluster of its own.
    """
    if _scalar_int(con, "SELECT count(*) FROM sg_edges") == 0:
        con.execute("CREATE TABLE sg_clusters (unique_id BIGINT, cluster_id BIGINT)")
        return
    clusters = cluster_pairwise_predictions_at_threshold(
        "sg_model",
        "sg_edges",
        DuckDBAPI(connection=con),
        node_id_column_name="unique_id",
        edge_id_column_name_left="unique_id_l",
        edge_id_column_name_right="unique_id_r",
        threshold_match_probability=threshold,
    )
    con.execute(f"CREATE TABLE sg_clusters AS SELECT unique_id, cluster_id FROM {clusters.physical_name}")  # noqa: S608


def _read_edges(con: duckdb.DuckDBPyConnection, labels: dict[str, dict[int, str]]) -> list[ScoredPair]:
    """The links in `sg_edges`, strongest first, each with its evidence in words."""
    names = list(labels)
    gammas = "".join(f", gamma_{name}" for name in names)
    rows = con.execute(  # column names from the model
        f"SELECT least(unique_id_l, unique_id_r), greatest(unique_id_l, unique_id_r), match_probability{gammas} "  # noqa: S608
        "FROM sg_edges ORDER BY match_probability DESC, 1, 2"
    ).fetchall()
    return [
        ScoredPair(
            id_a=int(row[0]),
            id_b=int(row[1]),
            match_probability=float(row[2]),
            evidence={
                EVIDENCE_FIELDS.get(name, name): labels[name].get(gamma, str(gamma))
                for name, gamma in zip(names, row[3:], strict=True)
            },
        )
        for row in rows
    ]


# --------------------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------------------


def _write_output(con: duckdb.DuckDBPyConnection, output_path: Path) -> int:
    """Write record_id, cluster_id, match_probability in input order; returns the number of clusters.

    cluster_id is the record_id of the cluster's first record in the input. match_probability is the
    strongest link at or above the threshold from the record to another record of its cluster, and empty for
    a record that is alone in its cluster.
    """
    relation = con.execute(
        """
        WITH best AS (
            SELECT unique_id, max(match_probability) AS match_probability
            FROM (SELECT unique_id_l AS unique_id, match_probability FROM sg_edges
                  UNION ALL SELECT unique_id_r, match_probability FROM sg_edges)
            GROUP BY unique_id
        ), assigned AS (
            SELECT r.unique_id, r.record_id, coalesce(c.cluster_id::VARCHAR, 'alone ' || r.unique_id::VARCHAR)
                AS cluster
            FROM sg_records r LEFT JOIN sg_clusters c ON c.unique_id = r.unique_id
        )
        SELECT a.record_id,
               arg_min(a.record_id, a.unique_id) OVER (PARTITION BY a.cluster) AS cluster_id,
               b.match_probability
        FROM assigned a LEFT JOIN best b ON b.unique_id = a.unique_id
        ORDER BY a.unique_id
        """
    )
    clusters: set[str] = set()
    output_path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed into place, so a failed run never leaves half a file; mkstemp makes
    # it readable by its owner only, as befits an extract about people.
    handle, partial = tempfile.mkstemp(prefix=f".{output_path.name}.", suffix=".part", dir=output_path.parent)
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(OUTPUT_COLUMNS)
            while batch := relation.fetchmany(_OUTPUT_BATCH):
                for record_id, cluster_id, probability in batch:
                    clusters.add(cluster_id)
                    writer.writerow(
                        [neutralise(record_id), neutralise(cluster_id), _probability(probability)]
                    )
        os.replace(partial, output_path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return len(clusters)


def _probability(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:.6f}"


@contextlib.contextmanager
def _stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log.info("linkage: %s took %.1f s", name, time.perf_counter() - started)


def _scalar_int(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()  # fetchall: DuckDB 2 refuses new work while a result is half read
    return int(rows[0][0]) if rows else 0


def _sql_str(value: str) -> str:
    return value.replace("'", "''")
