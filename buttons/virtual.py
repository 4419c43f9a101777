"""Call keys without hardware: the hall config's keys on gpiozero's mock pins, pressed from a
pygame panel (mouse, touch or the number keys) or from a script. Used by `hallcall demo`.

Nothing here short-cuts the real path: a press drives a mock pin low and high again, and the same
ButtonsAgent debounces it, sends the window action to the hub and lights the LED from the hub's
state. The panel only reads the LED pins.
"""
from __future__ import annotations

import time

import pygame
import pygame.freetype

from hallcall.hallclient import pgdraw

from .agent import ButtonsAgent
from .links import HttpLink

LABELS = {  # key -> (zh, en) on the panel
    "call": ("叫号", "Call · hold: recall"),
    "recall": ("重呼", "Recall"),
    "no_show": ("过号", "No-show"),
    "finish": ("办结", "Finish"),
    "satisfied": ("满意", "Satisfied"),
    "basic": ("基本满意", "Fair"),
    "unsatisfied": ("不满意", "Unsatisfied"),
}
ORDER = tuple(LABELS)
BG, CARD, INK, MUTED = (236, 241, 248), (255, 255, 255), (20, 33, 61), (96, 108, 130)
KEY, KEY_DOWN, CALL = (226, 233, 244), (150, 170, 205), (14, 76, 160)
LED_ON, LED_OFF = (255, 190, 30), (70, 70, 70)


class VirtualKeys:
    """One ButtonsAgent per Pi of the hall config (the hub's own and each buttons device), each on
    its own mock pins, all talking HTTP to the hub with `token` (a buttons device's). `clock`:
    the agents' (real time unless a test moves it)."""

    def __init__(self, url: str, token: str, wirings: list[dict], clock=None):
        from gpiozero.pins.mock import MockFactory

        self.agents: list[ButtonsAgent] = []
        self.pins: dict[tuple[str, str], object] = {}  # (window, key) -> mock pin
        self.leds: dict[str, object] = {}  # window -> mock LED pin
        try:
            for wiring in wirings:
                if not wiring.get("buttons"):
                    continue
                factory = MockFactory()
                self.agents.append(ButtonsAgent(wiring, HttpLink(url, token), pin_factory=factory,
                                                clock=clock))
                for entry in wiring["buttons"]:
                    for key, pin in entry["pins"].items():
                        self.pins[entry["window"], key] = factory.pin(pin)
                    if entry.get("led_pin") is not None:
                        self.leds[entry["window"]] = factory.pin(entry["led_pin"])
        except Exception:
            self.close()
            raise
        self.windows = sorted({w for w, _ in self.pins}, key=_window_order)

    def start(self) -> "VirtualKeys":
        for agent in self.agents:
            agent.start()
        return self

    @property
    def online(self) -> bool:
        return bool(self.agents) and all(a.online for a in self.agents)

    def keys(self, window: str) -> list[str]:
        return [k for k in ORDER if (window, k) in self.pins]

    def down(self, window: str, key: str) -> None:
        self.pins[window, key].drive_low()

    def up(self, window: str, key: str) -> None:
        self.pins[window, key].drive_high()

    def press(self, window: str, key: str, seconds: float = 0.12) -> None:
        """A finger on the key for `seconds` (hold `call` past hold_seconds to recall)."""
        self.down(window, key)
        time.sleep(seconds)
        self.up(window, key)

    def led(self, window: str) -> bool:
        pin = self.leds.get(window)
        return bool(pin is not None and pin.state)

    def close(self) -> None:
        for agent in self.agents:
            agent.close()
        self.agents = []


def panel_labels(config) -> dict[str, tuple[str, str]]:
    """Each window's name and the departments it serves, so a visitor knows where to take a
    number for the keys they are about to press."""
    labels = {}
    for window in config.windows:
        departments = []
        for service_id in window.services:
            dep = next(d for d in config.departments if d.id == config.service(service_id).department)
            if dep.name.zh not in departments:
                departments.append(dep.name.zh)
        labels[window.id] = (window.name.zh, "、".join(departments))
    return labels


def _window_order(window_id: str):
    return (0, int(window_id), "") if window_id.isdigit() else (1, 0, window_id)


