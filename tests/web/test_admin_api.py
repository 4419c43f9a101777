"""The administration API (/api/admin/...) through Flask's test client: who may use it, what each
change does to the running hall (kiosks, windows, tokens, sign-ins), the 422s with the key paths a
form shows, and that a refused change changes nothing: the same version, the same /api/hall, no
audit entry, no event."""
from __future__ import annotations

import hashlib
import io
import json
import re
import tomllib

import pytest
from helpers import ADMIN, BUTTONS, KIOSK, auth, small_hall_data

from hallcall.server.config import parse_config
from hallcall.server.web import MAX_BODY_BYTES
from hallcall.server.web.body import HALL_FILE_BYTES

SERVICE = {"prefix": "ZZ", "department": "aic", "name": {"zh": "新业务", "en": "New service"},
           "materials": [{"zh": "身份证", "en": "ID card"}]}


@pytest.fixture
def hub(app):
    return app.config["HUB"]


# -- helpers -------------------------------------------------------------------------------------

def sign_in(client, staff_id="admin", password="demo") -> dict:
    """Sign in at the console's form; returns the header a change needs with that session."""
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/console/login", data={"csrf_token": token, "clerk": staff_id,
                                            "password": password})
    assert r.status_code == 303, r.get_data(as_text=True)
    with client.session_transaction() as session:
        return {"X-CSRF-Token": session["csrf"]}


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == code and error["message"] and error["message_zh"]
    return error


def invalid(response) -> dict:
    """{path: message} of a 422 invalid_config, each with its Chinese too."""
    error = assert_error(response, 422, "invalid_config")
    assert all(e["message"] and e["message_zh"] for e in error["errors"])
    assert response.json["errors"] == error["errors"]  # API.md's place for it, and the error's
    return {e["path"]: e["message"] for e in error["errors"]}


def trace(client, hub) -> dict:
    """What a change would change: the stored version, the hall as devices see it, the audit
    log and the events (the devices' own sightings aside)."""
    with hub.store.read(hub.config) as tx:
        stored = tx.hall_version()
    hall = client.get("/api/hall").json
    return {"stored": stored, "running": hub.config.version,
            "hall": {k: hall[k] for k in ("departments", "services", "windows", "notices")},
            "version": hall["hall"]["version"],
            "audit": [e.seq for e in hub.audit_log(0, 1000)],
            "events": [(e.seq, e.type) for e in hub.events_after(0, 100_000)
                       if e.type != "device.status"]}


def new_events(hub, since: int) -> list[dict]:
    return [json.loads(e.data) for e in hub.events_after(since, 1000)]


def a_service(client, service_id="company-name") -> dict:
    """A service of the hall as a PUT body (its keys without the id)."""
    config = client.get("/api/admin/config", headers=ADMIN).json["config"]
    item = next(s for s in config["services"] if s["id"] == service_id)
    return {k: v for k, v in item.items() if k != "id"}


def last_entry(client, action: str, headers=ADMIN) -> dict:
    """The newest audit entry of this action (window actions are audited too)."""
    entries = client.get("/api/admin/audit", headers=headers).json["entries"]
    return [e for e in entries if e["action"] == action][-1]


def issue(client, service="company-name", headers=KIOSK):
    return client.post("/api/tickets", json={"service": service}, headers=headers)


# -- who may ---------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/api/admin/config", None), ("get", "/api/admin/config.toml", None),
    ("put", "/api/admin/config", "x"), ("put", "/api/admin/services/company-name", {}),
    ("delete", "/api/admin/services/company-name", None), ("put", "/api/admin/windows/1", {}),
    ("delete", "/api/admin/windows/1", None), ("post", "/api/admin/devices", {}),
    ("post", "/api/admin/devices/kiosk-1/token", None),
    ("delete", "/api/admin/devices/kiosk-1", None), ("put", "/api/admin/staff/w1", {}),
    ("delete", "/api/admin/staff/w1", None), ("get", "/api/admin/audit", None),
]


