"""The touch kiosk: a menu of services, one touch to a printed ticket, a clear sentence whatever
goes wrong. `step()` handles what happened and draws one frame, so tests drive it frame by frame
with posted touches and an injected clock; `run()` loops it."""
from __future__ import annotations

import logging
import queue
import signal
import threading
import time
import traceback
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pygame
import pygame.freetype

from hallcall.hallclient import HubClient, HubError
from hallcall.hallclient.i18n import gettext_for, ngettext_for

from . import hall as halls
from .draw import Painter
from .layout import compute
from .printing import Printing
from .screens import draw_screen
from .workers import STORAGE_UNAVAILABLE, HubSync, IssueJob, PrinterWatch

log = logging.getLogger(__name__)

RESULT_S = 20.0  # time to note the number down and read the checklist; a touch returns sooner
MESSAGE_S = 12.0
CONFIRM_S = 30.0
PIN_S = 30.0
IDLE_S = 90.0  # untouched this long, the menu goes back to its first page and language
STAFF_HOLD_S = 3.0
PIN_TRIES, PIN_REST_S = 5, 300.0  # a 4-digit PIN must not be guessable at the kiosk
# A bouncing touch, or a second tap on a screen that has just appeared, is not a new touch: the
# button under the finger may now be a different one.
TOUCH_GUARD_S = 0.5
# After the hub could not be reached, the same service touched again reuses the unanswered
# key: had the first request got through, the hub returns that ticket rather than a second.
PENDING_KEY_S = 600.0
NOTICE_S = 8.0
# After the hub said it cannot save (disk full), the menu says so for this long, or until a
# ticket is issued again: the next citizen knows before touching.
STORAGE_NOTICE_S = 60.0
# A printer that took a whole ticket into its buffer may still stop on the roll's end while it
# prints it: the printer is asked again this long after a job, for the next citizen's sake.
AFTER_JOB_S = 5.0
WINDOWED_SIZE = (1280, 720)


