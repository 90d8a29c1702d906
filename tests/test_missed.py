"""The learning loop's data: what the bot escalated or clarified, grouped by meaning, with the
officer's reply — and never a pungli report's messages."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import missed, store

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def item(number: int, text: str, outcome: str = "escalate", **extra) -> missed.Missed:
    return missed.Missed(number, text, T0 + dt.timedelta(hours=number), outcome, **extra)


# ---------------------------------------------------------------- grouping (pure)


def test_the_same_question_in_different_spellings_is_one_group():
    groups = missed.group(
        [
            item(1, "ktp sy ilang gmn ngurusnya"),
            item(2, "syarat bikin paspor apa"),
            item(3, "KTP SAYA HILANG GMN NGURUS!!"),
            item(4, "ktp saya hilang gimana cara ngurusnya", "clarify"),
            item(5, "syarat buat paspor"),
        ]
    )
    assert [g.count for g in groups] == [3, 2]
    lost = groups[0]
    assert [m.message_id for m in lost.items] == [1, 3, 4]  # oldest first
    assert (lost.first_at, lost.last_at) == (T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=4))
    assert lost.outcomes == {"escalate": 2, "clarify": 1}


def test_a_group_is_reached_through_any_of_its_first_wordings():
    # The third resembles the second more than the first; it still joins their group.
    groups = missed.group(
        [
            item(1, "titip berkas lewat kurir ojol boleh?"),
            item(2, "boleh titip berkas ke kurir ojol ga"),
            item(3, "bisa ga titip berkas via ojol"),
        ]
    )
    assert [g.count for g in groups] == [3]


@pytest.mark.parametrize(
    ("short", "long"),
    [("ktp", "ktp saya hilang gimana"), ("akta", "akta kematian nenek saya")],
)
def test_one_word_is_not_swallowed_by_a_longer_question(short, long):
    groups = missed.group([item(1, long), item(2, short)])
    assert sorted(g.count for g in groups) == [1, 1]


def test_different_questions_stay_apart():
    groups = missed.group(
        [
            item(1, "akta kelahiran anak saya salah nama"),
            item(2, "kk saya belum dicetak sudah sebulan"),
            item(3, "jam berapa loket kecamatan tutup"),
        ]
    )
    assert len(groups) == 3


def test_groups_come_most_frequent_first_then_most_recent():
    groups = missed.group(
        [
            item(1, "syarat buat paspor"),
            item(2, "nik saya terblokir"),
            item(3, "syarat bikin paspor apa"),
            item(4, "kapan kk saya jadi"),
        ]
    )
    assert [g.items[0].text for g in groups] == [
        "syarat buat paspor",
        "kapan kk saya jadi",
        "nik saya terblokir",
    ]


def test_the_threshold_is_a_setting():
    pair = [item(1, "syarat buat paspor"), item(2, "syarat bikin paspor apa")]
    assert len(missed.group(pair, threshold=75)) == 1
    assert len(missed.group(pair, threshold=99)) == 2


def test_a_group_ranks_the_entries_the_matcher_considered():
    groups = missed.group(
        [
            item(1, "ktp ilang", candidates=(("ektp-hilang", 45.0), ("biaya", 20.0))),
            item(2, "ktp hilang", candidates=(("ektp-hilang", 48.0),)),
        ]
    )
    assert groups[0].candidates == ["ektp-hilang", "biaya"]


# ---------------------------------------------------------------- reading the database


def add_message(session, contact, body, outcome=None, kind="message", ticket=None, **meta):
    message = store.Message(
        contact=contact,
        direction="in",
        author="citizen",
        kind=kind,
        body=body,
        status="received",
        ticket_id=ticket.id if ticket else None,
        meta={"outcome": outcome, **meta} if outcome else meta,
    )
    session.add(message)
    session.flush()
    return message


def test_collect_reads_only_what_the_bot_could_not_answer_and_never_pungli(helpdesk):
    with helpdesk.store.session() as session:
        contact = store.Contact(channel="whatsapp", number="+6281200000001", state={})
        session.add(contact)
        session.flush()
        ticket = store.Ticket(contact_id=contact.id, reason="escalated")
        session.add(ticket)
        session.flush()
        asked = add_message(
            session,
            contact,
            "nik 1671 0123 4567 8901 terblokir",
            "escalate",
            ticket=ticket,
            candidates=[["ektp-hilang", 31.5]],
        )
        add_message(session, contact, "syarat kk", "answer")
        add_message(session, contact, "maksudnya yang mana", "clarify")
        add_message(session, contact, "diminta 50rb oleh calo", "escalate", kind="pungli")
        add_message(session, contact, "petugas kecamatan minta uang", "escalate", confidential=True)
        add_message(session, contact, "", "escalate")  # a photo without text
        session.add(
            store.Message(
                contact=contact,
                direction="out",
                author="officer",
                kind="note",
                body="catatan internal",
                status="queued",
                ticket_id=ticket.id,
            )
        )
        session.add(
            store.Message(
                contact=contact,
                direction="out",
                author="officer",
                kind="message",
                body="Untuk NIK 1671012345678901, datang ke Disdukcapil.",
                status="queued",
                ticket_id=ticket.id,
            )
        )
    with helpdesk.store.session() as session:
        found = missed.collect(session, T0 - dt.timedelta(days=3650))
    texts = sorted(m.text for m in found)
    assert texts == ["maksudnya yang mana", "nik ************8901 terblokir"]
    [first] = [m for m in found if m.message_id == asked.id]
    assert first.candidates == (("ektp-hilang", 31.5),)
    assert first.reply == "Untuk NIK ************8901, datang ke Disdukcapil."  # masked, no note


def test_collect_respects_the_time_window(helpdesk):
    with helpdesk.store.session() as session:
        contact = store.Contact(channel="sms", number="+6281200000002", state={})
        session.add(contact)
        session.flush()
        old = add_message(session, contact, "pertanyaan lama", "escalate")
        old.created_at = store.utcnow() - dt.timedelta(days=200)
        add_message(session, contact, "pertanyaan baru", "escalate")
    with helpdesk.store.session() as session:
        found = missed.collect(session, store.utcnow() - dt.timedelta(days=90))
    assert [m.text for m in found] == ["pertanyaan baru"]


def test_wording_for_a_new_entry_skips_pungli_messages(helpdesk):
    with helpdesk.store.session() as session:
        contact = store.Contact(channel="whatsapp", number="+6281200000003", state={})
        session.add(contact)
        session.flush()
        shown = add_message(session, contact, "bisa titip berkas lewat ojol", "escalate")
        hidden = add_message(session, contact, "calo minta 100rb", "escalate", kind="pungli")
    with helpdesk.store.session() as session:
        asked, answered = missed.wording(session, [shown.id, hidden.id])
        assert missed.citizen_message(session, hidden.id) is None
        assert missed.citizen_message(session, shown.id) == "bisa titip berkas lewat ojol"
    assert asked == ["bisa titip berkas lewat ojol"] and answered == []
