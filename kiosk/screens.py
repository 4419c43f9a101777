"""Drawing the kiosk's screens from its state."""
from __future__ import annotations

import pygame

from .draw import (ACCENT, BRAND, DANGER, GREEN, GREY, INK, MUTED, PAPER, WHITE, box, text,
                   wrapped)


def draw_screen(app, surface, _draw) -> None:
    surface.fill(PAPER)
    header(app, surface)
    {"menu": menu, "issuing": issuing, "result": result, "message": message,
     "pin": pin}[app.screen_name](app, surface)


def header(app, surface) -> None:
    L, u = app.layout, app.layout.unit
    pygame.draw.rect(surface, BRAND, L.header)
    inner = L.header.inflate(-2 * u, 0)
    if app.hall:
        name = app.hall["hall"]["name"]
        text(surface, app.name(name), pygame.Rect(inner.left, inner.top, inner.width * 2 // 3,
                                                  inner.height * 6 // 10), u * 1.6, WHITE, "left", True)
        text(surface, app.other(name), pygame.Rect(inner.left, inner.top + inner.height * 6 // 10,
                                                   inner.width * 2 // 3, inner.height * 3 // 10),
             u * 0.8, (210, 222, 245), "left")
    text(surface, app.now_text(), pygame.Rect(inner.right - inner.width // 4, inner.top,
                                              inner.width // 4, inner.height), u * 1.8, WHITE,
         "right", True)


def menu(app, surface) -> None:
    L, u = app.layout, app.layout.unit
    if not app.hall:
        text(surface, app.t("Connecting to the ticket system…"), L.grid, u * 1.4, MUTED)
        footer(app, surface)
        return
    for i, (rect, dep) in enumerate(zip(L.tabs, app.departments())):
        chosen = i == app.department
        box(surface, rect, BRAND if chosen else WHITE, None if chosen else GREY, radius=10)
        text(surface, app.name(dep["name"]), rect.inflate(-u, -u // 2), u * 1.05,
             WHITE if chosen else INK, bold=chosen)
    for rect, s in zip(L.cells, app.page_services()):
        service_button(app, surface, rect, s)
    footer(app, surface)


def service_state(s: dict) -> str:
    if not s.get("open", True):
        return "closed"
    limit = s.get("daily_limit")
    if limit is not None and s.get("issued_today", 0) >= limit:
        return "full"
    return "open"


def service_button(app, surface, rect, s) -> None:
    u = app.layout.unit
    state = service_state(s)
    box(surface, rect, WHITE if state == "open" else (232, 235, 241), GREY)
    inner = rect.inflate(-u, -u // 2)
    name_h = inner.height * 45 // 100
    text(surface, app.name(s["name"]), pygame.Rect(inner.left, inner.top, inner.width, name_h),
         u * 1.35, INK if state == "open" else MUTED, "left", True)
    text(surface, app.other(s["name"]), pygame.Rect(inner.left, inner.top + name_h, inner.width,
                                                    inner.height * 25 // 100), u * 0.8, MUTED, "left")
    bottom = pygame.Rect(inner.left, inner.top + inner.height * 70 // 100, inner.width,
                         inner.height * 30 // 100)
    if state == "closed":
        label, color = app.t("Not open now"), DANGER
    elif state == "full":
        label, color = app.t("Full for today"), DANGER
    else:
        label, color = app.t("Waiting: {n}").format(n=s.get("waiting", 0)), GREEN
    text(surface, label, bottom, u * 0.95, color, "left", True)
    text(surface, s.get("prefix", ""), bottom, u * 0.95, MUTED, "right", True)


def footer(app, surface) -> None:
    L, u = app.layout, app.layout.unit
    pygame.draw.rect(surface, WHITE, L.footer)
    pages = app.pages()
    for rect, label, active in ((L.prev, app.t("‹ Previous"), app.page > 0),
                                (L.next, app.t("Next ›"), app.page < pages - 1)):
        box(surface, rect, WHITE, GREY if active else (228, 231, 236), radius=10)
        text(surface, label, rect.inflate(-u // 2, 0), u, INK if active else GREY)
    text(surface, app.t("Page {page} of {pages}").format(page=app.page + 1, pages=pages),
         L.page_label, u, MUTED)
    box(surface, L.lang, ACCENT, radius=10)
    text(surface, "English" if app.lang == "zh" else "中文", L.lang.inflate(-u // 2, 0), u * 1.1,
         WHITE, bold=True)
    if app.offline:
        band = pygame.Rect(0, L.footer.top - u * 2, L.size[0], u * 2)
        pygame.draw.rect(surface, DANGER, band)
        text(surface, app.t("Reconnecting to the ticket system… please wait a moment."), band,
             u * 0.95, WHITE, bold=True)


def issuing(app, surface) -> None:
    u = app.layout.unit
    w, h = app.size
    area = pygame.Rect(0, app.layout.header.bottom, w, h - app.layout.header.bottom)
    line = app.t("Taking your number…")
    if app.offline:
        line = app.t("Connecting to the ticket system… please wait.")
    text(surface, line, area, u * 2, INK, bold=True)


def result(app, surface) -> None:
    u = app.layout.unit
    w, h = app.size
    issued = app.result["issued"]
    ticket = issued["ticket"]
    service = next((s for s in (app.hall or {}).get("services", []) if s["id"] == ticket["service"]),
                   {"name": {"zh": ticket["service"], "en": ticket["service"]}, "materials": []})
    top = app.layout.header.bottom + u
    portrait = h > w
    left = pygame.Rect(u, top, w - 2 * u if portrait else w // 2 - 2 * u, (h - top) // (2 if portrait else 1) - u)
    right = (pygame.Rect(u, left.bottom + u, w - 2 * u, h - left.bottom - 2 * u) if portrait
             else pygame.Rect(w // 2, top, w // 2 - u, h - top - u))
    box(surface, left, WHITE, GREY)
    y = left.top + u
    text(surface, app.t("Your number"), pygame.Rect(left.left, y, left.width, u * 2), u * 1.2, MUTED)
    y += u * 2
    num_h = left.height * 38 // 100
    text(surface, ticket["number"], pygame.Rect(left.left, y, left.width, num_h), num_h * 0.9, BRAND, bold=True)
    y += num_h
    text(surface, app.name(service["name"]), pygame.Rect(left.left + u, y, left.width - 2 * u, u * 2),
         u * 1.3, INK, bold=True)
    y += u * 2
    ahead = issued.get("ahead", 0)
    line = app.t("{n} people ahead of you").format(n=ahead) if ahead else app.t("You are next")
    text(surface, line, pygame.Rect(left.left, y, left.width, u * 2), u * 1.4, INK, bold=True)
    y += u * 2
    minutes = max(1, round(issued.get("estimated_wait_s", 0) / 60))
    if ahead:
        text(surface, app.t("Estimated wait: about {m} min").format(m=minutes),
             pygame.Rect(left.left, y, left.width, u * 1.6), u, MUTED)
    y += u * 2
    if app.result["printed"]:
        note, color = app.t("Please take your ticket below."), GREEN
    else:
        note, color = app.t("The printer is not working: please note down your number."), DANGER
    band = pygame.Rect(left.left + u, min(y, left.bottom - u * 3), left.width - 2 * u, u * 2.4)
    box(surface, band, color, radius=10)
    text(surface, note, band.inflate(-u, 0), u, WHITE, bold=True)
    # The one-time checklist: what to have ready at the window.
    box(surface, right, WHITE, GREY)
    inner = right.inflate(-2 * u, -2 * u)
    text(surface, app.t("Please have these documents ready:"), pygame.Rect(inner.left, inner.top, inner.width, u * 2),
         u * 1.2, INK, "left", True)
    y = inner.top + u * 2.5
    for i, m in enumerate(service.get("materials", []), 1):
        used = wrapped(surface, f"{i}. {app.name(m)}", pygame.Rect(inner.left, y, inner.width, inner.bottom - y),
                       u, INK)
        y += used + u // 3
        if y > inner.bottom - u:
            break
    text(surface, app.t("Touch the screen to return"), pygame.Rect(0, h - u * 1.6, w, u * 1.4), u * 0.8, MUTED)


def message(app, surface) -> None:
    u = app.layout.unit
    w, h = app.size
    zh, en = app.message
    area = pygame.Rect(u * 2, app.layout.header.bottom + u * 2, w - u * 4, h - app.layout.header.bottom - u * 4)
    box(surface, area, WHITE, ACCENT)
    inner = area.inflate(-u * 3, -u * 3)
    first, second = (zh, en) if app.lang == "zh" else (en, zh)
    used = wrapped(surface, first, inner, int(u * 1.6), INK, bold=True)
    wrapped(surface, second, pygame.Rect(inner.left, inner.top + used + u, inner.width,
                                         inner.height - used - u), u, MUTED)
    text(surface, app.t("Touch the screen to return"), pygame.Rect(0, h - u * 1.6, w, u * 1.4), u * 0.8, MUTED)


def pin(app, surface) -> None:
    u = app.layout.unit
    w, _h = app.size
    keys = app.keypad()
    text(surface, app.t("Staff PIN"), pygame.Rect(0, keys[0][1].top - u * 5, w, u * 2), u * 1.4, INK, bold=True)
    text(surface, "•" * len(app.pin) or "—", pygame.Rect(0, keys[0][1].top - u * 2.8, w, u * 2), u * 1.6, INK)
    for key, rect in keys:
        box(surface, rect, WHITE, GREY, radius=12)
        text(surface, {"C": app.t("Cancel"), "✓": "OK"}.get(key, key), rect, u * 1.5, INK, bold=True)
