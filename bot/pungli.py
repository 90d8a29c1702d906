"""The anti-pungli report flow: start, steps, validation and the citizen's words (pure).

A report is a short guided conversation (what, where, when, amount, evidence, anonymity,
summary). Its progress lives in the contact's `flow_data`; nothing reaches the database
until the citizen confirms the summary, when the `FileReport` effect files it (see
bot.pungli_reports). Every turn of the flow is marked confidential, so the messages never
appear in the officers' conversation views and never join an officer ticket.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from zoneinfo import ZoneInfo

from bot import language
from bot.dialogue import KEEP, State, Turn, plain
from bot.messages import SMS, Inbound

FLOW = "pungli"
CODE = "{code}"  # reply token: the tracking code the FileReport effect created
CHECK = "{pungli_check}"  # reply token: the answer to CEK, filled by the CheckReport effect
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CONFIDENTIAL = {"confidential": True}  # Turn.meta: keep this exchange out of officers' views
# The order of the questions; prefilled answers are skipped.
STEPS = ("what", "where", "place_detail", "when", "amount", "evidence", "anonymity", "name")


@dataclass(frozen=True)
class Place:
    """One answer to "where did it happen"."""

    key: str
    label: str
    words: tuple[tuple[str, ...], ...]  # normalised word sequences that mean this place


@dataclass(frozen=True)
class Settings:
    """The `pungli:` section of config.yaml (plus the reporter keys the app adds)."""

    texts: dict
    places: tuple[Place, ...]
    statuses: dict[str, str]
    explanations: dict[str, str]
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))
    code_prefix: str = "PGL-"
    code_length: int = 6
    expire_minutes: float = 30
    draft_keep_days: float = 7
    max_tries: int = 3
    max_text_chars: int = 1500
    max_files: int = 5
    content_types: frozenset[str] = frozenset()
    demand_words: frozenset[str] = frozenset()
    yes_words: frozenset[str] = frozenset()
    no_words: frozenset[str] = frozenset()
    skip_words: tuple[tuple[str, ...], ...] = ()
    done_words: frozenset[str] = frozenset()
    evidence: dict = field(default_factory=dict)
    update_template: dict = field(default_factory=dict)
    # Fernet keys for the reporter reference; set by the app from PUNGLI_KEY or SECRET_KEY,
    # never read from config.yaml. The first one encrypts; all of them decrypt.
    keys: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: dict) -> Settings:
        """Build from the whole config.yaml mapping (its `pungli:` and `office:` sections)."""
        section = config.get("pungli") or {}
        evidence = section.get("evidence") or {}
        return cls(
            texts=section.get("texts") or {},
            places=tuple(
                Place(p["key"], p["label"], tuple(_phrase(w) for w in p.get("words", ())))
                for p in section.get("places") or ()
            ),
            statuses=dict(section.get("statuses") or {}),
            explanations=dict(section.get("explanations") or {}),
            timezone=ZoneInfo((config.get("office") or {}).get("timezone", "Asia/Jakarta")),
            code_prefix=section.get("code_prefix", "PGL-"),
            code_length=int(section.get("code_length", 6)),
            expire_minutes=float(section.get("expire_minutes", 30)),
            draft_keep_days=float(section.get("draft_keep_days", 7)),
            max_tries=int(section.get("max_tries", 3)),
            max_text_chars=int(section.get("max_text_chars", 1500)),
            max_files=int(evidence.get("max_files", 5)),
            content_types=frozenset(evidence.get("content_types") or ()),
            demand_words=frozenset(section.get("demand_words") or ()),
            yes_words=frozenset(plain(w) for w in section.get("yes_words") or ()),
            no_words=frozenset(plain(w) for w in section.get("no_words") or ()),
            skip_words=tuple(_phrase(w) for w in section.get("skip_words") or ()),
            done_words=frozenset(plain(w) for w in section.get("done_words") or ()),
            evidence=dict(evidence),
            update_template=dict(section.get("update_template") or {}),
        )

    def text(self, key: str, **values) -> str:
        """Return a configured sentence with its {placeholders} filled (others left as is)."""
        out = self.texts[key]
        for name, value in values.items():
            out = out.replace("{" + name + "}", str(value))
        return out

    def status_label(self, status: str) -> str:
        """Return the name people read for a status key."""
        return self.statuses.get(status, status)


# ---------------------------------------------------------------- effects


@dataclass(frozen=True)
class FileReport:
    """Effect: file the confirmed draft as a report; the reply's {code} becomes its code."""

    draft: dict
    settings: Settings

    def apply(self, session, contact, message, now):
        from bot import pungli_reports  # the database side, kept out of the pure flow

        report = pungli_reports.file_report(session, contact, self.draft, self.settings, now)
        return {CODE: report.code}


