"""The ticket's layout: what goes on the paper, in which size, in what order. Pure: the text and
image renderers both draw from it, so the two modes cannot drift apart."""
from __future__ import annotations

from dataclasses import dataclass

from .ticket import TicketPrint
from .wrap import clean, width, wrap, wrap_list

# Half-width columns of font A (12 dots wide) across the printable width.
COLUMNS = {58: 32, 80: 48}
DOTS = {58: 384, 80: 576}

LABELS = {
    "ahead": {"zh": "前面还有 {n} 人", "en": "{n} people ahead"},
    "ahead_one": {"zh": "前面还有 1 人", "en": "1 person ahead"},
    "ahead_none": {"zh": "前面没有人，请留意叫号", "en": "You are next"},
    "wait": {"zh": "预计等候约 {m} 分钟", "en": "Estimated wait: about {m} min"},
    "issued": {"zh": "取号时间 {at}", "en": "Issued {at}"},
    "windows": {"zh": "办理窗口：", "en": "Windows: "},
    "materials": {"zh": "一次性告知单：请准备以下材料", "en": "Please bring these documents:"},
    "green": {"zh": "绿色通道", "en": "Green channel"},
    "appointment": {"zh": "预约 {span}", "en": "Appointment {span}"},
    "late": {"zh": "预约已过时 · 按普通号", "en": "Appointment missed · walk-in number"},
    "scan": {"zh": "扫码查看排队进度", "en": "Scan to follow the queue live"},
}


@dataclass(frozen=True)
class Text:
    text: str
    size: int = 1  # character magnification, 1-4
    align: str = "left"  # left | center
    bold: bool = False
    reverse: bool = False  # white on black, for what must not be missed


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Qr:
    data: str


@dataclass(frozen=True)
class Cut:
    pass


Block = Text | Rule | Qr | Cut


def _label(t: TicketPrint, key: str, other: bool = False, **values) -> str:
    lang = t.lang if t.lang in ("zh", "en") else "zh"
    if other:
        lang = "en" if lang == "zh" else "zh"
    return LABELS[key][lang].format(**values)


def _para(text: str, columns: int, size: int = 1, align: str = "left", bold: bool = False,
          indent: int = 0) -> list[Text]:
    if not text.strip():
        return []
    return [Text(line, size, align, bold) for line in wrap(text, columns // size, indent)]


def _title_size(text: str, cols: int, paper_mm: int) -> int:
    # Double size on 80 mm; on 58 mm only when the name fits one line at double size.
    return 2 if paper_mm == 80 or width(text) * 2 <= cols else 1


def layout(t: TicketPrint, paper_mm: int = 80) -> list[Block]:
    cols = COLUMNS[paper_mm]
    blocks: list[Block] = []
    blocks += _para(t.text(t.hall), cols, align="center", bold=True)
    blocks += _para(t.text(t.hall, other=True), cols, align="center")
    blocks.append(Rule())
    service = t.text(t.service)
    blocks += _para(service, cols, size=_title_size(service, cols, paper_mm), align="center",
                    bold=True)
    blocks += _para(t.text(t.service, other=True), cols, align="center")
    # The number is what the citizen reads from across the hall: as big as the paper allows.
    number = clean(t.number).strip()
    size = next((n for n in (4, 3, 2) if width(number) * n <= cols), 1)
    blocks += _para(number, cols, size=size, align="center", bold=True)
    if t.priority == "green":
        label = _label(t, "green")
        blocks.append(Text(f" {label} ", 2 if width(label) + 2 <= cols // 2 else 1, "center",
                           True, reverse=True))
        blocks.append(Text(_label(t, "green", other=True), 1, "center"))
    if t.slot is not None and t.slot.late:
        # Not an appointment any more: said plainly, not highlighted like one.
        blocks += _para(_label(t, "late"), cols, align="center", bold=True)
        blocks += _para(_label(t, "late", other=True), cols, align="center")
    elif t.slot is not None:
        label = _label(t, "appointment", span=t.slot.span())
        blocks.append(Text(f" {label} ", 2 if width(label) + 2 <= cols // 2 else 1, "center",
                           True, reverse=True))
        blocks += _para(_label(t, "appointment", other=True, span=t.slot.span()), cols, align="center")
    if t.ahead <= 0:
        blocks += _para(_label(t, "ahead_none"), cols, align="center", bold=True)
    else:
        key = "ahead_one" if t.ahead == 1 else "ahead"
        blocks += _para(_label(t, key, n=t.ahead), cols, align="center", bold=True)
        if t.estimated_wait_s:
            minutes = max(1, round(t.estimated_wait_s / 60))
            blocks += _para(_label(t, "wait", m=minutes), cols, align="center")
    blocks += _para(_label(t, "issued", at=t.issued_at.strftime("%Y-%m-%d %H:%M")), cols)
    if t.windows:
        head = _label(t, "windows")
        sep = "，" if t.lang == "zh" else ", "
        lines = wrap_list(head, [t.text(w) for w in t.windows], sep, cols, indent=2)
        blocks += [Text(line) for line in lines]
    materials = [t.text(m) for m in t.materials if t.text(m).strip()]
    if materials:
        blocks.append(Rule())
        blocks += _para(_label(t, "materials"), cols, bold=True)
        for i, m in enumerate(materials, 1):
            prefix = f"{i}. "
            blocks += _para(prefix + m, cols, indent=len(prefix))
    blocks.append(Rule())
    blocks.append(Qr(t.status_url))
    blocks += _para(_label(t, "scan"), cols, align="center")
    blocks += _para(t.text(t.footer), cols, align="center")
    blocks.append(Cut())
    return blocks
