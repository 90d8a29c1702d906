"""The FAQ knowledge base: load and validate faq/*.yaml into immutable entries."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ACTIONS = ("answer", "handoff", "report_pungli")
REQUIRED_KEYS = ("id", "question", "variants", "answer")
OPTIONAL_KEYS = (
    "action",  # answer (default) | handoff | report_pungli
    "keywords",  # extra words that point at this entry
    "tags",  # free labels for staff (topic, service)
    "answer_en",  # an English answer, for visitors
    "follow_up",  # ids of entries offered after this one
    "review_by",  # date by which staff re-check the facts
    "source",  # where the facts come from (regulation, office)
    "retired",  # true: kept for history, never matched
)
ALLOWED_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)
MAX_ANSWER_CHARS = 1000
# Office facts an answer may name as {placeholder}; the dialogue fills them at send time.
PLACEHOLDERS = frozenset(
    {"office_name", "office_hours", "office_address", "office_phone", "blank_stock"}
)
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Entry:
    """One FAQ entry, as validated from YAML."""

    id: str
    question: str
    variants: tuple[str, ...]
    answer: str
    action: str = "answer"
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    answer_en: str | None = None
    follow_up: tuple[str, ...] = ()
    review_by: dt.date | None = None
    source: str | None = None
    retired: bool = False
    file: str = ""  # file name relative to the FAQ folder
    line: int = 0  # line of the entry in that file (1-based)

    @property
    def phrasings(self) -> tuple[str, ...]:
        """Return the question followed by its variants."""
        return (self.question, *self.variants)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the FAQ, with where it is."""

    file: str
    line: int
    message: str
    entry_id: str | None = None
    field: str | None = None
    severity: str = ERROR  # ERROR stops a load (and `faq check`); WARNING only informs

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [{self.entry_id}]" if self.entry_id else ""
        tag = " peringatan:" if self.severity == WARNING else ""
        return f"{where}{who}:{tag} {self.message}"

    def to_json(self) -> dict:
        """Return the problem as a plain dict (the `faq check --json` shape)."""
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "entry_id": self.entry_id,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True)
class Faq:
    """A loaded, validated FAQ: the active entries plus a fingerprint of the files."""

    entries: tuple[Entry, ...]
    fingerprint: str = ""
    folder: str = ""
    all_entries: tuple[Entry, ...] = field(default=(), repr=False)  # retired included

    def get(self, entry_id: str) -> Entry | None:
        """Return the active entry with this id, or None."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None

    def __len__(self) -> int:
        return len(self.entries)


class FaqError(Exception):
    """The FAQ cannot be loaded; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers each mapping's line (`__line__`) and its keys' (`__lines__`)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    # PyYAML silently keeps the last of two equal keys; an editor never means that.
    seen: set = set()
    for key_node, _ in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key is not None and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"kunci ganda: {key}", key_node.start_mark
            )
        seen.add(key)
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {
        key_node.value: key_node.start_mark.line + 1
        for key_node, _ in node.value
        if isinstance(key_node, yaml.ScalarNode)
    }
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def faq_files(folder: str | Path) -> list[Path]:
    """Return the FAQ files of a folder, sorted (case files hold evaluation cases, not entries)."""
    folder = Path(folder)
    return sorted(p for p in folder.glob("*.yaml") if p.is_file() and not is_case_file(p.name))


def is_case_file(name: str) -> bool:
    """Return True for a file of evaluation cases, not entries: tests.yaml (the shipped
    cases) and *_cases.yaml (sets written later to tune and check on, e.g. dev_cases.yaml)."""
    return name == "tests.yaml" or name.endswith("_cases.yaml")


def fingerprint(folder: str | Path) -> str:
    """Return a cheap fingerprint (names, sizes, mtimes) that changes when any FAQ file does."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in faq_files(folder):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def parse_text(text: str, file: str) -> tuple[list[Entry], list[Problem]]:
    """Parse one FAQ file's text into entries and the problems found in it."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        reason = getattr(exc, "problem", None) or str(exc)
        return [], [Problem(file, line, f"YAML tidak valid: {reason}")]
    except ValueError as exc:  # a well-formed but impossible value, e.g. 2027-13-45
        return [], [Problem(file, 0, f"nilai tidak valid: {exc}")]
    if data is None:
        return [], []
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return [], [Problem(file, 1, "berkas harus berisi mapping dengan daftar 'entries'")]
    extra = set(data) - {"entries", "__line__", "__lines__"}
    problems = [
        Problem(file, data["__lines__"].get(k, 1), f"kunci tidak dikenal di tingkat atas: {k}")
        for k in sorted(extra, key=str)
    ]
    entries = []
    for number, raw in enumerate(data["entries"], 1):
        if not isinstance(raw, dict):
            problems.append(Problem(file, 0, f"entri ke-{number} harus berupa mapping"))
            continue
        entry, found = _parse_entry(raw, file)
        problems.extend(found)
        if entry is not None:
            entries.append(entry)
    return entries, problems


