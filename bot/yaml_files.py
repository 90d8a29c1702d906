"""Staff-edited YAML files: one block of lines round-tripped, the rest kept byte for byte,
locked and atomic writes, and line diffs — shared by the FAQ and the offices editors.

No Flask here. ruamel.yaml writes (it keeps comments, key order and quoting); the files
are still read by PyYAML everywhere else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

LOCK_TIMEOUT = 10.0
T = TypeVar("T")


class Busy(Exception):
    """Another process holds the folder lock longer than we are willing to wait."""


# ---------------------------------------------------------------- reading


def round_trip(offset: int = 2, sequence: int = 4) -> YAML:
    """Return a ruamel.yaml round-trip loader/dumper for the given list indentation."""
    loader = YAML(typ="rt")
    loader.preserve_quotes = True
    loader.width = 4096  # never re-wrap a long line
    loader.indent(mapping=2, sequence=max(sequence, offset + 2), offset=offset)
    return loader


def read_text(path: str | Path) -> str:
    """Return a file's text exactly (line endings kept)."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return fh.read()


def plain(value):
    """Return ruamel values as plain Python ones: dict, list, str, bool, date."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, ScalarString):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value


def dash_line(lines: list[str], line: int) -> int:
    """Return the line holding the dash of the list item whose content starts on `line`."""
    while line > 0 and not lines[line].lstrip().startswith("-"):
        line -= 1
    return line


def block_end(lines: list[str], start: int, following: int, indent: int) -> int:
    """Return where an item ends: before the blank lines and comments that lead the next."""
    end = following
    while end > start + 1:
        line = lines[end - 1]
        stripped = line.strip()
        column = len(line) - len(line.lstrip())
        if not stripped or (stripped.startswith("#") and column <= indent):
            end -= 1
        else:
            break
    return end


def item_spans(lines: list[str], items: CommentedSeq) -> list[tuple[int, int, int]]:
    """Return (first line, line after the last, dash column) of every item of a block list.

    `items` must come from loading exactly these lines with ruamel.yaml.
    """
    starts = [dash_line(lines, items.lc.item(i)[0]) for i in range(len(items))]
    spans = []
    for index, start in enumerate(starts):
        indent = len(lines[start]) - len(lines[start].lstrip(" "))
        following = starts[index + 1] if index + 1 < len(starts) else len(lines)
        spans.append((start, block_end(lines, start, following, indent), indent))
    return spans


def splice(text: str, start: int, end: int, new_text: str, newline: str = "\n") -> str:
    """Return text with lines start..end replaced by new_text (in the file's line endings)."""
    lines = text.splitlines(keepends=True)
    new_text = new_text.replace("\r\n", "\n").replace("\n", newline)
    if not new_text.endswith(newline):
        new_text += newline
    return "".join(lines[:start]) + new_text + "".join(lines[end:])


def dedent(text: str, columns: int) -> str:
    """Return text with up to `columns` leading spaces removed from every line."""
    out = []
    for line in text.splitlines(keepends=True):
        spaces = len(line) - len(line.lstrip(" "))
        out.append(line[min(spaces, columns) :])
    return "".join(out).replace("\r\n", "\n")


def indent_text(text: str, columns: int) -> str:
    """Return text with `columns` spaces before every non-blank line."""
    pad = " " * columns
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def version_of(text: str) -> str:
    """Return a short hash of a block's text (the version an edit form carries)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- writing


@contextlib.contextmanager
def folder_lock(folder, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on a folder (all processes of this host); raise Busy after timeout."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + (LOCK_TIMEOUT if timeout is None else timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(str(folder)) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def write_temp(path: Path, text: str) -> Path:
    """Write text to a hidden temporary file beside `path` (not *.yaml), synced to disk."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(name, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def replace(temp: Path, path: Path) -> None:
    """Put the temporary file in place in one step (readers see old or new, never half)."""
    os.replace(temp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_atomic(path: str | Path, text: str) -> None:
    """Replace a file's content atomically: temp file in the same folder, fsync, rename."""
    path = Path(path)
    replace(write_temp(path, text), path)


def commit(path: str | Path, text: str, record: Callable[[], T] | None = None) -> T | None:
    """Write text to path atomically; `record` (the history row) runs in between.

    The new text is on disk under a temporary name before `record` runs; if recording
    fails, the file is untouched. Call it while holding the folder lock.
    """
    path = Path(path)
    temp = write_temp(path, text)
    try:
        result = record() if record else None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    replace(temp, path)
    return result


# ---------------------------------------------------------------- diffs


def diff(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """Return a unified diff as (kind, line) pairs: kind is hunk, add, del or same."""
    lines = difflib.unified_diff(
        (before or "").splitlines(), (after or "").splitlines(), lineterm="", n=3
    )
    out = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(("hunk", line))
        elif line.startswith("+"):
            out.append(("add", line[1:]))
        elif line.startswith("-"):
            out.append(("del", line[1:]))
        else:
            out.append(("same", line[1:]))
    return out
