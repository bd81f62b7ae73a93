"""Finding people as the control room and front desk type them.

A query is read for the parts a call handler types: names (in either order, with typos, nicknames or
phonetic spellings), a full or partial date of birth, a phone number in any common format, and a
postcode. Candidates come from several index-backed lookups (Double Metaphone codes, trigram
similarity, nickname variants, phone, postcode, date of birth); each is then scored and given the
reasons it matched, so the handler can judge the result rather than trust a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$", re.IGNORECASE)
DATE_FULL = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")
DATE_ISO = re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b")
MONTH_YEAR = re.compile(r"\b(\d{1,2})[/.-](\d{4})\b")
YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
PHONE_CHARS = re.compile(r"(?:\+|\b0)[\d\s().-]{8,}\d")

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


@dataclass
class ParsedQuery:
    names: list[str] = field(default_factory=list)
    phone: str | None = None
    postcode: str | None = None
    outward: str | None = None
    dob_year: int | None = None
    dob_month: int | None = None
    dob_day: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.names or self.phone or self.postcode or self.outward or self.dob_year)


def _year(value: str) -> int:
    year = int(value)
    if len(value) == 2:  # 89 -> 1989, 05 -> 2005: nobody on record was born in the future
        from datetime import date

        year += 2000 if year <= date.today().year % 100 else 1900
    return year


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
_TYPED = {
    "f": "CAST(:first AS text)", "s": "CAST(:last AS text)", "f_sound": "dmetaphone(CAST(:first AS text))",
    "s_sound": "dmetaphone(CAST(:last AS text))", "variants": "CAST(:variants AS text[])",
    "has_first": "CAST(:has_first AS boolean)", "has_last": "CAST(:has_last AS boolean)",
    "has_dob": "CAST(:has_dob AS boolean)", "has_place": "CAST(:has_place AS boolean)",
    "dob_year": "CAST(:dob_year AS int)", "dob_month": "CAST(:dob_month AS int)", "dob_day": "CAST(:dob_day AS int)",
    "phone": "CAST(:phone AS text)", "postcode": "CAST(:postcode AS text)", "outward": "CAST(:outward AS text)",
}

# Every branch is an equality on an indexed search key: under row-level security PostgreSQL will only
# drive an index with leakproof operators, which rules out pg_trgm's `%`. Trigram similarity is still
# used, but to score the few candidates, not to find them. Parameters are written in place so the
# planner sees values; an absent phone or postcode is NULL, so its branch folds away.
_SQL = """
WITH candidates AS (
    (SELECT p.id FROM person p WHERE {has_last} AND p.surname_key = {s} AND {has_first}
        AND p.forename_key = ANY({variants}) LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_last} AND p.surname_sound = {s_sound} AND {has_first}
        AND p.forename_sound = {f_sound} LIMIT 400)
    UNION
    (SELECT p.id FROM person p WHERE {has_last} AND p.surname_sound = {s_sound} AND {has_first}
        AND p.forename_key = ANY({variants}) LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_last} AND p.surname_sound = {s_sound} AND {has_dob}
        AND p.dob_year = {dob_year} LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_last} AND NOT {has_first} AND p.surname_key = {s} LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_last} AND NOT {has_first} AND p.surname_sound = {s_sound} LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_first} AND p.forename_sound = {f_sound}
        AND p.surname_head = left({s}, 3) LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_first} AND p.forename_sound = {f_sound}
        AND p.surname_tail = right({s}, 3) LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_first} AND p.forename_key = ANY({variants})
        AND p.surname_head = left({s}, 3) LIMIT 200)
    UNION
    (SELECT p.id FROM person p WHERE {has_first} AND p.surname_sound = {f_sound}
        AND p.forename_sound = {s_sound} LIMIT 100)
    UNION
    (SELECT a.person_id FROM person_alias a WHERE {has_last}
        AND (a.surname_sound = {s_sound} OR a.surname_key = {s}) LIMIT 100)
    UNION
    (SELECT p.id FROM person p WHERE {has_dob} AND NOT {has_last} AND {has_place} AND p.dob_year = {dob_year}
        AND ({dob_month} IS NULL OR p.dob_month = {dob_month}) AND ({dob_day} IS NULL OR p.dob_day = {dob_day})
        LIMIT 400)
    UNION
    (SELECT ph.person_id FROM person_phone ph WHERE ph.number_e164 = {phone} LIMIT 100)
    UNION
    (SELECT pa.person_id FROM person_address pa JOIN location l ON l.id = pa.location_id
        WHERE l.postcode_key = {postcode} AND (NOT l.restricted OR sg_may_see_location(l.id)) LIMIT 200)
    UNION
    (SELECT pa.person_id FROM person_address pa JOIN location l ON l.id = pa.location_id
        WHERE l.postcode_key LIKE {outward} || '%' AND (NOT l.restricted OR sg_may_see_location(l.id))
        AND ({has_last} OR {has_first}) LIMIT 400)
)
SELECT p.id, p.forename, p.surname, p.dob_year, p.dob_month, p.dob_day,
       similarity(p.surname_key, {s}) AS s_sim,
       similarity(p.forename_key, {f}) AS f_sim,
       similarity(p.surname_key, {f}) AS swap_s_sim,
       similarity(p.forename_key, {s}) AS swap_f_sim,
       p.surname_sound = {s_sound} AS s_sound,
       p.forename_sound = {f_sound} AS f_sound,
       p.forename_key = ANY({variants}) AS f_variant,
       (p.surname_sound = {f_sound} AND p.forename_sound = {s_sound}) AS swapped_sound,
       {phone} IS NOT NULL AND EXISTS (SELECT 1 FROM person_phone ph WHERE ph.person_id = p.id
                                       AND ph.number_e164 = {phone}) AS phone_hit,
       ({postcode} IS NOT NULL OR {outward} IS NOT NULL) AND EXISTS (
           SELECT 1 FROM person_address pa JOIN location l ON l.id = pa.location_id
           WHERE pa.person_id = p.id AND (NOT l.restricted OR sg_may_see_location(l.id))
           AND (l.postcode_key = {postcode} OR l.postcode_key LIKE {outward} || '%')) AS place_hit,
       (SELECT max(greatest(similarity(a.surname_key, {s}), CASE WHEN a.surname_sound = {s_sound} THEN 0.8 ELSE 0 END))
        FROM person_alias a WHERE a.person_id = p.id) AS alias_sim
