"""/admin/reports in a real browser (Debian's chromium through playwright) against a real hub
process over three simulated hall days (`hallcall simulate`) and a few tickets of today: the
charts render inline with a bar per busy hour, service and rating; the headline figures are the
API's total for the period shown; the period picker changes them (today, yesterday, this month,
a custom range, a reversed one refused in place); the table follows its grouping; the CSV and
XLSX downloads open; the period's unsatisfied ratings are listed; a clerk is refused.

Needs `pip install playwright` and `apt-get install chromium fonts-noto-cjk` (see .ci/run);
skipped when either is missing. One hub and one browser serve the whole module.
"""
from __future__ import annotations

import csv
import io
import math
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from browser_support import DESKTOP, WAIT_MS, checked_context, require_browser
from real_server import RealServer

sync_api = require_browser()
expect = sync_api.expect

pytestmark = pytest.mark.slow

DAYS, PER_DAY = 3, 40
FIGURES = ("issued", "served", "no_show_rate", "wait_avg", "wait_p90", "sla", "satisfaction")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A hub over DAYS simulated days before today, and today: three tickets at window 1, one
    served and rated unsatisfied, one served and rated satisfied, one waiting."""
    from hallcall.server.config import load_config
    from hallcall.server.simulate import simulate

    tmp = tmp_path_factory.mktemp("reports")
    simulate(load_config(), f"sqlite:///{tmp / 'h.db'}", days=DAYS, per_day=PER_DAY, seed=14)
    server = RealServer(tmp / "h.db", tmp / "hub.log").start()
    kiosk, admin = server.client("demo-kiosk"), server.client("demo-admin")
    try:
        numbers = [kiosk.issue("company-name")["ticket"]["number"] for _ in range(3)]
        for number, rating in zip(numbers, ("unsatisfied", "satisfied"), strict=False):
            admin.window("1", "call", {"number": number})
            admin.window("1", "finish", {"rating": rating})
        server.today_numbers = numbers
        yield server
    finally:
        kiosk.close()
        admin.close()
        server.stop()


@pytest.fixture
def api(hub):
    client = hub.client("demo-admin")

    def get(path: str, **query) -> dict:
        return client.request("GET", f"{path}?{urlencode(query)}")[1]

    yield get
    client.close()


def shown(total: dict) -> dict:
    """The headline as the page words it (minutes to one decimal, shares in %, halves up)."""
    def mins(s):
        return "—" if s is None else f"{math.floor(s / 6 + 0.5) / 10:.1f}"

    def pct(part, whole):
        return f"{math.floor(part * 1000 / whole + 0.5) / 10:.1f}%" if whole else "—"

    r = total["ratings"]
    return {"issued": str(total["issued"]), "served": str(total["served"]),
            "no_show_rate": pct(total["no_show"], total["called"]),
            "wait_avg": mins(total["wait_avg_s"]), "wait_p90": mins(total["wait_p90_s"]),
            "sla": "—" if total["sla_pct"] is None else f"{total['sla_pct']:.1f}%",
            "satisfaction": pct(r["satisfied"], r["satisfied"] + r["basic"] + r["unsatisfied"])}


def headline(page) -> dict:
    return {k: page.locator(f"#fig-{k}").inner_text() for k in FIGURES}


def wait_for_range(page, start: str, end: str) -> None:
    expect(page.locator("#main")).to_have_attribute("data-range", f"{start}..{end}", timeout=WAIT_MS * 2)
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")


def chart_bars(page, name: str) -> list[str]:
    return page.locator(f"#chart-{name}-box svg rect.bar").evaluate_all(
        "bars => bars.map(b => b.getAttribute('data-key'))")


def busy_hours(report: dict) -> list[str]:
    keys = [r["key"] for r in report["rows"] if r["issued"]]
    return [r["key"] for r in report["rows"] if keys and keys[0] <= r["key"] <= keys[-1]]


def check_period(page, api, start: str, end: str) -> dict:
    """The page shows start..end: its headline is the API's total, its charts the API's rows."""
    wait_for_range(page, start, end)
    total = api("/api/reports", **{"from": start, "to": end, "by": "service"})
    assert headline(page) == shown(total["total"])
    by_hour = api("/api/reports", **{"from": start, "to": end, "by": "hour"})
    assert chart_bars(page, "arrivals") == busy_hours(by_hour)
    assert chart_bars(page, "sla") == [r["key"] for r in sorted(
        (r for r in total["rows"] if r["sla_pct"] is not None),
        key=lambda r: (r["sla_pct"], -r["called"], r["key"]))][:15]
    assert chart_bars(page, "ratings") == ["satisfied", "basic", "unsatisfied"]
    return total


def test_the_reports_page_over_a_few_days(hub, browser, api, tmp_path):
    with checked_context(browser, **DESKTOP) as context:
        page = context.new_page()
        console_errors: list[str] = []  # a CSP refusal, say, is only a console message
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))

        # From /admin's top bar, signed in on the way, as a supervisor.
        page.goto(f"{hub.url}/admin")
        page.wait_for_url("**/console/login?next=/admin")
        page.fill("#clerk", "lead")
        page.fill("#password", "demo")
        page.press("#password", "Enter")
        page.wait_for_url("**/admin")
        page.click("#to-reports")
        page.wait_for_url("**/admin/reports**")

        today = api("/api/hall")["hall"]["day"]  # the hub's hall day, which the page uses too
        expect(page.locator("#period-today")).to_have_attribute("aria-pressed", "true")
        totals_today = check_period(page, api, today, today)
        assert totals_today["total"]["issued"] == 3
        hours = api("/api/reports", **{"from": today, "to": today, "by": "hour"})["rows"]
        assert chart_bars(page, "waits") == [r["key"] for r in hours if r["wait_avg_s"] is not None]
        expect(page.locator("#unsat-rows tr")).to_have_count(1)
        expect(page.locator("#unsat-rows")).to_contain_text(hub.today_numbers[0])

        # Yesterday: a simulated day, another set of figures altogether.
        yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
        page.click("#period-yesterday")
        totals = check_period(page, api, yesterday, yesterday)
        assert headline(page) != shown(totals_today["total"]) and totals["total"]["issued"] == PER_DAY
        assert len(chart_bars(page, "waits")) > 3  # one day: its hours

        # This month: from its first day to today.
        page.click("#period-month")
        month = today[:8] + "01"
        check_period(page, api, month, today)
        expect(page).to_have_url(f"{hub.url}/admin/reports?period=month")

        # Any range: a reversed one is refused where it was typed, and nothing changes.
        first = (date.fromisoformat(today) - timedelta(days=DAYS)).isoformat()
        page.click("#period-custom")
        expect(page.locator("#from")).to_be_focused()
        page.fill("#from", today)
        page.fill("#to", first)
        page.press("#to", "Enter")
        expect(page.locator("#range-error")).to_contain_text("开始日期不能晚于结束日期")
        expect(page.locator("#from")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#main")).to_have_attribute("data-range", f"{month}..{today}")
        page.fill("#from", first)
        page.fill("#to", today)
        page.click("#custom-apply")
        totals = check_period(page, api, first, today)
        expect(page.locator("#range-error")).to_be_hidden()
        assert totals["total"]["issued"] == DAYS * PER_DAY + 3
        assert len(chart_bars(page, "waits")) == DAYS + 1  # by day now: every day had calls

        # The table by service and by hour, with the report's rows.
        expect(page.locator("#report-rows tr")).to_have_count(len(totals["rows"]))
        page.click("#by-hour")
        expect(page.locator("#report-table")).to_have_attribute("data-by", "hour")
        expect(page.locator("#report-rows tr")).to_have_count(24)
        expect(page.locator("#report-total")).to_contain_text(str(totals["total"]["issued"]))

        # Its downloads open: the CSV with its BOM and rows, the XLSX in openpyxl.
        with page.expect_download() as got:
            page.click("#dl-csv")
        raw = (tmp_path / "r.csv")
        got.value.save_as(raw)
        text = raw.read_bytes().decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        hours = [f"{h:02d}" for h in range(24)]
        assert [r["key"] for r in rows] == [*hours, "total"]
        issued = totals["total"]["issued"]
        assert sum(int(r["issued"]) for r in rows[:24]) == int(rows[24]["issued"]) == issued
        with page.expect_download() as got:
            page.click("#dl-xlsx")
        got.value.save_as(tmp_path / "r.xlsx")
        from openpyxl import load_workbook

        book = load_workbook(tmp_path / "r.xlsx", read_only=True)
        try:
            cells = [list(row) for row in book.active.iter_rows(values_only=True)]
        finally:
            book.close()  # read-only books keep their file open until closed
        head = next(r for r in cells if "issued" in r)  # the field names' header row
        body = cells[cells.index(head) + 1:]
        key, column = head.index("key"), head.index("issued")
        assert [r[key] for r in body] == [*hours, "total"]
        assert [r[column] for r in body] == [int(r["issued"]) for r in rows]

        # The unsatisfied ratings of the period, for follow-up.
        unsatisfied = api("/api/reports/unsatisfied", **{"from": first, "to": today})["tickets"]
        expect(page.locator("#unsat-rows tr")).to_have_count(len(unsatisfied))
        assert page.locator("#unsat-rows tr").first.get_attribute("data-ticket") == unsatisfied[0]["id"]

        # English: the charts drawn again in it.
        page.click("#lang")
        r = totals["total"]["ratings"]
        expect(page.locator("#chart-ratings-box svg")).to_have_attribute(
            "aria-label", f"Citizens' ratings: satisfied {r['satisfied']}, basic {r['basic']}, "
                          f"unsatisfied {r['unsatisfied']}")
        expect(page.locator("#fig-issued")).to_have_text(str(totals["total"]["issued"]))
        page.click("#lang")
        assert not console_errors, console_errors


def test_a_clerk_is_refused(hub, browser):
    with checked_context(browser, **DESKTOP) as context:
        page = context.new_page()
        page.goto(f"{hub.url}/admin/reports")
        page.wait_for_url("**/console/login?next=/admin/reports")
        page.fill("#clerk", "w3")
        page.fill("#password", "demo")
        page.press("#password", "Enter")
        expect(page.locator("#message h1")).to_contain_text("报表仅供值班主任和管理员查看")
        expect(page.locator("#headline")).to_have_count(0)
