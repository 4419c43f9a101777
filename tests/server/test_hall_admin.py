"""The hall's live changes (server/hall_admin.py) over the hall dict, and made versions on a hub:
what each change makes of the hall, what it refuses and with which key path, and that a refused
or empty change leaves no version behind."""
from __future__ import annotations

import copy

import pytest
from helpers import small_hall, small_hall_data

from hallcall.server import hall_admin as admin
from hallcall.server.audit import Actor
from hallcall.server.config import ConfigError, parse_config
from hallcall.server.config.dump import config_dict
from hallcall.server.engine.model import DomainError
from hallcall.server.passwords import make_hash, verify

ACTOR = Actor("admin", "adm")
PASSWORD_HASH = make_hash("secret-1")


@pytest.fixture(scope="module")
def hall() -> dict:
    """The small hall as the database keeps it, with one clerk and keys wired to device b1."""
    data = small_hall_data()
    data["staff"] = [{"id": "c1", "name": "Clerk", "windows": ["1"], "password_hash": PASSWORD_HASH}]
    data["gpio"] = {"buttons": [{"window": "1", "device": "b1", "call_pin": 17},
                                {"window": "2", "call_pin": 18}]}
    return config_dict(parse_config(data))


@pytest.fixture
def data(hall) -> dict:
    return copy.deepcopy(hall)


def problems_of(excinfo) -> list[str]:
    return excinfo.value.problems


def valid(data: dict) -> dict:
    """The hall the loader makes of it, as the database would keep it."""
    return config_dict(parse_config(data))


SERVICE = {"prefix": "D", "department": "d", "name": {"zh": "丁", "en": "Delta"}}


# -- services ------------------------------------------------------------------------------------

def test_a_new_service_joins_the_end_of_the_lines_of_the_windows_listed(data):
    new = valid(admin.put_service(data, "d", {**SERVICE, "windows": ["2", "3"]}))
    assert admin.serving(new, "d") == ["2", "3"]
    assert admin.find(new, "windows", "2")["services"] == ["a", "b", "d"]
    assert admin.find(new, "services", "d")["prefix"] == "D"
    assert [s["id"] for s in new["services"]] == ["a", "b", "c", "d"]


def test_a_service_replaced_keeps_its_place_and_windows_unless_told(data):
    new = valid(admin.put_service(data, "b", {**SERVICE, "prefix": "B"}))
    assert [s["id"] for s in new["services"]] == ["a", "b", "c"]
    assert admin.find(new, "services", "b")["name"] == SERVICE["name"]
    assert admin.serving(new, "b") == ["2", "3"]
    # Listing the windows takes the service from the others (the window's other lines stay).
    moved = valid(admin.put_service(copy.deepcopy(new), "b", {**SERVICE, "prefix": "B",
                                                               "windows": ["3"]}))
    assert admin.serving(moved, "b") == ["3"]
    assert admin.find(moved, "windows", "2")["services"] == ["a"]


def test_a_new_service_no_window_serves_is_refused_at_its_windows_key(data):
    with pytest.raises(ConfigError) as excinfo:
        admin.put_service(data, "d", SERVICE)
    assert problems_of(excinfo) == [
        "services.d.windows: list the windows that serve the new service; a service no window "
        "serves would take tickets nobody calls"]


@pytest.mark.parametrize("windows, problem", [
    ("1", "services.d.windows: must be a list of window ids"),
    (["9"], "services.d.windows[0]: '9' is not a window id"),
    (["1", "1"], "services.d.windows: lists a window twice"),
])
def test_the_windows_of_a_service_must_be_windows_of_the_hall(data, windows, problem):
    with pytest.raises(ConfigError) as excinfo:
        admin.put_service(data, "d", {**SERVICE, "windows": windows})
    assert problems_of(excinfo) == [problem]


def test_a_retired_window_neither_takes_a_service_nor_loses_one(data):
    admin.find(data, "windows", "3")["retired"] = True
    with pytest.raises(ConfigError) as excinfo:
        admin.put_service(copy.deepcopy(data), "d", {**SERVICE, "windows": ["3"]})
    assert problems_of(excinfo) == ["services.d.windows[0]: window '3' is retired"]
    new = admin.put_service(data, "b", {**SERVICE, "prefix": "B", "windows": ["2"]})
    assert "b" in admin.find(new, "windows", "3")["services"]  # its waiting tickets' line


def test_the_id_is_the_addresss(data):
    assert admin.put_service(data, "d", {**SERVICE, "id": "d", "windows": ["1"]})
    with pytest.raises(ConfigError) as excinfo:
        admin.put_service(data, "d", {**SERVICE, "id": "e", "windows": ["1"]})
    assert problems_of(excinfo)[0].startswith("services.d.id: ")


