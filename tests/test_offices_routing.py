"""Routing per office: tickets and pungli reports carry the office; officers, supervisors and
investigators see their offices' work (empty offices = provincial = all); moving a ticket to
another office is one logged action; accounts' offices from the admin page and the CLI."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot import accounts, store, tickets
from tests.conftest import PASSWORD, citizen_says, csrf_token, latest_ticket_id, login

pytestmark = pytest.mark.usefixtures("quick_logins")

CITIZENS = {"palembang": "+6281111111111", "oki": "+6282222222222", None: "+6283333333333"}


def user(helpdesk, name, *roles, offices=()):
    with helpdesk.store.session() as session:
        created, _ = accounts.create_user(
            session, name, roles, display_name=name.title(), password=PASSWORD, offices=offices
        )
        return created.id


@pytest.fixture
def tickets_by_office(client, helpdesk):
    """One open ticket per office (and one whose office is not known)."""
    found = {}
    for office_id, number in CITIZENS.items():
        citizen_says(client, "petugas", number=number)
        ticket_id = latest_ticket_id(helpdesk, number)
        with helpdesk.store.session() as session:
            session.get(store.Ticket, ticket_id).office_id = office_id
        found[office_id] = ticket_id
    return found


def queue_of(helpdesk, user_id):
    with helpdesk.store.session() as session:
        actor = tickets.Actor.of(session.get(store.User, user_id))
        return {row.ticket_id for row in tickets.queue(session, actor)}


@pytest.mark.parametrize(
    ("roles", "offices", "sees"),
    [
        (("officer",), ("palembang",), {"palembang"}),
        (("officer",), ("palembang", "oki"), {"palembang", "oki"}),
        (("officer",), (), {"palembang", "oki", None}),  # provincial officer
        (("supervisor",), (), {"palembang", "oki", None}),  # provincial supervisor
        (("supervisor",), ("oki",), {"oki"}),  # a district's supervisor
    ],
)
def test_the_queue_shows_ones_offices(helpdesk, tickets_by_office, roles, offices, sees):
    user_id = user(helpdesk, "petugas1", *roles, offices=offices)
    assert queue_of(helpdesk, user_id) == {tickets_by_office[o] for o in sees}


def test_another_offices_ticket_is_not_found(client, helpdesk, tickets_by_office):
    user(helpdesk, "plg", "officer", offices=("palembang",))
    login(client, "plg")
    assert client.get(f"/console/tickets/{tickets_by_office['palembang']}").status_code == 200
    assert client.get(f"/console/tickets/{tickets_by_office['oki']}").status_code == 404
    assert client.get(f"/console/tickets/{tickets_by_office[None]}").status_code == 404


def test_moving_a_ticket_to_another_office_is_one_logged_action(
    client, helpdesk, tickets_by_office
):
    ticket_id = tickets_by_office["palembang"]
    user(helpdesk, "plg", "officer", offices=("palembang",))
    login(client, "plg")
    client.post(f"/console/tickets/{ticket_id}/claim", data={"csrf_token": csrf_token(client)})
    page = client.get(f"/console/tickets/{ticket_id}").get_data(as_text=True)
    assert "Pindahkan ke kantor ini" in page
    response = client.post(
        f"/console/tickets/{ticket_id}/office",
        data={"office": "oki", "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "dipindahkan ke Disdukcapil Kabupaten Ogan Komering Ilir" in response.get_data(
        as_text=True
    )
    with helpdesk.store.session() as session:
        ticket = session.get(store.Ticket, ticket_id)
        assert (ticket.office_id, ticket.contact.office_id) == ("oki", "oki")
        assert (ticket.state, ticket.assignee_id) == ("open", None)  # OKI's officers pick it up
        logged = session.scalars(
            select(store.AuditLog).where(store.AuditLog.action == "ticket.office")
        ).all()
        assert [(a.target_id, a.detail) for a in logged] == [
            (str(ticket_id), {"previous": "palembang", "office": "oki"})
        ]
    # Now it belongs to OKI: Palembang's officer no longer sees it.
    assert client.get(f"/console/tickets/{ticket_id}").status_code == 404


def test_an_unknown_office_is_refused(client, helpdesk, tickets_by_office):
    user(helpdesk, "prov", "supervisor")
    login(client, "prov")
    ticket_id = tickets_by_office[None]
    response = client.post(
        f"/console/tickets/{ticket_id}/office",
        data={"office": "jakarta", "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "Pilih kantor tujuan dari daftar." in response.get_data(as_text=True)
    with helpdesk.store.session() as session:
        assert session.get(store.Ticket, ticket_id).office_id is None


def add_report(helpdesk, code, office_id):
    with helpdesk.store.session() as session:
        session.add(
            store.PungliReport(code=code, office_id=office_id, channel="whatsapp", reporter_ref="x")
        )


@pytest.mark.parametrize(
    ("offices", "sees"),
    [(("oki",), {"PGL-OKI222"}), ((), {"PGL-OKI222", "PGL-PLG222", "PGL-NONE22"})],
)
def test_investigators_see_their_offices_reports(client, helpdesk, offices, sees):
    add_report(helpdesk, "PGL-OKI222", "oki")
    add_report(helpdesk, "PGL-PLG222", "palembang")
    add_report(helpdesk, "PGL-NONE22", None)
    user(helpdesk, "penyidik", "investigator", offices=offices)
    login(client, "penyidik")
    listed = set(re.findall(r"PGL-[A-Z0-9]{6}", client.get("/console/pungli/").get_data(True)))
    assert listed == sees
    exported = client.get("/console/pungli/export.csv").get_data(as_text=True)
    assert set(re.findall(r"PGL-[A-Z0-9]{6}", exported)) == sees
    for code in ("PGL-OKI222", "PGL-PLG222", "PGL-NONE22"):
        status = client.get(f"/console/pungli/{code}").status_code
        assert status == (200 if code in sees else 404)


def test_a_pungli_report_carries_the_office_where_it_happened(client, helpdesk):
    number = "+6284444444444"
    steps = [
        "lapor",
        "petugas minta 100rb biar ktp cepat jadi",
        "1",
        "Disdukcapil Muara Enim",
        "kemarin",
        "100rb",
        "lewati",
        "1",
        "1",
    ]
    for text in steps:
        citizen_says(client, text, number=number)
    with helpdesk.store.session() as session:
        report = session.scalars(select(store.PungliReport)).one()
        assert report.office_id == "muara-enim"


def test_admin_sets_an_accounts_offices(client, helpdesk):
    user(helpdesk, "admin1", "admin")
    target = user(helpdesk, "petugas2", "officer")
    login(client, "admin1")
    page = client.get("/console/users").get_data(as_text=True)
    assert 'value="pagaralam"' in page
    client.post(
        f"/console/users/{target}",
        data={
            "roles": "officer",
            "active": "1",
            "offices_shown": "1",
            "offices": ["pagaralam", "lahat"],
            "csrf_token": csrf_token(client),
        },
    )
    with helpdesk.store.session() as session:
        assert session.get(store.User, target).offices == ["lahat", "pagaralam"]
    client.post(
        f"/console/users/{target}",
        data={"roles": "officer", "active": "1", "offices_shown": "1", "offices": "atlantis",
              "csrf_token": csrf_token(client)},
    )  # fmt: skip
    with helpdesk.store.session() as session:
        assert session.get(store.User, target).offices == ["lahat", "pagaralam"]


def test_users_add_takes_offices(app, helpdesk):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "add", "budi", "--role", "officer", "--office", "oki", "--office", "pali"]
    )
    assert result.exit_code == 0, result.output
    with helpdesk.store.session() as session:
        assert accounts.find_user(session, "budi").offices == ["oki", "pali"]
    result = runner.invoke(args=["users", "add", "ani", "--role", "officer", "--office", "bogor"])
    assert result.exit_code != 0 and "kantor tidak dikenal" in result.output
