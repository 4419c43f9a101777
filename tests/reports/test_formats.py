"""The report files on their own: what a spreadsheet reads back from the CSV and the XLSX,
whatever the names hold."""
from __future__ import annotations

import csv
import io

from hallcall.server.reports.formats import COLUMNS, filename, render, to_csv, to_xlsx

RATINGS = {"satisfied": 2, "basic": 0, "unsatisfied": 1}


def a_body() -> dict:
    odd = {"key": "s&<1>", "name": '社保 & "医保" <窗口>', "name_en": "Pensions & <health>",
           "issued": 3, "called": 2, "served": 2, "no_show": 0, "cancelled": 1, "transferred": 0,
           "wait_avg_s": 95, "wait_p90_s": 130, "wait_max_s": 130, "service_avg_s": 300,
           "sla_pct": 50.0, "ratings": RATINGS}
    total = {**odd, "key": "total", "name": "合计", "name_en": "Total"}
    return {"from": "2026-11-01", "to": "2026-11-30", "by": "service", "rows": [odd], "total": total}


def test_names_with_markup_characters_read_back_as_written():
    from openpyxl import load_workbook

    body = a_body()
    sheet = load_workbook(io.BytesIO(to_xlsx(body))).active
    values = list(sheet.values)
    assert values[1] == tuple(COLUMNS)
    assert values[2][:3] == ("s&<1>", '社保 & "医保" <窗口>', "Pensions & <health>")
    assert values[2][3:] == (3, 2, 2, 0, 1, 0, 95, 130, 130, 300, 50, 2, 0, 1)
    assert sheet.title == "service 2026-11-01~2026-11-30"
    rows = list(csv.DictReader(io.StringIO(to_csv(body).decode("utf-8-sig"))))
    assert rows[0]["name"] == '社保 & "医保" <窗口>' and rows[1]["key"] == "total"


def test_null_figures_are_empty_cells_not_zeros():
    from openpyxl import load_workbook

    body = a_body()
    body["rows"][0].update(wait_avg_s=None, sla_pct=None, issued=None)
    sheet = load_workbook(io.BytesIO(render(body, "xlsx"))).active
    row = dict(zip(COLUMNS, list(sheet.values)[2], strict=True))
    assert (row["wait_avg_s"], row["sla_pct"], row["issued"]) == (None, None, None)
    assert (row["called"], row["no_show"]) == (2, 0)
    flat = next(csv.DictReader(io.StringIO(render(body, "csv").decode("utf-8-sig"))))
    assert (flat["wait_avg_s"], flat["sla_pct"], flat["no_show"]) == ("", "", "0")
    assert filename(body, "xlsx") == "report-service-2026-11-01-2026-11-30.xlsx"