def test_retiring_a_service_keeps_it_in_its_windows_lines(data):
    new = valid(admin.retire_service(data, "a"))
    assert admin.find(new, "services", "a")["retired"] is True
    assert admin.find(new, "windows", "1")["services"] == ["a"]
    with pytest.raises(DomainError) as excinfo:
        admin.retire_service(data, "zz")
    assert (excinfo.value.code, excinfo.value.status) == ("not_found", 404)


def test_windows_are_put_and_retired(data):
    new = valid(admin.put_window(data, "4", {"services": ["c"], "order": "service-order"}))
    assert admin.find(new, "windows", "4")["order"] == "service-order"
    assert admin.find(valid(admin.retire_window(new, "4")), "windows", "4")["retired"] is True
    with pytest.raises(DomainError):
        admin.retire_window(new, "9")


# -- devices -------------------------------------------------------------------------------------

def test_a_device_is_added_with_the_hash_of_its_token_only(data):
    token, digest = admin.new_token()
    assert len(token) >= 32 and digest != token
    new = valid(admin.add_device(data, {"id": "k3", "role": "kiosk", "name": "Door"}, digest))
    device = admin.find(new, "devices", "k3")
    assert device == {"id": "k3", "role": "kiosk", "name": "Door", "token_sha256": digest}
    assert parse_config(new).device_by_token(token).id == "k3"


@pytest.mark.parametrize("body, problem", [
    ({"id": "k", "role": "kiosk"}, "devices.k.id: there is a device 'k' already"),
    ({"id": "k3", "role": "kiosk", "token": "chosen-token"}, "devices.k3.token: the hub makes"),
])
def test_a_device_keeps_its_id_and_the_hub_makes_its_token(data, body, problem):
    with pytest.raises(ConfigError) as excinfo:
        admin.add_device(data, body, "0" * 64)
    assert problems_of(excinfo)[0].startswith(problem)


def test_a_new_token_replaces_the_old_one(data):
    old = parse_config(data).device("k").token_sha256
    token, digest = admin.new_token()
    config = parse_config(admin.rotate_token(data, "k", digest))
    assert config.device_by_token(token).id == "k" and config.device("k").token_sha256 != old
    assert config.device_by_token("kiosk-token-1") is None


def test_a_revoked_device_takes_the_keys_its_pi_drove(data):
    new = valid(admin.revoke_device(data, "b1"))
    assert admin.find(new, "devices", "b1") is None
    assert new["gpio"]["buttons"] == [{"window": "2", "call_pin": 18}]
    with pytest.raises(DomainError):
        admin.revoke_device(new, "b1")


# -- staff ---------------------------------------------------------------------------------------

def test_a_member_keeps_their_password_unless_a_new_one_is_given(data):
    body = {"name": "Clerk One", "role": "supervisor"}
    new = valid(admin.put_staff(data, "c1", body, None))
    assert admin.find(new, "staff", "c1")["password_hash"] == PASSWORD_HASH
    other = make_hash("another")
    assert admin.find(admin.put_staff(new, "c1", body, other), "staff", "c1")["password_hash"] == other


def test_a_new_member_needs_a_password_and_nobody_sends_a_hash(data):
    with pytest.raises(ConfigError) as excinfo:
        admin.put_staff(data, "c2", {"name": "New", "role": "admin"}, None)
    assert problems_of(excinfo) == ["staff.c2.password: is required for a new member of staff"]
    with pytest.raises(ConfigError) as excinfo:
        admin.put_staff(data, "c1", {"name": "C", "password_hash": PASSWORD_HASH}, None)
    assert problems_of(excinfo)[0].startswith("staff.c1.password_hash: ")


def test_the_same_password_again_keeps_the_hash_a_new_one_makes_one():
    assert admin.password_hash_for(PASSWORD_HASH, "secret-1", "staff.c1") == PASSWORD_HASH
    new = admin.password_hash_for(PASSWORD_HASH, "secret-2", "staff.c1")
    assert new != PASSWORD_HASH and verify(new, "secret-2")
    assert verify(admin.password_hash_for(None, "secret-1", "staff.c9"), "secret-1")
    for bad in ("abc", 1234, "x" * 201):
        with pytest.raises(ConfigError) as excinfo:
            admin.password_hash_for(None, bad, "staff.c9")
        assert problems_of(excinfo)[0].startswith("staff.c9.password: must be")


def test_a_deleted_member_leaves_the_hall(data):
    assert admin.find(admin.delete_staff(data, "c1"), "staff", "c1") is None
    with pytest.raises(DomainError):
        admin.delete_staff(data, "c1")


