"""Edit FAQ files safely: one entry at a time, comments kept, checked first, written atomically.

No Flask here: the console (bot/console/faq_editor.py) and the tests drive it with a
folder path. An entry is edited as its own block of lines: the other entries of the
file are copied byte for byte, and the edited block is round-tripped with ruamel.yaml,
so its comments and key order survive (PyYAML drops comments).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from bot import evaluation, faqcheck, knowledge, yaml_files
from bot import examples as learning
from bot import matcher as matching
from bot.knowledge import ERROR, Problem

# The generic parts live in bot.yaml_files (the offices editor uses them too); these names
# stay importable from here.
from bot.yaml_files import dedent, diff, indent_text, version_of, write_atomic  # noqa: F401
from bot.yaml_files import plain as _plain
from bot.yaml_files import read_text as _read_text
from bot.yaml_files import round_trip as _yaml

# The order keys are written in when an entry gets a key it did not have.
FIELD_ORDER = (
    "id",
    "question",
    "variants",
    "keywords",
    "answer",
    "answer_en",
    "action",
    "follow_up",
    "source",
    "review_by",
    "tags",
    "retired",
)
LIST_FIELDS = ("variants", "keywords", "tags", "follow_up")
TEXT_FIELDS = ("id", "question", "answer", "answer_en", "source", "action")
FILE_NAME = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*\.yaml$")
CASES_FILE = "tests.yaml"
LOCK_TIMEOUT = 10.0
TRIAL_ID = "entri-baru"  # the id a new entry is tried under before it has one


class EditError(Exception):
    """An edit cannot be planned: `code` names why (not_found, file, busy)."""

    def __init__(self, code: str, message: str = ""):
        self.code = code
        super().__init__(message or code)


class Conflict(EditError):
    """The entry changed since the editor opened it; `current` is how it reads now."""

    def __init__(self, current: Block):
        self.current = current
        super().__init__("conflict", f"entri {current.id} sudah berubah")


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Block:
    """One entry as written in its file: where, the exact lines, and its plain values."""

    file: str
    index: int  # position in the file's entries list
    start: int  # first line (0-based) of the entry
    end: int  # the line after its last
    indent: int  # column of the entry's dash
    text: str  # the lines exactly as in the file
    data: dict = field(repr=False)  # plain values: str, list, date, bool

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return value.strip() if isinstance(value, str) else ""

    @property
    def version(self) -> str:
        """Return the version an edit form carries: a hash of the entry's text."""
        return version_of(self.text)

    @property
    def yaml(self) -> str:
        """Return the entry's text with the dash at column 0 (history, diffs)."""
        return dedent(self.text, self.indent)

    @property
    def retired(self) -> bool:
        return self.data.get("retired") is True


@dataclass(frozen=True)
class FaqFile:
    """One FAQ file as text, with its entries' blocks and how to write new ones."""

    name: str
    text: str
    blocks: tuple[Block, ...] = ()
    newline: str = "\n"
    offset: int = 2  # column of an entry's dash
    sequence: int = 4  # column of an entry's keys
    blank_between: bool = True  # entries separated by a blank line
    error: str | None = None  # why the console cannot edit this file


