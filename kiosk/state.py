"""What the kiosk shows and why, as a state machine: fed one message at a time (a touch, a tick of
the clock, a hall snapshot, the answer to an issue, the printer's state) it changes and returns
the commands for its shell to run (issue a ticket, check the printer soon, quit). Pure: no
pygame, no threads, no HTTP, and the time comes in with the messages, so every rule a citizen
meets (paging, one ticket per touch, the paper-out question, the timeouts, the staff PIN) is
tested in milliseconds. The shell (app.py) turns SDL events into messages, runs the commands
with the workers and draws the state with screens.py."""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hallcall.hallclient.i18n import gettext_for, ngettext_for

from . import hall as halls

log = logging.getLogger(__name__)

RESULT_S = 20.0  # time to note the number down and read the checklist; a touch returns sooner
MESSAGE_S = 12.0
CONFIRM_S = 30.0
PIN_S = 30.0
CODE_S = 45.0  # the appointment keypad: time to find the code on a phone or a slip of paper
GUIDE_S = 90.0  # reading a service's guide takes a while; each touch gives this long again
CODE_LEN = 6  # an appointment's code
# A USB scanner types a code's keys a few milliseconds apart; keys further apart than this are
# not one scan (a stray key, or somebody leaning on a keyboard) and start a new one.
SCAN_GAP_S = 1.0
IDLE_S = 90.0  # untouched this long, the menu goes back to its first page and language
STAFF_HOLD_S = 3.0
PIN_TRIES, PIN_REST_S = 5, 300.0  # a 4-digit PIN must not be guessable at the kiosk
PIN_MAX = 8
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
STORAGE_UNAVAILABLE = "storage_unavailable"  # the hub's 503 when it cannot write (disk full)
TIMED_SCREENS = ("result", "message", "confirm", "pin", "code", "guide")
# The title of what the citizen is told about a check-in (data of the screen, like a service's name).
APPOINTMENT_TITLE = {"zh": "预约签到", "en": "Appointment check-in"}


# -- what can be touched (the shell finds it under the finger with layout.target_at) --------

@dataclass(frozen=True)
class Department:
    index: int


@dataclass(frozen=True)
class Service:
    service_id: str


@dataclass(frozen=True)
class Key:
    key: str  # "0".."9", "C" (cancel), "⌫" (delete the last digit) or "✓" (enter)


@dataclass(frozen=True)
class GuideOf:
    """The "办事指南 / Guide" button on a service's button."""
    service_id: str


# The rest are plain names: "lang", "prev", "next", "confirm_yes", "confirm_no", "back",
# "staff_corner", "appointment", "large", "code_clear", "code_back", "guide_take", "guide_back",
# "guide_prev", "guide_next"; None is a touch on nothing in particular (still a touch: it ends a
# result).
Target = Department | Service | GuideOf | Key | str | None


# -- messages in -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Touched:
    target: Target
    now: float


@dataclass(frozen=True)
class KeyTyped:
    """A key from a keyboard: a USB barcode/QR scanner is one, typing what it reads and then
    Return. `char`: the character, "\n" for Return, "" for a key that types nothing."""
    char: str
    now: float


@dataclass(frozen=True)
class Released:
    """The finger left the screen: a hold on the staff corner ends."""
    now: float


@dataclass(frozen=True)
class Tick:
    now: float
    wall: datetime  # this device's UTC time, corrected to the hub's for the header's clock


@dataclass(frozen=True)
class HallSnapshot:
    snapshot: dict  # GET /api/hall
    wall: datetime  # this device's UTC time when it arrived


@dataclass(frozen=True)
class Link:
    """Whether the kiosk follows the hall live (the feed's stream is connected)."""
    online: bool


@dataclass(frozen=True)
class DeviceKnown:
    device: dict  # GET /api/devices/self: who this kiosk is, its staff exit PIN


@dataclass(frozen=True)
class PrinterStatusChanged:
    status: object  # printer.PrinterStatus: .can_print


@dataclass(frozen=True)
class Retrying:
    """The hub of an issue in progress cannot be reached yet; the job tries again."""
    job: int


@dataclass(frozen=True)
class Issued:
    job: int
    answer: dict  # POST /api/tickets: ticket, ahead, estimated_wait_s
    now: float