FROM candidates c JOIN person p ON p.id = c.id
-- Row-level security already hides restricted people and addresses from anyone without a grant; the
-- query says so too, so that a policy mistake alone cannot leak one.
WHERE NOT p.restricted OR sg_may_see_person(p.id)
""".format(**_TYPED)


def _score(row: dict[str, object], q: ParsedQuery) -> tuple[float, list[str]]:
    why: list[str] = []
    has_first, has_last = len(q.names) >= 2, len(q.names) >= 1
    s_part = 0.0
    f_part = 0.0
    if has_last:
        s_sim = float(row["s_sim"] or 0)  # type: ignore[arg-type]
        alias_sim = float(row["alias_sim"] or 0)  # type: ignore[arg-type]
        if s_sim >= 0.999:
            s_part, reason = 1.0, "surname exact"
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
        f_sim = float(row["f_sim"] or 0)  # type: ignore[arg-type]
        forename = str(row["forename"]).lower()
        if f_sim >= 0.999:
            f_part = 1.0
            why.append("forename exact")
        elif row["f_variant"]:
            f_part = 0.9
            why.append(f"forename is a variant of {q.names[0].title()} ({forename.title()})")
        elif row["f_sound"]:
            f_part = 0.75
            why.append("forename sounds alike")
        elif f_sim >= 0.3:
            f_part = f_sim
            why.append(f"forename similar ({f_sim:.0%})")
        elif forename[:1] == q.names[0][:1]:
            f_part = 0.3
            why.append("same initial")
        swap = (float(row["swap_s_sim"] or 0) + float(row["swap_f_sim"] or 0)) / 2  # type: ignore[arg-type]
        swapped = 0.8 if row["swapped_sound"] else swap
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
    return (round(score / weight, 3) if weight else 0.0), why


def _dob_score(row: dict[str, object], q: ParsedQuery) -> float:
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
    first = q.names[0] if len(q.names) >= 2 else ""
    last = q.names[-1] if q.names else ""
    params = {
        "first": first, "last": last, "variants": sorted(name_variants(first)) if first else [],
        "has_first": bool(first), "has_last": bool(last), "has_dob": q.dob_year is not None,
        "has_place": bool(q.postcode or q.outward or q.phone),
        "dob_year": q.dob_year, "dob_month": q.dob_month, "dob_day": q.dob_day,
        "phone": q.phone, "postcode": q.postcode, "outward": q.outward,
    }
    rows = (await db.execute(text(_SQL), params)).mappings().all()
    results = []
    for row in rows:
        score, why = _score(dict(row), q)
        if score < 0.35:
            continue
        results.append(SearchResult(int(row["id"]), f"{row['forename']} {row['surname']}",
                                    _date_text(row["dob_year"], row["dob_month"], row["dob_day"]), score, why))
    results.sort(key=lambda r: (-r.score, r.display_name, r.id))
    return results[:limit]
