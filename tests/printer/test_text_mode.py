"""Text mode decoded back from the bytes a printer would receive."""
from escpos_decode import decode
from printer import open_printer
from printer.layout import COLUMNS
from printer.wrap import width


def test_text_mode_bytes_read_back_as_the_ticket(ticket):
    printer = open_printer("dummy:", mode="text", paper_mm=58)
    sent = printer.print_ticket(ticket)
    data = printer.printed
    assert sent == len(data) < 3000  # tiny: the printer's own font does the drawing
    out = decode(data)
    # Chinese mode is switched on before the first line of text.
    assert out.chinese_mode_at is not None and out.chinese_mode_at < out.commands.index("TEXT")
    assert ("A023", 4) in out.lines
    for expected in ("净月政务服务中心", "企业名称预先核准", "前面还有 3 人", "一次性告知单：请准备以下材料"):
        assert expected in out.text
    materials = "".join(t.strip() for t in out.text)
    assert "申请人身份证原件及复印件（正反面复印在同一页上）" in materials
    assert "《企业名称预先核准申请书》" in materials
    assert not any("?" in t for t in out.text)  # nothing lost to a missing code page
    assert all(width(t) * size <= COLUMNS[58] for t, size in out.lines)
    assert out.qr == [ticket.status_url]
    assert out.commands[-1] == "CUT"


def test_english_ticket(ticket):
    printer = open_printer("dummy:", mode="text", paper_mm=80)
    printer.print_ticket(ticket.__class__(**{**ticket.__dict__, "lang": "en"}))
    out = decode(printer.printed)
    assert "3 people ahead" in out.text
    assert "Company name pre-approval" in " ".join(out.text)  # size 2: wraps at 24 columns
    assert "企业名称预先核准" in out.text  # the other language, smaller