@dataclass(frozen=True)
class CheckReport:
    """Effect: answer CEK <code> — the status only when the asking contact filed it."""

    code: str
    settings: Settings

    def apply(self, session, contact, message, now):
        from bot import pungli_reports

        return {CHECK: pungli_reports.check_text(session, contact, self.code, self.settings)}


# ---------------------------------------------------------------- starting


def start(inbound: Inbound, state: State, settings, now: dt.datetime, meta: dict) -> Turn:
    """Start a report (LAPOR or the lapor-pungli entry); offer a kept draft first."""
    ps: Settings = settings.pungli
    saved = _saved_draft(state, ps, now)
    if saved:
        data = {"step": "resume", "tries": 0, "at": now.isoformat(), "saved": saved}
        started = _local(dt.datetime.fromisoformat(saved["started"]), ps)
        return _turn((ps.text("resume", started=f"{started:%d/%m %H.%M}"),), data, meta)
    data = _new(now)
    return _ask(data, ps, inbound, meta, lead=ps.text("intro"))


def is_money_demand(text: str, settings: Settings) -> bool:
    """Return True when a message tells of a demand for money ("tadi diminta 50rb buat ktp")."""
    if not settings.demand_words or not language.find_amounts(text):
        return False
    return bool(settings.demand_words & set(language.tokens(text)))


def confirm(text: str, settings, now: dt.datetime, meta: dict) -> Turn:
    """Ask whether to report a money demand; the message becomes the report's first answer."""
    ps: Settings = settings.pungli
    draft = {"what": text[: ps.max_text_chars]}
    amounts = language.find_amounts(text)
    if len(amounts) == 1:
        draft["amount"] = amounts[0]
    data = {**_new(now), "step": "confirm", "draft": draft}
    return _turn((ps.text("confirm"),), data, {**meta, "outcome": "pungli_confirm"})


@cache
def _check_pattern(prefix: str) -> re.Pattern:
    stem = re.escape(prefix.rstrip("-_ "))
    return re.compile(
        rf"^\s*(?:cek|check|status)?\s*{stem}\s*[-_ ]?\s*([a-z0-9]{{4,10}})\s*$", re.I
    )


def check_code(text: str, settings: Settings) -> str | None:
    """Return the tracking code of a "CEK PGL-4K7Q2M" message (also "cek pgl4k7q2m")."""
    match = _check_pattern(settings.code_prefix).match(unicodedata.normalize("NFKC", text))
    return f"{settings.code_prefix}{match.group(1).upper()}" if match else None


def check(code: str, settings, meta: dict) -> Turn:
    """Answer CEK <code> (the CheckReport effect fills in the answer)."""
    return Turn(
        (CHECK,),
        options=(),
        meta={**meta, **CONFIDENTIAL, "outcome": "pungli_check"},
        effects=(CheckReport(code, settings.pungli),),
    )


# ---------------------------------------------------------------- one step


