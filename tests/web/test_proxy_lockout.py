"""Sign-in lockout per clerk id, per address only for made-up ids, and the client address behind
the reverse proxies named in `[hub] trusted_proxies` (X-Forwarded-For from nobody else)."""
from __future__ import annotations

import ipaddress
import tomllib

import pytest

from hallcall.server.config import demo_config_path, parse_config
from hallcall.server.web.client_addr import resolve

from .test_console import Ticks, client_at, login


def demo_hall_behind(*proxies: str):
    data = tomllib.loads(demo_config_path().read_text(encoding="utf-8"))
    data["hub"] = {"trusted_proxies": list(proxies)}
    return parse_config(data)


def via(app, peer: str, forwarded_for: str | None):
    c = client_at(app, peer)
    if forwarded_for is not None:
        c.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return c


def test_one_clerks_wrong_passwords_do_not_lock_out_another_at_the_same_address(make_app):
    app = make_app(MONOTONIC_CLOCK=Ticks())
    c = client_at(app, "10.0.0.7")  # the proxy, or the PC at the back office both clerks use
    for _ in range(5):
        assert login(c, "w3", "guess").status_code == 401
    assert login(c, "w3", "demo").status_code == 429  # w3 is locked, right password or not
    assert login(c, "w5", "demo").status_code == 303  # w5 is not


def test_made_up_ids_from_one_address_lock_that_address_for_made_up_ids(make_app):
    app = make_app(MONOTONIC_CLOCK=Ticks())
    c = client_at(app, "10.0.0.7")
    for i in range(5):  # a fresh id each time: no id's own count reaches 5
        assert login(c, f"nobody{i}", "guess").status_code == 401
    r = login(c, "nobody9", "guess")
    assert r.status_code == 429 and "登录失败次数过多" in r.get_data(as_text=True)
    assert login(client_at(app, "10.0.0.8"), "nobody9", "guess").status_code == 401
    assert login(c, "w9", "demo").status_code == 303  # real clerks at that address are not locked


def test_forwarded_for_is_ignored_from_a_peer_not_listed(make_app):
    app = make_app(HALL=demo_hall_behind("10.0.0.1"), MONOTONIC_CLOCK=Ticks())
    for i in range(5):  # a new made-up X-Forwarded-For each time does not make a new address
        assert login(via(app, "10.0.0.2", f"192.168.1.{i}"), f"nobody{i}", "x").status_code == 401
    assert login(via(app, "10.0.0.2", "192.168.1.99"), "nobody9", "x").status_code == 429


def test_forwarded_for_is_ignored_when_no_proxy_is_listed(make_app):
    app = make_app(MONOTONIC_CLOCK=Ticks())  # the demo hall lists none
    for i in range(5):
        assert login(via(app, "127.0.0.1", f"192.168.1.{i}"), f"nobody{i}", "x").status_code == 401
    assert login(via(app, "127.0.0.1", "192.168.1.99"), "nobody9", "x").status_code == 429


def test_forwarded_for_is_honoured_from_a_listed_proxy(make_app):
    app = make_app(HALL=demo_hall_behind("127.0.0.1", "10.0.0.0/24"), MONOTONIC_CLOCK=Ticks())
    for i in range(5):
        # The client's own X-Forwarded-For (a lie) comes first; the proxy appends what it saw.
        c = via(app, "10.0.0.1", f"203.0.113.{i}, 192.168.1.5")
        assert login(c, f"nobody{i}", "x").status_code == 401
    assert login(via(app, "10.0.0.1", "192.168.1.5"), "nobody9", "x").status_code == 429
    # Another citizen's PC behind the same proxy is not locked out.
    assert login(via(app, "10.0.0.1", "192.168.1.6"), "nobody9", "x").status_code == 401


PROXIES = (ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("10.0.0.0/24"))


@pytest.mark.parametrize("peer, forwarded, client", [
    ("192.168.1.5", ["203.0.113.9"], "192.168.1.5"),  # not a proxy: its header is not read
    ("10.0.0.1", [], "10.0.0.1"),  # a proxy that said nothing
    ("10.0.0.1", ["192.168.1.5"], "192.168.1.5"),
    ("10.0.0.1", ["203.0.113.9, 192.168.1.5"], "192.168.1.5"),  # right-most untrusted
    ("127.0.0.1", ["192.168.1.5, 10.0.0.3"], "192.168.1.5"),  # two proxies in a row
    ("127.0.0.1", ["192.168.1.5", "10.0.0.3"], "192.168.1.5"),  # the header sent twice
    ("127.0.0.1", ["10.0.0.4, 10.0.0.3"], "10.0.0.4"),  # nothing but proxies: the left-most
    ("127.0.0.1", ["192.168.1.5, unknown"], "127.0.0.1"),  # garbage: the last address vouched for
    ("127.0.0.1", ["2001:db8::7"], "2001:db8::7"),
])
def test_the_client_address_behind_trusted_proxies(peer, forwarded, client):
    assert resolve(peer, forwarded, PROXIES) == client


def test_no_proxies_means_the_peer(peer="10.0.0.1"):
    assert resolve(peer, ["192.168.1.5"], ()) == peer
