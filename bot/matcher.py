"""Rank FAQ entries for a citizen's message: Answer, Clarify or Escalate (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge import Entry, Faq


@dataclass(frozen=True)
class Settings:
    """Decision thresholds (from config.yaml `matcher:`)."""

    answer_threshold: float = 80.0  # best score needed to answer
    clarify_threshold: float = 65.0  # best score needed to offer a choice
    margin: float = 6.0  # best must beat the runner-up by this much to answer alone
    max_candidates: int = 3

    @classmethod
    def from_config(cls, section: dict | None) -> Settings:
        """Build settings from the config section, ignoring unknown keys."""
        section = section or {}
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in section.items() if k in names})


@dataclass(frozen=True)
class Candidate:
    """One scored entry with the reason for its score."""

    entry: Entry
    score: float
    reason: str


@dataclass(frozen=True)
class Answer:
    """One entry is clearly right."""

    candidate: Candidate
    candidates: tuple[Candidate, ...]
    outcome = "answer"

    @property
    def entry(self) -> Entry:
        return self.candidate.entry

    @property
    def reason(self) -> str:
        return self.candidate.reason


@dataclass(frozen=True)
class Clarify:
    """A few entries are plausible: offer them as a numbered choice."""

    candidates: tuple[Candidate, ...]
    outcome = "clarify"

    @property
    def reason(self) -> str:
        return "skor berdekatan: " + ", ".join(
            f"{c.entry.id} ({c.score:.0f})" for c in self.candidates
        )


@dataclass(frozen=True)
class Escalate:
    """No entry is good enough: an officer answers."""

    candidates: tuple[Candidate, ...]
    reason: str
    outcome = "escalate"


Result = Answer | Clarify | Escalate


class Matcher:
    """An index over one FAQ, built once per load."""

    def __init__(self, faq: Faq, settings: Settings | None = None):
        self.faq = faq
        self.settings = settings or Settings()
        self._choices: list[str] = []
        self._owners: list[Entry] = []
        for entry in faq.entries:
            for phrasing in entry.phrasings:
                self._choices.append(phrasing.lower())
                self._owners.append(entry)

    def rank(self, text: str) -> list[Candidate]:
        """Return every entry's best score for the text, best first."""
        best: dict[str, Candidate] = {}
        query = text.lower().strip()
        if not query:
            return []
        for choice, score, index in process.extract(
            query, self._choices, scorer=fuzz.WRatio, limit=50
        ):
            entry = self._owners[index]
            if entry.id not in best or best[entry.id].score < score:
                best[entry.id] = Candidate(entry, float(score), f"mirip '{choice}'")
        return sorted(best.values(), key=lambda c: c.score, reverse=True)

    def match(self, text: str) -> Result:
        """Decide what to do with a message."""
        s = self.settings
        ranked = self.rank(text)[: s.max_candidates]
        if not ranked or ranked[0].score < s.clarify_threshold:
            return Escalate(tuple(ranked), "tidak ada entri yang cukup mirip")
        top = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if top.score >= s.answer_threshold and top.score - runner_up >= s.margin:
            return Answer(top, tuple(ranked))
        close = tuple(c for c in ranked if top.score - c.score < s.margin * 2)
        if len(close) == 1:
            return Escalate(tuple(ranked), "skor di bawah ambang jawab")
        return Clarify(close)


def to_json(text: str, result: Result) -> dict:
    """Return the `faq match --json` object for one message (the DESIGN.md contract)."""
    top = result.candidate if isinstance(result, Answer) else None
    return {
        "text": text,
        "outcome": result.outcome,
        "id": top.entry.id if top else None,
        "score": round(top.score, 1) if top else (
            round(result.candidates[0].score, 1) if result.candidates else 0.0
        ),
        "candidates": [c.entry.id for c in result.candidates],
    }
