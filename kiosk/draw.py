"""The kiosk's colours, and its text in the Simplified Chinese face the devices share
(hallclient.pgdraw.font): one line shrunk to fit and cut with "…", or a block of lines broken
between Chinese characters and at English spaces, never before a closing punctuation mark."""
from __future__ import annotations

import pygame

from hallcall.hallclient.cjk import NO_LINE_START, is_cjk
from hallcall.hallclient.pgdraw import font

INK = (17, 30, 56)
MUTED = (82, 94, 117)
PAPER = (240, 243, 248)
WHITE = (255, 255, 255)
BRAND = (16, 70, 156)
BRAND_SOFT = (226, 235, 250)
SUBTITLE = (206, 220, 246)
ACCENT = (214, 86, 12)  # the language button: findable at a glance from across the hall
GREEN = (20, 122, 66)
LINE = (196, 203, 216)
DISABLED = (228, 231, 237)
SHADED = (231, 234, 240)  # a closed or full service: still shown, visibly not available
DANGER = (178, 28, 42)
WARNING = (156, 84, 0)
WARNING_SOFT = (255, 240, 214)



class Painter:
    def __init__(self, surface: pygame.Surface):
        self.surface = surface
        font(False), font(True)  # a missing Chinese font stops the start, not the first frame

    def width(self, value: str, size: int, bold: bool = False) -> int:
        return font(bold).get_rect(value, size=int(size)).width

    def line_height(self, size: float, bold: bool = False) -> int:
        return font(bold).get_sized_height(int(size))

    def text(self, value: str, rect: pygame.Rect, size: float, color=INK, align: str = "center",
             bold: bool = False, min_size: float | None = None) -> pygame.Rect:
        """One line inside `rect`, shrunk (down to min_size, default 70%) and then cut with "…"
        until it fits; returns where it went."""
        f = font(bold)
        size = max(8, int(size))
        floor = max(8, int(min_size if min_size is not None else size * 0.7))
        bounds = f.get_rect(value, size=size)
        while bounds.width > rect.width and size > floor:
            size = max(floor, int(size * 0.92))
            bounds = f.get_rect(value, size=size)
        if bounds.width > rect.width:
            # The Chinese face draws "…" mid-height, as Chinese wants it; English wants "...".
            dots = "…" if any(is_cjk(c) for c in value) else "..."
            while value and f.get_rect(value + dots, size=size).width > rect.width:
                value = value[:-1]
            value = value.rstrip() + dots
            bounds = f.get_rect(value, size=size)
        # Placed by the font's line box, not the glyphs' ink, so mixed lines share a baseline.
        height = f.get_sized_height(size)
        y = rect.centery - height // 2
        x = {"center": rect.centerx - bounds.width // 2,
             "right": rect.right - bounds.width}.get(align, rect.left)
        f.render_to(self.surface, (x, y + f.get_sized_ascender(size) - bounds.y), value, color, size=size)
        return pygame.Rect(x, y, bounds.width, height)

    def lines(self, value: str, width: int, size: float, bold: bool = False) -> list[str]:
        """`value` broken into lines no wider than `width` (a word longer than that is cut)."""
        f, size = font(bold), int(size)
        out: list[str] = []
        for paragraph in value.split("\n"):
            line = ""
            for ch in paragraph:
                if line and ch not in NO_LINE_START and f.get_rect(line + ch, size=size).width > width:
                    if ch == " ":  # break at this space
                        out.append(line.rstrip())
                        line = ""
                        continue
                    cut = len(line)
                    if not is_cjk(ch) and not is_cjk(line[-1]) and " " in line.strip():
                        cut = line.rstrip().rfind(" ") + 1  # keep an English word whole
                    out.append(line[:cut].rstrip())
                    line = line[cut:].lstrip()
                line += ch
            out.append(line)
        return out

    def fit(self, value: str, rect: pygame.Rect, size: float, bold: bool = False, max_lines: int = 2,
            min_size: float | None = None, spacing: float = 1.15) -> tuple[int, list[str]]:
        """The largest size (at most `size`) at which `value` fits `rect` in `max_lines` lines,
        no English word cut in two, and those lines."""
        size = int(size)
        floor = int(min_size if min_size is not None else size * 0.6)
        words = [w for w in value.split() if not any(is_cjk(c) for c in w)]
        while True:
            lines = self.lines(value, rect.width, size, bold)
            tall = len(lines) * self.line_height(size, bold) * spacing
            whole = all(self.width(w, size, bold) <= rect.width for w in words)
            if (len(lines) <= max_lines and tall <= rect.height * 1.05 and whole) or size <= floor:
                return size, lines
            size = max(floor, int(size * 0.92))

    def paragraph(self, value: str, rect: pygame.Rect, size: float, color=INK, bold: bool = False,
                  align: str = "left", max_lines: int | None = None, spacing: float = 1.2,
                  lines: list[str] | None = None) -> int:
        """Lines from the top of `rect`; when they do not all fit, the last one shown ends with
        "…". Returns the height used."""
        size = int(size)
        step = int(self.line_height(size, bold) * spacing)
        lines = lines if lines is not None else self.lines(value, rect.width, size, bold)
        room = max(1, (rect.height - self.line_height(size, bold)) // step + 1)
        if max_lines is not None:
            room = min(room, max_lines)
        if len(lines) > room:
            lines = lines[:room - 1] + [_join(lines[room - 1:])]
        y = rect.top
        for ln in lines:
            self.text(ln, pygame.Rect(rect.left, y, rect.width, step), size, color, align, bold,
                      min_size=size)
            y += step
        return y - rect.top

    def block(self, value: str, rect: pygame.Rect, size: float, color=INK, bold: bool = False,
              align: str = "center", max_lines: int = 2, min_size: float | None = None,
              valign: str = "center") -> None:
        """`value` shrunk to fit `rect` in at most `max_lines` lines, placed as a block."""
        size, lines = self.fit(value, rect, size, bold, max_lines, min_size)
        step = int(self.line_height(size, bold) * 1.15)
        tall = step * min(len(lines), max_lines)
        top = rect.top if valign == "top" else rect.centery - tall // 2
        self.paragraph(value, pygame.Rect(rect.left, top, rect.width, tall), size, color, bold, align,
                       max_lines, 1.15, lines)

    def box(self, rect: pygame.Rect, fill, border=None, radius: int | None = None, width: int = 2) -> None:
        radius = max(6, min(rect.height // 6, 16)) if radius is None else radius
        pygame.draw.rect(self.surface, fill, rect, border_radius=radius)
        if border:
            pygame.draw.rect(self.surface, border, rect, width=width, border_radius=radius)


def _join(lines: list[str]) -> str:
    """Lines back into one: with a space between English words, none between Chinese ones."""
    out = ""
    for ln in lines:
        if out and ln and not is_cjk(out[-1]) and not is_cjk(ln[0]):
            out += " "
        out += ln
    return out
