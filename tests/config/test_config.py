"""The hall config: the demo hall is valid and complete; every mistake is named by its key path."""
import copy
import subprocess
import sys
from datetime import time

import pytest
from helpers import small_hall_data

from hallcall.server.config import DEMO_TOKENS, ConfigError, load_config, parse_config
from hallcall.server.config.model import token_sha256


def problems(data) -> list[str]:
    with pytest.raises(ConfigError) as e:
        parse_config(data)
    return e.value.problems


def test_demo_hall_models_the_reference_hall(demo_config):
    c = demo_config
    zh_departments = {d.name.zh for d in c.departments}
    for name in ("商务局", "经济发展局", "工商局", "国土资源局", "环境保护局", "规划局",
                 "城市建设管理委员会"):
        assert name in zh_departments
    assert any("民生" in n for n in zh_departments)
    assert len(c.windows) >= 19 and len(c.services) >= 30
    assert all(s.materials and s.name.zh and s.name.en for s in c.services)
    assert any(s.daily_limit for s in c.services)
    assert any(len(c.windows_serving(s.id)) > 1 for s in c.services)  # parallel approval
    assert any(len(w.services) > 1 for w in c.windows)
    assert {d.token_sha256 for d in c.devices} == {token_sha256(t) for t in DEMO_TOKENS}
    # The staff of the hall's other side: a supervisor and an administrator, besides the clerks.
    assert {m.id: m.role for m in c.staff if m.role != "clerk"} == {"admin": "admin",
                                                                   "lead": "supervisor"}
    assert [w.id for w in c.windows][:3] == ["1", "2", "3"]
    # open around the clock
    assert all(s.hours.is_open(wd, t) for s in c.services for wd in range(7)
               for t in (time(3, 0), time(23, 59)))


def test_small_hall_is_valid():
    c = parse_config(small_hall_data())
    assert [s.prefix for s in c.services] == ["A", "B", "C"]
    assert c.window("3").order == "service-order"


def test_every_mistake_is_reported_with_its_key_path():
    data = small_hall_data()
    data["services"][1]["prefix"] = "A"           # duplicate prefix
    data["services"][2]["daily_limit"] = "many"   # wrong type
    data["windows"][0]["services"] = ["a", "zz"]  # unknown service
    data["devices"][0]["role"] = "boss"
    data["hall"]["timezone"] = "Mars/Olympus"
    data["windows"][1]["colour"] = "red"          # unknown key
    found = problems(data)
    expected = ["services[1].prefix", "services[2].daily_limit", "windows[0].services[1]",
                "devices[0].role", "hall.timezone", "windows[1].colour"]
    for path in expected:
        assert any(p.startswith(path + ":") for p in found), (path, found)


def test_required_and_reference_errors():
    data = small_hall_data()
    del data["services"][0]["name"]
    data["services"][0]["department"] = "nope"
    data["windows"].append({"id": "1", "services": ["a"]})
    found = problems(data)
    assert "services[0].name: is required" in found
    assert any(p.startswith("services[0].department:") and "'nope'" in p for p in found)
    assert any(p.startswith("windows[3].id:") and "twice" in p for p in found)


def test_bad_hours_and_unserved_service():
    data = small_hall_data()
    data["services"][2]["hours"] = ["17:00-09:00", "25:00-26:00"]
    data["windows"][2]["services"] = ["b"]
    found = problems(data)
    assert any(p.startswith("services[2].hours[0]:") for p in found)
    assert any(p.startswith("services[2].hours[1]:") for p in found)
    assert any("'c' is served by no window" in p for p in found)


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "hall.toml"
    bad.write_text("[hall\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert "not valid TOML" in e.value.problems[0]
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "missing.toml")
    assert "cannot read" in e.value.problems[0]


def test_gpio_pins_must_be_distinct():
    data = copy.deepcopy(small_hall_data())
    data["gpio"] = {"buttons": [{"window": "1", "call_pin": 17}, {"window": "2", "call_pin": 17}]}
    assert any(p.startswith("gpio.buttons[1].call_pin:") for p in problems(data))


