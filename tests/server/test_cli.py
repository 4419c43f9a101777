"""The hallcall command's batch subcommands, run as a staff member would."""
from __future__ import annotations

import csv
import subprocess
import sys

from helpers import BUTTONS, KIOSK


def hallcall(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True,
                          text=True, timeout=60)


def test_close_day_and_stats_csv(make_app, db_url, tmp_path):
    app = make_app(CLOCK=None)  # the real clock: the CLI runs on it too
    c = app.test_client()
    for _ in range(3):
        c.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    c.post("/api/windows/1/call-next", headers=BUTTONS)
    c.post("/api/windows/1/finish", json={"rating": "basic"}, headers=BUTTONS)
    app.config["HUB"].stop()

    out = tmp_path / "stats.csv"
    run = hallcall("stats", "--db", db_url, "-o", str(out))
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    row = next(r for r in rows if r["kind"] == "service" and r["id"] == "company-name")
    assert (row["issued"], row["served"], row["waiting"], row["rating_basic"]) == ("3", "1", "2", "1")
    assert row["name_zh"] == "企业名称预先核准"
    assert any(r["kind"] == "window" and r["id"] == "44" for r in rows)

    run = hallcall("close-day", "--db", db_url)
    assert run.returncode == 0, run.stderr
    assert "2 waiting ticket(s) cancelled; 0 ticket(s) called or being served stay" in run.stdout
    run = hallcall("stats", "--db", db_url)
    row = next(r for r in csv.DictReader(run.stdout.splitlines()) if r["id"] == "company-name")
    assert (row["waiting"], row["cancelled"], row["issued"]) == ("0", "2", "3")


def test_stats_rejects_a_bad_date():
    run = hallcall("stats", "--date", "yesterday")
    assert run.returncode == 2 and "invalid" in run.stderr


def test_a_device_command_without_its_extra_says_what_to_install(monkeypatch, capsys):
    """A keys Pi installed without gpiozero: one line naming the extra, not a traceback."""
    import builtins

    from server.cli import EXIT_CONFIG, main

    real_import = builtins.__import__

    def no_gpiozero(name, *args, **kwargs):
        if name.split(".")[0] == "gpiozero":
            raise ModuleNotFoundError("No module named 'gpiozero'", name="gpiozero")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gpiozero)
    assert main(["buttons", "--token", "buttons-token", "--hub", "http://127.0.0.1:1"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "gpiozero" in err and "hallcall[buttons]" in err
