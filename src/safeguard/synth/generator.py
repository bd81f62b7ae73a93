"""The synthetic force: a seeded, streaming generator of a realistic fictional police force.

Everything is derived from `random.Random(seed)` and a fixed end date, so the same seed and size always
give the same force. Rows are yielded table by table in batches, so even the `large` force (about two
million person records and a million incidents) never sits in memory as objects.

What it models, and why:
- Repeat victimisation and concentrated harm (DOMAIN.md §5.4): each perpetrator's activity is drawn from
  a heavy-tailed (Pareto) distribution, so a few per cent of perpetrators account for a large share of
  incidents, and some have two or more victims (serial perpetrators).
- About a third of victims are male; a few per cent of relationships are same-sex.
- Weekly seasonality with peaks at Christmas and New Year and during summer football tournaments
  (DOMAIN.md §10.3).
- Calls on every channel, silent 999 calls ("press 55") included.
- Duplicate person records with the errors real systems hold: typos, nicknames, swapped names, changed
  surnames, moved addresses, missing or partial dates of birth. The true identity of every record is
  kept apart (`synth.true_identity`), never as a person field.
- Only fictional data: invented streets in a fictional "ZZ" postcode area, and phone numbers from
  Ofcom's ranges reserved for drama, which can never belong to anyone.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from safeguard.synth.names import AREAS, FEMALE, MALE, NICKNAMES, STREET_KINDS, STREETS, SURNAMES

DEFAULT_END = date(2026, 11, 1)
YEARS = 3


@dataclass(frozen=True)
class Size:
    identities: int
    incidents: int


SIZES: dict[str, Size] = {
    "demo": Size(identities=3_000, incidents=1_500),
    "small": Size(identities=18_000, incidents=10_000),
    "large": Size(identities=1_820_000, incidents=1_000_000),
}

DUPLICATE_SHARE = 0.12  # identities with two or more records
CHANNELS = [("999", 0.55), ("101", 0.25), ("online", 0.08), ("in-person", 0.06), ("999-silent", 0.06)]
TOURNAMENTS = [(date(2024, 6, 14), date(2024, 7, 14)), (date(2026, 6, 11), date(2026, 7, 19))]
CENTRE = (52.4862, -1.8904)


def reserved_numbers() -> list[str]:
    """Ofcom's drama numbers: 07700 900000-900999 and the landline ranges kept for fiction."""
    numbers = [f"+447700900{n:03d}" for n in range(1000)]
    for prefix in ("113496", "114496", "115496", "116496", "117496", "118496", "121496", "131496", "141496",
                   "151496", "161496", "191498", "20794"):
        numbers += [f"+44{prefix}{n:04d}" if len(prefix) == 6 else f"+44{prefix}6{n:04d}" for n in range(1000)]
    numbers += [f"+441632960{n:03d}" for n in range(1000)]
    return numbers


def day_weights(end: date) -> tuple[list[date], list[float]]:
    """One weight per day over the window: weekends higher, Christmas/New Year and tournaments peak."""
    days = [end - timedelta(days=n) for n in range(YEARS * 365, -1, -1)]
    weights = []
    for day in days:
        weight = 1.0 + (0.25 if day.weekday() >= 5 else 0.0)
        if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 1):
            weight *= 1.6
        if any(start <= day <= stop for start, stop in TOURNAMENTS):
            weight *= 1.3
        weights.append(weight)
    return days, weights


@dataclass
class Identity:
    gender: str
    forename: str
    surname: str
    dob: tuple[int | None, int | None, int | None]
    phone: str | None
    location: int  # index into locations
    records: list[int] = field(default_factory=list)  # person ids


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


Batch = tuple[str, list[tuple[object, ...]]]


