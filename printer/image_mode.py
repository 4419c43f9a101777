"""Image mode: the ticket drawn with Pillow in a Simplified Chinese font and sent as a raster, for
printers without a Chinese font. The QR code is still the printer's own (native), between images."""
from __future__ import annotations

from functools import lru_cache

from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from hallcall.hallclient.fonts import FontNotFound, cjk_font

from .errors import PrintError
from .layout import DOTS, Block, Cut, Qr, Rule, Text

CELL = 24  # dots per line of font A, the unit the layout's sizes multiply
MARGIN = 4


def _face(bold: bool):
    try:
        return cjk_font("bold" if bold else "regular")
    except FontNotFound as exc:
        raise PrintError(f"Image-mode tickets need a Chinese font: {exc}",
                         "打印机缺少中文字体，请联系工作人员") from None


def check_font() -> None:
    """Raise PrintError now, at start-up, rather than at the first citizen's ticket."""
    for bold in (False, True):
        face = _face(bold)
        _load(face.path, face.index, CELL)


@lru_cache(maxsize=32)
def _load(path: str, index: int, px: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(path, px, index=index)
    except OSError as exc:
        raise PrintError(f"Image-mode tickets need a Chinese font; {path} (face {index}) "
                         f"cannot be loaded: {exc}", "打印机缺少中文字体，请联系工作人员") from None


def _font(px: int, bold: bool) -> ImageFont.FreeTypeFont:
    face = _face(bold)
    return _load(face.path, face.index, px)


def _line_image(block: Text, width: int) -> Image.Image:
    px = CELL * block.size - 2
    font = _font(px, block.bold)
    # Latin letters in a CJK font are wider than half a cell: shrink a line rather than cut it.
    while font.getlength(block.text) > width - 2 * MARGIN and px > 12:
        px -= 2
        font = _font(px, block.bold)
    # The huge number gets air above and below, as on any queue ticket.
    pad = CELL // 2 if block.size >= 3 else 0
    height = CELL * block.size + 4 + 2 * pad
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    text_w = font.getlength(block.text.strip() if block.reverse else block.text)
    x = (width - text_w) / 2 if block.align == "center" else MARGIN
    ink = 0
    if block.reverse:
        box = (x - CELL // 2, 2, x + text_w + CELL // 2, height - 2)
        draw.rounded_rectangle(box, radius=CELL // 3, fill=0)
        ink = 255
    draw.text((x, height // 2), block.text.strip() if block.reverse else block.text, font=font,
              fill=ink, anchor="lm")
    return img


def draw(blocks: list[Text | Rule], width: int) -> Image.Image:
    """One raster for a run of text blocks, exactly `width` dots wide."""
    parts = []
    for block in blocks:
        if isinstance(block, Rule):
            rule = Image.new("L", (width, 12), 255)
            ImageDraw.Draw(rule).line((MARGIN, 6, width - MARGIN, 6), fill=0, width=2)
            parts.append(rule)
        else:
            parts.append(_line_image(block, width))
    img = Image.new("L", (width, sum(p.height for p in parts) or 1), 255)
    y = 0
    for p in parts:
        img.paste(p, (0, y))
        y += p.height
    return img.point(lambda v: 0 if v < 160 else 255, mode="1")


def render(blocks: list[Block], paper_mm: int = 80, width: int | None = None) -> bytes:
    # A raster row is whole bytes: round down, never past the printer's dots.
    width = (width or DOTS[paper_mm]) // 8 * 8
    out = Dummy()
    # python-escpos checks a raster against the profile's width (and prints a warning when the
    # profile has none): give this one the printer's real width, on a copy of the profile data.
    out.profile.profile_data = {**out.profile.profile_data,
                                "media": {"width": {"mm": paper_mm, "pixels": width}}}
    out._raw(b"\x1b@")
    run: list = []

    def flush():
        if run:
            out.image(draw(run, width), impl="bitImageRaster")
            run.clear()

    for block in blocks:
        if isinstance(block, (Text, Rule)):
            run.append(block)
        elif isinstance(block, Qr):
            flush()
            out._raw(b"\x1ba\x01")
            out.qr(block.data, native=True, size=6 if paper_mm == 80 else 5)
            out._raw(b"\x1ba\x00")
        elif isinstance(block, Cut):
            flush()
            out.cut()
    flush()
    return out.output
