"""Benchmark the FAQ matcher: quality against two baselines, and speed at three FAQ sizes.

Run from the repository root:

    .venv/bin/python bench/bench_matcher.py [--faq faq] [--cases faq/tests.yaml] [--only speed]

Quality uses the shipped cases (a cases file that is one of the matcher's examples is
measured on a second opinion trained without it); speed uses generated FAQs of 100,
2,000 and 20,000 variants in this one process, rules only and (up to 2,000) with a second
opinion, and the shipped FAQ with its examples. Timing is printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot import evaluation, examples, knowledge, language  # noqa: E402
from bot import matcher as matching  # noqa: E402
from bot.knowledge import Entry, Faq  # noqa: E402

Ranker = Callable[[str], list[tuple[str, float]]]  # text -> [(entry id, score)], best first


def judge_cutoff(cases: list[evaluation.Case], ranked: list[list[tuple[str, float]]], cut: float):
    """Count verdicts for a baseline that answers with its best entry at or above `cut`."""
    counts = dict.fromkeys(evaluation.VERDICTS, 0)
    for case, ranking in zip(cases, ranked, strict=True):
        if ranking and ranking[0][1] >= cut:
            verdict = "right" if ranking[0][0] in case.ids else "wrong"
        else:
            verdict = "right" if case.out_of_scope else "escalated"
        counts[verdict] += 1
    return counts


def best_cutoff(cases, ranked, max_wrong: float = 1.0) -> tuple[float, dict[str, int]]:
    """Return the cut-off giving a baseline the most right results within a wrong budget."""
    best = None
    for cut in [x / 2 for x in range(0, 201)]:
        counts = judge_cutoff(cases, ranked, cut)
        if counts["wrong"] > max_wrong * len(cases):
            continue
        key = (counts["right"], -counts["wrong"])
        if best is None or key > best[0]:
            best = (key, cut, counts)
    return best[1], best[2]


def wratio_ranker(faq: Faq) -> Ranker:
    """Baseline (a): rapidfuzz WRatio of the lower-cased raw text against every phrasing."""
    choices = [p.lower() for e in faq.entries for p in e.phrasings]
    owners = [e.id for e in faq.entries for _ in e.phrasings]

    def rank(text: str) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        for _, score, i in process.extract(text.lower(), choices, scorer=fuzz.WRatio, limit=None):
            best[owners[i]] = max(best.get(owners[i], 0.0), score)
        return sorted(best.items(), key=lambda kv: -kv[1])

    return rank


def tfidf_ranker(faq: Faq) -> Ranker:
    """Baseline (b): TF-IDF of character 2-5-grams, cosine to every phrasing."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    choices = [p.lower() for e in faq.entries for p in e.phrasings]
    owners = [e.id for e in faq.entries for _ in e.phrasings]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    matrix = vectorizer.fit_transform(choices)

    def rank(text: str) -> list[tuple[str, float]]:
        sims = linear_kernel(vectorizer.transform([text.lower()]), matrix)[0]
        best: dict[str, float] = {}
        for i, sim in enumerate(sims):
            best[owners[i]] = max(best.get(owners[i], 0.0), float(sim) * 100)
        return sorted(best.items(), key=lambda kv: -kv[1])

    return rank


def quality(faq_dir: Path, cases_path: Path, settings: matching.Settings) -> list[tuple]:
    """Return one row per method: name, counts, total, note."""
    faq = knowledge.load_faq(faq_dir)
    cases = evaluation.load_cases(cases_path)
    # A cases file that is one of the examples is measured on a model trained without it.
    taught = examples.load_examples(faq_dir, settings.examples, exclude=[cases_path])
    report = evaluation.evaluate(matching.Matcher(faq, settings, examples=taught), cases)
    note = f"config.yaml; second opinion from {len(taught)} examples"
    rows = [("ours (matcher)", {v: report.count(v) for v in evaluation.VERDICTS}, note)]
    rules = evaluation.evaluate(matching.Matcher(faq, settings, examples=()), cases)
    rows.append(
        ("ours, rules only", {v: rules.count(v) for v in evaluation.VERDICTS}, "no examples")
    )
    no_stem = matching.Settings(**{**settings.__dict__, "stemming": False})
    plain = evaluation.evaluate(matching.Matcher(faq, no_stem, examples=taught), cases)
    rows.append(
        ("ours, no stemmer", {v: plain.count(v) for v in evaluation.VERDICTS}, "PySastrawi off")
    )
    for name, ranker in (
        ("WRatio baseline", wratio_ranker(faq)),
        ("TF-IDF char baseline", tfidf_ranker(faq)),
    ):
        ranked = [ranker(c.text) for c in cases]
        cut, counts = best_cutoff(cases, ranked)
        rows.append((name, counts, f"best cut-off {cut:g} (most right)"))
        cut, counts = best_cutoff(cases, ranked, max_wrong=0.02)
        rows.append((name, counts, f"best cut-off {cut:g} with wrong <= 2%"))
    return [(name, counts, len(cases), note) for name, counts, note in rows]


