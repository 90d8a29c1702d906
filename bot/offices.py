"""The offices an installation serves (offices.yaml): loading, validation, and recognising
a citizen's kabupaten/kota from what they write (pure, no I/O beyond reading the file)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from bot.hours import OfficeHours, parse_windows

KINDS = ("kabupaten", "kota", "provinsi")
STOCK = ("tersedia", "terbatas", "habis")
# Every key an office may have, in the order offices.yaml documents them.
OFFICE_KEY_ORDER = (
    "id",
    "name",
    "kind",
    "seat",
    "aliases",
    "address",
    "phone",
    "whatsapp",
    "numbers",
    "hours",
    "holidays",
    "blank_stock",
    "service_points",
)
OFFICE_KEYS = frozenset(OFFICE_KEY_ORDER)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Words around a place name that say nothing about which place it is.
_NOISE = frozenset(
    [
        "kabupaten",
        "kab",
        "kota",
        "kot",
        "kec",
        "kecamatan",
        "di",
        "dari",
        "daerah",
        "wilayah",
        "tinggal",
        "tinggalnya",
        "saya",
        "sy",
        "aku",
        "ku",
        "kami",
        "domisili",
        "alamat",
        "disdukcapil",
        "dukcapil",
        "capil",
        "dinas",
        "sumsel",
        "provinsi",
        "prov",
        "ya",
        "yg",
        "yang",
        "nya",
        "kak",
        "min",
        "pak",
        "bu",
        "mas",
        "mbak",
        "dek",
        "sayo",
        "aku",
        "kulo",
        "wong",
    ]
)
FUZZY_MIN = 86  # rapidfuzz ratio for a misspelt place name (aliases of 5+ letters only)
FUZZY_MARGIN = 4  # the best office must beat the next one by this much


@dataclass(frozen=True)
class Office:
    """One Disdukcapil office and its local facts."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    seat: str | None = None
    address: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    numbers: tuple[str, ...] = ()
    hours: OfficeHours | None = None
    blank_stock: dict | None = None
    service_points: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Directory:
    """The province and its offices, with look-ups by id, number and free text."""

    province: Office
    offices: tuple[Office, ...]
    _aliases: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (alias, office id)

    def get(self, office_id: str | None) -> Office | None:
        """Return the office with this id (the province included), or None."""
        if office_id == self.province.id:
            return self.province
        return next((o for o in self.offices if o.id == office_id), None)

    def for_number(self, number: str) -> Office | None:
        """Return the district office a Twilio number belongs to (None: provincial/unknown)."""
        return next((o for o in self.offices if number in o.numbers), None)

    def recognise(self, text: str) -> Office | None:
        """Return the one office the text names (abbreviations and typos allowed), or None."""
        found = self.candidates(text)
        return self.get(found[0]) if len(found) == 1 else None

    def candidates(self, text: str) -> list[str]:
        """Return the ids of the offices the text may name, best first (several = ambiguous)."""
        words = [w for w in _words(text) if w not in _NOISE]
        if not words:
            return []
        exact = _exact_matches(words, self._aliases)
        if exact:
            return exact
        return _fuzzy_matches(words, self._aliases)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower().replace("-", " ")
    return re.sub(r"[^\w\s]", " ", text).split()


def _exact_matches(words: list[str], aliases) -> list[str]:
    """Find aliases as whole-word runs; a longer alias wins over one it contains."""
    hits = []  # (start, end, office id)
    for alias, office_id in aliases:
        parts = alias.split()
        for start in range(len(words) - len(parts) + 1):
            if words[start : start + len(parts)] == parts:
                hits.append((start, start + len(parts), office_id))
    kept = [
        hit
        for hit in hits
        if not any(
            o[0] <= hit[0] and hit[1] <= o[1] and (o[1] - o[0]) > (hit[1] - hit[0]) for o in hits
        )
    ]
    return list(dict.fromkeys(office_id for _, _, office_id in kept))


