"""The high-contrast board (HALLCALL_HIGH_CONTRAST=1, `hallcall display --high-contrast`), drawn
headless with pygame's dummy driver against a real hub: in every part of the screen and in each
colour of the flash, every colour that covers some area is at least 7:1 against that part's
ground (WCAG AAA), the ground is pure black, there are no greys, and the called number is drawn
thicker than on the standard board."""
from __future__ import annotations

import argparse
from collections import Counter

import pygame
import pytest
from kiosk_support import step_until

from hallcall.display.board import FLASH_PERIOD_S
from hallcall.display.commands import _arguments
from hallcall.display.render import HIGH_CONTRAST, STANDARD, contrast

SIZE = (1280, 720)
AREA = 0.005  # a colour covering this share of a region is a fill or a text, not a glyph's edge


class BoardClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def boards(live_hub, monkeypatch):
    """A hub with a call under way, and (standard board, high-contrast board) following it; the
    high-contrast one switched on by the environment, as a Pi's unit file does."""
    from hallcall.display.bootstrap import build_board

    hub = live_hub()
    for service in ("company-name", "company-setup", "social-insurance"):
        hub.hub.issue(service)
    apps = []
    monkeypatch.delenv("HALLCALL_HIGH_CONTRAST", raising=False)
    apps.append(build_board(hub.url, SIZE, windowed=True, clock=BoardClock(), retry_s=0.2))
    monkeypatch.setenv("HALLCALL_HIGH_CONTRAST", "1")
    apps.append(build_board(hub.url, SIZE, windowed=True, clock=BoardClock(), retry_s=0.2))
    try:
        for app in apps:
            step_until(app, lambda app=app: app.hall is not None and not app.offline)
        hub.hub.act("3", "call-next")
        hub.hub.act("1", "call-next")
        for app in apps:
            step_until(app, lambda app=app: app.flashing is not None and app.state.waiting())
        yield apps
    finally:
        for app in apps:
            app.feed.close()
        pygame.quit()


def frame_in_phase(app, phase):
    """Draw the board with the flash in `phase` (0, 1, or None once it is over)."""
    if phase is None:
        app.clock.now += 60
    else:
        app.clock.now = app.state.flash_started + (phase + 0.5) * FLASH_PERIOD_S
    app._drawn_key = None
    app.step()
    return app.screen


def colours(surface, rect) -> list[tuple[tuple, float]]:
    """The colours of `rect` with their share of it, most common first."""
    data = pygame.image.tobytes(surface.subsurface(rect), "RGB")
    counts = Counter(data[i:i + 3] for i in range(0, len(data), 3))
    total = rect.width * rect.height
    return [(tuple(c), n / total) for c, n in counts.most_common()]


def regions(app) -> dict:
    L = app.layout
    return {"header": L.header, "hero": L.hero, "windows": L.windows.rect, "recent": L.recent.rect,
            "waiting": L.waiting.rect, "marquee": L.marquee}


def worst_contrast(app) -> tuple[float, str]:
    """The lowest ratio, over every region and flash phase, of a colour with some area against
    the region's ground (its most common colour)."""
    worst = (21.0, "")
    for phase in (0, 1, None):
        surface = frame_in_phase(app, phase)
        for where, rect in regions(app).items():
            found = colours(surface, rect)
            ground = found[0][0]
            for colour, share in found[1:]:
                if share >= AREA:
                    what = f"{colour} on {ground} in {where}, phase {phase}"
                    worst = min(worst, (contrast(colour, ground), what))
    return worst


def test_high_contrast_text_is_at_least_7_to_1_everywhere(boards):
    standard, high = boards
    assert high.palette is HIGH_CONTRAST and standard.palette is STANDARD
    ratio, what = worst_contrast(high)
    assert ratio >= 7, what
    # The measure tells boards apart: the standard navy board has tiles and greys under 7:1.
    assert worst_contrast(standard)[0] < 7


def test_the_ground_is_pure_black_and_there_are_no_greys(boards):
    high = boards[1]
    surface = frame_in_phase(high, None)
    whole = colours(surface, pygame.Rect((0, 0), SIZE))
    assert whole[0][0] == (0, 0, 0) and whole[0][1] > 0.5
    solid = {c for c, share in whole if share >= AREA}
    assert solid <= {(0, 0, 0), (255, 255, 255), (255, 255, 0)}, solid
    # while flashing, the latest call's box is yellow or white with black type
    for phase, fill in ((0, (255, 255, 0)), (1, (255, 255, 255))):
        hero = colours(frame_in_phase(high, phase), high.layout.hero)
        assert hero[0][0] == fill and hero[1][0] == (0, 0, 0)


def test_every_text_colour_of_the_palette_is_7_to_1_on_its_ground():
    assert min(contrast(ink, ground) for ink, ground in HIGH_CONTRAST.text_pairs()) >= 7
    assert min(contrast(ink, ground) for ink, ground in STANDARD.text_pairs()) < 7


def ink_pixels(app, phase) -> int:
    """How many pixels of the hero are in its text colour: the number's strokes are most of it."""
    _, ink, _ = app.palette.flash[phase]
    hero = app.layout.hero
    return round(dict(colours(frame_in_phase(app, phase), hero)).get(ink, 0) * hero.width * hero.height)


def test_the_called_number_is_thicker(boards, tmp_path):
    standard, high = boards
    assert standard.flashing == high.flashing  # the same call, the same words on both
    assert ink_pixels(high, 0) > 1.15 * ink_pixels(standard, 0)
    for app, name in ((standard, "standard"), (high, "high-contrast")):
        pygame.image.save(frame_in_phase(app, 0), str(tmp_path / f"board-{name}.png"))


def test_the_command_takes_the_option():
    p = argparse.ArgumentParser()
    _arguments(p)
    assert p.parse_args(["--high-contrast"]).high_contrast is True
    assert p.parse_args([]).high_contrast is False
