"""/admin/reports and its charts (GET /api/reports/charts/<name>.svg) through Flask's test
client: the charts draw what GET /api/reports answers for the same period, who may see them and
the page (a supervisor or admin; a clerk a polite 403; nobody signed in: the sign-in and back to
the same period), an unknown chart 404, a bad range 400, an empty period an empty chart."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from helpers import ADMIN, BUTTONS, DISPLAY, KIOSK

SVG = "{http://www.w3.org/2000/svg}"
DAY = "2026-11-26"  # the test clock's hall day
RANGE = f"from={DAY}&to={DAY}"


def sign_in(client, member: str, **form):
    """Through the console's sign-in form, as a browser does (`next`: where it goes on to)."""
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return client.post("/console/login", data={"csrf_token": token.group(1), "clerk": member,
                                               "password": "demo", **form})


def issue(c, service="company-name", n=1):
    for _ in range(n):
        assert c.post("/api/tickets", json={"service": service}, headers=KIOSK).status_code == 201


def serve(c, number, rating=None, window="1"):
    assert c.post(f"/api/windows/{window}/call", json={"number": number}, headers=ADMIN).status_code == 200
    body = {"rating": rating} if rating else {}
    assert c.post(f"/api/windows/{window}/finish", json=body, headers=BUTTONS).status_code == 200


def a_day(c, clock):
    """A morning and an afternoon: five tickets at 09:00, three at 14:03 (another service);
    some served with ratings, one unsatisfied, some never called."""
    issue(c, n=5)
    clock.advance(minutes=12)
    serve(c, "A001", "satisfied")
    serve(c, "A002", "unsatisfied")
    clock.advance(minutes=40)
    serve(c, "A003", "basic")
    clock.advance(hours=4, minutes=10)
    issue(c, "company-change", n=3)
    clock.advance(minutes=5)
    serve(c, "C001", "satisfied")


def svg_of(response) -> ET.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml"
    return ET.fromstring(response.get_data(as_text=True))


def bars(root) -> list[tuple[str, str]]:
    return [(e.get("data-key"), e.get("data-value")) for e in root.iter(f"{SVG}rect")
            if e.get("class") == "bar"]


def test_the_charts_draw_what_the_report_of_the_same_period_says(client, clock):
    a_day(client, clock)
    by_hour = client.get(f"/api/reports?{RANGE}&by=hour", headers=DISPLAY).json
    busy = [r for r in by_hour["rows"] if r["issued"]]
    assert [r["key"] for r in busy] == ["09", "14"]
    root = svg_of(client.get(f"/api/reports/charts/arrivals.svg?{RANGE}", headers=DISPLAY))
    span = [r for r in by_hour["rows"] if busy[0]["key"] <= r["key"] <= busy[-1]["key"]]
    assert bars(root) == [(r["key"], str(r["issued"])) for r in span]

    by_service = client.get(f"/api/reports?{RANGE}&by=service", headers=DISPLAY).json
    root = svg_of(client.get(f"/api/reports/charts/sla.svg?{RANGE}", headers=DISPLAY))
    scored = sorted((r for r in by_service["rows"] if r["sla_pct"] is not None), key=lambda r: r["sla_pct"])
    assert [k for k, _ in bars(root)] == [r["key"] for r in scored] and len(scored) == 2
    assert [float(v) for _, v in bars(root)] == [r["sla_pct"] for r in scored]
    assert any("≤30 分钟" in "".join(t.itertext()) for t in root.iter(f"{SVG}text"))

    root = svg_of(client.get(f"/api/reports/charts/ratings.svg?{RANGE}", headers=DISPLAY))
    assert bars(root) == [("satisfied", "2"), ("basic", "1"), ("unsatisfied", "1")]

    # One day: its waits over the hours with a call.
    root = svg_of(client.get(f"/api/reports/charts/waits.svg?{RANGE}", headers=DISPLAY))
    called = [r for r in by_hour["rows"] if r["wait_avg_s"] is not None]
    assert bars(root) == [(r["key"], str(r["wait_avg_s"])) for r in called]


def test_waits_over_several_days_are_drawn_by_day(client, clock):
    a_day(client, clock)
    clock.advance(days=2)
    issue(client, n=2)
    clock.advance(minutes=3)
    serve(client, "A001")
    root = svg_of(client.get("/api/reports/charts/waits.svg?from=2026-11-25&to=2026-11-28", headers=ADMIN))
    by_day = client.get("/api/reports?from=2026-11-25&to=2026-11-28&by=day", headers=ADMIN).json
    assert [k for k, _ in bars(root)] == [r["key"] for r in by_day["rows"] if r["wait_avg_s"] is not None] \
        == ["2026-11-26", "2026-11-28"]


def test_the_chart_says_so_in_its_language_and_its_headers_keep_it_inert(client, clock):
    a_day(client, clock)
    r = client.get(f"/api/reports/charts/ratings.svg?{RANGE}&lang=en", headers=ADMIN)
    text = r.get_data(as_text=True)
    assert "Unsatisfied" in text and "不满意" not in text
    both = client.get(f"/api/reports/charts/ratings.svg?{RANGE}", headers=ADMIN).get_data(as_text=True)
    assert "不满意" in both and "Unsatisfied" in both
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"


def test_an_empty_period_is_an_empty_chart_not_an_error(client):
    for name in ("arrivals", "waits", "sla", "ratings"):
        root = svg_of(client.get(f"/api/reports/charts/{name}.svg?from=2025-01-01&to=2025-01-31",
                                 headers=ADMIN))
        words = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        assert bars(root) == [] and "无数据" in words and "No tickets" in words


