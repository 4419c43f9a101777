"""Image mode: rasters within the paper's dots, the printer's own QR code, and the number and
service name read back from the printed raster by OCR."""
from dataclasses import replace

import pytest
from escpos_decode import decode, raster_image
from ocr import needs_tesseract, read_png

from hallcall.printer import PrintError, image_mode, open_printer
from hallcall.printer.layout import DOTS, Text, layout


def ocr(image, tmp_path, lang) -> str:
    path = tmp_path / "raster.png"
    image.save(path)
    # psm 3 (automatic page segmentation): the huge number is a block of its own.
    return read_png(path, lang, psm=3)


def top_of_ticket(ticket, paper):
    """The printed raster down to the number: what the OCR reads (a whole ticket takes 3 s)."""
    printer = open_printer("dummy:", mode="image", paper_mm=paper)
    printer.print_ticket(ticket)
    raster = raster_image(decode(printer.printed).rasters[0])  # everything above the QR code
    blocks = layout(ticket, paper)
    number = next(i for i, b in enumerate(blocks) if isinstance(b, Text) and b.size >= 3)
    return raster.crop((0, 0, raster.width, image_mode.draw(blocks[:number + 1], DOTS[paper]).height))


@pytest.mark.parametrize("paper,dots", [(58, 384), (80, 576)])
def test_rasters_never_exceed_the_paper(green_ticket, paper, dots):
    printer = open_printer("dummy:", mode="image", paper_mm=paper)
    sent = printer.print_ticket(green_ticket)
    out = decode(printer.printed)
    assert out.rasters and all(w <= dots for w, _h, _bits in out.rasters)
    assert out.qr == [green_ticket.status_url]  # still the printer's own QR, not a picture
    assert out.commands[-1] == "CUT" and out.lines == []  # no text: it is all drawn
    assert sent < 60_000


def test_a_profile_width_is_respected(ticket):
    printer = open_printer("dummy:", mode="image", paper_mm=58, width_dots=372)
    printer.print_ticket(ticket)
    assert {w for w, _h, _bits in decode(printer.printed).rasters} == {368}  # whole bytes


@needs_tesseract
def test_the_number_and_service_read_back_from_the_printed_image(ticket, tmp_path):
    text = ocr(top_of_ticket(ticket, 58), tmp_path, "chi_sim+eng")
    assert "A023" in text
    assert "企业名称预先核准" in text


@needs_tesseract
def test_an_english_80mm_ticket_reads_back(ticket, tmp_path):
    text = ocr(top_of_ticket(replace(ticket, lang="en", number="K105"), 80), tmp_path, "eng")
    assert "K105" in text and "Companyname" in text


def test_no_chinese_font_is_a_clear_error_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("HALLCALL_FONT", str(tmp_path / "missing.ttc"))
    with pytest.raises(PrintError) as e:
        open_printer("dummy:", mode="image")
    assert "font" in e.value.message and e.value.message_zh
    (tmp_path / "broken.ttc").write_bytes(b"not a font")
    monkeypatch.setenv("HALLCALL_FONT", str(tmp_path / "broken.ttc"))
    with pytest.raises(PrintError):
        open_printer("dummy:", mode="image")
    open_printer("dummy:", mode="text")  # text mode needs no font of ours
