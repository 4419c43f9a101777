"""A small ESC/POS reader for the tests: turns the bytes sent to a printer back into what a
person would see (lines of text with their size) and the commands around them."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Printed:
    lines: list[tuple[str, int]] = field(default_factory=list)  # (text, size) in order
    commands: list[str] = field(default_factory=list)  # command names in order, text as "TEXT"
    qr: list[str] = field(default_factory=list)
    rasters: list[tuple[int, int, bytes]] = field(default_factory=list)  # (width, height, bits)
    chinese_mode_at: int | None = None  # index in commands where FS & came
    reversed: list[str] = field(default_factory=list)  # text printed white on black

    @property
    def text(self) -> list[str]:
        return [t for t, _ in self.lines]


def decode(data: bytes) -> Printed:
    out = Printed()
    i, size, reverse, buf = 0, 1, False, bytearray()

    def flush_text():
        if buf:
            out.lines.append((buf.decode("gb18030"), size))
            if reverse:
                out.reversed.append(out.lines[-1][0])
            out.commands.append("TEXT")
            buf.clear()

    while i < len(data):
        b = data[i]
        two = data[i:i + 2]
        if two == b"\x1b@":
            out.commands.append("INIT")
            i += 2
        elif two == b"\x1c&":
            out.chinese_mode_at = len(out.commands)
            out.commands.append("CHINESE_ON")
            i += 2
        elif two == b"\x10\x04":
            out.commands.append("STATUS_REQUEST")
            i += 3
        elif two == b"\x1c.":
            out.commands.append("CHINESE_OFF")
            i += 2
        elif two == b"\x1dB":
            reverse = bool(data[i + 2] & 1)
            out.commands.append("REVERSE")
            i += 3
        elif two in (b"\x1ba", b"\x1bE", b"\x1bd"):
            out.commands.append({b"\x1ba": "ALIGN", b"\x1bE": "BOLD", b"\x1bd": "FEED"}[two])
            i += 3
        elif two == b"\x1d!":
            size = (data[i + 2] & 0x0F) + 1
            out.commands.append("SIZE")
            i += 3
        elif two == b"\x1dV":
            flush_text()
            out.commands.append("CUT")
            i += 3 if data[i + 2] in (0, 1, 48, 49) else 4
        elif data[i:i + 3] == b"\x1d(k":
            n = data[i + 3] | data[i + 4] << 8
            body = data[i + 5:i + 5 + n]
            if body[:3] == b"1P0":
                out.qr.append(body[3:].decode())
                out.commands.append("QR_DATA")
            i += 5 + n
        elif data[i:i + 3] == b"\x1dv0":
            x = data[i + 4] | data[i + 5] << 8
            y = data[i + 6] | data[i + 7] << 8
            out.rasters.append((x * 8, y, bytes(data[i + 8:i + 8 + x * y])))
            out.commands.append("RASTER")
            i += 8 + x * y
        elif b == 0x0A:
            flush_text()
            i += 1
        elif b < 0x20:
            raise ValueError(f"unexpected control byte {b:#x} at {i}: {data[i:i + 8]!r}")
        else:
            buf.append(b)
            i += 1
    flush_text()
    return out


def raster_image(raster):
    """A printed raster as a PIL image (black = 1 on paper, 0 in PIL's 1-bit mode)."""
    from PIL import Image, ImageOps
    w, h, bits = raster
    return ImageOps.invert(Image.frombytes("1", (w, h), bits).convert("L"))
