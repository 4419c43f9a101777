"""Wrapping by display columns: full-width (CJK) characters take two, and Chinese text has no
spaces to break at, so a line may break between any two CJK characters."""
from __future__ import annotations

import unicodedata

from hallcall.hallclient.cjk import NO_LINE_END, NO_LINE_START


def char_width(ch: str) -> int:
    # Ambiguous-width characters (“ ” · — ① é) are two columns too: a Chinese printer prints
    # every double-byte GB character in its full-width font, and CJK fonts draw them wide.
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def clean(text: str) -> str:
    """One line of printable text: control characters (a stray ESC from a config file would be
    a printer command in text mode) and line breaks become spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)


def units(text: str) -> list[str]:
    """The pieces a line may break between: Latin words stay whole, each CJK character stands
    alone, spaces are their own pieces, and punctuation sticks to the character it belongs to."""
    out: list[str] = []
    word = ""
    for ch in clean(text):
        if char_width(ch) == 2 or ch == " ":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    glued: list[str] = []
    opening = ""
    for u in out:
        if u != " " and u[0] in NO_LINE_START and (opening or (glued and glued[-1] != " ")):
            if opening:
                opening += u
            else:
                glued[-1] += u
        elif u != " " and u[-1] in NO_LINE_END:
            opening += u
        else:
            if opening and u == " ":
                glued.append(opening)
                opening = ""
            glued.append(opening + u)
            opening = ""
    if opening:
        glued.append(opening)
    return glued


def _split_head(piece: str, limit: int) -> list[str]:
    """The most of `piece` that fits in `limit` columns (at least one character), and the rest."""
    taken, cut = 0, 0
    for i, ch in enumerate(piece):
        if cut and taken + char_width(ch) > limit:
            break
        taken += char_width(ch)
        cut = i + 1
    return [p for p in (piece[:cut], piece[cut:]) if p]


def fill(pieces: list[str], columns: int, indent: int = 0) -> list[str]:
    """Greedy filling of unbreakable pieces into lines of at most `columns`; continuation lines
    get `indent` spaces (a hanging indent). A piece wider than a line is broken where it must."""
    lines: list[str] = []
    line = ""
    queue = list(pieces)
    while queue:
        piece = queue.pop(0)
        limit = columns - (indent if lines else 0)
        if width(line) + width(piece) <= limit:
            line += piece
        elif piece == " ":
            pass  # a space at a line break is dropped
        elif line.strip():
            lines.append(line.rstrip())
            line = ""
            queue.insert(0, piece)
        else:
            # Alone on its line and still too wide: break it between its own units if it
            # has several (a list item), else after as many characters as fit (a long word).
            smaller = units(piece)
            if len(smaller) == 1:
                smaller = _split_head(piece, limit)
                line = smaller.pop(0)  # fits, or is a single character wider than any line
            queue[:0] = smaller
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return [lines[0]] + [" " * indent + ln for ln in lines[1:]]


def wrap(text: str, columns: int, indent: int = 0) -> list[str]:
    """Lines of at most `columns` display columns."""
    return fill(units(text.strip()), columns, indent)


def wrap_list(head: str, items: list[str], sep: str, columns: int, indent: int = 0) -> list[str]:
    """A label and a list ("办理窗口：1号窗口，2号窗口"), breaking between the items, never
    inside one ("3号 / 窗口") unless an item is wider than a line."""
    pieces = units(head)
    for i, item in enumerate(items):
        last = i == len(items) - 1
        piece = clean(item).strip() + ("" if last else sep.rstrip())
        pieces.append(piece)
        if not last and sep.endswith(" "):
            pieces.append(" ")
    return fill(pieces, columns, indent)
