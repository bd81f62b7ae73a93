"""The synthetic force: a seeded, streaming generator of a realistic fictional police force.

Everything comes from `random.Random` streams seeded by (seed, phase) and from a fixed end date, so the
same seed, size and end date always give byte-identical rows, on any machine. Rows come out table by
table in batches (`generate`), in an order that satisfies every foreign key, so a loader can COPY them
as they arrive. The largest force (about two million person records and a million incidents) is never
held as Python objects: what later phases need to know about each person (sex, year of birth, home,
phone, where their duplicate records are) lives in compact `array`s of a few bytes per person.

What it models, and why:
- Harm is concentrated (DOMAIN.md §5.4): each perpetrator-victim pair (dyad) gets a number of incidents
  from a truncated power law, so about three in four dyads are never reported again while a few per cent
  of perpetrators account for a large share of incidents. Perpetrators with repeat incidents go on to
  further victims more often (serial perpetrators). A dyad's incidents fall within an abusive period,
  so repeat victims (three or more incidents in twelve months) arise naturally.
- About a third of victims are male; perpetrators are of both sexes, some relationships same-sex, and
  a fifth of dyads are family members (adult children and parents, siblings).
- Partners often share an address; ex-partners often used to. Some victims of repeated abuse move into
  a refuge, whose address is restricted.
- Reports follow the calendar (`seasons`): weekends, summer, Christmas and New Year, football.
- Contacts on every channel; silent 999 calls with "55" pressed only where the Silent Solution applies
  (mobiles).
- Duplicate person records (about 12% of people have two or more), with the errors real systems hold:
  typos, nicknames and other spellings, swapped forename and surname, a changed surname, an old
  address, a missing, partial or wrong date of birth, another or mistyped phone number. Each record's
  true identity is written to `synth.true_identity`, never into the person record.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Generic, NamedTuple, TypeVar

from safeguard.synth import names, places, seasons

DEFAULT_END = date(2026, 11, 1)
YEARS = 3
T = TypeVar("T")


@dataclass(frozen=True)
class Size:
    identities: int  # real people; each has one or more person records
    incidents: int
    areas: int

    @property
    def locations(self) -> int:
        # About 2-3 people to a home, counting former residents.
        return max(60, round(self.identities / 2.2))


SIZES: dict[str, Size] = {
    "demo": Size(identities=3_000, incidents=1_500, areas=4),
    "small": Size(identities=17_500, incidents=10_000, areas=6),
    "large": Size(identities=1_740_000, incidents=1_000_000, areas=8),
}

Row = tuple[object, ...]


class Batch(NamedTuple):
    table: str
    rows: list[Row]


# Every table's columns, in the order rows carry them; tables in an order that respects foreign keys.
COLUMNS: dict[str, tuple[str, ...]] = {
    "area": ("id", "force_id", "code", "name"),
    "team": ("id", "force_id", "name", "kind", "area_id"),
    "location": ("id", "force_id", "area_id", "line1", "line2", "town", "postcode", "latitude", "longitude",
                 "restricted"),
    "person": ("id", "force_id", "forename", "middle_names", "surname", "dob_year", "dob_month", "dob_day",
               "gender", "restricted"),
    "person_alias": ("id", "force_id", "person_id", "forename", "surname"),
    "person_phone": ("id", "force_id", "person_id", "number_e164"),
    "person_address": ("id", "force_id", "person_id", "location_id", "from_date", "to_date"),
    "synth.true_identity": ("person_id", "identity_id"),
    "relationship": ("id", "force_id", "person_a_id", "person_b_id", "kind", "detail", "since"),
    "incident": ("id", "force_id", "reference", "occurred_at", "location_id", "area_id", "da_related", "summary",
                 "created_at"),
    "incident_person": ("id", "force_id", "incident_id", "person_id", "role"),
    "contact": ("id", "force_id", "channel", "caller_number", "received_at", "pressed_55", "note", "incident_id",
                "da_flag", "grade", "created_at", "status", "closed_at", "graded_at"),
}


@dataclass
class Ids:
    """The first id to use in each table, so that a second force loads beside the first."""

    area: int = 1
    team: int = 1
    location: int = 1
    person: int = 1
    person_alias: int = 1
    person_phone: int = 1
    person_address: int = 1
    relationship: int = 1
    incident: int = 1
    incident_person: int = 1
    contact: int = 1

    @classmethod
    def tables(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


# -- the model's parameters --------------------------------------------------------------------------
GENDERS = ("female", "male", "non-binary", "unknown")
FEMALE, MALE, NON_BINARY, UNKNOWN = range(4)
RESTRICTED_LOCATION_SHARE = 0.02  # refuges and other protected addresses
RESTRICTED_PERSON_SHARE = 0.001
DA_SHARE = 0.88  # the rest are incidents that turned out not to be domestic abuse
DUPLICATE_SHARE = 0.12
EXTRA_RECORDS = ((1, 0.75), (2, 0.20), (3, 0.05))  # how many more records a duplicated person has
MALE_VICTIM_SHARE = 0.31  # CSEW 2024: 712,000 of 2.3 million victims
OTHER_VICTIM_SHARE = 0.01
# Incidents per dyad: P(k) ~ k^-alpha for k = 1..150. Men are less often repeat victims.
DYAD_ALPHA = {FEMALE: 2.35, MALE: 2.7, NON_BINARY: 2.5, UNKNOWN: 2.5}
DYAD_MAX = 150
DYAD_KINDS = ((0, 0.42), (1, 0.38), (2, 0.20))  # intimate partner, ex-partner, family member
RELATIONSHIP_KINDS = ("intimate_partner", "ex_partner", "family_member")
FAMILY = ("child", "parent", "sibling", "other")  # the perpetrator is the victim's ...
FAMILY_WEIGHTS = (0.55, 0.15, 0.22, 0.08)
CHANNELS = (("999", 0.52), ("101", 0.26), ("online", 0.09), ("in-person", 0.07), ("999-silent", 0.06))
FOLLOW_UP_CHANNELS = (("999", 0.55), ("101", 0.40), ("999-silent", 0.05))
GRADES = {"999": (("emergency", 0.6), ("priority", 0.35), ("scheduled", 0.05)),
          "999-silent": (("emergency", 0.85), ("priority", 0.15)),
          "101": (("priority", 0.35), ("scheduled", 0.45), ("resolution", 0.20)),
          "online": (("scheduled", 0.6), ("resolution", 0.4)),
          "in-person": (("priority", 0.3), ("scheduled", 0.5), ("resolution", 0.2))}
_ANY_DA = ("Verbal argument, caller frightened", "Threats to kill made", "Criminal damage to property",
           "Concern for welfare", "Harassment by phone and social media", "Threats made while intoxicated",
           "Damage to victim's phone", "Assault, injuries to face")
_PARTNER = ("Assault by partner reported", "Strangulation disclosed", "Controlling behaviour disclosed",
            "Partner refusing to leave address", "Breach of non-molestation order", "Breach of DAPN",
            "Breach of bail conditions")
SUMMARIES = (  # by dyad kind: intimate partner, ex-partner, family member
    (*_ANY_DA, *_PARTNER),
    (*_ANY_DA, *_PARTNER, "Ex-partner attended address uninvited", "Child contact handover dispute",
     "Stalking: followed from work"),
    (*_ANY_DA, "Assault by family member", "Family member refusing to leave address",
     "Financial abuse by family member disclosed", "Sibling dispute, assault"),
)
OTHER_SUMMARIES = ("Disturbance reported", "Neighbour dispute", "Noise complaint", "Assault outside licensed "
                   "premises", "Theft from vehicle", "Concern for welfare, not domestic", "Suspicious person")
NOTES = {"999-silent": ("Silent call, 55 detected", "Silent call, tapping heard", "Silent call, shouting in "
                        "background"),
         "999": ("Caller distressed", "Third party reports screaming", "Caller whispering", None, None),
         "101": (None, None, "Caller asks for advice", "Report of earlier incident"),
         "online": ("Online report form", None),
         "in-person": ("Front counter report", None)}

# Duplicate record error kinds, with weights.
ERRORS = (("typo_surname", 14), ("typo_forename", 10), ("nickname", 14), ("swapped", 7), ("surname_changed", 9),
          ("moved", 12), ("dob_missing", 7), ("dob_partial", 8), ("dob_wrong", 5), ("phone_variant", 7),
          ("middle_as_forename", 3), ("exact", 4))

# Ages 16 to 88, most in their twenties to forties (a beta(2, 4.6) shape).
AGES = tuple((16 + a, (a + 0.5) * (72 - a - 0.5) ** 3.6) for a in range(72))
# Scheduled incidents are packed into one integer: local minute << DYAD_BITS | dyad.
DYAD_BITS = 24
DYAD_MASK = (1 << DYAD_BITS) - 1
NOT_DA = DYAD_MASK  # a scheduled incident that belongs to no dyad
NO_DATE = -(2**31)

KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", (
    "wa", "qes", "wrd", "etf", "ryg", "tuh", "yij", "uok", "ipl", "ol", "qsz", "awdx", "sefc", "drgv", "fthb",
    "gyjn", "hukm", "jil", "kop", "asx", "zdc", "xfv", "cgb", "vhn", "bjm", "nk"), strict=True)}


class FastRandom(random.Random):
    """`random.Random` whose integer draws take one float each instead of rejection sampling on bits.

    About five times quicker, which matters at two million people; the bias (well under one in a billion
    for these ranges) does not matter for test data. Still fully determined by the seed.
    """

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if step != 1:
            return super().randrange(start, stop, step)
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


class _Table(Generic[T]):
    """Cumulative weights for `bisect`: a weighted pick from one uniform draw."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights`, exactly (largest remainders)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def typo(rng: random.Random, word: str) -> str:
    """One keying error: a neighbouring key, a transposition, a dropped or doubled letter, lost punctuation."""
    if "'" in word or "-" in word:
        if rng.random() < 0.6:
            return word.replace("'", "").replace("-", " " if rng.random() < 0.5 else "")
    if len(word) < 3:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind < 0.55:
        return word[:i] + word[i + 1:]
    if kind < 0.75:
        return word[:i] + word[i] + word[i:]
    neighbours = KEYBOARD.get(word[i].lower())
    if not neighbours:
        return word[:i] + word[i + 1:]
    return word[:i] + neighbours[rng.randrange(len(neighbours))] + word[i + 1:]


