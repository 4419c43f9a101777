"""Drawing the wall board from its state: dark ground, bright text, readable across a hall.

Two palettes: the hall's navy board, and a high-contrast one (`hallcall display --high-contrast`
or HALLCALL_HIGH_CONTRAST=1) for citizens with low vision: white and yellow on pure black, no
greys, every text at least 7:1 against what it is drawn on (WCAG AAA), the called number thicker.
"""
from __future__ import annotations

from dataclasses import dataclass

import pygame

from hallcall.hallclient.pgdraw import box, line_surface, text


@dataclass(frozen=True)
class Palette:
    ground: tuple  # the screen
    panel: tuple  # a panel's body
    title: tuple  # the header bar, a panel's title bar, a window's tile
    stripe: tuple  # every other row of the recent calls
    band: tuple  # the marquee
    ink: tuple  # text
    muted: tuple  # second-rank text (the English lines)
    accent: tuple  # a called number, the marquee's rule
    count: tuple  # waiting counts
    offline: tuple
    alert: tuple  # a window tile flashing on its call
    alert_ink: tuple
    flash: tuple  # (fill, main text, second text) of the latest call's two phases and at rest
    outline: tuple | None = None  # drawn around boxes when fills alone cannot be told apart
    thick: bool = False  # the called number drawn thicker

    def text_pairs(self) -> list[tuple[tuple, tuple]]:
        """(text colour, ground it is drawn on) of everything the board writes."""
        pairs = [(c, g) for g in (self.ground, self.panel, self.title, self.stripe)
                 for c in (self.ink, self.muted, self.accent)]
        pairs += [(self.count, self.panel), (self.offline, self.title), (self.ink, self.band),
                  (self.muted, self.band), (self.accent, self.band)]
        pairs += [(self.alert_ink, self.alert)]
        pairs += [(ink, fill) for fill, *inks in self.flash for ink in inks]
        return pairs


WHITE = (255, 255, 255)
GROUND = (10, 24, 54)
PANEL = (20, 41, 84)
TITLE = (30, 62, 122)
MUTED = (160, 178, 212)
GOLD = (255, 204, 64)
RED = (196, 28, 40)
GREEN = (96, 214, 140)
BAND = (5, 14, 34)
OFFLINE = (236, 96, 96)

STANDARD = Palette(
    ground=GROUND, panel=PANEL, title=TITLE, stripe=(25, 50, 100), band=BAND, ink=WHITE,
    muted=MUTED, accent=GOLD, count=GREEN, offline=OFFLINE, alert=RED, alert_ink=WHITE,
    flash=((RED, WHITE, (255, 222, 222)), (GOLD, GROUND, (60, 50, 20)), (PANEL, GOLD, WHITE)))

BLACK = (0, 0, 0)
YELLOW = (255, 255, 0)
HIGH_CONTRAST = Palette(
    ground=BLACK, panel=BLACK, title=BLACK, stripe=BLACK, band=BLACK, ink=WHITE,
    muted=WHITE, accent=YELLOW, count=YELLOW, offline=(255, 150, 150), alert=YELLOW,
    alert_ink=BLACK,
    # The flash alternates the box itself between yellow and white, with black type on both: no
    # red, which reads dark to many with low vision and against which white falls under 7:1.
    flash=((YELLOW, BLACK, BLACK), (WHITE, BLACK, BLACK), (BLACK, YELLOW, WHITE)),
    outline=WHITE, thick=True)


def palette(app) -> Palette:
    return getattr(app, "palette", STANDARD)


def edge(p: Palette, fill: tuple) -> tuple | None:
    """The outline a box needs: only a box as black as the screen needs one to be seen."""
    return p.outline if p.outline and fill == p.ground else None


