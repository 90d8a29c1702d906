"""Hostile input, property-based (hypothesis): whatever a signed form, a citizen's text or
a sequence of messages holds — any Unicode, huge bodies, missing, repeated or mistyped
fields, SQL and HTML injection — the webhook never answers 500 and stores what it
acknowledged, the dialogue and the pungli flow never raise, and citizen text reaches the
console's HTML only escaped."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from bot import dialogue, knowledge, store
from bot import matcher as matching
from bot.config import load_yaml
from bot.messages import SMS, WHATSAPP, Inbound, Media
from tests.conftest import PUBLIC, add_user, citizen_says, latest_ticket_id, login, payload, sign
from webhooks.twilio import clean_text

pytestmark = pytest.mark.usefixtures("quick_logins")

WIB = dt.timezone(dt.timedelta(hours=7))
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=WIB)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

INJECTIONS = [
    "'; DROP TABLE messages; --",
    "1' OR '1'='1",
    '" OR 1=1 --',
    "Robert'); DELETE FROM contacts WHERE ('1'='1",
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}} {% raw %}{{ config }}{% endraw %} ${7*7}",
    "%s%s%s%n",
    "\x00\x01\x1b[31m\u202e\u200bNIK 3171234567890001",
    "ktp hilang 😭🙏 syarat nya apa min??",
    "../../etc/passwd",
    "🇮🇩" * 500,
]
# Any Unicode a form can carry (no lone surrogates: they cannot be encoded in UTF-8).
UNICODE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
TEXT = st.one_of(UNICODE, st.sampled_from(INJECTIONS), UNICODE.map(lambda s: s * 40))
FIELD_VALUE = st.one_of(
    TEXT,
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "null", "None", "[]", "{}", "true", "-1", "99999999999999999999"]),
)
TWILIO_FIELDS = [
    "Body",
    "From",
    "To",
    "MessageSid",
    "SmsMessageSid",
    "ProfileName",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "Latitude",
    "Longitude",
    "WaId",
]


@st.composite
def forms(draw):
    """A Twilio-like form turned hostile: fields dropped, replaced, repeated or added."""
    base = payload(draw(st.sampled_from(["whatsapp_text", "sms_text", "whatsapp_media"])))
    sid = "SM" + uuid.uuid4().hex
    base.update(MessageSid=sid, SmsMessageSid=sid, SmsSid=sid, Body=draw(TEXT))
    items = list(base.items())
    dropped = draw(st.sets(st.sampled_from(sorted(base)), max_size=4))
    items = [(k, v) for k, v in items if k not in dropped]
    replaced = draw(st.dictionaries(st.sampled_from(TWILIO_FIELDS), FIELD_VALUE, max_size=4))
    items = [(k, replaced.pop(k, v)) for k, v in items] + list(replaced.items())
    repeated = draw(st.lists(st.tuples(st.sampled_from(TWILIO_FIELDS), FIELD_VALUE), max_size=3))
    extra = draw(st.dictionaries(UNICODE.filter(bool), FIELD_VALUE, max_size=2))
    return MultiDict(items + repeated + list(extra.items()))


def _post(client, form: MultiDict):
    signature = sign(PUBLIC + "/webhooks/twilio", form)
    return client.post("/webhooks/twilio", data=form, headers={"X-Twilio-Signature": signature})


@FUZZ
@given(form=forms())
def test_any_signed_form_is_answered_without_500_and_stored_when_accepted(client, helpdesk, form):
    response = _post(client, form)

    assert response.status_code in (200, 400), response.get_data(as_text=True)[:500]
    if response.status_code == 200:
        sid = clean_text(form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()[:64]
        with helpdesk.store.session() as session:
            stored = session.scalar(
                select(func.count(store.Message.id)).where(store.Message.provider_sid == sid)
            )
        assert stored == 1
        assert response.mimetype == "application/xml"


def _encoded_length(form: MultiDict) -> int:
    """Return the body length exactly as the test client encodes the form (urllib escapes
    more characters than werkzeug, so its length is not the one the server sees)."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(method="POST", data=form)
    try:
        return int(builder.get_environ()["CONTENT_LENGTH"])
    finally:
        builder.close()