def _parse_entry(raw: dict, file: str) -> tuple[Entry | None, list[Problem]]:
    line = raw.pop("__line__", 0)
    key_lines = raw.pop("__lines__", {})
    entry_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    problems: list[Problem] = []

    def problem(message: str, field_name: str | None = None) -> None:
        at = key_lines.get(field_name, line)  # the key's own line when it is there
        problems.append(Problem(file, at, message, entry_id, field_name))

    for key in sorted(set(raw) - ALLOWED_KEYS, key=str):
        problem(f"kunci tidak dikenal: {key}", str(key))
    for key in REQUIRED_KEYS:
        if key not in raw or raw[key] in (None, "", []):
            problem(f"kolom wajib kosong atau tidak ada: {key}", key)
    for key in ("id", "question", "answer", "answer_en", "source", "action"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            problem(f"'{key}' harus berupa teks", key)
    if isinstance(entry_id, str) and not ID_PATTERN.match(entry_id.strip()):
        problem(
            f"id harus huruf kecil, angka dan tanda hubung (mis. ektp-hilang): {entry_id}", "id"
        )
    for key in ("variants", "keywords", "tags", "follow_up"):
        value = raw.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
        ):
            hint = ""
            if isinstance(value, list) and any(isinstance(v, bool) for v in value):
                hint = " (ok/yes/no/on/off dibaca YAML sebagai benar/salah: beri tanda kutip)"
            problem(f"'{key}' harus berupa daftar teks yang tidak kosong{hint}", key)
    action = raw.get("action", "answer")
    if isinstance(action, str) and action not in ACTIONS:
        problem(f"action tidak dikenal: {action} (pilih: {', '.join(ACTIONS)})", "action")
    review_by = raw.get("review_by")
    if review_by is not None and not isinstance(review_by, dt.date):
        problem("'review_by' harus berupa tanggal YYYY-MM-DD", "review_by")
    if "retired" in raw and not isinstance(raw["retired"], bool):
        problem("'retired' harus true atau false", "retired")
    for key in ("answer", "answer_en"):
        text = raw.get(key)
        if not isinstance(text, str):
            continue
        if len(text.strip()) > MAX_ANSWER_CHARS:
            problem(
                f"jawaban terlalu panjang: {len(text.strip())} karakter (maks {MAX_ANSWER_CHARS})",
                key,
            )
        for message in placeholder_problems(text):
            problem(message, key)
    if problems:
        return None, problems
    return (
        Entry(
            id=raw["id"].strip(),
            question=raw["question"].strip(),
            variants=tuple(v.strip() for v in raw["variants"]),
            answer=raw["answer"].strip(),
            action=action,
            keywords=tuple(raw.get("keywords") or ()),
            tags=tuple(raw.get("tags") or ()),
            answer_en=(raw.get("answer_en") or None),
            follow_up=tuple(raw.get("follow_up") or ()),
            review_by=review_by,
            source=raw.get("source"),
            retired=bool(raw.get("retired", False)),
            file=file,
            line=line,
        ),
        [],
    )


def placeholder_problems(text: str) -> list[str]:
    """Return what is wrong with the {placeholders} of an answer (unknown names, stray braces)."""
    allowed = ", ".join(sorted(PLACEHOLDERS))
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text)]
    except ValueError:
        return [f"kurung kurawal tidak berpasangan; yang boleh hanya {{nama}} dari: {allowed}"]
    problems = []
    for name, spec, conv in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conv:
            shown = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
            problems.append(f"placeholder tidak dikenal: {shown} (yang boleh: {allowed})")
    if "{{" in text or "}}" in text:
        problems.append("kurung kurawal ganda tidak dipakai dalam jawaban")
    return problems


def validate(entries: list[Entry]) -> list[Problem]:
    """Return the problems that span entries: duplicate ids, shared variants, bad follow-ups."""
    problems = []
    seen_ids: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in seen_ids:
            first = seen_ids[entry.id]
            problems.append(
                Problem(
                    entry.file,
                    entry.line,
                    f"id ganda: juga di {first.file}:{first.line}",
                    entry.id,
                    "id",
                )
            )
        seen_ids.setdefault(entry.id, entry)
    owner: dict[str, str] = {}
    for entry in entries:
        if entry.retired:
            continue
        for phrasing in entry.phrasings:
            key = " ".join(phrasing.lower().split())
            other = owner.setdefault(key, entry.id)
            if other != entry.id:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"varian '{phrasing}' juga ada di entri {other}",
                        entry.id,
                        "variants",
                    )
                )
    for entry in entries:
        for target in entry.follow_up:
            if target not in seen_ids:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"follow_up menyebut id yang tidak ada: {target}",
                        entry.id,
                        "follow_up",
                    )
                )
    return problems


def read_folder(folder: str | Path) -> tuple[list[Entry], list[Problem]]:
    """Parse and validate every FAQ file of a folder; return the good entries and all problems."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], [Problem(str(folder), 0, "folder FAQ tidak ditemukan")]
    entries: list[Entry] = []
    problems: list[Problem] = []
    for path in faq_files(folder):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(path.name, 0, f"berkas bukan teks UTF-8: {exc.reason}"))
            continue
        found, found_problems = parse_text(text, path.name)
        entries.extend(found)
        problems.extend(found_problems)
    problems.extend(validate(entries))
    return entries, problems


def build_faq(entries: list[Entry], folder: str | Path = "", print_: str = "") -> Faq:
    """Return a Faq of these entries (retired ones kept aside, never matched)."""
    return Faq(
        entries=tuple(e for e in entries if not e.retired),
        fingerprint=print_,
        folder=str(folder),
        all_entries=tuple(entries),
    )


def load_faq(folder: str | Path) -> Faq:
    """Load and validate every FAQ file in a folder; raise FaqError listing all problems."""
    print_ = fingerprint(folder) if Path(folder).is_dir() else ""
    entries, problems = read_folder(folder)
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        raise FaqError(errors)
    return build_faq(entries, folder, print_)
