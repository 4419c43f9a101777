"""Text mode: the printer's own Chinese font, GB18030 bytes. A ticket is about 1-2 KB.

python-escpos has no Chinese code page (CJK text leaves it as raw GB18030 without switching the
printer to Chinese mode, Chinese punctuation becomes '?'), so the text is encoded here and sent
raw, after FS & puts the printer in Chinese mode. GB18030 covers every Unicode character: nothing
turns into '?'.
"""
from __future__ import annotations

from escpos.printer import Dummy

from .layout import COLUMNS, Block, Cut, Qr, Rule, Text

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01"}


def size_command(size: int) -> bytes:
    n = size - 1
    return GS + b"!" + bytes([(n << 4) | n])


def render(blocks: list[Block], paper_mm: int = 80) -> bytes:
    out = Dummy()
    out._raw(INIT + CHINESE_ON)
    for block in blocks:
        if isinstance(block, Text):
            out._raw(ALIGN[block.align] + size_command(block.size)
                     + ESC + b"E" + (b"\x01" if block.bold else b"\x00")
                     + GS + b"B" + (b"\x01" if block.reverse else b"\x00")
                     + block.text.encode("gb18030") + b"\n")
        elif isinstance(block, Rule):
            out._raw(ALIGN["left"] + size_command(1) + ESC + b"E\x00" + GS + b"B\x00"
                     + b"-" * COLUMNS[paper_mm] + b"\n")
        elif isinstance(block, Qr):
            out._raw(ALIGN["center"])
            out.qr(block.data, native=True, size=6 if paper_mm == 80 else 5)
        elif isinstance(block, Cut):
            # Leave the printer as it was found: default size, alignment and single-byte mode.
            out._raw(ALIGN["left"] + size_command(1) + CHINESE_OFF)
            out.cut()
    return out.output
