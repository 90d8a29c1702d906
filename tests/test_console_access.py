"""Access control of the console, as a table: every route × every role, and anonymous.

This is the proof that only the right people reach each page and action. A new console
route fails `test_every_console_route_is_in_the_table` until it is added below.
"""

from __future__ import annotations

import pytest

from bot.accounts import ROLES
from tests.conftest import add_user, citizen_says, csrf_token, latest_ticket_id, login

pytestmark = pytest.mark.usefixtures("quick_logins")

QUEUE = {"officer", "supervisor"}
EVERYONE = set(ROLES)
ADMIN = {"admin"}
SUPERVISOR = {"supervisor"}
DASHBOARD = {"supervisor", "admin"}
OFFICES = {"office-admin", "admin"}  # an office-admin without offices is provincial: all

# (method, path, roles allowed, form) — {ticket} and {user} are filled in per test.
ROUTES = [
    ("GET", "/console/", QUEUE, None),
    ("GET", "/console/queue.json", QUEUE, None),
    ("GET", "/console/home", EVERYONE, None),
    ("GET", "/console/tickets/{ticket}", QUEUE, None),
    ("GET", "/console/tickets/{ticket}/poll.json", QUEUE, None),
    ("POST", "/console/tickets/{ticket}/claim", QUEUE, {}),
    ("POST", "/console/tickets/{ticket}/release", QUEUE, {}),
    ("POST", "/console/tickets/{ticket}/reassign", SUPERVISOR, {"assignee": "{user}"}),
    ("POST", "/console/tickets/{ticket}/reply", QUEUE, {"body": "Selamat siang"}),
    ("POST", "/console/tickets/{ticket}/template", QUEUE, {}),
    ("POST", "/console/tickets/{ticket}/note", QUEUE, {"body": "catatan"}),
    ("POST", "/console/tickets/{ticket}/close", QUEUE, {"resolution": "selesai"}),
    ("POST", "/console/tickets/{ticket}/office", QUEUE, {"office": "palembang"}),
    ("GET", "/console/users", ADMIN, None),
    ("POST", "/console/users", ADMIN, {"username": "baru", "roles": "officer"}),
    ("POST", "/console/users/{user}", ADMIN, {"roles": "officer", "active": "1"}),
    ("POST", "/console/users/{user}/password", ADMIN, {}),
    ("GET", "/console/dashboard", DASHBOARD, None),
    ("GET", "/console/dashboard/messages.csv", DASHBOARD, None),
    ("GET", "/console/offices/", OFFICES, None),
    ("GET", "/console/offices/lahat", OFFICES, None),
    ("POST", "/console/offices/lahat", OFFICES, {"hours_default": "1"}),
    ("GET", "/console/offices/history", OFFICES, None),
]
PUBLIC = {("GET", "/console/login"), ("POST", "/console/login"), ("POST", "/console/logout")}


def _rule(path: str) -> str:
    path = path.replace("/dashboard/messages.csv", "/dashboard/<name>.csv")
    path = path.replace("/offices/lahat", "/offices/<office_id>")
    return path.replace("{ticket}", "<int:ticket_id>").replace("{user}", "<int:user_id>")


def test_every_console_route_is_in_the_table(app):
    table = {(method, _rule(path)) for method, path, _, _ in ROUTES} | PUBLIC
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("offices.change", "offices.revert"):
            continue  # they need a change id: driven in tests/test_office_page.py
        if rule.endpoint == "console.media":
            continue  # it needs a message with media: driven in tests/test_console_media.py
        if (
            not rule.endpoint.startswith(("console.", "offices."))
            or rule.endpoint == "console.static"
        ):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.rule) in table, f"{method} {rule.rule} has no access rule"


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
@pytest.mark.parametrize(
    ("method", "path", "allowed", "form"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_console_route_access(app, helpdesk, client, role, method, path, allowed, form):
    citizen_says(client, "petugas")
    ticket = latest_ticket_id(helpdesk)
    other = add_user(helpdesk, "lain", "officer")
    if role:
        add_user(helpdesk, "saya", role)
        assert login(client, "saya").status_code == 302
    url = path.format(ticket=ticket, user=other)
    if method == "GET":
        response = client.get(url)
    else:
        data = {k: v.format(ticket=ticket, user=other) for k, v in (form or {}).items()}
        response = client.post(url, data={**data, "csrf_token": csrf_token(client)})

    location = response.headers.get("Location", "")
    if role is None:
        if url.endswith(".json"):
            assert response.status_code == 401
        else:
            assert response.status_code == 302 and "/console/login" in location
    elif role in allowed:
        assert response.status_code in (200, 302), response.status_code
        assert "/console/login" not in location
    else:
        assert response.status_code == 403


def test_posts_without_csrf_token_are_refused(client, helpdesk):
    citizen_says(client, "petugas")
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")
    ticket = latest_ticket_id(helpdesk)
    assert client.post(f"/console/tickets/{ticket}/claim").status_code == 400
    assert client.post("/console/login", data={"username": "budi"}).status_code == 400
