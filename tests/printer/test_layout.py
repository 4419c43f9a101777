"""Wrapping and layout (pure): CJK takes two columns, lines break where a reader expects them,
nothing runs off the paper, and the ticket says what a citizen needs."""
from dataclasses import replace

import pytest

from hallcall.printer.layout import COLUMNS, Qr, Text, layout
from hallcall.printer.ticket import from_api, sample_ticket
from hallcall.printer.wrap import width, wrap, wrap_list


def texts(blocks):
    return [b.text for b in blocks if isinstance(b, Text)]


def test_width_counts_full_width_characters_twice():
    assert width("A023") == 4
    assert width("企业名称") == 8
    assert width("身份证（复印件）") == 16
    # Ambiguous-width characters are double-byte GB characters: full width on the printer.
    assert width("“证明”·一式两份") == 18


def test_wrap_breaks_chinese_anywhere_and_latin_at_spaces():
    assert wrap("申请人身份证原件及复印件正反面复印在同一页上", 16) == [
        "申请人身份证原件", "及复印件正反面复", "印在同一页上"]
    assert wrap("Applicant's ID card, original and a copy", 16) == [
        "Applicant's ID", "card, original", "and a copy"]
    assert wrap("1. 全体投资人签署的指定代表证明", 12, indent=3) == [
        "1. 全体投资", "   人签署的", "   指定代表", "   证明"]
    assert wrap("Supercalifragilistic", 8) == ["Supercal", "ifragili", "stic"]


def test_punctuation_stays_with_its_words():
    for cols in range(6, 30):
        for text in ("请携带身份证原件，复印件。营业执照（副本）《企业名称预先核准申请书》",
                     "全体投资人签署的“指定代表证明”，加盖公章"):
            lines = [ln.strip() for ln in wrap(text, cols)]
            assert all(width(ln) <= cols for ln in lines)
            assert "".join(lines) == text
            assert not any(ln[0] in "，。）》”" for ln in lines[1:]), lines
            assert not any(ln[-1] in "（《“" for ln in lines[:-1]), lines


def test_a_list_breaks_between_its_items():
    names = [f"{i}号窗口" for i in (1, 2, 3, 4, 38, 42)]
    lines = wrap_list("办理窗口：", names, "，", 32, indent=2)
    assert lines == ["办理窗口：1号窗口，2号窗口，", "  3号窗口，4号窗口，38号窗口，", "  42号窗口"]
    lines = wrap_list("Windows: ", [f"Window {i}" for i in (1, 2, 3, 4, 38, 42)], ", ", 32, 2)
    assert lines == ["Windows: Window 1, Window 2,", "  Window 3, Window 4, Window 38,", "  Window 42"]


def test_control_characters_never_reach_the_printer():
    assert wrap("营业执照\x1b@副本\n原件", 40) == ["营业执照 @副本 原件"]


@pytest.mark.parametrize("paper", [58, 80])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("priority", ["normal", "green"])
def test_every_line_fits_the_paper(ticket, paper, lang, priority):
    long = replace(ticket, lang=lang, priority=priority,
                   service={"zh": "外商投资企业设立、变更、注销登记及备案" * 2,
                            "en": "Registration of foreign-invested enterprises and their changes"})
    for t in (ticket, long):
        for b in layout(replace(t, lang=lang, priority=priority), paper):
            if isinstance(b, Text):
                assert width(b.text) * b.size <= COLUMNS[paper], b


def test_the_ticket_says_what_a_citizen_needs(ticket):
    blocks = layout(ticket, 80)
    big = [b for b in blocks if isinstance(b, Text) and b.size >= 3]
    assert [b.text for b in big] == ["A023"] and big[0].size == 4
    lines = texts(blocks)
    assert lines[:2] == ["净月政务服务中心", "Jingyue Government Service Centre"]
    assert "企业名称预先核准" in lines and "Company name pre-approval" in lines
    assert "前面还有 3 人" in lines and "预计等候约 9 分钟" in lines
    assert "取号时间 2026-11-27 09:05" in lines  # the hub's local time, as issued
    assert lines[lines.index("预计等候约 9 分钟") + 2].startswith("办理窗口：1号窗口，2号窗口")
    assert "一次性告知单：请准备以下材料" in lines
    assert [b.data for b in blocks if isinstance(b, Qr)] == [ticket.status_url]
    assert "请留意叫号屏幕和广播，过号需重新取号。" in lines
    assert not any("绿色通道" in t for t in lines)


def test_green_channel_is_marked_in_both_languages(green_ticket):
    blocks = layout(green_ticket, 58)
    marks = [b for b in blocks if isinstance(b, Text) and b.reverse]
    assert [b.text.strip() for b in marks] == ["绿色通道"] and marks[0].size == 2
    assert "Green channel" in texts(blocks)
    assert "前面没有人，请留意叫号" in texts(blocks)
    en = layout(replace(green_ticket, lang="en"), 58)
    assert [b.text.strip() for b in en if isinstance(b, Text) and b.reverse] == ["Green channel"]


def test_a_name_in_one_language_only_is_printed_once(ticket):
    t = replace(ticket, hall={"zh": "净月政务服务中心"}, service={"zh": "企业名称预先核准", "en": ""})
    lines = texts(layout(t, 80))
    assert lines.count("净月政务服务中心") == 1 and lines.count("企业名称预先核准") == 1
    lines = texts(layout(replace(t, lang="en"), 80))  # an English ticket falls back to Chinese
    assert lines.count("净月政务服务中心") == 1 and lines.count("企业名称预先核准") == 1


def test_from_the_hubs_answers():
    issued = {"ticket": {"id": "t1", "number": "B012", "service": "tax", "priority": "green",
                         "status": "waiting", "issued_at": "2026-11-26T14:03:00+08:00",
                         "called_at": None, "window": None, "token": "tok-123"},
              "ahead": 2, "estimated_wait_s": 300}
    hall = {"hall": {"name": {"zh": "净月政务服务中心", "en": "Jingyue"}, "languages": ["zh", "en"]},
            "services": [{"id": "tax", "prefix": "B", "name": {"zh": "税务登记", "en": "Tax registration"},
                          "materials": [{"zh": "营业执照副本", "en": "Business licence copy"}]}],
            "windows": [{"id": "3", "name": {"zh": "3号窗口", "en": "Window 3"},
                         "services": ["company-name", "tax"]},
                        {"id": "4", "name": {"zh": "4号窗口", "en": "Window 4"},
                         "services": ["company-name"]}]}
    t = from_api(issued, hall, "http://hub.local:8080/", lang="en")
    assert (t.number, t.priority, t.ahead, t.estimated_wait_s) == ("B012", "green", 2, 300)
    assert t.windows == [{"zh": "3号窗口", "en": "Window 3"}]
    assert t.status_url == "http://hub.local:8080/t/tok-123" and t.lang == "en"
    assert t.issued_at.hour == 14 and t.text(t.service) == "Tax registration"
    lines = texts(layout(t, 58))
    assert "Windows: Window 3" in lines and "1. Business licence copy" in lines


def test_the_sample_ticket_comes_from_the_demo_hall(demo_config):
    t = sample_ticket(demo_config, "zh")
    service = demo_config.services[0]
    assert t.service == service.name.as_dict() and t.number.startswith(service.prefix)
    assert len(t.windows) == len(demo_config.windows_serving(service.id)) > 0
    assert t.hall == demo_config.name.as_dict() and t.materials
