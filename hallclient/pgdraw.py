"""Text and boxes on a pygame screen in the Simplified Chinese face, shared by the kiosk and the
wall display (each keeps its own colours)."""
from __future__ import annotations

from functools import lru_cache

import pygame
import pygame.freetype

from hallcall.hallclient.fonts import cjk_font

INK = (20, 33, 61)


@lru_cache(maxsize=None)
def font(bold: bool = False) -> pygame.freetype.Font:
    face = cjk_font("bold" if bold else "regular")
    f = pygame.freetype.Font(face.path, 24, font_index=face.index)
    f.antialiased = True
    return f


def fitted_size(value: str, width: int, size: int, bold: bool = False, min_size: int = 12) -> int:
    """The largest size up to `size` at which one line of `value` fits `width`."""
    f = font(bold)
    size = max(min_size, int(size))
    while f.get_rect(value, size=size).width > width and size > min_size:
        size = max(min_size, int(size * 0.9))
    return size


def text(surface, value: str, rect: pygame.Rect, size: int, color=INK, align: str = "center",
         bold: bool = False, min_size: int = 12) -> pygame.Rect:
    """One line inside `rect`, shrunk until it fits; returns where it went."""
    f = font(bold)
    size = fitted_size(value, rect.width, size, bold, min_size)
    bounds = f.get_rect(value, size=size)
    # Place by the font's line box, not the glyphs' ink, so mixed lines share a baseline.
    height = f.get_sized_height(size)
    y = rect.centery - height // 2
    if align == "center":
        x = rect.centerx - bounds.width // 2
    elif align == "right":
        x = rect.right - bounds.width
    else:
        x = rect.left
    f.render_to(surface, (x, y + f.get_sized_ascender(size) - bounds.y), value, color, size=size)
    return pygame.Rect(x, y, bounds.width, height)


def line_surface(value: str, size: int, color=INK, bold: bool = False) -> pygame.Surface:
    """One line rendered once onto a transparent surface of the font's line height, for text that
    is blitted many times (a scrolling marquee)."""
    f = font(bold)
    bounds = f.get_rect(value, size=size)
    surf = pygame.Surface((max(1, bounds.width), f.get_sized_height(size)), pygame.SRCALPHA)
    f.render_to(surf, (0, f.get_sized_ascender(size) - bounds.y), value, color, size=size)
    return surf


def box(surface, rect: pygame.Rect, fill, border=None, radius: int = 14) -> None:
    pygame.draw.rect(surface, fill, rect, border_radius=radius)
    if border:
        pygame.draw.rect(surface, border, rect, width=3, border_radius=radius)
