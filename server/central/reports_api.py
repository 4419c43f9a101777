"""GET /api/central/reports (filled in by the reports adapter)."""
from __future__ import annotations

from ..web.errors import ApiError


def get_reports():
    raise ApiError(404, "not_found", "reports are not built yet", "报表尚未实现")
