"""The kiosk's rules as its state machine keeps them: messages in, screens and commands out, no
screen, no hub, no threads; the time is whatever the test says."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from hallcall.kiosk import state as st
from hallcall.kiosk.state import (
    Department,
    HallSnapshot,
    Issued,
    IssueFailed,
    Key,
    Kiosk,
    Link,
    Printed,
    PrinterStatusChanged,
    Released,
    Retrying,
    Service,
    StartIssue,
    Tick,
    Touched,
)

WALL = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
OK = SimpleNamespace(can_print=True)
PAPER_OUT = SimpleNamespace(can_print=False)


def hall(services: int = 3, departments: int = 1, **extra) -> dict:
    svcs = [{"id": f"s{i}", "prefix": "ABCDEFGHJK"[i % 10], "department": f"d{i % departments}",
             "name": {"zh": f"业务{i}", "en": f"Service {i}"}, "open": True, **extra}
            for i in range(services)]
    return {"hall": {"name": {"zh": "大厅", "en": "Hall"}, "time": "2026-11-30T10:00:00+08:00",
                     "timezone": "Asia/Shanghai"},
            "departments": [{"id": f"d{i}", "name": {"zh": f"部门{i}", "en": f"Dep {i}"}}
                            for i in range(departments)],
            "services": svcs, "last_event": 0}


def kiosk(snapshot=None, printer=OK, per_page=4) -> Kiosk:
    k = Kiosk(lambda departments: per_page)
    k.handle(HallSnapshot(snapshot or hall(), WALL))
    k.handle(PrinterStatusChanged(printer))
    return k


class Driver:
    """A kiosk and its clock: each touch comes a second after the last, past the touch guard."""

    def __init__(self, k: Kiosk):
        self.k, self.now = k, 100.0

    def touch(self, target, after: float = 1.0) -> list:
        self.now += after
        return self.k.handle(Touched(target, self.now))

    def tick(self, after: float) -> list:
        self.now += after
        return self.k.handle(Tick(self.now, WALL))

    def issue(self, service_id: str = "s0") -> StartIssue:
        [command] = self.touch(Service(service_id))
        assert isinstance(command, StartIssue)
        return command

    def failed(self, job: int, status: int, code: str = "", message: str = "",
               message_zh: str = "") -> None:
        self.k.handle(IssueFailed(job, status, code, message, message_zh, self.now))


def answer(number: str = "A001") -> dict:
    return {"ticket": {"number": number, "service": "s0"}, "ahead": 2, "estimated_wait_s": 300}


def test_one_touch_issues_shows_the_number_then_whether_it_printed():
    d = Driver(kiosk())
    job = d.issue("s0")
    assert d.k.screen == "issuing" and job.service["id"] == "s0" and job.lang == "zh"
    assert d.touch(Service("s0"), after=0.1) == [] and d.touch(Service("s0")) == []  # no second one
    d.k.handle(Issued(job.job, answer(), d.now))
    assert d.k.screen == "result" and d.k.result.issued["ticket"]["number"] == "A001"
    assert d.k.result.printed is None  # printing
    commands = d.k.handle(Printed(job.job, True, None, OK, d.now))
    assert d.k.result.printed is True and d.k.job is None
    assert commands == [st.CheckPrinter(st.AFTER_JOB_S)]  # the roll may end as it comes out


def test_a_touch_just_after_a_screen_appears_is_a_bounce():
    d = Driver(kiosk())
    job = d.issue()
    d.k.handle(Issued(job.job, answer(), d.now))
    d.touch(None, after=0.1)
    assert d.k.screen == "result"
    d.touch(None)  # a deliberate touch anywhere: back to the menu
    assert d.k.screen == "menu"
    assert d.touch(Service("s0"), after=0.1) == [] and d.k.screen == "menu"


def test_answers_for_an_earlier_touch_do_not_change_the_screen():
    d = Driver(kiosk())
    first = d.issue()
    d.failed(first.job, 0, message="unreachable")
    d.touch(None)
    second = d.issue()
    d.k.handle(Issued(first.job, answer("A009"), d.now))  # late, from the first job
    assert d.k.screen == "issuing"
    d.k.handle(Issued(second.job, answer(), d.now))
    assert d.k.result.issued["ticket"]["number"] == "A001"


def test_a_touch_left_unanswered_keeps_its_key_for_the_same_service_only():
    d = Driver(kiosk())
    first = d.issue("s0")
    d.failed(first.job, 0, message="connection refused")
    assert "无法连接取号系统" in d.k.message[0] and "No ticket was taken" in d.k.message[1]
    d.touch(None)
    other = d.issue("s1")
    assert other.key != first.key  # another service: another ticket
    d.failed(other.job, 400, "bad_request", "no")
    d.touch(None)
    again = d.issue("s0")
    assert again.key == first.key and again.lang == first.lang
    d.k.handle(Issued(again.job, answer(), d.now))
    d.touch(None)
    assert d.issue("s0").key != first.key  # answered: the next touch is a new ticket


def test_an_unanswered_key_is_not_reused_after_ten_minutes():
    d = Driver(kiosk())
    first = d.issue()
    d.failed(first.job, 503, "unavailable", "restarting")
    d.touch(None)
    assert d.touch(Service("s0"), after=st.PENDING_KEY_S + 1)[0].key != first.key


def test_a_hub_that_cannot_save_says_so_keeps_the_key_and_warns_the_menu():
    d = Driver(kiosk())
    first = d.issue()
    d.failed(first.job, 503, st.STORAGE_UNAVAILABLE, "disk full", "磁盘已满")
    assert d.k.message == ("暂时无法取号，请稍候再试或联系工作人员。",
                           "Tickets cannot be issued just now; please wait a moment or ask staff.")
    assert not d.k.offline  # the hub answered
    d.touch(None)
    assert d.k.screen == "menu" and d.k.storage_down()
    again = d.issue()
    assert again.key == first.key
    d.k.handle(Issued(again.job, answer(), d.now))
    assert not d.k.storage_down()


def test_the_storage_warning_ends_by_itself():
    d = Driver(kiosk())
    d.failed(d.issue().job, 503, st.STORAGE_UNAVAILABLE, "disk full")
    d.tick(st.STORAGE_NOTICE_S + 1)
    assert d.k.screen == "menu" and not d.k.storage_down()


def test_paper_out_asks_first_and_takes_a_number_only_on_yes():
    d = Driver(kiosk(printer=PAPER_OUT))
    assert d.touch(Service("s0")) == [] and d.k.screen == "confirm"
    assert d.touch("confirm_no") == [] and d.k.screen == "menu"
    d.touch(Service("s0"))
    [command] = d.touch("confirm_yes")
    assert isinstance(command, StartIssue) and command.service["id"] == "s0"
    assert d.k.screen == "issuing"


def test_an_unanswered_confirm_goes_back_to_the_menu():
    d = Driver(kiosk(printer=PAPER_OUT))
    d.touch(Service("s0"))
    d.tick(st.CONFIRM_S - 1)
    assert d.k.screen == "confirm"
    d.tick(2)
    assert d.k.screen == "menu"


def test_not_printed_keeps_the_number_on_screen_longer():
    d = Driver(kiosk())
    job = d.issue()
    d.k.handle(Issued(job.job, answer(), d.now))
    assert d.k.handle(Printed(job.job, False, "paper_out", PAPER_OUT, d.now)) == []
    assert not d.k.printer_ok()  # the menu warns the next citizen
    d.tick(st.RESULT_S - 1)
    assert d.k.screen == "result" and d.k.result.problem == "paper_out"
    d.tick(2)
    assert d.k.screen == "menu"


def test_the_message_screen_times_out():
    d = Driver(kiosk())
    d.failed(d.issue().job, 400, "bad_request", "nope")
    assert d.k.screen == "message" and d.k.message[1].startswith("Sorry, a ticket could not be issued")
    d.tick(st.MESSAGE_S + 0.1)
    assert d.k.screen == "menu"


def test_closed_and_full_say_the_hubs_reason_and_the_hours():
    closed = hall(services=1, hours=["08:30-12:00"], days=["mon", "tue", "wed", "thu", "fri"])
    d = Driver(kiosk(closed))
    d.failed(d.issue().job, 409, "service_closed", "Service s0 is not open now", "该业务当前不在办理时间内")
    zh, en = d.k.message
    assert en.startswith("Service 0 is not open now.") and "Mon to Fri 08:30-12:00" in en
    assert zh.startswith("该业务当前不在办理时间内。") and "周一至周五 08:30-12:00" in zh
    d.touch(None)
    d.failed(d.issue().job, 409, "daily_limit_reached", "Service s0 has issued its 5 tickets")
    assert "Please come back on another day" in d.k.message[1]


def test_while_the_hub_is_away_a_closed_service_is_explained_without_asking():
    d = Driver(kiosk(hall(services=1)))
    d.k.hall["services"][0]["open"] = False
    d.k.handle(Link(False))
    assert d.touch(Service("s0")) == [] and d.k.screen == "message"
    assert "not open now" in d.k.message[1]


def test_an_issue_that_cannot_reach_the_hub_shows_reconnecting():
    d = Driver(kiosk())
    job = d.issue()
    d.k.handle(Retrying(job.job))
    assert d.k.offline and d.k.screen == "issuing"
    d.k.handle(Issued(job.job, answer(), d.now))
    assert not d.k.offline


def test_pages_and_departments_turn_within_bounds():
    d = Driver(kiosk(hall(services=10, departments=2), per_page=2))  # 5 services in each
    assert [s["id"] for s in d.k.page_services()] == ["s0", "s2"] and d.k.pages() == 3
    d.touch("prev")
    assert d.k.page == 0
    for _ in range(4):
        d.touch("next")
    assert d.k.page == 2 and [s["id"] for s in d.k.page_services()] == ["s8"]
    d.touch(Department(1))
    assert (d.k.department, d.k.page) == (1, 0) and d.k.page_services()[0]["id"] == "s1"
    d.touch(Department(5))  # no such tab
    assert d.k.department == 1
    assert d.touch(Service("s0")) == []  # not on this page: nothing to touch there
    d.k.show_service("s8")
    assert (d.k.department, d.k.page) == (0, 2)


def test_a_smaller_hall_keeps_the_menu_on_a_page_that_exists():
    d = Driver(kiosk(hall(services=10), per_page=2))
    d.k.show_service("s9")
    d.k.handle(HallSnapshot(hall(services=3), WALL))
    assert d.k.page == 1 and [s["id"] for s in d.k.page_services()] == ["s2"]


def test_an_idle_menu_returns_to_its_first_page_and_language():
    d = Driver(kiosk(hall(services=10), per_page=2))
    d.touch("next")
    d.touch("lang")
    assert (d.k.lang, d.k.page) == ("en", 1) and d.k.t("Back") == "Back"
    d.tick(st.IDLE_S - 2)
    assert (d.k.lang, d.k.page) == ("en", 1)
    d.tick(2)
    assert (d.k.lang, d.k.page) == ("zh", 0)


def test_a_hall_in_one_language_has_no_language_button():
    only_zh = hall()
    only_zh["hall"]["languages"] = ["zh"]
    d = Driver(kiosk(only_zh))
    d.touch("lang")
    assert d.k.lang == "zh" and d.issue().lang == "zh"


def hold_corner(d: Driver, seconds: float) -> None:
    d.touch("staff_corner")
    d.tick(seconds)


def test_the_staff_pin_opens_after_a_three_second_hold_and_quits_only_when_right():
    d = Driver(kiosk())
    d.k.handle(st.DeviceKnown({"id": "kiosk-1", "exit_pin": "2468"}))
    d.touch("staff_corner")
    d.k.handle(Released(d.now + 1))
    d.tick(st.STAFF_HOLD_S)
    assert d.k.screen == "menu"  # let go too soon
    hold_corner(d, st.STAFF_HOLD_S)
    assert d.k.screen == "pin"
    for key in "1111✓":
        assert d.touch(Key(key)) == []
    assert d.k.pin_wrong and d.k.pin == "" and d.k.screen == "pin"
    for key in "2468":
        d.touch(Key(key))
    assert d.touch(Key("✓")) == [st.Quit()]


def test_five_wrong_pins_rest_the_keypad():
    d = Driver(kiosk())
    d.k.handle(st.DeviceKnown({"exit_pin": "2468"}))
    hold_corner(d, st.STAFF_HOLD_S)
    for _ in range(st.PIN_TRIES):
        d.touch(Key("0"))
        d.touch(Key("✓"))
    assert d.k.screen == "menu"
    hold_corner(d, st.STAFF_HOLD_S)
    assert d.k.screen == "menu"  # resting
    d.tick(st.PIN_REST_S)
    hold_corner(d, st.STAFF_HOLD_S)
    assert d.k.screen == "pin"


def test_the_pin_screen_cancels_and_times_out():
    d = Driver(kiosk())
    hold_corner(d, st.STAFF_HOLD_S)
    d.touch(Key("C"))
    assert d.k.screen == "menu"
    hold_corner(d, st.STAFF_HOLD_S)
    d.touch(Key("1"))
    assert d.k.pin == "1"
    d.tick(st.PIN_S + 1)
    assert d.k.screen == "menu"
    hold_corner(d, st.STAFF_HOLD_S)
    assert d.k.pin == ""  # a new attempt starts empty
    assert d.touch(Key("✓")) == [] and d.k.pin_wrong  # no PIN known yet: never opens


def test_a_failed_step_apologises():
    d = Driver(kiosk())
    d.k.handle(st.StepFailed(d.now))
    assert d.k.screen == "message" and "抱歉" in d.k.message[0]


def test_the_header_shows_the_hubs_time_of_day_whatever_the_kiosks_clock_says():
    from datetime import timedelta
    k = Kiosk(lambda departments: 4)
    behind = WALL - timedelta(hours=1)  # a Pi that has not reached a time server yet
    k.handle(HallSnapshot(hall(), behind))  # the hub says 10:00 in Shanghai
    k.handle(Tick(5.0, behind + timedelta(minutes=30)))
    assert k.hall_now().strftime("%H:%M") == "10:30"
