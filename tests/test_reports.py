"""The dashboard's numbers against a seeded database whose answers are known by hand.

The week seeded is Monday 30 November – Sunday 6 December 2026 (WIB, UTC+7); the
previous week holds the trend's baseline. Office hours: Mon–Thu 08–15, Fri 08–11.30.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import reports, store
from bot.hours import OfficeHours

WIB = ZoneInfo("Asia/Jakarta")
HOURS = OfficeHours.from_config(
    {
        "timezone": "Asia/Jakarta",
        "hours": {
            "mon": "08:00-15:00",
            "tue": "08:00-15:00",
            "wed": "08:00-15:00",
            "thu": "08:00-15:00",
            "fri": "08:00-11:30",
        },
    }
)
WEEK = reports.Period(dt.date(2026, 11, 30), dt.date(2026, 12, 6), WIB)
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=WIB)  # Monday after the week


def wib(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=WIB).astimezone(dt.UTC)


def hours_for(_office):
    return HOURS


def seed(session) -> dict:
    """Seed the week; return the ids tests refer to."""
    wa = store.Contact(channel="whatsapp", number="+628111", state={})
    sms = store.Contact(channel="sms", number="+628222", state={})
    ani = store.User(username="ani", display_name="Ani", password_hash="x", roles="officer")
    budi = store.User(username="budi", display_name="", password_hash="x", roles="officer")
    session.add_all([wa, sms, ani, budi])
    session.flush()

    def citizen(contact, at, outcome=None, entry=None, body="tanya", kind="message", ticket=None):
        session.add(
            store.Message(
                contact_id=contact.id,
                ticket_id=ticket,
                direction="in",
                author="citizen",
                kind=kind,
                body=body,
                status="received",
                outcome=outcome,
                entry_id=entry,
                created_at=at,
            )
        )

    def ticket(contact, opened, replied=None, state="closed", waiting=None, rating=None):
        row = store.Ticket(
            contact_id=contact.id,
            reason="escalated",
            state=state,
            opened_at=opened,
            first_reply_at=replied,
            waiting_since=waiting,
            rating=rating,
        )
        session.add(row)
        session.flush()
        return row.id

    def officer(user, ticket_id, at, kind="message"):
        session.add(
            store.Message(
                contact_id=wa.id,
                ticket_id=ticket_id,
                direction="out",
                author="officer",
                kind=kind,
                body="balasan",
                status="sent",
                officer_id=user.id,
                created_at=at,
            )
        )

    def claim(user, ticket_id, at):
        session.add(
            store.AuditLog(
                actor_id=user.id, action="ticket.claim", target_type="ticket", at=at, detail={}
            )
        )

    # Midnight WIB is 17:00 UTC: these three fall on three different local days.
    citizen(wa, wib(11, 30, 23, 59, 59), "answer", "ektp-rekam")  # Mon
    citizen(wa, wib(12, 1, 0, 0, 0), "choice", "ektp-rekam")  # Tue 00:00 WIB
    citizen(sms, wib(11, 30, 0, 0, 0), "clarify", body="akta")  # Mon 00:00 = Sun 17:00 UTC
    citizen(wa, wib(11, 29, 23, 59), "escalate", body="lama")  # previous week
    # A pungli report's message: counted as traffic, never as a missed question.
    citizen(wa, wib(12, 3, 9), "escalate", body="rahasia pungli", kind=store.PUNGLI_KIND)
    citizen(sms, wib(12, 4, 9), "escalate", body="ktp saya hilang 1671012345678901 gimana")
    citizen(sms, wib(12, 4, 10), "escalate", body="KTP hilang gimana ya")
    # The bot's own messages are not citizens' traffic.
    session.add(
        store.Message(
            contact_id=wa.id,
            direction="out",
            author="bot",
            body="jawaban",
            status="replied",
            created_at=wib(12, 1, 9),
        )
    )

    t1 = ticket(wa, wib(11, 30, 14, 30), wib(12, 1, 8, 30), rating=3)  # 30 + 30 min
    t2 = ticket(sms, wib(12, 4, 11), wib(12, 7, 9))  # Fri 11:00 → Mon 09:00: 30 + 60 min
    t3 = ticket(sms, wib(12, 5, 10), wib(12, 5, 10, 5), rating=1)  # Saturday: 0
    t4 = ticket(wa, wib(12, 2, 9), state="open", waiting=wib(12, 2, 9))  # no reply yet
    t5 = ticket(wa, wib(12, 3, 8), wib(12, 3, 8, 10), state="claimed", waiting=wib(12, 3, 13))
    t6 = ticket(wa, wib(11, 23, 9), wib(11, 23, 9, 20), rating=2)  # previous week: 20 min

    citizen(wa, wib(12, 2, 10), "rating", ticket=t1)
    citizen(sms, wib(12, 6, 23, 59), "rating", ticket=t3)
    citizen(wa, wib(11, 29, 10), "rating", ticket=t6)

    claim(ani, t1, wib(12, 1, 8, 20))
    claim(ani, t5, wib(12, 3, 8, 5))
    claim(budi, t3, wib(12, 5, 10, 1))
    claim(budi, t2, wib(12, 7, 8, 55))  # after the week
    officer(ani, t1, wib(12, 1, 8, 30))
    officer(ani, t1, wib(12, 1, 9))
    officer(ani, t5, wib(12, 3, 8, 10))
    officer(budi, t3, wib(12, 5, 10, 5))
    officer(budi, t2, wib(12, 7, 9))  # after the week
    officer(budi, t4, wib(12, 2, 9, 30), kind="note")  # a note is not a reply

    for status, at in (
        ("diterima", wib(12, 1, 9)),
        ("selesai", wib(12, 3, 9)),
        ("diterima", wib(11, 25, 9)),  # previous week
    ):
        session.add(
            store.PungliReport(
                code=f"PGL-{at.day:06d}",
                status=status,
                channel="whatsapp",
                what="rahasia",
                reporter_ref="x",
                created_at=at,
            )
        )
    return {"t4": t4, "ani": ani.id, "budi": budi.id}


@pytest.fixture
def seeded(helpdesk):
    with helpdesk.store.session() as session:
        ids = seed(session)
    return helpdesk.store, ids


def test_messages_per_day_by_channel_in_wib_with_empty_days(seeded):
    db, _ = seeded
    with db.session() as session:
        days = reports.messages_per_day(session, WEEK)
    assert [(d.day.isoformat(), d.counts["whatsapp"], d.counts["sms"]) for d in days] == [
        ("2026-11-30", 1, 1),  # 23:59:59 WIB and 00:00 WIB (still Sunday in UTC)
        ("2026-12-01", 1, 0),  # 00:00 WIB
        ("2026-12-02", 1, 0),  # the rating
        ("2026-12-03", 1, 0),  # the pungli message counts as traffic
        ("2026-12-04", 0, 2),
        ("2026-12-05", 0, 0),  # no traffic
        ("2026-12-06", 0, 1),  # 23:59 WIB
    ]
    with db.session() as session:
        before = reports.messages_per_day(session, WEEK.previous())
    assert sum(d.total for d in before) == 2
    assert before[-1].day == dt.date(2026, 11, 29) and before[-1].counts["whatsapp"] == 2


def test_today_starts_at_midnight_wib():
    just_after_midnight = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC)
    today = reports.period("today", just_after_midnight, WIB)
    assert today.first == today.last == dt.date(2026, 12, 1)
    assert today.start == dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)
    assert today.end == dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
    week = reports.period("7d", just_after_midnight, WIB)
    assert (week.first, week.last) == (dt.date(2026, 11, 25), dt.date(2026, 12, 1))
    assert week.previous().last == dt.date(2026, 11, 24)
    assert len(reports.period("30d", just_after_midnight, WIB).days) == 30


@pytest.mark.parametrize(
    ("first", "last"),
    [(dt.date(2026, 12, 6), dt.date(2026, 12, 1)), (dt.date(2025, 1, 1), dt.date(2026, 12, 1))],
)
def test_bad_custom_periods_are_refused(first, last):
    with pytest.raises(ValueError):
        reports.period("custom", NOW, WIB, first, last)


def test_shares_citizens_and_top_entries(seeded):
    db, _ = seeded
    with db.session() as session:
        now, before = reports.shares(session, WEEK), reports.shares(session, WEEK.previous())
        assert reports.citizens(session, WEEK) == 2
        assert reports.citizens(session, WEEK.previous()) == 1
        assert reports.top_entries(session, WEEK) == [("ektp-rekam", 2)]
    # The pungli message is not a question the bot decided on; ratings are not either.
    assert now.counts == {"answered": 2, "clarified": 1, "escalated": 2}
    assert now.percent("answered") == 40.0
    assert before.counts == {"answered": 0, "clarified": 0, "escalated": 1}
    assert reports.Shares(dict.fromkeys(reports.SHARE_KEYS, 0)).percent("answered") is None


def test_missed_questions_are_grouped_masked_and_never_pungli(seeded):
    db, _ = seeded
    with db.session() as session:
        found = reports.top_missed(session, WEEK)
    assert found[0].count == 2
    assert "1671012345678901" not in found[0].text
    texts = " ".join(m.text for m in found)
    assert "rahasia" not in texts and "lama" not in texts  # pungli, previous week
    assert sorted(m.count for m in found) == [1, 2]  # + "akta" (clarified)


def test_waiting_times_count_office_hours_only(seeded):
    db, _ = seeded
    with db.session() as session:
        now = reports.waits(session, WEEK, hours_for)
        before = reports.waits(session, WEEK.previous(), hours_for)
    # Replied: 3600 (Mon 14:30 → Tue 08:30), 5400 (Fri 11:00 → Mon 09:00), 0 (Saturday),
    # 600; one still unanswered.
    assert (now.opened, now.replied) == (5, 4)
    assert now.median == 2100  # (600 + 3600) / 2
    assert now.p90 == 5400
    assert (before.opened, before.replied, before.median, before.p90) == (1, 1, 1200, 1200)


def test_backlog_now(seeded):
    db, ids = seeded
    with db.session() as session:
        backlog = reports.backlog(session, NOW.astimezone(dt.UTC), hours_for)
    assert (backlog.open, backlog.claimed) == (1, 1)
    assert backlog.oldest_ticket == ids["t4"]
    # Wed 09:00 → Mon 10:00: 6 + 7 + 3.5 + 2 hours of office time.
    assert backlog.oldest_seconds == 18.5 * 3600


def test_ratings_distribution_and_csat(seeded):
    db, _ = seeded
    with db.session() as session:
        now, before = reports.ratings(session, WEEK), reports.ratings(session, WEEK.previous())
    assert now.counts == {1: 1, 2: 0, 3: 1}
    assert (now.csat, now.average) == (50.0, 2.0)
    assert before.counts == {1: 0, 2: 1, 3: 0} and before.csat == 0.0


def test_per_officer_claims_answers_and_median_reply(seeded):
    db, ids = seeded
    with db.session() as session:
        lines = reports.officers(session, WEEK, hours_for)
    got = {o.name: (o.claimed, o.answered, o.replies, o.median_wait) for o in lines}
    assert got == {
        "Ani": (2, 2, 3, 2100),  # waits 3600 and 600
        "budi": (1, 1, 1, 0),  # the Saturday reply; the Monday one is after the week
    }
    assert [o.user_id for o in lines] == [ids["ani"], ids["budi"]]


def test_pungli_reports_are_counts_by_status_only(seeded):
    db, _ = seeded
    with db.session() as session:
        counts = reports.pungli_counts(session, WEEK)
    assert counts == {
        "diterima": 1,
        "diverifikasi": 0,
        "ditindaklanjuti": 0,
        "selesai": 1,
        "tidak_terbukti": 0,
    }


def test_dashboard_puts_it_together(seeded):
    db, _ = seeded
    with db.session() as session:
        board = reports.dashboard(session, WEEK, NOW.astimezone(dt.UTC), hours_for)
    assert board.messages == 8 and board.citizens == 2 and board.citizens_before == 1
    assert board.previous.first == dt.date(2026, 11, 23)
    assert board.ratings.total == 2 and board.waits_before.replied == 1


def test_the_dashboard_single_scan_agrees_with_each_query(seeded):
    db, _ = seeded
    with db.session() as session:
        board = reports.dashboard(session, WEEK, NOW.astimezone(dt.UTC), hours_for)
        assert board.per_day == reports.messages_per_day(session, WEEK)
        assert board.shares == reports.shares(session, WEEK)
        assert board.shares_before == reports.shares(session, WEEK.previous())
        assert board.top_entries == reports.top_entries(session, WEEK)
        assert board.citizens == reports.citizens(session, WEEK)
        assert board.citizens_before == reports.citizens(session, WEEK.previous())


def test_a_message_answered_twice_counts_for_both_entries(seeded, helpdesk):
    """Two questions joined get two answers (matcher.Answer.also): both entries count."""
    from bot import conversations
    from bot.messages import WHATSAPP, Inbound

    db, _ = seeded
    text = "syarat kk baru dan syarat akta lahir"  # two questions, each asked in full
    inbound = Inbound(WHATSAPP, "+628333", "+62811", text, "SMboth")
    receipt = conversations.receive(
        db, helpdesk.library, helpdesk.settings, inbound, now=wib(12, 2, 11)
    )
    with db.session() as session:
        stored = session.get(store.Message, receipt.message_id)
        first, second = stored.entry_id, stored.also_entry_id
        assert stored.meta["also"] == [second] and second not in (None, first)
        top = dict(reports.top_entries(session, WEEK))
        board = reports.dashboard(session, WEEK, NOW.astimezone(dt.UTC), hours_for)
    assert top[first] == 1 and top[second] == 1
    assert dict(board.top_entries) == top
