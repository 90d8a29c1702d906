"""The store: one query for a contact and its open ticket; SQLite writers take turns."""

from __future__ import annotations

import threading

from bot import store
from bot.messages import WHATSAPP


def test_contact_and_open_ticket_come_in_one_query(helpdesk):
    db = helpdesk.store
    with db.session() as session:
        assert store.find_contact_and_ticket(session, WHATSAPP, "+628111") == (None, None)
        contact = store.Contact(channel=WHATSAPP, number="+628111", state={})
        session.add(contact)
        session.flush()
        closed = store.Ticket(contact_id=contact.id, reason="escalated", state="closed")
        session.add(closed)
    with db.session() as session:
        found, ticket = store.find_contact_and_ticket(session, WHATSAPP, "+628111")
        assert (found.number, ticket) == ("+628111", None)
        session.add(store.Ticket(contact_id=found.id, reason="escalated", state="claimed"))
    with db.session() as session:
        found, ticket = store.find_contact_and_ticket(session, WHATSAPP, "+628111")
        assert ticket.state == "claimed" and ticket.contact_id == found.id
        assert store.find_contact_and_ticket(session, "sms", "+628111") == (None, None)


def test_a_sqlite_writer_waits_for_the_turn_of_another(tmp_path):
    queue = store.WriterQueue.for_url(f"sqlite:///{tmp_path / 'helpdesk.db'}")
    holding, release, entered = threading.Event(), threading.Event(), threading.Event()

    def first():
        with queue.turn():
            holding.set()
            release.wait(10)

    def second():
        with queue.turn():
            entered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    assert not entered.wait(0.3)  # another thread of the same process waits too
    release.set()
    assert entered.wait(10)
    for thread in threads:
        thread.join(10)


def test_only_sqlite_files_have_a_writer_queue():
    assert (
        store.WriterQueue.for_url("sqlite:////srv/helpdesk.db").path == "/srv/helpdesk.db-writers"
    )
    assert store.WriterQueue.for_url("sqlite://").path is None
    assert store.WriterQueue.for_url("postgresql+psycopg://u@h/db").path is None


def test_a_held_reply_and_a_citizen_message_at_once_lose_neither_state(helpdesk):
    """The inbound transaction locks the contact (FOR UPDATE on PostgreSQL, SQLite writers
    queue): a reply held at that moment waits, and both changes to contacts.state stay."""
    from bot import outbox

    db = helpdesk.store
    with db.session() as session:
        session.add(store.Contact(channel=WHATSAPP, number="+628222", state={}))
    locked, held = threading.Event(), threading.Event()

    def officer():
        assert locked.wait(10)
        with db.session() as session:  # SQLite: waits here; PostgreSQL: reads the old state
            contact = session.scalars(
                store.select(store.Contact).where(store.Contact.number == "+628222")
            ).one()
            outbox.hold(session, contact, body="Balasan", ticket_id=None, officer_id=None,
                        now=store.utcnow())  # fmt: skip
        held.set()

    thread = threading.Thread(target=officer)
    thread.start()
    with db.session() as session:  # the citizen's message, as conversations.receive does
        contact, _ = store.find_contact_and_ticket(session, WHATSAPP, "+628222")
        locked.set()
        assert not held.wait(0.5)  # the officer's hold waits for this transaction
        contact.state = {**contact.state, "options": ["biaya"]}
    thread.join(10)
    assert held.is_set()
    with db.session() as session:
        contact, _ = store.find_contact_and_ticket(session, WHATSAPP, "+628222")
        assert contact.state == {"options": ["biaya"], outbox.HELD: True}
