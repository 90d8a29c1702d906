"""Measure the matcher on staff-written cases: right, wrong, clarified, escalated (pure)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge import Faq
from bot.matcher import Answer, Clarify, Matcher, Result

VERDICTS = ("right", "wrong", "clarified", "escalated")
# Cases are split in two halves by a stable hash of their text: tune the FAQ and the
# matcher on "tune" only, and confirm on "holdout" (the goals are checked on unseen text).
SPLITS = ("all", "tune", "holdout")
LABELS = {"right": "benar", "wrong": "salah", "clarified": "klarifikasi", "escalated": "eskalasi"}


@dataclass(frozen=True)
class Case:
    """One message with the entries that may answer it (None: no entry should)."""

    text: str
    expect: tuple[str | None, ...]
    line: int = 0

    @property
    def out_of_scope(self) -> bool:
        """Return True when not answering is right for this message."""
        return None in self.expect

    @property
    def half(self) -> str:
        """Return the split this case belongs to: "tune" or "holdout" (see `split_cases`)."""
        return split_of(self.text)

    @property
    def ids(self) -> tuple[str, ...]:
        """Return the entry ids that are right answers."""
        return tuple(e for e in self.expect if e is not None)


@dataclass(frozen=True)
class Outcome:
    """What the matcher did with one case, and how that counts."""

    case: Case
    result: Result
    verdict: str  # one of VERDICTS

    @property
    def chosen(self) -> str | None:
        """Return the id the bot answered with, if it answered."""
        if not isinstance(self.result, Answer):
            return None
        return " + ".join([self.result.entry.id, *(c.entry.id for c in self.result.also)])


@dataclass(frozen=True)
class Report:
    """The outcome of every case, with counts and rates."""

    outcomes: tuple[Outcome, ...]

    @property
    def total(self) -> int:
        """Return the number of cases."""
        return len(self.outcomes)

    def count(self, verdict: str) -> int:
        """Return how many cases got this verdict."""
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    def rate(self, verdict: str) -> float:
        """Return the share (0..1) of cases with this verdict."""
        return self.count(verdict) / self.total if self.total else 0.0

    @property
    def wrong(self) -> tuple[Outcome, ...]:
        """Return the cases the bot got wrong."""
        return tuple(o for o in self.outcomes if o.verdict == "wrong")


class CaseError(ValueError):
    """The cases file cannot be read; the message says where."""


def parse_cases(text: str, file: str = "tests.yaml") -> list[Case]:
    """Parse a cases file: a list (or `cases:` list) of {text, expect} mappings."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CaseError(f"{file}: YAML tidak valid: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("cases")
    if not isinstance(data, list):
        raise CaseError(f"{file}: harus berisi daftar kasus (atau 'cases:' berisi daftar)")
    lines = _case_lines(text)
    cases = []
    for number, raw in enumerate(data):
        line = lines[number] if number < len(lines) else 0
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or "expect" not in raw:
            raise CaseError(f"{file}:{line}: setiap kasus perlu 'text' dan 'expect'")
        expect = raw["expect"]
        expect = tuple(expect) if isinstance(expect, list) else (expect,)
        if not expect or not all(e is None or isinstance(e, str) for e in expect):
            raise CaseError(f"{file}:{line}: 'expect' harus id, daftar id, atau null")
        cases.append(Case(raw["text"], expect, line))
    return cases


def _case_lines(text: str) -> list[int]:
    """Return the line of each case (lines starting a list item), for messages to staff."""
    return [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*- ", line)]


def load_cases(path: str | Path) -> list[Case]:
    """Read a cases file from disk."""
    path = Path(path)
    return parse_cases(path.read_text(encoding="utf-8"), path.name)


def split_of(text: str) -> str:
    """Return "tune" or "holdout" for a case text: the first SHA-256 byte of its UTF-8, even or odd.

    The rule depends on the text alone, so a case keeps its half when others are added,
    reordered or removed, and anyone can recompute it.
    """
    return "tune" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "holdout"


def split_cases(cases: Iterable[Case], split: str = "all") -> list[Case]:
    """Return the cases of one half ("tune" or "holdout"), or all of them."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    return [c for c in cases if split == "all" or c.half == split]


def judge(case: Case, result: Result) -> str:
    """Return how one result counts: answering wrongly is worse than asking or escalating."""
    if isinstance(result, Answer):
        # Two questions answered: each answer must be one the case accepts.
        answered = {result.entry.id, *(c.entry.id for c in result.also)}
        return "right" if answered <= set(case.ids) else "wrong"
    if case.out_of_scope:
        return "right"
    if isinstance(result, Clarify) and {c.entry.id for c in result.candidates} & set(case.ids):
        return "clarified"
    # Not an answer: a choice without the right entry ends with the citizen asking an officer.
    return "escalated"


def evaluate(matcher: Matcher, cases: Iterable[Case]) -> Report:
    """Run every case through the matcher and judge the results."""
    outcomes = []
    for case in cases:
        result = matcher.match(case.text)
        outcomes.append(Outcome(case, result, judge(case, result)))
    return Report(tuple(outcomes))


def meets(report: Report, min_right: float, max_wrong: float = 1.0) -> bool:
    """Return True if the report reaches the goals (shares as 0..1, or percentages above 1)."""
    min_right = min_right / 100 if min_right > 1 else min_right
    max_wrong = max_wrong / 100 if max_wrong > 1 else max_wrong
    return report.rate("right") >= min_right and report.rate("wrong") <= max_wrong


def unknown_ids(faq: Faq, cases: Iterable[Case]) -> list[Case]:
    """Return the cases that expect an id the FAQ does not have."""
    return [c for c in cases if any(faq.get(i) is None for i in c.ids)]


def copies(faq: Faq, cases: Iterable[Case]) -> list[Case]:
    """Return the cases that repeat a FAQ question or variant (they measure nothing)."""
    phrasings = {_plain(p) for entry in faq.entries for p in entry.phrasings}
    return [c for c in cases if _plain(c.text) in phrasings]


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def format_report(report: Report, limit: int = 50) -> str:
    """Return the report as text for staff (Bahasa Indonesia)."""
    counts = "  ".join(f"{LABELS[v]}: {report.count(v)} ({report.rate(v):.1%})" for v in VERDICTS)
    lines = [f"Kasus: {report.total}  {counts}"]
    if report.wrong:
        lines.append("Jawaban salah:")
    for outcome in report.wrong[:limit]:
        case, result = outcome.case, outcome.result
        expected = ", ".join(e or "tidak dijawab" for e in case.expect)
        if isinstance(result, Answer):
            # Every entry answered (two questions: both), so a wrong second one shows.
            did = f"dijawab {outcome.chosen}: {result.reason}"
        else:
            did = f"{result.outcome}: {result.reason}"
        lines.append(f"  baris {case.line}: {case.text!r} (harap: {expected}) -> {did}")
    if len(report.wrong) > limit:
        lines.append(f"  ... dan {len(report.wrong) - limit} lagi")
    return "\n".join(lines)
