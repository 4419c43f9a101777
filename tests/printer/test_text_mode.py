"""Text mode decoded back from the bytes a printer would receive."""
from dataclasses import replace

import pytest
from escpos_decode import decode

from hallcall.printer import open_printer
from hallcall.printer.layout import COLUMNS, Text, layout
from hallcall.printer.ticket import sample_ticket
from hallcall.printer.wrap import width


def printed(ticket, paper=58):
    printer = open_printer("dummy:", mode="text", paper_mm=paper)
    sent = printer.print_ticket(ticket)
    assert sent == len(printer.printed)
    return printer.printed


def test_text_mode_bytes_read_back_as_the_ticket(ticket):
    data = printed(ticket)
    assert len(data) < 3000  # tiny: the printer's own font does the drawing
    # Chinese mode is on before the first byte of Chinese text, and off again before the cut.
    assert data.index(b"\x1c&") < min(i for i, b in enumerate(data) if b >= 0x80)
    out = decode(data)
    assert out.chinese_mode_at < out.commands.index("TEXT")
    assert out.commands.index("CHINESE_OFF") > max(i for i, c in enumerate(out.commands) if c == "TEXT")
    assert ("A023", 4) in out.lines
    for expected in ("净月政务服务中心", "企业名称预先核准", "前面还有 3 人", "一次性告知单：请准备以下材料"):
        assert expected in out.text
    assert "办理窗口：1号窗口，2号窗口，" in out.text and "  42号窗口" in out.text
    materials = "".join(t.strip() for t in out.text)
    assert "1. 申请人身份证原件及复印件（正反面复印在同一页上）" in materials
    assert "2. 《企业名称预先核准申请书》" in materials
    assert "3. 全体投资人签署的“指定代表证明”，加盖公章·一式两份" in materials
    assert not any("?" in t for t in out.text)  # nothing lost to a missing code page
    assert all(width(t) * size <= COLUMNS[58] for t, size in out.lines)
    assert out.qr == [ticket.status_url]
    assert out.commands[-1] == "CUT"


@pytest.mark.parametrize("paper", [58, 80])
def test_every_demo_service_prints_exactly_its_layout(demo_config, paper):
    base = sample_ticket(demo_config, "zh")
    for service in demo_config.services:
        for lang in ("zh", "en"):
            t = replace(base, lang=lang, service=service.name.as_dict(), number=f"{service.prefix}123",
                        materials=[m.as_dict() for m in service.materials],
                        windows=[w.name.as_dict() for w in demo_config.windows_serving(service.id)])
            out = decode(printed(t, paper))
            expected = [(b.text, b.size) for b in layout(t, paper) if isinstance(b, Text)]
            assert [ln for ln in out.lines if not ln[0].startswith("---")] == expected
            assert not any("?" in text for text, _ in out.lines), service.id
            assert all(width(text) * size <= COLUMNS[paper] for text, size in out.lines)


def test_english_ticket(ticket):
    out = decode(printed(replace(ticket, lang="en"), 80))
    assert "3 people ahead" in out.text
    assert ["Company name", "pre-approval"] == [t for t, s in out.lines if s == 2]  # 24 columns
    assert "企业名称预先核准" in out.text  # the other language, smaller


def test_green_channel_is_printed_white_on_black(green_ticket):
    out = decode(printed(green_ticket, 58))
    assert [t.strip() for t in out.reversed] == ["绿色通道"]
    assert ("G007", 4) in out.lines and "Green channel" in out.text
