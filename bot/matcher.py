"""Rank FAQ entries for a citizen's message: Answer, Clarify or Escalate (pure: no I/O but
reading the FAQ folder's example files once, when built without examples given)."""

from __future__ import annotations

import dataclasses
import heapq
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot import examples as learning
from bot import language
from bot.knowledge import Entry, Faq

# A word typed without spaces is split into FAQ words up to this long (and parts this long).
# Guards that doubt a message is about an entry on what the lexicon knows, not on counts.
KNOWLEDGE_GUARDS = frozenset(
    (
        "foreign_guard",
        "uncovered_guard",
        "situation_document",
        "document_guard",
        "abroad_guard",
        "place_choice",
        "temporary_stay",
    )
)
MAX_GLUED = 60
VOWELS = frozenset("aiueo")  # the letters chat leaves out (crny: caranya)
MAX_GLUED_PART = 24
# A message proposing at least this many phrasings is scored with array sums, fewer in a
# loop (both give the same scores; the sums cost ~0.1 ms however few they score, the
# loop ~2.5 us a phrasing: measured with bench/bench_matcher.py).
ARRAYS_FROM = 64
GLUED_LONG_PART = 5  # ... a part this long need not be written as the FAQ writes it


@dataclass(frozen=True)
class Settings:
    """Decision thresholds and scoring knobs (from config.yaml `matcher:`)."""

    answer_threshold: float = 50.0  # best score needed to answer
    clarify_threshold: float = 40.0  # best score needed to offer a choice
    sole_threshold: float = 40.0  # ... to answer an entry no other comes near, keyword named
    margin: float = 12.0  # best must beat the runner-up by this much to answer alone
    max_candidates: int = 3
    unknown_word_weight: float = 2.0  # weight of a message word no FAQ entry uses
    recall_weight: float = 0.4  # 0..1: share of the score given to covering the variant
    typo_similarity: float = 84.0  # rapidfuzz ratio needed to read a word as a FAQ word
    typo_transposition: bool = True  # two neighbouring letters swapped is a typo (syarta)
    typo_vowels: bool = True  # vowels left out (crny, digtl): the one FAQ word it spells
    stemming: bool = True  # reduce words to their root (kelahiran -> lahir)
    min_evidence: float = 1.0  # a variant must weigh this many entry-unique words to prove a match
    variant_share: float = 1.0  # credit for message words found only in the entry's other variants
    other_topic_weight: float = 6.0  # weight of a word naming another agency's service
    other_document_factor: float = 0.5  # score kept by a variant about another document
    neutral_word_weight: float = 0.5  # most a function word or place name can weigh
    keyword_dominance: bool = True  # an entry whose keyword is named beats a rival with none
    lone_word_guard: bool = True  # one explained word does not carry unknown words
    topic_guard: bool = True  # question words alone (sudah, belum) do not make a topic
    foreign_guard: bool = True  # another agency's service and no document: not ours
    foreign_known: bool = True  # ... even one the FAQ mentions beside ours (ijazah)
    uncovered_guard: bool = True  # a service we do not cover (legalisir, paspor) unexplained
    bot_talk: bool = True  # "kamu bot ya?": talk about the bot is no request for a human
    money_guard: bool = True  # money named: an entry silent on money is not answered alone
    two_topics: bool = True  # keywords of two entries named: offer both, never answer one
    two_topics_spread: int = 2  # ... keywords used by more entries than this are shared
    shared_word_dominance: bool = True  # a rival's shared words (ganti, orang) do not speak for it
    answer_both: bool = True  # two questions, each clear on its own: answer both
    answer_general_pair: bool = True  # a general question about a document's case: both
    holding_words: bool = True  # a document to bring or held (bawa kk, kk ada) is not asked
    brought_not_subject: bool = True  # "rekam ktp bawa kk": the phrasing is about the ktp
    unknown_guard: float = 1.0  # more unknown words than this per topic word: not answered
    whole_keywords: bool = True  # a multi-word keyword proves a match only whole (langsung jadi)
    status_frame: bool = True  # "udh jadi", "kapan bisa diambil": the status entry's question
    status_tags: tuple[str, ...] = ()  # the entries answering how far an application has come
    time_frame: bool = True  # "ktp rusak ganti brp lama": the time entry's question
    negated_holding: bool = True  # ... "lama ga ada kabar": no news, no time question
    status_waited: bool = True  # "udh sebulan blm jadi": the time waited is the status's
    time_clause: bool = True  # ... about its own clause and the story, not another question
    time_tags: tuple[str, ...] = ()  # the entries answering how long things take
    # General entries about a procedure (data changes): in a time or place question their
    # words are the subject, like a document's, not a second question.
    procedure_tags: tuple[str, ...] = ()
    place_frame: bool = True  # "kantor capil pali di mana": the office entry saying where
    place_tags: tuple[str, ...] = ()  # the office entries (the one saying where answers)
    situation_first: bool = True  # what befell the document (hilang) is never left out
    situation_uncovered: bool = True  # ... and no entry on the document explains it: no answer
    document_kinds: bool = True  # ... an entry on another kind of it does not (akta lahir/mati)
    situation_unanswered: bool = True  # ... even when its entry is out of reach: no answer
    procedure_subject: bool = True  # "biaya pindah domisili": the procedure is the subject
    supposition_guard: bool = True  # "kalo ngajuin skrg kapan jadi": no status question
    situation_document: bool = True  # "tv sama motor ilang": what was lost must be ours
    document_guard: bool = True  # a document's entry needs a document ("daftar sd" is not kia)
    abroad_guard: bool = True  # "lahir di malaysia": recorded by the mission abroad first
    abroad_places: bool = True  # ... a word the FAQ does not know between (johor) is a place
    place_choice: bool = True  # "di batam atau di sini?": which office, not what to bring
    temporary_stay: bool = True  # "kuliah di jogja, wajib pindah ktp?": no move asked
    place_asked: bool = True  # "bs diganti di palembang ga?": ... whether that office does it
    held_aside: bool = True  # an entry about a held document only is no candidate beside another
    offerable_rivals: bool = True  # a rival below clarify_threshold does not block an answer
    keyword_phrase_topic: bool = True  # "berapa lama" named whole is a topic word
    same_document_dominance: bool = True  # named beats unnamed about the same document
    answer_both_either_way: bool = True  # two joined questions: the one saying more first
    subject_out_of_reach: bool = True  # the subject of a general question leaves it alone
    dominated_out_of_reach: bool = True  # a rival the chosen dominates leaves it the only one
    glued_words: bool = True  # an unknown word made of two FAQ words (rekamktp) reads as both
    glued_part_length: int = 3  # ... each part this long, unless a lexicon word (sy)
    glued_glue: bool = True  # ... or a short glue word (di); glue in a table word (dimano)
    courtesy_yields: bool = True  # a real entry named beside a greeting: the greeting steps aside
    thanks_closes: bool = True  # thanks with only a report around it, no question: thanks
    calls_greet: bool = True  # nothing but a call and address ("misi min", "ping"): a greeting
    # Entries answering a kind of question for every document (fees, time, status): their
    # keyword beats the entry of the document the message names.
    general_tags: tuple[str, ...] = ()
    courtesy_tags: tuple[str, ...] = ("percakapan",)  # entries that win only on small talk
    # Labelled messages in the FAQ folder (file patterns) that train the second opinion
    # (bot/examples.py); with fewer than min_examples, there is none.
    examples: tuple[str, ...] = ()
    min_examples: int = 100
    tie_confidence: float = 0.5  # a choice's candidate this likely is answered instead
    sole_confidence: float = 0.7  # ... when it is the only one offered (in scope at all?)
    veto_confidence: float = 0.6  # another label this likely holds an answer back
    pair_doubt: float = 0.1  # ... this one answered of two, the other this unlikely: dropped
    answer_doubt: float = 0.0  # an answer the model gives less than this: offered instead
    taught_examples: int = 5  # ... holding back only entries with this many examples
    opinion_needs_words: bool = True  # no word for the model ("min", "🙏"): no second opinion

    @classmethod
    def from_config(cls, section: dict | None) -> Settings:
        """Build settings from the config section, ignoring unknown keys."""
        section = section or {}
        names = cls.__dataclass_fields__
        # YAML lists become tuples so the settings stay hashable.
        return cls(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in section.items() if k in names}
        )


@dataclass(frozen=True)
class Candidate:
    """One scored entry with the reason for its score."""

    entry: Entry
    score: float
    reason: str
    # The message's words (stems) this entry's phrasings and keywords explain.
    evidence: frozenset[str] = frozenset()
    # The entry's own keywords the message names (all words of a multi-word keyword).
    named: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answer:
    """One entry is clearly right."""

    candidate: Candidate
    candidates: tuple[Candidate, ...]
    # The message's second question, answered after the first ("syarat kk dan akta").
    also: tuple[Candidate, ...] = ()
    outcome = "answer"

    @property
    def entry(self) -> Entry:
        """Return the entry to answer with."""
        return self.candidate.entry

    @property
    def reason(self) -> str:
        """Return why this entry was chosen."""
        return self.candidate.reason


@dataclass(frozen=True)
class Clarify:
    """A few entries are plausible: offer them as a numbered choice."""

    candidates: tuple[Candidate, ...]
    # Entries the rules held back on what the lexicon knows (a service we do not cover, an
    # event abroad, a case no entry explains): the second opinion never answers them.
    held: frozenset[str] = frozenset()
    outcome = "clarify"

    @property
    def reason(self) -> str:
        """Return the close scores, for the console."""
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


@dataclass(frozen=True)
class _Phrasing:
    entry: int  # index into Matcher.entries
    text: str
    words: frozenset[str]
    weight: float  # sum of the idf of its words
    kind: str  # "pertanyaan" | "varian" | "kata kunci"
    documents: frozenset[str]  # the documents it names (ktp, kartu keluarga, ...)
    scale: float  # what recall divides by: its weight, at least the evidence floor
    courtesy: bool  # of a greeting/thanks entry: scored against all the message's words
    whole: bool  # a multi-word keyword: it proves a match only with all its words


class _Word(NamedTuple):  # a tuple: made for every word of every message
    stem: str  # the FAQ word it counts as ("" when unknown)
    written: str
    similarity: float  # 1.0, or below 1 when read through a typo


class _Phrased(NamedTuple):
    """A message's words with its phrases merged (`language.merge_phrases`), their stems,
    and which start a clause: what most of the rules read."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    starts: tuple[bool, ...]


class _Frames(NamedTuple):
    """A message's question frames (status, time, place): the words each framed entry
    explains beyond its own, the words that name it, and the framed entries' ids."""

    widen: dict[int, frozenset[str]]
    naming: dict[int, frozenset[str]]
    ids: frozenset[str]
    # Entries that also explain the message's subject: every word the FAQ knows but glue,
    # question and holding words and the keywords of other general questions (fees, hours).
    subject: frozenset[int]
    # Words of a clause asking a question of its own beside a time question: no subject.
    beside: frozenset[str] = frozenset()


