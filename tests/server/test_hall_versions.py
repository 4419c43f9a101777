"""The database holds the hall: the TOML file seeds a new database, and from then on every change
is a numbered version that every hub process on the file adopts, kept across restarts."""
from __future__ import annotations

import copy
import dataclasses
import time
import tomllib

import pytest
from helpers import small_hall_data

from hallcall import events
from hallcall.server.audit import CLI, Actor
from hallcall.server.config import ConfigError, parse_config
from hallcall.server.config.dump import config_dict, config_toml
from hallcall.server.store import Store
from hallcall.server.web.serialize import event_json


def same_hall(a, b) -> bool:
    """Equal but for where each was read from and its version number."""
    return dataclasses.replace(a, source="", version=0) == dataclasses.replace(b, source="", version=0)


def rename_a(stored: dict, zh: str = "新甲"):
    before = copy.deepcopy(stored["services"][0]["name"])
    stored["services"][0]["name"] = {"zh": zh, "en": "New alpha"}
    return stored, before, stored["services"][0]["name"]


@pytest.mark.parametrize("hall", ["demo", "small"])
def test_the_export_reads_back_as_the_same_hall(demo_config, hall):
    config = demo_config if hall == "demo" else parse_config(small_hall_data())
    assert same_hall(parse_config(config_dict(config)), config)
    text = config_toml(config)
    assert same_hall(parse_config(tomllib.loads(text)), config)
    # No device token is ever written out, only its hash.
    assert "demo-kiosk" not in text and "kiosk-token-1" not in text
    assert "token_sha256" in text


def test_a_new_database_is_seeded_and_then_holds_the_hall(make_hub, db_url):
    seed = parse_config(small_hall_data())
    hub = make_hub(seed)
    assert hub.config.version == 1 and same_hall(hub.config, seed)
    assert [e.action for e in hub.audit_log()] == ["hall.seed"]
    hub.stop()

    # Served again with a different file, the database's hall wins, and the hub says the file
    # was not applied.
    other = small_hall_data()
    other["services"][0]["name"] = {"zh": "别的", "en": "Other"}
    again = make_hub(dataclasses.replace(parse_config(other), source="other.toml"))
    assert again.config.version == 1 and same_hall(again.config, seed)
    assert again.seed_ignored
    again.stop()
    same = make_hub(dataclasses.replace(seed, source="hall.toml"))
    assert not same.seed_ignored


def test_a_change_is_a_new_version_kept_across_restarts(make_hub):
    hub = make_hub(parse_config(small_hall_data()))
    seen = hub.bus.last_seq
    config = hub.change_hall(rename_a, Actor("admin", "adm"), "service.put", "service:a")
    assert config.version == 2 and hub.config is config
    assert hub.config.service("a").name.zh == "新甲"
    changed = [e for e in hub.events_after(seen) if e.type == events.HALL_CHANGED]
    assert len(changed) == 1 and '"version":2' in changed[0].data
    entry = hub.audit_log()[-1]
    assert (entry.actor, entry.action, entry.target) == (Actor("admin", "adm"), "service.put",
                                                         "service:a")
    assert entry.before == {"zh": "甲", "en": "Alpha"} and entry.after["zh"] == "新甲"
    hub.stop()
    restarted = make_hub(parse_config(small_hall_data()))
    assert restarted.config.version == 2 and restarted.config.service("a").name.zh == "新甲"


def test_a_refused_change_changes_nothing(make_hub):
    hub = make_hub(parse_config(small_hall_data()))
    seq, entries = hub.bus.last_seq, len(hub.audit_log())

    def bad_prefix(stored):
        stored["services"][1]["prefix"] = "A"  # service a's
        return stored, None, None

    with pytest.raises(ConfigError) as refused:
        hub.change_hall(bad_prefix, CLI, "service.put")
    assert any(p.startswith("services[1].prefix: ") for p in refused.value.problems)
    assert hub.config.version == 1 and hub.config.service("b").prefix == "B"
    assert hub.bus.last_seq == seq and len(hub.audit_log()) == entries
    hub.stop()
    assert make_hub(parse_config(small_hall_data())).config.version == 1


def test_a_second_hub_process_adopts_a_change_when_it_sees_the_event(make_hub, db_url):
    first = make_hub(parse_config(small_hall_data()))
    second = make_hub(parse_config(small_hall_data()), follow=True)
    assert second.config.version == 1
    first.change_hall(rename_a, CLI, "service.put", "service:a")
    # The second learns of it through the event, as it learns of calls: before it hands the
    # event on, so a device fetching /api/hall on hall.changed gets the new hall.
    deadline = time.monotonic() + 2
    while second.config.version < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert second.config.version == 2 and second.config.service("a").name.zh == "新甲"
    # Changes from either side build on the newest version, whoever made it.
    second.change_hall(lambda s: rename_a(s, "再改"), CLI, "service.put", "service:a")
    assert first.events_after(0)[-1].type == events.HALL_CHANGED
    first.reload_hall()
    assert first.config.version == 3 and first.config.service("a").name.zh == "再改"


def test_notices_set_before_the_upgrade_become_the_seeded_halls(db_url, make_hub, clock):
    # A hall that ran before the database held it had its live notices in hall_state.
    store = Store(db_url, event_json)
    store.upgrade()
    seed = parse_config(small_hall_data())
    with store.write(seed) as tx:
        tx.set_state("notices", [{"zh": "今日维护", "en": "Maintenance today"}])
    store.close()
    hub = make_hub(seed)
    assert [n.zh for n in hub.config.notices] == ["今日维护"]
    assert [n["zh"] for n in config_dict(hub.config)["notices"]] == ["今日维护"]


def test_a_service_added_later_gets_the_halls_own_hours_and_service_time():
    data = small_hall_data()
    data["hall"].update(hours=["08:30-17:00"], days=["mon", "tue", "wed", "thu", "fri"],
                        service_minutes=7)
    stored = config_dict(parse_config(data))
    assert stored["hall"]["hours"] == ["08:30-17:00"] and stored["hall"]["service_minutes"] == 7
    stored["services"].append({"id": "new", "prefix": "N", "department": "d",
                               "name": {"zh": "新", "en": "New"}})
    stored["windows"][0]["services"].append("new")
    new = parse_config(stored).service("new")
    assert new.service_minutes == 7 and not new.hours.is_open(5, new.hours.spans[0].start)
    assert [(s.start.hour, s.start.minute) for s in new.hours.spans] == [(8, 30)]
