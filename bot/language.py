"""Normalise informal Indonesian (slang, Palembang dialect, money, affixes) into words to match."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import NamedTuple

LEXICON_DIR = Path(__file__).with_name("lexicon")
# Applied in this order; the first table that knows a word decides.
WORD_TABLES = ("domain.tsv", "palembang.tsv", "slang.tsv", "indocollex.tsv")
# The tables written for this service: a stem they know reads as they say (kepatahan ->
# patah -> rusak). IndoCollex is left out: its keys are chat forms, not roots.
ROOT_TABLES = ("domain.tsv", "palembang.tsv", "slang.tsv")
# Words that glue a sentence or name a place: they never tell entries apart.
NEUTRAL_TABLES = ("function_words.txt", "places.txt")
MONEY = "uang"  # what an amount of money becomes ("50rb" -> uang)

_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
# Where a clause ends: a comma, semicolon, question or exclamation mark, a new line, or a
# full stop not inside a number (f1.02 and 12.30 stay whole).
_CLAUSE = re.compile(r"[,;!?\n]|\.(?!\d)")
# A number run together with a word (17thn, f1, 2thn): read apart.
_LETTERS_DIGITS = re.compile(r"^(?:([a-z]+)(\d+)|(\d+)([a-z]+))$")
_REPEAT = re.compile(r"(\w)\1{2,}")
_DIGIT_REDUP = re.compile(r"^([a-z]{3,})2$")
# A single digit between two letters (s4y4, b1k1n, p3tug4s): a digit written for a letter.
_DIGIT_INSIDE = re.compile(r"[a-z]\d[a-z]")
# Where PySastrawi can change a word at all. Its result is the word itself or a root of its
# dictionary, found by cutting suffixes off the end (a particle -lah/-kah/-tah/-pun, before
# it a possessive -ku/-mu/-nya, before that -i/-kan/-an/-is/-isme/-isasi) and prefixes off
# the start (plain di/ke/se; the rules for be-, te-, me-, pe-, er-, ku-, kau-; an infix
# el/em/er/in after the first consonant), where a prefix may turn the root's first letter
# into another (menulis: tulis). So unless some piece of the word left by cutting such
# suffixes is a root, or (after a prefix) a root without its first letter, it returns the
# word unchanged, after 0.1 to 2 ms of trying every rule: what a new word (a typo) mostly
# costs. Checked against the stemmer on ~370,000 words, affixed forms and typos
# (tests/test_language.py::test_the_stemmer_is_run_only_where_it_can_change_a_word).
_PREFIXED = re.compile(r"^(?:di|ke|se|be|te|me|pe|er|ku|kau|[^aiueo](?:el|em|er|in)[aiueo])")
_SUFFIXES = sorted(
    {
        derivational + possessive + particle
        for derivational in ("", "i", "kan", "an", "is", "isme", "isasi")
        for possessive in ("", "ku", "mu", "nya")
        for particle in ("", "lah", "kah", "tah", "pun")
    },
    key=len,
)


def _may_stem(word: str) -> bool:
    """Return False where PySastrawi returns the word unchanged whatever it tries."""
    roots, tails = _sastrawi_roots(), _sastrawi_tails()
    if word in roots:
        return False
    prefixed = _PREFIXED.match(word) is not None
    for suffix in _SUFFIXES:
        if not word.endswith(suffix) or len(suffix) >= len(word):
            continue
        end = len(word) - len(suffix)
        if suffix and word[:end] in roots:
            return True
        if prefixed and any(
            word[start:end] in roots or word[start:end] in tails for start in range(1, end)
        ):
            return True
    return False


_UNITS = {
    "se": 1,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "sebelas": 11,
    "seratus": 100,
}
_TENS = {"belas": None, "puluh": 10, "ratus": 100}
_SCALE = {"ribu": 1_000, "rebu": 1_000, "rb": 1_000, "k": 1_000, "juta": 1_000_000, "jt": 1_000_000}
_NUMBER_WORD = (
    r"(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|seratus|se)"
)
_MONEY_PATTERNS = (
    # Rp 50.000 / rp50rb / Rp. 1,5 juta
    re.compile(
        r"\brp\.?\s*(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)(?:,-)?\s*(rb|ribu|rebu|k|jt|juta)?\b"
    ),
    # 50rb / 150 ribu / 1,5jt / 100k
    re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(rb|ribu|rebu|k|jt|juta)\b"),
    # 50.000 (thousands separators make it money, not a date or a count)
    re.compile(r"\b(\d{1,3}(?:\.\d{3})+)(?:,-)?(?!\d)()"),
    # seratus ribu / dua ratus lima puluh ribu / sejuta
    re.compile(
        rf"\b((?:{_NUMBER_WORD}\s*(?:belas|puluh|ratus)?\s*)+)(ribu|rebu|rb|juta|jt)\b"
        r"|\b(seribu|sejuta)\b"
    ),
)


class Lexicon:
    """The word tables, loaded once: word and phrase maps, fillers, protected stems."""

    def __init__(
        self,
        words: dict[str, tuple[str, ...]],
        phrases: dict[tuple[str, ...], tuple[str, ...]],
        fillers: frozenset[str],
        stems: dict[str, str],
        roots: frozenset[str],
    ):
        self.words = words
        self.phrases = phrases
        self.max_phrase = max((len(k) for k in phrases), default=1)
        self.phrase_starts = frozenset(k[0] for k in phrases)  # most words start no phrase
        self.fillers = fillers
        self.stems = stems
        self.roots = roots
        # Words of ROOT_TABLES with a one-word normal form: what a stem reads as.
        self.root_words: dict[str, str] = {}
        self.documents: frozenset[str] = frozenset()  # document names, in normal form
        self.other_topics: frozenset[str] = frozenset()  # services of other agencies
        # Services and matters near ours the FAQ does not cover (legalisir, adopsi, lapas);
        # normal form and stems.
        self.uncovered: frozenset[str] = frozenset()
        # Words naming the bot itself (bot, robot) and negations (bukan, tidak); stems.
        self.bot_words: frozenset[str] = frozenset()
        self.negation_words: frozenset[str] = frozenset()
        # Words that say what is asked (berapa, kapan, sudah), not what about; normal form.
        self.question_words: frozenset[str] = frozenset()
        # Words that join two things side by side (dan, sama, juga), in normal form.
        self.joining_words: frozenset[str] = frozenset()
        # Words that make a clause a question of its own (apa, syarat, bisa); stems.
        self.own_question_words: frozenset[str] = frozenset()
        # Words that make a document next to them one to bring or held (bawa, ada); stems.
        self.holding_words: frozenset[str] = frozenset()
        # Those of them that say to bring a document (bawa, lampirkan); stems.
        self.bring_words: frozenset[str] = frozenset()
        # A status question's words (stems): how far an application has come (jadi,
        # diambil), whether or when (sudah, belum, kapan), whose it is (anak, bapak); and
        # the words of a supposition (kalau, jika; normal form) that make it none.
        self.progress_words: frozenset[str] = frozenset()
        self.done_words: frozenset[str] = frozenset()
        self.asking_words: frozenset[str] = frozenset()
        self.person_words: frozenset[str] = frozenset()
        self.condition_words: frozenset[str] = frozenset()
        # A time question's words (stems): how long (lama, hari, tunggu), asking an amount
        # (berapa), a point in time after a time word (ini, lalu), and a deadline or a
        # validity (batas, berlaku) that makes it none.
        self.time_words: frozenset[str] = frozenset()
        self.measure_words: frozenset[str] = frozenset()
        self.time_points: frozenset[str] = frozenset()
        self.limit_words: frozenset[str] = frozenset()
        # A place question's words (stems): asking where ("di mana", alamat: each a tuple
        # of words) next to the office (kantor, dukcapil).
        self.place_words: tuple[tuple[str, ...], ...] = ()
        self.office_words: frozenset[str] = frozenset()
        # Words saying whose (saya, dia), in normal form: "ktp anak saya" is my child's KTP.
        self.owner_words: frozenset[str] = frozenset()
        # Civil events (lahir, meninggal) and foreign countries (malaysia): an event
        # abroad is recorded by the mission there first; stems.
        self.event_words: frozenset[str] = frozenset()
        self.abroad_words: frozenset[str] = frozenset()
        # Place names (places.txt), the words that put a place after them (di, ke) and
        # words for doing a procedure away from home (rantau, pulang, asal); stems.
        self.places: frozenset[str] = frozenset()
        self.place_markers: frozenset[str] = frozenset()
        self.elsewhere_words: frozenset[str] = frozenset()
        # Words asking whether something can be done (bisa, boleh); stems.
        # A stay away for a while (kuliah, kos) and words asking whether one must (wajib).
        self.stay_words: frozenset[str] = frozenset()
        self.obligation_words: frozenset[str] = frozenset()
        self.ability_words: frozenset[str] = frozenset()
        # Words naming a paper in general (kartu, surat, dokumen); stems.
        self.paper_words: frozenset[str] = frozenset()
        # Words saying what befell a document (hilang, rusak); stems.
        self.situation_words: frozenset[str] = frozenset()
        # Words that undo a holding word: negations (belum ada) and purpose (untuk); stems.
        self.holding_breaks: frozenset[str] = frozenset()
        # Copies of a document (fotokopi): held or brought like the document; stems.
        self.copies: frozenset[str] = frozenset()
        # Thanks (each a set of words in normal form: terima kasih) and the words of a
        # question or request (apa, belum, mohon; written and normal form): thanks with
        # none of these around it closes the conversation.
        self.thanks_words: tuple[frozenset[str], ...] = ()
        self.request_words: frozenset[str] = frozenset()
        # A word read otherwise beside a cue (senses.tsv): word -> [(reading, where, cues,
        # breaks)], all in normal form; "status" near "kawin" is the marital status field.
        self.senses: dict[str, list[Sense]] = {}
        # Calls and forms of address (misi, ping, min) -> the greeting a message of nothing
        # but these stands for (calls.tsv), as written.
        self.calls: dict[str, str] = {}
        # Digits written for the letters they look like (4 -> a, 1 -> i, 0 -> o;
        # digit_letters.tsv): read inside a word, never in a number.
        self.digit_letters: dict[str, str] = {}
        # Words that say nothing about a topic (function words, place names), in normal form.
        self.neutral: frozenset[str] = frozenset()
        self.units = frozenset(v[0] for v in words.values() if len(v) == 1 and " " in v[0])
        # A protected stem is a word we know, never a typo (pindahan is not pindah misspelt).
        self.known = roots | frozenset(words) | frozenset(t for v in words.values() for t in v)
        self.known |= frozenset(stems)
        self._word_cache: dict[str, tuple[str, ...]] = {}
        self._stem_cache: dict[str, str] = {}
        self._stemmer = _sastrawi()

    def is_word(self, word: str) -> bool:
        """Return True if the word is a known root or lexicon word (not a typo)."""
        return word in self.known


def _read_table(path: Path) -> Iterable[tuple[str, str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        informal, _, formal = line.partition("\t")
        informal, formal = informal.strip().lower(), formal.strip().strip('"').lower()
        if informal == "informal" and formal == "formal":  # IndoCollex header
            continue
        yield informal, formal


def load_lexicon(folder: str | Path = LEXICON_DIR, *, stemmer: bool = True) -> Lexicon:
    """Read the lexicon tables of a folder (see bot/lexicon/README.md)."""
    folder = Path(folder)
    raw_words: dict[str, tuple[str, ...]] = {}
    raw_phrases: dict[str, tuple[str, ...]] = {}
    root_words: dict[str, str] = {}
    for name in WORD_TABLES:
        path = folder / name
        if not path.exists():
            continue
        domain = name == "domain.tsv"
        for informal, formal in _read_table(path):
            if not formal:
                continue
            # A domain value is one unit ("kartu keluarga"); other values are plain words.
            value = (formal,) if domain else _split_value(formal)
            target = raw_phrases if " " in informal else raw_words
            target.setdefault(informal, value)
            if name in ROOT_TABLES and " " not in informal and len(value) == 1:
                root_words.setdefault(informal, value[0])
    fillers: frozenset[str] = frozenset()
    if (folder / "fillers.txt").exists():
        fillers = frozenset(w for w, _ in _read_table(folder / "fillers.txt"))
    stems = {}
    if (folder / "stems.tsv").exists():
        stems = {w: (s or w) for w, s in _read_table(folder / "stems.tsv")}
    roots = _sastrawi_roots() if stemmer else frozenset()
    lexicon = Lexicon(raw_words, {}, fillers, stems, roots)
    lexicon.root_words = root_words
    if not stemmer:
        lexicon._stemmer = None
    # Phrase keys are written the way people write; compare them in normal form.
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for informal, value in raw_phrases.items():
        key = tuple(t for w in _TOKEN.findall(informal) for t in _word(lexicon, w))
        if len(key) > 1:
            phrases.setdefault(key, value)
    lexicon.phrases = phrases
    lexicon.max_phrase = max((len(k) for k in phrases), default=1)
    lexicon.phrase_starts = frozenset(k[0] for k in phrases)
    if (folder / "other_topics.txt").exists():
        lexicon.other_topics = frozenset(w for w, _ in _read_table(folder / "other_topics.txt"))
    lexicon.neutral = frozenset(
        stem(w, lexicon)
        for name in NEUTRAL_TABLES
        if (folder / name).exists()
        for line, _ in _read_table(folder / name)
        for w in words(line, lexicon, merge=False)
    )
    lexicon.joining_words = _word_set(folder / "joining_words.txt", lexicon, stemmed=False)
    lexicon.condition_words = _word_set(folder / "condition_words.txt", lexicon, stemmed=False)
    if (folder / "place_words.txt").exists():
        lexicon.place_words = tuple(
            tuple(stem(w, lexicon) for w in words(line, lexicon, merge=False))
            for line, _ in _read_table(folder / "place_words.txt")
        )
    lexicon.office_words = _word_set(folder / "office_words.txt", lexicon, merge=True)
    lexicon.owner_words = _word_set(folder / "owner_words.txt", lexicon, stemmed=False)
    # Word lists, one word or phrase a line, read as the matcher reads words (stemmed).
    for name in (
        "question_words",
        "own_question_words",
        "holding_words",
        "bring_words",
        "progress_words",
        "done_words",
        "asking_words",
        "person_words",
        "situation_words",
        "time_words",
        "measure_words",
        "time_points",
        "limit_words",
        "paper_words",
        "event_words",
        "abroad_words",
        "places",
        "place_markers",
        "elsewhere_words",
        "ability_words",
        "stay_words",
        "obligation_words",
        "holding_breaks",
        "copies",
    ):
        setattr(lexicon, name, _word_set(folder / f"{name}.txt", lexicon))
    lexicon.documents = _word_set(folder / "documents.txt", lexicon, merge=True)
    lexicon.bot_words = _word_set(folder / "bot_words.txt", lexicon)
    lexicon.negation_words = _word_set(folder / "negation_words.txt", lexicon)
    uncovered = folder / "uncovered_services.txt"
    lexicon.uncovered = _word_set(uncovered, lexicon, stemmed=False, merge=True)
    lexicon.uncovered |= _word_set(uncovered, lexicon, merge=True)
    if (folder / "thanks_words.txt").exists():
        lexicon.thanks_words = tuple(
            frozenset(words(line, lexicon, merge=False))
            for line, _ in _read_table(folder / "thanks_words.txt")
        )
    if (folder / "request_words.txt").exists():
        written = [line for line, _ in _read_table(folder / "request_words.txt")]
        lexicon.request_words = frozenset(written) | frozenset(
            w for line in written for w in words(line, lexicon, merge=False)
        )
    if (folder / "senses.tsv").exists():
        lexicon.senses = _read_senses(folder / "senses.tsv", lexicon)
    if (folder / "calls.tsv").exists():
        lexicon.calls = dict(_read_table(folder / "calls.tsv"))
    if (folder / "digit_letters.tsv").exists():
        lexicon.digit_letters = {
            d: letter for d, letter in _read_table(folder / "digit_letters.tsv") if d.isdigit()
        }
    return lexicon


class Sense(NamedTuple):
    """A word's other reading beside a cue: anywhere in its clause ("near"), right after it
    ("after") or right before it ("before"); a cue right after one of `breaks` is part of a
    name (akta nikah)."""

    reading: str
    where: str
    cues: frozenset[str]
    breaks: frozenset[str]


def _read_senses(path: Path, lexicon: Lexicon) -> dict[str, list[Sense]]:
    """Read senses.tsv: word, reading, near|after, cue words, words that break a cue."""
    senses: dict[str, list[Sense]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, reading, where, cues, *rest = [f.strip().lower() for f in line.split("\t")]
        # Each cue on its own: "kantor dukcapil" side by side would merge into one unit.
        normal = lambda text: frozenset(w for c in text.split() for w in words(c, lexicon))  # noqa: E731
        for key in words(word, lexicon):
            senses.setdefault(key, []).append(
                Sense(reading, where, normal(cues), normal(rest[0]) if rest else frozenset())
            )
    return senses


def _word_set(path: Path, lexicon: Lexicon, *, stemmed=True, merge=False) -> frozenset[str]:
    """Return the words of a word list in normal form (stemmed unless told), or none when
    the file is missing."""
    if not path.exists():
        return frozenset()
    return frozenset(
        stem(w, lexicon) if stemmed else w
        for line, _ in _read_table(path)
        for w in words(line, lexicon, merge=merge)
    )


def _split_value(formal: str) -> tuple[str, ...]:
    """Split a dictionary value into words; anak-anak becomes two words, as written ones do."""
    out: list[str] = []
    for word in formal.split():
        first, _, second = word.partition("-")
        out.extend([first, first] if second == first else [p for p in word.split("-") if p])
    return tuple(out)


@cache
def default_lexicon() -> Lexicon:
    """Return the shipped lexicon, loaded on first use and kept for the process."""
    return load_lexicon()


@cache
def _sastrawi():
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return Stemmer(ArrayDictionary(StemmerFactory().get_words()))


@cache
def _sastrawi_roots() -> frozenset[str]:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return frozenset(w.strip() for w in StemmerFactory().get_words() if w.strip())


@cache
def _sastrawi_tails() -> frozenset[str]:
    """Return the roots without their first letter: what a prefix leaves (menulis: ulis)."""
    return frozenset(root[1:] for root in _sastrawi_roots() if len(root) > 1)


def clean(text: str) -> str:
    """Lower-case the text, unify Unicode forms and turn amounts of money into 'uang'."""
    text = unicodedata.normalize("NFKC", text).lower()
    for pattern in _MONEY_PATTERNS:
        text = pattern.sub(f" {MONEY} ", text)
    return text


def find_amounts(text: str) -> list[int]:
    """Return the amounts of money (in rupiah) written in a message, in order."""
    text = unicodedata.normalize("NFKC", text).lower()
    found: list[tuple[int, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _MONEY_PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            value = _amount(match)
            if value is not None:
                taken.append(span)
                found.append((span[0], value))
    return [value for _, value in sorted(found)]


def _amount(match: re.Match) -> int | None:
    groups = [g for g in match.groups() if g is not None]
    if not groups:
        return None
    if groups[0] in ("seribu", "sejuta"):
        return 1_000 if groups[0] == "seribu" else 1_000_000
    number, scale = groups[0].strip(), (groups[1] if len(groups) > 1 else "")
    multiplier = _SCALE.get(scale, 1)
    if number[0].isdigit():
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):
            value = float(re.sub(r"[.,]", "", number))
        else:
            value = float(number.replace(",", "."))
        return round(value * multiplier)
    return _spelled_number(number) * multiplier


def _spelled_number(words: str) -> int:
    """Turn 'dua ratus lima puluh' into 250 (numbers below a thousand)."""
    total, current = 0, 0
    for word in re.findall(r"seratus|sepuluh|sebelas|se|[a-z]+", words):
        if word in _UNITS:
            current += _UNITS[word]
        elif word == "belas":
            current += 10
        elif word in _TENS:
            total += max(current, 1) * _TENS[word]
            current = 0
    return total + current or 1


def _lookup(lexicon: Lexicon, word: str) -> tuple[str, ...] | None:
    return lexicon.words.get(word)


def _word(lexicon: Lexicon, raw: str) -> tuple[str, ...]:
    """Normalise one written word into zero or more words (cached per lexicon)."""
    cached = lexicon._word_cache.get(raw)
    if cached is None:
        cached = _normalise_word(lexicon, raw, depth=0)
        if len(lexicon._word_cache) < 200_000:
            lexicon._word_cache[raw] = cached
    return cached


def _normalise_word(lexicon: Lexicon, word: str, depth: int) -> tuple[str, ...]:
    if depth > 4:
        return (word,)
    if word in lexicon.fillers:
        return ()
    found = _lookup(lexicon, word)
    if found is not None:
        return tuple(w for w in found if w not in lexicon.fillers)
    again = lambda w: _normalise_word(lexicon, w, depth + 1)  # noqa: E731
    if "'" in word:
        return again(word.replace("'", ""))
    if "-" in word:
        first, _, second = word.partition("-")
        # anak-anak, surat-suratnya: reduplication keeps the word twice (plural).
        if second == first or second.removesuffix("nya") == first:
            return again(first) * 2
        return again(first) + again(second)
    letters = _digits_as_letters(lexicon, word)
    if letters:  # s4y4 -> saya, bl4ngk0 -> blangko
        return again(letters)
    redup = _DIGIT_REDUP.match(word)
    if redup:  # selesai2 -> selesai selesai
        return again(redup.group(1)) * 2
    glued = _LETTERS_DIGITS.match(word)
    if glued:  # 17thn -> 17 tahun, f1 -> f 1 (as f-1.02 is written too)
        return tuple(w for part in glued.groups() if part for w in again(part))
    if _REPEAT.search(word):
        return again(_collapse_repeats(lexicon, word))
    if _stretched_end(lexicon, word):  # gmnn, gantinyaa: the last letter held once more
        return again(word[:-1])
    if word.endswith("nyo") and len(word) > 5:  # Palembang: ngurusnyo -> ngurusnya
        return again(word[:-3] + "nya")
    for suffix in ("nya", "ku", "mu"):  # possessives: ktpnya, aktaku
        base = word.removesuffix(suffix)
        long_enough = len(base) >= (2 if suffix == "nya" else 3)
        if base != word and long_enough and (_lookup(lexicon, base) or _is_root(lexicon, base)):
            return again(base)
    base = _javanese_base(lexicon, word)
    if base:  # Javanese -ne/-e for -nya: biayane, syarate
        return again(base)
    if _palembang_a(lexicon, word):
        return (word[:-1] + "a",)  # Palembang -o for -a: samo -> sama
    # Palembang -ke for -kan (dilaporke, buatke): only when a root word is under it.
    kan = word[:-2] + "kan"
    if (
        word.endswith("ke")
        and len(word) > 5
        and word not in lexicon.roots
        and _root_under(lexicon, kan)
    ):
        return again(kan)
    return (word,)


def _digits_as_letters(lexicon: Lexicon, word: str) -> str:
    """Return the word with its digits read as the letters they stand for, or "".

    Chat writes a letter as the digit that looks like it (s4y4, b1k1n, bl4ngk0): only a
    word with a single digit between two letters, and only when every digit in it stands
    for a letter (digit_letters.tsv); runs of digits (rt01rw03) and 2 for reduplication
    (anak2nya) stay numbers, and so does a word that reads as no word we know (rt1rw3).
    """
    if not lexicon.digit_letters or not _DIGIT_INSIDE.search(word):
        return ""
    if re.search(r"\d\d", word) or not word.isalnum():
        return ""
    out = []
    for char in word:
        if char.isdigit():
            if char not in lexicon.digit_letters:
                return ""
            char = lexicon.digit_letters[char]
        out.append(char)
    read = "".join(out)
    known = lexicon.is_word(read) or _normalise_word(lexicon, read, depth=4) != (read,)
    return read if known else ""


def _stretched_end(lexicon: Lexicon, word: str) -> bool:
    """Return True if an unknown word is a known one with its last letter doubled.

    Chat stretches the last letter once as well as many times ("gmnn", "gratiss"); only
    words of four letters or more, so short codes (pbb, mpp) stay as written.
    """
    if len(word) < 4 or word[-1] != word[-2] or not word[-1].isalpha():
        return False
    if lexicon.is_word(word):
        return False
    short = word[:-1]
    return lexicon.is_word(short) or _normalise_word(lexicon, short, depth=4) != (short,)


def _javanese_base(lexicon: Lexicon, word: str) -> str:
    """Return the word under a Javanese -nya ending, or "" when there is none.

    Javanese writes -nya as -ne after a vowel (biayane, kartune) and -e after a consonant
    (syarate, alamate); only a known word under it counts, and never a known word itself
    (sore, tipe stay), every base at least four letters (cape is no cap).
    """
    if len(word) < 5 or word[-1] != "e" or word in lexicon.roots:
        return ""
    if word.endswith("ne"):
        base = word[:-2]
    elif word[-2] not in "aiueo":
        base = word[:-1]
    else:
        return ""
    return base if _lookup(lexicon, base) or base in lexicon.roots else ""


def _palembang_a(lexicon: Lexicon, word: str) -> bool:
    """Return True if a word is the Palembang -o form of a root ending in -a (samo, biayo)."""
    return word.endswith("o") and word not in lexicon.roots and (word[:-1] + "a") in lexicon.roots


def _is_root(lexicon: Lexicon, word: str) -> bool:
    """Return True if a word is a root, also in its Palembang -o form (biayo of biayonyo)."""
    return word in lexicon.roots or _palembang_a(lexicon, word)


def _root_under(lexicon: Lexicon, word: str) -> bool:
    """Return True if the stemmer finds a root word under an affixed word."""
    if lexicon._stemmer is None:
        return False
    root = _stem_word(lexicon, word)
    return root != word and root in lexicon.roots


def _collapse_repeats(lexicon: Lexicon, word: str) -> str:
    """Shorten stretched letters (tolongggg, maaaf), preferring a known word."""
    single = _REPEAT.sub(r"\1", word)
    double = _REPEAT.sub(r"\1\1", word)
    for candidate in (single, double):
        if lexicon.is_word(candidate):
            return candidate
    return single


class Start(str):
    """A word that begins a clause (after a comma, a full stop, a question mark ...):
    domain phrases do not run across into it ("rekam e-ktp, anak aku" is no ktp anak)."""

    __slots__ = ()


def words(text: str, lexicon: Lexicon | None = None, *, merge: bool = True) -> list[str]:
    """Return the normalised words of a message (slang, dialect, synonyms resolved; no stems).

    The first word of each clause but the first is a `Start`, so phrases stay in a clause.
    """
    lexicon = lexicon or default_lexicon()
    out: list[str] = []
    for number, clause in enumerate(_CLAUSE.split(clean(text))):
        begin = len(out)
        for raw in _TOKEN.findall(clause):
            out.extend(_word(lexicon, raw))
        if number and len(out) > begin:
            out[begin] = Start(out[begin])
    return merge_phrases(out, lexicon) if merge else out


def greeting(text: str, lexicon: Lexicon | None = None) -> list[str]:
    """Return the normalised words of the greeting a message of nothing but calls and forms
    of address stands for ("misi min": permisi, halo; calls.tsv), or [] when it says more.
    A message of no words but emoji is read by them the same way (👋 halo, 🙏 terima kasih)."""
    lexicon = lexicon or default_lexicon()
    written = _TOKEN.findall(clean(text)) or _symbols(text)
    if not written or not all(w in lexicon.calls for w in written):
        return []
    read = dict.fromkeys(w for raw in written for w in words(lexicon.calls[raw], lexicon))
    return list(read)


# What only shapes an emoji: skin tones, the emoji presentation selector, the joiner.
_EMOJI_MARKS = re.compile(r"[\U0001f3fb-\U0001f3ff\ufe0f\u200d\s]")


def _symbols(text: str) -> list[str]:
    """Return the emoji of a text without words, one a symbol, skin tones dropped."""
    return list(_EMOJI_MARKS.sub("", text))


def merge_phrases(found: list[str], lexicon: Lexicon | None = None) -> list[str]:
    """Replace the domain phrases in a list of normalised words (kartu keluarga -> one unit),
    then read a word beside its cue in its other sense (senses.tsv)."""
    lexicon = lexicon or default_lexicon()
    merged = _merge(found, lexicon) if lexicon.phrases else found
    if lexicon.senses and not lexicon.senses.keys().isdisjoint(merged):
        return _apply_senses(merged, lexicon)
    return merged


def _apply_senses(found: list[str], lexicon: Lexicon) -> list[str]:
    """Read each word that has a sense (senses.tsv) as that sense when its cue is beside it:
    in its clause ("near"), the word before it ("after") or after it ("before"), not itself
    part of a name."""
    starts = [i for i, w in enumerate(found) if i == 0 or isinstance(w, Start)] + [len(found)]
    out = list(found)
    for begin, end in zip(starts, starts[1:], strict=False):
        for i in range(begin, end):
            for sense in lexicon.senses.get(found[i], ()):
                span = {"near": range(begin, end), "after": range(i - 1, i)}.get(
                    sense.where, range(i + 1, min(i + 2, end))
                )
                cued = any(
                    found[j] in sense.cues
                    and j >= begin
                    and j != i
                    and not (j > begin and found[j - 1] in sense.breaks)
                    for j in span
                )
                if cued:
                    out[i] = Start(sense.reading) if isinstance(found[i], Start) else sense.reading
                    break
    return out


def _merge(found: list[str], lexicon: Lexicon) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(found):
        if found[i] not in lexicon.phrase_starts:
            out.append(found[i])
            i += 1
            continue
        for size in range(min(lexicon.max_phrase, len(found) - i), 1, -1):
            value = lexicon.phrases.get(tuple(found[i : i + size]))
            if (
                value is not None
                and not any(isinstance(w, Start) for w in found[i + 1 : i + size])
                and not _owned(found, i, size, lexicon)
            ):
                out.extend(value)
                i += size
                break
        else:
            out.append(found[i])
            i += 1
    return out


def _owned(found: list[str], at: int, size: int, lexicon: Lexicon) -> bool:
    """Return True if the phrase at `at` is a document and a person word followed by a
    word saying whose ("ktp anak saya": my child's KTP, not the children's card)."""
    return (
        size == 2
        and at + size < len(found)
        and found[at + size] in lexicon.owner_words
        and found[at] in lexicon.documents
        and found[at + 1] in lexicon.person_words
    )


def stem(word: str, lexicon: Lexicon | None = None) -> str:
    """Return the stem of a normalised word; domain words and protected stems stay whole."""
    lexicon = lexicon or default_lexicon()
    word = str(word)  # a plain word (not a clause Start): stems are kept for every message
    cached = lexicon._stem_cache.get(word)
    if cached is None:
        cached = _stem(lexicon, word)
        if len(lexicon._stem_cache) < 200_000:
            lexicon._stem_cache[word] = cached
    return cached


def _stem(lexicon: Lexicon, word: str) -> str:
    found = _bare_stem(lexicon, word)
    if found == word:
        return found
    # An affixed form of a table word means what the table word means: kepatahan is
    # patah, and patah is rusak; kebanjiran is banjir as before.
    read = lexicon.root_words.get(found)
    if read is None or read == found or read in lexicon.fillers:
        return found
    return _bare_stem(lexicon, read)


def _bare_stem(lexicon: Lexicon, word: str) -> str:
    if word in lexicon.stems:
        return lexicon.stems[word]
    if " " in word or word in lexicon.units or lexicon._stemmer is None or not word.isalpha():
        return word
    stemmed = _stem_word(lexicon, word)
    if stemmed != word or word in lexicon.roots:
        return lexicon.stems.get(stemmed, stemmed)
    # Informal affixes the stemmer does not know: ngurus, nyetak, benerin, urusin.
    for candidate in _informal_bases(word):
        # A base our own tables know reads as they say (diwoco: woco, baca).
        if candidate in lexicon.roots or candidate in lexicon.root_words:
            return candidate
        deeper = _stem_word(lexicon, candidate)
        if deeper in lexicon.roots and deeper != candidate:
            return deeper
    return word


def _stem_word(lexicon: Lexicon, word: str) -> str:
    """Return PySastrawi's stem of a word, without running it where it changes nothing."""
    return lexicon._stemmer.stem_word(word) if _may_stem(word) else word