def _fuzzy_matches(words: list[str], aliases) -> list[str]:
    best: dict[str, float] = {}
    for size in (1, 2, 3, 4):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            for alias, office_id in aliases:
                if len(alias) < 5 or abs(len(alias) - len(phrase)) > 3:
                    continue
                score = fuzz.ratio(phrase, alias)
                if score >= FUZZY_MIN and score > best.get(office_id, 0):
                    best[office_id] = score
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < FUZZY_MARGIN:
        return [office_id for office_id, _ in ranked]
    return [office_id for office_id, _ in ranked[:1]]


class OfficesError(Exception):
    """offices.yaml cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems[:5]))


def load_offices(path: str | Path, default_office: dict) -> Directory:
    """Load and validate offices.yaml; `default_office` is config.yaml's `office:` section."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise OfficesError([f"{path.name}: tidak bisa dibaca: {exc}"]) from exc
    return parse_offices(data, default_office, path.name)


def parse_offices(data: dict, default_office: dict, file: str = "offices.yaml") -> Directory:
    """Validate parsed offices data and build the directory; raise OfficesError."""
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("offices"), list):
        raise OfficesError([f"{file}: harus berisi 'province' dan daftar 'offices'"])
    province = _office(data.get("province") or {}, default_office, file, problems)
    offices = [_office(raw, default_office, file, problems) for raw in data["offices"]]
    offices = [o for o in offices if o is not None]
    seen: dict[str, str] = {}
    for office in [province, *offices]:
        if office is None:
            continue
        if office.id in seen:
            problems.append(f"{file}: id ganda: {office.id}")
        seen[office.id] = office.id
    owners: dict[str, str] = {}
    for office in [province, *offices]:
        for number in office.numbers if office else ():
            if owners.setdefault(number, office.id) != office.id:
                problems.append(f"{file}: nomor {number} dipakai {owners[number]} dan {office.id}")
    aliases: dict[str, str] = {}
    for office in offices:
        for alias in _alias_forms(office):
            if aliases.setdefault(alias, office.id) != office.id:
                problems.append(
                    f"{file}: alias '{alias}' menunjuk {aliases[alias]} dan {office.id}"
                )
    if problems:
        raise OfficesError(problems)
    return Directory(province, tuple(offices), tuple(aliases.items()))


def _alias_forms(office: Office) -> list[str]:
    forms = [office.id.replace("-", " "), *office.aliases]
    if office.seat:
        forms.append(office.seat)
    name = office.name.lower()
    for prefix in ("disdukcapil kabupaten ", "disdukcapil kota ", "disdukcapil "):
        name = name.removeprefix(prefix)
    forms.append(name)
    cleaned = []
    for form in forms:
        words = [w for w in _words(form) if w not in _NOISE]
        if words:
            cleaned.append(" ".join(words))
    return list(dict.fromkeys(cleaned))


