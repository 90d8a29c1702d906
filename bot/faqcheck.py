"""The FAQ checker behind `faq check`: everything the loader checks, plus the menu and routing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot import knowledge
from bot import matcher as matching
from bot.knowledge import ERROR, WARNING, Problem


@dataclass(frozen=True)
class Report:
    """What `faq check` found: the problems, and how many active entries were read."""

    folder: str
    entries: int
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    def ok(self, strict: bool = False) -> bool:
        """Return True when there is no error (and, when strict, no warning)."""
        return not (self.problems if strict else self.errors)

    def to_json(self, strict: bool = False) -> dict:
        """Return the `faq check --json` object."""
        return {
            "ok": self.ok(strict),
            "folder": self.folder,
            "entries": self.entries,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_json() for p in self.problems],
        }


def check(
    folder: str | Path,
    menu_ids: Iterable[str] = (),
    settings: matching.Settings | None = None,
    menu_file: str = "config.yaml",
    today: dt.date | None = None,
    make_matcher: Callable[..., matching.Matcher] = matching.Matcher,
) -> Report:
    """Check an FAQ folder the way the bot will use it; never raise for a bad FAQ.

    Args:
        menu_ids: the entry ids the menu in config.yaml names, in order.
        settings: the matcher thresholds the bot runs with.
        menu_file: where the menu comes from, for the messages.
        today: the date review_by is compared with (default: today).
        make_matcher: builds the matcher from (faq, settings); the bot's own by default.
    """
    entries, problems = knowledge.read_folder(folder)
    faq = knowledge.build_faq(entries, folder)
    problems += menu_problems(faq, menu_ids, menu_file)
    problems += routing_problems(make_matcher(faq, settings), faq)
    problems += editorial_problems(faq, today or dt.date.today())
    return Report(str(folder), len(faq), tuple(problems))


def menu_problems(faq: knowledge.Faq, menu_ids: Iterable[str], menu_file: str) -> list[Problem]:
    """Return an error for every menu item that names no active entry."""
    return [
        Problem(
            menu_file,
            0,
            f"menu ke-{number} menyebut id yang tidak ada di FAQ: {entry_id}",
            entry_id,
            "menu",
        )
        for number, entry_id in enumerate(menu_ids, 1)
        if faq.get(entry_id) is None
    ]


def routing_problems(index: matching.Matcher, faq: knowledge.Faq) -> list[Problem]:
    """Run the matcher over every question and variant; report those it would not answer right.

    Sent to another entry is an error (the citizen gets a wrong answer). A choice or an
    escalation is a warning: the citizen still reaches the right answer or an officer.
    """
    owners: dict[str, set[str]] = {}
    for entry in faq.entries:
        for phrasing in entry.phrasings:
            owners.setdefault(_plain(phrasing), set()).add(entry.id)
    problems = []
    for entry in faq.entries:
        for phrasing in entry.phrasings:
            if len(owners[_plain(phrasing)]) > 1:
                continue  # already reported by knowledge.validate as a shared variant
            try:
                result = index.match(phrasing)
            except Exception as exc:  # a matcher bug must not hide the rest of the report
                problems.append(_at(entry, f"matcher gagal pada '{phrasing}': {exc!r}", ERROR))
                continue
            scores = ", ".join(f"{c.entry.id} {c.score:.0f}" for c in result.candidates)
            if result.outcome == "answer" and result.entry.id != entry.id:
                message = f"varian '{phrasing}' dijawab oleh entri {result.entry.id} ({scores})"
                problems.append(_at(entry, message, ERROR))
            elif result.outcome != "answer":
                wording = (
                    "ditawarkan sebagai pilihan"
                    if result.outcome == "clarify"
                    else ("diteruskan ke petugas")
                )
                message = f"varian '{phrasing}' tidak dijawab langsung, {wording} ({scores})"
                problems.append(_at(entry, message, WARNING))
    return problems


def editorial_problems(faq: knowledge.Faq, today: dt.date) -> list[Problem]:
    """Return warnings staff should act on: no source, a passed review date."""
    problems = []
    for entry in faq.entries:
        if not entry.source:
            problems.append(
                _at(entry, "tidak ada 'source' (dasar aturan/kantor)", WARNING, "source")
            )
        if entry.review_by and entry.review_by < today:
            message = f"tanggal review_by {entry.review_by:%Y-%m-%d} sudah lewat: periksa faktanya"
            problems.append(_at(entry, message, WARNING, "review_by"))
    return problems


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def _at(entry: knowledge.Entry, message: str, severity: str, field: str = "variants") -> Problem:
    return Problem(entry.file, entry.line, message, entry.id, field, severity)