def _informal_bases(word: str) -> list[str]:
    bases = []
    stems = [word]
    for suffix in ("nya", "in", "kan"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stems.append(word[: -len(suffix)])
    for base in stems:
        bases.append(base)
        if base.startswith("nge") and len(base) > 5:
            bases.append(base[3:])
        if base.startswith("ng") and len(base) > 4 and base[2] in "aeiou":
            bases.append(base[2:])
            bases.append("k" + base[2:])
        if base.startswith("ny") and len(base) > 4 and base[2] in "aeiou":
            bases.append("c" + base[2:])
            bases.append("s" + base[2:])
        if base.startswith("di") and len(base) > 4:
            bases.append(base[2:])
    return bases[1:]


def tokens(text: str, lexicon: Lexicon | None = None, *, stemmed: bool = True) -> list[str]:
    """Return the words to match: normalised, fillers dropped, and stemmed unless told not to."""
    lexicon = lexicon or default_lexicon()
    found = words(text, lexicon)
    if not stemmed:
        return found
    return [stem(w, lexicon) for w in found]


def normalize(text: str, lexicon: Lexicon | None = None, *, stemmed: bool = False) -> str:
    """Return the normal form of a message as one string of words."""
    return " ".join(tokens(text, lexicon, stemmed=stemmed))