def call(client, method, path, body, headers=None):
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    return getattr(client, method)(path, headers=headers or {}, **kwargs)


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_only_an_administrator_may(app, client, hub, method, path, body):
    before = trace(client, hub)
    assert_error(call(client, method, path, body), 401, "unauthorized")
    assert_error(call(client, method, path, body, KIOSK), 403, "forbidden")
    assert_error(call(client, method, path, body, auth("wrong-token")), 401, "unauthorized")
    for member in ("w1", "lead"):  # a clerk, a supervisor
        staff = app.test_client()
        csrf = sign_in(staff, member)
        assert_error(call(staff, method, path, body, csrf), 403, "forbidden")
    assert trace(client, hub) == before


def test_a_signed_in_admin_may_with_the_sessions_csrf_token(app, hub):
    staff = app.test_client()
    csrf = sign_in(staff, "admin")
    assert staff.get("/api/admin/config").status_code == 200  # reading needs no CSRF token
    body = a_service(staff)
    body["name"] = {"zh": "企业名称", "en": "Company names"}
    assert_error(staff.put("/api/admin/services/company-name", json=body), 403, "forbidden")
    assert_error(staff.put("/api/admin/services/company-name", json=body,
                           headers={"X-CSRF-Token": "forged"}), 403, "forbidden")
    r = staff.put("/api/admin/services/company-name", json=body, headers=csrf)
    assert r.status_code == 200 and r.json["service"]["name"] == body["name"]
    entry = last_entry(staff, "service.put", headers={})
    assert entry["actor"] == {"kind": "staff", "id": "admin"}
    assert entry["target"] == "service:company-name"


def test_unknown_ids_are_404(client, hub):
    before = trace(client, hub)
    for method, path in (("delete", "/api/admin/services/nope"), ("delete", "/api/admin/windows/99"),
                         ("delete", "/api/admin/devices/nope"), ("post", "/api/admin/devices/nope/token"),
                         ("delete", "/api/admin/staff/nope")):
        assert_error(getattr(client, method)(path, headers=ADMIN), 404, "not_found")
    assert trace(client, hub) == before


# -- the whole hall --------------------------------------------------------------------------------

def test_the_config_and_its_toml_are_the_running_hall(client, hub):
    r = client.get("/api/admin/config", headers=ADMIN)
    assert r.json["version"] == hub.config.version == 1
    assert r.headers["Cache-Control"] == "no-store"
    text = client.get("/api/admin/config.toml", headers=ADMIN)
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert parse_config(tomllib.loads(text.get_data(as_text=True))) == parse_config(r.json["config"])
    assert "demo-kiosk" not in text.get_data(as_text=True)  # tokens only as their SHA-256
    kiosk = next(d for d in r.json["config"]["devices"] if d["id"] == "kiosk-1")
    assert kiosk["token_sha256"] == hashlib.sha256(b"demo-kiosk").hexdigest()


