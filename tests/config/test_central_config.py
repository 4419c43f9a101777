"""The hall config's [central] section: where the hub forwards its events. Mistakes are named by
their key; the token is kept for the TOML export (the hall's backup) but never shown in
/api/hall nor in /api/admin/config's JSON, and a hall read there and sent back keeps it."""
from __future__ import annotations

import tomllib

import pytest
from helpers import auth, small_hall_data

from hallcall.server.config import ConfigError, parse_config
from hallcall.server.config.dump import config_dict, config_toml

TOKEN = "city-gave-this-hall-a-secret"
ADMIN = auth("admin-token-1")
CENTRAL = {"url": "http://city.example:8090/", "hall_id": "xuhui-1", "token": TOKEN}


def with_central(**central) -> dict:
    data = small_hall_data()
    data["central"] = {**CENTRAL, **central}
    return data


def test_no_central_section_forwards_nothing_and_the_defaults_fill_in():
    assert parse_config(small_hall_data()).central is None
    c = parse_config(with_central()).central
    assert (c.url, c.hall_id, c.token, c.batch, c.interval_s) == (
        "http://city.example:8090", "xuhui-1", TOKEN, 500, 1.0)


def test_every_central_mistake_is_named_by_its_key():
    bad = with_central(url="ftp://city.example", hall_id="Xuhui 1", token="short", batch=0,
                       interval_s=600, colour="red")
    with pytest.raises(ConfigError) as e:
        parse_config(bad)
    found = {p.split(":")[0] for p in e.value.problems}
    assert found == {"central.url", "central.hall_id", "central.token", "central.batch",
                     "central.interval_s", "central.colour"}, e.value.problems
    data = small_hall_data()
    data["central"] = {"url": "https://city.example"}
    with pytest.raises(ConfigError) as e:
        parse_config(data)
    assert {p.split(":")[0] for p in e.value.problems} == {"central.hall_id", "central.token"}


def test_the_toml_export_keeps_the_token_and_reads_back_to_the_same_hall():
    c = parse_config(with_central(batch=50, interval_s=0.5))
    text = config_toml(c)
    assert tomllib.loads(text)["central"] == {"url": "http://city.example:8090",
                                              "hall_id": "xuhui-1", "token": TOKEN,
                                              "batch": 50, "interval_s": 0.5}
    assert parse_config(tomllib.loads(text)) == c
    assert parse_config(config_dict(c)) == c


@pytest.fixture
def central_app(make_app):
    return make_app(HALL=parse_config(with_central()))


def test_the_token_is_never_in_the_hall_nor_the_admin_json(central_app):
    client = central_app.test_client()
    assert TOKEN not in client.get("/api/hall").get_data(as_text=True)
    r = client.get("/api/admin/config", headers=ADMIN)
    assert TOKEN not in r.get_data(as_text=True)
    assert r.json["config"]["central"] == {"url": "http://city.example:8090",
                                           "hall_id": "xuhui-1", "token": None,
                                           "token_set": True, "batch": 500, "interval_s": 1.0}
    toml = client.get("/api/admin/config.toml", headers=ADMIN).get_data(as_text=True)
    assert tomllib.loads(toml)["central"]["token"] == TOKEN
    audit = client.get("/api/admin/audit", headers=ADMIN).get_data(as_text=True)
    assert TOKEN not in audit


def test_a_hall_sent_back_as_read_keeps_its_token_and_a_change_is_adopted_at_once(central_app):
    client, hub = central_app.test_client(), central_app.config["HUB"]
    config = client.get("/api/admin/config", headers=ADMIN).json["config"]
    config["central"]["url"] = "https://other.example"
    r = client.put("/api/admin/config", json=config, headers=ADMIN)
    assert r.status_code == 200 and r.json["changed"], r.get_data(as_text=True)
    assert (hub.config.central.url, hub.config.central.token) == ("https://other.example", TOKEN)
    # A new token replaces it; a bad one is refused by its key and changes nothing.
    config["central"]["token"] = "short"
    r = client.put("/api/admin/config", json=config, headers=ADMIN)
    assert r.status_code == 422
    assert "central.token" in {e["path"] for e in r.json["error"]["errors"]}
    assert hub.config.central.token == TOKEN
    del config["central"]
    assert client.put("/api/admin/config", json=config, headers=ADMIN).status_code == 200
    assert hub.config.central is None
