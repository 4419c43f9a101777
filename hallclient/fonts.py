"""Finding a font with the Simplified Chinese glyph forms, for every device that draws text.

Noto Sans CJK ships all regions in one .ttc file and its first face is the Japanese variant, whose
glyphs differ from what a Chinese reader expects (docs/design.md); the Simplified Chinese face is
index 2. WenQuanYi Zen Hei, a common alternative on Raspberry Pi OS, is Simplified Chinese at 0.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# (file name, face index of Simplified Chinese), best first; looked up in FONT_DIRS.
CANDIDATES = {
    "regular": [("NotoSansCJK-Regular.ttc", 2), ("NotoSansCJKsc-Regular.otf", 0),
                ("wqy-zenhei.ttc", 0), ("wqy-microhei.ttc", 0), ("DroidSansFallbackFull.ttf", 0)],
    "bold": [("NotoSansCJK-Bold.ttc", 2), ("NotoSansCJKsc-Bold.otf", 0),
             ("wqy-zenhei.ttc", 0), ("wqy-microhei.ttc", 0), ("DroidSansFallbackFull.ttf", 0)],
}
FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts")]


class FontNotFound(Exception):
    pass


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # the face within a .ttc collection


def _index_font_files() -> dict[str, str]:
    found: dict[str, str] = {}
    for root in FONT_DIRS:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                found.setdefault(name, os.path.join(dirpath, name))
    return found


_cache: dict[str, FontFace] = {}


def cjk_font(weight: str = "regular") -> FontFace:
    """The best Simplified Chinese font installed; HALLCALL_FONT=path[:index] overrides."""
    override = os.environ.get("HALLCALL_FONT")
    if override:
        path, _, index = override.partition(":")
        if not Path(path).is_file():
            raise FontNotFound(f"HALLCALL_FONT names {path!r}, which is not a file")
        return FontFace(path, int(index or 0))
    if weight not in _cache:
        files = _index_font_files()
        for name, index in CANDIDATES[weight]:
            if name in files:
                _cache[weight] = FontFace(files[name], index)
                break
        else:
            raise FontNotFound("no Chinese font found: install fonts-noto-cjk "
                               "(apt-get install fonts-noto-cjk) or fonts-wqy-zenhei")
    return _cache[weight]
