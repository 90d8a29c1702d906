"""Edit one office's hours, holidays and blank-card stock in offices.yaml, safely.

No Flask here: the console (bot/console/offices.py) and the tests drive it with the
file's path. Like the FAQ editor (bot.yaml_files): the office's block of lines is
round-tripped with ruamel.yaml, every other byte of the file is kept, the whole new file
must pass the loader's rules (bot.offices.parse_offices), and the write is atomic under
the folder lock with the history row recorded in between.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot import offices, yaml_files
from bot.hours import DAYS, parse_windows

EDITABLE = ("hours", "holidays", "blank_stock")
# A new key goes to its usual place: the order offices.yaml documents.
KEY_ORDER = offices.OFFICE_KEY_ORDER
_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class EditError(Exception):
    """An edit cannot be made: `code` names why (not_found, file, busy)."""

    def __init__(self, code: str, message: str = ""):
        self.code = code
        super().__init__(message or code)


class Conflict(EditError):
    """The office changed since the editor opened it; `current` is how it reads now."""

    def __init__(self, current: OfficeBlock):
        self.current = current
        super().__init__("conflict", f"kantor {current.office_id} sudah berubah")


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class OfficeBlock:
    """One office as written in offices.yaml: where, the exact lines, its plain values."""

    office_id: str
    start: int
    end: int
    indent: int
    text: str
    data: dict = field(repr=False)

    @property
    def version(self) -> str:
        """Return the version an edit form carries: a hash of the office's text."""
        return yaml_files.version_of(self.text)

    @property
    def yaml(self) -> str:
        """Return the office's text with the dash at column 0 (history, diffs)."""
        return yaml_files.dedent(self.text, self.indent)


@dataclass(frozen=True)
class OfficesFile:
    """offices.yaml as text with the blocks of its `offices:` list."""

    text: str
    blocks: tuple[OfficeBlock, ...] = ()
    newline: str = "\n"
    sequence: int = 4  # column of an office's keys
    error: str | None = None  # why the console cannot edit the file


def read(path: str | Path) -> OfficesFile:
    """Read offices.yaml into one block per office; a file that cannot be edited says why."""
    try:
        text = yaml_files.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        return OfficesFile("", error=f"berkas tidak bisa dibaca: {exc}")
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        data = yaml_files.round_trip().load(text)
    except (RuamelError, ValueError) as exc:
        return OfficesFile(text, newline=newline, error=f"YAML tidak valid: {exc}")
    items = data.get("offices") if isinstance(data, CommentedMap) else None
    if not isinstance(items, CommentedSeq) or (items and items.fa.flow_style()):
        return OfficesFile(text, newline=newline, error="tidak ada daftar 'offices'")
    lines = text.splitlines(keepends=True)
    blocks = []
    for raw, (start, end, indent) in zip(items, yaml_files.item_spans(lines, items), strict=True):
        office_id = raw.get("id") if isinstance(raw, CommentedMap) else None
        if isinstance(office_id, str):
            blocks.append(
                OfficeBlock(
                    office_id,
                    start,
                    end,
                    indent,
                    "".join(lines[start:end]),
                    yaml_files.plain(raw),
                )
            )
    sequence = items.lc.item(0)[1] if items else 4
    return OfficesFile(text, tuple(blocks), newline, sequence)


def find(path: str | Path, office_id: str) -> OfficeBlock | None:
    """Return the block of one office (None when it is not in the file)."""
    return next((b for b in read(path).blocks if b.office_id == office_id), None)


# ---------------------------------------------------------------- the form


def form_values(data: Mapping, default_hours: Mapping | None = None) -> dict:
    """Return an office's editable values as the form shows them."""
    hours = data.get("hours")
    values: dict = {"hours_default": "" if hours is not None else "1"}
    shown = hours if isinstance(hours, dict) else (default_hours or {})
    for day in DAYS:
        values[f"hours_{day}"] = str(shown.get(day) or "")
    values["holidays"] = [
        d.isoformat() if isinstance(d, dt.date) else str(d) for d in data.get("holidays") or []
    ]
    values["holiday_remove"] = []
    values["holiday_add"] = ""
    stock = data.get("blank_stock") if isinstance(data.get("blank_stock"), dict) else {}
    values["stock_status"] = str(stock.get("status") or "")
    updated = stock.get("updated")
    values["stock_updated"] = updated.isoformat() if isinstance(updated, dt.date) else ""
    return values


def read_form(form) -> dict:
    """Return the posted form as values (the shape of form_values), text kept as typed."""
    values = {"hours_default": "1" if form.get("hours_default") else ""}
    for day in DAYS:
        values[f"hours_{day}"] = _clean(form.get(f"hours_{day}", ""))[:40]
    values["holidays"] = [_clean(v)[:20] for v in form.getlist("holidays")][:400]
    values["holiday_remove"] = [_clean(v)[:20] for v in form.getlist("holiday_remove")]
    values["holiday_add"] = _clean(form.get("holiday_add", ""))[:400]
    values["stock_status"] = _clean(form.get("stock_status", ""))[:20]
    values["stock_updated"] = _clean(form.get("stock_updated", ""))[:20]
    return values