def read_file(path: str | Path) -> FaqFile:
    """Read one FAQ file into blocks; a file the console cannot edit says why in `error`."""
    path = Path(path)
    try:
        text = _read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        return FaqFile(path.name, "", error=f"berkas tidak bisa dibaca: {exc}")
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        data = _yaml().load(text)
    except (RuamelError, ValueError) as exc:
        return FaqFile(path.name, text, newline=newline, error=f"YAML tidak valid: {exc}")
    if data is None:
        return FaqFile(path.name, text, newline=newline)
    entries = data.get("entries") if isinstance(data, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        return FaqFile(path.name, text, newline=newline, error="tidak ada daftar 'entries'")
    if entries and entries.fa.flow_style():
        return FaqFile(path.name, text, newline=newline, error="daftar 'entries' bergaya flow")
    lines = text.splitlines(keepends=True)
    spans = yaml_files.item_spans(lines, entries)
    starts = [start for start, _, _ in spans]
    blocks = []
    offset = sequence = None
    for index, raw in enumerate(entries):
        start, end, indent = spans[index]
        if offset is None:
            offset, sequence = indent, entries.lc.item(index)[1]
        blocks.append(
            Block(path.name, index, start, end, indent, "".join(lines[start:end]), _plain(raw))
        )
    blank = len(blocks) < 2 or any(not lines[j].strip() for j in range(blocks[0].end, starts[1]))
    return FaqFile(
        path.name,
        text,
        tuple(blocks),
        newline,
        offset if offset is not None else 2,
        sequence if sequence is not None else 4,
        blank,
    )


def read_folder(folder: str | Path) -> list[FaqFile]:
    """Read every FAQ file of a folder (tests.yaml excluded), sorted by name."""
    return [read_file(p) for p in knowledge.faq_files(folder)]


def blocks(folder: str | Path) -> list[Block]:
    """Return every entry block of the folder, retired ones included, in file order."""
    return [b for f in read_folder(folder) for b in f.blocks]


def find(folder: str | Path, entry_id: str) -> Block | None:
    """Return the block of the entry with this id (the first, if an id is doubled)."""
    return next((b for b in blocks(folder) if b.id == entry_id), None)


# ---------------------------------------------------------------- the form


def form_values(data: Mapping) -> dict[str, str]:
    """Return an entry's values as the edit form shows them (text per field)."""
    values = {}
    for key in FIELD_ORDER:
        value = data.get(key)
        if key == "variants":
            values[key] = "\n".join(str(v) for v in value or [])
        elif key in LIST_FIELDS:
            values[key] = ", ".join(str(v) for v in value or [])
        elif key == "review_by":
            values[key] = value.isoformat() if isinstance(value, dt.date) else str(value or "")
        elif key == "retired":
            values[key] = "1" if value is True else ""
        elif key == "action":
            values[key] = str(value or "answer")
        else:
            values[key] = "" if value is None else str(value).strip()
    return values


def parse_form(form: Mapping[str, str]) -> tuple[dict, list[Problem]]:
    """Turn the edit form's text fields into entry values; return them and form-level problems.

    Variants are one per line; keywords, tags and follow-ups are separated by commas or
    lines. Empty optional fields are left out. The FAQ rules are checked later, on the file.
    """
    data: dict = {}
    problems: list[Problem] = []
    entry_id = _clean(form.get("id", ""))
    for key in ("id", "question", "answer", "answer_en", "source"):
        value = _clean(form.get(key, ""))
        if key == "answer" or key == "answer_en":
            value = "\n".join(line.rstrip() for line in value.split("\n")).strip()
        elif "\n" in value:
            value = " ".join(value.split())
        if value:
            data[key] = value
    data["variants"] = _unique(_clean(form.get("variants", "")).split("\n"))
    for key in ("keywords", "tags", "follow_up"):
        items = _unique(re.split(r"[,\n]", _clean(form.get(key, ""))))
        if items:
            data[key] = items
    action = _clean(form.get("action", "")) or "answer"
    if action != "answer":
        data["action"] = action
    review = _clean(form.get("review_by", ""))
    if review:
        try:
            data["review_by"] = dt.date.fromisoformat(review)
        except ValueError:
            problems.append(
                Problem("", 0, "tanggal harus YYYY-MM-DD, mis. 2027-06-30", entry_id, "review_by")
            )
    if form.get("retired") in ("1", "on", "true"):
        data["retired"] = True
    return data, problems


def _clean(text: str | None) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c == "\n" or c == "\t" or c.isprintable()).strip()


