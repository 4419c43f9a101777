"""Where things go on the kiosk's screen, computed from its size alone (1920x1080, 1080x1920,
800x480 and anything between): plain rectangles, no drawing, so the drawing code and the tests
touch exactly the same buttons."""
from __future__ import annotations

from dataclasses import dataclass, field

import pygame

# Smallest button edge in pixels: about 9 mm on the official 7" 800x480 panel, the size touch
# guidelines give for unsteady fingers; bigger screens scale every size up from `unit`.
MIN_TOUCH = 48
MAX_COLS = 3  # more columns make each name too short to read at a glance


@dataclass(frozen=True)
class Layout:
    size: tuple[int, int]
    unit: int  # base text size in pixels; everything else is a multiple of it
    pad: int
    header: pygame.Rect
    nav: list[pygame.Rect]  # one button per department, in the hall's order
    nav_side: bool  # a column on the left (wide screens) or rows on top
    grid: pygame.Rect
    cells: list[pygame.Rect]  # service buttons on one page, in reading order
    band: pygame.Rect  # hall notices, or a warning (offline, printer)
    footer: pygame.Rect
    prev: pygame.Rect
    next: pygame.Rect
    page_label: pygame.Rect
    lang: pygame.Rect
    staff_corner: pygame.Rect
    content: pygame.Rect  # the card of the result, message and confirm screens
    back: pygame.Rect  # "back to the menu" under the card
    confirm_yes: pygame.Rect
    confirm_no: pygame.Rect
    keypad: list[tuple[str, pygame.Rect]] = field(default_factory=list)
    pin_title: pygame.Rect = field(default_factory=pygame.Rect)

    @property
    def per_page(self) -> int:
        return len(self.cells)

    @property
    def portrait(self) -> bool:
        return self.size[1] > self.size[0]