def step(inbound: Inbound, state: State, settings, now: dt.datetime, otherwise) -> Turn:
    """Take one message of a report in progress.

    `otherwise(state)` answers a message outside the flow; it is used when the citizen
    leaves the report for MENU or PETUGAS (the draft is kept for later).
    """
    ps: Settings = settings.pungli
    data = dict(state.flow_data)
    command = _command(plain(inbound.body), settings.keywords)
    meta = {"outcome": "pungli", "step": data.get("step")}

    if command == "cancel":
        # The citizen withdrew: the draft is dropped, nothing is filed.
        return Turn(
            (ps.text("cancelled"),), options=(), flow=None, flow_data={}, meta=_meta(meta, "cancel")
        )
    if _expired(data, ps, now):
        return Turn(
            (ps.text("expired", minutes=f"{ps.expire_minutes:g}"),),
            options=(),
            flow=None,
            flow_data=_paused(data),
            meta=_meta(meta, "expired"),
        )
    data["at"] = now.isoformat()
    if command in ("menu", "human"):
        turn = otherwise(replace(state, flow=None, flow_data={}))
        if turn.flow != KEEP:
            return turn
        return replace(turn, flow=None, flow_data=_paused(data))
    if command == "report":
        return _repeat(data, ps, inbound, meta)

    name = data.get("step")
    if name == "confirm":
        return _confirm_step(inbound, data, ps, meta)
    if name == "resume":
        return _resume_step(inbound, data, ps, now, meta)

    draft = dict(data.get("draft") or {})
    body, notes = inbound.body.strip(), ""
    if inbound.media and inbound.channel != SMS:
        # Attachments are evidence whenever they come; a photo (with or without a caption)
        # answers no question, except SELESAI/LEWATI sent along with it.
        notes = "\n".join(_take_media(inbound, draft, ps, name))
        data["draft"] = draft
        if name == "evidence" and _evidence(body, inbound, ps, now) is None:
            return _turn((notes,), data, meta)
        if not body:
            return _ask(data, ps, inbound, meta, lead=notes)
    if name == "summary":
        return _summary_step(inbound, data, ps, now, meta)

    answer = _HANDLERS[name](body, inbound, ps, now)
    if answer is None:
        return _retry(data, ps, inbound, meta, name)
    draft.update(answer)
    office = _office_named(answer.get("place_detail"), settings)
    if office is not None:
        draft["office_id"] = office.id  # where it happened wins over where the citizen lives
    done = sorted(set(data.get("done") or ()) | {name})
    data.update(draft=draft, done=done, tries=0)
    return _ask(data, ps, inbound, meta, lead=notes)


def _office_named(text: str | None, settings):
    directory = getattr(settings, "offices", None)
    return directory.recognise(text) if directory is not None and text else None


def _confirm_step(inbound, data, ps: Settings, meta) -> Turn:
    choice = _yes_no(inbound.body, ps)
    if choice is None:
        return _retry(data, ps, inbound, meta, "confirm")
    if not choice:
        return Turn(
            (ps.text("declined"),), options=(), flow=None, flow_data={}, meta=_meta(meta, "no")
        )
    done = ["what"] + (["amount"] if "amount" in data["draft"] else [])
    data.update(step=None, done=done, tries=0)
    return _ask(data, ps, inbound, meta, lead=ps.text("intro"))


def _resume_step(inbound, data, ps: Settings, now, meta) -> Turn:
    choice = _digit(inbound.body)
    if choice not in (1, 2):
        return _retry(data, ps, inbound, meta, "resume")
    fresh = _new(now)
    if choice == 1:
        fresh.update({k: v for k, v in data["saved"].items() if k in ("draft", "done", "started")})
    return _ask(fresh, ps, inbound, meta, lead=ps.text("intro"))


def _summary_step(inbound, data, ps: Settings, now, meta) -> Turn:
    choice = _digit(inbound.body)
    words = plain(inbound.body)
    if choice == 1 or words in ("kirim", "ya", "iya"):
        draft = {**data["draft"], "channel": inbound.channel, "started": data.get("started")}
        return Turn(
            (ps.text("filed"),),
            options=(),
            flow=None,
            flow_data={},
            meta=_meta(meta, "filed"),
            effects=(FileReport(draft, ps),),
        )
    if choice == 2 or words in ("ulangi", "ulang"):
        return _ask(_new(now), ps, inbound, meta)
    return _retry(data, ps, inbound, meta, "summary")


# ---------------------------------------------------------------- the answers


def _what(text, inbound, ps: Settings, now):
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 2:
        return None
    return {"what": text[: ps.max_text_chars]}


def _where(text, inbound, ps: Settings, now):
    number = _digit(text)
    if number is not None:
        if 1 <= number <= len(ps.places):
            return {"place": ps.places[number - 1].key}
        return None
    tokens = language.tokens(text)
    found = set(tokens) | set(plain(text).split())
    for place in ps.places:
        if any(_contains(tokens, words) or set(words) <= found for words in place.words):
            answer = {"place": place.key, "place_detail": None}
            named = {w for words in place.words for w in words}
            if set(tokens) - named - _PLACE_FILLER:
                # "kecamatan ilir barat" names the place as well: no need to ask for it.
                answer.update(place_detail=text[:200], _skip_detail=True)
            return answer
    return None


_PLACE_FILLER = {
    "di",
    "ke",
    "dari",
    "kantor",
    "pak",
    "bu",
    "ibu",
    "bapak",
    "oleh",
    "sama",
    "yang",
    "orang",
    "petugas",
    "oknum",
    "saya",
    "tadi",
}


