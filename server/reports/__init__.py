"""Reports over a range of hall days (API.md "Reports"): the figures aggregated in SQL
(query.py), named and ordered as the hall config has them (report.py), written as CSV, XLSX or
JSON (formats.py)."""
from .query import BY, RATINGS
from .report import rated, report, unsatisfied

__all__ = ["BY", "RATINGS", "rated", "report", "unsatisfied"]
