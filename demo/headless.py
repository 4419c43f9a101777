"""`hallcall demo --headless`: the whole hall without a screen, played through once.

Two citizens take numbers at a kiosk (this process, SDL's dummy screen, a touch posted like a
finger's, tickets printed to a file), window 3's and window 1's call keys are pressed (gpiozero
mock pins, the real buttons agent), window 3's key is held to recall, and the hall board and
window 3's screen (their own processes) save a screenshot of every call while the announcer
writes every announcement as a WAV. What happened is written to summary.json in the folder.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from hallcall.server.config import load_config

from .processes import Children, free_port

log = logging.getLogger(__name__)

# (service, the window whose key calls it): window 3 serves company services, window 1 also
# individual businesses (and window 3 none of those).
CITIZENS = (("company-name", "3"), ("individual-business", "1"))
WAIT_S = 30.0


class DemoFailed(RuntimeError):
    pass


def wait_for(predicate, what: str, timeout: float = WAIT_S, step=None):
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoFailed(f"timed out waiting for {what}")
        time.sleep(0.01)


def run(out: Path, db: str | None = None, port: int | None = None,
        history: tuple[int, int] | None = None) -> dict:
    """`history`: (days, tickets a day) of simulated past hall days written into the database
    before the hub starts (demo/history.py)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    from hallcall.buttons.virtual import KeyPanel, VirtualKeys, panel_labels
    from hallcall.kiosk.bootstrap import build_kiosk

    out.mkdir(parents=True, exist_ok=True)
    db = db or str(out / "hall.db")
    if history:
        from .history import write

        write(Path(db), *history)
    config = load_config()
    children = Children(out / "logs", headless=True)
    keys = app = None
    summary: dict = {"folder": str(out), "citizens": [], "board": [], "speech": []}
    try:
        url = children.start_hub(db, port or free_port())
        summary["hub"] = url
        children.start("display", "display", "--hub", url, "--size", "1920x1080", "--windowed",
                       "--speak-to", str(out / "speech"), "--screenshots", str(out / "board"))
        children.start("window-3", "display", "--hub", url, "--window", "3", "--size",
                       "800x480", "--windowed", "--screenshots", str(out / "window-3"))
        keys = VirtualKeys(url, "demo-buttons",
                           [config.gpio.wiring(None), config.gpio.wiring("buttons-1")]).start()
        app = build_kiosk(url, "demo-kiosk", f"file://{out / 'printer.escpos'}", size=(1280, 800),
                          windowed=True)
        wait_for(lambda: app.state.hall is not None and not app.state.offline and keys.online,
                 "the kiosk and the keys to reach the hub", step=app.step)

        for i, (service, window) in enumerate(CITIZENS, 1):
            number = take_number(app, service, out / "kiosk" / f"{i}-{service}.png")
            summary["citizens"].append({"number": number, "service": service, "window": window})

        for citizen in summary["citizens"]:
            keys.press(citizen["window"], "call")
            wait_for(lambda c=citizen: _found(out / "speech", c["number"], c["window"], ".wav"),
                     f"the call of {citizen['number']} to be spoken")
        first = summary["citizens"][0]
        hold = config.gpio.hold_seconds + 0.4
        keys.press(first["window"], "call", seconds=hold)  # held: the same number again
        for folder, what, calls in (("speech", "spoken", 2), ("board", "shown", 2),
                                    ("window-3", "shown above window 3", 2)):
            suffix = ".wav" if folder == "speech" else ".png"
            wait_for(lambda f=folder, s=suffix, n=calls: len(
                _found(out / f, first["number"], first["window"], s)) == n,
                f"the call and the recall of {first['number']} to be {what}")
        wait_for(lambda: _found(out / "board", summary["citizens"][1]["number"],
                                summary["citizens"][1]["window"], ".png"),
                 f"the call of {summary['citizens'][1]['number']} to be shown")
        wait_for(lambda: all(keys.led(c["window"]) for c in summary["citizens"]),
                 "the LEDs of the calling windows")

        summary["leds"] = {w: keys.led(w) for w in keys.windows}
        panel = pygame.Surface((1280, 560))
        KeyPanel(keys, panel, panel_labels(config)).draw()
        pygame.image.save(panel, str(out / "keys.png"))
        summary["board"] = sorted(p.name for p in (out / "board").glob("*.png"))
        summary["window_3"] = sorted(p.name for p in (out / "window-3").glob("*.png"))
        summary["speech"] = sorted(p.name for p in (out / "speech").glob("*.wav"))
        (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2),
                                          encoding="utf-8")
        dead = children.dead()
        if dead:
            raise DemoFailed(f"part(s) of the hall stopped: {', '.join(dead)}; see {out / 'logs'}")
        return summary
    finally:
        if app is not None:
            app.close()
        if keys is not None:
            keys.close()
        children.stop()


def take_number(app, service: str, shot: Path) -> str:
    """Touch the service on the kiosk's menu as a citizen would; the number it printed."""
    import pygame

    from hallcall.kiosk.state import TOUCH_GUARD_S

    app.state.show_service(service)
    app.step()
    time.sleep(TOUCH_GUARD_S + 0.1)  # a touch right after the screen changed is ignored
    app.step()
    rect = app.service_rect(service)
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        pygame.event.post(pygame.event.Event(kind, pos=rect.center, button=1))
    wait_for(lambda: app.state.screen == "result" and app.state.result.printed is not None,
             f"a ticket for {service}", step=app.step)
    if not app.state.result.printed:
        raise DemoFailed(f"the ticket for {service} was not printed: {app.state.result.problem}")
    shot.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(app.screen, str(shot))
    number = app.state.result.issued["ticket"]["number"]
    # Back to the menu for the next citizen, as the result screen does by itself after a while.
    center = (app.size[0] // 2, app.size[1] // 2)
    time.sleep(TOUCH_GUARD_S + 0.1)
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        pygame.event.post(pygame.event.Event(kind, pos=center, button=1))
    wait_for(lambda: app.state.screen == "menu", "the kiosk's menu", step=app.step)
    return number


def _found(folder: Path, number: str, window: str, suffix: str) -> list[Path]:
    """What the board or the announcer wrote for this call (named like 0003-A001-window-3.wav)."""
    if not folder.exists():
        return []
    return sorted(folder.glob(f"[0-9]*-{number}-window-{window}{suffix}"))