def _place_detail(text, inbound, ps: Settings, now):
    if _is_skip(text, ps):
        return {"place_detail": None}
    if len(re.findall(r"[^\W_]", text)) < 3:
        return None
    return {"place_detail": text[:200]}


def _when(text, inbound, ps: Settings, now):
    if _is_skip(text, ps):
        return {"happened_on": None, "when_text": None}
    day = parse_date(text, now.astimezone(ps.timezone).date())
    if day is None:
        return None
    return {"happened_on": day.isoformat(), "when_text": text[:100]}


def _amount_answer(text, inbound, ps: Settings, now):
    if _is_skip(text, ps):
        return {"amount": None}
    amount = parse_amount(text)
    return None if amount is None else {"amount": amount}


def _evidence(text, inbound, ps: Settings, now):
    if plain(text) in ps.done_words or _is_skip(text, ps):
        return {}
    return None


def _anonymity(text, inbound, ps: Settings, now):
    number = _digit(text)
    words = set(language.tokens(text)) | set(plain(text).split())
    if number == 1 or (number is None and words & {"rahasia", "anonim", "rahasiakan"}):
        return {"anonymous": True, "name": None, "_skip_name": True}
    if number == 2 or (number is None and words & {"nama", "sertakan", "sebut"}):
        return {"anonymous": False}
    return None


def _name(text, inbound, ps: Settings, now):
    letters = re.findall(r"[^\W\d_]", text)
    if len(letters) < 2 or len(text) > 100:
        return None
    return {"name": text}


_HANDLERS = {
    "what": _what,
    "where": _where,
    "place_detail": _place_detail,
    "when": _when,
    "amount": _amount_answer,
    "evidence": _evidence,
    "anonymity": _anonymity,
    "name": _name,
}


def _take_media(inbound: Inbound, draft: dict, ps: Settings, step_name) -> list[str]:
    """Add the allowed attachments to the draft's evidence; return what to tell the citizen."""
    evidence = list(draft.get("evidence") or ())
    notes = []
    for media in inbound.media:
        kind = media.content_type.split(";")[0].strip().lower()
        if kind not in ps.content_types:
            notes.append(ps.text("evidence_refused"))
        elif len(evidence) >= ps.max_files:
            notes.append(ps.text("evidence_full", max=ps.max_files))
            break
        else:
            evidence.append({"url": media.url, "content_type": kind})
    draft["evidence"] = evidence
    if len(notes) < len(inbound.media) and evidence:
        key = "evidence_received" if step_name == "evidence" else "evidence_kept"
        notes.insert(0, ps.text(key, count=len(evidence), max=ps.max_files))
    return list(dict.fromkeys(notes))


# ---------------------------------------------------------------- asking


def _next_step(data: dict) -> str:
    done = set(data.get("done") or ())
    draft = data.get("draft") or {}
    for name in STEPS:
        if name in done:
            continue
        if name == "place_detail" and draft.get("_skip_detail"):
            continue
        if name == "name" and draft.get("_skip_name", draft.get("anonymous", True)):
            continue
        return name
    return "summary"


def _ask(data: dict, ps: Settings, inbound: Inbound, meta: dict, lead: str = "") -> Turn:
    """Ask the next unanswered question (or show the summary)."""
    name = _next_step(data)
    data = {**data, "step": name}
    question = _question(name, data, ps, inbound)
    text = f"{lead}\n\n{question}" if lead else question
    return _turn((text,), data, {**meta, "step": name})


def _repeat(data: dict, ps: Settings, inbound: Inbound, meta: dict) -> Turn:
    """Ask the current question again (LAPOR typed in the middle of a report)."""
    name = data.get("step")
    if name in ("confirm", "resume"):
        return _turn((_example(name, ps, inbound),), data, meta)
    return _ask(data, ps, inbound, meta)


def _question(name: str, data: dict, ps: Settings, inbound: Inbound) -> str:
    if name == "where":
        options = "\n".join(f"*{i}* {p.label}" for i, p in enumerate(ps.places, 1))
        return ps.text("ask_where", options=options)
    if name == "evidence":
        if inbound.channel == SMS:
            return ps.text("ask_evidence_sms")
        return ps.text("ask_evidence", max=ps.max_files)
    if name == "summary":
        return _summary(data.get("draft") or {}, ps)
    return ps.text(f"ask_{name}")


