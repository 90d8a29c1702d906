"""Learn from labelled citizens' messages: a linear model that breaks the matcher's ties.

The matcher's rules and fuzzy scores decide most messages. Where they end in a numbered
choice, or answer against what many labelled messages say, a second opinion helps: a
logistic model over word and letter n-grams, trained at every FAQ load on the FAQ's own
phrasings (each labelled with its entry) and on staff-labelled messages, the *examples*
(`{text, expect}` files in the FAQ folder, `matcher.examples` in config.yaml; `expect: null`
marks a message no entry answers, learnt as its own class).

scikit-learn trains the model; scoring one message is a handful of dictionary lookups and
one small matrix product, done here by hand because scikit-learn's per-call overhead
(about 2 ms) is twice the whole matcher's budget. `probabilities` returns exactly what
the trained scikit-learn model's `predict_proba` would (tested).
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

# Threads training the one-vs-rest binary models (-1: one per CPU). The seeds are drawn
# before, so the model is the same whatever the number (tested); about half the time on two.
THREADS = -1
# The class of messages no entry answers (`expect: null`).
NOBODY = ""
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Example:
    """One labelled message: the entry that answers it, or NOBODY."""

    text: str
    label: str


def example_files(folder: str | Path, patterns: Sequence[str]) -> list[Path]:
    """Return the FAQ folder's files matching the example patterns, sorted."""
    folder = Path(folder)
    if not patterns or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and is_example_file(p.name, patterns))


def is_example_file(name: str, patterns: Sequence[str]) -> bool:
    """Return True if a file of this name in the FAQ folder is one of the examples."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def load_examples(
    folder: str | Path, patterns: Sequence[str], exclude: Iterable[str | Path] = ()
) -> tuple[Example, ...]:
    """Read the examples of the FAQ folder; files in `exclude` are left out (to evaluate a
    file of cases on a model that never saw it). A case accepting several entries says
    nothing about which one to prefer: it is skipped. Broken files are skipped too: the
    examples only refine the matcher, they never stop the FAQ loading."""
    left_out = {Path(p).resolve() for p in exclude}
    found: list[Example] = []
    for path in example_files(folder, patterns):
        if path.resolve() not in left_out:
            found.extend(_read(path))
    return tuple(found)


# Files read lately, by name, size and time: every worker and every edit's check reads them.
_READ: dict[tuple[str, int, int], tuple[Example, ...]] = {}
# libyaml's loader, when PyYAML was built with it: ten times faster on thousands of cases.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> tuple[Example, ...]:
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key in _READ:
            return _READ[key]
        cases = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()
    if isinstance(cases, dict):  # the `cases:` form of a cases file
        cases = cases.get("cases")
    found = []
    for case in cases if isinstance(cases, list) else []:
        if not isinstance(case, dict) or not isinstance(case.get("text"), str):
            continue
        expect = case.get("expect")
        if isinstance(expect, list):
            if len(expect) != 1:
                continue
            expect = expect[0]
        if expect is None or isinstance(expect, str):
            found.append(Example(case["text"], expect or NOBODY))
    with _LOCK:
        _READ[key] = tuple(found)
        while len(_READ) > 64:
            del _READ[next(iter(_READ))]
    return tuple(found)


def features(tokens: Sequence[str]) -> list[str]:
    """Return a message's features: its words, word pairs and each word's letter n-grams
    (2 to 5, the word padded with spaces: typos still share most of them)."""
    found = [f"w {t}" for t in tokens]
    found += [f"b {a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    for token in tokens:
        found += _letters(token)
    return found


@functools.lru_cache(maxsize=100_000)
def _letters(token: str) -> tuple[str, ...]:
    """Return a word's letter 2- to 5-gram features (kept: words repeat across texts)."""
    padded = f" {token} "
    return tuple(
        f"c {padded[i : i + size]}" for size in range(2, 6) for i in range(len(padded) - size + 1)
    )