def test_gpio_wiring_is_checked_per_pi():
    data = copy.deepcopy(small_hall_data())
    data["gpio"] = {"hold_seconds": 30, "buttons": [
        {"window": "1", "call_pin": 17, "satisfied_pin": 5, "led_pin": 22},
        # another Pi (device b1) may use the same GPIO numbers
        {"window": "1", "device": "b1", "call_pin": 17, "led_pin": 22},
        {"window": "1", "call_pin": 23},  # window 1 is wired twice on the hub's Pi
        {"window": "2", "device": "k", "call_pin": 24},  # k is a kiosk, not a buttons device
        {"window": "3", "call_pin": 40, "fire_pin": 6},
    ]}
    found = problems(data)
    assert any(p.startswith("gpio.hold_seconds:") for p in found)
    assert any(p.startswith("gpio.buttons[2].window:") and "already wired" in p for p in found)
    assert any(p.startswith("gpio.buttons[3].device:") for p in found)
    assert any(p.startswith("gpio.buttons[4].call_pin:") and "BCM" in p for p in found)
    assert any(p.startswith("gpio.buttons[4].fire_pin:") for p in found)
    assert not any(p.startswith(("gpio.buttons[0]", "gpio.buttons[1]")) for p in found)


def test_gpio_wiring_as_each_pi_sees_it():
    data = copy.deepcopy(small_hall_data())
    data["gpio"] = {"buttons": [
        {"window": "1", "call_pin": 17, "no_show_pin": 27, "basic_pin": 6, "led_pin": 22},
        {"window": "2", "device": "b1", "call_pin": 17}]}
    gpio = parse_config(data).gpio
    assert gpio.wiring(None) == {"hold_seconds": 2.0, "pull_up": True, "buttons": [
        {"window": "1", "pins": {"call": 17, "no_show": 27, "basic": 6}, "led_pin": 22}]}
    assert gpio.wiring("b1")["buttons"] == [{"window": "2", "pins": {"call": 17}, "led_pin": None}]


def test_check_config_command_exits_non_zero_naming_the_key(tmp_path):
    bad = tmp_path / "hall.toml"
    bad.write_text('[hall]\nname = { zh = "厅", en = "Hall" }\nlanguages = ["zh"]\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "hallcall", "check-config", str(bad)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "hall.languages" in run.stderr and "departments: is required" in run.stderr
    ok = subprocess.run([sys.executable, "-m", "hallcall", "check-config"], capture_output=True, text=True)
    assert ok.returncode == 0 and "44 windows" in ok.stdout


def test_exit_pin_must_be_digits():
    data = small_hall_data()
    data["devices"][0]["exit_pin"] = "12ab"
    assert any(p.startswith("devices[0].exit_pin:") for p in problems(data))


def test_announcer_templates_need_number_and_window():
    data = small_hall_data()
    data["announcer"] = {"templates": {"zh": "请{number}号", "fr": "{number} {window}"}}
    found = problems(data)
    assert any(p.startswith("announcer.templates.zh:") for p in found)
    assert any(p.startswith("announcer.templates.fr:") for p in found)
    data["announcer"] = {"templates": {"zh": "请{number}号到{window}"}}
    assert parse_config(data).announcer.templates == {"zh": "请{number}号到{window}"}


def test_trusted_proxies_are_addresses_or_networks_and_none_by_default():
    assert parse_config(small_hall_data()).trusted_proxies == ()
    data = small_hall_data()
    data["hub"] = {"trusted_proxies": ["127.0.0.1", "10.0.0.0/24", "::1"]}
    proxies = parse_config(data).trusted_proxies
    assert [str(p) for p in proxies] == ["127.0.0.1/32", "10.0.0.0/24", "::1/128"]


def test_a_wrong_trusted_proxy_is_named_by_its_key():
    data = small_hall_data()
    data["hub"] = {"trusted_proxies": ["10.0.0.1", "proxy.local", "10.0.0.5/24", 7], "proxies": []}
    found = problems(data)
    assert any(p.startswith("hub.trusted_proxies[1]: 'proxy.local' is not an IP address") for p in found)
    assert any(p.startswith("hub.trusted_proxies[2]:") and "'10.0.0.0/24'" in p for p in found)
    assert any(p.startswith("hub.trusted_proxies[3]: must be a string") for p in found)
    assert any(p.startswith("hub.proxies: is not a known setting") for p in found)
    data["hub"] = {"trusted_proxies": "10.0.0.1"}
    assert problems(data) == ["hub.trusted_proxies: must be a list, not a string"]
