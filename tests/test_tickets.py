"""The ticket service without the web: claim race, window, queue order, close, rate, reopen."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from bot import rating, store, tickets
from bot.messages import WHATSAPP, Inbound

NOW = dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)  # Tuesday 10.00 WIB


@pytest.fixture
def db(database_url):
    database = store.Store(database_url)
    yield database
    database.dispose()


def make_user(db, username: str, roles: str = "officer", offices=()) -> tickets.Actor:
    with db.session() as session:
        user = store.User(
            username=username,
            display_name=username.title(),
            password_hash="x",
            roles=roles,
            offices=list(offices),
        )
        session.add(user)
        session.flush()
        return tickets.Actor.of(user)


def make_ticket(
    db,
    number="+6281234567890",
    channel=WHATSAPP,
    state="open",
    body="tolong",
    waiting_since=NOW,
    last_inbound=NOW,
    office=None,
    assignee=None,
) -> int:
    with db.session() as session:
        contact = store.find_contact(session, channel, number)
        if contact is None:
            contact = store.Contact(channel=channel, number=number, state={}, office_id=office)
            session.add(contact)
        contact.last_inbound_at = last_inbound
        ticket = store.Ticket(
            contact=contact,
            state=state,
            reason="escalated",
            opened_at=NOW,
            waiting_since=waiting_since,
            office_id=office,
            assignee_id=assignee,
            closed_at=NOW if state == "closed" else None,
        )
        session.add(ticket)
        session.flush()
        session.add(
            store.Message(
                contact=contact,
                ticket_id=ticket.id,
                direction="in",
                author="citizen",
                body=body,
                status="received",
                created_at=NOW,
            )
        )
        return ticket.id


def get_ticket(db, ticket_id) -> store.Ticket:
    with db.session() as session:
        return session.get(store.Ticket, ticket_id)


# ---------------------------------------------------------------- claim


def test_concurrent_claims_have_exactly_one_winner(db):
    ticket_id = make_ticket(db)
    actors = [make_user(db, name) for name in ("budi", "sari", "rina", "dedi")]
    barrier = threading.Barrier(len(actors))
    outcomes: dict[str, object] = {}

    def claim(actor):
        barrier.wait()
        try:
            with db.session() as session:
                tickets.claim(session, ticket_id, actor, NOW)
            outcomes[actor.name] = "won"
        except tickets.TicketError as exc:
            outcomes[actor.name] = exc

    threads = [threading.Thread(target=claim, args=(a,)) for a in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    for name, outcome in outcomes.items():
        if name != winners[0]:
            assert outcome.code == "claimed_by_other"
            assert outcome.detail["owner"] == winners[0]
    owner = get_ticket(db, ticket_id)
    assert owner.state == "claimed"
    assert owner.assignee_id == next(a.id for a in actors if a.name == winners[0])
    with db.session() as session:
        claims = session.scalar(
            select(func.count())
            .select_from(store.AuditLog)
            .where(store.AuditLog.action == "ticket.claim")
        )
    assert claims == 1


def test_closed_ticket_cannot_be_claimed(db):
    ticket_id = make_ticket(db, state="closed")
    budi = make_user(db, "budi")
    with pytest.raises(tickets.TicketError) as refused, db.session() as session:
        tickets.claim(session, ticket_id, budi, NOW)
    assert refused.value.code == "closed"


def test_ticket_of_another_office_is_not_found(db):
    ticket_id = make_ticket(db, office="palembang")
    local = make_user(db, "budi", offices=["lubuklinggau"])
    with pytest.raises(tickets.TicketError) as refused, db.session() as session:
        tickets.claim(session, ticket_id, local, NOW)
    assert refused.value.code == "not_found"
    with db.session() as session:
        assert tickets.queue(session, local, "open") == []


def test_reassign_only_to_active_officers(db):
    ticket_id = make_ticket(db)
    boss = make_user(db, "kepala", "supervisor")
    editor = make_user(db, "editor", "editor")
    sari = make_user(db, "sari")
    with pytest.raises(tickets.TicketError) as refused, db.session() as session:
        tickets.reassign(session, ticket_id, boss, editor.id, NOW)
    assert refused.value.code == "bad_assignee"
    with pytest.raises(tickets.TicketError) as refused, db.session() as session:
        tickets.reassign(session, ticket_id, sari, sari.id, NOW)
    assert refused.value.code == "forbidden"
    with db.session() as session:
        tickets.reassign(session, ticket_id, boss, sari.id, NOW)
    assert get_ticket(db, ticket_id).assignee_id == sari.id


# ---------------------------------------------------------------- window


@pytest.mark.parametrize(
    ("channel", "hours_ago", "is_open"),
    [
        (WHATSAPP, 1, True),
        (WHATSAPP, 23.9, True),
        (WHATSAPP, 24, False),
        (WHATSAPP, 30, False),
        ("sms", 500, True),
    ],
)
def test_24_hour_window(channel, hours_ago, is_open):
    contact = store.Contact(
        channel=channel, number="+62812", last_inbound_at=NOW - dt.timedelta(hours=hours_ago)
    )
    assert tickets.window_open(contact, NOW) is is_open


def test_whatsapp_contact_who_never_wrote_has_no_window():
    assert not tickets.window_open(store.Contact(channel=WHATSAPP, number="+62812"), NOW)


def test_reply_after_the_window_is_refused_and_template_is_queued(db):
    ticket_id = make_ticket(db, last_inbound=NOW - dt.timedelta(hours=25))
    budi = make_user(db, "budi")
    template = tickets.Template("HXabc", {"1": "{ticket}", "2": "{name}"}, "Tiket {ticket}")
    with db.session() as session:
        tickets.claim(session, ticket_id, budi, NOW)
    with pytest.raises(tickets.TicketError) as refused, db.session() as session:
        tickets.reply(session, ticket_id, budi, "halo", NOW)
    assert refused.value.code == "window_closed"
    with db.session() as session:
        message = tickets.send_template(session, ticket_id, budi, template, "TK-", NOW)
        assert message.body == f"Tiket TK-{ticket_id:06d}"
        assert message.meta == {
            "content_sid": "HXabc",
            "content_variables": {"1": f"TK-{ticket_id:06d}", "2": ""},
        }
        assert session.scalar(select(func.count()).select_from(store.Outbox)) == 1


def test_template_without_content_sid_is_refused(db):
    ticket_id = make_ticket(db, last_inbound=NOW - dt.timedelta(hours=25))
    budi = make_user(db, "budi")
    with db.session() as session:
        tickets.claim(session, ticket_id, budi, NOW)
    with pytest.raises(tickets.TicketError) as refused, db.session() as session:
        tickets.send_template(session, ticket_id, budi, tickets.Template(""), "TK-", NOW)
    assert refused.value.code == "template_missing"


# ---------------------------------------------------------------- queue


def test_queue_is_ordered_by_waiting_time_answered_last(db):
    recent = make_ticket(db, number="+628111", waiting_since=NOW - dt.timedelta(minutes=5))
    oldest = make_ticket(db, number="+628222", waiting_since=NOW - dt.timedelta(hours=3))
    answered = make_ticket(db, number="+628333", waiting_since=None)
    middle = make_ticket(db, number="+628444", waiting_since=NOW - dt.timedelta(hours=1))
    budi = make_user(db, "budi")
    with db.session() as session:
        rows = tickets.queue(session, budi, "open")
    assert [r.ticket_id for r in rows] == [oldest, middle, recent, answered]


def test_citizen_message_after_a_reply_starts_the_wait_again(db, helpdesk):
    from bot import conversations

    ticket_id = make_ticket(db, waiting_since=None)
    budi = make_user(db, "budi")
    with db.session() as session:
        tickets.claim(session, ticket_id, budi, NOW)
    later = NOW + dt.timedelta(minutes=10)
    inbound = Inbound(WHATSAPP, "+6281234567890", "+62811", "masih bingung", provider_sid="SMx1")
    conversations.receive(db, helpdesk.library, helpdesk.settings, inbound, now=later)
    assert get_ticket(db, ticket_id).waiting_since == later


def test_first_words_mask_nik_and_cut_long_text():
    text = "NIK saya 1671012345678901 " + "kata " * 30
    short = tickets.first_words(text)
    assert "1671012345678901" not in short and "8901" in short
    assert short.endswith("…")


# ---------------------------------------------------------------- close, rate, reopen


def test_close_queues_closing_message_and_starts_the_rating_flow(db):
    ticket_id = make_ticket(db)
    budi = make_user(db, "budi")
    with db.session() as session:
        tickets.claim(session, ticket_id, budi, NOW)
    with db.session() as session:
        message = tickets.close(
            session, ticket_id, budi, "dijawab", "Tiket {ticket} selesai", "TK-", NOW, rating_days=3
        )
        assert message.body == f"Tiket TK-{ticket_id:06d} selesai"
        contact = session.get(store.Ticket, ticket_id).contact
        assert contact.state["flow"] == "rating"
        assert contact.state["flow_data"] == {
            "ticket_id": ticket_id,
            "until": (NOW + dt.timedelta(days=3)).isoformat(),
        }


def test_record_rating_only_1_to_3_on_closed_tickets(db):
    open_id = make_ticket(db, number="+628111")
    closed_id = make_ticket(db, number="+628222", state="closed")
    with db.session() as session:
        assert not tickets.record_rating(session, open_id, 3, NOW)
        assert not tickets.record_rating(session, closed_id, 4, NOW)
        assert tickets.record_rating(session, closed_id, 2, NOW)
    assert get_ticket(db, closed_id).rating == 2


class _Settings:
    texts = {"rating_thanks": "Terima kasih!"}


@pytest.mark.parametrize(("body", "value"), [("3", 3), (" 1 ", 1), ("2.", 2), ("2!", 2)])
def test_rating_step_takes_one_digit(body, value):
    state = _state({"ticket_id": 7, "until": (NOW + dt.timedelta(days=1)).isoformat()})
    turn = rating.step(Inbound(WHATSAPP, "+62812", "+62811", body), state, _Settings, NOW)
    assert turn.replies == ("Terima kasih!",) and turn.flow is None
    assert turn.effects == (rating.RateTicket(7, value),)


@pytest.mark.parametrize("body", ["4", "0", "12", "3 bintang", "terima kasih", ""])
def test_rating_step_ignores_anything_else(body):
    state = _state({"ticket_id": 7, "until": (NOW + dt.timedelta(days=1)).isoformat()})
    assert rating.step(Inbound(WHATSAPP, "+62812", "+62811", body), state, _Settings, NOW) is None


def test_rating_step_ignores_a_digit_after_the_rating_period():
    state = _state({"ticket_id": 7, "until": (NOW - dt.timedelta(seconds=1)).isoformat()})
    assert rating.step(Inbound(WHATSAPP, "+62812", "+62811", "3"), state, _Settings, NOW) is None


def _state(flow_data):
    from bot.dialogue import State

    return State(flow="rating", flow_data=flow_data)


@pytest.mark.parametrize(
    ("closed_days_ago", "days", "reopened"),
    [(1, 3, True), (2.9, 3, True), (3.1, 3, False), (0.1, 0, False)],
)
def test_reopen_rules(db, closed_days_ago, days, reopened):
    ticket_id = make_ticket(db, state="closed")
    budi = make_user(db, "budi")
    with db.session() as session:
        found = session.get(store.Ticket, ticket_id)
        found.closed_at = NOW - dt.timedelta(days=closed_days_ago)
        found.resolution, found.assignee_id = "selesai", budi.id
        contact_id = found.contact_id
    with db.session() as session:
        result = tickets.reopen_recent(session, contact_id, NOW, days)
        assert (result is not None) is reopened
    after = get_ticket(db, ticket_id)
    if reopened:
        assert (after.state, after.assignee_id, after.closed_at, after.waiting_since) == (
            "open",
            None,
            None,
            NOW,
        )
    else:
        assert after.state == "closed"


@pytest.fixture
def helpdesk(app):
    return app.extensions["helpdesk"]


def test_sms_replies_and_closing_message_lose_whatsapp_markup(db):
    ticket_id = make_ticket(db, channel="sms", last_inbound=NOW - dt.timedelta(days=5))
    budi = make_user(db, "budi")
    with db.session() as session:
        tickets.claim(session, ticket_id, budi, NOW)
    with db.session() as session:
        reply = tickets.reply(session, ticket_id, budi, "Syaratnya *GRATIS* ya", NOW)
        closing = tickets.close(
            session, ticket_id, budi, "ok", "Tiket *{ticket}* selesai", "TK-", NOW
        )
        assert reply.body == "Syaratnya GRATIS ya"
        assert closing.body == f"Tiket TK-{ticket_id:06d} selesai"


@pytest.mark.parametrize("reply", ["Sudah jadi.", None], ids=["held-reply", "template-only"])
def test_an_officer_and_the_citizen_writing_at_once_do_not_deadlock(db, reply):
    """The citizen's message locks the contact, then updates the ticket. Holding a reply
    takes the same locks in the same order; a message the officer adds only takes a key
    share on the contact, which that lock lets through (else PostgreSQL aborts one)."""
    officer = make_user(db, "budi")
    ticket_id = make_ticket(db, state="claimed", assignee=officer.id)
    template = tickets.Template(content_sid="HX" + "0" * 32, variables={}, preview="Balas YA")
    inbound_locked, officer_started, errors = threading.Event(), threading.Event(), []

    def hold():
        assert inbound_locked.wait(10)
        officer_started.set()
        try:
            with db.session() as session:
                tickets.send_template(session, ticket_id, officer, template, "TK-", NOW, reply)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=hold)
    thread.start()
    with db.session() as session:  # the citizen's message, as conversations.receive takes it
        contact, ticket = store.find_contact_and_ticket(session, WHATSAPP, "+6281234567890")
        inbound_locked.set()
        assert officer_started.wait(10)
        thread.join(0.5)  # let the officer's transaction reach its locks
        ticket.last_citizen_at = NOW
        contact.state = {**contact.state, "options": ["biaya"]}
    thread.join(15)
    assert not errors, errors
    with db.session() as session:
        contact = store.find_contact(session, WHATSAPP, "+6281234567890")
        assert contact.state == {"options": ["biaya"], **({"held": True} if reply else {})}
