"""The touch kiosk: a menu of services, one touch to a printed ticket, a clear sentence whatever
goes wrong. `step()` handles what happened and draws one frame, so tests drive it frame by frame
with posted touches; `run()` loops it."""
from __future__ import annotations

import logging
import queue
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pygame

from hallclient import HubClient, HubError
from hallclient.i18n import gettext_for

from . import draw
from .layout import compute
from .printing import Printing
from .workers import IssueJob, HubSync

log = logging.getLogger(__name__)

RESULT_S = 15.0  # the result stays this long, or until a touch
MESSAGE_S = 8.0
STAFF_HOLD_S = 3.0


class KioskApp:
    def __init__(self, hub_url: str, token: str, printer_url: str, size=(1920, 1080),
                 windowed: bool = False, lang: str = "zh", printer_mode: str = "text",
                 paper_mm: int = 80, clock=time.monotonic, retry_s: float | None = None):
        pygame.init()
        flags = 0 if windowed else pygame.FULLSCREEN
        self.screen = pygame.display.set_mode(size, flags)
        pygame.display.set_caption("hallcall kiosk")
        self.size = size
        self.hub_url, self.token = hub_url, token
        self.clock = clock
        self.lang = lang
        self.inbox: queue.Queue = queue.Queue()
        self.client = HubClient(hub_url, token)
        self.printing = Printing(printer_url, HubClient(hub_url, token), printer_mode, paper_mm)
        self.retry_s = retry_s
        self.hall: dict | None = None
        self.offline = False
        self.department = 0
        self.page = 0
        self.screen_name = "menu"  # menu | issuing | result | message | pin
        self.message: tuple[str, str] | None = None  # (zh, en) shown on the message screen
        self.result: dict | None = None
        self.until = 0.0  # when the result or message screen goes back to the menu
        self.pin = ""
        self.exit_pin: str | None = None
        self.running = True
        self._corner_down: float | None = None
        self._job: IssueJob | None = None
        self._service_id: str | None = None
        self.sync = HubSync(hub_url, self.inbox)
        self.sync.start()
        self.layout = compute(size, 0)

    # -- helpers ---------------------------------------------------------------------------

    def t(self, message: str) -> str:
        return gettext_for(self.lang)(message)

    def both(self, message: str) -> tuple[str, str]:
        return gettext_for("zh")(message), message

    def name(self, value: dict) -> str:
        return value.get(self.lang) or value.get("zh") or ""

    def other(self, value: dict) -> str:
        return value.get("en" if self.lang == "zh" else "zh") or ""

    def departments(self) -> list[dict]:
        return self.hall["departments"] if self.hall else []

    def services(self) -> list[dict]:
        if not self.hall:
            return []
        dep = self.departments()[self.department]["id"]
        return [s for s in self.hall["services"] if s["department"] == dep]

    def page_services(self) -> list[dict]:
        per = self.layout.per_page
        return self.services()[self.page * per:(self.page + 1) * per]

    def pages(self) -> int:
        return max(1, -(-len(self.services()) // self.layout.per_page))

    def service_rect(self, service_id: str) -> pygame.Rect | None:
        """Where a service's button is now (tests touch it there)."""
        for rect, s in zip(self.layout.cells, self.page_services()):
            if s["id"] == service_id:
                return rect
        return None

    def show_service(self, service_id: str) -> None:
        """Turn to the department tab and page holding a service."""
        for d, dep in enumerate(self.departments()):
            ids = [s["id"] for s in self.hall["services"] if s["department"] == dep["id"]]
            if service_id in ids:
                self.department, self.page = d, ids.index(service_id) // self.layout.per_page

    # -- events ----------------------------------------------------------------------------

    def _touch_point(self, event) -> tuple[int, int] | None:
        if event.type == pygame.FINGERDOWN:
            return int(event.x * self.size[0]), int(event.y * self.size[1])
        # SDL also sends a mouse event for each touch; take it only from a real mouse.
        if event.type == pygame.MOUSEBUTTONDOWN and not getattr(event, "touch", False):
            return event.pos
        return None

    def _release(self, event) -> bool:
        return event.type == pygame.FINGERUP or (
            event.type == pygame.MOUSEBUTTONUP and not getattr(event, "touch", False))

    def handle(self, event) -> None:
        if event.type == pygame.QUIT:
            return  # only staff leave the kiosk, with the PIN
        if self._release(event) and self._corner_down is not None:
            held = self.clock() - self._corner_down
            self._corner_down = None
            if held >= STAFF_HOLD_S:
                self.open_pin()
            return
        point = self._touch_point(event)
        if point is None:
            return
        if self.layout.staff_corner.collidepoint(point) and self.screen_name == "menu":
            self._corner_down = self.clock()
            return
        if self.screen_name == "menu":
            self.touch_menu(point)
        elif self.screen_name in ("result", "message"):
            self.screen_name = "menu"
        elif self.screen_name == "pin":
            self.touch_pin(point)
        # "issuing": touches wait; a second press of the same button must not make a second ticket.

    def touch_menu(self, point) -> None:
        L = self.layout
        if L.lang.collidepoint(point):
            self.lang = "en" if self.lang == "zh" else "zh"
            return
        if L.prev.collidepoint(point):
            self.page = max(0, self.page - 1)
            return
        if L.next.collidepoint(point):
            self.page = min(self.pages() - 1, self.page + 1)
            return
        for i, rect in enumerate(L.tabs):
            if rect.collidepoint(point):
                self.department, self.page = i, 0
                return
        for rect, service in zip(L.cells, self.page_services()):
            if rect.collidepoint(point):
                self.take_number(service)
                return

    def take_number(self, service: dict) -> None:
        if not service.get("open", True):
            self.show_closed(service)
            return
        self.screen_name = "issuing"
        self.message = None
        self._service_id = service["id"]
        kwargs = {} if self.retry_s is None else {"retry_s": self.retry_s}
        self._job = IssueJob(self.printing.client, self.printing, self.hub_url, service["id"],
                             self.lang, self.hall, self.inbox, **kwargs)
        self._job.start()

    def show_closed(self, service: dict, zh: str | None = None, en: str | None = None) -> None:
        """Closed now: say so, with the opening hours, so the citizen knows when to come back."""
        closed_zh, closed_en = self.both("This service is not open now.")
        zh, en = zh or closed_zh, en or closed_en
        hours = ", ".join(service.get("hours", []))
        if hours:
            hours_zh, hours_en = self.both("Opening hours: {hours}.")
            zh += " " + hours_zh.format(hours=hours)
            en += " " + hours_en.format(hours=hours)
        self.show_message(zh, en)

    def show_message(self, zh: str, en: str) -> None:
        self.screen_name = "message"
        self.message = (zh, en)
        self.until = self.clock() + MESSAGE_S

    # -- staff exit ------------------------------------------------------------------------

    def open_pin(self) -> None:
        try:
            self.exit_pin = self.client.whoami().get("exit_pin")
        except HubError:
            pass  # keep the PIN learnt before; without one nobody leaves
        self.pin = ""
        self.screen_name = "pin"

    def keypad(self) -> list[tuple[str, pygame.Rect]]:
        w, h = self.size
        side = min(w, h) // 7
        left = w // 2 - (3 * side + 2 * 12) // 2
        top = h // 2 - side
        keys = "123456789C0✓"
        return [(k, pygame.Rect(left + (i % 3) * (side + 12), top + (i // 3) * (side + 12), side, side))
                for i, k in enumerate(keys)]

    def touch_pin(self, point) -> None:
        for key, rect in self.keypad():
            if not rect.collidepoint(point):
                continue
            if key == "C":
                self.screen_name = "menu"
            elif key == "✓":
                if self.exit_pin and self.pin == self.exit_pin:
                    self.running = False
                else:
                    self.pin = ""
            elif len(self.pin) < 8:
                self.pin += key

    # -- news from the workers -------------------------------------------------------------

    def receive(self) -> None:
        while True:
            try:
                kind, value = self.inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "hall":
                first = self.hall is None
                self.hall, self.offline = value, False
                self.layout = compute(self.size, len(value["departments"]))
                self.department = min(self.department, max(0, len(value["departments"]) - 1))
                self.page = min(self.page, self.pages() - 1)
                if first:
                    try:
                        self.printing.check()
                    except Exception:
                        log.exception("printer check")
            elif kind == "offline":
                self.offline = True
            elif kind == "retrying":
                self.offline = True
            elif kind == "refused":
                self._job = None
                self.refused(value)
            elif kind == "issued":
                self._job = None
                self.offline = False
                self.result = value
                self.screen_name = "result"
                self.until = self.clock() + RESULT_S

    def refused(self, exc: HubError) -> None:
        if exc.status == 0:
            self.show_message(*self.both(
                "The ticket system cannot be reached right now. No ticket was taken. "
                "Please try again in a moment or ask the staff."))
        elif exc.code == "service_closed":
            service = next((s for s in self.hall["services"] if s["id"] == self._service_id), {})
            self.show_closed(service, exc.message_zh or None, exc.message)
        elif exc.code == "daily_limit_reached":
            self.show_message(exc.message_zh or exc.message, exc.message)
        else:
            self.show_message(*self.both("Sorry, a ticket could not be issued. Please ask the staff."))

    # -- the loop --------------------------------------------------------------------------

    def step(self) -> None:
        """Handle pending events and draw one frame. Nothing in here may crash the kiosk."""
        try:
            self.receive()
            for event in pygame.event.get():
                self.handle(event)
            if self.screen_name in ("result", "message") and self.clock() >= self.until:
                self.screen_name = "menu"
            self.draw()
        except Exception:
            log.exception("kiosk step")
            self.show_message(*self.both("Sorry, something went wrong. Please try again or ask the staff."))
        pygame.display.flip()

    def run(self, fps: int = 30) -> None:
        ticker = pygame.time.Clock()
        while self.running:
            self.step()
            ticker.tick(fps)
        self.close()

    def close(self) -> None:
        self.sync.close()
        if self._job is not None:
            self._job.join(timeout=2)
        self.sync.join(timeout=3)
        self.client.close()
        self.printing.client.close()
        pygame.quit()

    # -- drawing ---------------------------------------------------------------------------

    def draw(self) -> None:
        from .screens import draw_screen
        draw_screen(self, self.screen, draw)

    def now_text(self) -> str:
        zone = (self.hall or {}).get("hall", {}).get("timezone")
        return datetime.now(ZoneInfo(zone) if zone else None).strftime("%H:%M")