def contrast(a: tuple, b: tuple) -> float:
    """The WCAG contrast ratio of two sRGB colours (1 to 21)."""
    def luminance(c):
        lin = [(v / 255) / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
               for v in c[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def number_text(app, surface, value: str, rect: pygame.Rect, size, color, align="center"):
    """A called number: bold, and in high contrast drawn again a few pixels aside so its
    strokes are thicker than the font's bold (what a reader with low vision asked for)."""
    where = text(surface, value, rect, size, color, align, True)
    if palette(app).thick:
        weight = max(1, int(where.height) // 28)
        for dx in range(1, weight + 1):
            text(surface, value, rect.move(dx, 0), size, color, align, True)
            text(surface, value, rect.move(-dx, 0), size, color, align, True)
    return where


WEEKDAYS_ZH = "一二三四五六日"


def name(value: dict | None, lang: str = "zh") -> str:
    return (value or {}).get(lang) or (value or {}).get("zh") or ""


def call_sentence(app, call: dict) -> tuple[str, str]:
    zh, en = app.both("Ticket {number}, please go to {window}")
    number, window = call["ticket"]["number"], call["window"].get("name") or {}
    return (zh.format(number=number, window=name(window, "zh")),
            en.format(number=number, window=name(window, "en")))


def board(app, surface, now) -> None:
    surface.fill(palette(app).ground)
    header(app, surface, now)
    if app.window is None:
        hero(app, surface)
        windows(app, surface)
        recent(app, surface)
        waiting(app, surface)
    else:
        window_screen(app, surface)


def header(app, surface, now) -> None:
    L, u, P = app.layout, app.layout.unit, palette(app)
    pygame.draw.rect(surface, P.title, L.header)
    if P.outline:
        pygame.draw.line(surface, P.outline, L.header.bottomleft, L.header.bottomright, 2)
    inner = L.header.inflate(-2 * u, -u // 2)
    hall = app.hall
    left_w = inner.width * (45 if app.window is None else 50) // 100
    if hall:
        hall_name = hall["name"]
        text(surface, name(hall_name), pygame.Rect(inner.left, inner.top, left_w, inner.height * 62 // 100),
             u * 1.5, P.ink, "left", True)
        text(surface, name(hall_name, "en"), pygame.Rect(inner.left, inner.top + inner.height * 62 // 100,
                                                          left_w, inner.height * 38 // 100),
             u * 0.75, P.muted, "left")
    else:
        text(surface, app.both("Connecting to the ticket system…")[0],
             pygame.Rect(inner.left, inner.top, left_w, inner.height), u, P.muted, "left")
    clock_w = inner.width * 22 // 100
    clock = pygame.Rect(inner.right - clock_w, inner.top, clock_w, inner.height)
    text(surface, now.strftime("%H:%M:%S" if app.window is None else "%H:%M"), clock, u * 2.0,
         P.ink, "right", True)
    date = pygame.Rect(inner.left + left_w + u, inner.top, clock.left - inner.left - left_w - 2 * u,
                       inner.height)
    text(surface, f"{now.year}年{now.month}月{now.day}日 星期{WEEKDAYS_ZH[now.weekday()]}",
         pygame.Rect(date.left, date.top, date.width, date.height * 58 // 100), u * 1.0, P.ink, "right")
    second_line = pygame.Rect(date.left, date.top + date.height * 58 // 100, date.width,
                              date.height * 42 // 100)
    if app.offline:  # in place of the English date: discreet, and nothing else moves
        offline_mark(app, surface, second_line)
    else:
        text(surface, now.strftime("%A, %d %B %Y"), second_line, u * 0.7, P.muted, "right")


def flash_colours(app) -> tuple[tuple, tuple, tuple]:
    """(fill, main text, second text) of the latest-call box this frame."""
    phase = app.flash_phase()
    first, second, rest = palette(app).flash
    if phase == 0:
        return first
    if phase == 1:
        return second
    return rest


def hero(app, surface) -> None:
    L, u = app.layout, app.layout.unit
    fill, ink, second = flash_colours(app)
    box(surface, L.hero, fill, edge(palette(app), fill), radius=u // 2)
    inner = L.hero.inflate(-2 * u, -u)
    call = app.state.latest
    h = inner.height
    label = app.both("Now calling")
    text(surface, f"{label[0]}  {label[1]}", pygame.Rect(inner.left, inner.top, inner.width, h * 14 // 100),
         u * 0.9, second, "left")
    if call is None:
        zh, en = app.both("Waiting for the next call")
        text(surface, zh, pygame.Rect(inner.left, inner.top + h * 25 // 100, inner.width, h * 35 // 100),
             u * 2.4, ink, bold=True)
        text(surface, en, pygame.Rect(inner.left, inner.top + h * 62 // 100, inner.width, h * 20 // 100),
             u * 1.2, second)
        return
    big = pygame.Rect(inner.left, inner.top + h * 14 // 100, inner.width, h * 46 // 100)
    window = call["window"].get("name") or {}
    number_text(app, surface, call["ticket"]["number"],
                pygame.Rect(big.left, big.top, big.width * 48 // 100, big.height), big.height * 0.95, ink,
                "left")
    text(surface, name(window), pygame.Rect(big.left + big.width * 50 // 100, big.top,
                                            big.width * 50 // 100, big.height),
         big.height * 0.62, ink, "right", True)
    zh, en = call_sentence(app, call)
    text(surface, zh, pygame.Rect(inner.left, inner.top + h * 62 // 100, inner.width, h * 21 // 100),
         u * 1.6, ink, "left", True)
    text(surface, en, pygame.Rect(inner.left, inner.top + h * 83 // 100, inner.width, h * 17 // 100),
         u * 1.05, second, "left")


def panel_title(app, surface, panel, title: tuple[str, str], page: int = 0, pages: int = 1) -> None:
    u, P = app.layout.unit, palette(app)
    box(surface, panel.rect, P.panel, edge(P, P.panel), radius=u // 2)
    pygame.draw.rect(surface, P.title, panel.title, border_top_left_radius=u // 2,
                     border_top_right_radius=u // 2)
    if P.outline:
        pygame.draw.line(surface, P.outline, panel.title.bottomleft, panel.title.bottomright, 2)
    zh, en = title
    inner = panel.title.inflate(-u, 0)
    text(surface, f"{zh}  {en}", inner, u * 0.9, P.ink, "left", True)
    if pages > 1:
        text(surface, f"{page + 1}/{pages}", inner, u * 0.75, P.muted, "right")


def paged(app, items: list, per: int) -> tuple[list, int, int]:
    pages = max(1, -(-len(items) // per))
    page = app.page() % pages
    return items[page * per:(page + 1) * per], page, pages


def windows(app, surface) -> None:
    panel, u, P = app.layout.windows, app.layout.unit, palette(app)
    items, page, pages = paged(app, app.state.serving(), len(panel.rows))
    panel_title(app, surface, panel, app.both("Now serving"), page, pages)
    if not items:
        text(surface, "  ".join(app.both("No window is serving yet")), panel.rect.inflate(-u, -u * 3),
             u * 1.1, P.muted)
    for rect, w in zip(panel.rows, items, strict=False):  # the last page may leave rows empty
        current = w["current"]
        flashing = app.flashing and app.flashing[1] == w["id"]
        tile = P.title if not flashing else P.alert
        box(surface, rect, tile, edge(P, tile), radius=u // 3)
        inner = rect.inflate(-u // 2, -u // 4)
        text(surface, name(w["name"]),
             pygame.Rect(inner.left, inner.top, inner.width, inner.height * 36 // 100),
             u * 0.8, P.muted if not flashing else P.alert_ink)
        called = P.accent if current.get("status") == "called" else P.ink
        number_text(app, surface, current["number"],
                    pygame.Rect(inner.left, inner.top + inner.height * 36 // 100, inner.width,
                                inner.height * 64 // 100),
                    u * 1.5, called if not flashing else P.alert_ink)


def recent(app, surface) -> None:
    panel, u, P = app.layout.recent, app.layout.unit, palette(app)
    calls = app.state.recent[:len(panel.rows)]
    panel_title(app, surface, panel, app.both("Recent calls"))
    for i, (rect, call) in enumerate(zip(panel.rows, calls, strict=False)):  # fewer calls than rows early on
        if i % 2 == 0:
            pygame.draw.rect(surface, P.stripe, rect, border_radius=u // 4)
        inner = rect.inflate(-u // 2, 0)
        window = call["window"].get("name") or {}
        text(surface, call["ticket"]["number"], pygame.Rect(inner.left, inner.top, inner.width * 24 // 100,
                                                            inner.height), u * 1.05, P.accent, "left", True)
        text(surface, name(window), pygame.Rect(inner.left + inner.width * 25 // 100, inner.top,
                                                inner.width * 30 // 100, inner.height),
             u * 0.95, P.ink, "left")
        text(surface, name(window, "en"), pygame.Rect(inner.left + inner.width * 56 // 100, inner.top,
                                                      inner.width * 28 // 100, inner.height),
             u * 0.75, P.muted, "left")
        text(surface, (call.get("at") or "")[11:16], pygame.Rect(inner.left, inner.top, inner.width,
                                                                 inner.height), u * 0.75, P.muted, "right")


def waiting(app, surface) -> None:
    panel, u, P = app.layout.waiting, app.layout.unit, palette(app)
    items, page, pages = paged(app, app.state.waiting(), len(panel.rows))
    panel_title(app, surface, panel, app.both("Waiting"), page, pages)
    if not items:
        text(surface, "  ".join(app.both("Nobody is waiting")), panel.rect.inflate(-u, -u * 3),
             u * 1.0, P.muted)
    for rect, s in zip(panel.rows, items, strict=False):  # the last page may leave rows empty
        inner = rect.inflate(-u // 4, 0)
        count_w = u * 3
        text(surface, f"{s['prefix']} {name(s['name'])}",
             pygame.Rect(inner.left, inner.top, inner.width - count_w, inner.height), u * 0.85, P.ink, "left")
        text(surface, str(s["waiting"]), pygame.Rect(inner.right - count_w, inner.top, count_w, inner.height),
             u * 1.0, P.count, "right", True)


def window_screen(app, surface) -> None:
    L, u = app.layout, app.layout.unit
    fill, ink, second = flash_colours(app)
    box(surface, L.hero, fill, edge(palette(app), fill), radius=u // 2)
    inner = L.hero.inflate(-2 * u, -u)
    h = inner.height
    w = app.state.windows.get(app.window)
    if w is None:
        text(surface, app.both("Connecting to the ticket system…")[0], inner, u * 1.5, palette(app).muted)
        return
    text(surface, name(w["name"]), pygame.Rect(inner.left, inner.top, inner.width, h * 20 // 100),
         u * 2.2, ink, bold=True)
    text(surface, name(w["name"], "en"), pygame.Rect(inner.left, inner.top + h * 20 // 100, inner.width,
                                                     h * 10 // 100), u * 1.1, second)
    current = w.get("current")
    number = pygame.Rect(inner.left, inner.top + h * 31 // 100, inner.width, h * 46 // 100)
    if w.get("status") in ("paused", "closed"):
        zh, en = app.both("Window paused") if w["status"] == "paused" else app.both("Window closed")
        text(surface, zh, number, number.height * 0.6, second, bold=True)
        text(surface, en, pygame.Rect(inner.left, inner.top + h * 80 // 100, inner.width, h * 18 // 100),
             u * 1.3, second)
        return
    if not current:
        text(surface, "—", number, number.height * 0.8, second, bold=True)
        return
    number_text(app, surface, current["number"], number, number.height * 1.0, ink)
    zh, en = app.both("Ticket {number}, please come to this window")
    text(surface, zh.format(number=current["number"]),
         pygame.Rect(inner.left, inner.top + h * 78 // 100, inner.width, h * 12 // 100),
         u * 1.5, ink, bold=True)
    text(surface, en.format(number=current["number"]),
         pygame.Rect(inner.left, inner.top + h * 90 // 100, inner.width, h * 10 // 100), u * 1.0, second)


def offline_mark(app, surface, rect: pygame.Rect) -> None:
    """A small red dot and "网络中断 Offline": the board keeps showing what it knows."""
    u = app.layout.unit
    zh, en = app.both("Offline")
    colour = palette(app).offline
    where = text(surface, f"{zh} {en}", rect, u * 0.7, colour, "right")
    r = max(3, u // 5)
    pygame.draw.circle(surface, colour, (where.left - r * 2, rect.centery), r)


class Marquee:
    """The notices scrolling right to left along the bottom band, each rendered once; a frame
    redraws only the band and reports it as the one dirty rectangle."""

    def __init__(self, layout, colours: Palette = STANDARD):
        self.colours = colours
        self.band = layout.marquee
        self.unit = layout.unit
        self.speed = max(40, layout.size[0] // 12)  # pixels a second
        self._notices = None
        self._pieces: list[pygame.Surface] = []
        self._cycle = 1

    def set_notices(self, notices: list[dict]) -> None:
        key = tuple((n.get("zh", ""), n.get("en", "")) for n in notices)
        if key == self._notices:
            return
        self._notices = key
        size = round(self.band.height * 0.46)
        P = self.colours
        gap = line_surface("   ◆   ", size, P.accent)
        self._pieces = []
        for zh, en in key:
            self._pieces += [line_surface(zh, size, P.ink), line_surface("    " + en, size, P.muted), gap]
        self._cycle = max(1, sum(p.get_width() for p in self._pieces))

    def draw(self, surface, now: float) -> pygame.Rect:
        band = self.band
        surface.fill(self.colours.band, band)
        if self._pieces:
            x = band.left - int(now * self.speed) % self._cycle
            while x < band.right:
                for piece in self._pieces:
                    w = piece.get_width()
                    if x + w > band.left and x < band.right:
                        surface.blit(piece, (x, band.centery - piece.get_height() // 2))
                    x += w
        pygame.draw.line(surface, self.colours.accent, band.topleft, band.topright, 2)
        return band
