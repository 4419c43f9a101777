"""A report as a file: CSV (UTF-8 with a byte-order mark, which Excel and WPS need to read the
Chinese names right), XLSX, JSON.

The XLSX is written here with the standard library (zipfile, one sheet of inline strings and
numbers, two styles): importing openpyxl took 18 MB of the hub's memory (measured: 51 -> 69 MB
RSS), and the hub's budget is 60 MB, never above 80. A report is a few hundred cells at most,
so nothing more of the format is needed. The tests read every file back with openpyxl.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from xml.sax.saxutils import escape

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


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
# Style 0: the default font; style 1: bold (the headers and the total).
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
_WIDTHS = {1: 14, 2: 24, 3: 24}  # key, name, name_en; the figures keep the default


def _column(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _cell(ref: str, value, bold: bool) -> str:
    style = ' s="1"' if bold else ""
    if value is None:
        return f'<c r="{ref}"{style}/>' if bold else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f'<c r="{ref}"{style} t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
    return f'<c r="{ref}"{style}><v>{value!r}</v></c>'  # a number stays a number


def _sheet(table: list[list], bold_rows: set[int]) -> str:
    rows = []
    for i, values in enumerate(table, 1):
        cells = "".join(_cell(f"{_column(j)}{i}", v, i in bold_rows) for j, v in enumerate(values, 1))
        rows.append(f'<row r="{i}">{cells}</row>')
    cols = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in _WIDTHS.items())
    # Frozen: the two header rows and the key and name columns stay in view.
    view = ('<sheetViews><sheetView workbookViewId="0"><pane xSplit="2" ySplit="2" topLeftCell="C3" '
            'activePane="bottomRight" state="frozen"/></sheetView></sheetViews>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'{view}<cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData></worksheet>')


def to_xlsx(body: dict) -> bytes:
    # Two header rows: the Chinese label a reader wants, the field name a script wants.
    table = [[LABELS_ZH[c] for c in COLUMNS], list(COLUMNS)]
    table += [[row[c] for c in COLUMNS] for row in rows_of(body)]
    name = escape(f"{body['by']} {body['from']}~{body['to']}"[:31], {'"': "&quot;"})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=name))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        book.writestr("xl/worksheets/sheet1.xml", _sheet(table, {1, 2, len(table)}))
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
