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
    large: bool = False  # large-text mode: the menu's and the result's type twice as big
    appointment: pygame.Rect = field(default_factory=pygame.Rect)  # "I have an appointment"
    large_button: pygame.Rect = field(default_factory=pygame.Rect)  # "Large text" on and off
    guides: list[pygame.Rect] = field(default_factory=list)  # the guide button on each cell
    code_keys: list[tuple[str, pygame.Rect]] = field(default_factory=list)  # the appointment keypad
    code_title: pygame.Rect = field(default_factory=pygame.Rect)
    code_clear: pygame.Rect = field(default_factory=pygame.Rect)
    code_back: pygame.Rect = field(default_factory=pygame.Rect)
    guide_body: pygame.Rect = field(default_factory=pygame.Rect)  # a service's guide, one page
    guide_prev: pygame.Rect = field(default_factory=pygame.Rect)
    guide_next: pygame.Rect = field(default_factory=pygame.Rect)
    guide_take: pygame.Rect = field(default_factory=pygame.Rect)
    guide_back: pygame.Rect = field(default_factory=pygame.Rect)

    @property
    def per_page(self) -> int:
        return len(self.cells)

    @property
    def type_unit(self) -> int:
        """The text unit of the service buttons and the result: doubled in large-text mode."""
        return self.unit * 2 if self.large else self.unit

    @property
    def portrait(self) -> bool:
        return self.size[1] > self.size[0]


def compute(size: tuple[int, int], departments: int, large: bool = False) -> Layout:
    w, h = size
    u = max(16, round(min(w, h) / 24))
    pad = max(8, round(u * 0.4))
    header = pygame.Rect(0, 0, w, max(56, round(u * 2.6)))
    row_h = max(MIN_TOUCH + 2 * pad, round(u * 2.3))
    button_h = row_h - 2 * pad
    button_w = max(2 * MIN_TOUCH, round(u * 3.4))
    label_w = max(100, round(u * 3.6))
    lang_w = max(110, round(u * 4))
    large_w = max(2 * MIN_TOUCH, round(u * 3.4))
    paging_w = 3 * pad + 2 * button_w + label_w
    # The appointment button is the widest of the footer: on a narrow screen it gets a row of its
    # own above the paging, rather than a label cut short.
    two_rows = w - paging_w - lang_w - large_w - 4 * pad < max(220, u * 6)
    footer_h = row_h * (2 if two_rows else 1)
    footer = pygame.Rect(0, h - footer_h, w, footer_h)
    band = pygame.Rect(0, footer.top - max(36, round(u * 1.3)), w, max(36, round(u * 1.3)))
    top, bottom = header.bottom + pad, band.top - pad

    nav, side, grid = _navigation(w, w > h, top, bottom, departments, u, pad)
    cells = _cells(grid, u, pad, large)
    guides = [_guide_button(cell, u, pad) for cell in cells]

    paging_top = footer.bottom - row_h
    prev = pygame.Rect(pad, paging_top + pad, button_w, button_h)
    page_label = pygame.Rect(prev.right + pad, paging_top, label_w, row_h)
    nxt = pygame.Rect(page_label.right + pad, paging_top + pad, button_w, button_h)
    lang = pygame.Rect(w - pad - lang_w, paging_top + pad, lang_w, button_h)
    if two_rows:
        large_button = pygame.Rect(w - pad - large_w, footer.top + pad, large_w, button_h)
        appointment = pygame.Rect(pad, footer.top + pad, large_button.left - 2 * pad, button_h)
    else:
        large_button = pygame.Rect(lang.left - pad - large_w, lang.top, large_w, button_h)
        left = nxt.right + 2 * pad
        appt_w = min(max(300, round(u * 9)), large_button.left - pad - left)
        appointment = pygame.Rect(large_button.left - pad - appt_w, lang.top, appt_w, button_h)
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
    code_keys, code_title = _keypad(w, h, header.bottom, u, pad, "123456789⌫0✓")
    keys_bottom = code_keys[-1][1].bottom
    code_clear = pygame.Rect(0, 0, max(160, round(u * 5)), back_h)
    code_back = code_clear.copy()
    if w > h:  # under the code, in the left half, level with the keypad's last row
        code_clear.bottomright = (code_title.centerx - pad, keys_bottom)
        code_back.bottomleft = (code_title.centerx + pad, keys_bottom)
        code_title.height = code_clear.top - pad - code_title.top
    else:
        code_clear.topright = (w // 2 - pad, keys_bottom + 2 * pad)
        code_back.topleft = (w // 2 + pad, keys_bottom + 2 * pad)

    bar_top = h - pad - back_h
    guide_prev = pygame.Rect(pad, bar_top, max(2 * MIN_TOUCH, round(u * 3.6)), back_h)
    guide_next = guide_prev.move(guide_prev.width + pad, 0)
    guide_back = pygame.Rect(0, bar_top, max(200, round(u * 5.5)), back_h)
    guide_back.right = w - pad
    guide_take = pygame.Rect(0, bar_top, max(300, round(u * 9)), back_h)
    guide_take.right = guide_back.left - 2 * pad
    guide_body = pygame.Rect(pad, header.bottom + pad, w - 2 * pad, bar_top - 2 * pad - header.bottom)
    return Layout(size, u, pad, header, nav, side, grid, cells, band, footer, prev, nxt, page_label,
                  lang, corner, content, back, yes, no, keypad, pin_title, large, appointment,
                  large_button, guides, code_keys, code_title, code_clear, code_back, guide_body,
                  guide_prev, guide_next, guide_take, guide_back)


def _guide_button(cell: pygame.Rect, u: int, pad: int) -> pygame.Rect:
    """The guide button in a service button's top right corner, where the name's end is."""
    rect = pygame.Rect(0, 0, max(MIN_TOUCH + 24, round(u * 3)), max(MIN_TOUCH, round(u * 1.5)))
    rect.topright = (cell.right - pad // 2, cell.top + pad // 2)
    return rect


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


def _cells(grid: pygame.Rect, u: int, pad: int, large: bool = False) -> list[pygame.Rect]:
    # Large text: a name of twice the size wants about twice the room each way, so a quarter
    # of the buttons (a little more, since the padding around them does not grow).
    min_w, min_h = (max(300, u * 14), max(120, u * 6)) if large else (max(300, u * 9.5), max(84, u * 3.5))
    cols = max(1, min(MAX_COLS, (grid.width + pad) // (round(min_w) + pad)))
    rows = max(1, (grid.height + pad) // (round(min_h) + pad))
    cell_w = (grid.width - pad * (cols - 1)) // cols
    cell_h = (grid.height - pad * (rows - 1)) // rows
    return [pygame.Rect(grid.left + c * (cell_w + pad), grid.top + r * (cell_h + pad), cell_w, cell_h)
            for r in range(rows) for c in range(cols)]


def _keypad(w: int, h: int, top: int, u: int, pad: int, keys: str = "123456789C0✓"):
    """A keypad of 3 x 4 keys (the staff PIN's, the appointment code's) and, beside or above it,
    where its title goes."""
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
    return ([(k, pygame.Rect(left + (i % 3) * (side + gap), key_top + (i // 3) * (side + gap), side, side))
             for i, k in enumerate(keys)], title)
