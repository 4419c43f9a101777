"""The ticket's layout: what goes on the paper, in which size, in what order. Pure: the text and
image renderers both draw from it, so the two modes cannot drift apart."""
from __future__ import annotations

from dataclasses import dataclass

from .ticket import TicketPrint
from .wrap import wrap

# Half-width columns of font A (12 dots wide) across the printable width.
COLUMNS = {58: 32, 80: 48}
DOTS = {58: 384, 80: 576}

LABELS = {
    "ahead": {"zh": "前面还有 {n} 人", "en": "{n} people ahead"},
    "ahead_one": {"zh": "前面还有 1 人", "en": "1 person ahead"},
    "ahead_none": {"zh": "前面没有人，请留意叫号", "en": "You are next"},
    "wait": {"zh": "预计等候约 {m} 分钟", "en": "Estimated wait: about {m} min"},
    "issued": {"zh": "取号时间 {at}", "en": "Issued {at}"},
    "windows": {"zh": "办理窗口：{w}", "en": "Windows: {w}"},
    "materials": {"zh": "一次性告知单：请准备以下材料", "en": "Please bring these documents:"},
    "green": {"zh": "绿色通道", "en": "GREEN CHANNEL"},
    "scan": {"zh": "扫码查看排队进度", "en": "Scan to follow your place in the queue"},
}


@dataclass(frozen=True)
class Text:
    text: str
    size: int = 1  # character magnification, 1-4
    align: str = "left"  # left | center
    bold: bool = False


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


def _label(t: TicketPrint, key: str, **values) -> str:
    return LABELS[key][t.lang if t.lang in ("zh", "en") else "zh"].format(**values)


def _para(text: str, columns: int, size: int = 1, align: str = "left", bold: bool = False,
          indent: int = 0) -> list[Text]:
    return [Text(line, size, align, bold) for line in wrap(text, columns // size, indent)]


def layout(t: TicketPrint, paper_mm: int = 80) -> list[Block]:
    cols = COLUMNS[paper_mm]
    sep = "，" if t.lang == "zh" else ", "
    blocks: list[Block] = []
    blocks += _para(t.text(t.hall), cols, align="center", bold=True)
    blocks += _para(t.text(t.hall, other=True), cols, align="center")
    blocks.append(Rule())
    blocks += _para(t.text(t.service), cols, size=2 if paper_mm == 80 else 1, align="center",
                    bold=True)
    blocks += _para(t.text(t.service, other=True), cols, align="center")
    # The number is what the citizen reads from across the hall: as big as the paper allows.
    size = 4 if len(t.number) * 4 <= cols else 3
    blocks.append(Text(t.number, size, "center", True))
    if t.priority == "green":
        blocks.append(Text(_label(t, "green"), 2, "center", True))
    if t.ahead == 0:
        blocks += _para(_label(t, "ahead_none"), cols, align="center")
    else:
        key = "ahead_one" if t.ahead == 1 else "ahead"
        blocks += _para(_label(t, key, n=t.ahead), cols, align="center", bold=True)
        minutes = max(1, round(t.estimated_wait_s / 60))
        blocks += _para(_label(t, "wait", m=minutes), cols, align="center")
    blocks += _para(_label(t, "issued", at=t.issued_at.strftime("%Y-%m-%d %H:%M")), cols)
    if t.windows:
        names = sep.join(t.text(w) for w in t.windows)
        blocks += _para(_label(t, "windows", w=names), cols, indent=2)
    if t.materials:
        blocks.append(Rule())
        blocks += _para(_label(t, "materials"), cols, bold=True)
        for i, m in enumerate(t.materials, 1):
            prefix = f"{i}. "
            blocks += _para(prefix + t.text(m), cols, indent=len(prefix))
    blocks.append(Rule())
    blocks.append(Qr(t.status_url))
    blocks += _para(_label(t, "scan"), cols, align="center")
    blocks += _para(t.text(t.footer), cols, align="center")
    blocks.append(Cut())
    return blocks