def synthetic_faq(variants: int, seed: int = 7) -> Faq:
    """Generate a FAQ with about `variants` phrasings: 10 per entry, words drawn Zipf-like."""
    rng = random.Random(seed)
    lexicon = language.default_lexicon()
    pool = sorted(w for w in lexicon.roots if w.isalpha() and 3 <= len(w) <= 9)
    rng.shuffle(pool)
    common = pool[:300]
    topical = pool[300:]
    entries = []
    per_entry = 10
    for number in range(max(1, variants // per_entry)):
        own = [topical[(number * 3 + k) % len(topical)] for k in range(3)]
        phrasings = []
        for _ in range(per_entry):
            size = rng.randint(3, 8)
            words = rng.sample(own, rng.randint(1, 2))
            words += [common[min(int(rng.paretovariate(1.2)) - 1, 299)] for _ in range(size)]
            rng.shuffle(words)
            phrasings.append(" ".join(words))
        entries.append(
            Entry(
                id=f"e{number}",
                question=phrasings[0],
                variants=tuple(phrasings[1:]),
                answer="-",
            )
        )
    return Faq(entries=tuple(entries))


def _typo(rng: random.Random, line: str) -> str:
    """Return the line with two neighbouring letters of one of its longer words swapped."""
    words = line.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5] or [0]
    i = rng.choice(long)
    word = words[i]
    if len(word) >= 5:
        j = rng.randrange(1, len(word) - 2)
        words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _forget_words() -> None:
    """Empty the process's per-word caches (normal forms and stems of the shipped lexicon):
    each speed row starts from the same state, whatever ran before it."""
    lexicon = language.default_lexicon()
    lexicon._word_cache.clear()
    lexicon._stem_cache.clear()


def speed(
    settings: matching.Settings,
    messages: list[str],
    sizes=(100, 2_000, 20_000),
    taught=False,
    seen: list[str] = (),
) -> list[tuple]:
    """Return build seconds and per-message p50/p99 (ms) for generated FAQs of three sizes,
    cold and in a steady state.

    Cold: a new process's matcher, every word met for the first time (the stemmer, typo
    and glued-word searches run for it). Steady: a matcher that has first read `seen`,
    other citizens' messages, as a worker that has served a while has; the timed messages
    still bring words it never met. `taught`: with a second opinion trained on one
    generated example (a phrasing with a typo) per phrasing, as a FAQ with as many
    labelled messages as phrasings would have.
    """
    rows = []
    for size in sizes:
        faq = synthetic_faq(size)
        variants = sum(len(e.phrasings) for e in faq.entries)
        found: tuple = ()
        if taught:
            rng = random.Random(size + 1)
            found = tuple(
                examples.Example(_typo(rng, p), e.id) for e in faq.entries for p in e.phrasings
            )
        # Citizen messages plus lines made of the FAQ's own words, so lookups hit postings,
        # half of them with a typo. Every message is timed once: no message is repeated,
        # only words are (as citizens reuse words), so per-word caches help but no more.
        rng = random.Random(size)
        phrasings = [p for e in faq.entries for p in e.phrasings]
        own = rng.sample(phrasings, min(2 * len(messages), len(phrasings)))
        half = len(own) // 2
        own = own[:half] + [_typo(rng, line) for line in own[half:]]
        timed = messages + own
        _forget_words()
        start = time.perf_counter()
        index = matching.Matcher(faq, settings, examples=found)
        build = time.perf_counter() - start
        cold = _time_each(index, timed)
        # The same FAQ, built again (a trained model is reused: forget what it read).
        _forget_words()
        index = matching.Matcher(faq, settings, examples=found)
        if index.model is not None:
            index.model._columns.clear()
        for text in seen:
            index.match(text)
        steady = _time_each(index, timed)
        # The same run's baseline: the naive WRatio ranker (baseline (a) above) on the
        # same FAQ and messages, so figures from different machines can be compared.
        naive = () if taught else _time_each(wratio_ranker(faq), timed)[:2]
        rows.append((variants, len(faq.entries), build, *cold[:2], *steady, naive))
    return rows


def shipped_speed(faq_dir: Path, settings: matching.Settings) -> tuple:
    """Return the same figures for the shipped FAQ and every shipped case text, cold.

    Real phrasings share words far more than generated ones (ktp, syarat, bikin), so more
    phrasings score per message: this row is what an office runs today.
    """
    faq = knowledge.load_faq(faq_dir)
    texts = [
        case.text
        for path in sorted(faq_dir.glob("*.yaml"))
        if knowledge.is_case_file(path.name)
        for case in evaluation.load_cases(path)
    ]
    # Built cold: trained models and read example files are cached per content.
    examples._TRAINED.clear()
    examples._READ.clear()
    _forget_words()
    start = time.perf_counter()
    index = matching.Matcher(faq, settings)
    build = time.perf_counter() - start
    p50, p99, n = _time_each(index, texts)
    return sum(len(e.phrasings) for e in faq.entries), len(faq.entries), build, p50, p99, n


def _time_each(index: matching.Matcher | Ranker, texts: list[str]) -> tuple[float, float, int]:
    """Time every distinct text once; return p50 and p99 in ms and how many were timed."""
    run = index.match if isinstance(index, matching.Matcher) else index
    timings = []
    for text in dict.fromkeys(texts):
        t0 = time.perf_counter()
        run(text)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1], len(timings)