def _example(name: str, ps: Settings, inbound: Inbound) -> str:
    if name == "evidence" and inbound.channel == SMS:
        return ps.text("evidence_sms_example")
    return ps.text(f"{name}_example")


def _retry(data: dict, ps: Settings, inbound: Inbound, meta: dict, name: str) -> Turn:
    """Ask the same question again with an example; offer PETUGAS after too many tries."""
    tries = int(data.get("tries") or 0) + 1
    data = {**data, "tries": tries}
    lines = [ps.text("bad_answer")]
    if name not in ("confirm", "resume", "summary"):
        lines.append(_question(name, data, ps, inbound))
    lines.append(_example(name, ps, inbound))
    if tries >= ps.max_tries:
        lines.append(ps.text("too_many_tries"))
    return _turn(("\n".join(lines),), data, {**meta, "bad_answer": name, "tries": tries})


def _summary(draft: dict, ps: Settings) -> str:
    none = ps.text("not_given")
    places = {p.key: p.label for p in ps.places}
    place = places.get(draft.get("place"), none)
    if draft.get("place_detail"):
        place = f"{place} — {draft['place_detail']}"
    when = none
    if draft.get("happened_on"):
        when = format_date(dt.date.fromisoformat(draft["happened_on"]), ps)
    amount = format_amount(draft["amount"]) if draft.get("amount") else none
    count = len(draft.get("evidence") or ())
    evidence = ps.text("evidence_count", count=count) if count else ps.text("evidence_none")
    identity = (
        ps.text("identity_anonymous")
        if draft.get("anonymous", True)
        else ps.text("identity_named", name=draft.get("name") or "")
    )
    return ps.text(
        "summary",
        what=_shorten(draft.get("what") or none, 300),
        place=place,
        when=when,
        amount=amount,
        evidence=evidence,
        identity=identity,
    )


# ---------------------------------------------------------------- helpers


def _new(now: dt.datetime) -> dict:
    stamp = now.isoformat()
    return {"step": None, "tries": 0, "at": stamp, "started": stamp, "draft": {}, "done": []}


def _turn(replies, data: dict, meta: dict) -> Turn:
    return Turn(tuple(replies), options=(), flow=FLOW, flow_data=data, meta=_meta(meta))


def _meta(meta: dict, event: str | None = None) -> dict:
    out = {**meta, **CONFIDENTIAL}
    if event:
        out["event"] = event
    return out


def _expired(data: dict, ps: Settings, now: dt.datetime) -> bool:
    at = data.get("at")
    if not at or ps.expire_minutes <= 0:
        return False
    return now - dt.datetime.fromisoformat(at) > dt.timedelta(minutes=ps.expire_minutes)


def _paused(data: dict) -> dict:
    """Return the contact's flow data once a report is paused: only the kept draft.

    A money demand the citizen never agreed to report (the confirm step) is not kept.
    """
    if data.get("step") == "resume":
        return {"pungli_draft": data["saved"]}
    if data.get("step") == "confirm" or not data.get("draft"):
        return {}
    return {"pungli_draft": {k: data.get(k) for k in ("draft", "done", "started", "at")}}


def _saved_draft(state: State, ps: Settings, now: dt.datetime) -> dict | None:
    saved = (state.flow_data or {}).get("pungli_draft") if state.flow is None else None
    if not saved or not saved.get("at"):
        return None
    age = now - dt.datetime.fromisoformat(saved["at"])
    return saved if age <= dt.timedelta(days=ps.draft_keep_days) else None


def _command(words: str, keywords: dict) -> str | None:
    for name in ("cancel", "menu", "human", "report"):
        if words in keywords.get(name, ()):
            return name
    return None


def _digit(text: str) -> int | None:
    match = re.fullmatch(r"\s*\*?(\d{1,2})\*?\s*[.)]?\s*", text)
    return int(match.group(1)) if match else None


def _yes_no(text: str, ps: Settings) -> bool | None:
    number, words = _digit(text), plain(text)
    if number == 1 or words in ps.yes_words:
        return True
    if number == 2 or words in ps.no_words:
        return False
    return None


@cache
def _phrase(text: str) -> tuple[str, ...]:
    """Return the normalised words of a configured word or phrase."""
    return tuple(language.tokens(text)) or tuple(plain(text).split())


def _contains(tokens: list[str], words: tuple[str, ...]) -> bool:
    size = len(words)
    return any(tuple(tokens[i : i + size]) == words for i in range(len(tokens) - size + 1))


