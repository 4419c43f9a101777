"""The hall lives in the database: real `hallcall serve` processes sharing one SQLite file, as
an upgrade overlap or a second worker has them, and the same file across restarts.

A change made on one process is used by the other within a second; a revoked token is refused
by both; a window closed for the day stays closed across a restart; `serve --config` on a
database that holds a hall runs the database's and says so; the export rebuilds the same hall
on a new database; and the demo tokens are refused beyond loopback by the hall actually run.
"""
from __future__ import annotations

import re
import time
import uuid

import pytest
from helpers import auth

from hallcall.cli import main
from hallcall.hallclient import HubError
from hallcall.server.bootstrap import build_hub
from hallcall.server.config import demo_config_path, load_config
from hallcall.server.passwords import make_hash

pytestmark = pytest.mark.slow

KIOSK, BUTTONS, ADMIN = "demo-kiosk", "demo-buttons", "demo-admin"
WITHIN_S = 1.0  # docs/design.md: a hall change reaches every hub process within 1 s

PASSPORT = {"prefix": "PR", "department": "pso", "name": {"zh": "护照换发", "en": "Passport renewal"},
            "materials": [{"zh": "旧护照", "en": "The old passport"}], "windows": ["44"]}


def until(condition, within: float = 5.0) -> float:
    """Seconds until condition() held (asked every 20 ms); fails after `within`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, f"not within {within} s"
        time.sleep(0.02)
    return time.monotonic() - started


def refused(client) -> bool:
    """Whether the hub answers this client's token with 401 (GET /api/devices/self)."""
    try:
        client.whoami()
        return False
    except HubError as err:
        assert err.status == 401, err
        return True


def issue(client, service: str) -> dict:
    return client.request("POST", "/api/tickets", {"service": service},
                          {"Idempotency-Key": uuid.uuid4().hex})[1]["ticket"]


def demo_text() -> str:
    return demo_config_path().read_text("utf-8")


def department_of_a_demo_service() -> str:
    return re.search(r'^department = "([^"]+)"', demo_text(), re.M).group(1)


def test_a_change_on_one_process_is_used_by_the_other_within_a_second(start_server):
    one, two = start_server(), start_server()  # one database file
    admin, kiosk_one = one.client(ADMIN), one.client(KIOSK)
    kiosk_two, board_two = two.client(KIOSK), two.client()
    try:
        service = {**PASSPORT, "department": department_of_a_demo_service()}
        status, body = admin.request("PUT", "/api/admin/services/passport-renewal", service)
        assert status == 201 and body["version"] == 2

        def listed() -> bool:
            return any(s["id"] == "passport-renewal" for s in board_two.hall()["services"])

        assert until(listed) < WITHIN_S
        ticket = issue(kiosk_two, "passport-renewal")
        assert ticket["number"] == "PR001" and ticket["service"] == "passport-renewal"

        assert kiosk_one.whoami() and kiosk_two.whoami()  # both let the kiosk in before
        status, _ = admin.request("DELETE", "/api/admin/devices/kiosk-1")
        assert status in (200, 204)
        assert refused(kiosk_one)  # the process that revoked it: at once
        assert until(lambda: refused(kiosk_two)) < WITHIN_S
        with pytest.raises(HubError) as err:
            issue(kiosk_two, "company-name")
        assert err.value.status == 401
    finally:
        for client in (admin, kiosk_one, kiosk_two, board_two):
            client.close()