class KioskApp:
    def __init__(self, hub_url: str, token: str, printer_url: str, size: tuple[int, int] | None = None,
                 windowed: bool = False, lang: str = "zh", printer_mode: str = "text",
                 paper_mm: int = 80, clock=time.monotonic, retry_s: float | None = None):
        # Before any window: a bad printer URL is a configuration error, not a broken kiosk.
        self.printing = Printing(printer_url, HubClient(hub_url, token), printer_mode, paper_mm)
        pygame.display.init()
        if windowed:
            self.screen = pygame.display.set_mode(size or WINDOWED_SIZE)
        else:  # (0, 0): the panel's own resolution
            self.screen = pygame.display.set_mode(size or (0, 0), pygame.FULLSCREEN)
            pygame.mouse.set_visible(False)
        pygame.display.set_caption("hallcall kiosk")
        self.size = self.screen.get_size()
        pygame.freetype.init()
        self.paint = Painter(self.screen)
        self.hub_url, self.token, self.clock = hub_url, token, clock
        self.default_lang = self.lang = lang
        self.retry_s = retry_s
        self.inbox: queue.Queue = queue.Queue()

        self.hall: dict | None = None
        self.groups: list[tuple[dict, list[dict]]] = []
        self.offline = False
        self.storage_down_until = 0.0  # the hub cannot save tickets until about then
        self.printer = None  # the printer's last PrinterStatus; None until first asked
        self.exit_pin: str | None = None
        self.department = 0
        self.page = 0
        self.screen_name = "menu"  # menu | confirm | issuing | result | message | pin
        self.message: tuple[str, str] | None = None  # (zh, en) on the message screen
        self.message_title: dict | None = None  # the service it is about, {"zh", "en"}
        self.result: dict | None = None  # {"issued", "printed" (None while printing), "problem"}
        self.chosen: dict | None = None  # the service being confirmed or issued
        self.until = 0.0  # when the current screen goes back to the menu
        self.pin = ""
        self.pin_wrong = False
        self.running = True
        self.job: IssueJob | None = None
        self._jobs: list[IssueJob] = []
        self._pending: dict[str, tuple[str, str | None, float]] = {}  # service -> (key, lang, when)
        self._corner_down: float | None = None
        self._pin_failures = 0
        self._pin_rest_until = 0.0
        self._guard_until = 0.0
        self._last_touch = clock()
        self._clock_offset = timedelta(0)
        self._drawn = None
        self._last_error: tuple[str, float] | None = None
        self.layout = compute(self.size, 0)

        self.sync = HubSync(hub_url, token, self.inbox)
        self.watch = PrinterWatch(self.printing, self.inbox)
        self.sync.start()
        self.watch.start()

    # -- words -----------------------------------------------------------------------------

    def t(self, message: str) -> str:
        """A message in the kiosk's current language."""
        return gettext_for(self.lang)(message)

    def tn(self, singular: str, plural: str, n: int) -> str:
        """A message that depends on a count ("1 person", "2 people"), in the current language."""
        return ngettext_for(self.lang)(singular, plural, n)

    def both(self, message: str) -> tuple[str, str]:
        """A message in Chinese and in English, for the screens that say it in both."""
        return gettext_for("zh")(message), gettext_for("en")(message)

    def name(self, value: dict | None) -> str:
        value = value or {}
        return value.get(self.lang) or value.get("zh") or value.get("en") or ""

    def other(self, value: dict | None) -> str:
        """The other language's text, or "" when it would repeat the first."""
        value = value or {}
        text = value.get("en" if self.lang == "zh" else "zh") or ""
        return "" if text == self.name(value) else text

    def languages(self) -> list[str]:
        return [lang for lang in ((self.hall or {}).get("hall", {}).get("languages") or ["zh", "en"])
                if lang in ("zh", "en")]

    # -- the menu's contents ---------------------------------------------------------------

    def departments(self) -> list[dict]:
        return [dep for dep, _ in self.groups]

    def services(self) -> list[dict]:
        return self.groups[self.department][1] if self.groups else []

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
        """Turn to the department and page holding a service."""
        for d, (_dep, services) in enumerate(self.groups):
            ids = [s["id"] for s in services]
            if service_id in ids:
                self.department, self.page = d, ids.index(service_id) // self.layout.per_page

    def printer_ok(self) -> bool:
        return self.printer is None or self.printer.can_print

    def storage_down(self) -> bool:
        return self.clock() < self.storage_down_until

    # -- touches ---------------------------------------------------------------------------

    def _point(self, event) -> tuple[int, int] | None:
        if event.type == pygame.FINGERDOWN:
            return int(event.x * self.size[0]), int(event.y * self.size[1])
        # SDL also makes a mouse event of each touch; take it only from a real mouse.
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and not getattr(event, "touch", False):
            return event.pos
        return None

    def _released(self, event) -> bool:
        return event.type == pygame.FINGERUP or (
            event.type == pygame.MOUSEBUTTONUP and not getattr(event, "touch", False))

    def handle(self, event) -> None:
        if event.type == pygame.QUIT:
            return  # only staff leave the kiosk, with the PIN
        if self._released(event):
            self._corner_down = None  # let go before 3 s: not the staff gesture
            return
        point = self._point(event)
        if point is None:
            return
        now = self.clock()
        self._last_touch = now
        if self.screen_name == "menu" and self.layout.staff_corner.collidepoint(point):
            self._corner_down = now
            return
        if now < self._guard_until:
            return
        {"menu": self.touch_menu, "confirm": self.touch_confirm, "result": self.touch_back,
         "message": self.touch_back, "pin": self.touch_pin}.get(self.screen_name, lambda p: None)(point)
        # "issuing": touches wait; a second press must not make a second ticket.

    def go(self, screen: str, stay_s: float = 0.0) -> None:
        self.screen_name = screen
        self.until = self.clock() + stay_s
        self._guard_until = self.clock() + TOUCH_GUARD_S

    def touch_menu(self, point) -> None:
        L = self.layout
        if L.lang.collidepoint(point) and len(self.languages()) > 1:
            self.lang = "en" if self.lang == "zh" else "zh"
            return
        if L.prev.collidepoint(point):
            self.page = max(0, self.page - 1)
            return
        if L.next.collidepoint(point):
            self.page = min(self.pages() - 1, self.page + 1)
            return
        for i, rect in enumerate(L.nav[:len(self.groups)]):
            if rect.collidepoint(point):
                self.department, self.page = i, 0
                return
        for rect, service in zip(L.cells, self.page_services()):
            if rect.collidepoint(point):
                self.choose(service)
                return

    def choose(self, service: dict) -> None:
        state = halls.state(service)
        if state != "open" and self.offline:
            # The hub decides (the copy may be old), but while it is away say what we know.
            return self.explain(service, state)
        if state == "open" and not self.printer_ok():
            self.chosen = service  # one more touch: a number to note down, not a printed one
            return self.go("confirm", CONFIRM_S)
        self.issue(service)

    def touch_confirm(self, point) -> None:
        if self.layout.confirm_yes.collidepoint(point):
            self.issue(self.chosen)
        elif self.layout.confirm_no.collidepoint(point) or self.layout.back.collidepoint(point):
            self.go("menu")

    def touch_back(self, _point) -> None:
        self.go("menu")

    def issue(self, service: dict) -> None:
        now = self.clock()
        lang = self.lang if self.lang in self.languages() else None
        key, lang_sent, when = self._pending.get(service["id"], (None, None, 0.0))
        if key is None or now - when > PENDING_KEY_S:
            key, lang_sent = uuid.uuid4().hex, lang
        kwargs = {} if self.retry_s is None else {"retry_s": self.retry_s}
        self.chosen = service
        self.job = IssueJob(self.printing.client, self.printing, self.hub_url, service, lang_sent, key,
                            self.hall or {}, self.inbox, print_lang=self.lang, **kwargs)
        self._jobs = [j for j in self._jobs if j.is_alive()] + [self.job]
        self.message = None
        self.go("issuing")
        self.job.start()

    # -- what the citizen is told ----------------------------------------------------------

    def show_message(self, zh: str, en: str, title: dict | None = None) -> None:
        self.message, self.message_title = (zh, en), title
        self.go("message", MESSAGE_S)

    def explain(self, service: dict, state: str, exc: HubError | None = None) -> None:
        """Closed now, or full today: the hub's reason when it gave one, and when it opens."""
        more_zh = more_en = ""
        if state == "closed":
            zh, en = self.both("This service is not open now.")
            hours_zh = halls.hours_text(service, gettext_for("zh"))
            if hours_zh:
                fmt_zh, fmt_en = self.both("Opening hours: {hours}.")
                more_zh = fmt_zh.format(hours=hours_zh)
                more_en = fmt_en.format(hours=halls.hours_text(service, gettext_for("en")))
        else:
            zh, en = self.both("This service has given out all of today's numbers.")
            more_zh, more_en = self.both("Please come back on another day or ask the staff.")
        if exc is not None:
            zh = exc.message_zh or zh
            en = _hub_sentence(exc.message, service) if exc.message else en
        self.show_message(_sentence(zh, "。") + more_zh, f"{_sentence(en, '.')} {more_en}".strip(),
                          service.get("name"))

    def refused(self, job: IssueJob, exc: HubError) -> None:
        service = job.service
        if exc.code == STORAGE_UNAVAILABLE:
            # The hub issued nothing; the same key on the next touch is safe all the same, and
            # after the hub's recovery it can only ever give one ticket for this touch.
            self._pending[service["id"]] = (job.key, job.lang, self.clock())
            self.storage_down_until = self.clock() + STORAGE_NOTICE_S
            log.warning("the hub cannot save tickets: %s", exc.message)
            self.show_message(*self.both(
                "Tickets cannot be issued just now; please wait a moment or ask staff."),
                service.get("name"))
        elif exc.status == 0 or exc.status >= 500:
            self._pending[service["id"]] = (job.key, job.lang, self.clock())
            self.show_message(*self.both(
                "The ticket system cannot be reached right now. No ticket was taken. "
                "Please try again in a moment or ask the staff."), service.get("name"))
        elif exc.status == 429 and exc.message_zh:  # the hub's "too many, try again shortly"
            self.show_message(_sentence(exc.message_zh, "。"), _sentence(exc.message, "."),
                              service.get("name"))
        elif exc.code == "service_closed":
            self.explain(service, "closed", exc)
        elif exc.code == "daily_limit_reached":
            self.explain(service, "full", exc)
        else:
            log.warning("the hub refused a ticket: %s", exc)
            self.show_message(*self.both("Sorry, a ticket could not be issued. Please ask the staff."),
                              service.get("name"))

    # -- staff exit ------------------------------------------------------------------------

    def open_pin(self) -> None:
        self.pin, self.pin_wrong = "", False
        self.go("pin", PIN_S)

    def touch_pin(self, point) -> None:
        for key, rect in self.layout.keypad:
            if not rect.collidepoint(point):
                continue
            self.until = self.clock() + PIN_S
            if key == "C":
                self.go("menu")
            elif key == "✓":
                if self.exit_pin and self.pin == self.exit_pin:
                    log.info("staff left the kiosk with the PIN")
                    self.running = False
                else:
                    self.pin, self.pin_wrong = "", True
                    self._pin_failures += 1
                    if self._pin_failures >= PIN_TRIES:  # guessing: back to the menu for a while
                        log.warning("%d wrong staff PINs: the keypad rests %d s", PIN_TRIES, PIN_REST_S)
                        self._pin_failures = 0
                        self._pin_rest_until = self.clock() + PIN_REST_S
                        self.go("menu")
            elif len(self.pin) < 8:
                self.pin += key
                self.pin_wrong = False

    # -- news from the workers -------------------------------------------------------------

    def receive(self) -> None:
        while True:
            try:
                kind, *value = self.inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "hall":
                self.take_snapshot(value[0])
            elif kind == "offline":
                self.offline = True
            elif kind == "device":
                self.exit_pin = value[0].get("exit_pin") or self.exit_pin
            elif kind == "printer":
                self.printer = value[0]
            elif kind == "retrying" and value[0] is self.job:
                self.offline = True
            elif kind == "refused" and value[0] is self.job:
                self.job = None
                self.refused(*value)
            elif kind == "issued" and value[0] is self.job:
                self.offline = False
                self.storage_down_until = 0.0
                self._pending.pop(value[0].service["id"], None)
                self.result = {"issued": value[1], "printed": None, "problem": None, "job": value[0]}
                self.go("result", RESULT_S)
            elif kind == "printed":
                printed, problem, status = value[1]
                self.printer = status
                if printed:
                    self.watch.poke(AFTER_JOB_S)
                if self.result is not None and self.result["job"] is value[0]:
                    self.result.update(printed=printed, problem=problem)
                    self.job = None
                    # Noting a number down takes longer than taking a ticket.
                    self.until = max(self.until, self.clock() + (RESULT_S / 2 if printed else RESULT_S))

    def take_snapshot(self, snapshot: dict) -> None:
        self.hall, self.offline = snapshot, False
        groups = halls.groups(snapshot)
        if len(groups) != len(self.groups) or self.layout.per_page == 0:
            self.layout = compute(self.size, len(groups))
        self.groups = groups
        self.department = min(self.department, max(0, len(groups) - 1))
        self.page = min(self.page, self.pages() - 1)
        if self.lang not in self.languages() and self.languages():
            self.lang = self.default_lang = self.languages()[0]
        try:  # show the hub's time: a Pi has no clock of its own until it reaches a time server
            hub_now = datetime.fromisoformat(snapshot["hall"]["time"])
            self._clock_offset = hub_now - datetime.now(timezone.utc)
        except (KeyError, TypeError, ValueError):
            self._clock_offset = timedelta(0)

    # -- the loop --------------------------------------------------------------------------

    def step(self) -> None:
        """Handle pending news and touches, then draw a frame if anything on it changed.
        Nothing in here may stop the kiosk: an error is logged and the citizen gets an apology."""
        try:
            self.receive()
            for event in pygame.event.get():
                self.handle(event)
            self.tick()
            self.draw()
        except Exception:
            self.failed()

    def tick(self) -> None:
        now = self.clock()
        if self._corner_down is not None and now - self._corner_down >= STAFF_HOLD_S:
            self._corner_down = None
            if now >= self._pin_rest_until:
                self.open_pin()
        if self.screen_name in ("result", "message", "confirm", "pin") and now >= self.until:
            self.go("menu")
        if (self.screen_name == "menu" and now - self._last_touch >= IDLE_S
                and (self.lang, self.department, self.page) != (self.default_lang, 0, 0)):
            self.lang, self.department, self.page = self.default_lang, 0, 0

    def failed(self) -> None:
        now = time.monotonic()
        # Log each different error, and a repeating one once a minute, not 30 times a second.
        text = traceback.format_exc()
        if self._last_error is None or self._last_error[0] != text or now - self._last_error[1] > 60:
            log.error("kiosk step failed\n%s", text)
            self._last_error = (text, now)
        try:  # a ticket being issued still comes to the screen when it is ready
            self.show_message(*self.both("Sorry, something went wrong. Please try again or ask the staff."))
            self._drawn = None
            draw_screen(self, self.paint)
            pygame.display.flip()
        except Exception:  # the apology itself cannot be drawn: a plain screen, not a crash
            self.screen.fill((240, 243, 248))
            pygame.display.flip()

    def run(self, fps: int = 30) -> None:
        ticker = pygame.time.Clock()
        if threading.current_thread() is threading.main_thread():
            # systemd stops the kiosk with SIGTERM: leave the loop and close cleanly.
            signal.signal(signal.SIGTERM, lambda *_: setattr(self, "running", False))
        try:
            while self.running:
                self.step()
                ticker.tick(fps)
        finally:
            self.close()

    def close(self) -> None:
        self.sync.close()
        self.watch.close()
        for job in self._jobs:
            job.close()
        self.sync.join(3)
        self.watch.join(3)
        for job in self._jobs:
            job.join(3)
        self.printing.close()
        pygame.display.quit()

    # -- drawing ---------------------------------------------------------------------------

    def frame(self) -> tuple:
        """Everything a frame shows: a frame equal to the last one is not drawn again (a Pi's
        CPU is better spent elsewhere than on redrawing a still menu 30 times a second)."""
        now = self.clock()
        result = self.result and (id(self.result["issued"]), self.result["printed"])
        countdown = int(self.until - now) if self.screen_name in ("result", "message") else 0
        return (self.screen_name, self.lang, self.department, self.page, id(self.hall), self.offline,
                self.storage_down(), self.printer, self.message, result, self.pin, self.pin_wrong, self.now_text(),
                countdown, self.notice_index(), id(self.chosen), self.layout.size)

    def draw(self, force: bool = False) -> None:
        key = self.frame()
        if key == self._drawn and not force:
            return
        draw_screen(self, self.paint)
        pygame.display.flip()
        self._drawn = key

    def hall_now(self) -> datetime:
        zone = (self.hall or {}).get("hall", {}).get("timezone")
        tz = ZoneInfo(zone) if zone else None
        return (datetime.now(timezone.utc) + self._clock_offset).astimezone(tz)

    def now_text(self) -> str:
        return self.hall_now().strftime("%H:%M")

    def notice_index(self) -> int:
        notices = (self.hall or {}).get("notices") or []
        return int(self.clock() // NOTICE_S) % len(notices) if notices else 0


def _hub_sentence(message: str, service: dict) -> str:
    """The hub names a service by its id ("Service company-name is not open now"); a citizen
    knows it by its name."""
    name = (service.get("name") or {}).get("en")
    sid = service.get("id", "")
    if name and message.startswith(f"Service {sid} "):
        message = name + message[len(f"Service {sid}"):]
    return _sentence(message, ".")


def _sentence(text: str, stop: str) -> str:
    return text if text.endswith((".", "!", "?", "。", "！", "？")) else text + stop
