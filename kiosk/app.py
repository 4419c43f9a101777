"""The touch kiosk's shell around its state machine (state.py): SDL touches become messages,
the machine's commands run on the workers (issuing, the printer, the hall feed), and the state
is drawn with screens.py. `step()` handles what happened and draws one frame, so tests drive it
frame by frame with posted touches and an injected clock; `run()` loops it."""
from __future__ import annotations

import logging
import queue
import signal
import threading
import time
import traceback
from datetime import UTC, datetime

import pygame
import pygame.freetype

from hallcall.hallclient.feed import HubFeed

from . import state as st
from .draw import Painter
from .layout import Layout, compute
from .printing import Printing
from .screens import draw_screen
from .workers import CheckInJob, DeviceQuery, IssueJob, PrinterWatch

log = logging.getLogger(__name__)

WINDOWED_SIZE = (1280, 720)


class KioskApp:
    def __init__(self, printing: Printing, feed: HubFeed, device: DeviceQuery, watch: PrinterWatch,
                 hub_url: str, size: tuple[int, int] | None = None, windowed: bool = False,
                 lang: str = "zh", clock=time.monotonic, retry_s: float | None = None):
        """The workers (not started) all report into `feed.inbox`; kiosk/bootstrap.py builds
        them. `hub_url` is what the ticket's QR code points at."""
        self.printing = printing
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
        self.hub_url, self.clock, self.retry_s = hub_url, clock, retry_s
        self._layouts: dict[tuple[int, bool], Layout] = {}
        self.guide_pages = 1  # how many pages the guide on screen took, as last drawn
        self.state = st.Kiosk(lambda departments: self.layout_for(departments).per_page,
                              lambda departments: self.layout_for(departments, True).per_page, lang,
                              now=clock(), last_touch=clock())
        self.running = True
        self.inbox: queue.Queue = feed.inbox
        self._jobs: dict[int, IssueJob] = {}
        self._drawn = None
        self._linked = None  # the feed's link as last told to the state
        self._last_error: tuple[str, float] | None = None

        self.feed, self.device, self.watch = feed, device, watch
        self.feed.start()
        self.device.start()
        self.watch.start()

    # -- where things are ------------------------------------------------------------------

    def layout_for(self, departments: int, large: bool = False) -> Layout:
        if (departments, large) not in self._layouts:
            self._layouts[departments, large] = compute(self.size, departments, large)
        return self._layouts[departments, large]

    @property
    def layout(self) -> Layout:
        return self.layout_for(len(self.state.groups), self.state.large)

    def service_rect(self, service_id: str) -> pygame.Rect | None:
        """Where a service's button is now (tests touch it there)."""
        # The last page may leave cells empty.
        for rect, s in zip(self.layout.cells, self.state.page_services(), strict=False):
            if s["id"] == service_id:
                return rect
        return None

    def guide_rect(self, service_id: str) -> pygame.Rect | None:
        """Where the guide button on a service's button is now."""
        for rect, s in zip(self.layout.guides, self.state.page_services(), strict=False):
            if s["id"] == service_id:
                return rect
        return None

    def target_at(self, point) -> st.Target:
        """What the current screen shows under a touch."""
        L, screen = self.layout, self.state.screen
        if screen == "menu":
            if L.staff_corner.collidepoint(point):
                return "staff_corner"
            for name, rect in (("lang", L.lang), ("prev", L.prev), ("next", L.next),
                               ("appointment", L.appointment), ("large", L.large_button)):
                if rect.collidepoint(point):
                    return name
            for i, rect in enumerate(L.nav[:len(self.state.groups)]):
                if rect.collidepoint(point):
                    return st.Department(i)
            for rect, service in zip(L.guides, self.state.page_services(), strict=False):
                if rect.collidepoint(point):  # on the service's button: before the button itself
                    return st.GuideOf(service["id"])
            for rect, service in zip(L.cells, self.state.page_services(), strict=False):  # see service_rect
                if rect.collidepoint(point):
                    return st.Service(service["id"])
        elif screen == "confirm":
            for name in ("confirm_yes", "confirm_no", "back"):
                if getattr(L, name).collidepoint(point):
                    return name
        elif screen == "pin":
            for key, rect in L.keypad:
                if rect.collidepoint(point):
                    return st.Key(key)
        elif screen == "code":
            for key, rect in L.code_keys:
                if rect.collidepoint(point):
                    return st.Key(key)
            for name in ("code_clear", "code_back"):
                if getattr(L, name).collidepoint(point):
                    return name
        elif screen == "guide":
            for name in ("guide_take", "guide_back"):
                if getattr(L, name).collidepoint(point):
                    return name
            # Only the page buttons that lead somewhere can be touched.
            if L.guide_prev.collidepoint(point) and self.state.guide_page > 0:
                return "guide_prev"
            if L.guide_next.collidepoint(point) and self.state.guide_page < self.guide_pages - 1:
                return "guide_next"
        return None

    # -- SDL events and the workers' news, as messages ---------------------------------------

    def message_of(self, event):
        if event.type == pygame.FINGERDOWN:
            point = int(event.x * self.size[0]), int(event.y * self.size[1])
        # SDL also makes a mouse event of each touch; take it only from a real mouse.
        elif (event.type == pygame.MOUSEBUTTONDOWN and event.button == 1
              and not getattr(event, "touch", False)):
            point = event.pos
        elif event.type == pygame.FINGERUP or (
                event.type == pygame.MOUSEBUTTONUP and not getattr(event, "touch", False)):
            return st.Released(self.clock())
        elif event.type == pygame.KEYDOWN:  # a USB barcode/QR scanner types like a keyboard
            return st.KeyTyped(key_char(event), self.clock())
        else:  # pygame.QUIT among them: only staff leave the kiosk, with the PIN
            return None
        return st.Touched(self.target_at(point), self.clock())

    def news(self, kind: str, *value):
        """A worker's report as a message (None: nothing the screen needs)."""
        now = self.clock()
        if kind == "hall":
            return st.HallSnapshot(value[0], datetime.now(UTC))
        if kind == "device":
            return st.DeviceKnown(value[0])
        if kind == "printer":
            return st.PrinterStatusChanged(value[0])
        if kind == "retrying":
            return st.Retrying(value[0].job_id)
        if kind == "issued":
            return st.Issued(value[0].job_id, value[1], now)
        if kind == "refused":
            exc = value[1]
            return st.IssueFailed(value[0].job_id, exc.status, exc.code, exc.message, exc.message_zh, now)
        if kind == "printed":
            printed, problem, status = value[1]
            return st.Printed(value[0].job_id, printed, problem, status, now)
        return None  # ("event", …): the feed fetches the snapshot it changes by itself

    def send(self, msg) -> None:
        if msg is None:
            return
        for command in self.state.handle(msg):
            self.run_command(command)

    def run_command(self, command) -> None:
        if isinstance(command, st.StartIssue):
            kwargs = {} if self.retry_s is None else {"retry_s": self.retry_s}
            job = IssueJob(self.printing.client, self.printing, self.hub_url, command.service,
                           command.lang, command.key, self.state.hall or {}, self.inbox,
                           print_lang=command.print_lang, job_id=command.job, **kwargs)
            self._jobs = {n: j for n, j in self._jobs.items() if j.is_alive()}
            self._jobs[command.job] = job
            job.start()
        elif isinstance(command, st.StartCheckIn):
            kwargs = {} if self.retry_s is None else {"retry_s": self.retry_s}
            job = CheckInJob(self.printing.client, self.printing, self.hub_url, command.code,
                             self.state.hall or {}, self.inbox, print_lang=command.print_lang,
                             job_id=command.job, **kwargs)
            self._jobs = {n: j for n, j in self._jobs.items() if j.is_alive()}
            self._jobs[command.job] = job
            job.start()
        elif isinstance(command, st.CheckPrinter):
            self.watch.poke(command.after_s)
        elif isinstance(command, st.Quit):
            self.running = False

    # -- the loop --------------------------------------------------------------------------

    def step(self) -> None:
        """Handle pending news and touches, then draw a frame if anything on it changed.
        Nothing in here may stop the kiosk: an error is logged and the citizen gets an apology."""
        try:
            while True:
                try:
                    self.send(self.news(*self.inbox.get_nowait()))
                except queue.Empty:
                    break
            if self.feed.online != self._linked:
                self._linked = self.feed.online
                self.send(st.Link(self._linked))
            for event in pygame.event.get():
                self.send(self.message_of(event))
            self.send(st.Tick(self.clock(), datetime.now(UTC)))
            self.draw()
        except Exception:
            self.failed()

    def failed(self) -> None:
        now = time.monotonic()
        # Log each different error, and a repeating one once a minute, not 30 times a second.
        text = traceback.format_exc()
        if self._last_error is None or self._last_error[0] != text or now - self._last_error[1] > 60:
            log.error("kiosk step failed\n%s", text)
            self._last_error = (text, now)
        try:
            self.send(st.StepFailed(self.clock()))
            self._drawn = None
            draw_screen(self.state, self.layout, self.paint)
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
        self.device.close()
        self.watch.close()
        for job in self._jobs.values():
            job.close()
        self.feed.close()  # joins its threads
        self.device.join(3)
        self.watch.join(3)
        for job in self._jobs.values():
            job.join(3)
        self.printing.close()
        pygame.display.quit()

    # -- drawing ---------------------------------------------------------------------------

    def frame(self) -> tuple:
        """Everything a frame shows: a frame equal to the last one is not drawn again (a Pi's
        CPU is better spent elsewhere than on redrawing a still menu 30 times a second)."""
        k = self.state
        result = k.result and (id(k.result.issued), k.result.printed)
        countdown = k.seconds_left() if k.screen in ("result", "message") else 0
        return (k.screen, k.lang, k.department, k.page, id(k.hall), k.offline, k.storage_down(),
                k.printer, k.message, result, k.pin, k.pin_wrong, k.hall_now().strftime("%H:%M"),
                countdown, k.notice_index(), id(k.chosen), self.layout.size, k.large, k.code,
                k.code_error, id(k.guide), k.guide_page)

    def draw(self, force: bool = False) -> None:
        key = self.frame()
        if key == self._drawn and not force:
            return
        pages = draw_screen(self.state, self.layout, self.paint)
        if self.state.screen == "guide":
            self.guide_pages = pages or 1
        pygame.display.flip()
        self._drawn = key


# Keys by code rather than by the character they type: a scanner's keypad digits and Enter are
# the same code whatever keyboard layout the kiosk's system has.
_KEYPAD = {getattr(pygame, f"K_KP{n}", None): str(n) for n in range(10)}
_KEYPAD.update({getattr(pygame, f"K_KP_{n}", None): str(n) for n in range(10)})


def key_char(event) -> str:
    """What a key typed: "\n" for Return or Enter (or Tab, which some scanners are set to send
    after a code), a digit, another character, or ""."""
    if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_TAB):
        return "\n"
    if pygame.K_0 <= event.key <= pygame.K_9:
        return chr(event.key)
    if event.key in _KEYPAD:
        return _KEYPAD[event.key]
    char = getattr(event, "unicode", "") or ""
    return char if len(char) == 1 and char.isprintable() else ""
