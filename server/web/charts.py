"""The report charts as SVG text, drawn by the hub: the hall's LAN has no internet, so no
charting library from a CDN, and an SVG made here is the same in every browser, in a saved
file and in a test that parses it.

Pure functions from report rows (API.md "Reports") to an SVG string. Every text is escaped;
each bar and point carries a <title> (the browser's hover text); the root has role="img" and
an aria-label saying what the chart shows. Sized by viewBox only, so a page scales it to its
column. Only presentation attributes, never style="…": the staff pages' Content-Security-Policy
has no 'unsafe-inline', and the charts are placed inline in those pages.

`lang`: "zh" or "en" draws that language only (the page's choice); None draws Chinese with the
English beside or beneath it (a chart opened or saved on its own).
"""
from __future__ import annotations

import math
from html import escape

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Zen Hei', sans-serif"
WIDTH = 1200  # wide and low: a page shows each chart across its column
INK, MUTED, GRID, AXIS = "#1d2939", "#667085", "#e4e7ec", "#98a2b3"
BAR, P90 = "#15509f", "#c2410c"
RATING_COLOURS = {"satisfied": "#15803d", "basic": "#b45309", "unsatisfied": "#b91c1c"}
RATINGS = (("satisfied", "满意", "Satisfied"), ("basic", "基本满意", "Basic"),
           ("unsatisfied", "不满意", "Unsatisfied"))
NO_TICKETS = ("无数据", "No tickets")
SLA_TOP = 15  # more bars than this would not be read; the worst ones are what needs action


# -- words and numbers ------------------------------------------------------------------------

def words(zh: str, en: str, lang: str | None) -> str:
    """One line in the chart's language ("zh / en" when it shows both)."""
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} / {en}"


def minutes(seconds: float) -> float:
    """Seconds as minutes with one decimal, halves up (what the page shows too)."""
    return math.floor(seconds / 6 + 0.5) / 10


def share(part: int, whole: int) -> float:
    """part of whole in percent with one decimal, halves up."""
    return math.floor(part * 1000 / whole + 0.5) / 10


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def _px(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) dividing 0..top into at most `ticks`."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def _text_width(text: str, size: float) -> float:
    # Wide (CJK) characters take about a square each, Latin ones a little over half of one.
    return sum(size if ord(c) > 0x2e80 else size * 0.58 for c in text)