def compute(size: tuple[int, int], departments: int) -> Layout:
    w, h = size
    u = max(16, round(min(w, h) / 24))
    pad = max(8, round(u * 0.4))
    header = pygame.Rect(0, 0, w, max(56, round(u * 2.6)))
    footer_h = max(MIN_TOUCH + 2 * pad, round(u * 2.3))
    footer = pygame.Rect(0, h - footer_h, w, footer_h)
    band = pygame.Rect(0, footer.top - max(36, round(u * 1.3)), w, max(36, round(u * 1.3)))
    top, bottom = header.bottom + pad, band.top - pad

    nav, side, grid = _navigation(w, w > h, top, bottom, departments, u, pad)
    cells = _cells(grid, u, pad)

    button_h = footer_h - 2 * pad
    button_w = max(120, round(u * 4.2))
    label_w = max(140, round(u * 4.5))
    prev = pygame.Rect(pad, footer.top + pad, button_w, button_h)
    page_label = pygame.Rect(prev.right + pad, footer.top, label_w, footer_h)
    nxt = pygame.Rect(page_label.right + pad, footer.top + pad, button_w, button_h)
    lang = pygame.Rect(w - pad - label_w, footer.top + pad, label_w, button_h)
    corner = pygame.Rect(0, 0, max(64, header.height), header.height)

    back_h = max(MIN_TOUCH + 8, round(u * 1.9))
    back = pygame.Rect(0, 0, max(320, round(u * 9)), back_h)
    back.midbottom = (w // 2, h - pad)
    content = pygame.Rect(pad, header.bottom + pad, w - 2 * pad, back.top - pad - header.bottom - pad)
    yes = pygame.Rect(0, 0, min(content.width - 4 * pad, max(300, round(u * 11))), back_h + pad)
    no = pygame.Rect(0, 0, max(200, round(u * 6)), back_h + pad)
    gap = 2 * pad
    if yes.width + no.width + gap + 4 * pad <= content.width:  # side by side, the choice first
        left = content.centerx - (yes.width + gap + no.width) // 2
        yes.bottomleft = (left, content.bottom - 2 * pad)
        no.bottomleft = (yes.right + gap, content.bottom - 2 * pad)
    else:
        no.midbottom = (content.centerx, content.bottom - 2 * pad)
        yes.midbottom = (content.centerx, no.top - gap)
    keypad, pin_title = _keypad(w, h, header.bottom, u, pad)
    return Layout(size, u, pad, header, nav, side, grid, cells, band, footer, prev, nxt, page_label,
                  lang, corner, content, back, yes, no, keypad, pin_title)


def _navigation(w: int, landscape: bool, top: int, bottom: int, n: int, u: int, pad: int):
    """Department buttons: a column on the left when the screen is wide and each button stays
    big enough, else rows across the top; none when the hall has a single department."""
    if n <= 1:
        return [], False, pygame.Rect(pad, top, w - 2 * pad, bottom - top)
    min_h = max(MIN_TOUCH + 16, round(u * 1.7))
    tab_h = (bottom - top - pad * (n - 1)) // n
    if landscape and tab_h >= min_h:
        side_w = round(w * 0.2)
        tab_h = min(tab_h, round(u * 2.4))
        nav = [pygame.Rect(pad, top + i * (tab_h + pad), side_w, tab_h) for i in range(n)]
        return nav, True, pygame.Rect(2 * pad + side_w, top, w - side_w - 3 * pad, bottom - top)
    tab_h = max(MIN_TOUCH, round(u * 1.7))
    per_row = max(1, min(n, (w - pad) // (max(150, round(u * 5.5)) + pad)))
    # At most two rows on a short screen (narrower buttons beat too few services per page).
    rows = min(-(-n // per_row), 2 if bottom - top < 800 else 3)
    per_row = -(-n // rows)  # balanced rows: 4 + 4, not 5 + 3
    tab_w = (w - pad * (per_row + 1)) // per_row
    nav = []
    for i in range(n):
        r, c = divmod(i, per_row)
        nav.append(pygame.Rect(pad + c * (tab_w + pad), top + r * (tab_h + pad), tab_w, tab_h))
    grid_top = top + rows * (tab_h + pad)
    return nav, False, pygame.Rect(pad, grid_top, w - 2 * pad, bottom - grid_top)


def _cells(grid: pygame.Rect, u: int, pad: int) -> list[pygame.Rect]:
    cols = max(1, min(MAX_COLS, (grid.width + pad) // (max(300, round(u * 9.5)) + pad)))
    rows = max(1, (grid.height + pad) // (max(84, round(u * 3.5)) + pad))
    cell_w = (grid.width - pad * (cols - 1)) // cols
    cell_h = (grid.height - pad * (rows - 1)) // rows
    return [pygame.Rect(grid.left + c * (cell_w + pad), grid.top + r * (cell_h + pad), cell_w, cell_h)
            for r in range(rows) for c in range(cols)]


def _keypad(w: int, h: int, top: int, u: int, pad: int):
    """The staff PIN keypad (3 x 4 keys) and, beside or above it, where its title goes."""
    side = max(MIN_TOUCH + 8, min(w, h - top) // 7)
    gap = pad
    pad_w, pad_h = 3 * side + 2 * gap, 4 * side + 3 * gap
    if w > h:  # the title on the left half, the keys on the right
        left = w // 2 + (w // 2 - pad_w) // 2
        key_top = top + (h - top - pad_h) // 2
        title = pygame.Rect(0, top, w // 2, h - top)
    else:  # the title just above the keys
        left = (w - pad_w) // 2
        key_top = top + (h - top - pad_h) // 2 + 3 * u
        title = pygame.Rect(0, key_top - 7 * u, w, 7 * u)
    keys = "123456789C0✓"
    return ([(k, pygame.Rect(left + (i % 3) * (side + gap), key_top + (i // 3) * (side + gap), side, side))
             for i, k in enumerate(keys)], title)
