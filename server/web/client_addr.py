"""The address a request comes from, seen through the reverse proxies the hall config trusts.

Behind a proxy every request arrives from the proxy's address; the proxy appends the address it
saw to X-Forwarded-For. Anybody can send that header too, so it is believed only from the peers
in `[hub] trusted_proxies`, and only as far as it was written by them: reading the list from the
right, each trusted hop passes us to the address before it, and the first address that is not a
trusted proxy is the client (werkzeug's ProxyFix, but by the proxies' addresses rather than a
count of hops). One answer per request, used by the sign-in throttle and the access log alike.
"""
from __future__ import annotations

import ipaddress

from flask import current_app, g, request


def _trusted(address: str, proxies) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def resolve(peer: str, forwarded_for: list[str], proxies) -> str:
    """The client's address, given the TCP peer and the X-Forwarded-For header(s) in order."""
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for header in forwarded_for for h in header.split(",")]
    address = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # Not an address (a proxy wrote "unknown", or a client's garbage reached us): what
            # stands to its left cannot be trusted; the last hop we could vouch for is it.
            return address
        address = hop
        if not _trusted(hop, proxies):
            return hop
    return address  # every hop was a proxy: the left-most is as close as we get


def client_address() -> str:
    """This request's client address (once per request)."""
    if "client_addr" not in g:
        proxies = current_app.config["HUB"].config.trusted_proxies
        g.client_addr = resolve(request.remote_addr or "", request.headers.getlist("X-Forwarded-For"),
                                proxies)
    return g.client_addr