@settings(FUZZ, max_examples=20)
@given(body=TEXT, size=st.integers(min_value=10_000, max_value=1_000_000))
def test_huge_bodies_up_to_the_limit_are_stored_whole(client, helpdesk, body, size):
    text = ("x" + body) * (size // (len(body) + 1) + 1)
    text = text[:size]
    sid = "SM" + uuid.uuid4().hex
    form = payload("whatsapp_text", Body=text, MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
    response = _post(client, MultiDict(form))

    if _encoded_length(MultiDict(form)) > 1024 * 1024:
        assert response.status_code == 413
        return
    assert response.status_code == 200
    with helpdesk.store.session() as session:
        message = session.scalars(
            select(store.Message).where(store.Message.provider_sid == sid)
        ).one()
        assert message.body == clean_text(text)  # cleaned, never cut


@pytest.mark.parametrize(("extra", "status"), [(0, 200), (1, 413)])
def test_the_one_megabyte_limit_is_exact(client, helpdesk, extra, status):
    sid = "SM" + uuid.uuid4().hex
    empty = payload("whatsapp_text", Body="", MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
    room = 1024 * 1024 - _encoded_length(MultiDict(empty))
    form = {**empty, "Body": "*" * (room + extra)}  # "*" is sent unescaped: one byte each
    assert _post(client, MultiDict(form)).status_code == status
    with helpdesk.store.session() as session:
        stored = session.scalar(
            select(func.count(store.Message.id)).where(store.Message.provider_sid == sid)
        )
    assert stored == (1 if status == 200 else 0)


def test_a_body_over_one_megabyte_is_refused_and_not_stored(client, helpdesk):
    sid = "SM" + uuid.uuid4().hex
    form = payload("whatsapp_text", Body="a" * (1024 * 1024 + 1), MessageSid=sid)
    assert _post(client, MultiDict(form)).status_code == 413
    with helpdesk.store.session() as session:
        assert session.scalar(select(func.count(store.Message.id))) == 0


@FUZZ
@given(form=forms())
def test_unsigned_or_wrongly_signed_forms_are_refused_and_not_stored(client, helpdesk, form):
    forged = client.post("/webhooks/twilio", data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    unsigned = client.post("/webhooks/twilio", data=form)

    assert forged.status_code == 403 and unsigned.status_code == 403
    with helpdesk.store.session() as session:
        assert session.scalar(select(func.count(store.Message.id))) == 0


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000), TEXT.map(str.encode)))
def test_bodies_that_are_not_forms_are_refused(client, body):
    for mimetype in ("application/json", "text/plain", "multipart/form-data", None):
        headers = {"X-Twilio-Signature": sign(PUBLIC + "/webhooks/twilio", {})}
        if mimetype:
            headers["Content-Type"] = mimetype
        response = client.post("/webhooks/twilio", data=body, headers=headers)
        assert response.status_code in (400, 403)


@FUZZ
@given(form=forms())
def test_status_callbacks_with_any_form_never_fail(client, form):
    form.setlist("MessageStatus", [form.get("Body", "delivered")])
    signature = sign(PUBLIC + "/webhooks/twilio/status?m=abc&p=-1", form)
    response = client.post(
        "/webhooks/twilio/status?m=abc&p=-1",
        data=form,
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code in (204, 400)


# ---------------------------------------------------------------- the dialogue, pure


@pytest.fixture(scope="module")
def core():
    """The shipped FAQ, its matcher and the dialogue settings (pungli flow included)."""
    config = load_yaml()
    faq = knowledge.load_faq(knowledge_folder(config))
    index = matching.Matcher(faq, matching.Settings.from_config(config.get("matcher")))
    return faq, index, dialogue.Settings.from_config(config)


def knowledge_folder(config: dict):
    from bot import config as configuration

    return configuration.resolve_path(config, config.get("faq", {}).get("folder", "faq"))


# Words that move the flows along, mixed with hostile text, so sequences reach deep steps.
MEANINGFUL = st.sampled_from(
    ["LAPOR", "lapor pungli", "1", "2", "3", "4", "9", "0", "ya", "tidak", "selesai", "lewati",
     "kemarin", "12/13/2026", "31 februari", "Rp 100.000", "50rb", "seratus ribu", "MENU",
     "PETUGAS", "BATAL", "CEK PGL-ABCDEF", "cek pgl", "syarat ktp", "halo", "Budi"]
)  # fmt: skip
MESSAGE = st.tuples(
    st.one_of(MEANINGFUL, TEXT),
    st.sampled_from([WHATSAPP, SMS]),
    st.booleans(),  # with an attachment
    st.booleans(),  # with a location
)


def _inbound(body: str, channel: str, media: bool, location: bool, max_chars: int) -> Inbound:
    return Inbound(
        channel=channel,
        sender="+6281234567890",
        recipient="+62811",
        body=body,
        media=(Media("https://api.twilio.com/m/1", "image/jpeg"),) if media else (),
        latitude=-2.99 if location else None,
        longitude=104.75 if location else None,
        truncated=len(body) > max_chars,
    )


def _talk(core, messages, state: dialogue.State, now=TUESDAY_10) -> dialogue.State:
    """Feed messages to the dialogue like conversations.receive does; return the last state."""
    faq, index, config = core
    for body, channel, media, location in messages:
        message = _inbound(body, channel, media, location, config.max_body_chars)
        turn = dialogue.respond(message, state, faq, index, config, now)
        assert all(isinstance(reply, str) for reply in turn.replies)
        ticket = state.ticket_number
        if turn.close_ticket:
            ticket = None
        elif turn.open_ticket and not ticket:
            ticket = "TK-000001"
        flow, data = state.flow, state.flow_data
        if turn.flow != dialogue.KEEP:
            flow, data = turn.flow, turn.flow_data or {}
        state = dialogue.State(
            is_new=False,
            options=turn.options if turn.options is not None else state.options,
            ticket_number=ticket,
            ticket_claimed=state.ticket_claimed,
            flow=flow,
            flow_data=dict(data),
        )
        now += dt.timedelta(minutes=1)
    return state


@settings(max_examples=100, deadline=None)
@given(messages=st.lists(MESSAGE, min_size=1, max_size=12), is_new=st.booleans())
def test_any_conversation_never_raises(core, messages, is_new):
    _talk(core, messages, dialogue.State(is_new=is_new))


@settings(max_examples=100, deadline=None)
@given(messages=st.lists(MESSAGE, min_size=1, max_size=15), claimed=st.booleans())
def test_any_pungli_report_conversation_never_raises(core, messages, claimed):
    state = dialogue.State(ticket_number="TK-000001" if claimed else None, ticket_claimed=claimed)
    state = _talk(core, [("LAPOR", WHATSAPP, False, False)], state)
    assert state.flow == "pungli"
    _talk(core, messages, state)


@settings(max_examples=100, deadline=None)
@given(
    body=st.one_of(MEANINGFUL, TEXT),
    step_name=st.sampled_from(
        [
            "confirm",
            "resume",
            "summary",
            "what",
            "where",
            "place_detail",
            "when",
            "amount",
            "evidence",
            "anonymity",
            "name",
        ]
    ),  # fmt: skip
    draft=st.fixed_dictionaries(
        {},
        optional={
            "what": TEXT,
            "place": st.sampled_from(["kecamatan", "dinas", "kelurahan", "lainnya"]),
            "amount": st.integers(min_value=0, max_value=10**15),
            "happened_on": st.dates().map(dt.date.isoformat),
            "anonymous": st.booleans(),
        },
    ),
    media=st.booleans(),
    channel=st.sampled_from([WHATSAPP, SMS]),
)
def test_the_pungli_step_never_raises_at_any_step(core, body, step_name, draft, media, channel):
    from bot import pungli

    faq, index, config = core
    data = {"step": step_name, "tries": 0, "at": TUESDAY_10.isoformat(), "draft": draft,
            "started": TUESDAY_10.isoformat(), "saved": {"draft": draft,
            "started": TUESDAY_10.isoformat(), "step": "what"}}  # fmt: skip
    state = dialogue.State(flow="pungli", flow_data=data)
    message = _inbound(body, channel, media, False, config.max_body_chars)
    turn = pungli.step(
        message,
        state,
        config,
        TUESDAY_10 + dt.timedelta(minutes=1),
        lambda s: dialogue.respond(message, s, faq, index, config, TUESDAY_10),
    )
    assert turn.replies and all(isinstance(reply, str) for reply in turn.replies)


# ---------------------------------------------------------------- escaping in the console

SCRIPT = "<script>alert('pwned')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'


def _unescaped(html: str) -> list[str]:
    return [bad for bad in (SCRIPT, IMAGE, "<img src=x") if bad in html]


def test_citizen_text_is_escaped_on_the_officer_conversation_page(client, helpdesk):
    citizen_says(client, f"petugas {SCRIPT}", name=f"Siti {IMAGE}")
    citizen_says(client, f"tolong {IMAGE} {SCRIPT}", name=f"Siti {IMAGE}")
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")

    queue = client.get("/console/").get_data(as_text=True)
    page = client.get(f"/console/tickets/{latest_ticket_id(helpdesk)}").get_data(as_text=True)
    poll = client.get(f"/console/tickets/{latest_ticket_id(helpdesk)}/poll.json")

    assert "&lt;script&gt;alert(" in page
    assert _unescaped(page) == [] and _unescaped(queue) == []
    assert _unescaped(poll.get_data(as_text=True)) == []


def test_citizen_text_is_escaped_on_the_investigator_report_page(client, helpdesk):
    from tests.test_pungli_webhook import Phone

    phone = Phone(client)
    for text in ["LAPOR", f"Petugas minta 100rb {SCRIPT}", "2", f"Kecamatan {IMAGE}",
                 "kemarin", "Rp 100.000", "selesai", "2", f"Budi {SCRIPT}"]:  # fmt: skip
        phone.send(text)
    reply = phone.send("1")
    code = re.search(r"PGL-[A-Z0-9]{6}", reply).group(0)
    add_user(helpdesk, "ina", "investigator")
    login(client, "ina")

    listing = client.get("/console/pungli/").get_data(as_text=True)
    page = client.get(f"/console/pungli/{code}").get_data(as_text=True)

    assert "&lt;script&gt;alert(" in page
    assert _unescaped(page) == [] and _unescaped(listing) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"From": "whatsapp:+" + "6" * 40},  # longer than any sender (found by hypothesis)
        {"From": "+62812\x00345", "MessageSid": "SM\x00nul"},  # NUL: PostgreSQL refuses it
        {"Latitude": "nan", "Longitude": "inf"},  # JSON cannot carry them
        {"MediaUrl0": "https://x/\x00", "NumMedia": "1", "Na\x00me": "v"},
    ],
)
def test_fields_twilio_would_never_send_are_stored_safely_or_dead_lettered(
    client, helpdesk, changes
):
    sid = "SM" + uuid.uuid4().hex
    form = {**payload("whatsapp_text", MessageSid=sid, SmsMessageSid=sid), **changes}
    response = _post(client, MultiDict(form))

    assert response.status_code in (200, 400)
    with helpdesk.store.session() as session:
        kept = session.scalar(
            select(func.count(store.Message.id)).where(store.Message.direction == "in")
        ) + session.scalar(select(func.count(store.DeadLetter.id)))
    assert kept == 1
