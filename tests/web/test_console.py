"""The clerk console through Flask's test client: sign-in, the session cookie, CSRF, which windows
a clerk may act on, GET /api/windows/<id>, throttling, sign-out, and the clerk config."""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest
from helpers import BUTTONS, DISPLAY, KIOSK, auth, small_hall_data
from werkzeug.security import check_password_hash

from hallcall.server.audit import CLI
from hallcall.server.config import ConfigError, demo_config_path, load_config, parse_config
from hallcall.server.passwords import hash_problem, make_hash

COOKIE = "hallcall_session"


class Ticks:
    """A monotonic clock for the sign-in throttle that moves only when told to."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def csrf_in(response) -> str:
    html = response.get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'data-csrf="([^"]+)"', html)
    assert m, html
    return m.group(1)


def login(client, clerk="w3", password="demo", **form):
    token = csrf_in(client.get("/console/login"))
    return client.post("/console/login", data={"csrf_token": token, "clerk": clerk,
                                               "password": password, **form})


def signed_in(client, clerk="w3", window="3") -> str:
    """Sign in and open the console page; returns the CSRF token the page carries."""
    assert login(client, clerk).status_code == 303
    page = client.get(f"/console/{window}")
    assert page.status_code == 200
    return csrf_in(page)


def client_at(app, address: str):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def issue(client, service="company-name", **body):
    r = client.post("/api/tickets", json={"service": service, **body}, headers=KIOSK)
    assert r.status_code == 201, r.json
    return r.json["ticket"]


def status_of(client, ticket) -> tuple[str, str | None]:
    t = client.get(f"/api/tickets/{ticket['token']}").json["ticket"]
    return t["status"], t["window"]


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    err = response.json["error"]
    assert err["code"] == code and err["message"] and err["message_zh"]


def keys_anywhere(value) -> set:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


# -- signing in ----------------------------------------------------------------------------------


def test_sign_in_leads_to_the_clerks_window(client):
    page = client.get("/console/login")
    assert page.status_code == 200
    assert "叫号控制台" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    r = login(client)
    assert r.status_code == 303 and r.headers["Location"].endswith("/console/")
    r = client.get("/console/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/3")
    page = client.get("/console/3").get_data(as_text=True)
    assert "3号窗口" in page and "3号窗口工作人员" in page and 'data-window="3"' in page
    assert client.get("/api/windows/3").status_code == 200


def test_wrong_password_is_refused_readably_and_signs_nobody_in(client):
    for clerk, password in (("w3", "wrong"), ("nobody", "demo")):
        r = login(client, clerk, password)
        assert r.status_code == 401
        html = r.get_data(as_text=True)
        # The same words for an unknown id: the answer does not tell which ids exist.
        assert "工号或密码错误" in html and "Wrong clerk ID or password" in html
        assert "Traceback" not in html
        assert_error(client.get("/api/windows/3"), 401, "unauthorized")
        assert client.get("/console/3").status_code == 302
    r = login(client, "w3", "")
    assert r.status_code == 400 and "请输入工号和密码" in r.get_data(as_text=True)


def test_the_session_cookie_is_httponly_strict_and_lasts_a_shift(client, make_app):
    cookie = next(c for c in login(client).headers.getlist("Set-Cookie") if c.startswith(COOKIE + "="))
    attrs = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attrs and "samesite=strict" in attrs
    assert "secure" not in attrs  # halls run plain HTTP on their LAN
    assert any(a.startswith("expires=") for a in attrs)

    secure = make_app(SESSION_COOKIE_SECURE=True).test_client()
    cookie = next(c for c in login(secure).headers.getlist("Set-Cookie") if c.startswith(COOKIE + "="))
    assert "secure" in [a.strip().lower() for a in cookie.split(";")]


def test_a_session_ends_after_one_shift(client, clock):
    signed_in(client)
    clock.advance(hours=11, minutes=59)
    assert client.get("/api/windows/3").status_code == 200
    clock.advance(minutes=2)
    assert_error(client.get("/api/windows/3"), 401, "unauthorized")
    assert client.get("/console/3").status_code == 302


def test_sign_in_needs_the_forms_csrf_token(client):
    client.get("/console/login")
    r = client.post("/console/login", data={"clerk": "w3", "password": "demo"})
    assert r.status_code == 403 and "页面已过期" in r.get_data(as_text=True)
    r = client.post("/console/login", data={"clerk": "w3", "password": "demo", "csrf_token": "guess"})
    assert r.status_code == 403
    assert_error(client.get("/api/windows/3"), 401, "unauthorized")


def test_sign_in_replaces_the_session(client):
    client.get("/console/login")
    before = client.get_cookie(COOKIE).value
    login(client)
    after = client.get_cookie(COOKIE).value
    assert after != before
    # The pre-sign-in cookie, planted by someone else, is not a signed-in session.
    other = client.application.test_client()
    other.set_cookie(COOKIE, before)
    assert_error(other.get("/api/windows/3"), 401, "unauthorized")


def test_sign_in_returns_to_the_window_asked_for(client):
    r = client.get("/console/3")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/login?window=3")
    r = login(client, window="3")
    assert r.headers["Location"].endswith("/console/3")
    client.post("/console/logout", data={"csrf_token": csrf_in(client.get("/console/3"))})
    r = login(client, window="4")  # not w3's window: to their own instead
    assert r.headers["Location"].endswith("/console/")


# -- acting at windows -------------------------------------------------------------------------


def test_an_action_without_the_csrf_header_is_refused_and_changes_nothing(client):
    t = issue(client)
    csrf = signed_in(client)
    assert_error(client.post("/api/windows/3/call-next"), 403, "forbidden")
    assert_error(client.post("/api/windows/3/call-next", headers={"X-CSRF-Token": csrf[:-2] + "xx"}),
                 403, "forbidden")
    assert status_of(client, t) == ("waiting", None)
    assert client.get("/api/hall").json["last_event"] == 1  # only the issue


def test_clerk_of_window_3_cannot_act_on_window_4(client):
    t = issue(client)  # company-name: windows 1-4 serve it
    csrf = signed_in(client)
    for action in ("call-next", "pause"):
        r = client.post(f"/api/windows/4/{action}", headers={"X-CSRF-Token": csrf})
        assert_error(r, 403, "forbidden")
        assert "window 4" in r.json["error"]["message"]
    assert_error(client.get("/api/windows/4"), 403, "forbidden")
    assert status_of(client, t) == ("waiting", None)
    hall = client.get("/api/hall").json
    assert next(w for w in hall["windows"] if w["id"] == "4")["status"] == "open"
    page = client.get("/console/4")
    assert page.status_code == 403
    assert "这不是您的窗口" in page.get_data(as_text=True)
    assert client.get("/console/99").status_code == 404


def test_clerk_calls_serves_and_rates_at_their_window(client):
    t = issue(client)
    csrf = signed_in(client)
    h = {"X-CSRF-Token": csrf}
    r = client.post("/api/windows/3/call-next", headers=h)
    assert r.status_code == 200
    assert r.json["ticket"]["number"] == t["number"] and r.json["window"]["current"]["id"] == t["id"]
    assert status_of(client, t) == ("called", "3")
    assert client.post("/api/windows/3/start", headers=h).json["ticket"]["status"] == "serving"
    r = client.post("/api/windows/3/finish", json={"rating": "satisfied"}, headers=h)
    assert r.status_code == 200 and r.json["window"]["current"] is None
    assert status_of(client, t) == ("done", "3")
    assert_error(client.post("/api/windows/3/finish", json={"rating": "great"}, headers=h),
                 400, "bad_request")


def test_a_bearer_token_takes_precedence_over_the_session(client):
    issue(client)
    signed_in(client)
    # The kiosk token may not act at windows: the session is not consulted when a token is sent.
    assert_error(client.post("/api/windows/3/call-next", headers=KIOSK), 403, "forbidden")
    assert_error(client.post("/api/windows/3/call-next", headers=auth("not-a-token")), 401, "unauthorized")
    # A device needs no CSRF token.
    assert client.post("/api/windows/4/call-next", headers=BUTTONS).status_code == 200


# -- GET /api/windows/<id> -----------------------------------------------------------------------


def test_window_view_lists_the_line_in_calling_order_and_todays_figures(client, clock):
    # Window 3 calls by service order: company-setup, then company-name, …; green goes first.
    a1 = issue(client, "company-name")
    b1 = issue(client, "company-setup")
    a2 = issue(client, "company-name", priority="green")
    issue(client, "individual-business")  # not served by window 3
    csrf = signed_in(client)
    view = client.get("/api/windows/3").json
    assert set(view) >= {"window", "queue", "waiting", "today"}
    assert view["window"]["id"] == "3" and view["window"]["status"] == "open"
    snapshot_window = next(w for w in client.get("/api/hall").json["windows"] if w["id"] == "3")
    assert view["window"] == snapshot_window
    assert [t["number"] for t in view["queue"]] == [a2["number"], b1["number"], a1["number"]]
    assert view["queue"][0]["priority"] == "green" and view["waiting"] == 3
    assert view["today"] == {"called": 0, "served": 0, "no_show": 0, "transferred": 0,
                             "avg_service_s": None,
                             "ratings": {"satisfied": 0, "basic": 0, "unsatisfied": 0}}

    h = {"X-CSRF-Token": csrf}
    client.post("/api/windows/3/call-next", headers=h)   # the green one
    client.post("/api/windows/3/start", headers=h)
    clock.advance(minutes=4)
    client.post("/api/windows/3/finish", json={"rating": "satisfied"}, headers=h)
    client.post("/api/windows/3/call-next", headers=h)   # company-setup
    client.post("/api/windows/3/no-show", headers=h)
    client.post("/api/windows/3/call-next", headers=h)   # the last company-name
    client.post("/api/windows/3/transfer", json={"service": "company-setup"}, headers=h)

    view = client.get("/api/windows/3").json
    today = view["today"]
    assert (today["called"], today["served"], today["no_show"], today["transferred"]) == (2, 1, 1, 1)
    assert today["ratings"] == {"satisfied": 1, "basic": 0, "unsatisfied": 0}
    assert 240 <= today["avg_service_s"] < 250
    assert [t["number"] for t in view["queue"]] == [a1["number"]]  # transferred back into the line
    assert view["queue"][0]["service"] == "company-setup" and view["waiting"] == 1
    assert "token" not in keys_anywhere(view)
    assert a1["token"] not in json.dumps(view)


def test_window_view_for_devices(client):
    issue(client, "company-name")
    assert client.get("/api/windows/3", headers=BUTTONS).json["waiting"] == 1
    assert_error(client.get("/api/windows/3"), 401, "unauthorized")
    assert_error(client.get("/api/windows/3", headers=DISPLAY), 403, "forbidden")
    assert_error(client.get("/api/windows/3", headers=KIOSK), 403, "forbidden")
    assert_error(client.get("/api/windows/99", headers=BUTTONS), 404, "not_found")


def test_window_view_caps_the_line_at_50(client):
    for _ in range(53):
        issue(client, "company-setup")
    view = client.get("/api/windows/3", headers=BUTTONS).json
    assert len(view["queue"]) == 50 and view["waiting"] == 53
    assert view["queue"][0]["number"].endswith("001") and view["queue"][-1]["number"].endswith("050")


# -- throttling ----------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_clerk_id_for_five_minutes(make_app):
    ticks = Ticks()
    app = make_app(MONOTONIC_CLOCK=ticks)

    def from_address(addr):
        return client_at(app, addr)

    for i in range(5):  # from five addresses, so only the id's own count adds up
        assert login(from_address(f"10.0.0.{i}"), "w3", "guess").status_code == 401
    c = from_address("10.0.0.99")
    r = login(c, "w3", "demo")  # the right password, but too late
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 300
    html = r.get_data(as_text=True)
    assert "登录失败次数过多" in html and "try again in 5 minutes" in html
    assert login(c, "W3", "demo").status_code == 429  # another spelling is the same id
    assert_error(c.get("/api/windows/3"), 401, "unauthorized")
    assert login(c, "w4", "demo").status_code == 303  # other clerks sign in as usual

    ticks.now += 299
    assert login(from_address("10.0.0.98"), "w3", "demo").status_code == 429
    ticks.now += 2
    assert login(from_address("10.0.0.98"), "w3", "demo").status_code == 303


# Which failures count per address, and through which proxies: test_proxy_lockout.py.


def test_failures_spread_over_more_than_five_minutes_do_not_lock(make_app):
    ticks = Ticks()
    c = make_app(MONOTONIC_CLOCK=ticks).test_client()
    for _ in range(8):
        assert login(c, "w3", "guess").status_code == 401
        ticks.now += 76  # the 1st and the 5th are more than 5 minutes apart
    assert login(c, "w3", "demo").status_code == 303


# -- signing out, restarts -----------------------------------------------------------------------


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client):
    csrf = signed_in(client)
    copied = client.get_cookie(COOKIE).value
    r = client.post("/console/logout")  # without the form's token: refused, still signed in
    assert r.status_code == 403
    assert client.get("/api/windows/3").status_code == 200

    r = client.post("/console/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and "/console/login" in r.headers["Location"]
    assert "您已退出登录" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert_error(client.get("/api/windows/3"), 401, "unauthorized")
    replay = client.application.test_client()
    replay.set_cookie(COOKIE, copied)
    assert_error(replay.get("/api/windows/3"), 401, "unauthorized")
    assert_error(replay.post("/api/windows/3/call-next", headers={"X-CSRF-Token": csrf}),
                 401, "unauthorized")


def test_the_session_survives_a_hub_restart_on_the_same_database(make_app, tmp_path):
    first = make_app()
    c = first.test_client()
    csrf = signed_in(c)
    cookie = c.get_cookie(COOKIE).value
    first.config["HUB"].stop()

    second = make_app()  # a restart, or a second hub process on the same file
    c2 = second.test_client()
    c2.set_cookie(COOKIE, cookie)
    assert c2.get("/api/windows/3").status_code == 200
    assert second.secret_key == first.secret_key and len(second.secret_key) == 64
    assert c2.post("/api/windows/3/pause", headers={"X-CSRF-Token": csrf}).status_code == 200

    elsewhere = make_app(DATABASE=f"sqlite:///{tmp_path}/other.db")  # another hall's hub
    c3 = elsewhere.test_client()
    c3.set_cookie(COOKIE, cookie)
    assert_error(c3.get("/api/windows/3"), 401, "unauthorized")
    assert elsewhere.secret_key != first.secret_key


def test_a_clerk_of_several_windows_chooses_one(make_app):
    data = small_hall_data()
    data["clerks"] = [{"id": "li", "name": "李娜", "windows": ["1", "2"],
                       "password_hash": make_hash("pw-li")}]
    c = make_app(HALL=parse_config(data)).test_client()
    login(c, "li", "pw-li")
    page = c.get("/console/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '/console/1"' in html and '/console/2"' in html and '/console/3"' not in html
    assert c.get("/console/3").status_code == 403


def test_a_changed_password_ends_the_clerks_sessions(make_app):
    data = small_hall_data()
    data["clerks"] = [{"id": "li", "name": "李娜", "windows": ["1"], "password_hash": make_hash("old-pw")}]
    app = make_app(HALL=parse_config(data))
    c = app.test_client()
    login(c, "li", "old-pw")
    assert c.get("/api/windows/1").status_code == 200

    def new_password(stored):
        stored["staff"][0]["password_hash"] = make_hash("new-pw")
        return stored, None, None

    app.config["HUB"].change_hall(new_password, CLI, "staff.put")  # as /admin does
    assert_error(c.get("/api/windows/1"), 401, "unauthorized")


# -- the clerk config and hash-password ------------------------------------------------------------


def test_demo_clerks_sit_one_at_each_window_with_distinct_salts(demo_config):
    clerks = [m for m in demo_config.staff if m.role == "clerk"]
    assert [c.id for c in clerks] == [f"w{i}" for i in range(1, 45)]
    assert all(c.windows == (c.id[1:],) for c in clerks)
    assert len({c.password_hash for c in demo_config.staff}) == 46
    assert check_password_hash(demo_config.member("w3").password_hash, "demo")
    assert check_password_hash(demo_config.member("lead").password_hash, "demo")


def clerk_problems(clerk: dict) -> list[str]:
    data = copy.deepcopy(small_hall_data())
    good = {"id": "ok", "name": "好", "windows": ["1"], "password_hash": make_hash("x" * 10)}
    data["clerks"] = [good, dict(good, id="ok2"), clerk]
    with pytest.raises(ConfigError) as e:
        parse_config(data)
    return e.value.problems


@pytest.mark.parametrize("value, says", [
    ("demo", "is not a password hash"),  # a password pasted where its hash belongs
    ("scrypt:32768:8:1$abcdefgh$" + "0" * 128, "scrypt"),
    ("pbkdf2:sha256$abcdefgh$" + "0" * 64, "is not a password hash"),  # no iteration count
    ("pbkdf2:md5:200000$abcdefgh$" + "0" * 32, "uses md5"),
    ("pbkdf2:sha256:1000$abcdefgh$" + "0" * 64, "1000 iterations"),
    ("pbkdf2:sha256:200000$abcdefgh$" + "0" * 63, "wrong length"),
])
def test_a_bad_password_hash_is_named_by_its_key(value, says):
    found = clerk_problems({"id": "w", "name": "王", "windows": ["2"], "password_hash": value})
    assert len(found) == 1, found
    assert found[0].startswith("clerks[2].password_hash: ") and says in found[0]
    assert "'demo'" not in found[0]


def test_clerk_windows_and_password_are_required():
    found = clerk_problems({"id": "w", "name": "王", "windows": []})
    assert any(p.startswith("clerks[2].windows:") and "at least one" in p for p in found)
    assert "clerks[2].password_hash: is required" in found
    found = clerk_problems({"id": "w", "name": "王", "windows": ["9"], "password_hash": make_hash("p")})
    assert any(p.startswith("clerks[2].windows[0]:") for p in found)


def test_hash_password_prints_a_hash_the_config_accepts(tmp_path):
    run = subprocess.run([sys.executable, "-m", "hallcall", "hash-password"],
                         input="Qing-2026 pass\n", capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    value = run.stdout.strip()
    assert value.startswith("pbkdf2:sha256:200000$") and hash_problem(value) is None
    assert check_password_hash(value, "Qing-2026 pass")
    assert not check_password_hash(value, "Qing-2026 pass\n")

    text = demo_config_path().read_text(encoding="utf-8")
    text = text.replace(load_config().member("w3").password_hash, value)
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    assert check_password_hash(load_config(path).member("w3").password_hash, "Qing-2026 pass")

    empty = subprocess.run([sys.executable, "-m", "hallcall", "hash-password"],
                           input="\n", capture_output=True, text=True, timeout=60)
    assert empty.returncode == 1 and "empty" in empty.stderr and not empty.stdout


def test_the_hub_keeps_clerks_with_the_demo_password_on_loopback(demo_config):
    from dataclasses import replace

    from hallcall.server.wsgi import DemoTokensExposed, check_exposure

    own_tokens = replace(demo_config, devices=())  # a hall that changed only its tokens
    check_exposure(own_tokens, "127.0.0.1", False)
    with pytest.raises(DemoTokensExposed, match="demo password for the staff admin, lead, w1"):
        check_exposure(own_tokens, "0.0.0.0", False)
    own_passwords = replace(own_tokens, staff=(
        replace(demo_config.member("w3"), password_hash=make_hash("our own pass")),))
    check_exposure(own_passwords, "0.0.0.0", False)


def test_window_view_says_which_actions_fit_now(client):
    """The console shows only these; each state of the window gives its own."""
    def allowed():
        return client.get("/api/windows/1", headers=BUTTONS).json["allowed_actions"]

    assert allowed() == ["pause", "close"]  # open, nobody waiting: nothing to call
    issue(client, "company-name")
    assert allowed() == ["call-next", "pause", "close"]
    client.post("/api/windows/1/call-next", headers=BUTTONS)
    assert allowed() == ["call-next", "recall", "start", "finish", "no-show", "transfer", "rate",
                         "pause"]  # a window with a citizen cannot close
    client.post("/api/windows/1/start", headers=BUTTONS)
    assert allowed() == ["call-next", "finish", "transfer", "rate", "pause"]
    client.post("/api/windows/1/pause", headers=BUTTONS)
    assert allowed() == ["resume"]  # paused with a citizen at the window