def _is_skip(text: str, ps: Settings) -> bool:
    if text.strip() in ("-", "--"):
        return True
    tokens = language.tokens(text) or plain(text).split()
    if not tokens:
        return False
    return any(tuple(tokens) == words for words in ps.skip_words)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _local(moment: dt.datetime, ps: Settings) -> dt.datetime:
    return moment.astimezone(ps.timezone)


# ---------------------------------------------------------------- dates and amounts

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11,
    "nopember": 11, "desember": 12, "des": 12, "dec": 12,
}  # fmt: skip
MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember")  # fmt: skip
WEEKDAYS = {"senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "sabtu": 5, "minggu": 6}
_COUNT = {"se": 1, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6,
          "tujuh": 7, "delapan": 8, "sembilan": 9, "sepuluh": 10}  # fmt: skip
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?(?!\d)"
)
_TODAY = {"hari ini", "tadi", "barusan", "baru saja", "sekarang", "pagi ini", "siang ini"}
_FILLER = {"tanggal", "tgl", "pada", "hari", "yang", "lalu", "kemarin", "pukul", "jam", "sekitar"}


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """Read when something happened ("kemarin", "tadi pagi", "14/7", "14 Juli", "2 hari
    lalu", "minggu lalu") relative to today; None when unreadable or in the future."""
    raw = unicodedata.normalize("NFKC", text).lower().strip()
    words = language.words(raw, merge=False) or plain(raw).split()
    joined = " ".join(words)
    found = _relative(words, joined, today)
    if found is not None:
        return found if found <= today else None
    numeric = _NUMERIC_DATE.search(raw)
    if numeric:
        day, month, year = numeric.groups()
        return _calendar(int(day), int(month), year, today)
    for i, word in enumerate(words):
        if word in MONTHS and i > 0 and words[i - 1].isdigit():
            year = words[i + 1] if i + 1 < len(words) and words[i + 1].isdigit() else None
            return _calendar(int(words[i - 1]), MONTHS[word], year, today)
    return None


def _relative(words: list[str], joined: str, today: dt.date) -> dt.date | None:
    if joined.startswith("kemarin lusa") or joined == "lusa kemarin":
        return today - dt.timedelta(days=2)
    if words and words[0] in ("kemarin", "semalam"):
        return today - dt.timedelta(days=1)
    if any(joined == t or joined.startswith(t + " ") for t in _TODAY):
        return today
    ago = re.fullmatch(r"(?:(\d{1,3}|\w+?)\s*)?(hari|minggu|pekan|bulan)(?: yang)? lalu", joined)
    if ago:
        amount, unit = ago.group(1), ago.group(2)
        count = 1 if amount is None else (int(amount) if amount.isdigit() else _COUNT.get(amount))
        if count is None:
            return None
        days = {"hari": 1, "minggu": 7, "pekan": 7, "bulan": 30}[unit] * count
        return today - dt.timedelta(days=days)
    named = [w for w in words if w in WEEKDAYS]
    if named and len(named) == 1 and set(words) - {named[0]} <= _FILLER:
        back = (today.weekday() - WEEKDAYS[named[0]]) % 7
        if "lalu" in words and back == 0:
            back = 7
        return today - dt.timedelta(days=back)
    return None


def _calendar(day: int, month: int, year: str | None, today: dt.date) -> dt.date | None:
    if year is None:
        candidates = [today.year, today.year - 1]
    else:
        number = int(year)
        candidates = [number + 2000 if number < 100 else number]
    for candidate in candidates:
        try:
            date = dt.date(candidate, month, day)
        except ValueError:
            return None
        if date <= today:
            return date
    return None


def parse_amount(text: str) -> int | None:
    """Read an amount of rupiah ("50rb", "Rp 50.000", "seratus ribu", "50000")."""
    found = language.find_amounts(text)
    if found:
        return found[0]
    bare = re.fullmatch(r"\s*(?:rp\.?\s*)?(\d{4,10})\s*(?:rupiah)?\s*", text.lower())
    return int(bare.group(1)) if bare else None


def format_amount(amount: int) -> str:
    """Return an amount the Indonesian way: Rp50.000."""
    return "Rp" + f"{amount:,}".replace(",", ".")


def format_date(day: dt.date, ps: Settings | None = None) -> str:
    """Return a date the Indonesian way: 14 Juli 2026."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"