def test_the_last_administrator_is_kept(data):
    without_device = admin.revoke_device(copy.deepcopy(data), "adm")
    with pytest.raises(ConfigError) as excinfo:
        admin.check_admins_left(data, without_device)
    assert problems_of(excinfo)[0].startswith("staff: no administrator would be left")
    boss = admin.put_staff(copy.deepcopy(data), "boss", {"name": "Boss", "role": "admin"},
                           PASSWORD_HASH)
    admin.check_admins_left(boss, admin.revoke_device(copy.deepcopy(boss), "adm"))  # one is left
    disabled = admin.put_staff(copy.deepcopy(boss), "boss", {"name": "Boss", "role": "admin",
                                                              "disabled": True}, None)
    with pytest.raises(ConfigError):
        admin.check_admins_left(boss, admin.revoke_device(disabled, "adm"))


# -- key paths and words -------------------------------------------------------------------------

def test_list_items_are_named_by_id_where_they_have_a_usable_one(hall):
    broken = copy.deepcopy(hall)
    broken["services"][1]["prefix"] = "b"
    broken["services"][2]["materials"] = [{"zh": "证件"}]
    broken["windows"][0]["order"] = "random"
    broken["gpio"]["buttons"][0]["call_pin"] = 99
    broken["notices"] = [{"zh": "x"}]
    broken["staff"].append({**broken["staff"][0]})  # c1 twice: the index says which one
    with pytest.raises(ConfigError) as excinfo:
        parse_config(broken)
    paths = [e["path"] for e in admin.config_errors(excinfo.value.problems, broken)]
    assert "services.b.prefix" in paths
    assert "services.c.materials[0].en" in paths
    assert "windows.1.order" in paths
    assert "gpio.buttons[0].call_pin" in paths  # keys have no id
    assert "notices[0].en" in paths
    assert "staff[1].id" in paths


def test_a_service_no_window_serves_is_named_by_its_id():
    data = small_hall_data()
    data["windows"] = [w for w in data["windows"] if w["id"] != "3"]
    data["windows"][1]["services"] = ["a"]
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    errors = admin.config_errors(excinfo.value.problems, data)
    assert [e["path"] for e in errors] == ["services.b", "services.c"]
    assert errors[0]["message_zh"].startswith("没有窗口办理该业务")


def test_without_the_hall_the_paths_stay_as_the_loader_gives_them():
    errors = admin.config_errors(["services[3].prefix: 'a' must be one or two capital letters A-Z",
                                  "not valid TOML: Expected '=' (at line 2, column 3)"])
    assert errors == [
        {"path": "services[3].prefix", "message": "'a' must be one or two capital letters A-Z",
         "message_zh": "须为一到两个大写字母 A-Z"},
        {"path": "", "message": "not valid TOML: Expected '=' (at line 2, column 3)",
         "message_zh": "不是有效的 TOML：Expected '=' (at line 2, column 3)"}]


@pytest.mark.parametrize("reason, zh", [
    ("is required", "必须填写"),
    ("must be an integer, not a string", "类型不对，应为整数"),
    ("must be between 0.5 and 10 seconds", "须在 0.5 到 10 之间"),
    ("must be between 0 (green strictly first) and 99", "须在 0 到 99 之间"),
    ("'A' is already used by service 'a'", "已被业务 a 使用"),
    ("'x' is not a department id", "不是已有的部门"),
    ("'z' must be one of oldest, service-order", "须为以下之一：oldest, service-order"),
    ("must be a string with {number} and {window} in it", "须包含 {number}（号码）和 {window}（窗口）"),
    ("something no table knows", "配置项 services.a.x 有误"),
])
def test_every_reason_has_chinese_words(reason, zh):
    assert admin.reason_zh("services.a.x", reason) == zh


def test_every_reason_the_loader_gives_for_a_broken_small_hall_has_its_own_chinese():
    data = small_hall_data()
    data["hall"]["device_offline_after_s"] = 5
    data["services"][0].update(prefix="AA1", department="x", daily_limit=0, hours=["9-10"])
    data["windows"][0].update(order="x", green_ratio=-1, colour="red")
    data["devices"][0]["token"] = "short"
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    fallbacks = [e for e in admin.config_errors(excinfo.value.problems, data)
                 if e["message_zh"].startswith("配置项")]
    assert fallbacks == []


# -- the audit's before and after ----------------------------------------------------------------

def test_secrets_become_words_in_the_audit(hall):
    member = admin.find(hall, "staff", "c1")
    assert admin.masked(member)["password_hash"] == admin.HIDDEN
    changed = {**member, "password_hash": make_hash("new")}
    assert admin.masked(changed, member)["password_hash"] == admin.CHANGED
    assert admin.masked(member, member)["password_hash"] == admin.HIDDEN
    entry = admin.item_audit("devices", "b1")(hall, admin.revoke_device(copy.deepcopy(hall), "b1"), 1)
    assert entry[1] is None and entry[0]["token_sha256"] == admin.HIDDEN
    assert entry[0]["gpio_buttons"] == [{"window": "1", "device": "b1", "call_pin": 17}]
    leaked = {"after": [{"token": "kiosk-token-1", "password_hash": admin.CHANGED}]}
    assert admin.scrubbed(leaked) == {"after": [{"token": admin.HIDDEN,
                                                 "password_hash": admin.CHANGED}]}


