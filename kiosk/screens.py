"""Drawing the kiosk's screens from its state (state.Kiosk, read, never changed) at its layout:
large, high-contrast, calm. Sizes are multiples of the layout's unit, so the same code serves
1920x1080, 1080x1920 and 800x480."""
from __future__ import annotations

import re

import pygame

from hallcall.hallclient.i18n import N_
from hallcall.printer.ticket import slot_of

from . import hall as halls
from .draw import (
    ACCENT,
    BRAND,
    BRAND_SOFT,
    DANGER,
    DISABLED,
    GREEN,
    INK,
    LINE,
    MUTED,
    PAPER,
    SHADED,
    SUBTITLE,
    WARNING,
    WARNING_SOFT,
    WHITE,
    Painter,
)
from .layout import Layout
from .state import CODE_LEN, Kiosk


def draw_screen(k: Kiosk, L: Layout, paint: Painter):
    """Draw the state's screen; the guide screen returns how many pages the guide took."""
    paint.surface.fill(PAPER)
    header(k, L, paint)
    return SCREENS[k.screen](k, L, paint)


def header(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    pygame.draw.rect(paint.surface, BRAND, L.header)
    margin = max(L.pad * 2, round(u * 0.7))
    inner = L.header.inflate(-2 * margin, -L.pad)
    clock_w = max(round(u * 4.2), inner.width // 5)
    clock = pygame.Rect(inner.right - clock_w, inner.top, clock_w, inner.height)
    now = k.hall_now()
    date_size = max(13, round(u * 0.55))
    time_h = paint.line_height(round(u * 1.35), True)
    date_h = paint.line_height(date_size)
    top = clock.centery - (time_h + date_h) // 2
    paint.text(now.strftime("%H:%M"), pygame.Rect(clock.left, top, clock.width, time_h), u * 1.35,
               WHITE, "right", True)
    day = k.t(halls.DAY_NAMES[now.weekday()])
    paint.text(k.t("{month}/{day} {weekday}").format(month=now.month, day=now.day, weekday=day),
               pygame.Rect(clock.left, top + time_h, clock.width, date_h), date_size, SUBTITLE, "right")
    if not k.hall:
        return
    title = pygame.Rect(inner.left, inner.top, clock.left - inner.left - margin, inner.height)
    name, other = k.name(k.hall["hall"]["name"]), k.other(k.hall["hall"]["name"])
    other_size = max(13, round(u * 0.55))
    name_h = paint.line_height(round(u * 1.1), True)
    other_h = paint.line_height(other_size) if other else 0
    top = title.centery - (name_h + other_h) // 2
    paint.text(name, pygame.Rect(title.left, top, title.width, name_h), u * 1.1, WHITE, "left", True)
    if other:
        paint.text(other, pygame.Rect(title.left, top + name_h, title.width, other_h), other_size,
                   SUBTITLE, "left")


# -- the menu ------------------------------------------------------------------------------

def menu(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    if not k.hall:
        area = pygame.Rect(0, L.header.bottom, L.size[0], L.band.top - L.header.bottom)
        paint.text(k.t("Connecting to the ticket system..."), area, u * 1.3, MUTED)
        band(k, L, paint)
        footer(k, L, paint)
        return
    nav(k, L, paint)
    # The last page may leave cells empty.
    for rect, guide, s in zip(L.cells, L.guides, k.page_services(), strict=False):
        service_button(k, L, paint, rect, s, guide)
    band(k, L, paint)
    footer(k, L, paint)


def nav(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    deps = k.departments()
    if not L.nav or len(deps) < 2:
        return
    # One size for every department, so none looks more important than another.
    base = u * (1.0 if L.nav_side else 0.9)
    boxes = [r.inflate(-2 * L.pad, -L.pad // 2) for r in L.nav]
    size = min(paint.fit(k.name(d["name"]), b, base, True, 2, u * 0.6)[0]
               for d, b in zip(deps, boxes, strict=True))
    for i, (rect, box, dep) in enumerate(zip(L.nav, boxes, deps, strict=True)):
        chosen = i == k.department
        paint.box(rect, BRAND if chosen else WHITE, None if chosen else LINE)
        if chosen and L.nav_side:  # a marker that reads without colour, too
            pygame.draw.rect(paint.surface, ACCENT, (rect.left, rect.top + 8, 6, rect.height - 16),
                             border_radius=3)
        paint.block(k.name(dep["name"]), box, size, WHITE if chosen else INK, True,
                    "left" if L.nav_side else "center", 2, size)


def service_button(k: Kiosk, L: Layout, paint: Painter, rect: pygame.Rect, s: dict,
                   guide: pygame.Rect | None = None) -> None:
    u = L.type_unit
    state = halls.state(s)
    paint.box(rect, WHITE if state == "open" else SHADED, LINE)
    if state == "open":  # the touchable ones carry the hall's colour on their edge
        pygame.draw.rect(paint.surface, BRAND, (rect.left, rect.top + 10, 6, rect.height - 20),
                         border_radius=3)
    inner = rect.inflate(-2 * max(L.pad, round(u * 0.55)), -max(L.pad, round(u * 0.4)))
    status_size, sub_size, name_size = round(u * 0.8), max(13, round(u * 0.56)), round(u * 1.1)
    status_h = paint.line_height(status_size, True)
    sub_h = paint.line_height(sub_size)
    name, other = k.name(s["name"]), k.other(s["name"])
    # The name in the other language, small, if the name still fits above it.
    show_other = bool(other)
    # The name ends before the guide button in the corner.
    name_w = inner.width if guide is None else guide.left - L.pad - inner.left
    for show_other in ((True, False) if other else (False,)):
        name_box = pygame.Rect(inner.left, inner.top, name_w,
                               inner.height - status_h - (sub_h if show_other else 0))
        size, lines = paint.fit(name, name_box, name_size, True, 2, u * 0.68)
        if len(lines) * paint.line_height(size, True) * 1.15 <= name_box.height * 1.05:
            break
    ink = INK if state == "open" else MUTED
    paint.block(name, name_box, name_size, ink, True, "left", 2, u * 0.68)
    if show_other:
        sub = pygame.Rect(inner.left, name_box.bottom, inner.width, sub_h)
        if guide is not None and sub.top < guide.bottom:  # a short button: it ends before the guide too
            sub.width = name_w
        paint.text(other, sub, sub_size, MUTED, "left", min_size=sub_size * 0.85)
    if guide is not None:
        paint.box(guide, BRAND_SOFT, BRAND, width=2)
        paint.block(k.t("Guide"), guide.inflate(-L.pad, -L.pad // 2), L.unit * 0.7, BRAND, True,
                    "center", 2, L.unit * 0.45)
    status = pygame.Rect(inner.left, inner.bottom - status_h, inner.width, status_h)
    # The ticket letter: the number called out will start with it.
    badge = pygame.Rect(0, 0, max(round(u * 1.6), paint.width(s.get("prefix", ""), u * 0.7, True) + u),
                        min(status_h, round(u * 1.15)))
    badge.midright = status.midright
    paint.box(badge, BRAND_SOFT if state == "open" else DISABLED, radius=8)
    paint.text(s.get("prefix", ""), badge, u * 0.7, BRAND if state == "open" else MUTED, bold=True)
    status.width -= badge.width + u // 2
    if state == "closed":
        used = paint.text(k.t("Not open now"), status, status_size, DANGER, "left", True)
        hours = halls.hours_text(s, k.t)
        if hours:
            rest = pygame.Rect(used.right + u // 2, status.top, status.right - used.right - u // 2, status_h)
            paint.text(hours, rest, status_size * 0.8, MUTED, "left", min_size=status_size * 0.6)
    elif state == "full":
        paint.text(k.t("Full for today"), status, status_size, DANGER, "left", True)
    else:
        paint.text(k.t("Waiting: {n}").format(n=s.get("waiting", 0)), status, status_size, GREEN,
                   "left", True)


def band(k: Kiosk, L: Layout, paint: Painter) -> None:
    """One line above the footer: a warning when something is wrong, else the hall's notices."""
    u = L.unit
    rect = L.band
    inner = rect.inflate(-2 * max(L.pad * 2, u // 2), 0)
    if k.offline:
        pygame.draw.rect(paint.surface, DANGER, rect)
        paint.text(k.t("Reconnecting to the ticket system... please wait a moment."), inner, u * 0.8,
                   WHITE, bold=True)
    elif k.storage_down():
        pygame.draw.rect(paint.surface, WARNING_SOFT, rect)
        paint.text(k.t("Tickets cannot be issued just now; please wait a moment or ask staff."),
                   inner, u * 0.8, WARNING, bold=True)
    elif not k.printer_ok():
        pygame.draw.rect(paint.surface, WARNING_SOFT, rect)
        paint.text(k.t("The printer is not available: you can still take a number and note it down."),
                   inner, u * 0.8, WARNING, bold=True)
    elif k.hall and k.hall.get("notices"):
        notices = k.hall["notices"]
        pygame.draw.rect(paint.surface, BRAND_SOFT, rect)
        paint.text(k.name(notices[k.notice_index() % len(notices)]), inner, u * 0.72, BRAND)


def footer(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    pygame.draw.rect(paint.surface, WHITE, L.footer)
    pygame.draw.line(paint.surface, LINE, L.footer.topleft, L.footer.topright, 2)
    pages = k.pages()
    if k.hall and pages > 1:
        for rect, label, active in ((L.prev, k.t("‹ Previous"), k.page > 0),
                                    (L.next, k.t("Next ›"), k.page < pages - 1)):
            paint.box(rect, WHITE if active else PAPER, BRAND if active else DISABLED, width=3)
            paint.text(label, rect.inflate(-u // 2, 0), u * 0.9, BRAND if active else LINE, bold=active)
        paint.text(k.t("Page {page} of {pages}").format(page=k.page + 1, pages=pages),
                   L.page_label, u * 0.85, INK, bold=True)
    elif k.hall:
        row = pygame.Rect(L.prev.left, L.prev.top, 0, L.prev.height)
        shown = (L.lang, L.large_button) + ((L.appointment,) if k.takes_bookings() else ())
        end = min(r.left for r in shown if r.top == row.top)
        row.width = end - row.left - L.pad
        paint.text(k.t("Touch the service you need to take a number."), row, u * 0.85, MUTED, "left")
    if k.takes_bookings():
        paint.box(L.appointment, GREEN)
        paint.block(k.t("I have an appointment"), L.appointment.inflate(-u // 2, -L.pad // 2), u * 0.95,
                    WHITE, True, "center", 2, u * 0.5)
    if k.hall:
        label = k.t("Normal text") if k.large else k.t("Large text")
        paint.box(L.large_button, BRAND if k.large else WHITE, BRAND, width=3)
        paint.block(label, L.large_button.inflate(-u // 3, -L.pad // 2), u * 0.9,
                    WHITE if k.large else BRAND, True, "center", 2, u * 0.45)
    if len(k.languages()) > 1:
        paint.box(L.lang, ACCENT)
        paint.text("English" if k.lang == "zh" else "中文", L.lang.inflate(-u // 2, 0), u * 1.0,
                   WHITE, bold=True)


# -- taking a number -----------------------------------------------------------------------

def card(k: Kiosk, L: Layout, paint: Painter, border=LINE) -> pygame.Rect:
    paint.box(L.content, WHITE, border, width=3)
    return L.content.inflate(-2 * max(L.pad * 2, L.unit), -2 * max(L.pad * 2, L.unit))


def issuing(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    inner = card(k, L, paint)
    name = k.name((k.chosen or {}).get("name"))
    if k.checking_in is not None:
        name = k.t("Appointment {code}").format(code=k.checking_in)
    if k.offline:
        line = k.t("Connecting to the ticket system... please wait.")
    elif k.checking_in is not None:
        line = k.t("Checking in your appointment...")
    else:
        line = k.t("Taking your number...")
    rows = [(name, u * 1.3, MUTED, True), (line, u * 1.6, INK, True)]
    if k.offline:
        rows.append((k.t("Please wait here; there is no need to touch again."), u, MUTED, False))
    step = [round(paint.line_height(size, bold) * 1.3) for _, size, _, bold in rows]
    y = inner.centery - sum(step) // 2
    for (value, size, color, bold), h in zip(rows, step, strict=True):
        paint.text(value, pygame.Rect(inner.left, y, inner.width, h), size, color, bold=bold)
        y += h


def confirm(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    inner = card(k, L, paint, WARNING)
    inner.height = L.confirm_yes.top - inner.top - u
    y = inner.top
    name = k.name((k.chosen or {}).get("name"))
    paint.text(name, pygame.Rect(inner.left, y, inner.width, u * 1.8), u * 1.2, BRAND, bold=True)
    y += u * 2.4
    head = k.both("The printer cannot print a ticket right now.")
    body = k.both("You can still take a number: it will be shown on the screen for you to note down.")
    mine, theirs = (0, 1) if k.lang == "zh" else (1, 0)
    y += paint.paragraph(head[mine], pygame.Rect(inner.left, y, inner.width, u * 4.5), u * 1.5, WARNING,
                         True, "center", 2)
    y += u // 2
    y += paint.paragraph(body[mine], pygame.Rect(inner.left, y, inner.width, inner.bottom - y), u * 1.05,
                         INK, False, "center", 3)
    # The other language, small, for a visitor who reads only that one.
    paint.paragraph(head[theirs] + " " + body[theirs],
                    pygame.Rect(inner.left, y + u // 2, inner.width, inner.bottom - y - u // 2),
                    u * 0.7, MUTED, False, "center", 2)
    paint.box(L.confirm_yes, BRAND)
    paint.text(k.t("Take a number"), L.confirm_yes.inflate(-u, 0), u * 1.15, WHITE, bold=True)
    paint.box(L.confirm_no, WHITE, BRAND, width=3)
    paint.text(k.t("Back"), L.confirm_no.inflate(-u, 0), u * 1.05, BRAND, bold=True)


def result(k: Kiosk, L: Layout, paint: Painter) -> None:
    u, t = L.unit, L.type_unit
    issued = k.result.issued
    ticket = issued["ticket"]
    service = halls.find(k.hall, ticket["service"]) or {"name": {"zh": ticket["service"]}, "materials": []}
    area = L.content
    if L.portrait:
        left = pygame.Rect(area.left, area.top, area.width, area.height * 56 // 100)
        right = pygame.Rect(area.left, left.bottom + L.pad, area.width, area.bottom - left.bottom - L.pad)
    else:
        left = pygame.Rect(area.left, area.top, area.width * 47 // 100, area.height)
        right = pygame.Rect(left.right + L.pad, area.top, area.right - left.right - L.pad, area.height)

    paint.box(left, WHITE, LINE, width=3)
    inner = left.inflate(-2 * u, -2 * max(L.pad, u // 2))
    printed, problem = k.result.printed, k.result.problem
    # Not printed: the note is in both languages, so it needs room for a second line.
    status_h = max(round(u * (3.2 if printed is False else 2.2)), 44)
    status = pygame.Rect(inner.left, inner.bottom - status_h, inner.width, status_h)
    slot = slot_of(ticket, k.hall)
    # Large text: the words get the room the number gives up (it stays the biggest thing).
    rows = ([("label", 1.6), ("number", 3.4), ("service", 1.9), ("slot", 2.4), ("ahead", 2.0), ("wait", 1.5)]
            if L.large else
            [("label", 1.0), ("number", 4.6), ("service", 1.3), ("slot", 1.8), ("ahead", 1.4), ("wait", 1.1)])
    rows = [(kind, h) for kind, h in rows if kind != "slot" or slot is not None]
    free = status.top - inner.top - L.pad
    scale = free / (sum(h for _, h in rows) * u * 1.25)
    y = inner.top
    for kind, h in rows:
        box = pygame.Rect(inner.left, y, inner.width, round(h * u * 1.25 * scale))
        y = box.bottom

        def size(n: float, box=box) -> float:  # doubled type, but never taller than its row
            return min(t * n, box.height * 0.8)
        if kind == "label":
            paint.text(k.t("Your number"), box, size(0.95), MUTED)
        elif kind == "number":
            paint.text(ticket["number"], box, box.height * 0.95, BRAND, bold=True)
        elif kind == "service":
            paint.text(k.name(service["name"]), box, size(1.15), INK, bold=True)
        elif kind == "slot":
            appointment_banner(k, L, paint, box.inflate(0, -L.pad // 2), slot)
        elif kind == "ahead":
            ahead = issued.get("ahead") or 0
            line = (k.tn("{n} person ahead of you", "{n} people ahead of you", ahead).format(n=ahead)
                    if ahead else k.t("You are next"))
            paint.text(line, box, size(1.3), INK, bold=True)
        elif kind == "wait" and (issued.get("ahead") or 0):
            minutes = max(1, round((issued.get("estimated_wait_s") or 0) / 60))
            paint.text(k.t("Estimated wait: about {m} min").format(m=minutes), box, size(0.95), MUTED)
    if printed is None:
        note, fill, ink = k.t("Printing your ticket..."), BRAND_SOFT, BRAND
    elif printed:
        note, fill, ink = k.t("Please take your ticket below."), GREEN, WHITE
    else:
        zh, en = k.both(NOT_PRINTED.get(problem, NOT_PRINTED["failed"]))
        mine, theirs = (zh, en) if k.lang == "zh" else (en, zh)
        paint.box(status, DANGER)
        inner = status.inflate(-u, -L.pad // 2)
        top = pygame.Rect(inner.left, inner.top, inner.width, inner.height * 11 // 20)
        paint.block(mine, top, u * 0.95, WHITE, True, "center", 2, u * 0.6)
        paint.block(theirs, pygame.Rect(inner.left, top.bottom, inner.width, inner.bottom - top.bottom),
                    u * 0.7, WHITE, False, "center", 2, u * 0.5)
        note = None
    if note is not None:
        paint.box(status, fill)
        paint.block(note, status.inflate(-u, -L.pad // 2), u * 0.95, ink, True, "center", 2, u * 0.6)

    # The one-time checklist (一次性告知): everything to have ready at the window.
    paint.box(right, WHITE, LINE, width=3)
    inner = right.inflate(-2 * u, -2 * max(L.pad, u // 2))
    head = pygame.Rect(inner.left, inner.top, inner.width, round(t * 1.9))
    paint.text(k.t("Please have these documents ready:"), head, t * 1.1, INK, "left", True)
    pygame.draw.line(paint.surface, LINE, (inner.left, head.bottom), (inner.right, head.bottom), 2)
    y = head.bottom + u // 2
    materials = service.get("materials") or []
    if not materials:
        paint.text(k.t("No documents are needed."), pygame.Rect(inner.left, y, inner.width, u * 1.6),
                   u, MUTED, "left")
    size = t * (0.95 if len(materials) <= 6 else 0.8)
    for i, m in enumerate(materials, 1):
        room = pygame.Rect(inner.left + round(t * 1.4), y, inner.width - round(t * 1.4), inner.bottom - y)
        if room.height < paint.line_height(round(size)):
            break
        number = pygame.Rect(inner.left, y, round(t * 1.2), int(paint.line_height(round(size)) * 1.2))
        paint.text(f"{i}.", number, size, BRAND, "left", True)
        y += paint.paragraph(k.name(m), room, size, INK, False, "left", 3) + u // 3
    back(k, L, paint, k.t("Back to the menu"))


def appointment_banner(k: Kiosk, L: Layout, paint: Painter, box: pygame.Rect, slot) -> None:
    """A checked-in appointment's slot, or that it came too late and is a walk-in number now:
    in the kiosk's language, and small in the other one."""
    if slot.late:
        zh, en = k.both("You are late for your appointment: this is a walk-in number.")
        fill, ink = WARNING_SOFT, WARNING
    else:
        zh, en = (f.format(slot=slot.span().replace("-", "–")) for f in k.both("Appointment {slot}"))
        fill, ink = BRAND_SOFT, BRAND
    mine, theirs = (zh, en) if k.lang == "zh" else (en, zh)
    paint.box(box, fill, ink, width=2)
    inner = box.inflate(-L.unit, -L.pad // 2)
    top = pygame.Rect(inner.left, inner.top, inner.width, inner.height * 3 // 5)
    paint.block(mine, top, min(L.type_unit * 1.1, top.height * 0.8), ink, True, "center", 2, L.unit * 0.5)
    paint.block(theirs, pygame.Rect(inner.left, top.bottom, inner.width, inner.bottom - top.bottom),
                min(L.type_unit * 0.7, (inner.bottom - top.bottom) * 0.8), ink, False, "center", 1,
                L.unit * 0.45)


# Why a number is shown but not printed (Printing.print_issued's problem), to be noted down.
NOT_PRINTED = {
    "paper_out": N_("The printer is out of paper: please note down your number."),
    "incomplete": N_("The ticket may be incomplete: please note down your number."),
    "failed": N_("The printer is not working: please note down your number."),
}


def back(k: Kiosk, L: Layout, paint: Painter, label: str) -> None:
    u = L.unit
    seconds = k.seconds_left()
    paint.box(L.back, WHITE, BRAND, width=3)
    paint.text(f"{label} ({seconds})", L.back.inflate(-u // 2, 0), u * 0.95, BRAND, bold=True)


def message(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    zh, en = k.message
    inner = card(k, L, paint, ACCENT)
    pygame.draw.rect(paint.surface, ACCENT, (L.content.left, L.content.top, L.content.width, max(8, u // 4)),
                     border_top_left_radius=16, border_top_right_radius=16)
    first, second = (zh, en) if k.lang == "zh" else (en, zh)
    title = k.name(k.message_title) if k.message_title else ""
    big, small = round(u * 1.45), round(u * 0.9)
    first_lines = paint.lines(first, inner.width, big, True)[:4]
    second_lines = paint.lines(second, inner.width, small)[:4]
    title_h = u * 2.6 if title else 0
    first_h = len(first_lines) * int(paint.line_height(big, True) * 1.2)
    second_h = len(second_lines) * int(paint.line_height(small) * 1.2)
    y = inner.top + max(0, (inner.height - title_h - first_h - u - second_h) // 2)
    if title:
        paint.text(title, pygame.Rect(inner.left, y, inner.width, u * 2), u * 1.2, BRAND, "left", True)
        y += title_h
    y += paint.paragraph(first, pygame.Rect(inner.left, y, inner.width, inner.bottom - y), big, INK, True,
                         "left", 4)
    y += u
    paint.paragraph(second, pygame.Rect(inner.left, y, inner.width, inner.bottom - y), small, MUTED,
                    False, "left", 4)
    back(k, L, paint, k.t("Back to the menu"))


def pin(k: Kiosk, L: Layout, paint: Painter) -> None:
    u = L.unit
    title = L.pin_title
    mid = title.centery
    paint.text(k.t("Staff PIN"), pygame.Rect(title.left, mid - u * 3, title.width, u * 2), u * 1.4, INK,
               bold=True)
    paint.text("●  " * len(k.pin) if k.pin else "—", pygame.Rect(title.left, mid - u, title.width, u * 2),
               u * 1.2, INK)
    if k.pin_wrong:
        paint.text(k.t("Wrong PIN. Try again."), pygame.Rect(title.left, mid + u, title.width, u * 1.6),
                   u, DANGER, bold=True)
    elif not k.exit_pin:
        paint.text(k.t("The PIN is not known yet: the hub has not answered."),
                   pygame.Rect(title.left, mid + u, title.width, u * 1.6), u * 0.8, MUTED)
    for key, rect in L.keypad:
        paint.box(rect, WHITE, LINE)
        label = {"C": k.t("Cancel"), "✓": "OK"}.get(key, key)
        paint.text(label, rect.inflate(-L.pad, 0), u * (1.5 if len(label) == 1 else 1.0), INK, bold=True)


def code(k: Kiosk, L: Layout, paint: Painter) -> None:
    """The appointment's 6 digits, typed on the keypad (or read by the scanner)."""
    u = L.unit
    title = L.code_title
    zh, en = k.both("Enter your appointment code")
    mine, theirs = (zh, en) if k.lang == "zh" else (en, zh)
    y = title.top + max(u, (title.height - u * 11) // 2)
    paint.text(mine, pygame.Rect(title.left + u, y, title.width - 2 * u, u * 2), u * 1.4, INK, bold=True)
    y += u * 2
    paint.text(theirs, pygame.Rect(title.left + u, y, title.width - 2 * u, u * 1.3), u * 0.8, MUTED)
    y += u * 2
    # One box per digit: how many are still missing is seen at a glance.
    side = min(round(u * 2.4), (title.width - 2 * u) // CODE_LEN - L.pad)
    left = title.centerx - (CODE_LEN * side + (CODE_LEN - 1) * L.pad) // 2
    for i in range(CODE_LEN):
        box = pygame.Rect(left + i * (side + L.pad), y, side, round(side * 1.2))
        paint.box(box, WHITE, BRAND if i == len(k.code) else LINE, width=3)
        if i < len(k.code):
            paint.text(k.code[i], box, side * 0.8, INK, bold=True)
    y += round(side * 1.2) + u
    if k.code_error:
        err_mine, err_theirs = k.code_error if k.lang == "zh" else k.code_error[::-1]
        paint.text(err_mine, pygame.Rect(title.left + u, y, title.width - 2 * u, u * 1.6), u * 1.1,
                   DANGER, bold=True)
        paint.text(err_theirs, pygame.Rect(title.left + u, y + u * 1.6, title.width - 2 * u, u * 1.2),
                   u * 0.75, DANGER)
    else:
        hint = k.t("Or hold the QR code of your booking under the scanner.")
        paint.paragraph(hint, pygame.Rect(title.left + u, y, title.width - 2 * u, u * 2.6), u * 0.8,
                        MUTED, False, "center", 2)
    for key, rect in L.code_keys:
        ready = key != "✓" or len(k.code) == CODE_LEN
        paint.box(rect, BRAND if key == "✓" and ready else WHITE, LINE)
        label = {"⌫": k.t("Delete"), "✓": "OK"}.get(key, key)
        paint.text(label, rect.inflate(-L.pad, 0), u * (1.5 if len(label) == 1 else 0.9),
                   WHITE if key == "✓" and ready else INK, bold=True)
    for rect, label in ((L.code_clear, k.t("Clear")), (L.code_back, k.t("Back"))):
        paint.box(rect, WHITE, BRAND, width=3)
        paint.text(label, rect.inflate(-u // 2, 0), u * 0.95, BRAND, bold=True)


# The guide's parts in the order of the hall's "seven steps" poster (the windows come first:
# where to go is the first question).
GUIDE_PARTS = (
    ("procedure", N_("How it is done")),
    ("time_limit", N_("Time limit")),
    ("fees", N_("Fees")),
    ("result", N_("What you receive")),
    ("responsible", N_("Responsible")),
)


def guide_rows(k: Kiosk) -> list[tuple[str, str]]:
    """The guide of the service on screen as (kind, text) rows: "head" or "item". A service
    without a guide shows its materials only."""
    service = k.guide or {}
    guide = service.get("guide") or {}
    rows: list[tuple[str, str]] = []
    if guide:
        windows = [k.name(w.get("name")) for w in (k.hall or {}).get("windows", [])
                   if service.get("id") in w.get("services", [])]
        if windows:
            rows += [("head", k.t("Windows")), ("item", k.t(", ").join(windows))]
        for key, head in GUIDE_PARTS:
            value = guide.get(key)
            if key == "procedure" and value:
                rows.append(("head", k.t(head)))
                rows += [("item", f"{i}. {k.name(step)}") for i, step in enumerate(value, 1)]
            elif value:
                rows += [("head", k.t(head)), ("item", k.name(value))]
    materials = service.get("materials") or []
    rows.append(("head", k.t("Documents to bring")))
    rows += ([("item", f"{i}. {k.name(m)}") for i, m in enumerate(materials, 1)]
             or [("item", k.t("No documents are needed."))])
    samples = guide.get("samples") or []
    if samples:
        rows.append(("head", k.t("Sample forms (ask at the window)")))
        rows += [("item", f"{i}. {k.name(x.get('name'))}") for i, x in enumerate(samples, 1)]
    return rows


def guide_pages(k: Kiosk, L: Layout, paint: Painter, body: pygame.Rect) -> list[list[tuple]]:
    """The guide's rows broken into lines and the lines into pages that fit `body`: (text, size,
    bold, color, x offset, height) per line."""
    u = L.unit
    pages: list[list[tuple]] = [[]]
    y = 0
    for kind, text in guide_rows(k):
        head = kind == "head"
        size = round(u * (1.05 if head else 0.9))
        indent = 0 if head else u
        step = int(paint.line_height(size, head) * 1.3)
        # A numbered step's later lines start under its words, not under its number.
        number = re.match(r"\d+\. ", text) if not head else None
        hang = paint.width(number.group(), size) if number else 0
        first, *rest = paint.lines(text, body.width - indent, size, head)
        lines = [(first, indent)]
        if rest:
            rest = paint.lines(text[len(first):].strip(), body.width - indent - hang, size, head)
            lines += [(line, indent + hang) for line in rest]
        gap = u // 2 if head and y else 0
        # A heading never ends a page: it goes over with its first line.
        need = gap + step * (2 if head else 1)
        for n, (line, at) in enumerate(lines):
            if y + (need if n == 0 else step) > body.height and pages[-1]:
                pages.append([])
                y, gap = 0, 0
            y += gap if n == 0 else 0
            pages[-1].append((line, size, head, BRAND if head else INK, at, y, step))
            y += step
    return pages


def guide(k: Kiosk, L: Layout, paint: Painter) -> int:
    u = L.unit
    service = k.guide or {}
    paint.box(L.guide_body, WHITE, LINE, width=3)
    inner = L.guide_body.inflate(-2 * u, -2 * max(L.pad, u // 2))
    title = pygame.Rect(inner.left, inner.top, inner.width, round(u * 1.9))
    pygame.draw.line(paint.surface, LINE, (inner.left, title.bottom), (inner.right, title.bottom), 2)
    body = pygame.Rect(inner.left, title.bottom + u // 2, inner.width, inner.bottom - title.bottom - u // 2)
    # A wide screen reads the guide in two columns a page: lines across 1,800 px are hard to follow.
    across = 2 if body.width > body.height * 1.6 else 1
    gap = 2 * u
    column = pygame.Rect(body.left, body.top, (body.width - gap * (across - 1)) // across, body.height)
    columns = guide_pages(k, L, paint, column)
    pages = [columns[i:i + across] for i in range(0, len(columns), across)]
    page = min(k.guide_page, len(pages) - 1)
    for n, lines in enumerate(pages[page]):
        left = column.left + n * (column.width + gap)
        for text, size, bold, color, indent, y, step in lines:
            paint.text(text, pygame.Rect(left + indent, column.top + y, column.width - indent, step), size,
                       color, "left", bold, min_size=size)
    if len(pages) > 1:
        for rect, label, active in ((L.guide_prev, k.t("‹ Previous"), page > 0),
                                    (L.guide_next, k.t("Next ›"), page < len(pages) - 1)):
            paint.box(rect, WHITE if active else PAPER, BRAND if active else DISABLED, width=3)
            paint.text(label, rect.inflate(-u // 2, 0), u * 0.9, BRAND if active else LINE, bold=active)
        # Beside the title, where there is room on every screen (the bar below has none on a
        # portrait one).
        where = paint.text(k.t("Page {page} of {pages}").format(page=page + 1, pages=len(pages)),
                           title, u * 0.85, MUTED, "right", True)
        title.width = where.left - u - title.left
    paint.text(k.t("Service guide") + " · " + k.name(service.get("name")), title, u * 1.2, INK, "left", True)
    paint.box(L.guide_take, BRAND)
    paint.text(k.t("Take a number"), L.guide_take.inflate(-u, 0), u * 1.1, WHITE, bold=True)
    paint.box(L.guide_back, WHITE, BRAND, width=3)
    paint.text(k.t("Back"), L.guide_back.inflate(-u, 0), u * 1.0, BRAND, bold=True)
    return len(pages)


SCREENS = {"menu": menu, "confirm": confirm, "issuing": issuing, "result": result, "message": message,
           "pin": pin, "code": code, "guide": guide}