class Matcher:
    """An index over one FAQ, built once per load: normalised phrasings, word weights."""

    def __init__(
        self,
        faq: Faq,
        settings: Settings | None = None,
        lexicon: language.Lexicon | None = None,
        examples: tuple[learning.Example, ...] | None = None,
        model: learning.Model | None = None,
    ):
        self.faq = faq
        self.settings = settings or Settings()
        self.lexicon = lexicon or language.default_lexicon()
        self.entries: tuple[Entry, ...] = tuple(faq.entries)
        self._phrasings: list[_Phrasing] = []
        self._bags: list[frozenset[str]] = []
        self._surface: dict[str, str] = {}  # written FAQ word -> its stem
        self._stemmed: dict[str, str] = {}  # any word -> its stem (see _stem)
        self._last_phrased: tuple[list[str], _Phrased] | None = None
        texts: list[tuple[int, str, str, list[str]]] = []
        # Each entry's keywords: one-word ones as a set, longer ones as sets of their words.
        self._keywords: list[tuple[frozenset[str], tuple[frozenset[str], ...]]] = []
        for number, entry in enumerate(self.entries):
            bag: set[str] = set()
            keywords = {frozenset(self._stems(k, learn=True)) for k in entry.keywords} - {
                frozenset()
            }
            single = frozenset(w for k in keywords if len(k) == 1 for w in k)
            self._keywords.append((single, tuple(k for k in keywords if len(k) > 1)))
            sources = [(entry.question, "pertanyaan")]
            sources += [(v, "varian") for v in entry.variants]
            # A single keyword is one token: it may support an entry, never prove it alone.
            keywords = [k for k in entry.keywords if len(language.words(k, self.lexicon)) > 1]
            sources += [(k, "kata kunci") for k in keywords]
            for keyword in entry.keywords:
                bag.update(self._stems(keyword, learn=True))
            for text, kind in sources:
                stems = self._stems(text, learn=True)
                if stems:
                    texts.append((number, text, kind, stems))
                    bag.update(stems)
            self._bags.append(frozenset(bag))
        # Words shared by many entries decide little: weight each by its rarity across entries.
        count = len(self.entries)
        frequency: dict[str, int] = {}
        for bag in self._bags:
            for word in bag:
                frequency[word] = frequency.get(word, 0) + 1
        self.idf = {w: math.log((count + 1) / n) for w, n in frequency.items()}
        # A glue word or a place found in one entry only is rare by accident, not a topic.
        for word in self.lexicon.neutral & self.idf.keys():
            self.idf[word] = min(self.idf[word], self.settings.neutral_word_weight)
        tags = set(self.settings.courtesy_tags)
        self._courtesy = frozenset(n for n, e in enumerate(self.entries) if tags & set(e.tags))
        # A phrasing lighter than one word unique to an entry cannot prove a match by itself.
        floor = self.settings.min_evidence * math.log(len(self.entries) + 1)
        self._postings: dict[str, list[int]] = {}
        for number, text, kind, stems in texts:
            words = frozenset(stems)
            index = len(self._phrasings)
            weight = sum(self.idf[w] for w in words)
            self._phrasings.append(
                _Phrasing(
                    number,
                    text,
                    words,
                    weight,
                    kind,
                    words & self.lexicon.documents,
                    max(weight, floor),
                    number in self._courtesy,
                    self.settings.whole_keywords and kind == "kata kunci",
                )
            )
            for word in words:
                self._postings.setdefault(word, []).append(index)
        # Typos rarely change the first letter: search only words that start alike.
        self._vocabulary: dict[str, list[str]] = {}
        # How FAQ words begin (their first glued_part_length letters): a piece of a glued
        # word that begins no FAQ word is none (lahiran begins as lahir does).
        self._starts = frozenset(w[: self.settings.glued_part_length] for w in self._surface)
        for word in sorted(self._surface):
            self._vocabulary.setdefault(word[0], []).append(word)
        # Entries answering one kind of question for every document (fees, time, status).
        general_tags = set(self.settings.general_tags)
        self._general = frozenset(e.id for e in self.entries if general_tags & set(e.tags))
        status_tags = set(self.settings.status_tags)
        self._status = frozenset(n for n, e in enumerate(self.entries) if status_tags & set(e.tags))
        self._status_ids = frozenset(self.entries[n].id for n in self._status)
        self._frame_words = self.lexicon.done_words | self.lexicon.progress_words
        # Entries answering how long things take, and the office entries (place questions).
        time_tags, place_tags = set(self.settings.time_tags), set(self.settings.place_tags)
        self._time = frozenset(n for n, e in enumerate(self.entries) if time_tags & set(e.tags))
        self._place = frozenset(n for n, e in enumerate(self.entries) if place_tags & set(e.tags))
        self._time_ids = frozenset(self.entries[n].id for n in self._time)
        # What a time or place question's subject is not: glue, question and holding words,
        # money, and the keywords of the general entries asking another question (fees,
        # hours, status; not a procedure's, procedure_tags: "ubah data brp lama").
        procedure_tags = set(self.settings.procedure_tags)
        self._not_subject = (
            self.lexicon.neutral | self.lexicon.question_words | {language.MONEY}
        ).union(
            *(
                self._stems(k)
                for e in self.entries
                if e.id in self._general and not procedure_tags & set(e.tags)
                for k in e.keywords
            )
        )
        # Entries about a document (their phrasings name one) that are not general, with
        # keywords saying what they are about.
        self._document_entries = frozenset(
            e.id
            for e, bag in zip(self.entries, self._bags, strict=True)
            if bag & self.lexicon.documents and e.id not in self._general and e.keywords
        )
        # Keywords that name a document with its kind ("akta kematian"): all their words
        # name the document, so "kematian" there is the subject, not a question.
        documents = self.lexicon.documents
        self._document_names = {
            e.id: frozenset(w for k in longer if k & documents for w in k)
            for e, (_, longer) in zip(self.entries, self._keywords, strict=True)
        }
        self._no_subject = self.lexicon.neutral | self.lexicon.question_words
        # Entries whose phrasings speak of doing it away from home (elsewhere_words: the
        # lost card at any office, the moving letter at origin and destination).
        self._elsewhere = frozenset(
            e.id
            for e, bag in zip(self.entries, self._bags, strict=True)
            if bag & self.lexicon.elsewhere_words
        )
        self._naming = frozenset().union(*self._document_names.values()) - documents
        # A document that entries name with different kinds (akta: lahir, mati) is one
        # certificate per kind: the kinds that tell them apart, per document.
        kinds: dict[str, dict[str, frozenset[str]]] = {}
        for entry_id, words in self._document_names.items():
            for document in words & documents:
                kinds.setdefault(document, {})[entry_id] = words - documents
        self._kinds = {
            document: frozenset().union(*by_entry.values())
            for document, by_entry in kinds.items()
            if len(set(by_entry.values())) > 1
        }
        # A document a phrasing says to bring (bring_words.txt: "rekam ktp bawa kk asli") is
        # not what it is about: the phrasing's documents are the others
        # (`brought_not_subject`). "ada" is no bring word: "blangko ktp ada" asks stock.
        if self.settings.brought_not_subject and self.settings.holding_words:
            for at, phrasing in enumerate(self._phrasings):
                if len(phrasing.documents) < 2:
                    continue
                written = language.words(phrasing.text, self.lexicon, merge=False)
                held = self._held(written, self.lexicon.bring_words)
                if phrasing.documents - held and held & phrasing.documents:
                    self._phrasings[at] = dataclasses.replace(
                        phrasing, documents=phrasing.documents - held
                    )
        # A keyword in the phrasings of more than `two_topics_spread` entries (ganti,
        # hilang) is shared vocabulary: it does not make a second question by itself.
        self._telling_idf = math.log((count + 1) / max(self.settings.two_topics_spread, 1)) - 1e-9
        # Documents that are the keyword of exactly one entry (ikd, kia, surat pindah):
        # naming one says what the message is about.
        owners: dict[str, int] = {}
        for single, _ in self._keywords:
            for word in single & documents:
                owners[word] = owners.get(word, 0) + 1
        self._own_documents = frozenset(w for w, n in owners.items() if n == 1)
        # Keyword phrases made only of question and glue words ("berapa lama"): named
        # whole, they are the entry's topic though each word alone is not.
        plain = self.lexicon.neutral | self.lexicon.question_words
        self._phrase_keywords = {
            e.id: tuple(k for k in longer if k <= plain)
            for e, (_, longer) in zip(self.entries, self._keywords, strict=True)
        }
        courtesy_bags = [b for n, b in enumerate(self._bags) if n in self._courtesy]
        other_bags = [b for n, b in enumerate(self._bags) if n not in self._courtesy]
        self._courtesy_words = frozenset().union(*courtesy_bags) - frozenset().union(*other_bags)
        self._typos: dict[str, tuple[str, float]] = {}
        self._readings: dict[str, tuple[str, float | None]] = {}
        self._faq_stems: dict[str, str | None] = {}
        self._glued: dict[str, tuple[str, ...]] = {}
        # Entries in the order of their ids (equal ids share a place), for cheap tie-breaks.
        ids = sorted({e.id for e in self.entries})
        place = {entry_id: n for n, entry_id in enumerate(ids)}
        self._id_order = [place[e.id] for e in self.entries]
        self._build_arrays()
        # The second opinion: a model trained on the phrasings and the labelled examples.
        if examples is None:
            examples = learning.load_examples(faq.folder, self.settings.examples)
        self.examples = len(examples)
        # A model trained already (the serving one, for a draft's try-it) is reused as is.
        self.model: learning.Model | None = model
        if model is None and self.entries and len(examples) >= self.settings.min_examples:
            known = {e.id for e in self.entries} | {learning.NOBODY}
            pairs = [(p, e.id) for e in self.entries for p in e.phrasings]
            pairs += [(x.text, x.label) for x in examples if x.label in known]
            texts = [self._tokens(language.words(t, self.lexicon, merge=False)) for t, _ in pairs]
            self.model = learning.train(texts, [n for _, n in pairs])
        # Entries citizens' examples taught the model about. A newer entry (added after the
        # examples were labelled, its questions perhaps labelled "nobody" then) is known
        # to the model by its phrasings only: it never holds that entry's answers back.
        counts = Counter(x.label for x in examples)
        least = self.settings.taught_examples
        self._taught = frozenset(e.id for e in self.entries if counts[e.id] >= least)

    def _build_arrays(self) -> None:
        """Keep the phrasings' facts and each word's postings as arrays: a message proposing
        many phrasings (common words of a large FAQ) is scored with a few array sums
        instead of a loop over them (`_best_by_arrays`, `ARRAYS_FROM`)."""
        phrasings = self._phrasings
        self._posting_arrays = {w: np.array(p, dtype=np.intp) for w, p in self._postings.items()}
        bag_postings: dict[str, list[int]] = {}
        for number, bag in enumerate(self._bags):
            for word in bag:
                bag_postings.setdefault(word, []).append(number)
        self._bag_arrays = {w: np.array(p, dtype=np.intp) for w, p in bag_postings.items()}
        self._entry_of = np.array([p.entry for p in phrasings], dtype=np.intp)
        self._scales = np.array([p.scale for p in phrasings])
        self._sizes = np.array([len(p.words) for p in phrasings])
        self._wholes = np.array([p.whole for p in phrasings], dtype=bool)
        self._courtesies = np.array([p.courtesy for p in phrasings], dtype=bool)
        self._entry_courtesies = np.array(
            [n in self._courtesy for n in range(len(self.entries))], dtype=bool
        )
        document_postings: dict[str, list[int]] = {}
        for number, phrasing in enumerate(phrasings):
            for document in phrasing.documents:
                document_postings.setdefault(document, []).append(number)
        self._document_arrays = {
            d: np.array(p, dtype=np.intp) for d, p in document_postings.items()
        }
        self._named = np.array([bool(p.documents) for p in phrasings], dtype=bool)

    def _tokens(self, written: list[str]) -> list[str]:
        """Return the message's words (`language.words(text, merge=False)`) as the second
        opinion reads them: stemmed, in order. (Reading typos and words run together
        first, as the rules do, measured no better: letter n-grams cover them.)"""
        return [self._stem(w) for w in written]

    def _stems(self, text: str, learn: bool = False) -> list[str]:
        """Return the matchable words of a text; while indexing, remember the written forms."""
        written = language.words(text, self.lexicon, merge=False)
        if learn:
            for word in written:
                self._surface.setdefault(word, self._stem(word))
        found = []
        for word in language.merge_phrases(written, self.lexicon):
            stem = self._stem(word)
            if learn:
                self._surface.setdefault(word, stem)
            found.append(stem)
        return found

    def _stem(self, word: str) -> str:
        # The rules stem a message's words many times over (each check reads them): kept
        # here, one lookup, instead of a call into the lexicon's cache each time.
        if not self.settings.stemming:
            return word
        found = self._stemmed.get(word)
        if found is None:
            found = language.stem(word, self.lexicon)
            if len(self._stemmed) < 100_000:
                self._stemmed[word] = found
        return found

    def _phrased(self, written: list[str]) -> _Phrased:
        """Return the message's merged words, stems and clause starts. Read once a message:
        the rules ask for them a dozen times, always of the same list of written words."""
        last = self._last_phrased
        if last is not None and last[0] is written:
            return last[1]
        words = tuple(language.merge_phrases(written, self.lexicon))
        found = _Phrased(
            words,
            tuple(map(self._stem, words)),
            tuple(isinstance(w, language.Start) for w in words),
        )
        self._last_phrased = (written, found)  # one slot, replaced whole: safe across threads
        return found

    def _read(self, written: list[str]) -> list[_Word]:
        """Return the message's words (`language.words(text, merge=False)`), each read as a
        FAQ word when it is one or a typo of one."""
        similarity: dict[str, float] = {}
        corrected = []
        for word in written:
            reading, score = self._reading(word)
            if score == 0.0 and self.settings.glued_words:
                parts = self._unglued(word)
                if parts:  # two words run together (rekamktp): read each
                    corrected.extend(self._clause_start(word, parts))
                    continue
            if score is not None:  # a typo, or 0.0 for a word the FAQ does not know
                similarity[reading] = min(score, similarity.get(reading, 1.0))
            corrected.extend(self._clause_start(word, (reading,)))
        seen: dict[str, _Word] = {}
        # Phrases are merged after typo fixes, so "kartu kelurga" is still kartu keluarga.
        for word in language.merge_phrases(corrected, self.lexicon):
            stem = self._faq_stem(word)
            if stem is not None:
                read = _Word(stem, word, similarity.get(word, 1.0) or 1.0)
            else:
                read = _Word("", word, 0.0)
            key = read.stem or "?" + word
            if key not in seen or seen[key].similarity < read.similarity:
                seen[key] = read
        return list(seen.values())

    @staticmethod
    def _clause_start(word: str, read: tuple[str, ...]) -> tuple[str, ...]:
        """Return the words read for a written word, the first still starting its clause."""
        if isinstance(word, language.Start) and not isinstance(read[0], language.Start):
            return (language.Start(read[0]), *read[1:])
        return read

    # Citizens reuse words: what a written word reads as is kept per word, not per message.
    def _reading(self, word: str) -> tuple[str, float | None]:
        """Return the word as read and its typo similarity (None: a FAQ word as written)."""
        word = str(word)  # a plain word: what is kept is read the same in every clause
        found = self._readings.get(word)
        if found is None:
            if word in self._surface or self._stem(word) in self.idf:
                found = (word, None)
            else:
                typo, score = self._typo(word)
                found = (typo, score) if typo else (word, 0.0)
            if len(self._readings) < 100_000:
                self._readings[word] = found
        return found

    def _unglued(self, word: str) -> tuple[str, ...]:
        """Return the FAQ words an unknown word runs together (rekamktp, aktelahiran,
        "biayaurusdokumenberapa" typed without spaces), or () when it is not made of them.

        Each part but the last is written as the FAQ or a lexicon table writes it (rekam,
        akte, sy), the last is a FAQ word (lahiran: lahir); each is at least
        `glued_part_length` letters long (a shorter one only as a lexicon word: ktpsy) and
        they are not all glue ("menit" is not men + it). The fewest parts win, then the
        split whose shortest part is longest.
        """
        found = self._glued.get(word)
        if found is not None:
            return found
        found = ()
        size = self.settings.glued_part_length
        if word.isalpha() and 2 * size - 1 <= len(word) <= MAX_GLUED:
            found = self._split_glued(word)
            if set(found) <= self._no_subject:
                found = ()
        if len(self._glued) < 100_000:
            self._glued[word] = found
        return found

    def _split_glued(self, word: str) -> tuple[str, ...]:
        """Return the best split of a word into FAQ words (see `_unglued`), or ()."""
        lex = self.lexicon
        # best[end]: (parts, -shortest, words) for word[:end] made of whole words.
        size = len(word)
        # First the pieces that may be words at all (cheap checks, no stemmer); then only
        # those ending where such pieces lead on to the word's end are read: the stemmer
        # is what a new word costs, and most pieces of a typo lead nowhere.
        possible: set[tuple[int, int]] = set()
        for end in range(2, size + 1):
            for begin in range(max(0, end - MAX_GLUED_PART), end - 1):
                piece = word[begin:end]
                # A short piece inside a word is a word only as the FAQ or a table writes
                # it: most pieces of a typo are not.
                written = piece in self._surface or piece in lex.words
                if (end == size or written or len(piece) >= GLUED_LONG_PART) and (
                    self._may_be_part(piece)
                ):
                    possible.add((begin, end))
        behind = {size}
        for begin, end in sorted(possible, reverse=True):
            if end in behind:
                behind.add(begin)
        best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (size + 1)
        best[0] = (0, -size, ())
        for end in sorted(behind - {0}):
            last = end == size
            for begin in range(max(0, end - MAX_GLUED_PART), end - 1):
                before = best[begin]
                if before is None or (begin, end) not in possible:
                    continue
                piece = word[begin:end]
                read = self._glued_part(piece, loose=last or len(piece) >= GLUED_LONG_PART)
                if not read:
                    continue
                option = (before[0] + 1, max(before[1], -len(piece)), (*before[2], *read))
                if best[end] is None or option[:2] < best[end][:2]:
                    best[end] = option
        whole = best[size]
        return whole[2] if whole is not None and whole[0] >= 2 else ()

    def _glued_part(self, part: str, loose: bool = False) -> tuple[str, ...]:
        """Return the FAQ word a part of a glued word is, or () when it is none; `loose`,
        also when the lexicon rewrites it (caranyo: caranya). A lexicon word read as a glue
        word and another (dimano: di mana) is both; a short glue word the FAQ writes (di,
        ke) is a part too ("namadikk")."""
        lex = self.lexicon
        table = part in lex.words
        if not self._may_be_part(part):
            return ()
        read = language.words(part, lex, merge=False)
        several = table and self.settings.glued_glue and not lex.neutral.isdisjoint(read)
        if not read or (len(read) > 1 and not several):
            return ()
        if len(read) == 1 and read[0] != part and not table and not loose:
            return ()
        return tuple(read) if all(self._faq_stem(w) is not None for w in read) else ()

    def _may_be_part(self, part: str) -> bool:
        """Return False for a piece that cannot be part of a glued word (see _glued_part),
        checked without the stemmer: too short, or starting no FAQ word."""
        lex = self.lexicon
        table = part in lex.words
        size = self.settings.glued_part_length
        glue = self.settings.glued_glue and part in self._surface and part in lex.neutral
        if len(part) < (2 if table or glue else size):
            return False
        # Most pieces of a typo start no FAQ word: skip them before asking the stemmer.
        return table or part in self._surface or part[:size] in self._starts

    def _faq_stem(self, word: str) -> str | None:
        """Return the stem of a word if the FAQ uses it, else None."""
        if word in self._faq_stems:
            return self._faq_stems[word]
        stem = self._stem(word)
        found = stem if stem in self.idf else None
        if len(self._faq_stems) < 100_000:
            self._faq_stems[word] = found
        return found

    def _typo(self, word: str) -> tuple[str, float]:
        """Return the FAQ word this one is a typo of, with its similarity, or ('', 0)."""
        if word in self._typos:
            return self._typos[word]
        found = ("", 0.0)
        # Real words are not typos (paspor is not pasport), and short words are too ambiguous.
        if len(word) >= 4 and word.isalpha() and not self.lexicon.is_word(word):
            best = process.extractOne(
                word,
                self._vocabulary.get(word[0], ()),
                scorer=fuzz.ratio,
                score_cutoff=self.settings.typo_similarity,
            )
            if best is not None:
                found = (best[0], best[1] / 100)
            elif self.settings.typo_transposition:
                found = self._transposed(word)
            # Not in three letters (pns is no panas), nor another agency's name (bpjs).
            if not found[0] and self.settings.typo_vowels and word not in self.lexicon.other_topics:
                found = self._without_vowels(word)
        if len(self._typos) < 100_000:
            self._typos[word] = found
        return found

    def _transposed(self, word: str) -> tuple[str, float]:
        """Return the FAQ word this one is with two neighbouring letters swapped, or ('', 0).

        Fast thumbs swap letters (syarta, lahri, kpt): one swap costs a ratio two edits,
        below `typo_similarity` in a short word, though nothing is missing. Such a reading
        weighs as a typo at the similarity floor.
        """
        letters = sorted(word)
        starts = {word[0], word[1]}
        for start in sorted(starts):
            for known in self._vocabulary.get(start, ()):
                if (
                    len(known) == len(word)
                    and sorted(known) == letters
                    and OSA.distance(word, known) == 1
                ):
                    return known, self.settings.typo_similarity / 100
        return "", 0.0

    def _without_vowels(self, word: str) -> tuple[str, float]:
        """Return the one FAQ word this one is with vowels left out, or ('', 0).

        Chat drops vowels (crny: caranya, digtl: digital, mninggal): the written letters
        in order with only vowels missing between and after them, the first letter kept.
        Several FAQ words of different stems spelt so (lma: lama, lima) are too ambiguous.
        Such a reading weighs as a typo at the similarity floor.
        """
        found = ""
        for known in self._vocabulary.get(word[0], ()):
            if len(known) > len(word) and _vowels_left_out(word, known):
                if found and self._stem(found) != self._stem(known):
                    return "", 0.0
                found = found or known
        return (found, self.settings.typo_similarity / 100) if found else ("", 0.0)

    def rank(self, text: str, limit: int | None = None) -> list[Candidate]:
        """Return every plausible entry's score for the text (0-100), best first.

        With `limit` (0 or more), return only the first `limit`: the same as slicing, but
        reasons are built for those entries only.
        """
        written = language.words(text, self.lexicon, merge=False)
        return self._rank(written, limit, frames=self._frames(written))[0]

    def _rank(
        self,
        written: list[str],
        limit: int | None = None,
        keep: float | None = None,
        frames: _Frames | None = None,
    ) -> tuple[list[Candidate], list[str]]:
        """Return the ranked candidates and the message's unknown (non-neutral) words.

        With `limit`, only the first `limit` candidates and any further ones scoring at
        least `keep`: the same as a slice of the full ranking. `frames` gives entries words
        they explain in this message beyond their own, and words that name them (see
        _frames).
        """
        widen = frames.widen if frames is not None else None
        read = self._read(written)
        known = {w.stem: self.idf[w.stem] * w.similarity for w in read if w.stem}
        # Glue, places and question words the FAQ does not use (kenapa) are no subject.
        # An affixed glue word (terhormat: hormat) is glue too.
        unknown = [
            w.written
            for w in read
            if not w.stem
            and w.written not in self._no_subject
            and not self._no_word(w.written)
            and self._stem(w.written) not in self._no_subject
        ]
        if not known:
            return [], unknown
        s = self.settings
        lex = self.lexicon
        foreign = [
            w
            for w in unknown
            if w in lex.other_topics or w in lex.uncovered or self._stem(w) in lex.uncovered
        ]
        # Unknown words mostly tell a story in long messages, so their weight grows slowly;
        # a service of another agency (paspor, bpjs) is the subject, and weighs in full.
        unknown_mass = s.unknown_word_weight * math.sqrt(len(unknown) - len(foreign))
        unknown_mass += s.other_topic_weight * len(foreign)
        # Greetings and thanks do not dilute a question: other entries ignore those words.
        topical = {w: v for w, v in known.items() if w not in self._courtesy_words}
        # Indexed by _Phrasing.courtesy; the getter reads a word's weight in the message.
        views = (
            (topical, sum(topical.values()) + unknown_mass, topical.__getitem__),
            (known, sum(known.values()) + unknown_mass, known.__getitem__),
        )
        documents = self.lexicon.documents.intersection(known)
        recall_weight, precision_weight = s.recall_weight, 1 - s.recall_weight
        phrasings, bags = self._phrasings, self._bags
        # A time or place question's subject: what the message names (see _frames).
        subject = frozenset()
        if frames and frames.subject:
            subject = known.keys() - self._not_subject - frames.beside
        bag0: frozenset[str] = frozenset()

        def bag_of(entry: int) -> frozenset[str]:
            """The entry's words in this message: its own, and those a frame gives it."""
            bag = bags[entry] if widen is None else bags[entry] | widen.get(entry, bag0)
            if frames is not None and entry in frames.subject:
                bag = bag | subject
            return bag

        evidence: dict[int, frozenset[str]] = {}
        proposers = self._proposers(known)
        if sum(len(self._postings[w]) for w in proposers) >= ARRAYS_FROM:
            best = self._best_by_arrays(proposers, views, documents, bag_of, frames, limit, keep)
        else:
            best = {}
            bag_matched: dict[int, float] = {}
            # The hot loop of a small choice: keep it to set operations and sums in C.
            for index in {i for w in proposers for i in self._postings[w]}:
                phrasing = phrasings[index]
                entry = phrasing.entry
                query, total, weight_of = views[phrasing.courtesy]
                shared = phrasing.words.intersection(query)
                if not shared or (phrasing.whole and len(shared) < len(phrasing.words)):
                    continue
                matched = sum(map(weight_of, shared))
                if entry not in bag_matched:
                    evidence[entry] = bag_of(entry).intersection(query)
                    bag_matched[entry] = sum(map(weight_of, evidence[entry]))
                recall = matched / phrasing.scale
                # Words found only in the entry's other variants count for part.
                explained = matched + s.variant_share * (bag_matched[entry] - matched)
                precision = explained / total
                score = 100 * recall**recall_weight * precision**precision_weight
                if documents and phrasing.documents and not documents & phrasing.documents:
                    score *= s.other_document_factor  # about another document than the message
                if entry not in best or score > best[entry][0]:
                    best[entry] = (score, index)
        # Sort plain numbers; reasons are strings to build, so only for the entries returned.
        ids = self._id_order
        rounded = {entry: round(found[0], 1) for entry, found in best.items()}

        def order(entry: int) -> tuple[float, int]:
            return -rounded[entry], ids[entry]

        if limit is None:
            chosen = sorted(rounded, key=order)
        else:
            # Those scoring at least `keep` come first in the full ranking: they are its head.
            head = [e for e, r in rounded.items() if keep is not None and r >= keep]
            if len(head) > limit:
                chosen = sorted(head, key=order)
            else:
                chosen = heapq.nsmallest(limit, rounded, key=order)
        ranked = []
        for entry in chosen:
            score, index = best[entry]
            phrasing = phrasings[index]
            query = views[phrasing.courtesy][0]
            shared = phrasing.words.intersection(query)
            if entry not in evidence:
                evidence[entry] = bag_of(entry).intersection(query)
            words = ", ".join(sorted(shared, key=lambda w: -self.idf[w]))
            reason = f"{phrasing.kind} '{phrasing.text}' (kata: {words})"
            if unknown:
                reason += f"; tak dikenal: {', '.join(unknown[:5])}"
            # The entry's keywords the message names (every word of a multi-word one).
            single, longer = self._keywords[entry]
            named = single.intersection(known)
            for keyword in longer:
                if keyword <= known.keys():
                    named |= keyword
            # A question frame's own words name its entry (see _frames).
            if frames is not None and entry in frames.naming:
                named |= frames.naming[entry] & known.keys()
            found = Candidate(self.entries[entry], rounded[entry], reason, evidence[entry], named)
            ranked.append(found)
        return ranked, unknown

    @staticmethod
    def _no_word(written: str) -> bool:
        """Return True for a number or a lone letter ("huruf h", "tgl 2"): no subject."""
        return written.isdigit() or len(written) == 1

    def _proposers(self, known: dict[str, float]) -> list[str]:
        """Return the message's words whose phrasings are candidates: the selective ones
        (all, if none is; the rarest, if none is selective)."""
        # In a large FAQ, words in very many phrasings (apa, saya) have long postings and
        # cannot make a phrasing win alone: they score candidates but do not propose them.
        limit = max(250, len(self._phrasings) // 50)
        postings = self._postings
        selective = [w for w in known if len(postings.get(w, ())) <= limit]
        if not selective:
            return [min(known, key=lambda w: len(postings[w]))]
        # A word no phrasing has (a one-word keyword) proposes nothing.
        return [w for w in selective if w in postings]

    def _best_by_arrays(self, proposers, views, documents, bag_of, frames, limit, keep):
        """Return each entry's best phrasing score and index, as the loop in `_rank` does,
        computed for every phrasing at once by summing the message's words' postings.
        With `limit`, only the entries that may make `_rank`'s head (scores are rounded
        there, to 0.1, and ordered)."""
        s = self.settings
        (_, topical_total, _), (known, known_total, _) = views
        words = [w for w in known if w in self._posting_arrays]
        postings = [self._posting_arrays[w] for w in words]
        at = np.concatenate(postings)
        sizes = [len(p) for p in postings]
        count = len(self._phrasings)

        def summed(values: list[float]) -> np.ndarray:
            """Each phrasing's sum of the values of the message's words it has."""
            return np.bincount(at, weights=np.repeat(values, sizes), minlength=count)

        courtesy = self._courtesies
        # One sum serves both views: the words the topical view leaves out (greetings,
        # thanks: _courtesy_words) are in no other entry's phrasings, so they never add
        # to a topical phrasing's sum. Only the totals (precision) differ by view.
        matched = summed([known[w] for w in words])
        shared = np.bincount(at, minlength=count)
        proposing = [p for w, p in zip(words, postings, strict=True) if w in proposers]
        proposed = np.zeros(count, dtype=bool)
        proposed[np.concatenate(proposing)] = True
        scored = proposed & (shared > 0) & ~(self._wholes & (shared < self._sizes))
        index = np.flatnonzero(scored)
        if not index.size:
            return {}
        entries = self._entry_of[index]
        # The entries' words the message has (one sum for both views, as above).
        in_bags = [w for w in known if w in self._bag_arrays]
        bag_postings = [self._bag_arrays[w] for w in in_bags]
        bag_at = np.concatenate(bag_postings)
        bag_sizes = [len(p) for p in bag_postings]
        bag_matched = np.bincount(
            bag_at, np.repeat([known[w] for w in in_bags], bag_sizes), len(self.entries)
        )
        # A frame widens some entries' words (see _frames): summed as the loop sums them.
        widened = set(frames.widen) | set(frames.subject) if frames is not None else set()
        for entry in widened.intersection(entries.tolist()):
            query, _, weight_of = views[int(self._entry_courtesies[entry])]
            bag_matched[entry] = sum(map(weight_of, bag_of(entry).intersection(query)))
        matched = matched[index]
        recall = matched / self._scales[index]
        explained = matched + s.variant_share * (bag_matched[entries] - matched)
        precision = explained / np.where(courtesy[index], known_total, topical_total)
        score = 100 * recall**s.recall_weight * precision ** (1 - s.recall_weight)
        if documents:
            named = np.zeros(count, dtype=bool)
            for document in documents:
                named[self._document_arrays.get(document, [])] = True
            other = self._named[index] & ~named[index]
            score = np.where(other, score * s.other_document_factor, score)
        # Each entry's best phrasing; of equal scores, the first.
        order = np.lexsort((index, -score, entries))
        first = np.ones(len(order), dtype=bool)
        first[1:] = entries[order][1:] != entries[order][:-1]
        chosen = order[first]
        if limit is not None and len(chosen) > limit:
            best = score[chosen]
            floor = np.partition(best, -limit)[-limit] if limit > 0 else np.inf
            floor = min(floor, np.inf if keep is None else keep) - 0.1
            chosen = chosen[best >= floor]
        ids, values, at = entries[chosen].tolist(), score[chosen].tolist(), index[chosen].tolist()
        return {entry: (value, i) for entry, value, i in zip(ids, values, at, strict=True)}

    def match(self, text: str) -> Result:
        """Decide what to do with a message: answer, offer a choice, or escalate."""
        # The message's words, read once for the ranking and the decision's own checks.
        written = language.words(text, self.lexicon, merge=False)
        # Nothing but a call and forms of address ("misi min"): someone checks we are there.
        called = language.greeting(text, self.lexicon) if self.settings.calls_greet else []
        result = self._decide(text, called or written)
        if self.model is None or isinstance(result, Escalate):
            return result
        # A message with no word the model reads (a call, an emoji) gets its prior, no
        # opinion: the rules' reading of the call stands.
        if not written and self.settings.opinion_needs_words:
            return result
        return self._second_opinion(result, self._tokens(written))

    def _second_opinion(self, result: Answer | Clarify, tokens: list[str]) -> Result:
        """Let the model trained on labelled messages settle a choice it is sure of, and
        hold back an answer it is sure is wrong (escalating what it says no entry answers).
        Escalations are never overturned: an officer is the safe side."""
        s = self.settings
        model = self.model
        found = model.chances(tokens)
        column = model.column
        top = int(found.argmax())
        best, likely = model.labels[top], float(found[top])

        def chance(entry: str) -> float:
            return float(found[column[entry]]) if entry in column else 0.0

        note = f"contoh warga: {best or 'petugas'} {likely:.0%}"
        if isinstance(result, Clarify):
            pick = next((c for c in result.candidates if c.entry.id == best), None)
            # A choice of one asks whether the message is ours at all: be surer there.
            sure = s.sole_confidence if len(result.candidates) == 1 else s.tie_confidence
            if pick is None or likely < sure or best in result.held:
                return result
            pick = dataclasses.replace(pick, reason=f"{pick.reason}; {note}")
            return Answer(pick, (pick, *(c for c in result.candidates if c.entry.id != best)))
        answered = (result.candidate, *result.also)
        if any(c.entry.id not in self._taught for c in answered):
            return result
        if likely >= s.veto_confidence and best not in {c.entry.id for c in answered}:
            if best == learning.NOBODY:
                return Escalate(result.candidates, f"{result.reason}; {note}")
            other = [c for c in result.candidates if c.entry.id == best]
            return Clarify(tuple(sorted([result.candidate, *other[:1]], key=lambda c: -c.score)))
        if likely >= s.veto_confidence:
            # Two questions answered, one the model is sure of and the other it all but
            # rules out: the other was a remark around the question ("ktp remuk, kk aman").
            kept = [c for c in answered if chance(c.entry.id) >= s.pair_doubt]
            if len(kept) < len(answered):
                first = dataclasses.replace(kept[0], reason=f"{kept[0].reason}; {note}")
                rest = (c for c in result.candidates if c.entry.id != first.entry.id)
                result, answered = Answer(first, (first, *rest), also=tuple(kept[1:])), kept
        # An answer the model all but rules out, unsure what else: offered, not given.
        if min(chance(c.entry.id) for c in answered) < s.answer_doubt:
            other = [c for c in result.candidates if c.entry.id == best and c not in answered]
            return Clarify(tuple(sorted([*answered, *other], key=lambda c: -c.score)))
        return result

    def _decide(self, text: str, written: list[str]) -> Result:
        """The rules' decision: answer, offer a choice, or escalate."""
        s = self.settings
        # Only the first max_candidates entries and, below them, those down to the
        # clarify threshold are ever looked at: build only those.
        limit = s.max_candidates if s.max_candidates > 0 else None
        said = frozenset(map(self._stem, written))
        # The whole ranking (past the first few), for the rules that look further down:
        # built once, and only when one of them asks.
        whole: list[Candidate] = []

        def everyone() -> list[Candidate]:
            if not whole:
                whole.extend(self._rank(written)[0])
            return whole

        frames = self._frames(written)
        ranked, unknown = self._rank(written, limit, s.clarify_threshold, frames=frames)
        top3 = tuple(ranked[: s.max_candidates])
        if not ranked:
            return Escalate((), "tidak ada kata yang dikenal FAQ")
        # A greeting before a question ("halo min, ktp saya hilang") is politeness: when a
        # real entry names its keyword or a document of the message, greeting, thanks and
        # officer entries are no candidates at all (`courtesy_yields`).
        courtesy = {self.entries[n].id for n in self._courtesy}
        # Thanks closes a conversation: what else it says, with no question, reports
        # ("alhamdulillah ktp sudah jadi, makasih"), so the thanks entry is the answer.
        if s.thanks_closes and self._thanks_only(text, written):
            thanks = self.lexicon.thanks_words
            closing = next(
                (
                    c
                    for c in everyone()
                    if c.entry.id in courtesy and any(line <= c.evidence for line in thanks)
                ),
                None,
            )
            if closing is not None:
                return Answer(closing, (closing, *(c for c in top3 if c is not closing)))
        if s.courtesy_yields and ranked[0].entry.id in courtesy:
            asked = self._asked_beside_courtesy(ranked, courtesy)
            if asked:
                ranked = [c for c in everyone() if c.entry.id not in courtesy]
                top3 = tuple(ranked[: s.max_candidates])
        top = ranked[0]
        if top.score < s.clarify_threshold:
            return Escalate(
                top3, f"skor tertinggi {top.score:.0f} di bawah ambang {s.clarify_threshold:.0f}"
            )
        # A greeting or thanks around a question is politeness, not a second question.
        polite = top.entry.id not in courtesy
        # A question every document shares (fees, time, status) asked about one document
        # is that question: the document's own entry only says what it is about, so it
        # steps aside (see _asks_about).
        # A time or place question's entry asks it by the frame, whatever else explains
        # the frame's words ("rekam ktp el dimana" is a recording phrasing).
        framed = frozenset(self.entries[n].id for n in frames.subject) if frames else frozenset()
        subjects = [c for c in top3 if any(self._asks_about(g, c, framed) for g in top3)]
        # A document named next to a holding word (bawa, ada) is to bring or held, not asked.
        held = self._held(written) if s.holding_words else frozenset()
        # An entry about held documents only, beside an entry about the message's other
        # document, is context: "ktp hilang, kk masih ada" asks about the card, not the KK.
        aside = self._about_held(ranked, held) if s.held_aside else []
        subjects += aside
        askers = [c for c in top3 if c not in subjects]
        lead = askers[0]
        # A rival that could not be offered (below clarify_threshold) is no rival either.
        close = [
            c
            for c in askers
            if lead.score - c.score < s.margin
            and (c is lead or not (polite and c.entry.id in courtesy))
            and (c is lead or c.score >= s.clarify_threshold or not s.offerable_rivals)
        ]
        # The entry the message speaks for: among the close ones, the one that dominates
        # every other (usually the best; a rival only by naming its keyword, see _dominates).
        # An entry that explains only a held document beyond another is no rival and no
        # second question.
        chosen = next(
            (
                c
                for c in close
                if all(
                    self._dominates(c, o) or (c.score > o.score and self._only_held(c, o, held))
                    for o in close
                    if o is not c
                )
            ),
            None,
        )
        # A message naming two documents (ktp and kk) that the entry covers only one of
        # is two questions: offer both rather than answer half of it. So is one naming the
        # keywords of two entries, each explaining a word the other does not.
        anchor = chosen or lead
        glue = self.lexicon.neutral
        second = [
            c
            for c in askers
            if c is not anchor
            and c.score >= s.clarify_threshold
            and not (polite and c.entry.id in courtesy)
            and not self._only_held(anchor, c, held)
            and s.two_topics
            and not (frames is not None and anchor.entry.id in frames.ids)
            and anchor.named
            and self._telling(c.named - anchor.evidence)
            and anchor.evidence - c.evidence - glue
        ]
        # A time question beside a clause asking a question of its own (see _beside) is
        # never left out: when that other question leads, the time entry is the second.
        if frames is not None and frames.beside and anchor.entry.id not in self._time_ids:
            second += [
                c
                for c in askers
                if c.entry.id in self._time_ids
                and c not in second
                and c.score >= s.clarify_threshold
                and c.named
            ]
        # Money named ("50rb", "duit") and the entry says nothing of money: the message
        # may ask whether paying is right. Offer the entry that speaks of it.
        money = language.MONEY
        if s.money_guard and money not in anchor.evidence:
            second += [
                c
                for c in askers
                if c is not anchor
                and c not in second
                and c.score >= s.clarify_threshold
                and money in c.evidence
            ][:1]
        documents = self.lexicon.documents
        # What befell the document (situation_words: hilang, rusak) is the citizen's case; a
        # leading entry that does not explain it answers a step of handling that case at
        # best ("ktp ilang, sidik jari lagi?"): the entry named by the situation, covering
        # the document, is offered with it. A general entry's question (fees, time) holds
        # for a document in any case: it is the question, the case its subject.
        if s.situation_first and anchor.entry.id not in self._general:
            befell = self.lexicon.situation_words - anchor.evidence
            second += [
                c
                for c in askers
                if c is not anchor
                and c not in second
                and not (polite and c.entry.id in courtesy)
                and c.named & befell
                and c.evidence & documents
            ]
        # What befell the document that no entry covering the document explains ("kia
        # anak hilang": the card's entry is about making one, the lost-card entry is about
        # the KTP) is a case the FAQ does not answer: the leading entry is not answered.
        untold = False
        if s.situation_uncovered and anchor.entry.id not in self._general:
            befell = self.lexicon.situation_words & said
            befell -= anchor.evidence
            if befell:
                named = self.lexicon.documents & said
                untold = not any(
                    c.evidence & befell
                    and (not named or self._covers_named(c, named, said))
                    and c.entry.id not in self._general
                    for c in ranked
                )
        # ... and when that entry is not even in reach, the leading one still does not
        # answer past the case: offered alone, or escalated (`situation_unanswered`).
        unexplained = False
        if s.situation_first and s.situation_unanswered and anchor.entry.id not in self._general:
            befell = said & self.lexicon.situation_words - anchor.evidence
            # Only a case our FAQ has an entry for, about the message's document: offered.
            case = next(
                (
                    c
                    for c in (everyone() if befell else ())
                    if c.named & befell and c.evidence & documents and c is not anchor
                ),
                None,
            )
            unexplained = case is not None
            if case is not None and all(c.entry.id != case.entry.id for c in second):
                second.append(case)
        # The other document's own entry may rank below the top three (general entries
        # naming documents as examples come first); look further, down to the threshold.
        if anchor.evidence & documents:
            for c in ranked:
                if c.score < s.clarify_threshold:
                    break
                if (
                    c is not anchor
                    and c.entry.id not in self._general
                    and c not in subjects
                    and (c.evidence - anchor.evidence) & documents
                    and c not in second
                    and not self._only_held(anchor, c, held)
                ):
                    second.append(c)
                    break
        # The subject of a general question ("biaya surat pindah"; a status question's
        # document) and held context are not other entries in reach: the choice would ask
        # nothing.
        reach = [
            c for c in ranked if c not in aside and not (s.subject_out_of_reach and c in subjects)
        ]
        if (
            chosen is not None
            and chosen.score >= min(s.answer_threshold, self._sole_floor(chosen, reach))
            and not second
            and not untold
            and not (unexplained and chosen is anchor and chosen.entry.id not in courtesy)
            and (chosen.entry.id in courtesy or self._grounded(chosen, unknown, written))
            and not (s.bot_talk and self._about_the_bot(chosen, written))
            and not (chosen.entry.id in self._status_ids and self._supposes(written))
        ):
            return Answer(chosen, (chosen, *(c for c in top3 if c is not chosen)))
        # Two questions, each clearly about its own entry: answer both, first the surer.
        # The second may score lower (the message's other words are about the first) but
        # must name its own keyword: then it is asked, not merely near. The first must say
        # at least as much as the second, else it is a side remark around the real
        # question ("ktp hilang tapi fotokopinya masih ada"): offer both instead. And the
        # message must join the two (dan, sama, juga): "akta hilang, ktp masih ada" does
        # not ask about the ktp.
        # A general question asked about a document in a situation of its own ("ktp rusak
        # gratis ga": the fee and the damaged card) needs no joining word: the two parts
        # are the question and its subject, never a remark. Close, it is the pair itself.
        pair = second[0] if len(second) == 1 else None
        if pair is None and not second and s.answer_general_pair:
            rivals = [c for c in close if c is not anchor]
            if len(rivals) == 1 and self._general_pair(anchor, rivals[0]):
                pair = rivals[0]
        # Two documents each asked by name and joined ("akte lahir sama kia"), each able to
        # be answered alone: the one saying more goes first, whichever scored higher.
        if (
            s.answer_both_either_way
            and pair is not None
            and anchor.named
            and len(self._content(anchor)) < len(self._content(pair))
            and self._answerable(pair, unknown, written, courtesy, s.answer_threshold)
            and self._answerable(anchor, unknown, written, courtesy, s.answer_threshold)
        ):
            anchor, pair = pair, anchor
        if (
            s.answer_both
            and pair is not None
            and self._answerable(anchor, unknown, written, courtesy, s.answer_threshold)
            and self._answerable(pair, unknown, written, courtesy, s.clarify_threshold)
            and pair.named
            and len(self._content(anchor)) >= len(self._content(pair))
            and (
                (s.answer_general_pair and self._general_pair(anchor, pair))
                or self.lexicon.joining_words.intersection(written)
            )
        ):
            pair = (anchor, pair)
            rest = tuple(c for c in top3 if c not in pair)
            return Answer(anchor, (*pair, *rest)[: s.max_candidates], also=pair[1:])
        close = [
            c
            for c in top3
            if c.score >= s.clarify_threshold
            and (top.score - c.score < s.margin or c is lead)
            and c not in second
            and c not in aside
        ]
        # The lead and the second questions first, then the closest others, best first.
        first = [lead] if lead in close else []
        offered = [*first, *second, *(c for c in close if c is not lead)][: s.max_candidates]
        # What the rules know (lexicon guards, cases no entry explains) outranks what the
        # second opinion learnt: whatever such a rule held back stays offered, not answered.
        knew = (
            untold or unexplained or (chosen is not None and self._about_the_bot(chosen, written))
        )
        held = {
            c.entry.id
            for c in offered
            if knew
            or self._doubt(c, unknown, written) in KNOWLEDGE_GUARDS
            or (c.entry.id in self._status_ids and self._supposes(written))
        }
        return Clarify(tuple(sorted(offered, key=lambda c: -c.score)), frozenset(held))

    def _covers_named(
        self, candidate: Candidate, named: frozenset[str], said: frozenset[str]
    ) -> bool:
        """Return True if the candidate covers a document the message names, of the kind the
        message names (`document_kinds`): "akta kematian hilang" is not covered by the
        birth certificate's entry, which explains akta and hilang but not kematian."""
        for document in candidate.evidence & named:
            kinds = self._kinds.get(document, frozenset()) & said
            if not (self.settings.document_kinds and kinds) or candidate.evidence & kinds:
                return True
        return False

    def _frames(self, written: list[str]) -> _Frames | None:
        """Return the message's question frames, or None when it has none.

        A time question ("ktp rusak ganti brp lama", see _time_frame) is asked about
        whatever the message names: the time entries explain every word of its subject
        (`_Frames.subject`), so a document's or a procedure's entry steps aside as the
        subject (see _asks_about). A place question ("kantor capil pali di mana", see
        _place_frame) likewise, for the office entry that says where. Without a time
        question, a status question widens the status entries (see _status_words).
        """
        s = self.settings
        lex = self.lexicon
        merged, stems, starts = self._phrased(written)
        widen: dict[int, frozenset[str]] = {}
        naming: dict[int, frozenset[str]] = {}
        subject: set[int] = set()
        time, supposed, spots = frozenset(), False, frozenset()
        if s.time_frame:
            time, supposed, spots = self._time_frame(stems, starts, written)
        beside = frozenset()
        if time and not supposed and s.time_clause:
            beside = self._beside(merged, stems, starts, spots)
        if time:
            # A supposition ("kapan selesai kalo daftar hari ini") may suppose a case an
            # entry is about ("kalo blangko abis"): its documents and owners only.
            told = frozenset(stems) & (lex.documents | self._naming | lex.person_words)
            for entry in self._time:
                widen[entry], naming[entry] = time | (told if supposed else frozenset()), time
                if not supposed:
                    subject.add(entry)
        elif s.status_frame:
            for entry, words in (self._status_words(stems, starts, written) or {}).items():
                widen[entry], naming[entry] = words, words & self._frame_words
        where = self._place_frame(stems, starts) if s.place_frame else frozenset()
        for entry in self._place:
            asked = where & self._bags[entry]
            if asked:
                widen[entry] = widen.get(entry, frozenset()) | asked
                naming[entry] = naming.get(entry, frozenset()) | asked
                subject.add(entry)
        if not widen:
            return None
        ids = frozenset(self.entries[n].id for n in widen)
        return _Frames(widen, naming, ids, frozenset(subject), beside)

    def _beside(
        self,
        merged: Sequence[str],
        stems: Sequence[str],
        starts: Sequence[bool],
        spots: frozenset[int],
    ) -> frozenset[str]:
        """Return the words of the parts asking a question of their own beside a time
        question (see _time_frame), which are no subject of it.

        A part is a clause or the stretch a joining word (dan, terus) begins. The time
        question's own part and the parts only telling the story ("anak lahir di rumah")
        are its subject; a part with a question of its own (own_question_words: apa,
        syarat, bisa; or an asking word asking, "bayar ga?") is a second question: "akta
        lahir bisa ga tanpa surat bidan? dan brp lama jadinya" asks two things.
        """
        lex = self.lexicon
        parts: list[list[int]] = []
        for at, word in enumerate(stems):
            if not parts or starts[at] or word in lex.joining_words:
                parts.append([])
            parts[-1].append(at)
        told: set[str] = set()
        asked: set[str] = set()
        for part in parts:
            words = {w for at in part for w in (stems[at], *map(self._stem, merged[at].split()))}
            own = not spots.intersection(part) and (
                lex.own_question_words.intersection(words)
                or any(
                    stems[at] in lex.asking_words and self._asks(stems, starts, at) for at in part
                )
            )
            (asked if own else told).update(words)
        return frozenset(asked - told)

    def _time_frame(
        self, stems: list[str], starts: list[bool], written: list[str]
    ) -> tuple[frozenset[str], bool, frozenset[int]]:
        """Return the words of a time question (empty when there is none), whether it
        is a status question under a supposition, and where its words are.

        A time word (time_words: lama, hari, tunggu) next to a word asking an amount
        (measure_words: "brp lama", "tunggu berapa hari") or followed by an asking word
        (asking_words: "lama ga", "bisa ditunggu ga", "sehari jadi dak"), only glue,
        documents, person or progress words between, in one clause, asks how long the
        procedure takes. Not one said after a number or a done word ("3 hari", "udh sebulan
        nunggu": how long it has been), one that is a point in time (time_points: "hari
        ini"), nor the old card brought ("bawa ktp lama ga?"). A deadline or a validity
        (limit_words: "batas lapor kematian brp hari", "berlaku brp lama") is no time
        question. And a status question under a supposition ("kapan kia selesai kalo
        daftar hari ini") asks how long things take in general: a time question too.
        """
        lex = self.lexicon
        if not self._time or lex.limit_words.intersection(stems):
            return frozenset(), False, frozenset()
        if lex.condition_words.intersection(written):
            asked = self._status_pairs(stems) - lex.done_words
            if asked & lex.asking_words:
                return frozenset(asked), True, frozenset()
        between = lex.neutral | lex.documents | lex.person_words | lex.progress_words
        asking = lex.measure_words | lex.asking_words
        found: set[str] = set()
        spots: set[int] = set()
        size = len(stems)
        for at, word in enumerate(stems):
            if word not in lex.time_words or self._time_counted(stems, at):
                continue
            if at + 1 < size and not starts[at + 1] and stems[at + 1] in lex.time_points:
                continue
            if at > 1 and stems[at - 1] in lex.documents and stems[at - 2] in lex.holding_words:
                continue
            for step in (-1, 1):
                near = at + step
                while (
                    0 <= near < size
                    and not starts[max(near, near - step)]
                    and stems[near] not in asking
                    and stems[near] in between
                ):
                    near += step
                if not 0 <= near < size or starts[max(near, near - step)]:
                    continue
                if stems[near] in lex.measure_words or (
                    step == 1
                    and stems[near] in lex.asking_words
                    and self._asks(stems, starts, near)
                ):
                    found.update((word, stems[near]))
                    spots.update((at, near))
        return frozenset(found), False, frozenset(spots)

    def _asks(self, stems: list[str], starts: list[bool], at: int) -> bool:
        """Return True if the asking word at `at` asks about what comes before it: it ends
        its clause, or only glue words, documents or progress words follow in the clause
        ("lama ga", "ditunggu ga ktpnya", "lamo dak jadinyo"); before another word it
        negates that word ("seharian tidak ketemu"), and so before a holding word: "lama ga
        ada kabar" says there is no news (`negated_holding`)."""
        lex = self.lexicon
        after = at + 1
        while after < len(stems) and not starts[after]:
            word = stems[after]
            if word not in lex.neutral and word not in lex.documents | lex.progress_words:
                return False
            if self.settings.negated_holding and after == at + 1 and word in lex.holding_words:
                return False
            after += 1
        return True

    def _place_frame(self, stems: list[str], starts: list[bool]) -> frozenset[str]:
        """Return the words asking where the office is: a where word or phrase
        (place_words: "di mana", alamat) next to an office word (office_words: kantor,
        dukcapil), only glue, places or documents between, in one clause ("kantor capil pali
        di mana", "dimano kantor dinas"); empty when there is none."""
        lex = self.lexicon
        if not self._place or not lex.office_words.intersection(stems):
            return frozenset()
        between = lex.neutral | lex.documents
        found: set[str] = set()
        size = len(stems)
        for phrase in lex.place_words:
            length = len(phrase)
            for begin in range(size - length + 1):
                end = begin + length - 1
                if tuple(stems[begin : end + 1]) != phrase or any(starts[begin + 1 : end + 1]):
                    continue
                for near, step in ((begin - 1, -1), (end + 1, 1)):
                    while (
                        0 <= near < size
                        and not starts[max(near, near - step)]
                        and stems[near] not in lex.office_words
                        and stems[near] in between
                    ):
                        near += step
                    if (
                        0 <= near < size
                        and not starts[max(near, near - step)]
                        and stems[near] in lex.office_words
                    ):
                        found.update(phrase)
        return frozenset(found)

    def _status_pairs(self, stems: list[str]) -> frozenset[str]:
        """Return the done or asking words next to a progress word and those progress
        words (see _status_words)."""
        lex = self.lexicon
        between = self._no_subject | lex.documents | lex.person_words
        asking = lex.done_words | lex.asking_words
        frame: set[str] = set()
        for at, word in enumerate(stems):
            if word not in asking:
                continue
            for step in (-1, 1):
                near = at + step
                while 0 <= near < len(stems) and stems[near] not in lex.progress_words:
                    if stems[near] not in between:
                        break
                    near += step
                if 0 <= near < len(stems) and stems[near] in lex.progress_words:
                    frame.add(word)
                    frame.add(stems[near])
        return frozenset(frame)

    def _status_words(
        self, stems: list[str], starts: list[bool], written: list[str]
    ) -> dict[int, frozenset[str]] | None:
        """Return, for a status question, the words the status entries explain beyond
        their own: the message's documents, their kinds and whose they are; else None.

        A status question asks whether (done_words: sudah, belum) or when or whether at all
        (asking_words: kapan, "ga") an application already made has come along
        (progress_words: jadi, diambil, kabar), the two next to each other but for glue
        words, documents and person words ("akta kematian bapak sy udh jadi", "kapan ktp sy
        bisa diambil", "kelar blm"), and supposes nothing (condition_words: "kalo ngajuin
        skrg kapan jadinya" asks how long, in general). The status entry answers it for any
        document of anyone: it explains the document ("kia", "akta kematian") and its owner
        ("anak", "bapak") as the document's own entry does, which then says nothing more.
        With a done word the application exists: the frame's words also name the status
        entry, as its keyword would ("ikd saya belum jadi"); "kapan jadinya" may ask how
        long things take in general, so it only widens.
        """
        lex = self.lexicon
        if not self._status or lex.condition_words.intersection(written):
            return None
        frame = self._status_pairs(stems)
        if not frame:
            return None
        words = frozenset(stems) & (lex.documents | self._naming | lex.person_words)
        if self.settings.status_waited:
            words |= self._time_said(stems, starts)
        if frame & lex.done_words:
            words |= frame
        return dict.fromkeys(self._status, words)

    def _time_counted(self, stems: list[str], at: int) -> bool:
        """Return True if the time word at `at` comes after a number or a done word, other
        time words between ("3 hari", "udh sebulan", "2 bulan lebih"): a time said."""
        lex = self.lexicon
        before = at - 1
        while before >= 0 and stems[before] in lex.time_words:
            before -= 1
        return before >= 0 and (stems[before].isdigit() or stems[before] in lex.done_words)

    def _time_said(self, stems: list[str], starts: list[bool]) -> frozenset[str]:
        """Return the time words that say a time rather than ask one: after a number or a
        done word ("3 hari", "udh sebulan": how long it has been) or before a point
        (time_points: "bulan lalu": when)."""
        lex = self.lexicon
        said: set[str] = set()
        for at, word in enumerate(stems):
            if word not in lex.time_words:
                continue
            if self._time_counted(stems, at) or (
                at + 1 < len(stems) and not starts[at + 1] and stems[at + 1] in lex.time_points
            ):
                said.add(word)
        return frozenset(said)

    def _abroad(self, written: list[str]) -> bool:
        """Return True if a civil event (event_words: lahir, meninggal, pindah) is next to a
        foreign country (abroad_words) in one clause, only glue words, documents ("pindah
        ktp ke malaysia") or words the FAQ does not know (a town abroad: "lahir di johor
        malaysia") between."""
        lex = self.lexicon
        _, stems, starts = self._phrased(written)
        if not lex.abroad_words.intersection(stems):
            return False
        places = self.settings.abroad_places

        def between(at: int) -> bool:
            word = stems[at]
            if word in lex.abroad_words:
                return False
            return word in self._no_subject or (
                places and (word in lex.documents or word not in self.idf)
            )

        for at, word in enumerate(stems):
            if word not in lex.event_words:
                continue
            for step in (-1, 1):
                near = at + step
                # A clause ends at its last word: "pulang dari malaysia, mau pindah".
                while 0 <= near < len(stems) and not starts[max(near, near - step)]:
                    if not between(near):
                        break
                    near += step
                else:
                    continue
                if stems[near] in lex.abroad_words:
                    return True
        return False

    def _place_choice(self, written: list[str]) -> bool:
        """Return True if the message offers two places as a choice, in one clause: a place
        (place_markers, then places: "di batam", "di sini") before "atau", and a place or
        a word for going elsewhere (elsewhere_words: pulang, asal) after it, glue between
        ("di sini atau harus pulang kampung", "di batam atau di muara enim")."""
        lex = self.lexicon
        if "atau" not in written or not lex.places.intersection(written):
            return False
        _, stems, starts = self._phrased(written)
        for at, word in enumerate(stems):
            if word != "atau" or starts[at]:
                continue
            near = at - 1
            while near >= 0 and stems[near] in lex.places and not starts[near + 1]:
                near -= 1
            if near == at - 1 or near < 0 or stems[near] not in lex.place_markers:
                continue
            near = at + 1
            while (
                near < len(stems)
                and not starts[near]
                and stems[near] in self._no_subject - lex.places
            ):
                near += 1
            if (
                near < len(stems)
                and not starts[near]
                and (stems[near] in lex.places or stems[near] in lex.elsewhere_words)
            ):
                return True
        return False

    def _place_asked(self, written: list[str]) -> bool:
        """Return True if the message asks whether it can be done at a place: an ability
        word (ability_words: bisa, boleh) and after it, in its clause, a place marker and a
        place ("bs diganti di palembang ga?", "bisa dibuat di lubuklinggau?")."""
        lex = self.lexicon
        if not lex.ability_words.intersection(written) or not lex.places.intersection(written):
            return False
        _, stems, starts = self._phrased(written)
        able = False
        for at, word in enumerate(stems):
            if starts[at]:
                able = False
            if word in lex.ability_words:
                able = True
            elif (
                able
                and word in lex.place_markers
                and at + 1 < len(stems)
                and not starts[at + 1]
                and stems[at + 1] in lex.places
            ):
                return True
        return False

    def _must_move(self, written: list[str]) -> bool:
        """Return True if someone staying away for a while (stay_words: kuliah, kos) asks
        whether they must move (obligation_words: perlu, wajib right before pindah, glue
        or a document between): "kuliah di jogja 4 tahun, perlu pindah ktp ga?"."""
        lex = self.lexicon
        stems = self._phrased(written).stems
        if not lex.stay_words.intersection(stems):
            return False
        skip = self._no_subject | lex.documents
        for at, word in enumerate(stems):
            if word != "pindah":
                continue
            near = at - 1
            while near >= 0 and stems[near] in skip and stems[near] not in lex.obligation_words:
                near -= 1
            if near >= 0 and stems[near] in lex.obligation_words:
                return True
        return False

    def _about_the_bot(self, candidate: Candidate, written: list[str]) -> bool:
        """Return True if the only topic words the candidate explains name the bot itself
        (bot_words: bot, robot) and no negation comes before one (negation_words, glue
        between: "bukan bot kan", "dak usah bot" want a human): "kamu bot ya?" talks about
        the bot, it does not ask for an officer."""
        lex = self.lexicon
        content = candidate.evidence - lex.neutral - lex.question_words
        if not content or not content <= lex.bot_words:
            return False
        stems = [self._stem(w) for w in written]
        for at, word in enumerate(stems):
            if word not in lex.bot_words:
                continue
            near = at - 1
            while near >= 0 and stems[near] in self._no_subject - lex.negation_words:
                near -= 1
            if near >= 0 and stems[near] in lex.negation_words:
                return False
        return True

    def _uncovered(self, written: list[str]) -> frozenset[str]:
        """Return the message's words (stems) naming a service the FAQ does not cover:
        uncovered_services.txt (legalisir, adopsi) and other_topics.txt (paspor, pinjol)."""
        lex = self.lexicon
        found = set()
        phrased = self._phrased(written)
        for word, stem in zip(phrased.words, phrased.stems, strict=True):
            if word in lex.uncovered or stem in lex.uncovered:
                found.add(stem)
        if not found:
            return frozenset()
        # One held or to bring ("akta cerainya sudah ada") or lacking ("tanpa akta nikah",
        # "belum punya akta nikah") is the citizen's situation, not the service asked about.
        return frozenset(found - self._held(written) - self._lacking(written, found))

    def _lacking(self, written: list[str], things: set[str]) -> frozenset[str]:
        """Return the things a negation (negation_words: tanpa, belum) comes before, glue
        and holding words between ("belum punya akta nikah")."""
        lex = self.lexicon
        stems = self._phrased(written).stems
        skip = (self._no_subject | lex.holding_words) - lex.negation_words
        lacking = set()
        for at, word in enumerate(stems):
            if word in things:
                near = at - 1
                while near >= 0 and stems[near] in skip:
                    near -= 1
                if near >= 0 and stems[near] in lex.negation_words:
                    lacking.add(word)
        return frozenset(lacking)

    def _supposes(self, written: list[str]) -> bool:
        """Return True if the message supposes (condition_words: kalau, jika).

        "kalo ngajuin skrg kapan kelarnya" asks how things go in general, not how far the
        citizen's own application has come: the status entry is offered, never answered.
        """
        return self.settings.supposition_guard and bool(
            self.lexicon.condition_words.intersection(written)
        )

    def _asked_beside_courtesy(self, ranked: list[Candidate], courtesy: set[str]) -> bool:
        """Return True if a real entry that could be answered (`answer_threshold`) names its
        keyword or a document the message names: the message asks a question, the greeting
        around it is politeness ("baik, terima kasih": baik is only near perbaiki)."""
        reach = self.settings.answer_threshold
        documents = self.lexicon.documents
        return any(
            c.entry.id not in courtesy
            and c.score >= reach
            and (c.named - self._no_subject or c.evidence & documents)
            for c in ranked
        )

    def _thanks_only(self, text: str, written: list[str]) -> bool:
        """Return True if the message thanks and asks nothing: no question mark and no word
        of a question or a request (bot/lexicon/request_words.txt: apa, belum, mohon, tanya),
        nor what befell a document (situation_words.txt: "makasih, ktp saya hilang")."""
        lex = self.lexicon
        said = set(written)
        if "?" in text or not any(line <= said for line in lex.thanks_words):
            return False
        raw = set(re.findall(r"[a-z]+", text.lower()))
        # What befell a document (hilang, rusak) is a case to help with, not a report.
        befell = {self._stem(w) for w in written} & lex.situation_words
        return (
            not befell and said.isdisjoint(lex.request_words) and raw.isdisjoint(lex.request_words)
        )

    def _held(self, written: list[str], holding: frozenset[str] | None = None) -> frozenset[str]:
        """Return the documents the message names next to a holding word (to bring, or held).

        "bawa akta lahir", "lampirkan kk", "kk juga sudah ada": glue, question words and a
        document's kind (lahir) in between do not count.
        """
        lex = self.lexicon
        holding = lex.holding_words if holding is None else holding
        if not holding:
            return frozenset()
        stems = self._phrased(written).stems
        # The kind of a document ("akta lahir juga ada") is part of its name. A negation or
        # a purpose word between (belum, untuk) ends the phrase; a negation before the
        # holding word undoes it ("tidak punya kk": missing, not held).
        between = (self._no_subject | self._naming) - holding - lex.holding_breaks
        held = set()
        for at, word in enumerate(stems):
            if word not in lex.documents and word not in lex.copies and word not in lex.uncovered:
                continue
            for step in (-1, 1):
                near = at + step
                while 0 <= near < len(stems) and stems[near] in between:
                    near += step
                if (
                    0 <= near < len(stems)
                    and stems[near] in holding
                    and not (near > 0 and stems[near - 1] in lex.holding_breaks)
                ):
                    held.add(word)
        return frozenset(held)

    def _about_held(self, ranked: list[Candidate], held: frozenset[str]) -> list[Candidate]:
        """Return the candidates whose documents (and copies: fotokopi) are all held, when
        another candidate within reach covers a document the message names that is not held
        (the one asked about) and names its own keyword."""
        if not held:
            return []
        documents = self.lexicon.documents
        reach = self.settings.clarify_threshold
        if not any(
            c.score >= reach and (c.evidence & documents) - held and c.named - self._no_subject
            for c in ranked
        ):
            return []
        things = documents | self.lexicon.copies
        return [c for c in ranked if c.evidence & things and c.evidence & things <= held]

    def _only_held(self, best: Candidate, rival: Candidate, held: frozenset[str]) -> bool:
        """Return True if the rival explains beyond the best only held documents (and the
        words of its keywords naming them)."""
        extra = rival.evidence - best.evidence - self._no_subject
        return bool(extra & held) and not extra - held - self._document_names[rival.entry.id]

    def _general_pair(self, one: Candidate, other: Candidate) -> bool:
        """Return True if one is a general entry asked about a document the other explains.

        The message names the general entry's keyword in a word the document's entry does
        not explain ("gratis"), and the document's entry is named and explains the
        document and a word of its own beyond the general entry ("rusak", "telat"): the
        general question about that document in that situation, both to answer.
        """
        general, document = (one, other) if one.entry.id in self._general else (other, one)
        if general.entry.id not in self._general or document.entry.id in self._general:
            return False
        lex = self.lexicon
        glue = lex.neutral | lex.question_words
        return bool(
            general.named - document.evidence - glue
            and document.named
            and document.evidence & lex.documents
            and document.evidence - general.evidence - glue - lex.documents
        )

    def _asks_about(
        self, general: Candidate, subject: Candidate, framed: frozenset[str] = frozenset()
    ) -> bool:
        """Return True if the message asks the general entry's question about the subject.

        The general entry answers its question for every document (`general_tags`: fees,
        time, status) and the message names its keyword (biaya); the other entry explains
        nothing beyond it but documents and its own keywords: "biaya akta kematian" asks
        about fees, not how to get the certificate.
        """
        if (
            general is subject
            or general.entry.id not in self._general
            or subject.entry.id in self._general
            or general.score < self.settings.clarify_threshold
            or not (general.named - subject.evidence or general.entry.id in framed)
        ):
            return False
        lex = self.lexicon
        own = lex.documents | lex.neutral | lex.question_words
        own |= subject.named & self._document_names[subject.entry.id]
        if self.settings.procedure_subject:
            own |= subject.named - lex.situation_words
        return subject.evidence - general.evidence <= own

    def _dominates(self, best: Candidate, rival: Candidate) -> bool:
        """Return True if the rival explains nothing the best does not, and the best is surer.

        Such a rival is close only because it shares the best's words (ktp, syarat): no
        word of the message speaks for it, so asking the citizen to choose adds nothing.
        Nor does a word of more than `two_topics_spread` entries (orang, ganti) speak for
        a rival that names none of its keywords.
        The best is surer when it scores higher and explains more, or when the message
        names one of its keywords and none of the rival's (then even a lower score).
        A higher best that is named and covers a document the message names also beats a
        rival with neither, whatever side words the rival explains ("akta lahir ... luar
        kota": kota and luar say where, not what); a general entry's documents are only
        examples, so they do not count for it.
        """
        glue = self.lexicon.neutral
        documents = self.lexicon.documents
        if (
            self.settings.keyword_dominance
            and best.score > rival.score
            and best.named
            and best.evidence & documents
            and not rival.named
            and (
                rival.entry.id in self._general
                or not rival.evidence & documents
                or (
                    self.settings.same_document_dominance
                    and best.named - self._no_subject
                    and rival.evidence & documents <= best.evidence
                )
            )
        ):
            return True
        extra = rival.evidence - best.evidence - glue
        # Words many entries share (orang, ganti, tahun) speak for none of them: a rival
        # naming none of its keywords is not closer for explaining such words.
        shared = self.settings.shared_word_dominance and not rival.named
        if extra and not (shared and not self._telling(extra)):
            return False
        if self.settings.keyword_dominance and best.named and not rival.named:
            return True
        return best.score > rival.score and bool(best.evidence - rival.evidence - glue)

    def _sole_floor(self, chosen: Candidate, ranked: list[Candidate]) -> float:
        """Return the score from which the chosen entry is answered as the only one in reach.

        A choice of one entry asks nothing: when no other entry reaches the clarify
        threshold and the message names a topic keyword of this one (not only question
        words such as "sudah jadi"), `sole_threshold` is enough; otherwise no floor. A
        rival this one dominates that explains nothing beyond it but glue is not in reach
        (`dominated_out_of_reach`): a choice between them would ask nothing.
        """
        s = self.settings
        if chosen.named - self._no_subject and not any(
            c is not chosen
            and c.score >= s.clarify_threshold
            and not (
                s.dominated_out_of_reach
                and self._adds_nothing(chosen, c)
                and self._dominates(chosen, c)
            )
            for c in ranked
        ):
            return max(s.sole_threshold, s.clarify_threshold)
        return math.inf

    def _adds_nothing(self, best: Candidate, rival: Candidate) -> bool:
        """Return True if the rival explains beyond the best only glue, or, naming none of
        its keywords, only words many entries share (ganti, orang)."""
        extra = rival.evidence - best.evidence - self.lexicon.neutral
        return not extra or (not rival.named and not self._telling(extra))

    def _telling(self, words: frozenset[str]) -> bool:
        """Return True if one of the words tells entries apart (used by few entries)."""
        return any(self.idf[w] >= self._telling_idf for w in words)

    def _content(self, candidate: Candidate) -> frozenset[str]:
        """Return the words the candidate explains that carry a topic (not glue or question
        words)."""
        return candidate.evidence - self.lexicon.neutral - self.lexicon.question_words

    def _answerable(
        self, candidate: Candidate, unknown: list[str], written: list[str], courtesy, floor
    ) -> bool:
        """Return True if the candidate could be answered: a plain answer entry, scoring
        at least `floor`, and about the message (see _grounded)."""
        return (
            candidate.entry.action == "answer"
            and candidate.entry.id not in courtesy
            and candidate.score >= floor
            and self._grounded(candidate, unknown, written)
        )

    def _grounded(self, best: Candidate, unknown: list[str], written: list[str]) -> bool:
        """Return True if the message is about the best entry at all (see `_doubt`)."""
        return not self._doubt(best, unknown, written, counts_first=True)

    def _doubt(
        self, best: Candidate, unknown: list[str], written: list[str], counts_first=False
    ) -> str:
        """Return the guard that doubts the message is about the best entry at all, not
        only near it ("" when none does).

        One explained word does not carry words the FAQ does not know ("harga" in a
        message about rice), and question words alone (sudah, belum, berapa) do not
        make a topic: a keyword of the entry, a document or another word must be there.
        """
        s = self.settings
        # Question words say what is asked, not what about: they are no topic word.
        topic = best.evidence - self.lexicon.neutral - self.lexicon.question_words
        size = len(topic)
        # ... but a keyword phrase of them named whole ("berapa lama") is the entry's topic.
        if s.keyword_phrase_topic:
            size += sum(1 for k in self._phrase_keywords[best.entry.id] if k <= best.named)
        # Cheap counts first when only whether, not why, is asked (`_grounded`).
        if counts_first and (counted := self._counted_doubt(best, unknown, size, topic)):
            return counted
        # Another agency's service named (bank, polisi, bpjs) and none of our documents:
        # "bank buka hari sabtu" asks about the bank, not about our opening hours. So also
        # one the FAQ mentions as a paper beside ours (foreign_known: "ijazah salah nama"
        # is the school's, though "tgl lahir di ktp beda sama ijazah" is ours).
        lex = self.lexicon
        foreign = lex.other_topics.intersection(unknown)
        if s.foreign_known and not foreign:
            foreign = lex.other_topics.intersection(self._stem(w) for w in written)
        if s.foreign_guard and foreign and not (best.evidence & lex.documents):
            return "foreign_guard"
        # A service the FAQ does not cover named (legalisir, adopsi; another agency's:
        # paspor, pinjol) beside our document: "legalisir akte kelahiran" asks about the
        # copy, not the certificate. Only an entry explaining that word answers it.
        if s.uncovered_guard and self._uncovered(written) - best.evidence:
            return "uncovered_guard"
        # An entry named only by what befell a document (hilang, rusak) is about a document
        # only when the message names one it covers: "tv sama motor ilang" is not our case.
        if (
            s.situation_document
            and best.named
            and best.named <= lex.situation_words
            and not best.evidence & lex.documents
        ):
            return "situation_document"
        # A document's entry (not general, its phrasings name a document, it has keywords)
        # answers a message about some document: one naming its keyword, one of our
        # documents or a paper in general (paper_words: kartu, surat). "daftar sekolah sd
        # kapan dibuka" names none: the school is the topic, the KIA at most one of its
        # papers, through the entry's phrasings.
        if (
            s.document_guard
            and best.entry.id in self._document_entries
            and not best.named - self._no_subject
            and not best.evidence & lex.documents
            and not lex.paper_words.intersection(self._stem(w) for w in written)
        ):
            return "document_guard"
        # A civil event abroad ("anak lahir di malaysia") is first recorded by the mission
        # there: the procedure at home is not its answer.
        if s.abroad_guard and self._abroad(written):
            return "abroad_guard"
        # Two places offered as a choice ("di batam atau di muara enim") ask which office
        # does it: a document's entry that never speaks of doing it elsewhere does not say.
        if (
            s.place_choice
            and best.entry.id in self._document_entries
            and best.entry.id not in self._elsewhere
            and (self._place_choice(written) or (s.place_asked and self._place_asked(written)))
        ):
            return "place_choice"
        # Someone staying away for a while (stay_words: kuliah, kos, pondok) asking whether
        # they must move (obligation_words before the move, glue or a document between):
        # the moving procedure does not say whether a stay needs a move.
        if s.temporary_stay and self._must_move(written):
            return "temporary_stay"
        # Counts last: a lexicon guard above says why it doubts, these only that it does.
        return "" if counts_first else self._counted_doubt(best, unknown, size, topic)

    def _counted_doubt(
        self, best: Candidate, unknown: list[str], size: int, topic: frozenset[str]
    ) -> str:
        """Return the counting guard that doubts the message is about the best entry
        ("" when none does): too few of its words against words the FAQ does not know."""
        s = self.settings
        # A document only this entry names as its keyword (ikd, kia) is a topic by itself.
        own = best.named & self._own_documents
        if s.lone_word_guard and size <= 1 and unknown and not own:
            return "lone_word_guard"
        # Many words the FAQ does not know against few it explains: the story is another's.
        if s.unknown_guard and len(unknown) > s.unknown_guard * size and not own:
            return "unknown_guard"
        # Question words alone (sudah ... belum) say what is asked, not what about.
        return "topic_guard" if s.topic_guard and not best.named and not topic else ""


def _vowels_left_out(written: str, known: str) -> bool:
    """Return True if `known` is `written` with vowels put back (crny: caranya)."""
    at = 0
    for letter in known:
        if at < len(written) and letter == written[at]:
            at += 1
        elif letter not in VOWELS:
            return False
    return at == len(written)


def to_json(text: str, result: Result) -> dict:
    """Return the `faq match --json` object for one message (the DESIGN.md contract)."""
    if isinstance(result, Answer):
        top_id, score = result.entry.id, result.candidate.score
    else:
        top_id = None
        score = result.candidates[0].score if result.candidates else 0.0
    return {
        "text": text,
        "outcome": result.outcome,
        "id": top_id,
        "score": round(score, 1),
        "candidates": [c.entry.id for c in result.candidates],
    }
