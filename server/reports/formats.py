"""A report as a file: CSV (UTF-8 with a byte-order mark, which Excel and WPS need to read the
Chinese names right), XLSX, JSON.

openpyxl is imported only when an XLSX is asked for: it costs the hub several MB of its 60 MB,
and most hubs never write one.
"""
from __future__ import annotations

import csv
import io
import json

from .query import RATINGS

FORMATS = ("json", "csv", "xlsx")
COLUMNS = ["key", "name", "name_en", "issued", "called", "served", "no_show", "cancelled",
           "transferred", "wait_avg_s", "wait_p90_s", "wait_max_s", "service_avg_s", "sla_pct",
           *(f"ratings_{r}" for r in RATINGS)]
LABELS_ZH = {
    "key": "键", "name": "名称", "name_en": "英文名称", "issued": "取号数", "called": "叫号数",
    "served": "办结数", "no_show": "过号数", "cancelled": "取消数", "transferred": "转办数",
    "wait_avg_s": "平均等候(秒)", "wait_p90_s": "90%等候(秒)", "wait_max_s": "最长等候(秒)",
    "service_avg_s": "平均办理(秒)", "sla_pct": "限时达标率(%)", "ratings_satisfied": "满意",
    "ratings_basic": "基本满意", "ratings_unsatisfied": "不满意",
}
MIMETYPES = {"json": "application/json",
             "csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def flat(row: dict) -> dict:
    """A ROW with its ratings as ratings_satisfied etc., every column present."""
    out = {c: row.get(c) for c in COLUMNS}
    for r in RATINGS:
        out[f"ratings_{r}"] = row["ratings"][r]
    return out


def rows_of(body: dict) -> list[dict]:
    """The report's rows, then its total (key `total`), flattened."""
    return [flat(r) for r in body["rows"]] + [flat(body["total"])]


def to_csv(body: dict) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for row in rows_of(body):
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def to_json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def to_xlsx(body: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"{body['by']} {body['from']}~{body['to']}"[:31]
    # Two header rows: the Chinese label a reader wants, the field name a script wants.
    sheet.append([LABELS_ZH[c] for c in COLUMNS])
    sheet.append(COLUMNS)
    bold = Font(bold=True)
    for cell in (*sheet[1], *sheet[2]):
        cell.font = bold
    for row in rows_of(body):
        sheet.append([row[c] for c in COLUMNS])  # numbers stay numbers, None an empty cell
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.freeze_panes = "C3"  # the header and the key/name columns stay in view
    for letter, width in (("A", 14), ("B", 24), ("C", 24)):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(body: dict, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(body)
    if fmt == "xlsx":
        return to_xlsx(body)
    if fmt == "json":
        return to_json(body)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def filename(body: dict, fmt: str) -> str:
    return f"report-{body['by']}-{body['from']}-{body['to']}.{fmt}"
