"""QR codes drawn by the hub as SVG, so a page or poster needs no network and no image library.

segno is pure Python (it installs on a Pi without a compiler) and is imported on first use: the
hub's RSS budget is tight and most processes never draw a code (segno costs ~0.5 MB once loaded).
Nothing is cached: a code takes well under a millisecond to draw, and each booking's is asked for
about once, while a cache of a few hundred codes would hold over a megabyte.
"""

from __future__ import annotations

from html import escape

DARK = "#000"
LIGHT = "#fff"
# Four modules of light margin is what the QR standard asks for; scanners fail on less.
QUIET_ZONE = 4


def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules, dark = True, without the quiet zone."""
    if not text:
        raise ValueError("a QR code needs some text")
    import segno

    # Level M at least (segno raises it when the version has room to spare); never a Micro QR
    # code, which most phone cameras and many USB scanners do not read.
    code = segno.make(text, error="m", micro=False)
    return tuple(tuple(bool(m) for m in row) for row in code.matrix)


def qr_svg(text: str, scale: int = 8, label: str | None = None) -> str:
    """An <svg> of the QR code for `text`: dark on light, quiet zone included, accessible.

    `scale` is the size of one module in CSS pixels (the SVG also has a viewBox, so CSS may
    resize it); `label` is what a screen reader says (the text itself by default).
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError("scale must be a positive integer")
    matrix = qr_matrix(text)
    size = len(matrix) + 2 * QUIET_ZONE
    # One rectangle per horizontal run of dark modules keeps the SVG small (a 6-digit code is
    # well under 2 kB) and renders without hairline seams between modules.
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h-{x - start}z")
    name = escape(label if label is not None else text, quote=True)
    px = size * scale
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{px}" '
        f'height="{px}" role="img" aria-label="{name}" shape-rendering="crispEdges">'
        f"<title>{name}</title>"
        f'<rect width="{size}" height="{size}" fill="{LIGHT}"/>'
        f'<path fill="{DARK}" d="{"".join(runs)}"/>'
        "</svg>"
    )