def _unique(items: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        item = " ".join(item.split())
        if item and item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


# ---------------------------------------------------------------- writing YAML


def _scalar(text: str, old=None):
    """Return a YAML scalar for text that PyYAML (the loader) reads back as the same text."""
    if "\n" in text:
        return LiteralScalarString(text.rstrip() + "\n")
    if isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString):
        return type(old)(text)
    try:
        same = yaml.safe_load(text) == text
    except yaml.YAMLError:
        same = False
    # YAML 1.1 (PyYAML) reads yes/no/on/off, numbers and dates as other types: quote them.
    return text if same else SingleQuotedScalarString(text)


def _value(key: str, new, old):
    if key in LIST_FIELDS:
        seq = CommentedSeq(_scalar(str(v)) for v in new)
        flow = old.fa.flow_style() if isinstance(old, CommentedSeq) else key != "variants"
        if flow:
            seq.fa.set_flow_style()
        else:
            seq.fa.set_block_style()
        if isinstance(old, CommentedSeq):
            # Keep a comment written beside a variant that is still there.
            position = {str(v): i for i, v in enumerate(old)}
            for index, item in enumerate(new):
                was = position.get(str(item))
                if was is not None and was in old.ca.items:
                    seq.ca.items[index] = old.ca.items[was]
        return seq
    if isinstance(new, str):
        return _scalar(new, old)
    return new


def _same(key: str, old, new) -> bool:
    old = _plain(old)
    if key in LIST_FIELDS:
        return isinstance(old, list) and [str(v) for v in old] == [str(v) for v in new]
    if isinstance(new, str):
        return isinstance(old, str) and old.strip() == new.strip()
    return old == new and type(old) is type(new)


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value is False


def update_map(entry: CommentedMap, data: Mapping) -> None:
    """Change an entry mapping in place to hold `data`; untouched keys keep their style."""
    for key in FIELD_ORDER:
        new = data.get(key)
        if key == "action" and new == "answer" and "action" not in entry:
            new = None  # the default is not written
        if _empty(new):
            if key in entry and not _empty(_plain(entry[key])):
                entry.pop(key)
            continue
        if key in entry:
            if not _same(key, entry[key], new):
                entry[key] = _value(key, new, entry[key])
            continue
        before = [k for k in entry if k in FIELD_ORDER[: FIELD_ORDER.index(key)]]
        position = list(entry).index(before[-1]) + 1 if before else 0
        entry.insert(position, key, _value(key, new, None))


def _dump_block(entry: CommentedMap, offset: int, sequence: int) -> str:
    """Return one entry written as a list item at the file's indentation."""
    loader = _yaml(offset, sequence)
    buffer = io.StringIO()
    loader.dump({"entries": CommentedSeq([entry])}, buffer)
    text = buffer.getvalue()
    return text.split("\n", 1)[1]  # without the "entries:" line


def _rewrite_block(block: Block, file: FaqFile, data: Mapping) -> str:
    """Return the block's text changed to hold `data` (comments and order kept)."""
    sequence = file.sequence if file.offset == block.indent else block.indent + 2
    loader = _yaml(block.indent, sequence)
    mini = loader.load("entries:\n" + block.text.replace("\r\n", "\n"))
    entry = mini["entries"][0]
    update_map(entry, data)
    buffer = io.StringIO()
    loader.dump(mini, buffer)
    return buffer.getvalue().split("\n", 1)[1]


def new_block(data: Mapping, offset: int = 2, sequence: int = 4) -> str:
    """Return a new entry as a list item in the canonical key order."""
    entry = CommentedMap()
    update_map(entry, data)
    return _dump_block(entry, offset, sequence)


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class Plan:
    """One edit ready to write: the file's whole new text and what changed."""

    action: str  # add | edit | retire | restore | revert
    entry_id: str
    file: str
    text: str  # the new text of the whole file
    before: str | None  # the entry's YAML before (None when added)
    after: str | None
    base_version: str | None  # the version the edit was made on