@dataclass(frozen=True)
class IssueFailed:
    """The issue's final answer was an error (hallclient.HubError's fields; status 0: no hub)."""
    job: int
    status: int
    code: str
    message: str
    message_zh: str
    now: float


@dataclass(frozen=True)
class Printed:
    job: int
    printed: bool
    problem: str | None  # why not: "paper_out", "offline", "failed", "incomplete"
    status: object  # the printer's PrinterStatus after the job
    now: float


@dataclass(frozen=True)
class StepFailed:
    """A bug somewhere in a step: the citizen gets an apology, the kiosk goes on."""
    now: float


# -- commands out ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StartIssue:
    job: int
    service: dict
    key: str  # the Idempotency-Key
    lang: str | None  # the ticket's language as the hub knows it
    print_lang: str


@dataclass(frozen=True)
class StartCheckIn:
    job: int
    code: str  # the appointment's 6 digits
    print_lang: str


@dataclass(frozen=True)
class CheckPrinter:
    after_s: float


@dataclass(frozen=True)
class Quit:
    pass


@dataclass
class Result:
    """The result screen: the hub's answer, then whether it printed (None while printing)."""
    job: int
    issued: dict
    printed: bool | None = None
    problem: str | None = None


@dataclass
class Kiosk:
    """`per_page(departments)` is how many services fit a page for a hall with that many
    departments (the layout's business: the tabs take room from the grid), `per_page_large` the
    same in large-text mode (default: a quarter as many, type twice as big)."""
    per_page: Callable[[int], int]
    per_page_large: Callable[[int], int] | None = None
    default_lang: str = "zh"
    lang: str = ""
    now: float = 0.0  # the time of the latest message
    wall: datetime = field(default_factory=lambda: datetime.fromtimestamp(0, UTC))

    hall: dict | None = None
    groups: list[tuple[dict, list[dict]]] = field(default_factory=list)
    linked: bool = True  # the feed's stream, as last told
    retrying: bool = False  # the current issue could not reach the hub yet
    storage_down_until: float = 0.0  # the hub cannot save tickets until about then
    printer: object = None  # the printer's last PrinterStatus; None until first asked
    exit_pin: str | None = None
    department: int = 0
    page: int = 0
    screen: str = "menu"  # menu | confirm | issuing | result | message | pin | code | guide
    message: tuple[str, str] | None = None  # (zh, en) on the message screen
    message_title: dict | None = None  # the service it is about, {"zh", "en"}
    result: Result | None = None
    chosen: dict | None = None  # the service being confirmed or issued
    until: float = 0.0  # when the current screen goes back to the menu
    pin: str = ""
    pin_wrong: bool = False
    job: int | None = None  # the issue whose answers the screen waits for
    jobs: int = 0  # issues started, numbering them
    sent: tuple[str, str | None] = ("", None)  # the current issue's key and language
    # service id -> (key, lang, when) of an issue left unanswered, for the next touch to reuse
    pending: dict[str, tuple[str, str | None, float]] = field(default_factory=dict)
    corner_down: float | None = None
    pin_failures: int = 0
    pin_rest_until: float = 0.0
    guard_until: float = 0.0
    last_touch: float = 0.0
    clock_offset: timedelta = timedelta(0)
    large: bool = False  # large-text mode, until the ticket is taken or the kiosk idles
    code: str = ""  # the appointment code typed so far
    code_error: tuple[str, str] | None = None  # (zh, en) under the code, e.g. no such booking
    checking_in: str | None = None  # the code of the check-in the screen waits for
    scan: str = ""  # keys typed fast one after another: maybe a scanner's code
    scan_at: float = -1e9  # when the last key came
    guide: dict | None = None  # the service whose guide is shown
    guide_page: int = 0

    def __post_init__(self):
        self.lang = self.lang or self.default_lang

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

    # -- what the screens read -------------------------------------------------------------

    def departments(self) -> list[dict]:
        return [dep for dep, _ in self.groups]

    def services(self) -> list[dict]:
        return self.groups[self.department][1] if self.groups else []

    def takes_bookings(self) -> bool:
        """Whether any service of the hall takes appointments (else the menu offers no check-in;
        a scanned code is still checked in)."""
        return any(s.get("appointments") for s in (self.hall or {}).get("services", []))

    def per(self) -> int:
        if self.large:
            if self.per_page_large is not None:
                return self.per_page_large(len(self.groups))
            return max(1, self.per_page(len(self.groups)) // 4)
        return self.per_page(len(self.groups))

    def page_services(self) -> list[dict]:
        return self.services()[self.page * self.per():(self.page + 1) * self.per()]

    def pages(self) -> int:
        return max(1, -(-len(self.services()) // self.per()))

    def show_service(self, service_id: str) -> None:
        """Turn to the department and page holding a service."""
        for d, (_dep, services) in enumerate(self.groups):
            ids = [s["id"] for s in services]
            if service_id in ids:
                self.department, self.page = d, ids.index(service_id) // self.per()

    @property
    def offline(self) -> bool:
        return not self.linked or self.retrying

    def printer_ok(self) -> bool:
        return self.printer is None or self.printer.can_print

    def storage_down(self) -> bool:
        return self.now < self.storage_down_until

    def seconds_left(self) -> int:
        """The countdown on the back button."""
        return max(0, int(self.until - self.now))

    def hall_now(self) -> datetime:
        zone = (self.hall or {}).get("hall", {}).get("timezone")
        return (self.wall + self.clock_offset).astimezone(ZoneInfo(zone) if zone else None)

    def notice_index(self) -> int:
        notices = (self.hall or {}).get("notices") or []
        return int(self.now // NOTICE_S) % len(notices) if notices else 0

    # -- the machine -----------------------------------------------------------------------

    def handle(self, msg) -> list:
        """Take one message; the commands it calls for, in order."""
        if hasattr(msg, "now"):
            self.now = msg.now
        return getattr(self, "_on_" + type(msg).__name__)(msg) or []

    def go(self, screen: str, stay_s: float = 0.0) -> None:
        if self.screen == "result" and screen == "menu" and self.large:
            self._set_large(False)  # the ticket is taken: the next citizen starts with normal type
        self.screen = screen
        self.until = self.now + stay_s
        self.guard_until = self.now + TOUCH_GUARD_S

    def _on_Touched(self, msg: Touched):
        self.last_touch = self.now
        if self.screen == "menu" and msg.target == "staff_corner":
            self.corner_down = self.now
            return None
        if self.now < self.guard_until:
            return None
        if self.screen == "menu":
            return self._touch_menu(msg.target)
        if self.screen == "code":
            return self._touch_code(msg.target)
        if self.screen == "guide":
            return self._touch_guide(msg.target)
        if self.screen == "confirm":
            if msg.target == "confirm_yes":
                return self._issue(self.chosen)
            if msg.target in ("confirm_no", "back"):
                self.go("menu")
        elif self.screen in ("result", "message"):
            self.go("menu")  # anywhere: the citizen has read it
        elif self.screen == "pin" and isinstance(msg.target, Key):
            return self._touch_pin(msg.target.key)
        # "issuing": touches wait; a second press must not make a second ticket.
        return None

    def _on_Released(self, _msg: Released):
        self.corner_down = None  # let go before 3 s: not the staff gesture

    def _touch_menu(self, target: Target):
        if target == "lang":
            if len(self.languages()) > 1:
                self.lang = "en" if self.lang == "zh" else "zh"
        elif target == "prev":
            self.page = max(0, self.page - 1)
        elif target == "next":
            self.page = min(self.pages() - 1, self.page + 1)
        elif isinstance(target, Department) and target.index < len(self.groups):
            self.department, self.page = target.index, 0
        elif isinstance(target, Service):
            service = next((s for s in self.page_services() if s["id"] == target.service_id), None)
            if service is not None:
                return self._choose(service)
        elif isinstance(target, GuideOf):
            service = next((s for s in self.page_services() if s["id"] == target.service_id), None)
            if service is not None:
                self.guide, self.guide_page = service, 0
                self.go("guide", GUIDE_S)
        elif target == "appointment" and self.takes_bookings():
            self.code, self.code_error = "", None
            self.go("code", CODE_S)
        elif target == "large":
            self._set_large(not self.large)
        return None

    def _set_large(self, large: bool) -> None:
        """Large text on or off, still showing the service that was first on the page."""
        first = self.page * self.per()
        self.large = large
        self.page = min(first // self.per(), self.pages() - 1)

    def _touch_code(self, target: Target):
        self.until = self.now + CODE_S
        if target == "code_back":
            self.go("menu")
        elif target == "code_clear":
            self.code, self.code_error = "", None
        elif isinstance(target, Key):
            if target.key == "⌫":
                self.code, self.code_error = self.code[:-1], None
            elif target.key == "✓":
                if len(self.code) == CODE_LEN:
                    return self._check_in(self.code)
                self.code_error = self.both("Please enter the 6-digit code of your appointment.")
            elif target.key.isdigit() and len(self.code) < CODE_LEN:
                self.code, self.code_error = self.code + target.key, None
        return None

    def _touch_guide(self, target: Target):
        self.until = self.now + GUIDE_S
        if target == "guide_back":
            self.go("menu")
        elif target == "guide_prev":
            self.guide_page = max(0, self.guide_page - 1)
        elif target == "guide_next":  # the shell offers it only while there is a next page
            self.guide_page += 1
        elif target == "guide_take" and self.guide is not None:
            self.show_service(self.guide["id"])  # back from the ticket, the menu shows it
            return self._choose(self.guide)
        return None

    def _on_KeyTyped(self, msg: KeyTyped):
        if self.now - self.scan_at > SCAN_GAP_S:
            self.scan = ""
        self.scan_at = self.now
        if msg.char != "\n":
            self.scan = (self.scan + msg.char)[-32:] if msg.char.isprintable() and msg.char else ""
            return None
        line, self.scan = self.scan.strip(), ""
        # The booking's QR holds just the code; anything else read or typed is not a check-in.
        if not re.fullmatch(r"\d{%d}" % CODE_LEN, line) or self.screen in ("issuing", "pin"):
            return None
        self.last_touch = self.now
        return self._check_in(line)

    def _check_in(self, code: str) -> list:
        self.jobs += 1
        self.job, self.chosen, self.message = self.jobs, None, None
        self.checking_in, self.code, self.code_error = code, code, None
        self.go("issuing")
        return [StartCheckIn(self.job, code, self.lang)]

    def _choose(self, service: dict):
        state = halls.state(service)
        if state != "open" and self.offline:
            # The hub decides (the copy may be old), but while it is away say what we know.
            return self._explain(service, state)
        if state == "open" and not self.printer_ok():
            self.chosen = service  # one more touch: a number to note down, not a printed one
            return self.go("confirm", CONFIRM_S)
        return self._issue(service)

    def _issue(self, service: dict) -> list:
        lang = self.lang if self.lang in self.languages() else None
        key, lang_sent, when = self.pending.get(service["id"], (None, None, 0.0))
        if key is None or self.now - when > PENDING_KEY_S:
            key, lang_sent = uuid.uuid4().hex, lang
        self.jobs += 1
        self.job, self.chosen, self.message = self.jobs, service, None
        self.sent = (key, lang_sent)
        self.go("issuing")
        return [StartIssue(self.job, service, key, lang_sent, self.lang)]

    def _touch_pin(self, key: str):
        self.until = self.now + PIN_S
        if key == "C":
            self.go("menu")
        elif key == "✓":
            if self.exit_pin and self.pin == self.exit_pin:
                log.info("staff left the kiosk with the PIN")
                return [Quit()]
            self.pin, self.pin_wrong = "", True
            self.pin_failures += 1
            if self.pin_failures >= PIN_TRIES:  # guessing: back to the menu for a while
                log.warning("%d wrong staff PINs: the keypad rests %d s", PIN_TRIES, PIN_REST_S)
                self.pin_failures = 0
                self.pin_rest_until = self.now + PIN_REST_S
                self.go("menu")
        elif len(self.pin) < PIN_MAX:
            self.pin += key
            self.pin_wrong = False
        return None

    def _on_Tick(self, msg: Tick):
        self.wall = msg.wall
        if self.corner_down is not None and self.now - self.corner_down >= STAFF_HOLD_S:
            self.corner_down = None
            if self.now >= self.pin_rest_until:
                self.pin, self.pin_wrong = "", False
                self.go("pin", PIN_S)
        if self.screen in TIMED_SCREENS and self.now >= self.until:
            self.go("menu")
        if (self.screen == "menu" and self.now - self.last_touch >= IDLE_S
                and (self.lang, self.department, self.page, self.large)
                != (self.default_lang, 0, 0, False)):
            self.lang, self.department, self.page, self.large = self.default_lang, 0, 0, False

    # -- news from the hub and the printer -------------------------------------------------

    def _on_HallSnapshot(self, msg: HallSnapshot):
        snapshot = msg.snapshot
        self.hall = snapshot
        self.groups = halls.groups(snapshot)
        self.department = min(self.department, max(0, len(self.groups) - 1))
        self.page = min(self.page, self.pages() - 1)
        if self.lang not in self.languages() and self.languages():
            self.lang = self.default_lang = self.languages()[0]
        if self.screen == "confirm" and halls.find(snapshot, self.chosen["id"]) is None:
            # The staff retired it while the citizen was deciding: not offered any more.
            self.show_message(*self.both("This service is not open now."), self.chosen.get("name"))
        if self.guide is not None:
            fresh = halls.find(snapshot, self.guide["id"])
            if fresh is None and self.screen == "guide":
                self.show_message(*self.both("This service is not open now."), self.guide.get("name"))
            self.guide = fresh or self.guide
        try:  # show the hub's time: a Pi has no clock of its own until it reaches a time server
            self.clock_offset = datetime.fromisoformat(snapshot["hall"]["time"]) - msg.wall
        except (KeyError, TypeError, ValueError):
            self.clock_offset = timedelta(0)

    def _on_Link(self, msg: Link):
        self.linked = msg.online

    def _on_DeviceKnown(self, msg: DeviceKnown):
        self.exit_pin = msg.device.get("exit_pin") or self.exit_pin

    def _on_PrinterStatusChanged(self, msg: PrinterStatusChanged):
        self.printer = msg.status

    def _on_Retrying(self, msg: Retrying):
        if msg.job == self.job:
            self.retrying = True

    def _on_Issued(self, msg: Issued):
        if msg.job != self.job:
            return
        self.retrying = False
        self.storage_down_until = 0.0
        if self.checking_in is not None:
            self.checking_in = None
            service = msg.answer.get("ticket", {}).get("service")
            self.chosen = halls.find(self.hall, service) or {"id": service, "name": {"zh": service}}
        else:
            self.pending.pop(self.chosen["id"], None)
        self.result = Result(msg.job, msg.answer)
        self.go("result", RESULT_S)

    def _on_Printed(self, msg: Printed):
        self.printer = msg.status
        if self.result is not None and self.result.job == msg.job:
            self.result.printed, self.result.problem = msg.printed, msg.problem
            self.job = None
            # Noting a number down takes longer than taking a ticket.
            self.until = max(self.until, self.now + (RESULT_S / 2 if msg.printed else RESULT_S))
        return [CheckPrinter(AFTER_JOB_S)] if msg.printed else None

    def _on_IssueFailed(self, msg: IssueFailed):
        if msg.job != self.job:
            return
        self.job, self.retrying = None, False
        if self.checking_in is not None:
            return self._check_in_failed(msg)
        service = self.chosen
        if msg.code == STORAGE_UNAVAILABLE:
            # The hub issued nothing; the same key on the next touch is safe all the same, and
            # after the hub's recovery it can only ever give one ticket for this touch.
            self.storage_down_until = self.now + STORAGE_NOTICE_S
            log.warning("the hub cannot save tickets: %s", msg.message)
            self.show_message(*self.both(
                "Tickets cannot be issued just now; please wait a moment or ask staff."),
                service.get("name"))
        elif msg.status == 0 or msg.status >= 500:
            self.show_message(*self.both(
                "The ticket system cannot be reached right now. No ticket was taken. "
                "Please try again in a moment or ask the staff."), service.get("name"))
        else:
            self._refused(service, msg)
            return
        # Unanswered for sure: the same service touched again sends the same key.
        self.pending[service["id"]] = (*self.sent, self.now)

    def _refused(self, service: dict, msg: IssueFailed) -> None:
        if msg.status == 429 and msg.message_zh:  # the hub's "too many, try again shortly"
            self.show_message(_sentence(msg.message_zh, "。"), _sentence(msg.message, "."),
                              service.get("name"))
        elif msg.code == "service_closed":
            self._explain(service, "closed", msg)
        elif msg.code == "daily_limit_reached":
            self._explain(service, "full", msg)
        elif msg.code == "not_found":  # retired by the staff since the menu showed it
            self.show_message(*self.both("This service is not open now."), service.get("name"))
        else:
            log.warning("the hub refused a ticket: %s %s", msg.code, msg.message)
            self.show_message(*self.both("Sorry, a ticket could not be issued. Please ask the staff."),
                              service.get("name"))

    def _check_in_failed(self, msg: IssueFailed) -> None:
        code, self.checking_in = self.checking_in, None
        if msg.code == STORAGE_UNAVAILABLE:
            self.storage_down_until = self.now + STORAGE_NOTICE_S
            self.show_message(*self.both(
                "Tickets cannot be issued just now; please wait a moment or ask staff."), APPOINTMENT_TITLE)
        elif msg.status == 0 or msg.status >= 500:
            self.show_message(*self.both(
                "The ticket system cannot be reached right now. No ticket was taken. "
                "Please try again in a moment or ask the staff."), APPOINTMENT_TITLE)
        elif msg.status == 404:
            # Mistyped, most likely: back on the keypad with the code, to correct it.
            self.code, self.code_error = code, self.both("No appointment with this code.")
            self.go("code", CODE_S)
        elif msg.code == "too_early":  # the hub says from when
            fallback = self.both("It is too early to check in for this appointment.")
            self.show_message(_sentence(msg.message_zh or fallback[0], "。"),
                              _sentence(msg.message or fallback[1], "."), APPOINTMENT_TITLE)
        elif msg.code == "invalid_state":
            fallback = self.both("This appointment can no longer be checked in. Please ask the staff.")
            self.show_message(_sentence(msg.message_zh or fallback[0], "。"),
                              _sentence(msg.message or fallback[1], "."), APPOINTMENT_TITLE)
        elif msg.message_zh and msg.message:  # closed for now, full today: the hub says why
            self.show_message(_sentence(msg.message_zh, "。"), _sentence(msg.message, "."),
                              APPOINTMENT_TITLE)
        else:
            log.warning("the hub refused a check-in: %s %s", msg.code, msg.message)
            self.show_message(*self.both("Sorry, a ticket could not be issued. Please ask the staff."),
                              APPOINTMENT_TITLE)

    def _on_StepFailed(self, _msg: StepFailed):
        # A ticket being issued still comes to the screen when it is ready.
        self.show_message(*self.both("Sorry, something went wrong. Please try again or ask the staff."))

    # -- what the citizen is told ----------------------------------------------------------

    def show_message(self, zh: str, en: str, title: dict | None = None) -> None:
        self.message, self.message_title = (zh, en), title
        self.go("message", MESSAGE_S)

    def _explain(self, service: dict, state: str, msg: IssueFailed | None = None) -> None:
        """Closed now, or full today: the hub's reason when it gave one, and when it opens."""
        more_zh = more_en = ""
        if state == "closed":
            zh, en = self.both("This service is not open now.")
            hours_zh = halls.hours_text(service, gettext_for("zh"))
            # Closed by the staff within its hours: the hours would only say it should be open.
            if hours_zh and not _within_hours(service, self.hall_now()):
                fmt_zh, fmt_en = self.both("Opening hours: {hours}.")
                more_zh = fmt_zh.format(hours=hours_zh)
                more_en = fmt_en.format(hours=halls.hours_text(service, gettext_for("en")))
        else:
            zh, en = self.both("This service has given out all of today's numbers.")
            more_zh, more_en = self.both("Please come back on another day or ask the staff.")
        if msg is not None:
            zh = msg.message_zh or zh
            en = _hub_sentence(msg.message, service) if msg.message else en
        self.show_message(_sentence(zh, "。") + more_zh, f"{_sentence(en, '.')} {more_en}".strip(),
                          service.get("name"))


def _within_hours(service: dict, now: datetime) -> bool:
    """Whether `now` (the hall's time) falls within the service's listed days and hours."""
    if halls.DAYS[now.weekday()] not in (service.get("days") or halls.DAYS):
        return False
    minute = now.hour * 60 + now.minute
    for span in service.get("hours") or []:
        try:
            start, end = ((int(t[:2]) * 60 + int(t[3:5])) for t in span.split("-"))
        except ValueError:
            continue
        if start <= minute < end:
            return True
    return False


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
