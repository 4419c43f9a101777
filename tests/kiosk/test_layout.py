"""The kiosk's layout and its reading of the hall, without a hub or a screen."""
from __future__ import annotations

from itertools import combinations

import pytest

from hallcall.hallclient.i18n import gettext_for
from hallcall.kiosk import hall as halls
from hallcall.kiosk.layout import MIN_TOUCH, compute

SIZES = [(1920, 1080), (1080, 1920), (800, 480), (1280, 720), (1024, 600)]


@pytest.mark.parametrize("departments", [1, 7, 8, 12])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_button_is_on_screen_big_enough_and_apart(size, departments):
    L = compute(size, departments)
    screen = (0, 0, *size)
    menu = {"prev": L.prev, "next": L.next, "lang": L.lang, **{f"nav{i}": r for i, r in enumerate(L.nav)},
            **{f"cell{i}": r for i, r in enumerate(L.cells)}}
    for name, rect in menu.items():
        assert rect.clip(screen) == rect, f"{name} leaves the screen"
        assert min(rect.size) >= MIN_TOUCH, f"{name} is too small to touch: {rect}"
    for (a, ra), (b, rb) in combinations(menu.items(), 2):
        assert not ra.colliderect(rb), f"{a} overlaps {b}"
    for rect in [*L.nav, *L.cells]:
        assert not rect.colliderect(L.header) and not rect.colliderect(L.band)
    assert L.per_page >= 4
    assert len(L.nav) == (0 if departments == 1 else departments)
    keys = [r for _, r in L.keypad]
    assert len(keys) == 12 and all(r.clip(screen) == r and min(r.size) >= MIN_TOUCH for r in keys)
    assert not any(a.colliderect(b) for a, b in combinations(keys, 2))
    assert not L.confirm_yes.colliderect(L.confirm_no) and L.content.contains(L.confirm_yes)


def test_wide_screens_list_departments_down_the_side():
    assert compute((1920, 1080), 7).nav_side
    assert not compute((1080, 1920), 7).nav_side
    assert not compute((800, 480), 7).nav_side  # the 7" panel: too short for a column of 7


def test_services_are_grouped_by_department_in_the_halls_order():
    snapshot = {"departments": [{"id": "b", "name": {}}, {"id": "a", "name": {}},
                                {"id": "empty", "name": {}}],
                "services": [{"id": "1", "department": "a"}, {"id": "2", "department": "b"},
                             {"id": "3", "department": "a"}, {"id": "4", "department": "gone"}]}
    groups = [(dep["id"], [s["id"] for s in services]) for dep, services in halls.groups(snapshot)]
    assert groups == [("b", ["2"]), ("a", ["1", "3"]), ("", ["4"])]


def test_a_service_is_open_closed_or_full():
    assert halls.state({"open": True, "issued_today": 3, "daily_limit": None}) == "open"
    assert halls.state({"open": False, "issued_today": 0, "daily_limit": 5}) == "closed"
    assert halls.state({"open": True, "issued_today": 5, "daily_limit": 5}) == "full"


def test_opening_hours_read_like_a_sentence():
    weekdays = {"hours": ["08:30-12:00", "13:30-17:30"], "days": ["mon", "tue", "wed", "thu", "fri"]}
    assert halls.hours_text(weekdays, gettext_for("en")) == "Mon to Fri 08:30-12:00, 13:30-17:30"
    assert halls.hours_text(weekdays, gettext_for("zh")) == "周一至周五 08:30-12:00, 13:30-17:30"
    odd = {"hours": ["09:00-12:00"], "days": ["mon", "wed", "thu", "sat"]}
    assert halls.hours_text(odd, gettext_for("zh")) == "周一、周三至周四、周六 09:00-12:00"
    every_day = {"hours": ["09:00-17:00"], "days": list(halls.DAYS)}
    assert halls.hours_text(every_day, gettext_for("en")) == "09:00-17:00"
    assert halls.hours_text({}, gettext_for("en")) == ""


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("departments", [1, 8])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_new_buttons_fit_and_large_text_keeps_paging(size, departments, large):
    L = compute(size, departments, large)
    screen = (0, 0, *size)
    menu = {"prev": L.prev, "next": L.next, "lang": L.lang, "appointment": L.appointment,
            "large": L.large_button, **{f"nav{i}": r for i, r in enumerate(L.nav)},
            **{f"cell{i}": r for i, r in enumerate(L.cells)}}
    for name, rect in menu.items():
        assert rect.clip(screen) == rect, f"{name} leaves the screen"
        assert min(rect.size) >= MIN_TOUCH, f"{name} is too small to touch: {rect}"
    for (a, ra), (b, rb) in combinations(menu.items(), 2):
        assert not ra.colliderect(rb), f"{a} overlaps {b}"
    assert L.appointment.width >= 200  # the way in for every booked citizen: not a small icon
    for cell, guide in zip(L.cells, L.guides, strict=True):  # each service's own guide button
        assert cell.contains(guide) and min(guide.size) >= MIN_TOUCH
    normal = compute(size, departments).per_page
    assert (L.per_page < normal and L.per_page >= 1) if large else L.per_page == normal
    assert L.type_unit == L.unit * (2 if large else 1)
    code = [r for _, r in L.code_keys] + [L.code_clear, L.code_back]
    guide = [L.guide_prev, L.guide_next, L.guide_take, L.guide_back]
    for group in (code, guide):
        assert all(r.clip(screen) == r and min(r.size) >= MIN_TOUCH for r in group)
        assert not any(a.colliderect(b) for a, b in combinations(group, 2))
    assert not any(r.colliderect(L.guide_body) for r in guide)
    assert [k for k, _ in L.code_keys] == list("123456789⌫0✓")