def _splice(file: FaqFile, block: Block, new_text: str) -> str:
    return yaml_files.splice(file.text, block.start, block.end, new_text, file.newline)


def _located(folder: Path, entry_id: str) -> tuple[FaqFile, Block]:
    for file in read_folder(folder):
        for block in file.blocks:
            if block.id == entry_id:
                if file.error:
                    raise EditError("file", file.error)
                return file, block
    raise EditError("not_found", f"entri tidak ditemukan: {entry_id}")


def _edit_plan(folder, entry_id, change, version, action) -> Plan:
    file, block = _located(Path(folder), entry_id)
    if version is not None and version != block.version:
        raise Conflict(block)
    data = change(dict(block.data))
    data["id"] = block.id  # an id is never renamed: menus, cases and history name it
    text = _rewrite_block(block, file, data)
    new_text = _splice(file, block, text)
    after = dedent(text, block.indent)
    return Plan(action, block.id, file.name, new_text, block.yaml, after, block.version)


def plan_edit(folder, entry_id: str, data: Mapping, version: str | None) -> Plan:
    """Plan replacing an entry's values with `data`; refuse if it changed since `version`."""
    return _edit_plan(folder, entry_id, lambda _: dict(data), version, "edit")


def plan_retire(folder, entry_id: str, version: str | None, retired: bool = True) -> Plan:
    """Plan retiring an entry (kept for history, never matched), or bringing it back."""

    def change(data: dict) -> dict:
        data["retired"] = retired
        return data

    return _edit_plan(folder, entry_id, change, version, "retire" if retired else "restore")


def plan_add_variant(folder, entry_id: str, variant: str) -> Plan:
    """Plan adding one citizen phrasing to an entry's variants."""

    def change(data: dict) -> dict:
        data["variants"] = _unique([*(data.get("variants") or []), variant])
        return data

    return _edit_plan(folder, entry_id, change, None, "edit")


def plan_add(folder, file_name: str, data: Mapping) -> Plan:
    """Plan appending a new entry to a file (a new topic file when it does not exist yet)."""
    folder = Path(folder)
    if not FILE_NAME.match(file_name or "") or knowledge.is_case_file(file_name):
        raise EditError("file", f"nama berkas tidak valid: {file_name}")
    path = folder / file_name
    file = read_file(path) if path.exists() else FaqFile(file_name, "entries:\n")
    if file.error:
        raise EditError("file", file.error)
    block = new_block(data, file.offset, file.sequence)
    text = file.text
    if path.exists() and not file.blocks:
        data_map = _yaml().load(text) or CommentedMap()
        if not isinstance(data_map, CommentedMap):
            raise EditError("file", "berkas harus berisi mapping dengan daftar 'entries'")
        data_map["entries"] = CommentedSeq()
        buffer = io.StringIO()
        _yaml().dump(data_map, buffer)
        text = buffer.getvalue().replace("entries: []\n", "entries:\n")
    nl = file.newline
    if text and not text.endswith(nl):
        text += nl
    if file.blocks and file.blank_between:
        text += nl
    text += block.replace("\n", nl)
    entry_id = str(data.get("id") or "")
    return Plan("add", entry_id, file_name, text, None, dedent(block, file.offset), None)


def plan_revert(folder, entry_id: str, file_name: str, before: str | None) -> Plan:
    """Plan putting an entry back as `before`; an entry that did not exist is retired."""
    folder = Path(folder)
    if before is None:
        plan = plan_retire(folder, entry_id, None)
        return Plan("revert", *_rest(plan))
    try:
        file, block = _located(folder, entry_id)
    except EditError as exc:
        if exc.code != "not_found":
            raise
        # Removed from the files since: write it back where it was.
        data = _plain(_yaml().load("entries:\n" + indent_text(before, 2))["entries"][0])
        plan = plan_add(folder, file_name, data)
        return Plan("revert", plan.entry_id, plan.file, plan.text, None, plan.after, None)
    text = indent_text(before, block.indent)
    new_text = _splice(file, block, text)
    return Plan("revert", entry_id, file.name, new_text, block.yaml, before, block.version)


