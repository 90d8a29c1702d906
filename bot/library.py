"""The live FAQ a process serves: the last good load and its matcher, reloaded on change."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bot import examples as learning
from bot import knowledge, metrics
from bot import matcher as matching

log = logging.getLogger(__name__)
MAX_LOGGED_PROBLEMS = 20


@dataclass(frozen=True)
class Snapshot:
    """One consistent FAQ + matcher pair; swapped whole, never mutated."""

    faq: knowledge.Faq
    matcher: matching.Matcher
    loaded_at: float  # time.time() of the good load; 0.0 for the empty start-up FAQ


class Library:
    """Serve the last good FAQ; check the folder at most every `reload_seconds`.

    A changed file is loaded once it has not been written for `settle_seconds`, so an
    editor that writes a file in several steps is not read half-way (the console's own
    saves are atomic renames and call `reload` at once).

    With `load=False` nothing is read until the FAQ is first asked for (or `load` is
    called). With `background`, a change noticed while serving is loaded in a thread of
    its own and the last snapshot keeps answering until the new one is whole: loading
    trains the second opinion (seconds), and a citizen's message must not wait for it
    (Twilio gives a webhook 15 s). `reload` itself always loads at once.
    """

    def __init__(
        self,
        folder: str | Path,
        settings: matching.Settings,
        reload_seconds=3.0,
        settle_seconds=0.0,
        background=False,
        load=True,
    ):
        self.folder = Path(folder)
        self.settings = settings
        self.reload_seconds = reload_seconds
        self.settle_seconds = settle_seconds
        self.background = background
        self.errors: list[knowledge.Problem] = []  # problems of the newest broken load
        self.reloads = 0
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()  # one load at a time
        self._loading: threading.Thread | None = None  # the background load, if any
        self._starting = threading.Lock()  # never held during a load
        self._first = threading.Lock()  # the first load, however many threads ask for it
        if load:
            self.reload()

    def load(self) -> None:
        """Load the folder unless it has been loaded: a process that serves messages calls
        it at start (bot/wsgi.py); commands that never match (db upgrade, the outbox worker)
        never pay for the FAQ and its training, and others load on first use."""
        with self._first:
            if self._snapshot is None:
                self.reload()

    @property
    def snapshot(self) -> Snapshot:
        """Return the current snapshot, reloading first if the files changed (with
        `background`, the last one until the new one is loaded)."""
        if self._snapshot is None:
            self.load()
        now = time.monotonic()
        if now - self._checked_at >= self.reload_seconds:
            self._checked_at = now
            if _fingerprint(self.folder, self.settings.examples) != self._snapshot.faq.fingerprint:
                wait = self._settling()
                if wait:
                    # Look again once the writer has had time to finish (or sooner).
                    self._checked_at = now - self.reload_seconds + min(wait, self.reload_seconds)
                elif self.background:
                    self._reload_in_background()
                else:
                    self.reload()
        return self._snapshot

    def _reload_in_background(self) -> None:
        """Start loading the folder in a thread, unless a load is already running (a change
        made meanwhile is seen at the next check after it)."""
        with self._starting:
            if self._loading is not None and self._loading.is_alive():
                return
            self._loading = threading.Thread(target=self.reload, name="faq-reload", daemon=True)
            self._loading.start()

    @property
    def faq(self) -> knowledge.Faq:
        """Return the FAQ being served (empty when no good load has happened yet)."""
        return self.snapshot.faq

    @property
    def matcher(self) -> matching.Matcher:
        """Return the matcher over the FAQ being served."""
        return self.snapshot.matcher

    def reload(self) -> bool:
        """Load the folder now; on failure keep serving the last good FAQ and record why.

        With no good load yet, an empty FAQ is served: every message escalates to an
        officer, and `errors` (read by /healthz) says why.
        """
        with self._lock:
            # Taken before reading, so a change made while we read is seen at the next check.
            seen = _fingerprint(self.folder, self.settings.examples)
            try:
                faq = knowledge.load_faq(self.folder)
            except (knowledge.FaqError, OSError) as exc:
                self.errors = list(
                    getattr(exc, "problems", None)
                    or [knowledge.Problem(str(self.folder), 0, str(exc))]
                )
                last = self._snapshot or self._empty()
                # Remember the broken fingerprint so the same files are not re-parsed every check.
                self._snapshot = replace(last, faq=replace(last.faq, fingerprint=seen))
                metrics.faq_loaded(ok=False)
                kept = "the last good one" if last.loaded_at else "an empty FAQ (all to officers)"
                log.error("FAQ not loaded, serving %s: %d problem(s)", kept, len(self.errors))
                for problem in self.errors[:MAX_LOGGED_PROBLEMS]:
                    log.error("FAQ problem: %s", problem)
                return False
            faq = replace(faq, fingerprint=seen)
            self._snapshot = Snapshot(faq, matching.Matcher(faq, self.settings), time.time())
            self.errors = []
            self.reloads += 1
            metrics.faq_loaded(ok=True)
            log.info("FAQ loaded: %d entries from %s", len(faq), self.folder)
            return True

    def _settling(self) -> float:
        """Return how long to wait before the newest FAQ file is old enough to read (0: now)."""
        if self.settle_seconds <= 0:
            return 0.0
        try:
            newest = max((p.stat().st_mtime for p in knowledge.faq_files(self.folder)), default=0)
        except OSError:
            return 0.0
        age = time.time() - newest
        # A future mtime (clock skew, touch) must not stop reloads: only a fresh write waits.
        return self.settle_seconds - age if 0 <= age < self.settle_seconds else 0.0

    def _empty(self) -> Snapshot:
        faq = knowledge.build_faq([], self.folder)
        return Snapshot(faq, matching.Matcher(faq, self.settings), loaded_at=0.0)


def _fingerprint(folder: Path, examples: tuple[str, ...] = ()) -> str:
    """Return the FAQ files' fingerprint plus their inodes, and the example files' too
    (the matcher learns from them: a new example is a reload).

    An atomic save (temp file + rename) gives the file a new inode, so two saves within
    one clock tick that happen to keep the size are still seen.
    """
    try:
        taught = learning.example_files(folder, examples)
        files = [*knowledge.faq_files(folder), *taught]
        inodes = ",".join(str(p.stat().st_ino) for p in files)
        sizes = ",".join(f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in taught)
        return f"{knowledge.fingerprint(folder)}:{inodes}:{sizes}"
    except OSError:
        return ""
