"""Driving a kiosk from outside its screen, for the tests and the benchmark: a clock that can
be moved on (past the touch guard, past a screen's timeout) and touches posted as the SDL
events a touch screen or a mouse makes, so they go the whole way a citizen's touch goes."""
from __future__ import annotations

import time

import pygame


class MovableClock:
    """Real time plus a jump the caller chooses; pass it as KioskApp's `clock`."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def touch(rect: pygame.Rect, twice: bool = False) -> None:
    """A press and release at the middle of `rect`, as a mouse (SDL's own events for a touch on
    a touch screen are fingers, see finger())."""
    for _ in range(2 if twice else 1):
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=rect.center, button=1))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=rect.center, button=1))


def finger(size: tuple[int, int], rect: pygame.Rect) -> None:
    """A finger on a touch screen of `size`: SDL gives its position as a fraction of the window."""
    x, y = rect.centerx / size[0], rect.centery / size[1]
    for kind in (pygame.FINGERDOWN, pygame.FINGERUP):
        pygame.event.post(pygame.event.Event(kind, touch_id=1, finger_id=0, x=x, y=y, dx=0.0, dy=0.0,
                                             pressure=1.0))


def scan(text: str) -> None:
    """What a USB barcode/QR scanner sends on reading `text`: a key press per character, then
    Return, faster than any hand types."""
    for char in text:
        key = ord(char) if char.isdigit() else pygame.key.key_code(char) if char.isalpha() else 0
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=char, mod=0, scancode=0))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, unicode=char, mod=0, scancode=0))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, unicode="\r", mod=0,
                                         scancode=0))