def _rest(plan: Plan) -> tuple:
    return (plan.entry_id, plan.file, plan.text, plan.before, plan.after, plan.base_version)


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class Verdict:
    """What the checks say about a planned edit."""

    errors: tuple[Problem, ...]  # caused by the edit, or about the edited entry: not saved
    warnings: tuple[Problem, ...]  # about the edited entry; saving is allowed
    unrelated: tuple[Problem, ...]  # errors the files already had elsewhere
    faq: knowledge.Faq | None = None
    matcher: matching.Matcher | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def field_errors(self, entry_id: str) -> dict[str, list[str]]:
        """Return the error messages by the form field of `entry_id` they belong to.

        An error of another entry that names this one (a variant both share, a variant
        this entry now captures) goes to the same field; the rest are under "".
        """
        out: dict[str, list[str]] = {}
        named = re.compile(rf"\bentri {re.escape(entry_id)}\b") if entry_id else None
        for problem in self.errors:
            if problem.entry_id == entry_id and problem.field in FIELD_ORDER:
                out.setdefault(problem.field, []).append(problem.message)
            elif problem.field in FIELD_ORDER and named and named.search(problem.message):
                # Another entry's problem caused by this one (a shared or captured variant).
                out.setdefault(problem.field, []).append(f"{problem.entry_id}: {problem.message}")
            else:
                out.setdefault("", []).append(str(problem))
        return out


def _check(
    folder: Path, overrides: Mapping[str, str], menu_ids, settings, today
) -> tuple[faqcheck.Report, knowledge.Faq, matching.Matcher]:
    """Run `faq check` on the folder as it would be with some files replaced."""
    built: list = []
    # The scratch folder holds the FAQ files only: the matcher learns from the real
    # folder's examples, as the one serving citizens does.
    taught = learning.load_examples(folder, (settings or matching.Settings()).examples)

    def make(faq, chosen):
        built.append(matching.Matcher(faq, chosen, examples=taught))
        return built[-1]

    with tempfile.TemporaryDirectory(prefix="faq-check-") as scratch:
        scratch_path = Path(scratch)
        for path in knowledge.faq_files(folder):
            if path.name not in overrides:
                shutil.copyfile(path, scratch_path / path.name)
        for name, text in overrides.items():
            (scratch_path / name).write_text(text, encoding="utf-8", newline="")
        report = faqcheck.check(scratch_path, menu_ids, settings, today=today, make_matcher=make)
    matcher = built[0]
    return report, matcher.faq, matcher


def _key(problem: Problem) -> tuple:
    # Line numbers move when another entry grows; they do not make an error new.
    return (problem.file, problem.entry_id, problem.field, re.sub(r":\d+", ":", problem.message))


def verify(
    folder,
    plan: Plan,
    menu_ids: Iterable[str] = (),
    settings: matching.Settings | None = None,
    today: dt.date | None = None,
) -> Verdict:
    """Check a planned edit with every `faq check` rule; errors it causes block the save.

    Errors the files already had elsewhere (a colleague's broken direct edit) are
    reported as unrelated and do not block an edit that does not touch them.
    """
    folder = Path(folder)
    menu_ids = tuple(menu_ids)
    after, faq, index = _check(folder, {plan.file: plan.text}, menu_ids, settings, today)
    errors, unrelated = list(after.errors), []
    if errors:
        before, _, _ = _check(folder, {}, menu_ids, settings, today)
        old = {_key(p) for p in before.errors}
        errors = [p for p in after.errors if p.entry_id == plan.entry_id or _key(p) not in old]
        unrelated = [p for p in after.errors if p not in errors]
    warnings = [p for p in after.warnings if p.entry_id == plan.entry_id]
    return Verdict(tuple(errors), tuple(warnings), tuple(unrelated), faq, index)