class KeyPanel:
    """The virtual keys drawn on a pygame surface, one card per window with its LED."""

    def __init__(self, keys: VirtualKeys, surface: pygame.Surface,
                 labels: dict[str, tuple[str, str]]):
        """`labels`: window -> (its name, what it serves), both shown on its card."""
        self.keys, self.surface, self.labels = keys, surface, labels
        pygame.freetype.init()  # the panel may be drawn off-screen, before any display exists
        self.held: tuple[str, str] | None = None  # the key under the mouse button
        self.typed: dict[int, tuple[str, str]] = {}  # pygame key code -> the call key it holds
        self.rects: dict[tuple[str, str], pygame.Rect] = {}
        self._layout()

    # Keys drawn side by side in one row of a window's card; rows without a fitted key are left out.
    ROWS = (("call",), ("recall",), ("no_show", "finish"), ("satisfied", "basic", "unsatisfied"))

    def _layout(self) -> None:
        w, h = self.surface.get_size()
        shown = self.keys.windows[:6]
        margin, gap = 16, 10
        card_w = (w - margin * (len(shown) + 1)) // max(1, len(shown))
        self.cards = {}
        for i, window in enumerate(shown):
            x = margin + i * (card_w + margin)
            self.cards[window] = pygame.Rect(x, margin, card_w, h - 2 * margin)
            fitted = set(self.keys.keys(window))
            rows = [[k for k in row if k in fitted] for row in self.ROWS]
            rows = [row for row in rows if row]
            top = margin + 96
            row_h = min(80, (h - top - margin - gap * len(rows)) // max(1, len(rows)))
            for r, row in enumerate(rows):
                key_w = (card_w - 24 - gap * (len(row) - 1)) // len(row)
                for k, key in enumerate(row):
                    self.rects[window, key] = pygame.Rect(
                        x + 12 + k * (key_w + gap), top + r * (row_h + gap), key_w, row_h)

    def handle(self, event) -> None:
        """Mouse and touch press and release the key under them; 1-9 hold window N's call key."""
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for (window, key), rect in self.rects.items():
                if rect.collidepoint(event.pos):
                    self.held = (window, key)
                    self.keys.down(window, key)
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self.held:
            self.keys.up(*self.held)
            self.held = None
        elif event.type == pygame.KEYDOWN and pygame.K_1 <= event.key <= pygame.K_9:
            index = event.key - pygame.K_1
            if index < len(self.keys.windows) and event.key not in self.typed:
                window = self.keys.windows[index]
                if "call" in self.keys.keys(window):
                    self.typed[event.key] = (window, "call")
                    self.keys.down(window, "call")
        elif event.type == pygame.KEYUP and event.key in self.typed:
            self.keys.up(*self.typed.pop(event.key))

    def draw(self) -> None:
        s = self.surface
        s.fill(BG)
        for i, (window, card) in enumerate(self.cards.items()):
            pgdraw.box(s, card, CARD)
            title = pygame.Rect(card.x + 12, card.y + 10, card.width - 80, 40)
            name, serves = self.labels.get(window, (window, ""))
            pgdraw.text(s, name, title, 28, INK, align="left", bold=True)
            hint = pygame.Rect(card.x + 12, card.y + 52, card.width - 24, 30)
            key = f"键 {i + 1} · " if i < 9 else ""
            pgdraw.text(s, f"{key}{serves}", hint, 16, MUTED, align="left")
            lit = self.keys.led(window)
            pygame.draw.circle(s, LED_ON if lit else LED_OFF, (card.right - 36, card.y + 32), 18)
            for key in self.keys.keys(window):
                rect = self.rects[window, key]
                down = self.held == (window, key) or (window, key) in self.typed.values()
                fill = KEY_DOWN if down else (CALL if key == "call" else KEY)
                pgdraw.box(s, rect, fill)
                zh, en = LABELS[key]
                color = (255, 255, 255) if key == "call" and not down else INK
                upper = pygame.Rect(rect.x + 6, rect.y + 4, rect.width - 12, rect.height * 55 // 100)
                lower = pygame.Rect(rect.x + 6, upper.bottom, rect.width - 12,
                                    rect.bottom - upper.bottom - 4)
                pgdraw.text(s, zh, upper, min(26, upper.height), color, bold=True)
                pgdraw.text(s, en, lower, min(16, lower.height), color)
