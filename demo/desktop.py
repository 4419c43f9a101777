"""`hallcall demo`: the whole hall on one desktop computer, in windows a visitor can use.

The hub, a kiosk, the hall board (speaking each call) and window 3's screen run as their own
processes in their own windows, like the Pis of a hall; this process shows the call keys of the
hall config as a panel (click, touch or the number keys) on gpiozero mock pins, with each
window's LED. Closing the panel (or Esc, or Ctrl-C) stops everything.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from hallcall.server.config import load_config

from .processes import Children, free_port

# Where each part's window goes on a 1920x1080 desktop (x, y, width, height): SDL places a window
# where SDL_VIDEO_WINDOW_POS says, so they do not pile up in one corner.
KIOSK = (0, 0, 960, 600)
BOARD = (960, 0, 960, 540)
PANEL = (0, 640, 960, 440)
WINDOW_3 = (1120, 600, 640, 384)


def _place(env: dict, spot: tuple) -> list[str]:
    env["SDL_VIDEO_WINDOW_POS"] = f"{spot[0]},{spot[1]}"
    return ["--windowed", "--size", f"{spot[2]}x{spot[3]}"]


def run(out: Path, db: str | None = None, port: int | None = None,
        history: tuple[int, int] | None = None) -> int:
    """`history`: (days, tickets a day) of simulated past hall days written into the database
    before the hub starts (demo/history.py)."""
    import pygame

    from hallcall.buttons.virtual import KeyPanel, VirtualKeys, panel_labels

    out.mkdir(parents=True, exist_ok=True)
    db = db or str(out / "hall.db")
    if history:
        from .history import write

        write(Path(db), *history)
    config = load_config()
    children = Children(out / "logs", headless=False)
    keys = None
    try:
        url = children.start_hub(db, port or free_port())
        children.start("kiosk", "kiosk", "--hub", url, "--token", "demo-kiosk",
                       "--printer", f"file://{out / 'printer.escpos'}", *_place(children.env, KIOSK))
        children.start("display", "display", "--hub", url, "--announce",
                       *_place(children.env, BOARD))
        children.start("window-3", "display", "--hub", url, "--window", "3",
                       *_place(children.env, WINDOW_3))
        keys = VirtualKeys(url, "demo-buttons",
                           [config.gpio.wiring(None), config.gpio.wiring("buttons-1")]).start()
        print(f"hallcall demo: the hub is {url}/ (overview), the clerk console {url}/console "
              f"(clerk w3, password demo); files and logs in {out}")
        if history:
            print(f"{history[0]} past hall days to report on: {url}/admin/reports "
                  "(admin or lead, password demo)")
        print("Take a number at the kiosk for a service of 工商局 (the windows with keys serve it), "
              "then press a window's call key on the panel (or keys 1-4); hold it 2 s to call "
              "the same number again.")

        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        os.environ["SDL_VIDEO_WINDOW_POS"] = f"{PANEL[0]},{PANEL[1]}"
        pygame.init()
        screen = pygame.display.set_mode(PANEL[2:])
        pygame.display.set_caption("hallcall · call keys (virtual)")
        panel = KeyPanel(keys, screen, panel_labels(config))
        ticker = pygame.time.Clock()
        while not stop:
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN
                                                 and event.key == pygame.K_ESCAPE):
                    stop.append(True)
                panel.handle(event)
            panel.draw()
            pygame.display.flip()
            ticker.tick(30)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if keys is not None:
            keys.close()
        children.stop()
        time.sleep(0.1)
