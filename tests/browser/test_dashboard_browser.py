"""A supervisor opens the dashboard over seeded data in Chromium; an officer is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_console_browser import log_in
from tests.conftest import add_user
from tests.test_reports import seed

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("quick_logins")]
WEEK = "/console/dashboard?period=custom&from=2026-11-30&to=2026-12-06"


def test_supervisor_sees_the_charts_and_an_officer_is_refused(
    live_app, helpdesk, browser, base_url, artifacts
):
    with helpdesk.store.session() as session:
        seed(session)
    add_user(helpdesk, "kadis", "supervisor")
    add_user(helpdesk, "petugas", "officer")

    supervisor = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = supervisor.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, "kadis")
    page.get_by_role("link", name="Dasbor").click()
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()
    page.goto(WEEK)
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    for index in range(3):
        expect(charts.nth(index)).to_be_visible()
        assert charts.nth(index).bounding_box()["height"] > 100
    expect(page.locator("#kpi-messages")).to_have_text("8")
    expect(page.locator("#kpi-answered")).to_have_text("40%")
    # The numbers behind a chart are one click away.
    table = page.locator('table[data-table="messages"]')
    expect(table).to_be_hidden()
    page.locator("#chart-messages summary").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(7)
    with page.expect_download() as download:
        page.locator("#chart-messages a.csv").click()
    assert download.value.suggested_filename == "dasbor-messages-2026-11-30-2026-12-06.csv"
    page.screenshot(path=str(artifacts / "dashboard-supervisor.png"), full_page=True)
    assert requests and all(url.startswith(base_url) for url in requests), requests
    supervisor.close()

    officer = browser.new_context(base_url=base_url)
    page = officer.new_page()
    log_in(page, "petugas")
    expect(page.get_by_role("link", name="Dasbor")).to_have_count(0)
    response = page.goto("/console/dashboard")
    assert response.status == 403
    officer.close()
