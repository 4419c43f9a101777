"""Reading back what a screen or a printed ticket shows, with tesseract (Debian's tesseract-ocr
and tesseract-ocr-chi-sim; .ci/run installs them). Tests that need it skip without it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract-ocr is not installed")


def read_png(path: Path, lang: str = "chi_sim+eng", psm: int = 6) -> str:
    """The text tesseract finds in an image file, without spaces (it spaces CJK at random)."""
    run = subprocess.run(["tesseract", str(path), "-", "-l", lang, "--psm", str(psm)],
                         capture_output=True, text=True, timeout=60)
    if run.returncode != 0 and "Failed loading language" in run.stderr:
        pytest.skip(f"tesseract has no {lang} data")
    return run.stdout.replace(" ", "")


def read_region(surface, rect, path: Path, max_height: int = 260, **kw) -> str:
    """OCR of a region of a pygame surface. Very large glyphs read worse than moderate ones, so
    the region is scaled to at most `max_height` pixels high (saved at `path` to look at)."""
    import pygame

    region = surface.subsurface(rect).copy()
    if rect.height > max_height:
        region = pygame.transform.smoothscale(
            region, (rect.width * max_height // rect.height, max_height))
    pygame.image.save(region, str(path))
    return read_png(path, **kw)
