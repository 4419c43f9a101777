"""`hallcall report`: the same report as GET /api/reports, as CSV, JSON or XLSX, read from a
database it never creates or changes."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
from reports.support import DAY1, at

from hallcall.cli import main
from hallcall.server.audit import Actor
from hallcall.server.reports import report

W1 = Actor("staff", "w1")


def command_line(*args) -> subprocess.CompletedProcess:
    """`python -m hallcall ARGS`, a process of its own."""
    return subprocess.run([sys.executable, "-m", "hallcall", *args], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def hallcall(capsys):
    """hallcall(*ARGS) -> what `hallcall ARGS` answered (returncode, stdout, stderr), run in
    this process (its own process is tested once, in the first test: ~1 s a start)."""
    def run(*args) -> SimpleNamespace:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's refusal of the command line
            code = exc.code
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


@pytest.fixture
def stored_day(make_hub, clock):
    """A day of the demo hall, written and the hub stopped: A001 waits 3 minutes and is
    served by w1 (satisfied), A002 waits 9 and is a no-show, A003 is never called."""
    hub = make_hub()
    at(clock, DAY1, "09:00")
    for _ in range(3):
        hub.issue("company-name")
    for when, action, kw in [("09:03", "call", {"number": "A001"}),
                             ("09:08", "finish", {"rating": "satisfied"}),
                             ("09:09", "call", {"number": "A002"}), ("09:12", "no-show", {})]:
        at(clock, DAY1, when)
        hub.act("1", action, actor=W1, **kw)
    expected = {by: report(hub, DAY1, DAY1, by) for by in ("service", "window")}
    hub.stop()
    return expected


def test_csv_and_json_to_standard_output_or_a_file(stored_day, db_url, tmp_path, hallcall):
    run = command_line("report", "--db", db_url, "--from", DAY1, "--to", DAY1, "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == stored_day["service"]
    out = tmp_path / "r.json"
    run = hallcall("report", "--db", db_url, "--from", DAY1, "--to", DAY1, "--by", "window",
                   "--format", "json", "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text("utf-8")) == stored_day["window"]

    run = hallcall("report", "--db", db_url, "--from", DAY1, "--to", DAY1)  # csv by service
    assert run.returncode == 0, run.stderr
    assert not run.stdout.startswith("\ufeff")  # the BOM only in a file, for spreadsheets
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [(r["key"], r["issued"], r["called"], r["served"], r["no_show"], r["wait_max_s"])
            for r in rows] == [("company-name", "3", "2", "1", "1", "540"),
                               ("total", "3", "2", "1", "1", "540")]
    out = tmp_path / "r.csv"
    run = hallcall("report", "--db", db_url, "--from", DAY1, "--to", DAY1, "--by", "window", "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert [(r["key"], r["name"], r["issued"], r["ratings_satisfied"]) for r in rows] == [
        ("1", "1号窗口", "", "1"), ("total", "合计", "", "1")]


def test_xlsx_only_to_a_file(stored_day, db_url, tmp_path, hallcall):
    from openpyxl import load_workbook

    run = hallcall("report", "--db", db_url, "--from", DAY1, "--to", DAY1, "--format", "xlsx")
    assert run.returncode != 0 and "-o FILE" in run.stderr and run.stdout == ""
    out = tmp_path / "r.xlsx"
    run = hallcall("report", "--db", db_url, "--from", DAY1, "--to", DAY1, "--by", "day",
                   "--format", "xlsx", "-o", str(out))
    assert run.returncode == 0, run.stderr
    values = list(load_workbook(out).active.values)
    assert values[1][:2] == ("key", "name")
    assert [v[0] for v in values[2:]] == [DAY1, "total"]
    assert values[2][3:5] == (3, 2)  # issued, called: numbers


def test_a_missing_database_is_refused_and_not_created(tmp_path, hallcall):
    missing = tmp_path / "none.db"
    run = hallcall("report", "--db", str(missing), "--from", DAY1, "--to", DAY1)
    assert run.returncode != 0 and not missing.exists()
    assert "no database" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(("args", "told"), [
    (["--from", "2026-11-27", "--to", DAY1], "from must not be after to"),
    (["--from", DAY1, "--to", DAY1, "--by", "month"], "invalid choice"),
    (["--from", DAY1, "--to", DAY1, "--format", "pdf"], "invalid choice"),
])
def test_bad_arguments_are_told(tmp_path, args, told, hallcall):
    run = hallcall("report", "--db", str(tmp_path / "none.db"), *args)
    assert run.returncode != 0 and told in run.stderr and "Traceback" not in run.stderr
