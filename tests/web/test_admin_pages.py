"""/admin through Flask's test client: who may open it (an admin everything, a supervisor the
windows view only, a clerk a polite 403 pointing to their console, nobody signed in: the sign-in
page and back), its headers, and the sign-in's `next`, which goes only to a path of this hub."""
from __future__ import annotations

import re

import pytest

from hallcall.server.audit import Actor
from hallcall.server.web.console import safe_next

ADMIN_SECTIONS = ("floor", "services", "windows", "notices", "devices", "staff", "rules", "hall", "audit")


def csrf_in(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html
    return m.group(1)


def sign_in(client, member: str, password: str = "demo", **form):
    token = csrf_in(client.get("/console/login").get_data(as_text=True))
    return client.post("/console/login", data={"csrf_token": token, "clerk": member,
                                               "password": password, **form})


def sections_of(html: str) -> set[str]:
    return set(re.findall(r'<section class="admin-section" id="sec-([a-z]+)"', html))


def test_signed_out_the_page_sends_to_the_sign_in_and_back(client):
    r = client.get("/admin")
    assert r.status_code == 302 and r.headers["Location"] == "/console/login?next=/admin"
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/admin"' in form
    assert "大厅管理" in form and "Hall administration" in form  # titled for where it leads

    r = sign_in(client, "admin", next="/admin")
    assert r.status_code == 303 and r.headers["Location"] == "/admin"
    assert client.get("/admin").status_code == 200
    # Signed in already, the sign-in page goes on to `next` too.
    r = client.get("/console/login?next=/admin")
    assert r.status_code == 302 and r.headers["Location"] == "/admin"


def test_an_admin_sees_every_section_with_the_consoles_headers(client):
    sign_in(client, "admin")
    r = client.get("/admin")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert sections_of(html) == set(ADMIN_SECTIONS)
    assert set(re.findall(r'role="tab"[^>]*data-section="([a-z]+)"', html)) == set(ADMIN_SECTIONS)
    assert re.search(r'data-csrf="[^"]{20,}"', html) and 'data-role="admin"' in html
    csp = r.headers["Content-Security-Policy"]
    # Scripts and styles from the hub only, nothing inline, never framed.
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in html and " style=" not in html and " onclick" not in html
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"  # the page carries the CSRF token


def test_a_supervisor_sees_the_windows_view_only(client):
    sign_in(client, "lead")
    r = client.get("/admin")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert sections_of(html) == {"floor"}
    assert 'role="tab"' not in html  # one view: no tabs
    for admin_only in ("svc-form", "dev-form", "staff-form", "rules-form", "hall-form", "audit-rows"):
        assert admin_only not in html
    assert 'href="/admin/reports"' in html  # the reports are a supervisor's too


def test_an_admin_has_the_hall_tab_with_its_name_departments_and_announcer(client):
    sign_in(client, "admin")
    html = client.get("/admin").get_data(as_text=True)
    tab = re.search(r'<button[^>]*id="tab-hall"[^>]*>(.*?)</button>', html, re.S)
    assert tab and "大厅" in tab.group(1) and "Hall" in tab.group(1)
    form = html[html.index('id="hall-form"'):html.index("</form>", html.index('id="hall-form"'))]
    for path in ("hall.name.zh", "hall.name.en", "departments", "announcer.enabled", "announcer.languages",
                 "announcer.repeat", "announcer.templates.zh", "announcer.templates.en",
                 "announcer.voices.zh", "announcer.voices.en"):
        assert f'data-path="{path}"' in form, path
    # The rule for a sentence and the voices' names are said where they are typed.
    assert form.count("{number}") >= 2 and "{window}" in form and "cmn-latn-pinyin" in form
    assert 'id="hall-dep-add"' in form


def test_a_clerk_gets_a_polite_403_pointing_to_their_console(client):
    sign_in(client, "w3")
    r = client.get("/admin")
    assert r.status_code == 403
    html = r.get_data(as_text=True)
    assert "仅供值班主任和管理员使用" in html and "for supervisors and administrators" in html
    assert 'href="/console/3"' in html  # their window's console
    assert "svc-form" not in html and "admin.js" not in html


def test_a_member_disabled_or_removed_meanwhile_is_sent_to_sign_in(app, client):
    sign_in(client, "lead")
    assert client.get("/admin").status_code == 200
    hub = app.config["HUB"]

    def disable(data):
        lead = next(s for s in data["staff"] if s["id"] == "lead")
        lead["disabled"] = True
        return data, None, None

    hub.change_hall(disable, Actor("cli", "test"), "staff.put", "staff:lead")
    r = client.get("/admin")
    assert r.status_code == 302 and "/console/login" in r.headers["Location"]


@pytest.mark.parametrize("wanted", [
    "https://evil.example/admin", "//evil.example/admin", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "admin", "/admin\r\nSet-Cookie: x=1", "/ad min", "",
])
def test_next_refuses_anything_but_a_path_of_this_hub(client, wanted):
    assert safe_next(wanted) is None
    form = client.get("/console/login", query_string={"next": wanted}).get_data(as_text=True)
    assert 'name="next"' not in form
    r = sign_in(client, "admin", next=wanted)
    assert r.status_code == 303 and r.headers["Location"] == "/console/"
    r = client.get("/console/login", query_string={"next": wanted})
    assert r.status_code == 302 and r.headers["Location"] == "/console/"


def test_next_takes_a_local_path_with_its_query(client):
    assert safe_next("/admin?x=1#devices") == "/admin?x=1#devices"
    r = sign_in(client, "w3", next="/console/3")
    assert r.status_code == 303 and r.headers["Location"] == "/console/3"


def test_the_chooser_shows_a_supervisor_every_live_window_and_the_way_to_admin(app, client):
    hub = app.config["HUB"]
    sign_in(client, "lead")
    html = client.get("/console/").get_data(as_text=True)
    listed = re.findall(r'href="/console/([^"]+)"', html)
    assert listed == [w.id for w in hub.config.live_windows] and len(listed) == 44
    assert re.search(r'href="/admin/?"', html) and "全部窗口一览" in html

    def retire_44(data):
        next(w for w in data["windows"] if w["id"] == "44")["retired"] = True
        for member in data["staff"]:
            if member.get("windows") == ["44"]:
                member["windows"] = ["43"]
        return data, None, None

    hub.change_hall(retire_44, Actor("cli", "test"), "window.retire", "window:44")
    html = client.get("/console/").get_data(as_text=True)
    assert "/console/44" not in html and "/console/43" in html
    assert client.get("/console/44").status_code == 404  # a retired window has no console


def test_an_admin_signing_in_without_next_can_reach_admin_from_the_chooser(client):
    sign_in(client, "admin")
    html = client.get("/console/").get_data(as_text=True)
    assert 'id="to-admin"' in html and "大厅管理" in html


def test_a_clerk_with_one_window_still_goes_straight_to_it(client):
    sign_in(client, "w3")
    r = client.get("/console/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/3")


def test_the_sign_in_on_the_way_to_the_reports_is_the_staffs_not_the_clerks(client):
    html = client.get("/console/login?next=/admin/reports%3Fperiod%3Dmonth").get_data(as_text=True)
    assert "Staff sign-in" in html and "Clerk sign-in" not in html