class ForceGenerator:
    def __init__(self, size: str, seed: int, *, force_id: int, ids: Ids | None = None,
                 end_date: date = DEFAULT_END, batch: int = 50_000) -> None:
        if size not in SIZES:
            raise ValueError(f"Unknown size '{size}'. Choose one of: {', '.join(SIZES)}.")
        self.size = SIZES[size]
        self.rng = random.Random(seed)
        self.force_id = force_id
        self.ids = ids or Ids()
        self.end = end_date
        self.batch = batch
        self.numbers = reserved_numbers()

    # -- helpers ----------------------------------------------------------------------------------
    def _zipf_pick(self, items: list[str]) -> str:
        # Skewed towards the front of the list: common names are common, and rare ones still appear.
        rng = self.rng
        while True:
            index = int(len(items) * rng.random() ** 2.2)
            return items[min(index, len(items) - 1)]

    def _typo(self, word: str) -> str:
        if len(word) < 4:
            return word
        rng = self.rng
        i = rng.randrange(1, len(word) - 1)
        kind = rng.random()
        if kind < 0.35:  # swap two letters
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if kind < 0.6:  # drop a letter
            return word[:i] + word[i + 1:]
        if kind < 0.8:  # double a letter
            return word[:i] + word[i] + word[i:]
        vowels = "aeiouy"
        return word[:i] + rng.choice(vowels) + word[i + 1:] if word[i] in vowels else word

    # -- the force --------------------------------------------------------------------------------
    def generate(self) -> Iterator[Batch]:
        yield from self._areas_and_teams()
        n_locations = max(50, int(self.size.identities / 2.4))
        yield from self._locations(n_locations)
        identities = self._identities(n_locations)
        yield from self._people(identities)
        dyads, weights = self._dyads(identities)
        yield from self._relationships(identities, dyads)
        yield from self._incidents(identities, dyads, weights)

    def _areas_and_teams(self) -> Iterator[Batch]:
        n_areas = 4 if self.size.identities < 10_000 else 8
        self.area_ids = [self.ids.area + i for i in range(n_areas)]
        yield "area", [(self.ids.area + i, self.force_id, code, name) for i, (code, name) in
                       enumerate(AREAS[:n_areas])]
        teams: list[tuple[object, ...]] = [
            (self.ids.team, self.force_id, "Public protection unit", "public_protection", None),
            (self.ids.team + 1, self.force_id, "Operational support", "operational_support", None),
            (self.ids.team + 2, self.force_id, "Force control room", "control_room", None),
        ]
        for i, (_, name) in enumerate(AREAS[:n_areas]):
            teams.append((self.ids.team + 3 + i, self.force_id, f"{name} local policing", "local_policing",
                          self.area_ids[i]))
        yield "team", teams

    def _locations(self, count: int) -> Iterator[Batch]:
        rng = self.rng
        self.location_area: list[int] = []
        rows: list[tuple[object, ...]] = []
        streets = [f"{s} {k}" for s in STREETS for k in STREET_KINDS]
        for n in range(count):
            area_index = n % len(self.area_ids)
            self.location_area.append(area_index)
            angle = 2 * math.pi * area_index / len(self.area_ids)
            lat = CENTRE[0] + 0.06 * math.sin(angle) + rng.gauss(0, 0.015)
            lon = CENTRE[1] + 0.09 * math.cos(angle) + rng.gauss(0, 0.02)
            district = 1 + area_index * 3 + rng.randrange(3)
            postcode = f"ZZ{district} {rng.randrange(10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                       f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            restricted = rng.random() < 0.005  # refuges
            flat = f"Flat {rng.randrange(1, 30)}" if rng.random() < 0.2 else None
            rows.append((self.ids.location + n, self.force_id, self.area_ids[area_index],
                         f"{rng.randrange(1, 300)} {rng.choice(streets)}", flat,
                         AREAS[area_index][1], postcode, round(lat, 6), round(lon, 6), restricted))
            if len(rows) >= self.batch:
                yield "location", rows
                rows = []
        if rows:
            yield "location", rows

    def _identities(self, n_locations: int) -> list[Identity]:
        rng = self.rng
        people = []
        for _ in range(self.size.identities):
            roll = rng.random()
            gender = "female" if roll < 0.5 else "male" if roll < 0.985 else "non-binary" if roll < 0.993 \
                else "unknown"
            names = FEMALE if gender == "female" else MALE if gender == "male" else rng.choice([FEMALE, MALE])
            age = 16 + int(rng.betavariate(2, 4) * 70)
            year = self.end.year - age
            dob: tuple[int | None, int | None, int | None] = (year, rng.randrange(1, 13), rng.randrange(1, 29))
            partial = rng.random()
            if partial < 0.04:
                dob = (None, None, None)
            elif partial < 0.07:
                dob = (year, None, None)
            elif partial < 0.09:
                dob = (year, dob[1], None)
            phone = rng.choice(self.numbers) if rng.random() < 0.65 else None
            people.append(Identity(gender, self._zipf_pick(names), self._zipf_pick(SURNAMES), dob, phone,
                                   rng.randrange(n_locations)))
        return people

    def _people(self, identities: list[Identity]) -> Iterator[Batch]:
        rng = self.rng
        ids = self.ids
        person_id = itertools.count(ids.person)
        alias_id, phone_id, address_id = (itertools.count(ids.person_alias), itertools.count(ids.person_phone),
                                          itertools.count(ids.person_address))
        n_locations = len(self.location_area)
        people: list[tuple[object, ...]] = []
        aliases: list[tuple[object, ...]] = []
        phones: list[tuple[object, ...]] = []
        addresses: list[tuple[object, ...]] = []
        truth: list[tuple[object, ...]] = []
        start = self.end - timedelta(days=YEARS * 365 * 2)
        for person in identities:
            identity_key = 0  # the identity is known by its first record's id, unique across forces
            copies = 1
            if rng.random() < DUPLICATE_SHARE:
                copies += 1 + (rng.random() < 0.25)
            for copy in range(copies):
                forename, surname, (y, m, d) = person.forename, person.surname, person.dob
                location = person.location
                phone = person.phone
                if copy:
                    error = rng.random()
                    if error < 0.22:
                        forename = self._typo(forename) if rng.random() < 0.5 else forename
                        surname = self._typo(surname)
                    elif error < 0.38 and forename in NICKNAMES:
                        forename = rng.choice(NICKNAMES[forename])
                    elif error < 0.48:
                        forename, surname = surname, forename
                    elif error < 0.60 and person.gender == "female":
                        surname = self._zipf_pick(SURNAMES)  # a changed surname
                    elif error < 0.72:
                        location = rng.randrange(n_locations)  # moved
                    elif error < 0.84:
                        y, m, d = (None, None, None) if rng.random() < 0.5 else (y, None, None)
                    else:
                        forename = self._typo(forename)
                    if rng.random() < 0.3:
                        phone = None
                pid = next(person_id)
                person.records.append(pid)
                people.append((pid, self.force_id, forename, None, surname, y, m, d, person.gender, False))
                identity_key = identity_key or pid
                truth.append((pid, identity_key))
                if phone:
                    phones.append((next(phone_id), self.force_id, pid, phone))
                moved = start + timedelta(days=rng.randrange(YEARS * 365 * 2))
                if rng.random() < 0.25:
                    previous = rng.randrange(n_locations)
                    addresses.append((next(address_id), self.force_id, pid, self.ids.location + previous, None,
                                      moved))
                addresses.append((next(address_id), self.force_id, pid, self.ids.location + location, moved, None))
                if rng.random() < 0.02:
                    aliases.append((next(alias_id), self.force_id, pid, forename, self._zipf_pick(SURNAMES)))
            if len(people) >= self.batch:
                yield from self._flush(people, aliases, phones, addresses, truth)
                people, aliases, phones, addresses, truth = [], [], [], [], []
        yield from self._flush(people, aliases, phones, addresses, truth)

    @staticmethod
    def _flush(people: list[tuple[object, ...]], aliases: list[tuple[object, ...]],
               phones: list[tuple[object, ...]], addresses: list[tuple[object, ...]],
               truth: list[tuple[object, ...]]) -> Iterator[Batch]:
        for table, rows in (("person", people), ("person_alias", aliases), ("person_phone", phones),
                            ("person_address", addresses), ("synth.true_identity", truth)):
            if rows:
                yield table, rows

    def _dyads(self, identities: list[Identity]) -> tuple[list[tuple[int, int, str]], list[float]]:
        """Perpetrator-victim pairs, with a heavy-tailed activity weight per perpetrator."""
        rng = self.rng
        n = len(identities)
        men = [i for i, p in enumerate(identities) if p.gender == "male"]
        women = [i for i, p in enumerate(identities) if p.gender == "female"]
        others = [i for i, p in enumerate(identities) if p.gender in ("non-binary", "unknown")]
        n_perpetrators = max(20, int(self.size.incidents / 3.2))
        dyads: list[tuple[int, int, str]] = []
        weights: list[float] = []
        for _ in range(n_perpetrators):
            male_victim = rng.random() < 0.33
            same_sex = rng.random() < 0.05
            if others and rng.random() < 0.01:
                victim = rng.choice(others)
            else:
                victim = rng.choice(men if male_victim else women)
            victim_is_male = identities[victim].gender == "male"
            perpetrator_pool = (men if victim_is_male else women) if same_sex else (women if victim_is_male else men)
            perpetrator = rng.choice(perpetrator_pool)
            if perpetrator == victim:
                perpetrator = (perpetrator + 1) % n
            # Men are a third of victims but, as in the published figures, less often repeat victims.
            activity = rng.paretovariate(1.3) * (0.8 if victim_is_male else 1.0)
            kind = "intimate_partner" if rng.random() < 0.45 else "ex_partner" if rng.random() < 0.7 \
                else "family_member"
            dyads.append((perpetrator, victim, kind))
            weights.append(activity)
            # Serial perpetrators: the most active go on to abuse a new partner.
            extra = 1 if activity > 4 and rng.random() < 0.6 else 0
            extra += 1 if activity > 12 and rng.random() < 0.5 else 0
            for _ in range(extra):
                other = rng.choice(men if victim_is_male else women)
                if other != perpetrator:
                    dyads.append((perpetrator, other, rng.choice(["intimate_partner", "ex_partner"])))
                    weights.append(activity * 0.6)
        return dyads, weights

    def _relationships(self, identities: list[Identity], dyads: list[tuple[int, int, str]]) -> Iterator[Batch]:
        rng = self.rng
        rows: list[tuple[object, ...]] = []
        rel_id = itertools.count(self.ids.relationship)
        seen: set[tuple[int, int]] = set()
        for perpetrator, victim, kind in dyads:
            if (perpetrator, victim) in seen:
                continue
            seen.add((perpetrator, victim))
            detail = None if kind != "family_member" else rng.choice(["parent", "child", "sibling", "in-law"])
            since = self.end - timedelta(days=rng.randrange(365, 365 * 15))
            rows.append((next(rel_id), self.force_id, identities[perpetrator].records[0],
                         identities[victim].records[0], kind, detail, since))
            if len(rows) >= self.batch:
                yield "relationship", rows
                rows = []
        if rows:
            yield "relationship", rows

    def _incidents(self, identities: list[Identity], dyads: list[tuple[int, int, str]],
                   weights: list[float]) -> Iterator[Batch]:
        rng = self.rng
        days, day_w = day_weights(self.end)
        day_cum = list(itertools.accumulate(day_w))
        dyad_cum = list(itertools.accumulate(weights))
        channel_names = [c for c, _ in CHANNELS]
        channel_cum = list(itertools.accumulate(w for _, w in CHANNELS))
        incident_id = itertools.count(self.ids.incident)
        part_id = itertools.count(self.ids.incident_person)
        contact_id = itertools.count(self.ids.contact)
        incidents: list[tuple[object, ...]] = []
        parts: list[tuple[object, ...]] = []
        contacts: list[tuple[object, ...]] = []
        n_identities = len(identities)
        location_base = self.ids.location
        for _ in range(self.size.incidents):
            day = days[bisect.bisect_left(day_cum, rng.random() * day_cum[-1])]
            hour = int(rng.triangular(0, 24, 21)) % 24
            when = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=UTC)
            iid = next(incident_id)
            da = rng.random() < 0.9
            if da:
                perpetrator, victim, _ = dyads[bisect.bisect_left(dyad_cum, rng.random() * dyad_cum[-1])]
            else:
                perpetrator, victim = rng.randrange(n_identities), rng.randrange(n_identities)
                if perpetrator == victim:
                    victim = (victim + 1) % n_identities
            victim_identity = identities[victim]
            location = victim_identity.location
            area = self.area_ids[self.location_area[location]]
            summary = rng.choice(["Verbal argument", "Assault reported", "Threats made", "Breach of bail conditions",
                                  "Criminal damage", "Harassment by phone", "Concern for welfare",
                                  "Ex-partner attended address"]) if da else "Disturbance reported"
            incidents.append((iid, self.force_id, f"INC-{when:%y%m%d}-{iid:07d}", when, location_base + location, area,
                              da, summary))
            parts.append((next(part_id), self.force_id, iid, rng.choice(victim_identity.records), "victim"))
            parts.append((next(part_id), self.force_id, iid, rng.choice(identities[perpetrator].records), "suspect"))
            if rng.random() < 0.2:
                witness = rng.randrange(n_identities)
                if witness not in (victim, perpetrator):
                    parts.append((next(part_id), self.force_id, iid, rng.choice(identities[witness].records),
                                  "witness"))
            for _ in range(1 + (rng.random() < 0.1)):
                channel = channel_names[bisect.bisect_left(channel_cum, rng.random() * channel_cum[-1])]
                phoned = channel in ("999", "999-silent", "101")
                number = (victim_identity.phone or rng.choice(self.numbers)) if phoned else None
                received = when - timedelta(minutes=rng.randrange(0, 30))
                contacts.append((next(contact_id), self.force_id, channel, number, received,
                                 channel == "999-silent" and rng.random() < 0.8, None, iid, da))
            if len(incidents) >= self.batch:
                yield "incident", incidents
                yield "incident_person", parts
                yield "contact", contacts
                incidents, parts, contacts = [], [], []
        if incidents:
            yield "incident", incidents
            yield "incident_person", parts
            yield "contact", contacts


COLUMNS: dict[str, tuple[str, ...]] = {
    "area": ("id", "force_id", "code", "name"),
    "team": ("id", "force_id", "name", "kind", "area_id"),
    "location": ("id", "force_id", "area_id", "line1", "line2", "town", "postcode", "latitude", "longitude",
                 "restricted"),
    "person": ("id", "force_id", "forename", "middle_names", "surname", "dob_year", "dob_month", "dob_day", "gender",
               "restricted"),
    "person_alias": ("id", "force_id", "person_id", "forename", "surname"),
    "person_phone": ("id", "force_id", "person_id", "number_e164"),
    "person_address": ("id", "force_id", "person_id", "location_id", "from_date", "to_date"),
    "relationship": ("id", "force_id", "person_a_id", "person_b_id", "kind", "detail", "since"),
    "incident": ("id", "force_id", "reference", "occurred_at", "location_id", "area_id", "da_related", "summary"),
    "incident_person": ("id", "force_id", "incident_id", "person_id", "role"),
    "contact": ("id", "force_id", "channel", "caller_number", "received_at", "pressed_55", "note", "incident_id",
                "da_flag"),
    "synth.true_identity": ("person_id", "identity_id"),
}
