"""Where things go on the kiosk's screen, computed from its size (1920x1080, 1080x1920, 800x480
and anything between): plain rectangles, no drawing, so tests can touch exactly a button."""
from __future__ import annotations

from dataclasses import dataclass

import pygame

MIN_BUTTON_H = 88  # a fingertip with room to spare, for old hands too


@dataclass
class Layout:
    size: tuple[int, int]
    header: pygame.Rect
    tabs: list[pygame.Rect]
    grid: pygame.Rect
    cells: list[pygame.Rect]  # service buttons on one page, in reading order
    footer: pygame.Rect
    prev: pygame.Rect
    next: pygame.Rect
    page_label: pygame.Rect
    lang: pygame.Rect
    staff_corner: pygame.Rect
    unit: int  # base text size in pixels

    @property
    def per_page(self) -> int:
        return len(self.cells)


def compute(size: tuple[int, int], departments: int) -> Layout:
    w, h = size
    unit = max(18, min(w, h) // 26)
    pad = max(8, unit // 2)
    header = pygame.Rect(0, 0, w, max(64, int(h * 0.1)))
    footer = pygame.Rect(0, h - max(64, int(h * 0.1)), w, max(64, int(h * 0.1)))
    # Department tabs: one row if each gets a readable width, otherwise two.
    rows = 1 if departments == 0 or w / departments >= 210 else 2
    per_row = max(1, -(-departments // rows))
    tab_h = max(56, int(h * 0.07))
    tabs = []
    for i in range(departments):
        r, c = divmod(i, per_row)
        tw = (w - pad * (per_row + 1)) // per_row
        tabs.append(pygame.Rect(pad + c * (tw + pad), header.bottom + pad + r * (tab_h + pad), tw, tab_h))
    top = header.bottom + pad + rows * (tab_h + pad)
    grid = pygame.Rect(pad, top, w - 2 * pad, footer.top - pad - top)
    cols = 3 if w >= 1500 else 2
    rows_fit = max(1, grid.height // (MIN_BUTTON_H + pad + max(0, (h - 600) // 12)))
    cell_w = (grid.width - pad * (cols - 1)) // cols
    cell_h = (grid.height - pad * (rows_fit - 1)) // rows_fit
    cells = [pygame.Rect(grid.left + c * (cell_w + pad), grid.top + r * (cell_h + pad), cell_w, cell_h)
             for r in range(rows_fit) for c in range(cols)]
    bw = max(120, w // 7)
    prev = pygame.Rect(pad, footer.top + pad, bw, footer.height - 2 * pad)
    nxt = pygame.Rect(prev.right + pad, footer.top + pad, bw, footer.height - 2 * pad)
    lang = pygame.Rect(w - pad - bw, footer.top + pad, bw, footer.height - 2 * pad)
    page_label = pygame.Rect(nxt.right + pad, footer.top, lang.left - nxt.right - 2 * pad, footer.height)
    corner = pygame.Rect(0, 0, max(60, header.height), header.height)
    return Layout(size, header, tabs, grid, cells, footer, prev, nxt, page_label, lang, corner, unit)