def _office(raw: dict, default_office: dict, file: str, problems: list[str]) -> Office | None:
    where = f"{file}: kantor {raw.get('id', '?')}"
    if not isinstance(raw, dict):
        problems.append(f"{file}: setiap kantor harus berupa mapping")
        return None
    for key in sorted(set(raw) - OFFICE_KEYS):
        problems.append(f"{where}: kunci tidak dikenal: {key}")
    for key in ("id", "name", "kind"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"{where}: kolom wajib kosong: {key}")
    if isinstance(raw.get("id"), str) and not _SLUG.match(raw["id"]):
        problems.append(f"{where}: id harus huruf kecil dan tanda hubung")
    if raw.get("kind") not in KINDS:
        problems.append(f"{where}: kind harus salah satu dari {', '.join(KINDS)}")
    for key in ("address", "phone", "whatsapp", "seat"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append(f"{where}: '{key}' harus teks atau null")
    for number in raw.get("numbers") or []:
        if not isinstance(number, str) or not _E164.match(number):
            problems.append(f"{where}: nomor Twilio harus format E.164 (+62…): {number}")
    if not all(isinstance(a, str) and a.strip() for a in raw.get("aliases") or []):
        problems.append(f"{where}: 'aliases' harus daftar teks")
    holidays = []
    for value in raw.get("holidays") or []:
        if isinstance(value, dt.date):
            holidays.append(value)
        else:
            problems.append(f"{where}: tanggal libur harus YYYY-MM-DD: {value}")
    hours = None
    try:
        section = {**default_office}
        if raw.get("hours") is not None:
            section["hours"] = raw["hours"]
            parse_windows(raw["hours"])
        hours = OfficeHours.from_config(section, holidays)
    except (ValueError, AttributeError, TypeError) as exc:
        problems.append(f"{where}: jam layanan tidak valid: {exc}")
    stock = raw.get("blank_stock")
    if stock is not None and (
        not isinstance(stock, dict)
        or stock.get("status") not in STOCK
        or not isinstance(stock.get("updated"), dt.date)
    ):
        problems.append(
            f"{where}: blank_stock harus {{status: {'|'.join(STOCK)}, updated: YYYY-MM-DD}}"
        )
    if any(p.startswith(where) for p in problems):
        return None
    return Office(
        id=raw["id"],
        name=raw["name"],
        kind=raw["kind"],
        aliases=tuple(raw.get("aliases") or ()),
        seat=raw.get("seat"),
        address=raw.get("address"),
        phone=raw.get("phone"),
        whatsapp=raw.get("whatsapp"),
        numbers=tuple(raw.get("numbers") or ()),
        hours=hours,
        blank_stock=stock,
        service_points=tuple(raw.get("service_points") or ()),
    )


def short_name(office: Office) -> str:
    """Return the name as a citizen reads it in a list: "Kota Palembang", "Kab. Lahat"."""
    name = office.name.removeprefix("Disdukcapil ")
    return name.replace("Kabupaten ", "Kab. ", 1)


def remainder(directory: Directory, office: Office, text: str) -> list[str]:
    """Return the words of a reply that are neither filler nor the office's name.

    "palembang, ktp saya hilang" leaves ["ktp", "hilang"]: the citizen also asked something.
    """
    words = [w for w in _words(text) if w not in _NOISE]
    spans = [alias.split() for alias, office_id in directory._aliases if office_id == office.id]
    covered = [False] * len(words)
    for parts in spans:
        for start in range(len(words) - len(parts) + 1):
            if words[start : start + len(parts)] == parts:
                covered[start : start + len(parts)] = [True] * len(parts)
    alias_words = {w for parts in spans for w in parts if len(w) >= 5}
    return [
        word
        for word, done in zip(words, covered, strict=True)
        if not done and not any(fuzz.ratio(word, known) >= FUZZY_MIN for known in alias_words)
    ]


class OfficeBook:
    """The live offices file of a process: the last good load, reloaded on change.

    Like the FAQ Library: the file is looked at at most every `reload_seconds`; a file
    written less than `settle_seconds` ago is read later; a broken file keeps the last
    good directory and its problems are in `errors` (shown by /healthz).
    """

    def __init__(self, path, default_office: dict, reload_seconds=3.0, settle_seconds=0.0):
        import threading

        self.path = Path(path)
        self.default_office = default_office
        self.reload_seconds = reload_seconds
        self.settle_seconds = settle_seconds
        self.errors: list[str] = []
        self._directory: Directory | None = None
        self._seen: tuple | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self.reload()

    @property
    def directory(self) -> Directory | None:
        """Return the directory being served (None when no good load has happened yet)."""
        import time

        now = time.monotonic()
        if now - self._checked_at >= self.reload_seconds:
            self._checked_at = now
            seen = _file_fingerprint(self.path)
            if seen != self._seen:
                age = time.time() - seen[0] / 1e9 if seen else self.settle_seconds
                if 0 <= age < self.settle_seconds:
                    # Look again once the writer has had time to finish.
                    self._checked_at = now - self.reload_seconds + (self.settle_seconds - age)
                else:
                    self.reload()
        return self._directory

    def reload(self) -> bool:
        """Load the file now; on failure keep the last good directory and record why."""
        import logging

        log = logging.getLogger(__name__)
        with self._lock:
            seen = _file_fingerprint(self.path)
            try:
                directory = load_offices(self.path, self.default_office)
            except OfficesError as exc:
                self.errors, self._seen = list(exc.problems), seen
                log.error("offices not loaded, serving the last good ones: %s", exc)
                return False
            self._directory, self._seen, self.errors = directory, seen, []
            return True


def _file_fingerprint(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