class ForceGenerator:
    """One fictional force. `generate()` yields its rows as `Batch`es, in foreign-key order."""

    def __init__(self, size: str, seed: int, *, force_id: int = 1, ids: Ids | None = None,
                 end_date: date = DEFAULT_END, batch: int = 20_000) -> None:
        if size not in SIZES:
            raise ValueError(f"Unknown size '{size}'. Choose one of: {', '.join(SIZES)}.")
        self.size_name = size
        self.size = SIZES[size]
        self.seed = seed
        self.force_id = force_id
        self.ids = ids or Ids()
        self.end = end_date
        self.batch = batch
        self.first_day = end_date - timedelta(days=YEARS * 365)
        self.n_days = (end_date - self.first_day).days + 1
        # What went into the force, for tests and reports: duplicate error kinds, dyads, refuges.
        self.stats: Counter[str] = Counter()
        # Progress in work units (locations, people and incidents generated), for a progress bar.
        self.work_total = self.size.locations + self.size.identities + self.size.incidents
        self.work_done = 0

    def _rng(self, phase: str) -> FastRandom:
        # A stream per phase: a change in one phase leaves the others' data as it was.
        return FastRandom(f"safeguard.synth:{self.seed}:{phase}")

    def generate(self) -> Iterator[Batch]:
        yield from self._areas_and_teams()
        yield from self._locations()
        self._population()
        self._dyads()
        yield from self._people()
        yield from self._relationships()
        yield from self._incidents()

    # -- areas, teams, addresses -------------------------------------------------------------------
    def _areas_and_teams(self) -> Iterator[Batch]:
        specs = places.AREAS[: self.size.areas]
        self.area_ids = [self.ids.area + i for i in range(len(specs))]
        yield Batch("area", [(self.area_ids[i], self.force_id, s.code, s.name) for i, s in enumerate(specs)])
        teams: list[Row] = [
            (self.ids.team, self.force_id, "Public Protection Unit", "public_protection", None),
            (self.ids.team + 1, self.force_id, "Operational Support", "operational_support", None),
            (self.ids.team + 2, self.force_id, "Force Contact and Control Room", "control_room", None),
        ]
        teams += [(self.ids.team + 3 + i, self.force_id, f"{s.name} Local Policing", "local_policing",
                   self.area_ids[i]) for i, s in enumerate(specs)]
        yield Batch("team", teams)

    def _locations(self) -> Iterator[Batch]:
        rng = self._rng("locations")
        specs = places.AREAS[: self.size.areas]
        total = self.size.locations
        n_restricted = max(len(specs), round(total * RESTRICTED_LOCATION_SHARE))
        self.n_homes = total - n_restricted
        weights = [s.weight for s in specs]
        self.location_area = bytearray(total)
        self.area_homes: list[tuple[int, int]] = []  # each area's range of unrestricted locations
        self.refuges = (self.n_homes, total)
        base, force_id = self.ids.location, self.force_id
        rows: list[Row] = []
        index = 0
        blocks = ((False, _apportion(self.n_homes, weights)), (True, _apportion(n_restricted, weights)))
        for restricted, counts in blocks:
            for a, count in enumerate(counts):
                start = index
                spec = specs[a]
                for line1, line2, postcode, lat, lon in self._addresses(rng, a, count):
                    self.location_area[index] = a
                    rows.append((base + index, force_id, self.area_ids[a], line1, line2, spec.town, postcode,
                                 lat, lon, restricted))
                    index += 1
                    if len(rows) >= self.batch:
                        self.work_done += len(rows)
                        yield Batch("location", rows)
                        rows = []
                if not restricted:
                    self.area_homes.append((start, index))
        self.work_done += len(rows)
        if rows:
            yield Batch("location", rows)

    def _addresses(self, rng: random.Random, area: int, count: int) -> Iterator[
            tuple[str, str | None, str, float, float]]:
        """Streets of houses and blocks of flats, each postcode unit a run of neighbouring addresses."""
        spec = places.AREAS[area]
        centre_lat, centre_lon = places.CENTRE[0] + spec.offset[0], places.CENTRE[1] + spec.offset[1]
        stems, kinds = places.STREET_STEMS, names.Weighted.parse(places.STREET_KINDS)
        letters = places.UNIT_LETTERS
        produced = 0
        while produced < count:
            stem = stems[rng.randrange(len(stems))]
            street = f"{stem} {kinds.pick(rng)}"
            lat = centre_lat + rng.gauss(0, 0.016)
            lon = centre_lon + rng.gauss(0, 0.026)
            angle = rng.random() * math.pi
            step_lat, step_lon = 0.00011 * math.sin(angle), 0.00017 * math.cos(angle)
            outward = f"ZZ{3 * area + 1 + rng.randrange(3)} {rng.randrange(10)}"
            if rng.random() < 0.12:
                block = f"{stems[rng.randrange(len(stems))]} {places.BLOCK_KINDS[rng.randrange(5)]}"
                postcode = f"{outward}{letters[rng.randrange(20)]}{letters[rng.randrange(20)]}"
                flats = min(count - produced, rng.randint(12, 48))
                for flat in range(1, flats + 1):
                    yield (f"Flat {flat}, {block}", street, postcode, round(lat + rng.gauss(0, 0.00003), 6),
                           round(lon + rng.gauss(0, 0.00004), 6))
                produced += flats
                continue
            houses = min(count - produced, rng.randint(8, 90))
            postcode = ""
            for n in range(houses):
                if n % 16 == 0:
                    postcode = f"{outward}{letters[rng.randrange(20)]}{letters[rng.randrange(20)]}"
                number = f"{n + 1}{'a' if rng.random() < 0.02 else ''}"
                offset = n - houses / 2
                yield (f"{number} {street}", None, postcode, round(lat + offset * step_lat, 6),
                       round(lon + offset * step_lon, 6))
            produced += houses

    def _random_home(self, rng: random.Random, area: int | None = None) -> int:
        if area is None:
            return rng.randrange(self.n_homes)
        start, stop = self.area_homes[area]
        return rng.randrange(start, stop)

    # -- people, in compact arrays -----------------------------------------------------------------
    def _population(self) -> None:
        """Each person's sex, year of birth and home: what the dyads need before any row is written."""
        rng = self._rng("population")
        n = self.size.identities
        self.gender = bytearray(n)
        self.birth_year = array("H", bytes(2 * n))
        self.home = array("i", bytes(4 * n))
        end_year, n_homes = self.end.year, self.n_homes
        random_ = rng.random
        ages = _Table(AGES)
        for i in range(n):
            roll = random_()
            self.gender[i] = FEMALE if roll < 0.505 else MALE if roll < 0.985 else NON_BINARY if roll < 0.99 \
                else UNKNOWN
            self.birth_year[i] = end_year - ages.pick(rng)
            self.home[i] = int(random_() * n_homes)

    def _find(self, rng: random.Random, gender: int, years: tuple[int, int] | None, avoid: int) -> int:
        """A random person of this sex, born within `years` if possible."""
        n, genders, born = self.size.identities, self.gender, self.birth_year
        fallback = -1
        for _ in range(80):
            i = rng.randrange(n)
            if genders[i] != gender or i == avoid:
                continue
            if years is None or years[0] <= born[i] <= years[1]:
                return i
            fallback = i
        if fallback >= 0:
            return fallback
        while True:
            i = rng.randrange(n)
            if i != avoid:
                return i

    def _dyads(self) -> None:
        """Perpetrator-victim pairs and how many incidents each has, until the force's DA total is met."""
        rng = self._rng("dyads")
        n_days = self.n_days
        target = round(self.size.incidents * DA_SHARE)
        counts = {g: _Table([(k, k ** -alpha) for k in range(1, DYAD_MAX + 1)]) for g, alpha in DYAD_ALPHA.items()}
        kinds = _Table(DYAD_KINDS)
        family = _Table(list(zip(range(4), FAMILY_WEIGHTS, strict=True)))
        victim_sex = _Table([(FEMALE, 1 - MALE_VICTIM_SHARE - OTHER_VICTIM_SHARE), (MALE, MALE_VICTIM_SHARE),
                             (NON_BINARY, OTHER_VICTIM_SHARE / 2), (UNKNOWN, OTHER_VICTIM_SHARE / 2)])
        self.perpetrator, self.victim = array("i"), array("i")
        self.kind = bytearray()  # 0 intimate, 1 ex, 2 + FAMILY index
        self.count, self.window_start, self.window_span = array("H"), array("H"), array("H")
        self.since = array("i")  # relationship start, in days from first_day; NO_DATE if unknown
        self.prev_home = array("i", [-1]) * self.size.identities
        self.refuge: dict[int, tuple[int, int]] = {}  # victim -> (refuge location, day moved in)
        born, home = self.birth_year, self.home
        oldest = (min(born), max(born))  # the range of birth years
        total = 0

        def add(perpetrator: int, victim: int, kind: int, k: int) -> None:
            nonlocal total
            k = min(k, target - total)
            span = 1 if k == 1 else min(n_days, round(k * rng.uniform(20, 75)))
            start = rng.randrange(n_days)
            self.perpetrator.append(perpetrator)
            self.victim.append(victim)
            self.kind.append(kind)
            self.count.append(k)
            self.window_start.append(start)
            self.window_span.append(span)
            if kind == 0:
                self.since.append(start - rng.randint(60, 3650))
                if rng.random() < 0.55:
                    home[perpetrator] = home[victim]  # living together
            elif kind == 1:
                self.since.append(start - rng.randint(365, 5000))
                if rng.random() < 0.6:
                    self.prev_home[perpetrator] = home[victim]  # used to live together
            else:
                self.since.append(NO_DATE)
                if rng.random() < 0.45:
                    home[perpetrator] = home[victim]
            if k >= 4 and victim not in self.refuge and rng.random() < 0.12:
                moved = min(n_days - 1, start + span)
                self.refuge[victim] = (rng.randrange(*self.refuges), moved)
            total += k
            self.stats["dyads"] += 1

        while total < target:
            kind = kinds.pick(rng)
            v_sex = victim_sex.pick(rng)
            victim = self._find(rng, v_sex, None, -1)
            v_born = born[victim]
            if kind < 2:
                if v_sex == FEMALE:
                    p_sex = FEMALE if rng.random() < 0.05 else MALE
                elif v_sex == MALE:
                    p_sex = MALE if rng.random() < 0.15 else FEMALE
                else:
                    p_sex = rng.randrange(4)
                years = (v_born - 12, v_born + 10)
            else:
                relation = family.pick(rng)
                gap = rng.randint(18, 40)
                if (relation == 0 and v_born + gap > oldest[1]) or (relation == 1 and v_born - gap < oldest[0]):
                    relation = 2  # no adult child or living parent of that age: a sibling instead
                kind = 2 + relation
                p_sex = MALE if rng.random() < 0.68 else FEMALE
                # The perpetrator is the victim's child, parent, sibling or another relative.
                years = ((v_born + gap, v_born + gap + 2), (v_born - gap - 2, v_born - gap), (v_born - 9, v_born + 9),
                         (v_born - 60, v_born + 60))[relation]
            perpetrator = self._find(rng, p_sex, years, victim)
            k = counts[v_sex].pick(rng)
            add(perpetrator, victim, kind, k)
            # Perpetrators who go on offending often go on to new partners.
            serial_chance = 0.03 if k == 1 else 0.10 if k < 4 else 0.25 if k < 10 else 0.45
            while total < target and rng.random() < serial_chance:
                p_born = born[perpetrator]
                other = self._find(rng, v_sex if kind < 2 else FEMALE if p_sex == MALE else MALE,
                                   (p_born - 10, p_born + 12), perpetrator)
                k = counts[self.gender[other]].pick(rng)
                add(perpetrator, other, 0 if rng.random() < 0.5 else 1, k)
                self.stats["serial_dyads"] += 1
                serial_chance *= 0.6
        self.stats["refuges"] = len(self.refuge)

    def _number(self, rng: random.Random) -> int:
        """An index into `places.ALL_NUMBERS`: mostly mobiles, some local landlines, a few others."""
        roll = rng.random()
        if roll < 0.8:
            return rng.randrange(1000)
        if roll < 0.95:
            return 1000 + rng.randrange(1000)
        return rng.randrange(2000, len(places.ALL_NUMBERS))

    @staticmethod
    def _mistyped_number(index: int, rng: random.Random) -> int:
        # Two of the last three digits swapped, or one changed: still inside the same reserved block.
        block, n = divmod(index, 1000)
        digits = list(f"{n:03d}")
        i = rng.randrange(2)
        if digits[i] != digits[i + 1]:
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
        else:
            digits[2] = str((int(digits[2]) + 1 + rng.randrange(9)) % 10)
        return block * 1000 + int("".join(digits))

    def _people(self) -> Iterator[Batch]:
        rng = self._rng("people")
        n = self.size.identities
        force_id, ids = self.force_id, self.ids
        numbers = places.ALL_NUMBERS
        self.extra_records = bytearray(n)
        self.dup_start = array("i", bytes(4 * n))
        self.phone = array("i", [-1]) * n
        self.dup_base = ids.person + n  # duplicate records are numbered after everyone's first record
        dup_next = 0
        alias_id, phone_id, address_id = (itertools.count(ids.person_alias), itertools.count(ids.person_phone),
                                          itertools.count(ids.person_address))
        people: list[Row] = []
        aliases: list[Row] = []
        phones: list[Row] = []
        addresses: list[Row] = []
        truth: list[Row] = []
        errors = _Table([(kind, float(w)) for kind, w in ERRORS])
        extra_table = _Table([(k, w) for k, w in EXTRA_RECORDS])
        first_day, end = self.first_day, self.end
        random_, randint = rng.random, rng.randint
        for i in range(n):
            sex = self.gender[i]
            female = sex == FEMALE or (sex >= NON_BINARY and random_() < 0.5)
            group = names.GROUP_PICK.pick(rng)
            year = self.birth_year[i]
            forename = names.forename(rng, group, female, year)
            middle = names.forename(rng, group, female, year) if random_() < 0.3 else None
            if middle == forename:
                middle = None
            surname = names.surname(rng, group, female)
            month = randint(1, 12)
            day = randint(1, _days_in_month(year, month))
            roll = random_()
            dob: tuple[int | None, int | None, int | None] = (
                (year, month, day) if roll < 0.93 else (year, month, None) if roll < 0.945
                else (year, None, None) if roll < 0.97 else (None, None, None))
            roll = random_()
            own: list[int] = []
            for _ in range(0 if roll < 0.3 else 1 if roll < 0.88 else 2):
                number = self._number(rng)
                if number not in own:
                    own.append(number)
            if own:
                self.phone[i] = own[0]
            # Where they live now, and before: (location, from, to).
            history: list[tuple[int, date | None, date | None]] = []
            moved_in: date | None = end - timedelta(days=randint(20, 4000)) if random_() < 0.95 else None
            refuge = self.refuge.get(i)
            if refuge is not None:
                location, day_moved = refuge
                left = first_day + timedelta(days=day_moved)
                history.append((location, left, None))
                history.append((self.home[i], moved_in if moved_in and moved_in < left else None, left))
            else:
                history.append((self.home[i], moved_in, None))
                previous = self.prev_home[i]
                if previous < 0 and random_() < 0.3:
                    area = self.location_area[self.home[i]] if random_() < 0.7 else None
                    previous = self._random_home(rng, area)
                if previous >= 0 and previous != self.home[i]:
                    to = moved_in or end - timedelta(days=randint(20, 4000))
                    history.append((previous, to - timedelta(days=randint(180, 3000)), to))
            restricted = random_() < RESTRICTED_PERSON_SHARE
            pid = ids.person + i
            gender = GENDERS[sex]
            people.append((pid, force_id, forename, middle, surname, *dob, gender, restricted))
            truth.append((pid, pid))
            for number in own:
                phones.append((next(phone_id), force_id, pid, numbers[number]))
            for location, since, until in history:
                addresses.append((next(address_id), force_id, pid, ids.location + location, since, until))
            if random_() < 0.025:
                alias = self._alias(rng, group, female, forename, surname)
                aliases.append((next(alias_id), force_id, pid, *alias))

            if random_() < DUPLICATE_SHARE:
                extra = extra_table.pick(rng)
                self.extra_records[i] = extra
                self.dup_start[i] = dup_next
                for _ in range(extra):
                    did = self.dup_base + dup_next
                    dup_next += 1
                    kind = errors.pick(rng)
                    kinds = [kind] if random_() < 0.7 else [kind, errors.pick(rng)]
                    d_fore, d_middle, d_sur, d_dob, d_gender = forename, middle, surname, dob, gender
                    d_own = own if random_() < 0.75 else []
                    d_location = self.home[i]
                    d_since: date | None = None
                    old_surname: str | None = None
                    if random_() < 0.5:
                        d_middle = None  # the middle name is often left out
                    if random_() < 0.03:
                        d_gender = "unknown"
                    for kind in kinds:
                        if kind == "typo_surname":
                            d_sur = self._misspelt(rng, d_sur, names.SURNAME_VARIANTS)
                        elif kind == "typo_forename":
                            d_fore = typo(rng, d_fore)
                        elif kind == "nickname":
                            variants = names.NICKNAMES.get(d_fore)
                            if variants:
                                d_fore = variants[rng.randrange(len(variants))]
                            else:
                                kind = "typo_forename"
                                d_fore = typo(rng, d_fore)
                        elif kind == "swapped":
                            d_fore, d_sur = d_sur, d_fore
                        elif kind == "surname_changed" and not female and random_() < 0.8:
                            kind = "typo_surname"  # men change their surnames on marriage far less often
                            d_sur = self._misspelt(rng, d_sur, names.SURNAME_VARIANTS)
                        elif kind == "surname_changed":
                            old_surname = d_sur
                            new = names.surname(rng, group, female)
                            d_sur = f"{d_sur}-{new}" if random_() < 0.2 else new
                        elif kind == "moved":
                            d_location = history[1][0] if len(history) > 1 else self._random_home(rng)
                            d_since = None
                        elif kind == "dob_missing":
                            d_dob = (None, None, None)
                        elif kind == "dob_partial":
                            d_dob = (d_dob[0], d_dob[1], None) if random_() < 0.4 else (d_dob[0], None, None)
                        elif kind == "dob_wrong":
                            d_dob = self._wrong_dob(rng, d_dob)
                        elif kind == "phone_variant":
                            d_own = ([self._mistyped_number(own[0], rng)] if own and random_() < 0.5
                                     else [self._number(rng)])
                        elif kind == "middle_as_forename":
                            if middle:
                                d_fore, d_middle = middle, None
                            else:
                                kind = "typo_forename"
                                d_fore = typo(rng, d_fore)
                        self.stats[f"error_{kind}"] += 1
                    people.append((did, force_id, d_fore, d_middle, d_sur, *d_dob, d_gender, restricted))
                    truth.append((did, pid))
                    for number in d_own:
                        phones.append((next(phone_id), force_id, did, numbers[number]))
                    addresses.append((next(address_id), force_id, did, ids.location + d_location, d_since, None))
                    if old_surname and random_() < 0.4:
                        aliases.append((next(alias_id), force_id, did, d_fore, old_surname))
            if len(people) >= self.batch:
                self.work_done += self.batch
                yield from self._flush(people, aliases, phones, addresses, truth)
                people, aliases, phones, addresses, truth = [], [], [], [], []
        self.work_done = self.size.locations + n
        yield from self._flush(people, aliases, phones, addresses, truth)
        self.stats["duplicate_records"] = dup_next

    @staticmethod
    def _flush(people: list[Row], aliases: list[Row], phones: list[Row], addresses: list[Row],
               truth: list[Row]) -> Iterator[Batch]:
        for table, rows in (("person", people), ("person_alias", aliases), ("person_phone", phones),
                            ("person_address", addresses), ("synth.true_identity", truth)):
            if rows:
                yield Batch(table, rows)

    @staticmethod
    def _misspelt(rng: random.Random, word: str, variants: dict[str, tuple[str, ...]]) -> str:
        options = variants.get(word)
        if options and rng.random() < 0.6:
            return options[rng.randrange(len(options))]
        return typo(rng, word)

    @staticmethod
    def _wrong_dob(rng: random.Random, dob: tuple[int | None, int | None, int | None]
                   ) -> tuple[int | None, int | None, int | None]:
        year, month, day = dob
        if year is None:
            return dob
        if month and day and day <= 12 and day != month and rng.random() < 0.5:
            return year, day, month  # day and month the wrong way round
        if rng.random() < 0.5:
            return year + rng.choice((-1, 1)), month, day
        if month and day:
            return year, month, min(_days_in_month(year, month), max(1, day + rng.choice((-10, -1, 1, 10))))
        return year + 1, month, day

    def _alias(self, rng: random.Random, group: str, female: bool, forename: str, surname: str) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.4 and female:
            return forename, names.surname(rng, group, female)  # a maiden or former married name
        variants = names.NICKNAMES.get(forename)
        if roll < 0.7 and variants:
            return variants[rng.randrange(len(variants))], surname
        return names.forename(rng, group, female, 1990), names.surname(rng, group, female)

    def _relationships(self) -> Iterator[Batch]:
        rng = self._rng("relationships")
        force_id, base, first_day = self.force_id, self.ids.person, self.first_day
        rel_id = itertools.count(self.ids.relationship)
        seen: set[int] = set()
        rows: list[Row] = []
        n = self.size.identities
        for j in range(len(self.perpetrator)):
            a, b, kind = self.perpetrator[j], self.victim[j], self.kind[j]
            pair = a * n + b
            if pair in seen:
                continue
            seen.add(pair)
            sex = self.gender[a]
            if kind == 0:
                detail = "partner" if rng.random() < 0.6 else "spouse" if sex != self.gender[b] else "civil partner"
            elif kind == 1:
                detail = "ex-partner" if rng.random() < 0.75 else "ex-spouse"
            else:
                words = (("son", "daughter", "child"), ("father", "mother", "parent"), ("brother", "sister", "sibling"),
                         ("grandson", "granddaughter", "grandchild"))[kind - 2]
                detail = words[0] if sex == MALE else words[1] if sex == FEMALE else words[2]
            since = self.since[j]
            rows.append((next(rel_id), force_id, base + a, base + b, RELATIONSHIP_KINDS[min(kind, 2)], detail,
                         None if since == NO_DATE else first_day + timedelta(days=since)))
            if len(rows) >= self.batch:
                yield Batch("relationship", rows)
                rows = []
        if rows:
            yield Batch("relationship", rows)

    # -- incidents and contacts --------------------------------------------------------------------
    def _schedule(self, rng: random.Random) -> array[int]:
        """Every incident's local time (minutes from first_day) and dyad, packed and in time order."""
        n_days, total = self.n_days, self.size.incidents
        weights = [seasons.day_weight(self.first_day + timedelta(days=d)) for d in range(n_days)]
        top = max(weights)
        days = _Table(list(zip(range(n_days), weights, strict=True)))
        hours = _Table(list(enumerate(seasons.HOURS)))
        packed = array("q", bytes(8 * total))
        per_day = array("i", bytes(4 * n_days))
        random_, randrange = rng.random, rng.randrange
        position = 0

        def put(day: int, dyad: int) -> None:
            nonlocal position
            minute = hours.pick(rng) * 60 + randrange(60)
            packed[position] = ((day * 1440 + minute) << DYAD_BITS) | dyad
            per_day[day] += 1
            position += 1

        for j in range(len(self.count)):
            k, start, span = self.count[j], self.window_start[j], self.window_span[j]
            for _ in range(k):
                if span == 1:
                    day = days.pick(rng)
                else:
                    # Within the dyad's abusive period (wrapping round the window keeps every day equally
                    # likely overall), thinned by the calendar's weights.
                    while True:
                        day = (start + int(random_() * span)) % n_days
                        if random_() * top < weights[day]:
                            break
                put(day, j)
        while position < total:
            put(days.pick(rng), NOT_DA)
        # A counting sort by day, then each day's few hundred in order.
        offsets = array("i", itertools.accumulate(per_day, initial=0))
        ordered = array("q", bytes(8 * total))
        fill = array("i", offsets[:-1])
        for value in packed:
            day = (value >> DYAD_BITS) // 1440
            ordered[fill[day]] = value
            fill[day] += 1
        for day in range(n_days):
            lo, hi = offsets[day], offsets[day + 1]
            if hi - lo > 1:
                ordered[lo:hi] = array("q", sorted(ordered[lo:hi]))
        return ordered

    def _record(self, rng: random.Random, identity: int) -> int:
        """One of the person's records: the first, or (half the time, if they have any) a duplicate."""
        extra = self.extra_records[identity]
        if extra and rng.random() < 0.5:
            return self.dup_base + self.dup_start[identity] + rng.randrange(extra)
        return self.ids.person + identity

    def _incidents(self) -> Iterator[Batch]:
        rng = self._rng("incidents")
        schedule = self._schedule(rng)
        force_id, ids = self.force_id, self.ids
        numbers = places.ALL_NUMBERS
        channels, follow_ups = _Table(CHANNELS), _Table(FOLLOW_UP_CHANNELS)
        grades = {channel: _Table(pairs) for channel, pairs in GRADES.items()}
        start = datetime(self.first_day.year, self.first_day.month, self.first_day.day, tzinfo=UTC)
        labels = [(self.first_day + timedelta(days=d)).strftime("%Y%m%d") for d in range(self.n_days)]
        offsets = [seasons.utc_offset_minutes(self.first_day + timedelta(days=d)) for d in range(self.n_days)]
        n = self.size.identities
        incident_id, part_id, contact_id = (itertools.count(ids.incident), itertools.count(ids.incident_person),
                                            itertools.count(ids.contact))
        incidents: list[Row] = []
        parts: list[Row] = []
        contacts: list[Row] = []
        random_, randrange = rng.random, rng.randrange
        current_day, sequence = -1, 0
        for value in schedule:
            dyad = value & DYAD_MASK
            minutes = value >> DYAD_BITS
            day = minutes // 1440
            if day != current_day:
                current_day, sequence = day, 0
            sequence += 1
            when = start + timedelta(minutes=minutes - offsets[day])
            iid = next(incident_id)
            if dyad != NOT_DA:
                da = True
                perpetrator, victim = self.perpetrator[dyad], self.victim[dyad]
                roll = random_()
                location = (self.home[victim] if roll < 0.75 else self.home[perpetrator] if roll < 0.85
                            else self._random_home(rng, self.location_area[self.home[victim]]))
                summaries = SUMMARIES[min(self.kind[dyad], 2)]
                summary = summaries[randrange(len(summaries))]
            else:
                da = False
                victim, perpetrator = randrange(n), randrange(n)
                location = self._random_home(rng)
                summary = OTHER_SUMMARIES[randrange(len(OTHER_SUMMARIES))]
            area_id = self.area_ids[self.location_area[location]]
            incidents.append((iid, force_id, f"INC-{labels[day]}-{sequence:04d}", when, ids.location + location,
                              area_id, da, summary, when))
            parts.append((next(part_id), force_id, iid, self._record(rng, victim), "victim"))
            if da or random_() < 0.8:
                if perpetrator == victim:
                    perpetrator = (perpetrator + 1) % n
                parts.append((next(part_id), force_id, iid, self._record(rng, perpetrator), "suspect"))
            if random_() < 0.15:
                witness = randrange(n)
                if witness not in (victim, perpetrator):
                    parts.append((next(part_id), force_id, iid, self._record(rng, witness), "witness"))
            roll = random_()
            for c in range(1 if roll < 0.9 else 2 if roll < 0.98 else 3):
                channel = (channels if c == 0 else follow_ups).pick(rng)
                victim_phone = self.phone[victim]
                number: str | None = None
                if channel in ("999", "101", "999-silent"):
                    caller_is_victim = random_() < (0.85 if channel == "999-silent" else 0.6)
                    number = numbers[victim_phone if caller_is_victim and victim_phone >= 0 else self._number(rng)]
                elif victim_phone >= 0 and random_() < (0.2 if channel == "online" else 0.1):
                    number = numbers[victim_phone]
                # The Silent Solution (press 55) is for mobiles; a silent landline call goes straight through.
                pressed_55 = channel == "999-silent" and number is not None and places.is_mobile(number) \
                    and random_() < 0.85
                notes = NOTES[channel]
                note = notes[randrange(len(notes))]
                if channel == "999-silent" and not pressed_55 and note == "Silent call, 55 detected":
                    note = None
                received = when - timedelta(minutes=randrange(1, 45), seconds=randrange(60))
                flagged = da if random_() < 0.95 else not da
                # Past contacts: graded within minutes and closed once the incident was dealt with.
                contacts.append((next(contact_id), force_id, channel, number, received, pressed_55, note, iid,
                                 flagged, grades[channel].pick(rng), received, "closed", when + timedelta(hours=2),
                                 received + timedelta(minutes=2)))
            if len(incidents) >= self.batch:
                self.work_done += len(incidents)
                yield Batch("incident", incidents)
                yield Batch("incident_person", parts)
                yield Batch("contact", contacts)
                incidents, parts, contacts = [], [], []
        self.work_done = self.work_total
        if incidents:
            yield Batch("incident", incidents)
            yield Batch("incident_person", parts)
            yield Batch("contact", contacts)



def generate(size: str, seed: int, end_date: date = DEFAULT_END, *, force_id: int = 1, ids: Ids | None = None,
             batch: int = 20_000) -> Iterator[Batch]:
    """The rows of one fictional force, as `Batch(table, rows)` in foreign-key order, without a database.

    Rows are tuples in the order of `COLUMNS[table]`; ids are allocated from `ids` (1 upwards by default).
    """
    return ForceGenerator(size, seed, force_id=force_id, ids=ids, end_date=end_date, batch=batch).generate()
