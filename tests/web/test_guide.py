"""The service guide (办事指南): /api/hall's guide and booking rules, the public /guide pages (every
service's seven steps, the search with and without JavaScript, one service's page, 404), the
poster's QR code, and the guide edited through PUT /api/admin/services/<id>."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser

import pytest
import segno
from helpers import ADMIN, small_hall_data

from hallcall.server.config import parse_config
from hallcall.server.config.dump import guide_dict
from hallcall.server.web.qr import QUIET_ZONE

STEPS = ["windows", "procedure", "responsible", "time_limit", "fees", "result", "materials"]


class Page(HTMLParser):
    """The parts of a guide page a test looks at: the listed services, their steps, what the
    visible text says."""

    def __init__(self, html: str):
        super().__init__()
        self.items, self.steps, self.windows, self.hidden_ids = [], [], [], set()
        self.text: list[str] = []
        self.feed(html)
        self.all_text = " ".join(t.strip() for t in self.text if t.strip())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-service" in a and tag == "li":
            self.items.append(a["data-service"])
        if "data-step" in a:
            self.steps.append(a["data-step"])
        if "data-window" in a:
            self.windows.append(a["data-window"])
        if "hidden" in a and "id" in a:
            self.hidden_ids.add(a["id"])

    def handle_data(self, data):
        self.text.append(data)


def page(client, url) -> Page:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "text/html"
    return Page(r.get_data(as_text=True))


def services(client) -> dict:
    return {s["id"]: s for s in client.get("/api/hall").json["services"]}


# -- /api/hall -----------------------------------------------------------------------------------

def test_every_demo_service_carries_its_whole_guide_and_the_hall_its_near_threshold(client, hub_config):
    hall = client.get("/api/hall").json
    assert hall["hall"]["near_ahead"] == hub_config.near_ahead == 3
    listed = {s["id"]: s for s in hall["services"]}
    for s in hub_config.live_services:
        guide = listed[s.id]["guide"]
        assert set(guide) == {"procedure", "time_limit", "fees", "result", "responsible", "samples"}
        assert guide == guide_dict(s.guide)
        assert all(step["zh"] and step["en"] for step in guide["procedure"])
        assert all(x["name"]["zh"] and x["name"]["en"] for x in guide["samples"])


def test_services_that_take_bookings_say_their_rules_the_others_null(client):
    listed = services(client)
    assert listed["company-setup"]["appointments"] == {
        "slot_minutes": 30, "per_slot": 2, "days_ahead": 7, "early_minutes": 30, "late_minutes": 15}
    assert listed["company-name"]["appointments"] is None
    assert 8 <= sum(s["appointments"] is not None for s in listed.values()) <= 12


def test_guide_fields_a_hall_has_not_set_are_left_out(make_app):
    data = small_hall_data()
    data["services"][1]["guide"] = {"fees": {"zh": "不收费", "en": "Free"},
                                    "samples": [{"name": {"zh": "申请表", "en": "Form"}}]}
    client = make_app(HALL=parse_config(data)).test_client()
    listed = services(client)
    assert listed["a"]["guide"] == {}
    assert listed["b"]["guide"] == {"fees": {"zh": "不收费", "en": "Free"},
                                    "samples": [{"name": {"zh": "申请表", "en": "Form"}}]}
    assert listed["a"]["appointments"] is None


@pytest.fixture
def hub_config(app):
    return app.config["HUB"].config


# -- /guide --------------------------------------------------------------------------------------

def test_the_guide_lists_every_service_by_department_with_its_seven_steps(client, hub_config):
    p = page(client, "/guide")
    assert sorted(p.items) == sorted(s.id for s in hub_config.live_services)
    assert p.steps == STEPS * len(hub_config.live_services)
    # grouped: the services of one department come together, in the hall's department order
    order = [hub_config.service(i).department for i in p.items]
    assert order == sorted(order, key=[d.id for d in hub_config.departments].index)
    assert "工商局" in p.all_text and "Land and Resources Bureau" in p.all_text
    assert "g-none" in p.hidden_ids


@pytest.mark.parametrize("query, expected", [
    ("不动产", {"real-estate-transfer", "real-estate-mortgage", "real-estate-records"}),
    ("pension", {"pension-claim"}),
    ("Real Estate mortgage", {"real-estate-mortgage"}),   # every word, any case
    ("企业 登记", {"company-setup", "company-change", "company-cancel"}),
])
def test_the_search_works_without_javascript(client, query, expected):
    p = page(client, f"/guide?q={query}")
    assert set(p.items) == expected
    assert "g-none" in p.hidden_ids
    assert f'value="{query}"' in client.get(f"/guide?q={query}").get_data(as_text=True)


def test_a_search_that_matches_nothing_says_so(client):
    p = page(client, "/guide?q=火星护照")
    assert p.items == [] and "g-none" not in p.hidden_ids
    assert "没有找到相关事项" in p.all_text and "No service matches your search" in p.all_text


def test_a_very_long_or_odd_query_is_just_a_search(client):
    assert page(client, "/guide?q=" + "x" * 5000).items == []
    p = page(client, "/guide?q=<script>alert(1)</script>")
    assert p.items == [] and "<script>alert" not in client.get(
        "/guide?q=<script>alert(1)</script>").get_data(as_text=True)


def test_one_services_page_has_every_step_and_its_windows(client, hub_config):
    s = hub_config.service("real-estate-transfer")
    p = page(client, "/guide/real-estate-transfer")
    assert p.steps == STEPS
    assert p.windows == [w.id for w in hub_config.windows_serving(s.id)] and len(p.windows) > 1
    g = s.guide
    for text in [*g.procedure, g.responsible, g.time_limit, g.fees, g.result, *s.materials,
                 *(x.name for x in g.samples), s.name]:
        assert text.zh in p.all_text and text.en in p.all_text, text
    assert "可预约" in p.all_text  # it takes bookings


def test_a_step_the_hall_left_blank_says_to_ask_at_the_window(make_app):
    client = make_app(HALL=parse_config(small_hall_data())).test_client()
    p = page(client, "/guide/a")
    assert p.steps == STEPS
    assert p.all_text.count("请到窗口咨询") == 6  # every step but the windows: none is written
    assert p.windows == ["1", "2"]


def test_an_unknown_or_retired_service_is_a_bilingual_404(client):
    for url in ("/guide/no-such-service", "/guide/" + "x" * 300):
        r = client.get(url)
        assert r.status_code == 404 and r.mimetype == "text/html"
        text = unescape(r.get_data(as_text=True))
        assert "未找到该事项" in text and "We couldn't find this service" in text
    assert client.delete("/api/admin/services/senior-card", headers=ADMIN).status_code == 200
    assert client.get("/guide/senior-card").status_code == 404
    assert "senior-card" not in page(client, "/guide").items


# -- the poster ----------------------------------------------------------------------------------

RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def dark_modules(svg: str) -> set[tuple[int, int]]:
    d = ET.fromstring(svg).find("{http://www.w3.org/2000/svg}path").get("d")
    return {(int(x) + i, int(y)) for x, y, w, _ in RUN.findall(d) for i in range(int(w))}


def test_the_poster_s_qr_code_leads_to_the_guide(client):
    r = client.get("/guide/poster", base_url="http://10.0.0.5:8080")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "扫码查看办事指南" in html and "Scan for the service guide" in html
    assert "净月政务服务中心" in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    code = segno.make("http://10.0.0.5:8080/guide", error="m", micro=False)
    expected = {(x + QUIET_ZONE, y + QUIET_ZONE)
                for y, row in enumerate(code.matrix) for x, m in enumerate(row) if m}
    assert dark_modules(svg) == expected
    assert "http://10.0.0.5:8080/guide" in html  # typed by hand when a phone has no scanner


# -- editing the guide ---------------------------------------------------------------------------

def a_service(client, service_id) -> dict:
    config = client.get("/api/admin/config", headers=ADMIN).json["config"]
    return {k: v for k, v in next(s for s in config["services"] if s["id"] == service_id).items()
            if k != "id"}


def test_a_guide_edited_through_the_api_shows_on_the_pages_at_once(client):
    body = a_service(client, "company-name")
    body["guide"]["procedure"][0] = {"zh": "在自助机上填写申请",
                                     "en": "Fill in the form at the self-service machine"}
    body["guide"]["fees"] = {"zh": "工本费 10 元", "en": "¥10 for the certificate"}
    body["guide"]["samples"] = [{"name": {"zh": "企业名称预先核准申请书（样表）", "en": "Sample form"},
                                 "url": "/static/samples/company-name.pdf"}]
    body["appointments"] = {"slot_minutes": 20, "per_slot": 1}
    r = client.put("/api/admin/services/company-name", json=body, headers=ADMIN)
    assert r.status_code == 200, r.get_data(as_text=True)
    listed = services(client)["company-name"]
    assert listed["guide"]["fees"]["zh"] == "工本费 10 元"
    assert listed["appointments"]["slot_minutes"] == 20 and listed["appointments"]["days_ahead"] == 7
    html = client.get("/guide/company-name").get_data(as_text=True)
    assert "在自助机上填写申请" in html and "工本费 10 元" in html
    assert 'href="/static/samples/company-name.pdf"' in html


def test_a_bad_sample_url_is_refused_at_its_field_and_changes_nothing(client):
    before = client.get("/guide/company-name").get_data(as_text=True)
    body = a_service(client, "company-name")
    body["guide"]["samples"] = [{"name": {"zh": "样表", "en": "Sample"}, "url": "javascript:alert(1)"}]
    r = client.put("/api/admin/services/company-name", json=body, headers=ADMIN)
    assert r.status_code == 422
    paths = {e["path"]: e for e in r.json["error"]["errors"]}
    assert "services.company-name.guide.samples[0].url" in paths, paths
    assert paths["services.company-name.guide.samples[0].url"]["message_zh"]
    assert client.get("/guide/company-name").get_data(as_text=True) == before


def test_every_demo_sample_form_is_served_and_linked_next_to_its_material(client, hub_config):
    for s in hub_config.live_services:
        urls = [x.url for x in s.guide.samples if x.url]
        assert urls, s.id
        html = client.get(f"/guide/{s.id}").get_data(as_text=True)
        for url in urls:
            r = client.get(url)
            assert r.status_code == 200 and r.mimetype == "text/html", url
            form = r.get_data(as_text=True)
            assert "样表" in form and f'href="/guide/{s.id}"' in form  # and the way back
            assert f'href="{url}"' in html
            r.close()