def fit(text: str, width: float, size: float) -> str:
    """`text` cut with an ellipsis so it fits `width` px at font `size` (the full text stays
    in the bar's <title>)."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


# -- SVG pieces -------------------------------------------------------------------------------

def _attrs(attrs: dict) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"'
                   for k, v in attrs.items() if v is not None)


def text(x: float, y: float, content: str, size: float = 13, fill: str = INK, **attrs) -> str:
    return (f'<text x="{_px(x)}" y="{_px(y)}" font-size="{_px(size)}" fill="{fill}"{_attrs(attrs)}>'
            f"{escape(content)}</text>")


def _svg(name: str, height: float, label: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_px(height)}" '
            f'role="img" aria-label="{escape(label)}" class="chart" data-chart="{name}" '
            f'font-family="{escape(FONT, quote=False)}">'
            f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def empty(name: str, label: str, lang: str | None, why: tuple[str, str] = NO_TICKETS,
          height: float = 240) -> str:
    """A chart with nothing to draw: its frame and the reason, in words (not an error)."""
    body = [f'<rect x="1" y="1" width="{WIDTH - 2}" height="{_px(height - 2)}" rx="8" fill="#f9fafb" '
            f'stroke="{GRID}"/>']
    middle = height / 2
    if lang is None:
        body.append(text(WIDTH / 2, middle - 4, why[0], 22, MUTED, text_anchor="middle", class_="empty"))
        body.append(text(WIDTH / 2, middle + 22, why[1], 15, MUTED, text_anchor="middle", class_="empty"))
    else:
        body.append(text(WIDTH / 2, middle + 7, words(*why, lang), 22, MUTED, text_anchor="middle",
                         class_="empty"))
    return _svg(name, height, f"{label}: {words(*why, lang)}", body)


def _y_axis(left: float, right: float, top: float, bottom: float, vmax: float,
            unit: str) -> tuple[list[str], float]:
    """Grid lines with their values and the axis' unit; the value at the plot's top."""
    step = nice_step(vmax)
    top_value = step * max(1, math.ceil(vmax / step))
    out = []
    n = round(top_value / step)
    for i in range(n + 1):
        value = step * i
        y = bottom - (bottom - top) * value / top_value
        out.append(f'<line x1="{_px(left)}" y1="{_px(y)}" x2="{_px(right)}" y2="{_px(y)}" '
                   f'stroke="{AXIS if i == 0 else GRID}" stroke-width="1"/>')
        out.append(text(left - 8, y + 4, _num(round(value, 6)), 13, MUTED, text_anchor="end"))
    out.append(text(8, top - 16, unit, 13, MUTED))
    return out, top_value


def _x_labels(keys: list[str], x_of, y: float, every: int) -> list[str]:
    return [text(x_of(i), y, k, 13, MUTED, text_anchor="middle")
            for i, k in enumerate(keys) if i % every == 0]


# -- the four charts ---------------------------------------------------------------------------

def arrivals(rows: list[dict], lang: str | None = None) -> str:
    """Tickets issued per hour of the day (by=hour rows "00".."23"), a histogram over the hours
    from the first to the last with a ticket: the closed night hours would only squash the
    morning and afternoon peaks."""
    name = "arrivals"
    label = words("每小时取号数", "Tickets issued per hour", lang)
    counts = [(r["key"], r.get("issued") or 0) for r in rows]
    busy = [i for i, (_, n) in enumerate(counts) if n]
    if not busy:
        return empty(name, label, lang)
    counts = counts[busy[0]:busy[-1] + 1]
    height, left, right, top, bottom = 340, 64, WIDTH - 20, 44, 290
    axis, top_value = _y_axis(left, right, top, bottom, max(n for _, n in counts),
                              words("张", "tickets", lang))
    slot = (right - left) / len(counts)
    body = axis
    for i, (hour, n) in enumerate(counts):
        h = (bottom - top) * n / top_value
        x = left + slot * i + slot * 0.12
        end = f"{int(hour) + 1:02d}"
        tip = f"{hour}:00–{end}:00 · " + words(f"取号 {n} 张", f"{n} tickets issued", lang)
        body.append(f'<rect class="bar" data-key="{escape(hour)}" data-value="{n}" x="{_px(x)}" '
                    f'y="{_px(bottom - h)}" width="{_px(slot * 0.76)}" height="{_px(h)}" rx="2" '
                    f'fill="{BAR}"><title>{escape(tip)}</title></rect>')
        if n:
            body.append(text(x + slot * 0.38, bottom - h - 5, str(n), 12, INK, text_anchor="middle"))
    body += _x_labels([k for k, _ in counts], lambda i: left + slot * (i + 0.5), bottom + 18, 1)
    body.append(text(right, bottom + 40, words("时", "hour of the day", lang), 13, MUTED, text_anchor="end"))
    total = sum(n for _, n in counts)
    first, last = counts[0][0], counts[-1][0]
    aria = words(f"每小时取号数，{first}–{last} 时，共 {total} 张",
                 f"Tickets issued per hour, {first}–{last}h, {total} in all", lang)
    return _svg(name, height, aria, body)


def waits(rows: list[dict], by: str = "day", lang: str | None = None) -> str:
    """Average (bars) and 90th-percentile (line and points) wait per day, or per hour for one
    day (by="hour"), in minutes. A day or hour without a called ticket has neither."""
    name = "waits"
    label = words("等候时间", "Waiting times", lang)
    points = [(r["key"], r.get("wait_avg_s"), r.get("wait_p90_s"), r.get("called") or 0) for r in rows]
    if by == "hour":  # one day: its open hours only
        busy = [i for i, p in enumerate(points) if p[1] is not None]
        points = points[busy[0]:busy[-1] + 1] if busy else []
    if not any(p[1] is not None for p in points):
        return empty(name, label, lang, NO_TICKETS if not any(r.get("issued") for r in rows)
                     else ("尚无叫号", "No ticket called"))
    height, left, right, top, bottom = 340, 64, WIDTH - 20, 56, 290
    vmax = max(minutes(p[2] if p[2] is not None else p[1]) for p in points if p[1] is not None)
    axis, top_value = _y_axis(left, right, top, bottom, max(vmax, 1), words("分钟", "minutes", lang))
    slot = (right - left) / len(points)
    body = axis
    line, dots = [], []
    for i, (key, avg, p90, called) in enumerate(points):
        if avg is None:
            if len(line) > 1:
                body.append(_polyline(line))
            line = []
            continue
        when = key if by == "day" else f"{key}:00"
        avg_m = minutes(avg)
        h = (bottom - top) * avg_m / top_value
        x = left + slot * i + slot * 0.2
        tip = when + " · " + words(f"平均等候 {avg_m:.1f} 分钟（叫号 {called} 张）",
                                   f"average wait {avg_m:.1f} min ({called} called)", lang)
        body.append(f'<rect class="bar" data-key="{escape(key)}" data-value="{avg}" x="{_px(x)}" '
                    f'y="{_px(bottom - h)}" width="{_px(slot * 0.6)}" height="{_px(h)}" rx="2" '
                    f'fill="{BAR}" fill-opacity="0.75"><title>{escape(tip)}</title></rect>')
        if p90 is not None:
            p90_m = minutes(p90)
            cx, cy = left + slot * (i + 0.5), bottom - (bottom - top) * p90_m / top_value
            line.append((cx, cy))
            tip = when + " · " + words(f"90% 的人等候不超过 {p90_m:.1f} 分钟",
                                       f"90% waited {p90_m:.1f} min or less", lang)
            dots.append(f'<circle class="point" data-key="{escape(key)}" data-value="{p90}" '
                        f'cx="{_px(cx)}" cy="{_px(cy)}" r="4" fill="{P90}">'
                        f"<title>{escape(tip)}</title></circle>")
    if len(line) > 1:
        body.append(_polyline(line))
    body += dots
    keys = [p[0][5:] if by == "day" else p[0] for p in points]  # MM-DD: the year is the period's
    every = max(1, math.ceil(len(keys) / 16))  # a month's days would overlap
    body += _x_labels(keys, lambda i: left + slot * (i + 0.5), bottom + 18, every)
    body += _legend(left, 22, [
        (BAR, words("平均等候", "Average wait", lang), "rect"),
        (P90, words("90% 的人不超过（P90）", "90th percentile (P90)", lang), "circle")])
    first, last = points[0][0], points[-1][0]
    aria = words(f"平均和 P90 等候时间（分钟），{first} 至 {last}",
                 f"Average and 90th-percentile waits in minutes, {first} to {last}", lang)
    return _svg(name, height, aria, body)


def _polyline(points: list[tuple[float, float]]) -> str:
    return (f'<polyline points="{" ".join(f"{_px(x)},{_px(y)}" for x, y in points)}" fill="none" '
            f'stroke="{P90}" stroke-width="2"/>')


def _legend(x: float, y: float, items: list[tuple[str, str, str]]) -> list[str]:
    out = []
    for colour, words_, shape in items:
        if shape == "rect":
            out.append(f'<rect x="{_px(x)}" y="{_px(y - 10)}" width="14" height="12" rx="2" '
                       f'fill="{colour}"/>')
        else:
            out.append(f'<circle cx="{_px(x + 7)}" cy="{_px(y - 4)}" r="5" fill="{colour}"/>')
        out.append(text(x + 20, y, words_, 13, INK))
        x += 36 + _text_width(words_, 13)
    return out


def sla(rows: list[dict], targets: dict[str, int], lang: str | None = None, top: int = SLA_TOP) -> str:
    """Each service's share of called tickets within its target wait (by=service rows), as
    horizontal bars, the worst first, the `top` worst at most; the target in the label."""
    name = "sla"
    label = words("各业务限时达标率", "Service level per service", lang)
    scored = [r for r in rows if r.get("sla_pct") is not None]
    if not scored:
        return empty(name, label, lang, NO_TICKETS if not any(r.get("issued") for r in rows)
                     else ("尚无叫号", "No ticket called"))
    scored.sort(key=lambda r: (r["sla_pct"], -(r.get("called") or 0), str(r["key"])))
    shown, hidden = scored[:top], len(scored) - min(len(scored), top)
    both = lang is None
    row_h = 40 if both else 30
    left, right, top_y = 330, WIDTH - 70, 34
    height = top_y + row_h * len(shown) + (44 if hidden else 24)
    body = []
    for pct in (0, 25, 50, 75, 100):
        x = left + (right - left) * pct / 100
        body.append(f'<line x1="{_px(x)}" y1="{top_y - 6}" x2="{_px(x)}" '
                    f'y2="{_px(top_y + row_h * len(shown))}" stroke="{AXIS if pct == 0 else GRID}"/>')
        body.append(text(x, top_y - 12, f"{pct}%", 13, MUTED, text_anchor="middle"))
    for i, r in enumerate(shown):
        key = str(r["key"])
        minutes_ = targets.get(key, 30)
        zh_name, en_name = r.get("name") or key, r.get("name_en") or r.get("name") or key
        y = top_y + row_h * i
        width = (right - left) * r["sla_pct"] / 100
        tip = words(f"{zh_name}：{r['sla_pct']:.1f}% 在 {minutes_} 分钟内叫号（叫号 {r.get('called')} 张）",
                    f"{en_name}: {r['sla_pct']:.1f}% called within {minutes_} min "
                    f"({r.get('called')} called)", lang)
        room = left - 30
        if both:
            suffix = f"（≤{minutes_} 分钟）"
            body.append(text(left - 10, y + 17, fit(zh_name, room - _text_width(suffix, 14), 14) + suffix,
                             14, INK, text_anchor="end"))
            suffix = f" (≤{minutes_} min)"
            body.append(text(left - 10, y + 33, fit(en_name, room - _text_width(suffix, 11), 11) + suffix,
                             11, MUTED, text_anchor="end"))
        else:
            shown_name = zh_name if lang == "zh" else en_name
            suffix = f"（≤{minutes_} 分钟）" if lang == "zh" else f" (≤{minutes_} min)"
            body.append(text(left - 10, y + 20, fit(shown_name, room - _text_width(suffix, 14), 14) + suffix,
                             14, INK, text_anchor="end"))
        bar_y = y + (row_h - 20) / 2
        body.append(f'<rect class="bar" data-key="{escape(key)}" data-value="{r["sla_pct"]}" x="{left}" '
                    f'y="{_px(bar_y)}" width="{_px(width)}" height="20" rx="2" fill="{BAR}">'
                    f"<title>{escape(tip)}</title></rect>")
        body.append(text(left + width + 6, bar_y + 15, f"{r['sla_pct']:.1f}%", 13, INK))
    if hidden:
        body.append(text(left, height - 14, words(f"另有 {hidden} 项业务未显示（达标率均不低于以上各项）",
                                                  f"{hidden} more services not shown (none doing worse)",
                                                  lang), 13, MUTED))
    aria = words(f"各业务在承诺等候时间内叫号的比例，最差的在前，共 {len(shown)} 项",
                 f"Share of each service's tickets called within its target wait, worst first, "
                 f"{len(shown)} shown", lang)
    return _svg(name, height, aria, body)


def ratings(total: dict, lang: str | None = None) -> str:
    """The citizens' ratings of the period (the total row): count and share of each."""
    name = "ratings"
    label = words("群众评价", "Citizens' ratings", lang)
    counts = total.get("ratings") or {}
    rated = sum(counts.get(k, 0) for k, _, _ in RATINGS)
    if not rated:
        return empty(name, label, lang, ("暂无评价", "No ratings") if total.get("issued") else NO_TICKETS)
    left, right, top_y, row_h = 170, WIDTH - 170, 40, 44
    height = top_y + row_h * len(RATINGS) + 16
    body = [text(left, 22, words(f"共 {rated} 条评价", f"{rated} ratings", lang), 13, MUTED)]
    biggest = max(counts.get(k, 0) for k, _, _ in RATINGS)
    for i, (key, zh, en) in enumerate(RATINGS):
        n = counts.get(key, 0)
        pct = share(n, rated)
        y = top_y + row_h * i
        width = (right - left) * n / biggest
        body.append(text(left - 12, y + 22, words(zh, en, lang), 15, INK, text_anchor="end"))
        tip = words(f"{zh}：{n} 条，占 {pct:.1f}%", f"{en}: {n}, {pct:.1f}%", lang)
        body.append(f'<rect class="bar" data-key="{key}" data-value="{n}" x="{left}" y="{y + 6}" '
                    f'width="{_px(width)}" height="24" rx="3" fill="{RATING_COLOURS[key]}">'
                    f"<title>{escape(tip)}</title></rect>")
        body.append(text(left + width + 8, y + 23, f"{n} · {pct:.1f}%", 14, INK))
    aria = words("群众评价：" + "，".join(f"{zh} {counts.get(k, 0)}" for k, zh, _ in RATINGS),
                 "Citizens' ratings: " + ", ".join(f"{en.lower()} {counts.get(k, 0)}"
                                                   for k, _, en in RATINGS), lang)
    return _svg(name, height, aria, body)