def main() -> None:
    """Print the quality table and the speed table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", default=str(ROOT / "faq"))
    parser.add_argument("--cases", default=str(ROOT / "faq" / "tests.yaml"))
    parser.add_argument("--only", choices=("quality", "speed"), help="Print one table only.")
    args = parser.parse_args()
    import yaml

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    settings = matching.Settings.from_config(config.get("matcher"))

    if args.only != "speed":
        print(f"Quality on {args.cases} (FAQ {args.faq})")
        print(f"{'method':24} {'right':>7} {'wrong':>7} {'clarify':>8} {'escal.':>7}  note")
        for name, counts, total, note in quality(Path(args.faq), Path(args.cases), settings):
            pct = {k: 100 * v / total for k, v in counts.items()}
            print(
                f"{name:24} {pct['right']:6.1f}% {pct['wrong']:6.1f}% {pct['clarified']:7.1f}% "
                f"{pct['escalated']:6.1f}%  {note}"
            )
    if args.only == "quality":
        return
    cases = evaluation.load_cases(args.cases)
    timed = [c.text for c in cases]
    # A worker's steady state: it has read the other case files' messages (not timed).
    seen = [
        case.text
        for path in sorted(Path(args.faq).glob("*.yaml"))
        if knowledge.is_case_file(path.name) and path.resolve() != Path(args.cases).resolve()
        for case in evaluation.load_cases(path)
    ]
    unseen = frozenset(timed)
    seen = [text for text in dict.fromkeys(seen) if text not in unseen]
    print("\nSpeed (one process; generated FAQs; each distinct message timed once: the cases")
    print("and FAQ-like lines, half with a typo; cold = every word new to the process,")
    print(f"steady = after reading {len(seen):,} other citizens' messages; the same run's")
    print("baseline: rapidfuzz WRatio of the raw text against every phrasing, same FAQ)")
    print(
        f"{'variants':>9} {'entries':>8} {'build s':>8} {'cold p50':>9} {'cold p99':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'n':>6} {'WRatio p50/p99':>15}"
    )

    def show(rows: list[tuple], note: str) -> None:
        for variants, entries, build, c50, c99, p50, p99, n, naive in rows:
            baseline = f"{naive[0]:.3f}/{naive[1]:.3f}" if naive else "as above"
            print(
                f"{variants:9d} {entries:8d} {build:8.3f} {c50:9.3f} {c99:9.3f} "
                f"{p50:8.3f} {p99:8.3f} {n:6d} {baseline:>15}  {note}"
            )

    show(speed(settings, timed, seen=seen), "rules only")
    # Training grows with entries x texts (one binary model per entry): measured up to
    # 2,000 variants (200 entries); an office FAQ has tens of entries.
    rows = speed(settings, timed, sizes=(100, 2_000), taught=True, seen=seen)
    show(rows, "with a second opinion (one example per phrasing)")
    variants, entries, build, p50, p99, n = shipped_speed(Path(args.faq), settings)
    print(
        f"{variants:9d} {entries:8d} {build:8.3f} {p50:9.3f} {p99:9.3f} {'':>8} {'':>8} "
        f"{n:6d} {'':>15}  shipped FAQ and its examples, every case file's text, cold"
    )


if __name__ == "__main__":
    main()
