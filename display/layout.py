"""Where things go on the wall board, computed from its size alone (1920x1080, 1280x720, 800x480
and anything between): plain rectangles, so drawing and tests (OCR of the latest call) agree."""
from __future__ import annotations

from dataclasses import dataclass

import pygame


@dataclass(frozen=True)
class Panel:
    rect: pygame.Rect
    title: pygame.Rect
    rows: list[pygame.Rect]  # one per item, in reading order


@dataclass(frozen=True)
class Layout:
    size: tuple[int, int]
    unit: int  # base text size in pixels; every other size is a multiple of it
    pad: int
    header: pygame.Rect
    marquee: pygame.Rect
    hero: pygame.Rect  # the latest call, large (window mode: the window's number)
    windows: Panel | None  # each window's current number (board only)
    recent: Panel | None
    waiting: Panel | None


def _unit(w: int, h: int) -> int:
    return max(12, round(min(w / 48, h / 27)))


def _panel(rect: pygame.Rect, u: int, row_h: int, cols: int = 1) -> Panel:
    title = pygame.Rect(rect.left, rect.top, rect.width, round(u * 1.6))
    body = pygame.Rect(rect.left + u // 2, title.bottom + u // 4,
                       rect.width - u, rect.bottom - title.bottom - u // 2)
    gap = max(4, u // 4)
    n_rows = max(1, (body.height + gap) // (row_h + gap))
    col_w = (body.width - (cols - 1) * gap) // cols
    rows = [pygame.Rect(body.left + c * (col_w + gap), body.top + r * (row_h + gap), col_w, row_h)
            for r in range(n_rows) for c in range(cols)]
    return Panel(rect, title, rows)


def compute(size: tuple[int, int], window_mode: bool = False) -> Layout:
    w, h = size
    u = _unit(w, h)
    pad = max(6, u // 2)
    header = pygame.Rect(0, 0, w, max(round(h * 0.11), round(u * 2.4)))
    marquee_h = max(round(h * 0.075), round(u * 1.7))
    marquee = pygame.Rect(0, h - marquee_h, w, marquee_h)
    body = pygame.Rect(pad, header.bottom + pad, w - 2 * pad, marquee.top - header.bottom - 2 * pad)
    if window_mode:
        hero = body.inflate(-pad, -pad)
        return Layout(size, u, pad, header, marquee, hero, None, None, None)
    left_w = round(body.width * 0.60)
    left = pygame.Rect(body.left, body.top, left_w, body.height)
    right = pygame.Rect(left.right + pad, body.top, body.right - left.right - pad, body.height)
    hero = pygame.Rect(left.left, left.top, left.width, round(left.height * 0.48))
    windows_rect = pygame.Rect(left.left, hero.bottom + pad, left.width, left.bottom - hero.bottom - pad)
    recent_rect = pygame.Rect(right.left, right.top, right.width, round(right.height * 0.56))
    waiting_rect = pygame.Rect(right.left, recent_rect.bottom + pad, right.width,
                               right.bottom - recent_rect.bottom - pad)
    tile_cols = max(2, windows_rect.width // (u * 5))
    return Layout(size, u, pad, header, marquee, hero,
                  _panel(windows_rect, u, round(u * 2.9), tile_cols),
                  _panel(recent_rect, u, round(u * 1.45)),
                  _panel(waiting_rect, u, round(u * 1.25), 2 if right.width > u * 24 else 1))