def trial(
    folder,
    plan: Plan | None,
    settings: matching.Settings | None = None,
    model: learning.Model | None = None,
) -> tuple[knowledge.Faq, matching.Matcher, list[Problem]]:
    """Return the FAQ and matcher the files would give with the plan applied (not saved).

    Lighter than `verify`: only the loader's rules. An edited entry that breaks them is
    left out, and its problems are returned so the editor sees why. `model`: the second
    opinion to reuse (the serving one) instead of training one for every draft tried; a
    draft's new entry is unknown to it, and so never held back by it.
    """
    entries: list[knowledge.Entry] = []
    problems: list[Problem] = []
    for path in knowledge.faq_files(folder):
        if plan is not None and path.name == plan.file:
            continue
        try:
            text = _read_text(path)
        except (OSError, UnicodeDecodeError):
            continue
        found, _ = knowledge.parse_text(text, path.name)
        entries.extend(found)
    if plan is not None:
        found, found_problems = knowledge.parse_text(plan.text, plan.file)
        entries.extend(found)
        problems.extend(p for p in found_problems if p.entry_id in (plan.entry_id, None))
    problems.extend(
        p
        for p in knowledge.validate(entries)
        if plan is not None and p.entry_id == plan.entry_id and p.severity == ERROR
    )
    faq = knowledge.build_faq(entries, folder)
    return faq, matching.Matcher(faq, settings, model=model), problems


# ---------------------------------------------------------------- writing files


