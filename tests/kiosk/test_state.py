"""The kiosk's rules as its state machine keeps them: messages in, screens and commands out, no
screen, no hub, no threads; the time is whatever the test says."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from hallcall.kiosk import state as st
from hallcall.kiosk.state import (
    Department,
    GuideOf,
    HallSnapshot,
    Issued,
    IssueFailed,
    Key,
    KeyTyped,
    Kiosk,
    Link,
    Printed,
    PrinterStatusChanged,
    Released,
    Retrying,
    Service,
    StartCheckIn,
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


# -- issue 15: an appointment's check-in by keypad or scanner, large text, the guide --------

def checked_in(number="A001", late=False) -> dict:
    return {"ticket": {"number": number, "service": "s1",
                       "appointment": {"code": "482913", "start": "2026-11-30T10:00:00+08:00",
                                       "late": late}},
            "ahead": 0, "estimated_wait_s": 0}


def type_code(d: Driver, keys: str) -> list:
    commands = []
    for key in keys:
        commands += d.touch(Key(key))
    return commands


def scan(d: Driver, text: str, gap: float = 0.03) -> list:
    """A scanner's keys: each `gap` seconds after the last, then Return."""
    commands = []
    for char in text + "\n":
        d.now += gap
        commands += d.k.handle(KeyTyped(char, d.now))
    return commands


BOOKINGS = {"appointments": {"slot_minutes": 30, "per_slot": 2}}


def test_the_keypad_takes_six_digits_corrects_and_checks_in():
    d = Driver(kiosk(hall(**BOOKINGS)))
    d.touch("appointment")
    assert d.k.screen == "code" and d.k.code == ""
    assert type_code(d, "48291") == [] and d.k.code == "48291"
    assert type_code(d, "✓") == []  # five digits: not sent, the citizen is told
    assert d.k.screen == "code" and d.k.code_error[0] == "请输入 6 位预约号。"
    type_code(d, "⌫⌫")
    assert d.k.code == "482" and d.k.code_error is None
    type_code(d, "9137")  # the seventh digit does not fit
    assert d.k.code == "482913"
    [command] = type_code(d, "✓")
    assert command == StartCheckIn(command.job, "482913", "zh") and d.k.screen == "issuing"
    d.k.handle(Issued(command.job, checked_in(), d.now))
    assert d.k.screen == "result" and d.k.chosen["id"] == "s1"


def test_clear_back_and_the_timeout_leave_the_keypad_as_they_should():
    d = Driver(kiosk(hall(**BOOKINGS)))
    d.touch("appointment")
    type_code(d, "123")
    d.touch("code_clear")
    assert d.k.code == "" and d.k.screen == "code"
    d.touch("code_back")
    assert d.k.screen == "menu"
    d.touch("appointment")
    assert d.k.code == ""  # a new citizen's keypad starts empty
    d.tick(st.CODE_S - 1)
    assert d.k.screen == "code"
    d.tick(2)
    assert d.k.screen == "menu"


def test_a_scanners_six_digits_and_return_check_in_from_any_screen():
    d = Driver(kiosk())
    [command] = scan(d, "482913")
    assert command.code == "482913" and d.k.screen == "issuing"
    d.k.handle(Issued(command.job, checked_in(), d.now))
    assert d.k.screen == "result"
    [again] = scan(d, "771204")  # the next citizen scans while the last result is still up
    assert again.code == "771204" and again.job != command.job
    d.failed(again.job, 404, "not_found", "No appointment 771204")
    assert d.k.screen == "code"
    d.touch("code_back")
    d.touch(GuideOf("s0"))
    assert d.k.screen == "guide"
    assert [c.code for c in scan(d, "482913")] == ["482913"]


def test_stray_keys_slow_keys_and_other_codes_do_nothing():
    d = Driver(kiosk())
    assert scan(d, "5") == []  # one stray key and Return
    assert scan(d, "1234567") == [] and scan(d, "12345") == []  # not an appointment's code
    assert scan(d, "48a913") == []
    assert scan(d, "482913", gap=st.SCAN_GAP_S + 0.5) == []  # a person pressing keys, slowly
    assert d.k.screen == "menu" and d.k.job is None
    # A stray key long before does not spoil the next scan.
    d.now += 0.01
    d.k.handle(KeyTyped("7", d.now))
    d.now += 5
    assert [c.code for c in scan(d, "482913")] == ["482913"]


def test_no_check_in_while_a_ticket_is_being_issued_or_staff_type_their_pin():
    d = Driver(kiosk())
    d.issue()
    assert scan(d, "482913") == [] and d.k.screen == "issuing"


def test_a_hall_without_bookings_offers_no_keypad_but_a_scanned_code_still_checks_in():
    d = Driver(kiosk())
    assert not d.k.takes_bookings()
    d.touch("appointment")
    assert d.k.screen == "menu"
    assert [c.code for c in scan(d, "482913")] == ["482913"]  # the hub decides


def test_an_unknown_code_goes_back_to_the_keypad_with_the_code_to_correct():
    d = Driver(kiosk(hall(**BOOKINGS)))
    d.touch("appointment")
    [command] = type_code(d, "482914✓")
    d.failed(command.job, 404, "not_found", "No appointment with code 482914", "没有预约号 482914")
    assert d.k.screen == "code" and d.k.code == "482914"
    assert d.k.code_error == ("没有这个预约号。", "No appointment with this code.")
    type_code(d, "⌫3")
    assert d.k.code == "482913" and d.k.code_error is None