def parse_values(
    values: Mapping, stored: Mapping, today: dt.date, texts: Mapping | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """Turn form values into the office's new editable values; errors by form field.

    Hours: one "HH:MM-HH:MM" per weekday, empty = closed; `hours_default` drops the key
    (config.yaml's hours apply). Holidays: kept ones minus removed plus added (YYYY-MM-DD
    or DD/MM/YYYY), sorted. Stock: a status and a date; an empty date, or a new status
    with the date left as it was, means today.
    """
    texts = texts or {}
    errors: dict[str, list[str]] = {}
    data: dict = {}
    if values.get("hours_default"):
        data["hours"] = None
    else:
        hours = {}
        for day in DAYS:
            span = values.get(f"hours_{day}", "").replace(" ", "").replace(".", ":")
            if not span:
                continue
            try:
                parse_windows({day: span})
                if not re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", span):
                    raise ValueError(span)
            except ValueError:
                errors.setdefault(f"hours_{day}", []).append(
                    texts.get("bad_hours", "Tulis jam seperti 08:00-15:00 (buka sebelum tutup).")
                )
                continue
            hours[day] = span
        if not hours and not errors:
            errors.setdefault("hours", []).append(
                texts.get("no_hours", "Isi jam minimal satu hari, atau pilih jam umum.")
            )
        data["hours"] = hours
    removed = set(values.get("holiday_remove") or [])
    dates: set[dt.date] = set()
    for text in values.get("holidays") or []:
        if text in removed:
            continue
        day = parse_date(text)
        if day is None:
            errors.setdefault("holidays", []).append(f"{texts.get('bad_date', 'Tanggal')}: {text}")
        else:
            dates.add(day)
    for text in re.split(r"[,;\s]+", values.get("holiday_add") or ""):
        if not text:
            continue
        day = parse_date(text)
        if day is None:
            errors.setdefault("holiday_add", []).append(
                f"{texts.get('bad_date', 'Tanggal tidak dikenal')}: {text}"
            )
        else:
            dates.add(day)
    data["holidays"] = sorted(dates) or None
    status = values.get("stock_status") or ""
    if not status:
        data["blank_stock"] = None
    elif status not in offices.STOCK:
        errors.setdefault("stock_status", []).append(
            texts.get("bad_stock", "Pilih status dari daftar.")
        )
    else:
        old = stored.get("blank_stock") if isinstance(stored.get("blank_stock"), dict) else {}
        given = values.get("stock_updated") or ""
        updated = parse_date(given) if given else today
        if updated is None:
            errors.setdefault("stock_updated", []).append(
                f"{texts.get('bad_date', 'Tanggal tidak dikenal')}: {given}"
            )
        elif updated > today:
            errors.setdefault("stock_updated", []).append(
                texts.get("future_date", "Tanggal data tidak boleh di masa depan.")
            )
        else:
            if status != old.get("status") and updated == old.get("updated"):
                updated = today  # a new status with the old date untouched is as of today
            data["blank_stock"] = {"status": status, "updated": updated}
    return data, errors


def parse_date(text: str) -> dt.date | None:
    """Read YYYY-MM-DD or DD/MM/YYYY; None when it is not a date."""
    text = text.strip()
    match = _DATE_DMY.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _clean(text) -> str:
    return "".join(c for c in str(text or "") if c.isprintable()).strip()


# ---------------------------------------------------------------- writing YAML


def _value(key: str, new, old):
    if key == "hours":
        value = CommentedMap((day, DoubleQuotedScalarString(span)) for day, span in new.items())
        if isinstance(old, CommentedMap) and old.fa.flow_style():
            value.fa.set_flow_style()
        return value
    if key == "holidays":
        value = CommentedSeq(new)
        if isinstance(old, CommentedSeq) and old.fa.flow_style():
            value.fa.set_flow_style()
        return value
    value = CommentedMap([("status", new["status"]), ("updated", new["updated"])])
    if not isinstance(old, CommentedMap) or old.fa.flow_style():
        value.fa.set_flow_style()  # {status: terbatas, updated: 2026-11-02}, as documented
    return value


def update_map(office: CommentedMap, changes: Mapping) -> bool:
    """Change an office mapping in place; return whether anything changed.

    Unchanged keys keep their text and comments.
    """
    changed = False
    for key in EDITABLE:
        if key not in changes:
            continue
        new = changes[key]
        if new is None:
            changed |= office.pop(key, None) is not None
            continue
        if key in office:
            if yaml_files.plain(office[key]) != new:
                office[key] = _value(key, new, office[key])
                changed = True
            continue
        before = [k for k in office if k in KEY_ORDER[: KEY_ORDER.index(key)]]
        position = list(office).index(before[-1]) + 1 if before else len(office)
        office.insert(position, key, _value(key, new, None))
        changed = True
    return changed


class _Representer(RoundTripRepresenter):
    """Round-trip representer that writes None as an explicit null, as offices.yaml does."""


_Representer.add_representer(
    type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
)


@dataclass(frozen=True)
class Plan:
    """One edit ready to write: the file's whole new text and the office before/after."""

    action: str  # edit | revert
    office_id: str
    text: str
    before: str
    after: str
    base_version: str


def _located(path: Path, office_id: str) -> tuple[OfficesFile, OfficeBlock]:
    file = read(path)
    if file.error:
        raise EditError("file", file.error)
    block = next((b for b in file.blocks if b.office_id == office_id), None)
    if block is None:
        raise EditError("not_found", f"kantor tidak ditemukan: {office_id}")
    return file, block


def plan_edit(
    path, office_id: str, changes: Mapping, version: str | None, action: str = "edit"
) -> Plan:
    """Plan writing new hours/holidays/stock of one office; refuse if it changed since `version`."""
    file, block = _located(Path(path), office_id)
    if version is not None and version != block.version:
        raise Conflict(block)
    loader = yaml_files.round_trip(block.indent, max(file.sequence, block.indent + 2))
    loader.Representer = _Representer  # unknown facts stay "null" ("never invented")
    mini = loader.load("offices:\n" + block.text.replace("\r\n", "\n"))
    if update_map(mini["offices"][0], changes):
        buffer = io.StringIO()
        loader.dump(mini, buffer)
        new_block = buffer.getvalue().split("\n", 1)[1]
    else:
        new_block = block.text  # nothing to change: not even whitespace
    text = yaml_files.splice(file.text, block.start, block.end, new_block, file.newline)
    after = yaml_files.dedent(new_block, block.indent)
    return Plan(action, office_id, text, block.yaml, after, block.version)


def plan_revert(path, office_id: str, before: str) -> Plan:
    """Plan putting the office's hours, holidays and stock back as they were in `before`.

    Only the editable keys go back: a later direct edit of other keys (aliases, numbers,
    address) is kept.
    """
    return plan_edit(path, office_id, editable(before), None, action="revert")


def editable(block_yaml: str) -> dict:
    """Return the editable values (None when absent) of an office's YAML as in the history."""
    try:
        items = yaml.safe_load(block_yaml)
    except yaml.YAMLError:
        items = None
    office = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    return {key: office.get(key) for key in EDITABLE}


# ---------------------------------------------------------------- checking and saving

# Which form field a loader problem belongs to (bot.offices._office's messages).
_FIELDS = (
    ("jam layanan", "hours"),
    ("tanggal libur", "holidays"),
    ("blank_stock", "stock_status"),
)


@dataclass(frozen=True)
class Verdict:
    """What the loader's rules say about a planned edit."""

    errors: dict[str, list[str]]  # about the edited office, by form field: not saved
    unrelated: tuple[str, ...] = ()  # problems the file already has elsewhere

    @property
    def ok(self) -> bool:
        return not self.errors


def verify(plan: Plan, default_office: Mapping, file_name: str = "offices.yaml") -> Verdict:
    """Check the whole new file with the loader's rules; only the edited office's block it."""
    try:
        data = yaml.safe_load(plan.text)
        offices.parse_offices(data, dict(default_office), file_name)
    except yaml.YAMLError as exc:
        return Verdict({"": [f"YAML tidak valid: {exc}"]})
    except offices.OfficesError as exc:
        mine = f"{file_name}: kantor {plan.office_id}:"
        errors: dict[str, list[str]] = {}
        unrelated = []
        for problem in exc.problems:
            if problem.startswith(mine):
                message = problem.removeprefix(mine).strip()
                key = next((f for words, f in _FIELDS if words in message), "")
                errors.setdefault(key, []).append(message)
            else:
                unrelated.append(problem)
        return Verdict(errors, tuple(unrelated))
    return Verdict({})


@dataclass(frozen=True)
class Result:
    """The outcome of `save`: saved or not, the plan, the checks, the recorded change id.

    Saved without a change id: the edit changed nothing and nothing was written.
    """

    saved: bool
    plan: Plan
    verdict: Verdict
    change_id: int | None = None


def save(
    path,
    make_plan: Callable[[Path], Plan],
    default_office: Mapping,
    record: Callable[[Plan], int | None] | None = None,
    lock_timeout: float | None = None,
) -> Result:
    """Plan, check and write one edit while holding the lock of the file's folder.

    `make_plan` runs under the lock, so its version check sees the file it overwrites.
    `record` (history row + audit) runs after the new text is on disk under a temporary
    name and before it replaces the file. Raises Conflict or EditError.
    """
    path = Path(path)
    try:
        with yaml_files.folder_lock(path.parent, lock_timeout):
            plan = make_plan(path)
            if plan.before == plan.after:
                return Result(True, plan, Verdict({}))  # nothing to write, nothing to record
            verdict = verify(plan, default_office, path.name)
            if not verdict.ok:
                return Result(False, plan, verdict)
            change_id = yaml_files.commit(
                path, plan.text, (lambda: record(plan)) if record else None
            )
    except yaml_files.Busy:
        raise EditError("busy", "offices.yaml sedang disimpan oleh proses lain") from None
    return Result(True, plan, verdict, change_id)