@pytest.mark.parametrize("headers, status", [({}, 401), (KIOSK, 403), (BUTTONS, 403), (DISPLAY, 200),
                                             (ADMIN, 200)])
def test_who_may_see_the_charts_by_token(client, headers, status):
    r = client.get(f"/api/reports/charts/arrivals.svg?{RANGE}", headers=headers)
    assert r.status_code == status
    if status != 200:
        assert r.is_json and r.json["error"]["message_zh"]


@pytest.mark.parametrize("member, status", [("w3", 403), ("lead", 200), ("admin", 200)])
def test_who_may_see_the_charts_signed_in(client, member, status):
    sign_in(client, member)
    r = client.get(f"/api/reports/charts/sla.svg?{RANGE}")
    assert r.status_code == status
    if status == 403:
        assert r.json["error"]["code"] == "forbidden"


def test_an_unknown_chart_is_404(client):
    r = client.get(f"/api/reports/charts/pie.svg?{RANGE}", headers=ADMIN)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    assert "arrivals" in r.json["error"]["message"] and r.json["error"]["message_zh"]


@pytest.mark.parametrize("query", ["", "from=2026-11-26", "from=2026-11-27&to=2026-11-26",
                                   "from=2026-13-01&to=2026-13-02", "from=26-11-2026&to=2026-11-26",
                                   "from=2025-01-01&to=2026-11-26", f"{RANGE}&lang=fr"])
def test_a_bad_range_or_language_is_400(client, query):
    r = client.get(f"/api/reports/charts/waits.svg?{query}", headers=ADMIN)
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    assert r.json["error"]["message"] and r.json["error"]["message_zh"]


# -- the page ----------------------------------------------------------------------------------

def test_signed_out_the_page_sends_to_the_sign_in_and_back_to_the_same_period(client):
    r = client.get("/admin/reports")
    assert r.status_code == 302 and r.headers["Location"] == "/console/login?next=/admin/reports"
    path = "/admin/reports?from=2026-11-01&to=2026-11-26"
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"] == f"/console/login?next={quote(path, safe='/')}"
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/admin/reports?from=2026-11-01&amp;to=2026-11-26"' in form
    r = sign_in(client, "lead", next=path)
    assert r.status_code == 303 and r.headers["Location"] == path


def test_a_clerk_is_told_the_page_is_for_supervisors_and_admins(client):
    sign_in(client, "w3")
    r = client.get("/admin/reports")
    assert r.status_code == 403
    html = r.get_data(as_text=True)
    assert "报表仅供值班主任和管理员查看" in html and "Reports are for supervisors and administrators" in html
    assert "Traceback" not in html and 'id="headline"' not in html


@pytest.mark.parametrize("member", ["lead", "admin"])
def test_a_supervisor_or_admin_gets_the_page_with_the_consoles_headers(client, member):
    sign_in(client, member)
    r = client.get("/admin/reports")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert set(re.findall(r'<figure[^>]*data-chart="([a-z]+)"', html)) == {"arrivals", "waits", "sla",
                                                                            "ratings"}
    assert set(re.findall(r'data-period="([a-z]+)"', html)) == {"today", "yesterday", "week", "month",
                                                                "custom"}
    assert set(re.findall(r'data-by="([a-z]+)"', html)) == {"service", "department", "window", "staff",
                                                            "hour", "day"}
    assert "reports.js" in html and "今天" in html and "This month" in html
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in html and " style=" not in html and " onclick" not in html
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"
    # …and /admin leads to it, for an admin and a supervisor alike.
    assert 'href="/admin/reports"' in client.get("/admin").get_data(as_text=True)


# -- the reports the charts share ----------------------------------------------------------------

def test_a_chart_drawn_again_after_a_new_ticket_has_it(client, clock):
    a_day(client, clock)
    url = f"/api/reports/charts/arrivals.svg?{RANGE}"
    before = dict(bars(svg_of(client.get(url, headers=ADMIN))))
    assert dict(bars(svg_of(client.get(url, headers=ADMIN)))) == before  # drawn from the kept report
    issue(client, n=2)
    after = dict(bars(svg_of(client.get(url, headers=ADMIN))))
    assert int(after["14"]) == int(before["14"]) + 2
    # …and a rating given since shows on the ratings chart, which shares that report.
    serve(client, "C002", "unsatisfied")
    root = svg_of(client.get(f"/api/reports/charts/ratings.svg?{RANGE}", headers=ADMIN))
    assert dict(bars(root))["unsatisfied"] == "2"


def test_requests_for_a_report_being_made_wait_for_it_and_reports_are_made_one_at_a_time():
    import threading
    import time

    from hallcall.server.reports.cache import ReportCache

    cache, start = ReportCache(size=2), threading.Barrier(6)
    made: list[str] = []
    running, most = [0], [0]
    guard = threading.Lock()

    def maker(name):
        def make():
            with guard:
                made.append(name)
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.1)
            with guard:
                running[0] -= 1
            return {"n": name}
        return make

    results: list[tuple] = []

    def ask(name):
        start.wait()
        results.append((name, cache.get((name,), maker(name))))

    threads = [threading.Thread(target=ask, args=(n,)) for n in ("a", "a", "a", "a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == ["a", "b", "c"]  # the four asking for "a" had it made once
    assert sorted(results) == [(n, {"n": n}) for n in ("a", "a", "a", "a", "b", "c")]
    assert most[0] == 1  # never two at once: each costs the hub memory
    # At most `size` kept, the least recently used dropped first.
    cache, made[:] = ReportCache(size=2), []
    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get((name,), maker(name))
    assert made == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came