def test_too_early_says_the_hubs_words_and_an_unreachable_hub_the_offline_words():
    d = Driver(kiosk())
    [command] = scan(d, "482913")
    d.failed(command.job, 409, "too_early", "Check-in opens at 09:00", "请于 09:00 后签到")
    assert d.k.screen == "message"
    assert d.k.message == ("请于 09:00 后签到。", "Check-in opens at 09:00.")
    assert d.k.message_title == st.APPOINTMENT_TITLE
    d.touch(None)
    [command] = scan(d, "482913")
    d.failed(command.job, 0, "unreachable", "hub not reachable")
    assert "无法连接取号系统" in d.k.message[0] and "No ticket was taken" in d.k.message[1]
    d.touch(None)
    [command] = scan(d, "482913")
    d.failed(command.job, 409, "invalid_state", "", "")  # cancelled, without words from the hub
    assert d.k.message[0] == "该预约已无法签到，请咨询工作人员。"


def test_a_check_ins_answer_for_an_older_job_is_ignored():
    d = Driver(kiosk())
    [first] = scan(d, "482913")
    d.failed(first.job, 0, "unreachable", "down")
    d.touch(None)
    [second] = scan(d, "482913")
    d.k.handle(IssueFailed(first.job, 404, "not_found", "", "", d.now))
    assert d.k.screen == "issuing"
    d.k.handle(Issued(second.job, checked_in(), d.now))
    assert d.k.screen == "result"


def test_large_text_shows_fewer_services_keeps_the_place_and_ends_with_the_ticket():
    d = Driver(kiosk(hall(services=12), per_page=8))
    d.touch("next")
    assert [s["id"] for s in d.k.page_services()][0] == "s8"
    d.touch("large")
    assert d.k.large and d.k.per() == 2  # a quarter as many per page by default
    assert d.k.page_services()[0]["id"] == "s8"  # the service that was first is still shown
    assert d.k.pages() == 6
    d.touch("next")
    assert [s["id"] for s in d.k.page_services()] == ["s10", "s11"]
    job = d.issue("s10")
    d.k.handle(Issued(job.job, {"ticket": {"number": "K001", "service": "s10"}, "ahead": 0}, d.now))
    assert d.k.screen == "result" and d.k.large  # the result is in large type too
    d.touch(None)
    assert d.k.screen == "menu" and not d.k.large  # the ticket is taken: the next citizen
    assert d.k.page_services()[0]["id"] == "s8"


def test_large_text_ends_when_the_result_times_out_or_the_kiosk_idles():
    d = Driver(kiosk(hall(services=12), per_page=8))
    d.touch("large")
    job = d.issue("s0")
    d.k.handle(Issued(job.job, answer_for("s0"), d.now))
    d.tick(st.RESULT_S + 1)
    assert d.k.screen == "menu" and not d.k.large
    d.touch("large")
    d.touch("large")
    assert not d.k.large  # the same button turns it off
    d.touch("large")
    d.tick(st.IDLE_S + 1)
    assert not d.k.large and d.k.page == 0


def answer_for(service: str) -> dict:
    return {"ticket": {"number": "A001", "service": service}, "ahead": 0}


def test_the_layouts_own_count_of_large_buttons_is_used():
    k = st.Kiosk(lambda departments: 12, lambda departments: 3)
    k.handle(st.HallSnapshot(hall(services=7), k.wall))
    k.large = True
    assert k.per() == 3 and k.pages() == 3


def test_the_guide_opens_from_its_button_and_takes_a_number_or_goes_back():
    d = Driver(kiosk(hall(services=6), per_page=4))
    d.touch("next")
    d.touch(GuideOf("s5"))
    assert d.k.screen == "guide" and d.k.guide["id"] == "s5" and d.k.guide_page == 0
    d.touch("guide_next")
    d.touch("guide_next")
    d.touch("guide_prev")
    assert d.k.guide_page == 1
    d.touch("guide_prev")
    d.touch("guide_prev")
    assert d.k.guide_page == 0
    [command] = d.touch("guide_take")
    assert isinstance(command, StartIssue) and command.service["id"] == "s5"
    d.k.handle(Issued(command.job, answer_for("s5"), d.now))
    d.touch(None)
    assert d.k.screen == "menu" and d.k.page == 1  # back where the service is
    d.touch(GuideOf("s4"))
    assert d.touch("guide_back") == [] and d.k.screen == "menu"


def test_the_guide_of_a_closed_service_explains_instead_of_issuing():
    d = Driver(kiosk(hall(services=2)))
    d.k.handle(st.Link(False))
    closed = hall(services=2)
    closed["services"][1]["open"] = False
    d.k.handle(st.HallSnapshot(closed, d.k.wall))
    d.touch(GuideOf("s1"))
    assert d.touch("guide_take") == [] and d.k.screen == "message"


def test_the_guide_times_out_and_a_retired_service_leaves_it():
    d = Driver(kiosk(hall(services=2)))
    d.touch(GuideOf("s1"))
    d.tick(st.GUIDE_S - 1)
    d.touch("guide_next")  # reading: each touch gives it longer
    d.tick(st.GUIDE_S - 1)
    assert d.k.screen == "guide"
    d.tick(2)
    assert d.k.screen == "menu"
    d.touch(GuideOf("s1"))
    d.k.handle(st.HallSnapshot(hall(services=1), d.k.wall))
    assert d.k.screen == "message" and d.k.message[0] == "该业务当前不在办理时间内。"
    assert d.touch(Service("s1")) == []
