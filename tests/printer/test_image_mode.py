"""Image mode: rasters within the paper's dots, and the number read back by OCR."""
import shutil
import subprocess

import pytest

from escpos_decode import decode, raster_image
from printer import open_printer

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract-ocr is not installed")


def ocr(image, tmp_path, lang="eng") -> str:
    path = tmp_path / "raster.png"
    image.save(path)
    # psm 3 (automatic page segmentation): the huge number is a block of its own.
    run = subprocess.run(["tesseract", str(path), "-", "-l", lang, "--psm", "3"],
                         capture_output=True, text=True, timeout=60)
    return run.stdout


@pytest.mark.parametrize("paper,dots", [(58, 384), (80, 576)])
def test_rasters_never_exceed_the_paper(ticket, paper, dots):
    printer = open_printer("dummy:", mode="image", paper_mm=paper)
    printer.print_ticket(ticket)
    out = decode(printer.printed)
    assert out.rasters and all(w <= dots for w, _h, _bits in out.rasters)
    assert out.qr == [ticket.status_url]  # still the printer's own QR, not a picture
    assert out.commands[-1] == "CUT" and out.lines == []  # no text: it is all drawn


@needs_tesseract
def test_the_number_reads_back_from_the_printed_image(ticket, tmp_path):
    printer = open_printer("dummy:", mode="image", paper_mm=58)
    printer.print_ticket(ticket)
    first = raster_image(decode(printer.printed).rasters[0])  # everything above the QR code
    text = ocr(first, tmp_path, "chi_sim+eng")
    assert "A023" in text.replace(" ", "")
    assert "企业名称预先核准" in text.replace(" ", "")