def test_the_database_hall_outlives_restarts_and_the_file_and_its_export_rebuilds_it(
        make_app, make_server, hub_db, tmp_path):
    # The first hub: the web app in this process, on the file the real servers then use (one
    # real start fewer; the real clock, so that the restart falls on the same hall day).
    first = make_app(CLOCK=None)
    web = first.test_client()
    assert web.post("/api/windows/3/close", headers=auth(ADMIN)).status_code == 200
    service = {**PASSPORT, "department": department_of_a_demo_service()}
    answer = web.put("/api/admin/services/passport-renewal", json=service, headers=auth(ADMIN))
    assert answer.status_code == 201
    version = answer.get_json()["version"]
    first.config["HUB"].stop()

    # A technician edits the file and restarts with it: the database's hall runs, and says so.
    other = tmp_path / "other.toml"
    other.write_text(demo_text().replace('"企业名称预先核准"', '"企业名称自主申报"', 1), "utf-8")
    again = make_server(extra_args=["--config", str(other)]).start()
    board, buttons, admin = again.client(), again.client(BUTTONS), again.client(ADMIN)
    try:
        log = again.log_text()
        warning = [line for line in log.splitlines() if "WARNING" in line]
        assert len(warning) == 1, log
        assert (f"the database holds the hall (version {version}); {other} differs and was not applied: "
                f"`hallcall config import {other} --db {hub_db}` shows the difference and "
                "replaces it") in warning[0]
        hall = board.hall()
        services = {s["id"]: s for s in hall["services"]}
        assert "passport-renewal" in services
        assert services["company-name"]["name"]["zh"] == "企业名称预先核准"  # not the file's
        assert next(w for w in hall["windows"] if w["id"] == "3")["status"] == "closed"
        for action in ("call-next", "resume"):
            with pytest.raises(HubError) as err:
                buttons.window("3", action)
            assert (err.value.status, err.value.code) == (409, "window_closed")
        served = admin.request("GET", "/api/admin/config")[1]

        # The export of the running hub's database, checked, seeds a new database with the
        # same hall.
        exported = tmp_path / "export.toml"
        assert main(["config", "export", "--db", str(hub_db), "-o", str(exported)]) == 0
        assert main(["check-config", str(exported)]) == 0
    finally:
        for client in (board, buttons, admin):
            client.close()

    rebuilt = make_server(db=tmp_path / "new.db", extra_args=["--config", str(exported)]).start()
    admin = rebuilt.client(ADMIN)
    try:
        copy = admin.request("GET", "/api/admin/config")[1]
    finally:
        admin.close()
    assert "WARNING" not in rebuilt.log_text()
    assert (served["version"], copy["version"]) == (version, 1)
    assert copy["config"] == served["config"]


def seeded(db, config_file: str | None = None) -> None:
    """A database holding the hall of `config_file` (the demo hall by default), as a first
    `serve --config` leaves it."""
    build_hub(load_config(config_file), str(db), follow=False).stop()


def own_hall(path) -> str:
    """The demo hall with its own device tokens and staff passwords: nothing public in it."""
    text = re.sub(r'token = "demo-([a-z]+)"', r'token = "own-\1-Xq7vR2mW9kL4"', demo_text())
    own = make_hash("our own pass")
    text = re.sub(r'password_hash = "[^"]+"', f'password_hash = "{own}"', text)
    path.write_text(text, "utf-8")
    return str(path)


def test_demo_tokens_are_refused_beyond_loopback_by_the_hall_the_hub_runs(make_server, tmp_path):
    # A database holding the hall's own tokens serves the network, though the file it is
    # started with (none: the demo hall) has the public ones.
    own_db = tmp_path / "own.db"
    seeded(own_db, own_hall(tmp_path / "own.toml"))
    server = make_server(db=own_db, host="0.0.0.0").start()
    client = server.client()
    try:
        assert client.health()["status"] == "ok"
    finally:
        client.close()
    assert "PUBLIC demo" not in server.log_text() and "refused" not in server.log_text()
    server.stop()

    # A database holding the demo hall is refused, though the file given has its own tokens:
    # the message says how to change the database's hall.
    demo_db = tmp_path / "demo.db"
    seeded(demo_db)
    refused_server = make_server(db=demo_db, host="0.0.0.0",
                                 extra_args=["--config", str(tmp_path / "own.toml")])
    assert refused_server.run_to_exit() == 2
    said = refused_server.log_text()
    assert "the hall in the database (version 1) uses the public demo tokens" in said
    assert "`hallcall config import FILE`" in said and "--allow-demo-tokens" in said
