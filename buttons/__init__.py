"""Call keys and LEDs at the windows (gpiozero), in the hub's process or on a Pi of their own.

`run_remote` is `hallcall buttons`; `start_local` is `hallcall serve --buttons`. Both run the same
ButtonsAgent; only the link to the hub differs (buttons/links.py).
"""
from __future__ import annotations

import logging
import signal
import threading

from .agent import ButtonsAgent, WiringError
from .links import ActionFailed, HttpLink, LocalLink

__all__ = ["ButtonsAgent", "WiringError", "ActionFailed", "HttpLink", "LocalLink",
           "load_pin_factory", "run_remote", "start_local"]

log = logging.getLogger(__name__)


def load_pin_factory(name: str | None):
    """gpiozero's pin factory of this name (hallcall.command.PIN_FACTORIES), looked up as
    gpiozero does, among its entry points; None: gpiozero's own choice when a pin is opened."""
    if name is None:
        return None
    from importlib.metadata import entry_points

    import gpiozero  # noqa: F401  (missing: say so, rather than find no entry point)

    (entry,) = entry_points(group="gpiozero_pin_factories", name=name)
    return entry.load()()


def start_local(hub, pin_factory=None, clock=None) -> ButtonsAgent | None:
    """The keys wired to the hub's own Pi (entries without `device`); None when there are none.
    `clock`: the agent's (real time unless a test moves it)."""
    wiring = hub.config.gpio.wiring(None)
    if not wiring["buttons"]:
        log.warning("--buttons: the hall config wires no keys to the hub's own Pi")
        return None
    agent = ButtonsAgent(wiring, LocalLink(hub), pin_factory, clock).start()
    log.info("call keys of windows %s on this Pi", ", ".join(agent.windows))
    return agent


def fetch_wiring(link: HttpLink, stop: threading.Event, retry_s: float = 2.0) -> dict | None:
    """Ask the hub which keys this device drives, waiting for the hub if it is not up yet (a
    Pi by the windows may boot before the hub's). Raises ActionFailed if the hub refuses the token."""
    told = False
    while not stop.is_set():
        try:
            device = link.client.whoami()
        except Exception as exc:
            status = getattr(exc, "status", 0)
            if status:  # the hub answered: a wrong token or role, waiting will not help
                raise ActionFailed(getattr(exc, "code", "error"),
                                   getattr(exc, "message", str(exc))) from None
            if not told:
                log.warning("waiting for the hub at %s: %s", link.url, exc)
                told = True
            stop.wait(retry_s)
            continue
        finally:
            link.client.close()
        if device.get("role") != "buttons":
            raise ActionFailed("forbidden", f"the token belongs to {device.get('id')!r}, "
                                            f"a {device.get('role')} device, not a buttons device")
        return device.get("gpio") or {}
    return None


def run_remote(url: str, token: str, pin_factory=None) -> int:
    """`hallcall buttons`: run until SIGTERM or Ctrl-C."""
    import gpiozero  # noqa: F401  (missing: say so now, not once the hub has answered)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    link = HttpLink(url, token)
    try:
        wiring = fetch_wiring(link, stop)
    except ActionFailed as exc:
        print(f"hallcall buttons: {exc.message}")
        return 2
    if wiring is None:
        return 0
    try:
        agent = ButtonsAgent(wiring, link, pin_factory).start()
    except WiringError as exc:
        print(f"hallcall buttons: {exc}")
        return 2
    log.info("buttons for windows %s", ", ".join(agent.windows))
    try:
        while not stop.wait(1.0):
            pass
    finally:
        agent.close()
    return 0