def test_the_export_uploaded_again_changes_nothing(client, hub):
    before = trace(client, hub)
    text = client.get("/api/admin/config.toml", headers=ADMIN).data
    assert len(text) > MAX_BODY_BYTES  # the whole hall is over the other routes' limit
    r = client.put("/api/admin/config", data=text, headers={**ADMIN, "Content-Type": "text/plain"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.json == {"version": 1, "changed": False, "changes": {}}
    assert trace(client, hub) == before


def test_an_uploaded_hall_replaces_the_running_one(client, hub):
    text = client.get("/api/admin/config.toml", headers=ADMIN).get_data(as_text=True)
    last = hub.bus.last_seq
    text = text.replace('id = "kiosk-1"', 'id = "kiosk-1"\nname = "Entrance"', 1)
    text += '\n[[devices]]\nid = "kiosk-new"\nrole = "kiosk"\ntoken = "a-new-kiosk-token"\n'
    r = client.put("/api/admin/config", data=text.encode(), headers=ADMIN)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.json == {"version": 2, "changed": True,
                      "changes": {"devices": {"added": ["kiosk-new"], "changed": ["kiosk-1"]}}}
    assert issue(client, headers=auth("a-new-kiosk-token")).status_code == 201
    # The token in the file is kept as its hash, as the loader keeps it.
    export = client.get("/api/admin/config.toml", headers=ADMIN).get_data(as_text=True)
    assert "a-new-kiosk-token" not in export
    assert hashlib.sha256(b"a-new-kiosk-token").hexdigest() in export
    assert new_events(hub, last)[0] == {**new_events(hub, last)[0], "type": "hall.changed",
                                        "version": 2}
    entry = last_entry(client, "config.put")
    assert entry["before"] == {"version": 1}
    assert entry["after"]["changes"]["devices"]["added"] == ["kiosk-new"]


def test_a_wrong_hall_is_refused_with_every_key_path(client, hub):
    before = trace(client, hub)
    text = client.get("/api/admin/config.toml", headers=ADMIN).get_data(as_text=True)
    text = text.replace('prefix = "A"', 'prefix = "a"', 1).replace("[queue]\n", "[queue]\nspeed = 3\n")
    errors = invalid(client.put("/api/admin/config", data=text.encode(), headers=ADMIN))
    assert errors == {"services.company-name.prefix": "'a' must be one or two capital letters A-Z",
                      "queue.speed": "is not a known setting (misspelt?)"}
    assert trace(client, hub) == before


@pytest.mark.parametrize("body, reason", [
    (b"[hall\nname = 1", "not valid TOML: "),
    ("名称".encode("gb18030"), "the body is not UTF-8 text"),
    (b"", "hall: is required"),
])
def test_a_body_that_is_no_hall_file_is_422_at_the_top(client, hub, body, reason):
    before = trace(client, hub)
    errors = invalid(client.put("/api/admin/config", data=body, headers=ADMIN))
    assert any(f"{path}: {message}".lstrip(": ").startswith(reason) for path, message in errors.items())
    if reason != "hall: is required":
        assert list(errors) == [""]
    assert trace(client, hub) == before


def test_the_hall_may_also_be_uploaded_as_the_json_it_is_read_as(client, hub):
    config = client.get("/api/admin/config", headers=ADMIN).json["config"]
    config["notices"] = [{"zh": "今日", "en": "Today"}]
    r = client.put("/api/admin/config", json=config, headers=ADMIN)
    assert r.status_code == 200 and r.json["changes"] == {"notices": "changed"}
    assert client.get("/api/hall").json["notices"] == [{"zh": "今日", "en": "Today"}]


def put_chunked(client, path, body: bytes):
    # How cheroot hands over a chunked body it decodes: no length, the stream marked terminated.
    return client.put(path, input_stream=io.BytesIO(body),
                      environ_overrides={"wsgi.input_terminated": True},
                      headers={**ADMIN, "Transfer-Encoding": "chunked"})


def test_the_hall_file_may_be_large_other_bodies_may_not(client, hub):
    before = trace(client, hub)
    text = client.get("/api/admin/config.toml", headers=ADMIN).data
    padded = text + b"\n" + b"#" * (HALL_FILE_BYTES - len(text) - 1)
    assert len(padded) == HALL_FILE_BYTES
    assert put_chunked(client, "/api/admin/config", padded).json["changed"] is False
    over = padded + b"#"
    assert_error(client.put("/api/admin/config", data=over, headers=ADMIN), 413, "payload_too_large")
    assert_error(put_chunked(client, "/api/admin/config", over), 413, "payload_too_large")
    big = {**a_service(client), "materials": [{"zh": "材料", "en": "x" * MAX_BODY_BYTES}]}
    assert_error(client.put("/api/admin/services/company-name", json=big, headers=ADMIN),
                 413, "payload_too_large")
    # Nobody but an administrator gets the larger limit: refused before the body is read.
    assert_error(client.put("/api/admin/config", data=text, headers=KIOSK), 403, "forbidden")
    assert trace(client, hub) == before


# -- services --------------------------------------------------------------------------------------

def test_a_new_service_is_issued_and_called_at_once(client, hub):
    last = hub.bus.last_seq
    r = client.put("/api/admin/services/new-one", json={**SERVICE, "windows": ["1", "2"]},
                   headers=ADMIN)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.json["version"] == 2
    service = r.json["service"]
    assert service == {**service, "id": "new-one", **SERVICE, "target_wait_minutes": 30,
                       "windows": ["1", "2"]}
    hall = client.get("/api/hall").json
    assert hall["hall"]["version"] == 2
    assert "new-one" in {s["id"] for s in hall["services"]}
    assert next(w for w in hall["windows"] if w["id"] == "2")["services"][-1] == "new-one"
    assert issue(client, "new-one").json["ticket"]["number"] == "ZZ001"
    called = client.post("/api/windows/2/call-next", headers=BUTTONS).json["ticket"]
    assert called["number"] == "ZZ001"
    assert new_events(hub, last)[0]["type"] == "hall.changed"
    entry = last_entry(client, "service.put")
    assert entry["actor"] == {"kind": "admin", "id": "admin"} and entry["before"] is None
    assert entry["after"]["windows"] == ["1", "2"] and entry["after"]["prefix"] == "ZZ"


def test_a_service_put_again_as_it_is_makes_no_version(client, hub):
    before = trace(client, hub)
    r = client.put("/api/admin/services/company-name", json=a_service(client), headers=ADMIN)
    assert r.status_code == 200 and r.json["version"] == 1
    # The answer may be sent back as it is (it names the id and the windows).
    again = client.put("/api/admin/services/company-name", json=r.json["service"], headers=ADMIN)
    assert again.status_code == 200 and again.json == r.json
    assert trace(client, hub) == before


def test_a_replaced_service_shows_at_once(client):
    body = {**a_service(client), "name": {"zh": "名称核准", "en": "Name approval"},
            "daily_limit": 2}
    r = client.put("/api/admin/services/company-name", json=body, headers=ADMIN)
    assert r.status_code == 200 and r.json["version"] == 2
    service = next(s for s in client.get("/api/hall").json["services"] if s["id"] == "company-name")
    assert service["name"]["en"] == "Name approval" and service["daily_limit"] == 2
    issue(client), issue(client)
    assert_error(issue(client), 409, "daily_limit_reached")


@pytest.mark.parametrize("body, path, words", [
    (SERVICE, "services.new-one.windows", "list the windows that serve"),
    ({**SERVICE, "windows": ["1"], "prefix": "A"}, "services.new-one.prefix",
     "'A' is already used by service 'company-name'"),
    ({**SERVICE, "windows": ["1"], "department": "mars"}, "services.new-one.department",
     "'mars' is not a department id"),
    ({**SERVICE, "windows": ["1"], "colour": "red"}, "services.new-one.colour", "is not a known"),
    ({**SERVICE, "windows": ["99"]}, "services.new-one.windows[0]", "'99' is not a window id"),
    ({**SERVICE, "windows": ["1"], "daily_limit": "many"}, "services.new-one.daily_limit",
     "must be an integer, not a string"),
    ({**SERVICE, "windows": ["1"], "hours": ["18:00-09:00"]}, "services.new-one.hours[0]",
     "ends before it starts"),
    ({**SERVICE, "windows": ["1"], "id": "other"}, "services.new-one.id", "the id is the one"),
])
def test_a_wrong_service_is_refused_at_its_field(client, hub, body, path, words):
    before = trace(client, hub)
    errors = invalid(client.put("/api/admin/services/new-one", json=body, headers=ADMIN))
    assert words in errors[path], errors
    assert trace(client, hub) == before


@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json", b""])
def test_a_body_that_is_no_object_is_400(client, hub, body):
    before = trace(client, hub)
    r = client.put("/api/admin/services/new-one", data=body,
                   headers={**ADMIN, "Content-Type": "application/json"})
    assert_error(r, 400, "bad_request")
    assert trace(client, hub) == before


def test_a_retired_service_is_no_longer_issued_but_its_tickets_are_called(client, hub):
    waiting = issue(client).json["ticket"]
    r = client.delete("/api/admin/services/company-name", headers=ADMIN)
    assert r.status_code == 200 and r.json["service"]["retired"] is True and r.json["version"] == 2
    assert_error(issue(client), 404, "not_found")
    assert "company-name" not in {s["id"] for s in client.get("/api/hall").json["services"]}
    called = client.post("/api/windows/1/call-next", headers=BUTTONS).json["ticket"]
    assert called["id"] == waiting["id"]
    again = client.delete("/api/admin/services/company-name", headers=ADMIN)
    assert again.status_code == 200 and again.json["version"] == 2  # nothing more to do
    # Put back as it was (without `retired`), it is issued again.
    body = {k: v for k, v in r.json["service"].items() if k != "retired"}
    assert client.put("/api/admin/services/company-name", json=body, headers=ADMIN).status_code == 200
    assert issue(client).status_code == 201


# -- windows ---------------------------------------------------------------------------------------

def test_a_new_window_calls_at_once(client):
    r = client.put("/api/admin/windows/50", json={"name": {"zh": "50号窗口", "en": "Window 50"},
                                                  "services": ["company-name"]}, headers=ADMIN)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.json["window"] == {"id": "50", "name": {"zh": "50号窗口", "en": "Window 50"},
                                "services": ["company-name"], "order": "oldest", "status": "open"}
    assert "50" in {w["id"] for w in client.get("/api/hall").json["windows"]}
    ticket = issue(client).json["ticket"]
    assert client.post("/api/windows/50/call-next", headers=ADMIN).json["ticket"]["id"] == ticket["id"]


@pytest.mark.parametrize("body, path, words", [
    ({"services": ["construction-land"], "order": "random"}, "windows.12.order", "must be one of"),
    ({"services": ["construction-land", "nope"]}, "windows.12.services[1]", "'nope' is not a service id"),
    ({"services": ["construction-land"], "green_ratio": 500}, "windows.12.green_ratio", "between 0"),
    # Window 12 is the only one serving construction-land.
    ({"services": ["real-estate-records"]}, "services.construction-land", "is served by no window"),
])
def test_a_wrong_window_is_refused_at_its_field(client, hub, body, path, words):
    before = trace(client, hub)
    errors = invalid(client.put("/api/admin/windows/12", json=body, headers=ADMIN))
    assert words in errors[path], errors
    assert trace(client, hub) == before


def test_a_window_is_retired_only_when_no_ticket_is_at_it(client, hub):
    issue(client)
    assert client.post("/api/windows/1/call-next", headers=BUTTONS).json["ticket"]
    before = trace(client, hub)
    error = assert_error(client.delete("/api/admin/windows/1", headers=ADMIN), 409, "invalid_state")
    assert "A001" in error["message"] and "A001" in error["message_zh"]
    assert trace(client, hub) == before
    client.post("/api/windows/1/finish", headers=BUTTONS)
    r = client.delete("/api/admin/windows/1", headers=ADMIN)
    assert r.status_code == 200 and r.json["window"]["retired"] is True
    assert "1" not in {w["id"] for w in client.get("/api/hall").json["windows"]}
    assert_error(client.post("/api/windows/1/call-next", headers=BUTTONS), 404, "not_found")


# -- devices ---------------------------------------------------------------------------------------

def test_a_new_device_gets_a_token_shown_once(client, hub):
    r = client.post("/api/admin/devices", json={"id": "kiosk-2", "role": "kiosk",
                                               "name": "东门取号机"}, headers=ADMIN)
    assert r.status_code == 201, r.get_data(as_text=True)
    token = r.json["token"]
    assert r.json["device"] == {"id": "kiosk-2", "role": "kiosk", "name": "东门取号机",
                                "windows": None}
    assert len(token) >= 32 and r.json["version"] == 2
    assert issue(client, headers=auth(token)).status_code == 201
    assert "kiosk-2" in {d["id"] for d in client.get("/api/hall").json["devices"]}
    # Nowhere else: not the config, its export, the audit log, the event stream.
    seen = [client.get(p, headers=ADMIN).get_data(as_text=True)
            for p in ("/api/admin/config", "/api/admin/config.toml", "/api/admin/audit", "/api/hall")]
    seen += [e.data for e in hub.events_after(0, 100_000)]
    assert not [s for s in seen if token in s]


def test_a_device_bound_to_windows_acts_there_only(client):
    r = client.post("/api/admin/devices", json={"id": "keys-9", "role": "buttons", "windows": ["2"]},
                    headers=ADMIN)
    token = r.json["token"]
    assert r.json["device"]["windows"] == ["2"]
    issue(client)
    assert client.post("/api/windows/2/call-next", headers=auth(token)).status_code == 200
    assert_error(client.post("/api/windows/1/call-next", headers=auth(token)), 403, "forbidden")


@pytest.mark.parametrize("body, path, words", [
    ({"id": "kiosk-1", "role": "kiosk"}, "devices.kiosk-1.id", "there is a device 'kiosk-1'"),
    ({"id": "k9", "role": "printer"}, "devices.k9.role", "must be one of"),
    ({"id": "k9", "role": "buttons", "windows": ["99"]}, "devices.k9.windows[0]", "not a window id"),
    ({"id": "k9", "role": "kiosk", "token": "my-own-token"}, "devices.k9.token", "the hub makes"),
    ({"id": "k9", "role": "kiosk", "exit_pin": "12"}, "devices.k9.exit_pin", "4 to 8 digits"),
])
def test_a_wrong_device_is_refused_at_its_field(client, hub, body, path, words):
    before = trace(client, hub)
    errors = invalid(client.post("/api/admin/devices", json=body, headers=ADMIN))
    assert words in errors[path], errors
    assert trace(client, hub) == before


def test_a_new_token_and_the_old_one_is_refused(client):
    r = client.post("/api/admin/devices/kiosk-1/token", headers=ADMIN)
    assert r.status_code == 200 and r.json["device"]["id"] == "kiosk-1"
    assert_error(issue(client), 401, "unauthorized")
    assert issue(client, headers=auth(r.json["token"])).status_code == 201
    entry = last_entry(client, "device.token")
    assert (entry["before"]["token_sha256"], entry["after"]["token_sha256"]) == ("(hidden)", "(changed)")
    assert_error(client.post("/api/admin/devices/kiosk-1/token", json={"token": "x"}, headers=ADMIN),
                 400, "bad_request")


def test_a_revoked_device_is_refused_and_gone(client):
    r = client.delete("/api/admin/devices/buttons-1", headers=ADMIN)
    assert r.status_code == 200 and r.json["device"]["id"] == "buttons-1"
    assert_error(client.post("/api/windows/1/call-next", headers=BUTTONS), 401, "unauthorized")
    assert "buttons-1" not in {d["id"] for d in client.get("/api/hall").json["devices"]}
    config = client.get("/api/admin/config", headers=ADMIN).json["config"]
    assert not [b for b in config["gpio"]["buttons"] if b.get("device") == "buttons-1"]
    entry = last_entry(client, "device.revoke")
    assert entry["after"] is None and entry["before"]["gpio_buttons"]  # to wire a new Pi by


def test_the_last_administrator_is_not_locked_out(make_app):
    app = make_app(HALL=parse_config(small_hall_data()))  # an admin token, no admin staff
    client = app.test_client()
    before = trace(client, app.config["HUB"])
    adm = auth("admin-token-1")
    errors = invalid(client.delete("/api/admin/devices/adm", headers=adm))
    assert "no administrator would be left" in errors["staff"]
    assert trace(client, app.config["HUB"]) == before


# -- staff ---------------------------------------------------------------------------------------

def test_a_new_member_signs_in_with_the_password_given(app, client):
    r = client.put("/api/admin/staff/w99", json={"name": "新同事", "role": "clerk", "windows": ["2"],
                                                 "password": "welcome-1"}, headers=ADMIN)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.json["staff"] == {"id": "w99", "name": "新同事", "role": "clerk", "windows": ["2"],
                               "disabled": False}
    config = client.get("/api/admin/config", headers=ADMIN).json["config"]
    member = next(s for s in config["staff"] if s["id"] == "w99")
    assert member["password_hash"].startswith("pbkdf2:sha256:")
    staff = app.test_client()
    sign_in(staff, "w99", "welcome-1")
    assert staff.get("/api/windows/2").status_code == 200
    audit = client.get("/api/admin/audit", headers=ADMIN).get_data(as_text=True)
    assert "welcome-1" not in audit and "pbkdf2" not in audit
    assert last_entry(client, "staff.put")["after"]["password_hash"] == "(changed)"


@pytest.mark.parametrize("body, path, words", [
    ({"name": "X", "role": "clerk", "windows": ["1"]}, "staff.x1.password", "is required"),
    ({"name": "X", "role": "boss", "windows": ["1"], "password": "secret"}, "staff.x1.role",
     "'boss' must be one of clerk, supervisor, admin"),
    ({"name": "X", "role": "clerk", "windows": ["99"], "password": "secret"}, "staff.x1.windows[0]",
     "'99' is not a window id"),
    ({"name": "X", "role": "clerk", "password": "secret"}, "staff.x1.windows", "is required"),
    ({"name": "X", "role": "clerk", "windows": ["1"], "password": "abc"}, "staff.x1.password",
     "must be 4 to 200 characters"),
    ({"name": "X", "role": "admin", "password_hash": "pbkdf2:sha256:1$a$b"},
     "staff.x1.password_hash", "send the password itself"),
])
def test_a_wrong_member_is_refused_at_their_field(client, hub, body, path, words):
    before = trace(client, hub)
    errors = invalid(client.put("/api/admin/staff/x1", json=body, headers=ADMIN))
    assert words in errors[path], errors
    assert trace(client, hub) == before


W3 = {"name": "3号窗口工作人员", "role": "clerk", "windows": ["3"]}


def test_the_same_member_with_the_same_password_makes_no_version(client, hub):
    before = trace(client, hub)
    r = client.put("/api/admin/staff/w3", json={**W3, "password": "demo"}, headers=ADMIN)
    assert r.status_code == 200 and r.json["version"] == 1
    assert trace(client, hub) == before


@pytest.mark.parametrize("change", [
    {**W3, "password": "a-new-one"},  # a password reset
    {**W3, "disabled": True},
    None,  # deleted
])
def test_a_member_changed_so_is_signed_out_at_their_next_request(app, client, change):
    staff = app.test_client()
    sign_in(staff, "w3")
    assert staff.get("/api/windows/3").status_code == 200
    if change is None:
        r = client.delete("/api/admin/staff/w3", headers=ADMIN)
        assert r.json["staff"]["id"] == "w3"
    else:
        r = client.put("/api/admin/staff/w3", json=change, headers=ADMIN)
    assert r.status_code == 200 and r.json["version"] == 2
    assert_error(staff.get("/api/windows/3"), 401, "unauthorized")
    if change is not None and "password" in change:
        sign_in(app.test_client(), "w3", "a-new-one")


def test_a_member_given_other_windows_acts_there_now(app, client):
    staff = app.test_client()
    csrf = sign_in(staff, "w3")
    assert_error(staff.post("/api/windows/4/pause", headers=csrf), 403, "forbidden")
    r = client.put("/api/admin/staff/w3", json={**W3, "windows": ["3", "4"]}, headers=ADMIN)
    assert r.status_code == 200
    assert staff.post("/api/windows/4/pause", headers=csrf).status_code == 200


# -- the audit log -------------------------------------------------------------------------------

def test_the_audit_log_pages_by_sequence(client):
    client.put("/api/admin/services/company-name", json={**a_service(client), "daily_limit": 9},
               headers=ADMIN)
    client.post("/api/admin/devices", json={"id": "k7", "role": "kiosk"}, headers=ADMIN)
    entries = client.get("/api/admin/audit", headers=ADMIN).json["entries"]
    assert [e["action"] for e in entries] == ["hall.seed", "service.put", "device.add"]
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    first = entries[0]
    assert set(first) == {"seq", "at", "actor", "action", "target", "before", "after"}
    page = client.get(f"/api/admin/audit?after={first['seq']}&limit=1", headers=ADMIN).json
    assert page["entries"] == entries[1:2]
    assert "daily_limit" not in entries[1]["before"]
    assert entries[1]["after"]["daily_limit"] == 9
    # As staff read it: newest first, a page below a number.
    newest = client.get("/api/admin/audit?before=4611686018427387904&limit=2", headers=ADMIN).json
    assert newest["entries"] == entries[:0:-1]
    older = client.get(f"/api/admin/audit?before={entries[1]['seq']}", headers=ADMIN).json
    assert older["entries"] == entries[:1]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "after=-1", "after=1.5",
                                   "after=", "limit=١٠", "before=0", "before=x",
                                   "after=1&before=5"])
def test_bad_audit_queries_are_400(client, query):
    assert_error(client.get(f"/api/admin/audit?{query}", headers=ADMIN), 400, "bad_request")


def test_a_change_made_by_another_process_is_read_and_built_on_at_once(make_app):
    # Two hub processes on one database, neither following the other (no follower thread):
    # the administration API still reads, and changes, the newest hall.
    here, there = make_app().test_client(), make_app().test_client()
    assert there.post("/api/admin/devices", json={"id": "k8", "role": "kiosk"},
                      headers=ADMIN).json["version"] == 2
    config = here.get("/api/admin/config", headers=ADMIN).json
    assert config["version"] == 2 and "k8" in {d["id"] for d in config["config"]["devices"]}
    r = here.delete("/api/admin/devices/k8", headers=ADMIN)
    assert r.status_code == 200 and r.json["version"] == 3