def test_a_replaced_hall_is_summed_up_by_ids(hall):
    new = copy.deepcopy(hall)
    new["services"] = [s for s in new["services"] if s["id"] != "c"]
    new["services"][0]["name"] = {"zh": "新", "en": "New"}
    new["notices"] = [{"zh": "通知", "en": "Notice"}]
    new["devices"].append({"id": "k9", "role": "kiosk", "token_sha256": "1" * 64})
    assert admin.summary(hall, new) == {
        "devices": {"added": ["k9"]}, "notices": "changed",
        "services": {"removed": ["c"], "changed": ["a"]}}


# -- changes made versions on a hub ----------------------------------------------------------------

def versions(hub) -> int:
    with hub.store.read(hub.config) as tx:
        return tx.hall_version()


def test_a_change_is_a_version_with_its_audit_entry(make_hub):
    hub = make_hub(small_hall())
    result = admin.change(hub, lambda d: admin.put_service(d, "d", {**SERVICE, "windows": ["1"]}),
                          ACTOR, "service.put", "service:d", admin.item_audit("services", "d"))
    assert result.changed and result.version == versions(hub) == 2 == hub.config.version
    assert hub.config.service("d").prefix == "D"
    entry = hub.audit_log()[-1]
    assert (entry.action, entry.target, entry.before) == ("service.put", "service:d", None)
    assert entry.after["windows"] == ["1"] and entry.actor == ACTOR


def test_the_same_hall_again_makes_no_version(make_hub):
    hub = make_hub(small_hall())
    audited = len(hub.audit_log())
    last = hub.bus.last_seq
    same = admin.find(config_dict(hub.config), "services", "b")
    body = {k: v for k, v in same.items() if k != "id"}
    result = admin.change(hub, lambda d: admin.put_service(d, "b", body), ACTOR, "service.put",
                          "service:b", admin.item_audit("services", "b"))
    assert not result.changed and result.version == 1 == versions(hub)
    assert len(hub.audit_log()) == audited and hub.bus.last_seq == last


def test_a_refused_change_writes_nothing(make_hub):
    hub = make_hub(small_hall())
    audited = len(hub.audit_log())
    with pytest.raises(ConfigError):
        admin.change(hub, lambda d: admin.put_window(d, "1", {"services": ["a"], "order": "x"}),
                     ACTOR, "window.put", "window:1", admin.item_audit("windows", "1"))
    assert versions(hub) == 1 and len(hub.audit_log()) == audited


def test_a_window_with_a_ticket_at_it_is_not_retired(make_hub):
    hub = make_hub(small_hall())
    hub.issue("a")
    hub.act("1", "call-next")

    def retire():
        return admin.change(hub, lambda d: admin.retire_window(d, "1"), ACTOR, "window.retire",
                            "window:1", admin.item_audit("windows", "1"))

    with pytest.raises(DomainError) as excinfo:
        retire()
    assert excinfo.value.code == "invalid_state" and "A001" in excinfo.value.message
    assert versions(hub) == 1
    hub.act("1", "finish")
    assert retire().changed and hub.config.window("1").retired


def test_a_service_left_out_of_a_new_hall_while_tickets_wait_is_refused(make_hub):
    hub = make_hub(small_hall())
    hub.issue("c")
    without_c = small_hall_data()
    without_c["services"] = without_c["services"][:2]
    without_c["windows"][2]["services"] = ["b"]
    with pytest.raises(DomainError) as excinfo:
        admin.change(hub, lambda d: copy.deepcopy(without_c), ACTOR, "config.put", "config",
                     admin.config_audit)
    assert excinfo.value.code == "invalid_state"
    assert versions(hub) == 1


def test_a_change_builds_on_another_processs_change(make_hub):
    first = make_hub(small_hall())
    second = make_hub(small_hall())  # the same file, another hub (a second process)
    admin.change(first, lambda d: admin.put_service(d, "d", {**SERVICE, "windows": ["1"]}),
                 ACTOR, "service.put", "service:d", admin.item_audit("services", "d"))
    result = admin.change(second, lambda d: admin.retire_service(d, "c"), ACTOR,
                          "service.retire", "service:c", admin.item_audit("services", "c"))
    assert result.version == 3
    assert second.config.service("d") is not None and second.config.service("c").retired
