"""The hub's QR codes (server/web/qr.py): the SVG's modules are the code of the text, with the
quiet zone a scanner needs, dark on light, and named for screen readers."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import segno

from hallcall.server.web.qr import QUIET_ZONE, qr_svg

NS = {"s": "http://www.w3.org/2000/svg"}
RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The SVG's size in modules and the set of its dark modules (x, y), read back from the path."""
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    d = root.find("s:path", NS).get("d")
    assert RUN.sub("", d) == "", "the path holds only whole-module runs"
    dark = set()
    for x, y, w, back in RUN.findall(d):
        assert w == back
        dark.update((int(x) + i, int(y)) for i in range(int(w)))
    return size, dark


def segno_modules(text: str) -> set[tuple[int, int]]:
    code = segno.make(text, error="m", micro=False)
    return {(x + QUIET_ZONE, y + QUIET_ZONE)
            for y, row in enumerate(code.matrix) for x, m in enumerate(row) if m}


@pytest.mark.parametrize("text", ["042917", "000000", "http://hub.local/guide?service=company-name",
                                  "办事指南"])
def test_the_svg_draws_exactly_the_code_of_the_text(text):
    size, dark = modules(qr_svg(text))
    assert dark == segno_modules(text)
    width = len(segno.make(text, error="m", micro=False).matrix)
    assert size == width + 2 * QUIET_ZONE


def test_a_six_digit_code_is_a_full_qr_code_not_a_micro_one():
    # A 21x21 version-1 code: what phone cameras and USB scanners read; a Micro QR is 11-17.
    size, _ = modules(qr_svg("123456"))
    assert size - 2 * QUIET_ZONE == 21


def test_different_codes_draw_different_symbols():
    assert modules(qr_svg("123456"))[1] != modules(qr_svg("123457"))[1]


def test_quiet_zone_is_light_and_the_symbol_dark_on_light():
    svg = qr_svg("123456")
    size, dark = modules(svg)
    assert all(QUIET_ZONE <= x < size - QUIET_ZONE and QUIET_ZONE <= y < size - QUIET_ZONE
               for x, y in dark)
    root = ET.fromstring(svg)
    background = root.find("s:rect", NS)
    assert background.get("fill") == "#fff" and background.get("width") == str(size)
    assert root.find("s:path", NS).get("fill") == "#000"


def test_scale_sets_the_pixel_size_of_a_module():
    svg = qr_svg("123456", scale=5)
    root = ET.fromstring(svg)
    assert root.get("width") == root.get("height") == str((21 + 2 * QUIET_ZONE) * 5)
    with pytest.raises(ValueError):
        qr_svg("123456", scale=0)


def test_the_svg_is_an_image_with_a_name_escaped_for_xml():
    root = ET.fromstring(qr_svg("a<b>&\"c\"", label='预约 "a<b>"'))
    assert root.get("role") == "img"
    assert root.get("aria-label") == '预约 "a<b>"'
    assert root.find("s:title", NS).text == '预约 "a<b>"'
    assert ET.fromstring(qr_svg("123456")).get("aria-label") == "123456"


def test_empty_text_is_refused():
    with pytest.raises(ValueError):
        qr_svg("")
