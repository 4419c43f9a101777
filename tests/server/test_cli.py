"""The hallcall command's batch subcommands, run as a staff member would."""
from __future__ import annotations

import csv
import errno
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BUTTONS, KIOSK

from hallcall.cli import main
from hallcall.command import EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_RUNTIME


def hallcall(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hallcall", *args], capture_output=True,
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

    real_import = builtins.__import__

    def no_gpiozero(name, *args, **kwargs):
        if name.split(".")[0] == "gpiozero":
            raise ModuleNotFoundError("No module named 'gpiozero'", name="gpiozero")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gpiozero)
    assert main(["buttons", "--token", "buttons-token", "--hub", "http://127.0.0.1:1"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "gpiozero" in err and "hallcall[buttons]" in err


# -- failing in one line ---------------------------------------------------------------------------
# Every command that fails ends with one line on standard error, `hallcall <command>: …`, and a
# non-zero status: 2 for a mistake in the command line, 1 for one at run time (hallcall/cli.py).


def hallcall_in(folder, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hallcall", *args], capture_output=True,
                          text=True, timeout=60, cwd=folder)


def one_line(stderr: str, command: str) -> str:
    """The line a failing command told its user, after checking it is all it told."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if " INFO " not in line]  # alembic, on a new db
    assert len(lines) == 1 and lines[0].startswith(f"hallcall {command}: "), stderr
    return lines[0]


def migrated(path: Path) -> Path:
    assert main(["migrate", "--db", str(path)]) == 0
    return path


def schema_revision(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT version_num FROM alembic_version").fetchone()[0]


@pytest.mark.slow
def test_serve_on_a_port_in_use_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = hallcall_in(tmp_path, "serve", "--db", str(tmp_path / "hall.db"), "--port", str(port))
    assert run.returncode == EXIT_RUNTIME
    assert one_line(run.stderr, "serve") == (
        f"hallcall serve: port {port} on 127.0.0.1 is already in use (another hub running?)")
    assert "serving" not in run.stdout


@pytest.mark.slow
def test_serve_tells_its_migrate_childs_failure_once_in_its_own_name(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    run = hallcall_in(tmp_path, "serve", "--db", str(tmp_path / "notes.txt" / "hall.db"))
    assert run.returncode == EXIT_RUNTIME
    assert one_line(run.stderr, "serve") == (
        f"hallcall serve: cannot make the database's folder {tmp_path}/notes.txt: a file is in the way")


@pytest.mark.parametrize("code, words", [
    (errno.EACCES, "port 80 on 0.0.0.0 is not allowed for this user"),
    (errno.EADDRNOTAVAIL, "0.0.0.0 is not an address of this computer"),
])
def test_a_port_refused_for_another_reason_says_which(code, words):
    from hallcall.server.wsgi import CannotListen

    assert str(CannotListen("0.0.0.0", 80, OSError(code, os.strerror(code)))).startswith(words)


@pytest.mark.parametrize("args, words", [
    (["--port", "70000"], "invalid port number value: '70000'"),
    (["--threads", "0"], "invalid positive number value: '0'"),
    (["--workers", "0"], "--workers: must be a whole number from 1 to 16, not '0'"),
    (["--workers", "17"], "--workers: must be a whole number from 1 to 16, not '17'"),
])
def test_serve_refuses_impossible_numbers_as_a_usage_mistake(args, words, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["serve", *args])
    assert stop.value.code == EXIT_CONFIG and words in capsys.readouterr().err


def test_workers_on_a_database_in_memory_are_refused(capsys):
    assert main(["serve", "--db", "sqlite://", "--workers", "2"]) == EXIT_CONFIG
    assert "--workers needs a database file" in capsys.readouterr().err


@pytest.mark.slow
def test_stats_into_a_pipe_its_reader_closed_ends_quietly(tmp_path):
    """`hallcall stats | head -1`. Tested with the reader gone before stats writes: with a real
    `head -1` the outcome is a race, as the whole CSV (a few KB) fits in the pipe at once and head
    may have read it all before it exits. Status 1, as in the recipe of Python's documentation."""
    db = migrated(tmp_path / "hall.db")
    stats = subprocess.Popen([sys.executable, "-m", "hallcall", "stats", "--db", str(db)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stats.stdout.close()  # the only reader: every write to the pipe now fails with EPIPE
    _, err = stats.communicate(timeout=60)
    assert stats.returncode == EXIT_RUNTIME
    assert err == b""  # not a traceback, not Python's "Exception ignored … BrokenPipeError"


@pytest.mark.slow
@pytest.mark.parametrize("command", [["stats"], ["close-day"], ["backup", "--to", "backups"]])
def test_a_command_on_a_missing_database_names_it_and_creates_nothing(tmp_path, command):
    """Run from another folder than the hub's: no empty var/hallcall.db made there, migrated,
    and read as a hall with no tickets."""
    if command[0] == "backup":  # backup has no default --db: the hub's as a technician types it
        command = [*command, "--db", "var/hallcall.db"]
    run = hallcall_in(tmp_path, *command)
    assert run.returncode == EXIT_RUNTIME
    line = one_line(run.stderr, command[0])
    assert str(tmp_path / "var" / "hallcall.db") in line, line
    assert list(tmp_path.iterdir()) == []
    assert run.stdout == ""


def test_stats_on_an_older_schema_asks_for_migrate_and_leaves_the_file_alone(tmp_path, capsys):
    db = migrated(tmp_path / "hall.db")
    with sqlite3.connect(db) as conn:  # as a hub of the previous release left it
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    capsys.readouterr()
    for command in ("stats", "close-day"):
        assert main([command, "--db", str(db)]) == EXIT_RUNTIME
        line = one_line(capsys.readouterr().err, command)
        assert str(db) in line and f"run `hallcall migrate --db {db}` first" in line
    assert schema_revision(db) == "0001"  # not migrated behind the user's back

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    assert main(["stats", "--db", str(db)]) == EXIT_RUNTIME
    assert "made by a newer hallcall" in one_line(capsys.readouterr().err, "stats")


@pytest.mark.parametrize("db, status, words", [
    ("mysql://hub@localhost/hall", EXIT_CONFIG, "mysql://hub@localhost/hall: the hub's database "
     "must be an SQLite file or a PostgreSQL URL (postgresql+psycopg://USER@HOST/DB)"),
    # No server there: one line naming it, its password left out.
    ("postgresql://hub:s3cret@127.0.0.1:1/hall", EXIT_RUNTIME, "cannot open the PostgreSQL "
     "database postgresql+psycopg://hub:***@127.0.0.1:1/hall: connection"),
    ("postgres://hub@127.0.0.1:1/hall", EXIT_RUNTIME, "cannot open the PostgreSQL database "
     "postgresql+psycopg://hub@127.0.0.1:1/hall: connection"),  # libpq's spelling, the same
    ("://", EXIT_CONFIG, "is neither a file path nor a database URL"),
    ("{tmp}/notes.txt", EXIT_RUNTIME, "the database {tmp}/notes.txt: it is not an SQLite database"),
    ("{tmp}/empty.db", EXIT_RUNTIME, "{tmp}/empty.db is empty: no hub has used it yet"),
    ("{tmp}/notes.txt/hall.db", EXIT_RUNTIME, "no database at {tmp}/notes.txt/hall.db"),
])
def test_stats_on_a_bad_db_says_what_is_wrong(tmp_path, capsys, db, status, words):
    (tmp_path / "notes.txt").write_text("not a database\n" * 200)
    (tmp_path / "empty.db").touch()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["stats", "--db", db.format(tmp=tmp_path)]) == status
    assert words.format(tmp=tmp_path) in one_line(capsys.readouterr().err, "stats")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_the_commands_run_on_postgresql(pg_server, pg_url, capsys, tmp_path):
    """migrate, stats, report and close-day on a PostgreSQL database, as on a file; a database
    not there, or not migrated, is named (without creating anything), and backup names pg_dump."""
    missing = pg_server.url_of("no_such_db")
    assert main(["stats", "--db", missing]) == EXIT_RUNTIME
    assert "no database 'no_such_db' on the PostgreSQL server" in one_line(capsys.readouterr().err, "stats")
    assert main(["stats", "--db", pg_url]) == EXIT_RUNTIME
    assert f"{pg_url} is empty: no hub has used it yet" in one_line(capsys.readouterr().err, "stats")
    assert main(["migrate", "--db", pg_url]) == 0
    assert main(["close-day", "--db", pg_url]) == 0
    assert "closed hall day" in capsys.readouterr().out
    assert main(["stats", "--db", pg_url]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert any(r["kind"] == "service" and r["id"] == "company-name" and r["issued"] == "0"
               for r in rows)
    assert main(["report", "--db", pg_url, "--from", "2026-11-01", "--to", "2026-11-30",
                 "--by", "day", "--format", "json"]) == 0
    assert capsys.readouterr().out.startswith("{")
    assert main(["backup", "--db", pg_url, "--to", str(tmp_path / "b")]) == EXIT_RUNTIME
    assert "pg_dump" in one_line(capsys.readouterr().err, "backup")
    assert not (tmp_path / "b").exists()


def test_migrate_under_a_file_says_the_folder_cannot_be_made(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    assert main(["migrate", "--db", str(tmp_path / "notes.txt" / "hall.db")]) == EXIT_RUNTIME
    assert one_line(capsys.readouterr().err, "migrate") == (
        f"hallcall migrate: cannot make the database's folder {tmp_path}/notes.txt: "
        "a file is in the way")


@pytest.fixture
def small_mount(tmp_path):
    """mount(options) -> a folder on a tiny tmpfs of its own (CI runs as root)."""
    mounted = []

    def mount(options: str) -> Path:
        path = tmp_path / f"mount-{len(mounted)}"
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"mounting a tmpfs needs root (CI runs as root): {done.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=True)


def test_commands_on_a_full_disk_say_so(small_mount, tmp_path, capsys):
    db = migrated(tmp_path / "hall.db")
    disk = small_mount("size=1m")  # a migrated database is some 200 KB (0007)
    hub_db = migrated(disk / "hub.db")
    with open(disk / "filler", "wb", buffering=0) as filler:  # every block taken
        with pytest.raises(OSError) as full:
            while True:
                filler.write(b"\xff" * 4096)
    assert full.value.errno == errno.ENOSPC
    capsys.readouterr()
    assert main(["migrate", "--db", str(disk / "hall.db")]) == EXIT_RUNTIME
    assert one_line(capsys.readouterr().err, "migrate") == (
        f"hallcall migrate: the database {disk}/hall.db: the disk is full")
    # SQLite meets the wall growing its -shm file: an I/O error, told as what it is.
    assert main(["close-day", "--db", str(hub_db)]) == EXIT_RUNTIME
    assert one_line(capsys.readouterr().err, "close-day") == (
        f"hallcall close-day: the database {hub_db}: the disk is full")
    out = disk / "stats.csv"
    assert main(["stats", "--db", str(db), "-o", str(out)]) == EXIT_RUNTIME
    assert one_line(capsys.readouterr().err, "stats") == (
        f"hallcall stats: cannot write {out}: No space left on device")
    assert not out.exists()  # no half a CSV that a spreadsheet would open without a word


def test_migrate_on_a_read_only_file_system_says_so(small_mount, capsys):
    disk = small_mount("ro,size=64k")  # what the kernel makes of an SD card after I/O errors
    assert main(["migrate", "--db", str(disk / "hall.db")]) == EXIT_RUNTIME
    assert one_line(capsys.readouterr().err, "migrate") == (
        f"hallcall migrate: the database {disk}/hall.db: cannot open it (its folder missing or "
        "not writable?)")
    assert main(["migrate", "--db", str(disk / "var" / "hall.db")]) == EXIT_RUNTIME
    assert one_line(capsys.readouterr().err, "migrate") == (
        f"hallcall migrate: cannot make the database's folder {disk}/var: Read-only file system")


def hub_command(name: str):
    from hallcall.server.commands import COMMANDS

    return next(command for command in COMMANDS if command.name == name)


def test_ctrl_c_is_one_line_and_status_130(monkeypatch, capsys):
    def interrupted(_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(hub_command("stats"), "run", interrupted)
    assert main(["stats"]) == EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "hallcall stats: interrupted\n"


def test_an_unexpected_error_is_one_line_and_its_traceback_is_for_verbose(monkeypatch, capsys,
                                                                          caplog):
    def broken(_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(hub_command("stats"), "run", broken)
    caplog.set_level("DEBUG", logger="hallcall")
    assert main(["stats"]) == EXIT_RUNTIME
    assert one_line(capsys.readouterr().err, "stats") == (
        "hallcall stats: unexpected error: RuntimeError: a bug; run it again with --verbose for "
        "the traceback")
    (record,) = [r for r in caplog.records if r.name == "hallcall"]
    assert record.levelname == "DEBUG" and record.exc_info[0] is RuntimeError
    caplog.clear()
    assert main(["stats", "--verbose"]) == EXIT_RUNTIME
    assert "--verbose for" not in capsys.readouterr().err


# -- quiet start-up -------------------------------------------------------------------------------

@pytest.mark.slow
def test_serve_logs_alembic_only_when_it_migrates(make_server, hub_db):
    first = make_server(db=hub_db).start()
    first.stop()
    assert first.log_text().count("Running upgrade") >= 2  # a new file: every migration runs
    second = make_server(db=hub_db).start()
    second.stop()
    log = second.log_text()
    assert "hallcall hub serving" in log
    assert "alembic" not in log, log


def test_the_hub_in_process_logs_no_alembic_on_an_up_to_date_file(tmp_path, caplog, make_hub):
    db = migrated(tmp_path / "hall.db")
    caplog.set_level("INFO")
    make_hub(db=str(db)).stop()
    assert not [r for r in caplog.records if r.name.startswith("alembic")]


# -- reading a live hub's file --------------------------------------------------------------------

@pytest.mark.slow
def test_stats_reads_a_running_hubs_database_without_disturbing_it(real_server, hub_db, tmp_path):
    kiosk = real_server.client("demo-kiosk")
    try:
        kiosk.issue("company-name")
        kiosk.issue("company-name")
        run = hallcall_in(tmp_path, "stats", "--db", str(hub_db))
        assert run.returncode == 0, run.stderr
        row = next(r for r in csv.DictReader(run.stdout.splitlines()) if r["id"] == "company-name")
        assert row["issued"] == "2"
        kiosk.issue("company-name")  # the hub writes on as before
    finally:
        kiosk.close()
    real_server.stop()
    run = hallcall_in(tmp_path, "stats", "--db", str(hub_db))
    row = next(r for r in csv.DictReader(run.stdout.splitlines()) if r["id"] == "company-name")
    assert row["issued"] == "3"
    # Read with the hub stopped, it leaves no -wal or -shm file behind (owned by whoever ran it,
    # they could keep the hub's own user from opening its database); -writer is the hub's own
    # lock file (store/writer_lock.py) and -nudge its processes' folder (server/nudge.py), which
    # a reader never makes.
    assert sorted(p.name for p in hub_db.parent.iterdir()
                  if p.name.startswith("hall.db")) == ["hall.db", "hall.db-nudge", "hall.db-writer"]


# -- one command, each package its own ------------------------------------------------------------

DEVICE_PACKAGES = ("kiosk", "display", "buttons", "printer", "demo")


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_the_hubs_commands_import_no_device_package():
    """The hub's process, up to serving: none of the devices' code (or their extras) comes in."""
    run = python("import sys; import hallcall.server.commands, hallcall.server.bootstrap, "
                 "hallcall.server.web, hallcall.server.wsgi; "
                 "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
                 "('gpiozero', 'pygame', 'escpos', 'PIL') or m.split('.')[:2] in "
                 f"[['hallcall', p] for p in {DEVICE_PACKAGES!r}])))")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_every_command_is_there_on_a_machine_without_the_device_extras():
    """A hub installed without pygame, gpiozero, python-escpos and Pillow: `hallcall` lists every
    command, and a device command names its own package's extra."""
    run = python("import sys\n"
                 "for name in ('pygame', 'gpiozero', 'escpos', 'PIL'): sys.modules[name] = None\n"
                 "from hallcall.cli import build_parser, main\n"
                 "print(' '.join(build_parser()._subparsers._group_actions[0].choices))\n"
                 "sys.exit(main(['print-test', '--printer', 'dummy:']))")
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert run.stdout.split() == ["serve", "migrate", "backup", "check-config", "config", "close-day",
                                  "stats", "export", "report", "hash-password", "simulate", "central",
                                  "print-test",
                                  "kiosk", "display", "buttons", "demo"]
    assert one_line(run.stderr, "print-test").endswith("pip install 'hallcall[printer]'")