class Model:
    """A trained model: scores a message's tokens for every label."""

    def __init__(self, labels: Sequence[str], vocabulary: dict[str, int], idf, coef, intercept):
        self.labels = tuple(labels)
        # Each label's place in the array `chances` returns.
        self.column = {label: i for i, label in enumerate(self.labels)}
        self._vocabulary = vocabulary
        self._idf = np.asarray(idf)
        self._weights = np.ascontiguousarray(np.asarray(coef).T)  # features x labels
        self._intercept = np.asarray(intercept)
        self._columns: dict[str, np.ndarray] = {}

    def _token_columns(self, token: str) -> np.ndarray:
        """Return the known feature columns of one token alone (its word and letter
        n-grams): kept per token, as citizens reuse words; pairs are looked up per message."""
        found = self._columns.get(token)
        if found is None:
            vocabulary = self._vocabulary
            found = np.array(
                [vocabulary[f] for f in features([token]) if f in vocabulary], dtype=np.intp
            )
            if len(self._columns) < 100_000:
                self._columns[token] = found
        return found

    def chances(self, tokens: Sequence[str]) -> np.ndarray:
        """Return each label's probability for these tokens, in the order of `labels`
        (they sum to 1): the matcher's per-message call, no dictionary built."""
        parts = [self._token_columns(token) for token in tokens]
        vocabulary = self._vocabulary
        pairs = [vocabulary.get(f"b {a} {b}") for a, b in zip(tokens, tokens[1:], strict=False)]
        parts.append(np.array([p for p in pairs if p is not None], dtype=np.intp))
        found = np.concatenate(parts)
        scores = self._intercept.copy()
        if found.size:
            # TF-IDF as scikit-learn's vectorizer makes it: sublinear counts, unit length.
            columns, counts = np.unique(found, return_counts=True)
            values = (1.0 + np.log(counts)) * self._idf[columns]
            values /= np.sqrt(values @ values)
            scores += values @ self._weights[columns]
        chances = 1.0 / (1.0 + np.exp(-scores))
        return chances / chances.sum()

    def probabilities(self, tokens: Sequence[str]) -> dict[str, float]:
        """Return each label's probability for these tokens (they sum to 1)."""
        return dict(zip(self.labels, self.chances(tokens).tolist(), strict=True))


def fit(texts: Sequence[Sequence[str]], labels: Sequence[str]):
    """Return scikit-learn's fitted vectorizer and classifier for tokenised texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    # Logistic loss (probabilities), little regularisation: the data are few and clean.
    model = SGDClassifier(
        loss="log_loss", alpha=3e-6, max_iter=30, tol=None, random_state=0, n_jobs=THREADS
    )
    model.fit(matrix, list(labels))
    return vectorizer, model


# Models trained lately, by what they learnt from: a FAQ is loaded again and again with
# the same texts (each worker, each edit's check, each test's app); training takes a second.
_TRAINED: dict[str, Model | None] = {}
_KEEP = 4


def train(texts: Sequence[Sequence[str]], labels: Sequence[str]) -> Model | None:
    """Train on tokenised texts and their labels; None if there are fewer than two labels."""
    digest = hashlib.sha256(repr((list(map(list, texts)), list(labels))).encode()).hexdigest()
    with _LOCK:
        if digest in _TRAINED:
            return _TRAINED[digest]
    model = _train(texts, labels)
    with _LOCK:
        _TRAINED[digest] = model
        while len(_TRAINED) > _KEEP:
            del _TRAINED[next(iter(_TRAINED))]
    return model


def _train(texts: Sequence[Sequence[str]], labels: Sequence[str]) -> Model | None:
    if len(set(labels)) < 2:
        return None
    vectorizer, model = fit(texts, labels)
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        # A binary model keeps one row: the second label's; the first's is its negation.
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return Model(model.classes_, vectorizer.vocabulary_, vectorizer.idf_, coef, intercept)