@contextlib.contextmanager
def folder_lock(folder, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the FAQ folder (all processes of this host); bounded wait."""
    try:
        with yaml_files.folder_lock(folder, LOCK_TIMEOUT if timeout is None else timeout):
            yield
    except yaml_files.Busy:
        raise EditError("busy", "FAQ sedang disimpan oleh proses lain") from None


@dataclass(frozen=True)
class Result:
    """The outcome of `save`: saved or not, the plan, the checks, the recorded change id."""

    saved: bool
    plan: Plan
    verdict: Verdict
    change_id: int | None = None


def save(
    folder,
    make_plan: Callable[[Path], Plan],
    *,
    menu_ids: Iterable[str] = (),
    settings: matching.Settings | None = None,
    record: Callable[[Plan, Verdict], int | None] | None = None,
    today: dt.date | None = None,
) -> Result:
    """Plan, check and write one edit while holding the folder lock.

    `make_plan` runs under the lock, so its version check sees the file as it will be
    overwritten. `record` (the history row) runs after the new text is safely on disk
    under a temporary name and before it replaces the file: if recording fails, the
    file is untouched. Raises Conflict or EditError from `make_plan`.
    """
    folder = Path(folder)
    with folder_lock(folder):
        plan = make_plan(folder)
        verdict = verify(folder, plan, menu_ids, settings, today)
        if not verdict.ok:
            return Result(False, plan, verdict)
        change_id = yaml_files.commit(
            folder / plan.file, plan.text, (lambda: record(plan, verdict)) if record else None
        )
    return Result(True, plan, verdict, change_id)


# ---------------------------------------------------------------- learned examples


def label_example(
    folder,
    file_name: str,
    text: str,
    label: str | None,
    record: Callable[[str], object] | None = None,
) -> str:
    """Write one citizen message with the entry that answers it (None: no entry does) into
    an examples file of the FAQ folder, the second opinion's teacher (bot/examples.py).

    The same words labelled again take the new label: the latest decision wins, never two
    contradicting labels. Written like any edit: under the folder lock, atomically, other
    items and comments kept, `record` (the audit row, given the outcome) run before the
    file is replaced. Returns "added", "relabelled" or "unchanged".
    """
    folder = Path(folder)
    if not FILE_NAME.match(file_name or "") or not knowledge.is_case_file(file_name):
        raise EditError("file", f"nama berkas contoh tidak valid: {file_name}")
    text = one_line(text)
    with folder_lock(folder):
        path = folder / file_name
        try:
            old = _read_text(path) if path.exists() else ""
            data = _yaml().load(old) if old.strip() else None
        except (OSError, UnicodeDecodeError, RuamelError) as exc:
            raise EditError("file", f"{file_name}: {exc}") from None
        if data is None:
            data = CommentedSeq()
        items = data.get("cases") if isinstance(data, CommentedMap) else data
        if not isinstance(items, CommentedSeq) or not all(isinstance(i, dict) for i in items):
            raise EditError("file", f"{file_name}: harus berisi daftar {{text, expect}}")
        same = [i for i, item in enumerate(items) if one_line(str(item.get("text", ""))) == text]
        if same and all(items[i].get("expect") == label for i in same):
            return "unchanged"
        for i in reversed(same[1:]):
            del items[i]
        if same:
            items[same[0]]["expect"] = label
            outcome = "relabelled"
        else:
            item = CommentedMap()
            item["text"], item["expect"] = text, label
            items.append(item)
            outcome = "added"
        buffer = io.StringIO()
        dumper = _yaml(0, 2)
        dumper.Representer = _NullWritten
        dumper.dump(data, buffer)
        yaml_files.commit(path, buffer.getvalue(), (lambda: record(outcome)) if record else None)
    return outcome


def one_line(text: str) -> str:
    """Return a citizen's message on one line, single-spaced (as variants and examples are
    written, and compared)."""
    return " ".join(text.split())


class _NullWritten(RoundTripRepresenter):
    """ruamel's round-trip writer, but None is written `null`: "no entry answers it" reads
    as such in an examples file (a subclass: ruamel's add_representer changes the class)."""


_NullWritten.add_representer(
    type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
)


# ---------------------------------------------------------------- after a save


def load_cases(folder) -> list[evaluation.Case]:
    """Return the shipped evaluation cases of the FAQ folder (none when absent or broken)."""
    path = Path(folder) / CASES_FILE
    try:
        return evaluation.load_cases(path)
    except (OSError, evaluation.CaseError):
        return []


def compare(
    before: matching.Matcher, after: matching.Matcher, cases: list[evaluation.Case], limit=10
) -> dict:
    """Run the cases through the matcher before and after an edit; say what got worse."""
    if not cases:
        return {}
    old = evaluation.evaluate(before, cases)
    new = evaluation.evaluate(after, cases)
    worse, better = [], 0
    for was, now in zip(old.outcomes, new.outcomes, strict=True):
        if was.verdict == "right" and now.verdict != "right":
            worse.append(
                {
                    "text": now.case.text,
                    "expect": [e or "-" for e in now.case.expect],
                    "verdict": now.verdict,
                    "chosen": now.chosen,
                }
            )
        elif was.verdict != "right" and now.verdict == "right":
            better += 1
    return {
        "total": new.total,
        "right_before": round(old.rate("right"), 4),
        "right_after": round(new.rate("right"), 4),
        "wrong_before": round(old.rate("wrong"), 4),
        "wrong_after": round(new.rate("wrong"), 4),
        "worse": worse[:limit],
        "worse_count": len(worse),
        "better_count": better,
    }


# ---------------------------------------------------------------- SMS length

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    """How long a text is as SMS: characters, encoding, and how many segments it costs."""

    chars: int
    encoding: str  # GSM-7 | UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def sms_length(text: str) -> SmsLength:
    """Return the SMS length of a text: GSM-7 160 (153 per part) or UCS-2 70 (67 per part)."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        units = len(text) + sum(1 for c in text if c in _GSM7_EXTENDED)
        encoding, single, part = "GSM-7", 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        encoding, single, part = "UCS-2", 70, 67
    segments = 0 if not units else 1 if units <= single else math.ceil(units / part)
    return SmsLength(len(text), encoding, units, segments)
