"""The report charts (server/web/charts.py), drawn from hand-made report rows: one bar per hour,
day, service or rating, heights and widths in proportion to the figures, the worst service
first, a name with <&> shown as written (and never read as markup), an empty period drawn as
an empty chart that says so, and nothing a strict Content-Security-Policy would refuse."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from hallcall.server.web import charts

SVG = "{http://www.w3.org/2000/svg}"
CJK = re.compile(r"[\u4e00-\u9fff]")


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or the page's DOMParser would refuse it too
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert re.fullmatch(r"0 0 \d+ \d+(\.\d+)?", root.get("viewBox"))
    assert root.get("width") is None  # sized by viewBox: the page scales it
    assert "Noto Sans CJK SC" in root.get("font-family") and root.get("font-family").endswith("sans-serif")
    # Presentation attributes only: the staff pages' CSP has no 'unsafe-inline' for style.
    assert not [e for e in root.iter() if e.get("style") is not None or e.tag == f"{SVG}style"]
    assert not [e for e in root.iter()
                if e.tag == f"{SVG}script" or any(a.startswith("on") for a in e.attrib)]
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


def hour_rows(counts: dict[int, int]) -> list[dict]:
    return [{"key": f"{h:02d}", "issued": counts.get(h, 0)} for h in range(24)]


def test_arrivals_one_bar_per_hour_from_the_first_to_the_last_busy_one_heights_in_proportion():
    counts = {8: 3, 9: 40, 10: 25, 11: 10, 12: 0, 13: 5, 14: 30, 15: 12, 16: 1}
    root = parsed(charts.arrivals(hour_rows(counts)))
    found = bars(root)
    assert [b.get("data-key") for b in found] == [f"{h:02d}" for h in range(8, 17)]  # closed night trimmed
    assert [int(b.get("data-value")) for b in found] == [counts.get(h, 0) for h in range(8, 17)]
    heights = {b.get("data-key"): float(b.get("height")) for b in found}
    assert heights["12"] == 0
    # The two peaks stand out as the data says: 9 o'clock is 40/30 of 14 o'clock, 40 times 16.
    assert heights["09"] / heights["14"] == pytest.approx(40 / 30, rel=0.01)
    assert heights["09"] / heights["16"] == pytest.approx(40, rel=0.02)
    assert max(heights.values()) == heights["09"]
    # Every bar says what it is on hover.
    tip = next(b for b in found if b.get("data-key") == "09").find(f"{SVG}title").text
    assert "09:00–10:00" in tip and "40" in tip
    assert "126" in root.get("aria-label")  # the tickets in all


def test_arrivals_of_a_period_without_tickets_is_an_empty_chart_that_says_so():
    root = parsed(charts.arrivals(hour_rows({})))
    assert bars(root) == []
    assert "无数据" in texts(root) and "No tickets" in texts(root)
    assert "No tickets" in root.get("aria-label")
    root = parsed(charts.arrivals(hour_rows({}), lang="en"))
    assert texts(root) == ["No tickets"]


def day_rows() -> list[dict]:
    return [
        {"key": "2026-11-02", "issued": 10, "called": 9, "wait_avg_s": 600, "wait_p90_s": 1500},
        {"key": "2026-11-03", "issued": 0, "called": 0, "wait_avg_s": None, "wait_p90_s": None},
        {"key": "2026-11-04", "issued": 8, "called": 8, "wait_avg_s": 300, "wait_p90_s": 900},
        {"key": "2026-11-05", "issued": 12, "called": 12, "wait_avg_s": 1200, "wait_p90_s": 2400},
    ]


def test_waits_a_bar_of_the_average_and_a_point_of_the_p90_for_each_day_with_calls():
    root = parsed(charts.waits(day_rows(), "day"))
    found = bars(root)
    assert [b.get("data-key") for b in found] == ["2026-11-02", "2026-11-04", "2026-11-05"]  # the 3rd: none
    h = [float(b.get("height")) for b in found]
    assert h[0] / h[1] == pytest.approx(2, rel=0.01) and h[2] / h[1] == pytest.approx(4, rel=0.01)
    points = [e for e in root.iter(f"{SVG}circle") if e.get("class") == "point"]
    assert [p.get("data-key") for p in points] == ["2026-11-02", "2026-11-04", "2026-11-05"]
    ys = [float(p.get("cy")) for p in points]
    assert ys[2] < ys[0] < ys[1]  # higher on the page is longer: 40, 25 and 15 minutes
    assert "25.0" in points[0].find(f"{SVG}title").text  # minutes, on hover
    assert "10.0" in found[0].find(f"{SVG}title").text
    # The line of the p90 is broken where a day had no call, not drawn across it.
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(p.get("points").split()) for p in lines] == [2]


def test_waits_of_one_day_over_its_hours_and_without_any_call():
    rows = [{"key": f"{h:02d}", "issued": 0, "called": 0, "wait_avg_s": None, "wait_p90_s": None}
            for h in range(24)]
    rows[9].update(issued=5, called=5, wait_avg_s=120, wait_p90_s=300)
    rows[14].update(issued=3, called=3, wait_avg_s=240, wait_p90_s=480)
    root = parsed(charts.waits(rows, "hour"))
    assert [b.get("data-key") for b in bars(root)] == ["09", "14"]
    assert [t for t in texts(root) if re.fullmatch(r"\d\d", t)] == [f"{h:02d}" for h in range(9, 15)]

    for r in rows:
        r.update(called=0, wait_avg_s=None, wait_p90_s=None)
    root = parsed(charts.waits(rows, "hour", lang="zh"))
    assert bars(root) == [] and texts(root) == ["尚无叫号"]  # tickets, none of them called yet


def service_rows() -> list[dict]:
    return [
        {"key": "a", "name": "企业设立", "name_en": "Company setup", "issued": 20, "called": 18,
         "sla_pct": 88.9},
        {"key": "b", "name": "不动产<&>登记", "name_en": "Property <&> registry", "issued": 9, "called": 8,
         "sla_pct": 50.0},
        {"key": "c", "name": "社保", "name_en": "Social insurance", "issued": 4, "called": 0,
         "sla_pct": None},
        {"key": "d", "name": "户籍", "name_en": "Household", "issued": 30, "called": 30, "sla_pct": 100.0},
    ]


def test_service_level_worst_first_widths_in_proportion_the_target_in_the_label():
    svg = charts.sla(service_rows(), {"a": 30, "b": 10, "d": 45})
    root = parsed(svg)
    found = bars(root)
    assert [b.get("data-key") for b in found] == ["b", "a", "d"]  # c was never called: no level
    widths = [float(b.get("width")) for b in found]
    assert widths[2] / widths[0] == pytest.approx(2, rel=0.01)
    assert widths[1] / widths[2] == pytest.approx(0.889, rel=0.01)
    words = texts(root)
    assert any("不动产<&>登记" in t and "≤10 分钟" in t for t in words)  # the name as written
    assert any("Property <&> registry" in t and "≤10 min" in t for t in words)
    assert any("户籍" in t and "≤45 分钟" in t for t in words)
    # Escaped in the source: a name can never open an element or an entity of its own.
    assert "<&>" not in svg and "不动产&lt;&amp;&gt;登记" in svg
    assert "50.0%" in found[0].find(f"{SVG}title").text


def test_service_level_shows_the_worst_fifteen_and_says_how_many_more():
    rows = [{"key": f"s{i:02d}", "name": f"业务{i}", "name_en": f"Service {i}", "issued": 5, "called": 5,
             "sla_pct": float(100 - i)} for i in range(20)]
    root = parsed(charts.sla(rows, {}, lang="en"))
    assert [b.get("data-key") for b in bars(root)] == [f"s{i:02d}" for i in range(19, 4, -1)]
    assert any(t.startswith("5 more services not shown") for t in texts(root))
    assert not [t for t in texts(root) if CJK.search(t)]  # English only, names included
    assert all("(≤30 min)" in t for t in texts(root) if t.startswith("Service "))  # the default target


def test_service_level_of_an_empty_period():
    root = parsed(charts.sla([{**r, "issued": 0, "called": 0, "sla_pct": None} for r in service_rows()], {}))
    assert bars(root) == [] and "无数据" in texts(root)


def test_ratings_one_bar_each_with_count_and_share():
    total = {"issued": 120, "ratings": {"satisfied": 80, "basic": 15, "unsatisfied": 5}}
    root = parsed(charts.ratings(total, lang="zh"))
    found = bars(root)
    assert [(b.get("data-key"), int(b.get("data-value"))) for b in found] == [
        ("satisfied", 80), ("basic", 15), ("unsatisfied", 5)]
    w = [float(b.get("width")) for b in found]
    assert w[0] / w[1] == pytest.approx(80 / 15, rel=0.01) and w[0] / w[2] == pytest.approx(16, rel=0.02)
    assert {"80 · 80.0%", "15 · 15.0%", "5 · 5.0%"} <= set(texts(root))
    assert "不满意" in texts(root) and "共 100 条评价" in texts(root)


def test_ratings_without_any_rating_and_without_any_ticket():
    root = parsed(charts.ratings({"issued": 7, "ratings": {"satisfied": 0, "basic": 0, "unsatisfied": 0}}))
    assert bars(root) == [] and "暂无评价" in texts(root) and "No ratings" in texts(root)
    root = parsed(charts.ratings({"issued": 0, "ratings": {"satisfied": 0, "basic": 0, "unsatisfied": 0}}))
    assert "无数据" in texts(root)


@pytest.mark.parametrize("seconds, shown",
                         [(0, 0.0), (29, 0.5), (27, 0.5), (26, 0.4), (90, 1.5), (3599, 60.0)])
def test_minutes_to_one_decimal_halves_up(seconds, shown):
    assert charts.minutes(seconds) == shown


def test_a_long_name_is_cut_to_fit_and_kept_whole_on_hover():
    name = "建设项目环境影响评价文件审批（报告书、报告表）及竣工环境保护验收"
    rows = [{"key": "x", "name": name, "name_en": "EIA", "issued": 3, "called": 3, "sla_pct": 66.7}]
    root = parsed(charts.sla(rows, {"x": 20}, lang="zh"))
    label = next(t for t in texts(root) if t.startswith("建设项目"))
    assert "…" in label and label.endswith("（≤20 分钟）")  # the target is never the part cut off
    assert name in bars(root)[0].find(f"{SVG}title").text
