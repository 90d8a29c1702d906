"""The dashboard page: supervisors and admins see the seeded week as charts, numbers and CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from bot import store
from tests.conftest import add_user, login
from tests.test_reports import seed, wib

pytestmark = pytest.mark.usefixtures("quick_logins")
WEEK = "/console/dashboard?period=custom&from=2026-11-30&to=2026-12-06"


@pytest.fixture
def supervisor(client, helpdesk):
    with helpdesk.store.session() as session:
        seed(session)
    add_user(helpdesk, "kadis", "supervisor")
    login(client, "kadis")
    return client


def test_supervisor_sees_the_week_as_charts_with_numbers(supervisor):
    response = supervisor.get(WEEK)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<svg class="chart"') == 3
    assert 'id="kpi-messages">8<' in html
    assert 'id="kpi-citizens">2<' in html
    assert 'id="kpi-answered">40%<' in html
    assert 'id="kpi-csat">50%<' in html
    assert 'id="kpi-wait">35 mnt · 1 j 30 mnt<' in html  # median 2100 s, p90 5400 s
    # Every chart's numbers one click away, and a CSV link with the same period.
    assert html.count('<details class="numbers">') >= 3
    link = "/console/dashboard/messages.csv?period=custom&amp;from=2026-11-30&amp;to=2026-12-06"
    assert link in html
    assert "<td>2026-12-05</td><td>0</td><td>0</td><td>0</td>" in html  # a day without traffic
    assert "Ani" in html and "budi" in html
    # A supervisor without the editor role cannot open the learning loop: no dead link.
    assert "/console/faq/missed" not in html
    assert "halaman pembelajaran FAQ" in html


def test_editors_among_supervisors_get_the_learning_loop_link(client, helpdesk):
    with helpdesk.store.session() as session:
        seed(session)
    add_user(helpdesk, "kabid", "supervisor", "editor")
    login(client, "kabid")
    html = client.get(WEEK).get_data(as_text=True)
    assert "/console/faq/missed" in html
    assert client.get("/console/faq/missed").status_code == 200


def test_nothing_is_loaded_from_elsewhere(supervisor):
    html = supervisor.get(WEEK).get_data(as_text=True)
    assert "<script src" not in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith(("/", "#", "?")) for u in urls), urls


def test_pungli_reports_show_counts_only(supervisor):
    html = supervisor.get(WEEK).get_data(as_text=True)
    assert "rahasia" not in html  # the report's text and the pungli message
    assert "PGL-" not in html
    section = html.split('id="table-pungli"')[1].split("</section>")[0]
    assert re.findall(r'class="number">(\d+)<', section) == ["1", "0", "0", "1", "0"]


def test_citizen_text_is_escaped_everywhere(supervisor, helpdesk):
    with helpdesk.store.session() as session:
        contact = session.query(store.Contact).first()
        session.add(
            store.Message(
                contact_id=contact.id,
                direction="in",
                author="citizen",
                body='<script>alert(1)</script> "=cmd"',
                status="received",
                outcome="escalate",
                created_at=wib(12, 5, 9),
            )
        )
    html = supervisor.get(WEEK).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_csv_download_has_the_chart_numbers(supervisor):
    response = supervisor.get(WEEK.replace("/dashboard?", "/dashboard/messages.csv?"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "dasbor-messages-2026-11-30-2026-12-06.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["tanggal", "whatsapp", "sms", "jumlah"]
    assert rows[1:] == [
        ["2026-11-30", "1", "1", "2"],
        ["2026-12-01", "1", "0", "1"],
        ["2026-12-02", "1", "0", "1"],
        ["2026-12-03", "1", "0", "1"],
        ["2026-12-04", "0", "2", "2"],
        ["2026-12-05", "0", "0", "0"],
        ["2026-12-06", "0", "1", "1"],
    ]
    shares = supervisor.get(WEEK.replace("/dashboard?", "/dashboard/shares.csv?"))
    assert "Dijawab bot,2,40%,0,0%" in shares.get_data(as_text=True)
    assert supervisor.get("/console/dashboard/nothing.csv").status_code == 404


def test_csv_cells_never_run_as_formulas(supervisor, helpdesk):
    with helpdesk.store.session() as session:
        contact = session.query(store.Contact).first()
        session.add(
            store.Message(
                contact_id=contact.id,
                direction="in",
                author="citizen",
                body='=HYPERLINK("http://x")',
                status="received",
                outcome="escalate",
                created_at=wib(12, 5, 9),
            )
        )
    text = supervisor.get(WEEK.replace("/dashboard?", "/dashboard/missed.csv?")).get_data(
        as_text=True
    )
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


@pytest.mark.parametrize("period", ["today", "7d", "30d"])
def test_periods(supervisor, period):
    html = supervisor.get(f"/console/dashboard?period={period}").get_data(as_text=True)
    assert 'aria-current="page"' in html and html.count('<svg class="chart"') == 3
    days = 1 if period == "today" else int(period[:-1])
    assert html.count("<td>20") >= days  # one row per day in the numbers table


def test_bad_custom_dates_fall_back_to_seven_days(supervisor):
    response = supervisor.get("/console/dashboard?period=custom&from=2026-12-06&to=2026-12-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Periode tidak sah" in html


@pytest.mark.parametrize("role", ["officer", "editor", "investigator"])
def test_other_roles_are_refused(client, helpdesk, role):
    add_user(helpdesk, "orang", role)
    login(client, "orang")
    assert client.get("/console/dashboard").status_code == 403
    assert client.get("/console/dashboard/messages.csv").status_code == 403


def test_nav_shows_the_dashboard_to_supervisors_only(client, helpdesk):
    add_user(helpdesk, "kadis", "supervisor")
    add_user(helpdesk, "petugas", "officer")
    login(client, "kadis")
    assert ">Dasbor</a>" in client.get("/console/").get_data(as_text=True)
    other = client.application.test_client()
    login(other, "petugas")
    assert ">Dasbor</a>" not in other.get("/console/").get_data(as_text=True)
