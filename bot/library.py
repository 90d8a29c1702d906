"""The live FAQ a process serves: the last good load and its matcher, reloaded on change."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot import knowledge
from bot import matcher as matching

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One consistent FAQ + matcher pair; swapped whole, never mutated."""

    faq: knowledge.Faq
    matcher: matching.Matcher
    loaded_at: float


class Library:
    """Serve the last good FAQ; check the folder at most every `reload_seconds`."""

    def __init__(self, folder: str | Path, settings: matching.Settings, reload_seconds=3.0):
        self.folder = Path(folder)
        self.settings = settings
        self.reload_seconds = reload_seconds
        self.errors: list[knowledge.Problem] = []  # problems of the newest broken load
        self.reloads = 0
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self.reload()

    @property
    def snapshot(self) -> Snapshot:
        """Return the current snapshot, reloading first if the files changed."""
        now = time.monotonic()
        if now - self._checked_at >= self.reload_seconds:
            self._checked_at = now
            current = self._snapshot.faq.fingerprint if self._snapshot else None
            if knowledge.fingerprint(self.folder) != current:
                self.reload()
        if self._snapshot is None:
            raise knowledge.FaqError(self.errors)
        return self._snapshot

    @property
    def faq(self) -> knowledge.Faq:
        return self.snapshot.faq

    @property
    def matcher(self) -> matching.Matcher:
        return self.snapshot.matcher

    def reload(self) -> bool:
        """Load the folder now; on failure keep serving the last good FAQ and record why."""
        with self._lock:
            try:
                faq = knowledge.load_faq(self.folder)
            except (knowledge.FaqError, OSError) as exc:
                problems = getattr(exc, "problems", None) or [
                    knowledge.Problem(str(self.folder), 0, str(exc))
                ]
                self.errors = problems
                # Remember the broken fingerprint so we do not re-parse it every check.
                if self._snapshot is not None:
                    self._snapshot = Snapshot(
                        faq=_with_fingerprint(self._snapshot.faq, self.folder),
                        matcher=self._snapshot.matcher,
                        loaded_at=self._snapshot.loaded_at,
                    )
                log.error("FAQ not reloaded, keeping the last good one: %s", problems[0])
                return False
            self._snapshot = Snapshot(faq, matching.Matcher(faq, self.settings), time.time())
            self.errors = []
            self.reloads += 1
            log.info("FAQ loaded: %d entries from %s", len(faq), self.folder)
            return True


def _with_fingerprint(faq: knowledge.Faq, folder: Path) -> knowledge.Faq:
    from dataclasses import replace

    return replace(faq, fingerprint=knowledge.fingerprint(folder))
