"""Wrapping by display columns: full-width (CJK) characters take two, and Chinese text has no
spaces to break at, so a line may break between any two CJK characters."""
from __future__ import annotations

import unicodedata

# Punctuation that must not start a line (禁则): it stays with the character before it.
NO_LINE_START = set("，。、；：？！）》」』】〉…—,.;:?!)]}%")


def char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def _tokens(text: str) -> list[str]:
    """Latin words stay whole; every CJK character is its own token."""
    out, word = [], ""
    for ch in text:
        if char_width(ch) == 2 or ch == " ":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap(text: str, columns: int, indent: int = 0) -> list[str]:
    """Lines of at most `columns`; continuation lines get `indent` spaces (a hanging indent)."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        limit = columns - (indent if lines else 0)
        if width(line) + width(token) <= limit:
            line += token
            continue
        if token == " ":
            continue
        if token[0] in NO_LINE_START and len(line.strip()) > 1:
            # Pull the last character down with the punctuation rather than start with it.
            token, line = line[-1] + token, line[:-1]
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        while width(token) > columns - indent:  # a word longer than a line: hard break
            cut, taken = 0, 0
            for i, ch in enumerate(token):
                if taken + char_width(ch) > columns - indent:
                    break
                taken += char_width(ch)
                cut = i + 1
            lines.append(token[:cut])
            token = token[cut:]
        line = token.lstrip()
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return [lines[0]] + [" " * indent + ln for ln in lines[1:]]
