"""A ticket issued by an appointment's check-in says so on the paper, with its slot; a late
check-in's ticket says it is a walk-in number now; a walk-in's ticket is as it always was."""
from __future__ import annotations

import pytest
from escpos_decode import decode, raster_image
from ocr import needs_tesseract, read_png

from hallcall.printer import open_printer
from hallcall.printer.layout import COLUMNS
from hallcall.printer.ticket import from_api, slot_of
from hallcall.printer.wrap import width

HALL = {"hall": {"name": {"zh": "净月政务服务中心", "en": "Jingyue Service Centre"},
                 "timezone": "Asia/Shanghai"},
        "services": [{"id": "passport", "name": {"zh": "护照办理", "en": "Passport"},
                      "materials": [{"zh": "身份证", "en": "ID card"}],
                      "appointments": {"slot_minutes": 30, "per_slot": 2}}],
        "windows": [{"name": {"zh": "3号窗口", "en": "Window 3"}, "services": ["passport"]}]}


def answer(appointment=None, number="P012") -> dict:
    ticket = {"number": number, "service": "passport", "priority": "normal", "token": "tok-1",
              "issued_at": "2026-12-02T09:20:00+08:00", "appointment": appointment}
    return {"ticket": ticket, "ahead": 1, "estimated_wait_s": 300}


def printed(issued, lang="zh", paper=80, mode="text") -> bytes:
    printer = open_printer("dummy:", mode=mode, paper_mm=paper)
    printer.print_ticket(from_api(issued, HALL, "http://hub:8080", lang))
    return printer.printed


@pytest.mark.parametrize("paper", [58, 80])
def test_an_appointment_ticket_names_its_slot_white_on_black(paper):
    issued = answer({"code": "482913", "start": "2026-12-02T09:30:00+08:00", "late": False})
    out = decode(printed(issued, paper=paper))
    assert [t.strip() for t in out.reversed] == ["预约 09:30-10:00"]
    assert "Appointment 09:30-10:00" in out.text  # the other language, under it
    assert ("P012", 4) in out.lines
    assert all(width(t) * size <= COLUMNS[paper] for t, size in out.lines)


def test_the_slot_is_in_the_halls_time_whatever_offset_the_hub_wrote():
    issued = answer({"code": "482913", "start": "2026-12-02T01:30:00+00:00", "late": False})
    out = decode(printed(issued, lang="en"))
    assert [t.strip() for t in out.reversed] == ["Appointment 09:30-10:00"]
    assert "预约 09:30-10:00" in out.text


def test_the_hubs_own_end_of_the_slot_wins():
    slot = slot_of(answer({"code": "1", "start": "2026-12-02T09:30:00+08:00",
                           "end": "2026-12-02T10:15:00+08:00"})["ticket"], HALL)
    assert slot.span() == "09:30-10:15" and not slot.late
    # Neither the hub nor the hall says how long: the start alone, never a made-up end.
    unknown = slot_of(answer({"code": "1", "start": "2026-12-02T09:30:00+08:00"})["ticket"],
                      {"hall": {}, "services": []})
    assert unknown.span() == "09:30"


def test_a_late_check_in_is_printed_as_a_walk_in_number():
    issued = answer({"code": "482913", "start": "2026-12-02T08:30:00+08:00", "late": True})
    out = decode(printed(issued))
    assert "预约已过时 · 按普通号" in out.text
    assert "Appointment missed · walk-in number" in out.text
    assert out.reversed == []  # not highlighted as an appointment
    assert not any("08:30" in t for t in out.text)


def test_a_walk_in_ticket_is_unchanged():
    for issued in (answer(None), {**answer(), "ticket": {k: v for k, v in answer()["ticket"].items()
                                                          if k != "appointment"}}):
        out = decode(printed(issued))
        assert not any("预约" in t or "Appointment" in t for t in out.text)
        assert out.reversed == [] and ("P012", 4) in out.lines


@needs_tesseract
def test_the_slot_reads_back_from_an_image_mode_ticket(tmp_path):
    issued = answer({"code": "482913", "start": "2026-12-02T09:30:00+08:00", "late": False})
    raster = raster_image(decode(printed(issued, lang="en", mode="image")).rasters[0])
    path = tmp_path / "ticket.png"
    raster.save(path)
    text = read_png(path, "eng", psm=3)
    assert "09:30-10:00" in text and "P012" in text
