"""Pages outside /api/ that cannot be served answer the hall's own bilingual page (Chinese first,
the hall's name, a way back to the overview) with the right status; /api/ keeps its JSON."""
from __future__ import annotations

import logging
from html import unescape

import pytest
from helpers import KIOSK

from hallcall.server.engine.model import DomainError

HALL_ZH, HALL_EN = "净月政务服务中心", "Jingyue Government Service Centre"


def assert_hall_page(r, status: int, zh: str, en: str) -> str:
    assert r.status_code == status and r.mimetype == "text/html"
    html = unescape(r.get_data(as_text=True))
    assert zh in html and en in html and html.index(zh) < html.index(en)  # Chinese first
    assert HALL_ZH in html and HALL_EN in html
    assert 'href="/"' in html and "返回大厅总览" in html and "Back to the hall overview" in html
    assert "style.css" in html  # the look of the other pages
    assert "Werkzeug" not in html and "The requested URL" not in html
    return html


def test_an_unknown_page_is_the_halls_bilingual_404(client):
    assert_hall_page(client.get("/no/such/page"), 404, "未找到该页面", "Page not found")
    assert_hall_page(client.get("/t/"), 404, "未找到该页面", "Page not found")


def test_a_wrong_method_is_a_bilingual_405_that_says_what_is_allowed(client):
    r = client.post("/")
    assert_hall_page(r, 405, "无法这样打开该页面", "This page cannot be opened this way")
    assert "GET" in r.headers["Allow"]


def test_a_failing_page_is_a_bilingual_500_without_a_traceback(app, client, monkeypatch, caplog):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(app.config["HUB"], "ticket_status", boom)
    app.testing = False
    r = client.get("/t/whatever-token")
    html = assert_hall_page(r, 500, "服务暂时出现问题", "Something went wrong")
    assert "disk on fire" not in html and "Traceback" not in html and "RuntimeError" not in html
    logged = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert logged and "disk on fire" in caplog.text  # the staff see it in the log
    assert "whatever-token" not in caplog.text  # but not the citizen's token


def test_an_unknown_ticket_says_so_in_both_languages(client):
    r = client.get("/t/no-such-ticket")
    html = assert_hall_page(r, 404, "未找到该排队号", "We couldn't find this ticket")
    assert 'id="not-found"' in html and "取号小票" in html
    assert_hall_page(client.get("/t/" + "x" * 500), 404, "未找到该排队号", "We couldn't find this ticket")


def test_a_known_ticket_still_gets_its_page(client):
    issued = client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    token = issued.json["ticket"]["token"]
    r = client.get(f"/t/{token}")
    assert r.status_code == 200 and f'data-token="{token}"' in r.get_data(as_text=True)


def test_a_refusal_on_a_page_shows_its_own_message(app, client, monkeypatch):
    def unavailable(*a, **k):
        raise DomainError("storage_unavailable", "The hub cannot save right now",
                          "服务器暂时无法保存", status=503)
    monkeypatch.setattr(app.config["HUB"], "ticket_status", unavailable)
    r = client.get("/t/some-token")
    assert r.status_code == 503
    html = r.get_data(as_text=True)
    assert html.index("服务器暂时无法保存") < html.index("The hub cannot save right now")
    assert HALL_ZH in html and "storage_unavailable" not in html


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/api/nothing", 404, "not_found"),
    ("DELETE", "/api/hall", 405, "method_not_allowed"),
    ("GET", "/api/tickets/no-such-ticket", 404, "not_found"),
])
def test_the_api_keeps_its_json_errors(client, method, path, status, code):
    r = client.open(path, method=method)
    assert r.status_code == status and r.is_json and r.json["error"]["code"] == code
