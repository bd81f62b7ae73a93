"""Finding people as the control room and front desk type them.

A query is read for the parts a call handler types: names (in either order, with typos, nicknames or
phonetic spellings), a full or partial date of birth, a phone number in any common format, and a
postcode. Candidates come from several index-backed lookups (the name as typed and its nicknames, the
spellings one keying error away, Double Metaphone codes, the first or last three letters of the
surname, phone, postcode, date of birth); each is then scored (trigram similarity among other things)
and given the reasons it matched, so the handler can judge the result rather than trust a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import phonenumbers
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.people.models import ADDRESS_SEPARATORS, HOUSE_NUMBER

POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$", re.IGNORECASE)
DATE_FULL = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")
DATE_ISO = re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b")
MONTH_YEAR = re.compile(r"\b(\d{1,2})[/.-](\d{4})\b")
YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
PHONE_CHARS = re.compile(r"(?:\+|\b0)[\d\s().-]{8,}\d")
STREET_ENDINGS = ("road|rd|street|st|lane|ln|avenue|ave|drive|dr|close|way|crescent|court|place|grove|gardens"
                  "|terrace|walk|row|hill|green|park|square|mews|rise|view|parade|croft|meadow|fields|tower|house")
# A house number (or a flat) and up to four words ending in a street word: "77 Ash Street", "Flat 2,
# Shrewsbury Court", "Flat 3, 14 Mill Lane". Without the number, "Ash Street" could be a name.
ADDRESS = re.compile(r"(?:\b(?:flat|apartment|unit)\s+\w+\s*,?\s*(?:\d{1,4}[a-z]?\s+)?|\b\d{1,4}[a-z]?\s*,?\s+)"
                     rf"(?:[a-z][a-z'.-]*\s+){{0,3}}(?:{STREET_ENDINGS})\b\.?", re.IGNORECASE)

# Names the nickname list does not give both ways, or common in the UK and missing from it.
EXTRA_VARIANTS: dict[str, set[str]] = {
    "william": {"liam", "bill", "billy", "will", "willy", "wills"},
    "mohammed": {"mohammad", "muhammad", "mohamed", "muhammed", "mo", "mohd"},
    "elizabeth": {"liz", "lizzie", "beth", "betty", "eliza", "libby"},
    "margaret": {"maggie", "peggy", "meg", "marge", "madge"},
    "jonathan": {"jon", "jonny", "johnny"},
    "john": {"jon", "johnny", "jack"},
    "katherine": {"kate", "katie", "kathy", "kat", "catherine", "kathryn"},
    "alexander": {"alex", "alec", "sandy", "xander"},
    "christopher": {"chris", "kit", "topher"},
    "thomas": {"tom", "tommy"},
    "rebecca": {"becky", "becca"},
    "daniel": {"dan", "danny"},
    "samantha": {"sam", "sammy"},
    "samuel": {"sam", "sammy"},
}


@lru_cache(maxsize=1)
def _nicknamer():  # type: ignore[no-untyped-def]
    from nicknames import NickNamer

    return NickNamer()


@lru_cache(maxsize=4096)
def name_variants(name: str) -> frozenset[str]:
    """The name itself, its nicknames, and the names it is a nickname of (William, Bill, Liam...)."""
    name = name.lower()
    variants = {name}
    namer = _nicknamer()
    canonicals = set(namer.canonicals_of(name)) | {c for c, nicks in EXTRA_VARIANTS.items() if name in nicks}
    if name in EXTRA_VARIANTS or namer.nicknames_of(name):
        canonicals.add(name)
    for canonical in canonicals:
        variants.add(canonical)
        variants |= set(namer.nicknames_of(canonical)) | EXTRA_VARIANTS.get(canonical, set())
    return frozenset(variants)


LETTERS = "abcdefghijklmnopqrstuvwxyz"
KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEXT_KEYS = {c: row[max(0, i - 1):i] + row[i + 1:i + 2] for row in KEY_ROWS for i, c in enumerate(row)}


@lru_cache(maxsize=4096)
def spelling_neighbours(name: str) -> tuple[str, ...]:
    """What the name may have been meant to be, one keying error away: two letters swapped back, a
    letter taken out or put in, or a letter swapped for the key beside it. (Errors in the first or last
    three letters, or that change how the name sounds, escape the other lookups.)"""
    name = name.lower()
    if len(name) < 4:
        return ()
    found = {name[:i] + name[i + 1] + name[i] + name[i + 2:] for i in range(len(name) - 1)}
    found |= {name[:i] + name[i + 1:] for i in range(len(name))}
    found |= {name[:i] + c + name[i:] for i in range(len(name) + 1) for c in LETTERS}
    found |= {name[:i] + c + name[i + 1:] for i in range(len(name)) for c in NEXT_KEYS.get(name[i], "")}
    found.discard(name)
    return tuple(sorted(found))


@dataclass
class ParsedQuery:
    names: list[str] = field(default_factory=list)
    phone: str | None = None
    postcode: str | None = None
    outward: str | None = None
    dob_year: int | None = None
    dob_month: int | None = None
    dob_day: int | None = None
    address: str | None = None  # the first line, keyed as `location.line1_key` is
    street: str | None = None  # the street without the number, keyed as `location.street_key` is

    @property
    def empty(self) -> bool:
        return not (self.names or self.phone or self.postcode or self.outward or self.dob_year or self.address)


def _year(value: str) -> int:
    year = int(value)
    if len(value) == 2:  # 89 -> 1989, 05 -> 2005: nobody on record was born in the future
        from datetime import date

        year += 2000 if year <= date.today().year % 100 else 1900
    return year


def address_keys(line: str) -> tuple[str, str]:
    """The first line of an address and its street, keyed exactly as PostgreSQL keys `location`."""
    def key(text: str) -> str:
        return re.sub(ADDRESS_SEPARATORS, " ", text).strip().lower()

    return key(line), key(re.sub(HOUSE_NUMBER, "", line, count=1, flags=re.IGNORECASE))


def parse_query(query: str) -> ParsedQuery:
    parsed = ParsedQuery()
    rest = query.strip()[:200]
    for candidate in PHONE_CHARS.finditer(rest):
        try:
            number = phonenumbers.parse(candidate.group(0), "GB")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            parsed.phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            rest = rest.replace(candidate.group(0), " ")
            break
    if postcode := POSTCODE.search(rest):
        parsed.postcode = (postcode.group(1) + postcode.group(2)).upper()
        rest = rest.replace(postcode.group(0), " ")
    if address := ADDRESS.search(rest):
        parsed.address, parsed.street = address_keys(address.group(0))
        rest = rest.replace(address.group(0), " ")
    match = DATE_FULL.search(rest)
    if match:
        day, month, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        if 1 <= month <= 12 and 1 <= day <= 31:
            parsed.dob_day, parsed.dob_month, parsed.dob_year = day, month, year
        rest = rest.replace(match.group(0), " ")
    elif match := DATE_ISO.search(rest):
        parsed.dob_year, parsed.dob_month = int(match.group(1)), int(match.group(2))
        parsed.dob_day = int(match.group(3)) if match.group(3) else None
        rest = rest.replace(match.group(0), " ")
    elif match := MONTH_YEAR.search(rest):
        parsed.dob_month, parsed.dob_year = int(match.group(1)), int(match.group(2))
        rest = rest.replace(match.group(0), " ")
    elif match := YEAR.search(rest):
        parsed.dob_year = int(match.group(1))
        rest = rest.replace(match.group(0), " ")
    for token in re.split(r"[\s,]+", rest):
        word = re.sub(r"[^A-Za-z'\-]", "", token)
        if not word:
            continue
        if OUTWARD.match(token) and any(ch.isdigit() for ch in token):
            parsed.outward = token.upper()
        elif len(word) >= 2:
            parsed.names.append(word.lower())
    parsed.names = parsed.names[:3]
    return parsed


@dataclass(frozen=True)
class SearchResult:
    id: int
    display_name: str
    date_of_birth: str | None
    score: float
    why: list[str]


# Candidates from each index, then one scoring pass. Each branch is bounded so that a very common
# name cannot make the query slow; the scoring then ranks what the branches found.
#
# Every branch is an equality on an indexed search key: under row-level security PostgreSQL will only
# drive an index with leakproof operators, which rules out pg_trgm's `%` (and LIKE). Trigram similarity
# is still used, but to score the few candidates, not to find them.
#
# Only the branches the query can use are written, so one SQL text serves every query of the same shape
# ("two names and a year", "a phone number"...). Its values are bind parameters, so the text stays the
# same from one search to the next: psycopg prepares it on the server after a few uses, and PostgreSQL
# then plans each shape once per connection instead of once per search. Merged-away records are left
# out in every branch, so they never take a candidate's place.
_LIVE = "p.merged_into_id IS NULL"
_COLUMNS = ("p.id, p.forename, p.surname, p.dob_year, p.dob_month, p.dob_day, p.forename_key, p.surname_key, "
            "p.forename_sound, p.surname_sound, p.restricted")
_F, _S = "CAST(:first AS text)", "CAST(:last AS text)"
_F_SOUND, _S_SOUND = f"dmetaphone({_F})", f"dmetaphone({_S})"
_VARIANTS, _SWAP_VARIANTS = "CAST(:variants AS text[])", "CAST(:swap_variants AS text[])"
_NEAR = "CAST(:near AS text[])"
_YEAR, _MONTH, _DAY = "CAST(:dob_year AS int)", "CAST(:dob_month AS int)", "CAST(:dob_day AS int)"
_PHONE, _POSTCODE = "CAST(:phone AS text)", "CAST(:postcode AS text)"
_OUTWARD, _OUTWARD_END = "CAST(:outward AS text)", "CAST(:outward_end AS text)"
_VISIBLE_PLACE = "(NOT l.restricted OR sg_may_see_location(l.id))"
_ADDRESS, _STREET = "CAST(:address AS text)", "CAST(:street AS text)"
_PLACE_MATCH = {"postcode": f"l.postcode_key = {_POSTCODE}",
                "address": f"l.line1_key = {_ADDRESS}", "street": f"l.street_key = {_STREET}",
                # A district: every postcode key that starts with it and has one inward code more. The
                # range drives the index; the exact test runs on the few rows it finds.
                "outward": f"l.postcode_key BETWEEN {_OUTWARD} AND {_OUTWARD_END} "
                           f"AND length(l.postcode_key) = length({_OUTWARD}) + 3"}

# How many candidates each branch may offer. Every candidate costs its scoring, so the limits are as
# small as the ranking allows: a branch of near-equals (every "John Smith") needs only enough to fill
# the first page, while the branches that find a person by something rarer (a postcode, a date of
# birth) offer more. They were chosen on the `large` synthetic force by replaying the benchmark's
# queries (`bench/search_bench.py`) against every branch in full, and keeping each limit only as large
# as found-in-top-20 needed.
LIMITS = {
    "exact": 50, "near": 50, "variants": 50, "sound": 50, "sound_variants": 50, "head": 50, "tail": 50,
    "variant_head": 50, "swapped_exact": 50, "swapped": 50, "surname": 50, "surname_sound": 50, "alias": 20,
    "alias_key": 20, "variants_dob": 100, "sound_dob": 50, "dob": 200, "phone": 100, "postcode": 300,
    "outward": 300, "address": 100, "street": 50,
}


# How PostgreSQL plans the search, for this statement only (then put back as it was). One plan per shape
# of query, made once per connection (`force_generic_plan`), so a search is not planned afresh each
# time. Plain index scans, because a branch stops after its LIMIT: a bitmap scan would first collect
# every "Smith" in the force. JIT compiling would cost more than the whole search.
_PLAN_SETTINGS = {"plan_cache_mode": "force_generic_plan", "enable_bitmapscan": "off", "jit": "off"}
_PLAN_FOR_SEARCH = text(
    "WITH previous AS MATERIALIZED (SELECT " + ", ".join(f"current_setting('{n}')" for n in _PLAN_SETTINGS) + ") "
    "SELECT previous.* FROM previous, LATERAL (SELECT "
    + ", ".join(f"set_config('{n}', '{v}', true)" for n, v in _PLAN_SETTINGS.items()) + ") AS now")
_RESTORE = text("SELECT " + ", ".join(f"set_config('{n}', :{n}, true)" for n in _PLAN_SETTINGS))


@dataclass(frozen=True)
class _Shape:
    first: bool
    last: bool
    dob: int  # 0 none, 1 year, 2 year and month, 3 the whole date
    phone: bool
    postcode: bool
    outward: bool
    address: bool = False


def _shape(q: ParsedQuery) -> _Shape:
    dob = 0 if q.dob_year is None else 1 if q.dob_month is None else 2 if q.dob_day is None else 3
    return _Shape(first=len(q.names) >= 2, last=bool(q.names), dob=dob, phone=bool(q.phone),
                  postcode=bool(q.postcode), outward=bool(q.outward), address=bool(q.address))


def _branches(shape: _Shape) -> list[tuple[str, str]]:
    """(name, SELECT of candidate person rows) for each index this shape of query can use."""
    person: list[tuple[str, str]] = []  # conditions on person p
    if shape.first:
        person += [
            ("exact", f"p.surname_key = {_S} AND p.forename_key = {_F}"),
            ("near", f"p.surname_key = ANY({_NEAR}) AND p.forename_key = ANY({_VARIANTS})"),
            ("variants", f"p.surname_key = {_S} AND p.forename_key = ANY({_VARIANTS})"),
            ("sound", f"p.surname_sound = {_S_SOUND} AND p.forename_sound = {_F_SOUND}"),
            ("sound_variants", f"p.surname_sound = {_S_SOUND} AND p.forename_key = ANY({_VARIANTS})"),
            # A typo in the surname: its first or last three letters, with the forename.
            ("head", f"p.forename_sound = {_F_SOUND} AND p.surname_head = left({_S}, 3)"),
            ("tail", f"p.forename_sound = {_F_SOUND} AND p.surname_tail = right({_S}, 3)"),
            ("variant_head", f"p.forename_key = ANY({_VARIANTS}) AND p.surname_head = left({_S}, 3)"),
            # Forename and surname the other way round.
            ("swapped_exact", f"p.surname_key = {_F} AND p.forename_key = ANY({_SWAP_VARIANTS})"),
            ("swapped", f"p.surname_sound = {_F_SOUND} AND p.forename_sound = {_S_SOUND}"),
        ]
    elif shape.last:
        person += [("surname", f"p.surname_key = {_S}"), ("surname_sound", f"p.surname_sound = {_S_SOUND}"),
                   ("near", f"p.surname_key = ANY({_NEAR})")]
    if shape.first and shape.dob:
        # Everyone of that name and year, however common the name.
        person.append(("variants_dob", f"p.surname_key = {_S} AND p.forename_key = ANY({_VARIANTS}) "
                                       f"AND p.dob_year = {_YEAR}"))
    if shape.last and shape.dob:
        person.append(("sound_dob", f"p.surname_sound = {_S_SOUND} AND p.dob_year = {_YEAR}"))
    if shape.dob and not shape.last and (shape.phone or shape.postcode or shape.outward):
        parts = [f"p.dob_year = {_YEAR}", f"p.dob_month = {_MONTH}", f"p.dob_day = {_DAY}"][:shape.dob]
        person.append(("dob", " AND ".join(parts)))
    branches = [(name, f"SELECT {_COLUMNS} FROM person p WHERE {where} AND {_LIVE} LIMIT {LIMITS[name]}")
                for name, where in person]
    if shape.last:
        # Names the person was once known by (a maiden name, or a record merged into this one).
        aliases = ([("alias", f"a.surname_sound = {_S_SOUND} AND a.forename_sound = {_F_SOUND}"),
                    ("alias_key", f"a.surname_key = {_S} AND a.forename_key = ANY({_VARIANTS})")] if shape.first
                   else [("alias", f"a.surname_sound = {_S_SOUND}"), ("alias_key", f"a.surname_key = {_S}")])
        branches += [(name, f"SELECT {_COLUMNS} FROM person_alias a JOIN person p ON p.id = a.person_id "
                            f"WHERE {where} AND {_LIVE} LIMIT {LIMITS[name]}") for name, where in aliases]
    if shape.phone:
        branches.append(("phone", f"SELECT {_COLUMNS} FROM person_phone ph JOIN person p ON p.id = ph.person_id "
                                  f"WHERE ph.number_e164 = {_PHONE} AND {_LIVE} LIMIT {LIMITS['phone']}"))
    places = [kind for kind in ("postcode", "outward") if getattr(shape, kind) and (kind == "postcode" or shape.last)]
    places += ["address", "street"] if shape.address else []
    for kind in places:
        branches.append((kind, f"SELECT {_COLUMNS} FROM location l JOIN person_address pa ON pa.location_id = l.id "
                               f"JOIN person p ON p.id = pa.person_id WHERE {_PLACE_MATCH[kind]} "
                               f"AND {_VISIBLE_PLACE} AND {_LIVE} LIMIT {LIMITS[kind]}"))
    return branches


def _sql(shape: _Shape) -> str:
    union = "\n    UNION\n    ".join(f"({sql})" for _, sql in _branches(shape))
    # The query's own sound codes, worked out once rather than once for each candidate.
    sounds = [f"{_S_SOUND} AS s_sound"] if shape.last else []
    sounds += [f"{_F_SOUND} AS f_sound"] if shape.first else []
    scores = []
    if shape.last:
        scores += [f"similarity(c.surname_key, {_S}) AS s_sim", "c.surname_sound = q.s_sound AS s_sound",
                   # An alias can only raise the surname's part when the surname itself is not exact.
                   f"CASE WHEN c.surname_key <> {_S} THEN (SELECT max(greatest(similarity(a.surname_key, {_S}), "
                   "CASE WHEN a.surname_sound = q.s_sound THEN 0.8 ELSE 0 END)) "
                   "FROM person_alias a WHERE a.person_id = c.id) END AS alias_sim"]
    if shape.first:
        scores += [f"similarity(c.forename_key, {_F}) AS f_sim", "c.forename_sound = q.f_sound AS f_sound",
                   f"c.forename_key = ANY({_VARIANTS}) AS f_variant",
                   f"similarity(c.surname_key, {_F}) AS swap_s_sim", f"similarity(c.forename_key, {_S}) AS swap_f_sim",
                   "(c.surname_sound = q.f_sound AND c.forename_sound = q.s_sound) AS swapped_sound"]
    if shape.phone:
        scores.append(f"EXISTS (SELECT 1 FROM person_phone ph WHERE ph.person_id = c.id "
                      f"AND ph.number_e164 = {_PHONE}) AS phone_hit")
    if shape.postcode or shape.outward:
        match = _PLACE_MATCH["postcode" if shape.postcode else "outward"]
        scores.append(f"EXISTS (SELECT 1 FROM person_address pa JOIN location l ON l.id = pa.location_id "
                      f"WHERE pa.person_id = c.id AND {match} AND {_VISIBLE_PLACE}) AS place_hit")
    if shape.address:
        scores += [f"EXISTS (SELECT 1 FROM person_address pa JOIN location l ON l.id = pa.location_id "
                   f"WHERE pa.person_id = c.id AND {_PLACE_MATCH[kind]} AND {_VISIBLE_PLACE}) AS {kind}_hit"
                   for kind in ("address", "street")]
    return (f"WITH q AS MATERIALIZED (SELECT {', '.join(sounds) or 'NULL'}),\nc AS (\n    {union}\n)\n"
            "SELECT c.id, c.forename, c.surname, c.dob_year, c.dob_month, c.dob_day"
            + "".join(f",\n       {s}" for s in scores) +
            "\nFROM c, q\n"
            # Row-level security already hides restricted people and addresses from anyone without a
            # grant; the query says so too, so that a policy mistake alone cannot leak one.
            "WHERE NOT c.restricted OR sg_may_see_person(c.id)")


@lru_cache(maxsize=128)
def _statement(shape: _Shape) -> tuple[TextClause, frozenset[str]]:
    """The statement for this shape of query, and the names of the parameters it takes."""
    sql = _sql(shape)
    return text(sql), frozenset(re.findall(r"(?<!:):(\w+)", sql))


def _params(q: ParsedQuery, shape: _Shape) -> dict[str, object]:
    params: dict[str, object] = {
        "last": q.names[-1] if q.names else None, "first": q.names[0] if shape.first else None,
        "dob_year": q.dob_year, "dob_month": q.dob_month, "dob_day": q.dob_day,
        "phone": q.phone, "postcode": q.postcode, "outward": q.outward,
        # Postcode keys are upper-case letters and digits, all of which sort before "ZZZZ".
        "outward_end": f"{q.outward}ZZZZ" if q.outward else None,
        "address": q.address, "street": q.street,
    }
    if shape.last:
        params["near"] = list(spelling_neighbours(q.names[-1]))
    if shape.first:
        params["variants"] = sorted(name_variants(q.names[0]))
        params["swap_variants"] = sorted(name_variants(q.names[-1]))
    names = _statement(shape)[1]
    return {name: value for name, value in params.items() if name in names}


def _score(row: Mapping[Any, Any], q: ParsedQuery) -> tuple[float, list[str]]:
    why: list[str] = []
    has_first, has_last = len(q.names) >= 2, len(q.names) >= 1
    s_part = 0.0
    f_part = 0.0
    if has_last:
        s_sim = float(row["s_sim"] or 0)
        alias_sim = float(row["alias_sim"] or 0)
        if s_sim >= 0.999:
            s_part, reason = 1.0, "surname exact"
        elif _one_letter_out(q.names[-1], str(row["surname"]).lower()):
            s_part = 0.9
            reason = f"surname {'sounds alike' if row['s_sound'] else 'similar'}, one letter out"
        elif row["s_sound"] and s_sim >= 0.3:
            s_part, reason = 0.85, "surname sounds alike and is spelt similarly"
        elif row["s_sound"]:
            s_part, reason = 0.75, "surname sounds alike"
        else:
            s_part, reason = s_sim, f"surname similar ({s_sim:.0%})"
        if alias_sim > s_part:
            s_part, reason = alias_sim, "matches an alias"
        if s_part >= 0.3:
            why.append(reason)
    if has_first:
        f_sim = float(row["f_sim"] or 0)
        forename = str(row["forename"]).lower()
        if f_sim >= 0.999:
            f_part = 1.0
            why.append("forename exact")
        elif row["f_variant"]:
            f_part = 0.9
            why.append(f"forename is a variant of {q.names[0].title()} ({forename.title()})")
        elif _one_letter_out(q.names[0], forename):
            f_part = 0.85
            why.append(f"forename {'sounds alike' if row['f_sound'] else 'similar'}, one letter out")
        elif row["f_sound"]:
            f_part = 0.75
            why.append("forename sounds alike")
        elif f_sim >= 0.3:
            f_part = f_sim
            why.append(f"forename similar ({f_sim:.0%})")
        elif forename[:1] == q.names[0][:1]:
            f_part = 0.3
            why.append("same initial")
        swap = (float(row["swap_s_sim"] or 0) + float(row["swap_f_sim"] or 0)) / 2
        swapped = max(swap, 0.8 if row["swapped_sound"] else 0.0)
        if swapped > (s_part + f_part) / 2 and swapped >= 0.5:
            s_part = f_part = swapped
            why = [w for w in why if not w.startswith(("surname", "forename", "same initial"))]
            why.append("forename and surname swapped")
    score = 0.0
    weight = 0.0
    if has_last:
        score += 0.45 * s_part
        weight += 0.45
    if has_first:
        score += 0.3 * f_part
        weight += 0.3
    if q.dob_year is not None:
        weight += 0.25
        dob = _dob_score(row, q)
        score += 0.25 * dob
        if dob >= 1.0:
            why.append("date of birth matches")
        elif dob > 0:
            why.append("date of birth matches in part")
        elif row["dob_year"] is None:
            why.append("date of birth not recorded")
    if q.phone:
        weight += 0.4
        if row["phone_hit"]:
            score += 0.4
            why.append("phone number matches")
    if q.postcode or q.outward:
        weight += 0.2
        if row["place_hit"]:
            score += 0.2
            why.append("postcode matches" if q.postcode else "postcode district matches")
    if q.address:
        weight += 0.3
        if row["address_hit"]:
            score += 0.3
            why.append("address matches")
        elif row["street_hit"]:
            score += 0.15
            why.append("same street")
    return (round(score / weight, 3) if weight else 0.0), why


def _one_letter_out(typed: str, name: str) -> bool:
    """One keying error apart: a letter wrong, missing or extra, or two letters swapped (names of four
    letters or more; below that, one letter is too much of the name)."""
    if len(typed) < 4 or typed == name or abs(len(typed) - len(name)) > 1:
        return False
    if len(typed) == len(name):
        diff = [i for i, (a, b) in enumerate(zip(typed, name, strict=True)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and typed[diff[0]] == name[diff[1]] and typed[diff[1]] == name[diff[0]])
    short, long = sorted((typed, name), key=len)
    i = next((i for i, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return short[i:] == long[i + 1:]


def _dob_score(row: Mapping[Any, Any], q: ParsedQuery) -> float:
    year, month, day = row["dob_year"], row["dob_month"], row["dob_day"]
    if year is None or year != q.dob_year:
        return 0.0
    if q.dob_month is None or month is None:
        return 0.7 if q.dob_month is None else 0.5
    if month != q.dob_month:
        return 0.2
    if q.dob_day is None or day is None:
        return 1.0 if q.dob_day is None else 0.8
    return 1.0 if day == q.dob_day else 0.4


def _date_text(year: object, month: object, day: object) -> str | None:
    if year is None:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


async def search_people(db: AsyncSession, query: str, *, limit: int = 20) -> list[SearchResult]:
    """People in the current force matching the query, best first, each with why it matched."""
    q = parse_query(query)
    if q.empty:
        return []
    shape = _shape(q)
    if not _branches(shape):
        return []
    previous = (await db.execute(_PLAN_FOR_SEARCH)).one()
    rows = (await db.execute(_statement(shape)[0], _params(q, shape))).mappings().all()
    # (Had the search failed, the transaction would be rolled back, and the settings with it.)
    await db.execute(_RESTORE, dict(zip(_PLAN_SETTINGS, previous, strict=True)))
    results = []
    for row in rows:
        score, why = _score(row, q)
        if score < 0.35:
            continue
        results.append(SearchResult(int(row["id"]), f"{row['forename']} {row['surname']}",
                                    _date_text(row["dob_year"], row["dob_month"], row["dob_day"]), score, why))
    results.sort(key=lambda r: (-r.score, r.display_name, r.id))
    return results[:limit]
