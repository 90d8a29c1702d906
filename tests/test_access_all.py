"""Access control of EVERY route, as one table: who may reach it (a role set, Twilio's
signature, a bearer token, anyone) — and a check of each page-level route × every role
and anonymous. A new route anywhere in the app fails `test_every_route_is_in_the_table`
until it is added here. Parameterised console routes are also driven, with real ids, by
their own tables (tests/test_console_access.py, tests/test_pungli_console.py,
tests/test_faq_editor.py, tests/test_office_page.py); this file proves none is forgotten."""

from __future__ import annotations

import pytest

from bot.accounts import ROLES
from tests.conftest import add_user, login

pytestmark = pytest.mark.usefixtures("quick_logins")

EVERYONE = frozenset(ROLES)
QUEUE = frozenset({"officer", "supervisor"})
ADMIN = frozenset({"admin"})
SUPERVISOR = frozenset({"supervisor"})
EDITORS = frozenset({"editor", "admin"})
INVESTIGATOR = frozenset({"investigator"})
OFFICES = frozenset({"office-admin", "admin"})
SIGNED, TOKEN, ANYONE = "twilio-signature", "metrics-token", "anyone"

# (method, rule) -> who. Page-level GET routes without parameters are requested below.
TABLE = {
    ("POST", "/webhooks/twilio"): SIGNED,
    ("POST", "/webhooks/twilio/status"): SIGNED,
    ("GET", "/healthz"): ANYONE,
    ("GET", "/metrics"): TOKEN,
    ("GET", "/static/<path:filename>"): ANYONE,
    ("GET", "/simulator"): ANYONE,  # development; production: staff and SIMULATOR_ENABLED
    ("GET", "/simulator/messages"): ANYONE,
    ("POST", "/simulator/send"): ANYONE,
    ("GET", "/simulator/simulator-static/<path:filename>"): ANYONE,
    ("GET", "/console/login"): ANYONE,
    ("POST", "/console/login"): ANYONE,
    ("POST", "/console/logout"): ANYONE,
    ("GET", "/console/static/<path:filename>"): ANYONE,
    ("GET", "/console/home"): EVERYONE,
    ("GET", "/console/"): QUEUE,
    ("GET", "/console/queue.json"): QUEUE,
    ("GET", "/console/tickets/<int:ticket_id>"): QUEUE,
    ("GET", "/console/tickets/<int:ticket_id>/poll.json"): QUEUE,
    ("GET", "/console/tickets/<int:ticket_id>/media/<int:message_id>/<int:number>"): QUEUE,
    ("POST", "/console/tickets/<int:ticket_id>/claim"): QUEUE,
    ("POST", "/console/tickets/<int:ticket_id>/release"): QUEUE,
    ("POST", "/console/tickets/<int:ticket_id>/reassign"): SUPERVISOR,
    ("POST", "/console/tickets/<int:ticket_id>/office"): QUEUE,
    ("POST", "/console/tickets/<int:ticket_id>/reply"): QUEUE,
    ("POST", "/console/tickets/<int:ticket_id>/template"): QUEUE,
    ("POST", "/console/tickets/<int:ticket_id>/note"): QUEUE,
    ("POST", "/console/tickets/<int:ticket_id>/close"): QUEUE,
    ("GET", "/console/users"): ADMIN,
    ("POST", "/console/users"): ADMIN,
    ("POST", "/console/users/<int:user_id>"): ADMIN,
    ("POST", "/console/users/<int:user_id>/password"): ADMIN,
    ("GET", "/console/dashboard"): SUPERVISOR | ADMIN,
    ("GET", "/console/dashboard/<name>.csv"): SUPERVISOR | ADMIN,
    ("GET", "/console/faq/"): EDITORS,
    ("GET", "/console/faq/entries/<entry_id>"): EDITORS,
    ("POST", "/console/faq/entries/<entry_id>"): EDITORS,
    ("POST", "/console/faq/entries/<entry_id>/retire"): EDITORS,
    ("GET", "/console/faq/history"): EDITORS,
    ("GET", "/console/faq/history/<int:change_id>"): EDITORS,
    ("POST", "/console/faq/history/<int:change_id>/revert"): EDITORS,
    ("GET", "/console/faq/missed"): EDITORS,
    ("POST", "/console/faq/missed/variant"): EDITORS,
    ("POST", "/console/faq/missed/example"): EDITORS,
    ("GET", "/console/faq/new"): EDITORS,
    ("POST", "/console/faq/new"): EDITORS,
    ("POST", "/console/faq/preview"): EDITORS,
    ("POST", "/console/faq/try"): EDITORS,
    ("GET", "/console/offices/"): OFFICES,
    ("GET", "/console/offices/<office_id>"): OFFICES,
    ("POST", "/console/offices/<office_id>"): OFFICES,
    ("GET", "/console/offices/history"): OFFICES,
    ("GET", "/console/offices/history/<int:change_id>"): OFFICES,
    ("POST", "/console/offices/history/<int:change_id>/revert"): OFFICES,
    ("GET", "/console/pungli"): INVESTIGATOR,
    ("GET", "/console/pungli/"): INVESTIGATOR,
    ("GET", "/console/pungli/<code>"): INVESTIGATOR,
    ("GET", "/console/pungli/<code>/evidence/<int:evidence_id>"): INVESTIGATOR,
    ("POST", "/console/pungli/<code>/note"): INVESTIGATOR,
    ("POST", "/console/pungli/<code>/status"): INVESTIGATOR,
    ("GET", "/console/pungli/export.csv"): INVESTIGATOR,
}
# Pages refused with 404 (their existence is itself confidential), not 403.
HIDDEN = ("/console/pungli",)


def test_every_route_is_in_the_table(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(routes - set(TABLE)) == [], "routes without an access rule"
    assert sorted(set(TABLE) - routes) == [], "rules for routes that no longer exist"


PAGES = sorted(
    path
    for (method, path), who in TABLE.items()
    if method == "GET" and "<" not in path and isinstance(who, frozenset)
)


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
@pytest.mark.parametrize("path", PAGES)
def test_every_staff_page_admits_exactly_its_roles(client, helpdesk, role, path):
    allowed = TABLE[("GET", path)]
    if role:
        add_user(helpdesk, "saya", role)
        assert login(client, "saya").status_code == 302
    response = client.get(path)

    hidden = path.startswith(HIDDEN)
    if role in allowed:  # /console/home sends each role on to its own landing page
        assert response.status_code in (200, 302), response.status_code
        assert "/console/login" not in response.headers.get("Location", "")
    elif role is None and not hidden:
        assert response.status_code in (302, 401)
        if response.status_code == 302:
            assert "/console/login" in response.headers["Location"]
    else:
        assert response.status_code == (404 if hidden else 403)


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
def test_webhooks_answer_to_the_signature_not_to_roles(client, helpdesk, role):
    if role:
        add_user(helpdesk, "saya", role)
        login(client, "saya")
    form = {"From": "whatsapp:+6281234567890", "Body": "halo", "MessageSid": "SM1"}
    for path in ("/webhooks/twilio", "/webhooks/twilio/status"):
        assert client.post(path, data={**form, "MessageStatus": "sent"}).status_code == 403


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
def test_health_is_open_and_metrics_need_the_token(app, client, helpdesk, role):
    app.config["METRICS_TOKEN"] = "rahasia-metrik"
    if role:
        add_user(helpdesk, "saya", role)
        login(client, "saya")
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 401  # a console login is not enough
    bearer = {"Authorization": "Bearer rahasia-metrik"}
    assert client.get("/metrics", headers=bearer).status_code == 200
