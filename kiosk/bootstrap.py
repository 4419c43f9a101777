"""The one place a kiosk's process is wired: its printer (with the hub client that reports the
paper), the feed that follows the hall, the query for its own settings and the printer watch,
handed to the pygame shell."""
from __future__ import annotations

import queue
import time

from hallcall.hallclient import HubClient
from hallcall.hallclient.feed import HubFeed

from .printing import Printing
from .workers import DeviceQuery, PrinterWatch

# A service opening at 08:30 sends no event: the hall is asked again this often all the same.
HALL_REFRESH_S = 30.0


def build_kiosk(hub_url: str, token: str, printer_url: str, size: tuple[int, int] | None = None,
                windowed: bool = False, lang: str = "zh", printer_mode: str = "text",
                paper_mm: int = 80, clock=time.monotonic, retry_s: float | None = None):
    """A kiosk issuing at `hub_url` with `token` and printing on `printer_url`; a bad printer
    URL raises PrintError before any window opens (a configuration error, not a broken kiosk)."""
    printing = Printing(printer_url, HubClient(hub_url, token), printer_mode, paper_mm)
    from .app import KioskApp
    inbox: queue.Queue = queue.Queue()
    # With its token: the staff see the kiosk online while its stream is connected.
    feed = HubFeed(hub_url, inbox, retry_s=2.0, name="kiosk", refresh_s=HALL_REFRESH_S,
                   token=token)
    return KioskApp(printing, feed, DeviceQuery(hub_url, token, inbox),
                    PrinterWatch(printing, inbox), hub_url, size=size, windowed=windowed,
                    lang=lang, clock=clock, retry_s=retry_s)
