"""`hallcall config export` and `hallcall config import`: the database holds the hall, and the
TOML file is its copy, as the technician at the hub's Pi uses them."""
from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hallcall.cli import main
from hallcall.command import EXIT_CONFIG, EXIT_RUNTIME
from hallcall.server.config import load_config
from hallcall.server.config.dump import config_dict
from hallcall.server.store import Store
from hallcall.server.web.serialize import event_json


class Terminal(io.StringIO):
    """Standard input as a terminal that the user types `answer` into."""

    def isatty(self) -> bool:
        return True


def stored_versions(db_url: str) -> int:
    store = Store.open_existing(db_url, event_json)
    try:
        with store.read(load_config()) as tx:
            return tx.hall_version()
    finally:
        store.close()


def export(db_url: str, path: Path) -> Path:
    assert main(["config", "export", "--db", db_url, "-o", str(path)]) == 0
    return path


@pytest.fixture
def hub(make_hub):
    """The hub of the hall, running on the real clock (the commands run on it too) and
    following the file as a served hub does."""
    return make_hub(clock=None, follow=True)


def renamed(source: Path, target: Path) -> Path:
    """The exported hall with company-name renamed and a notice of its own."""
    text = source.read_text("utf-8").replace('"企业名称预先核准"', '"企业名称自主申报"')
    text = text.replace("[[notices]]", '[[notices]]\nzh = "今日系统升级"\nen = "System upgrade today"\n\n'
                        "[[notices]]", 1)
    target.write_text(text, "utf-8")
    return target


def test_export_writes_the_database_hall_which_check_config_accepts(hub, db_url, tmp_path, capsys):
    from hallcall.server.audit import Actor
    from hallcall.server.config import Text

    hub.set_notices([Text("只在数据库里", "Only in the database")], Actor("admin", "admin"))
    out = export(db_url, tmp_path / "backup.toml")
    assert f"wrote the hall (version 2) to {out}" in capsys.readouterr().err
    assert out.read_text("utf-8").startswith("# hallcall hall config, version 2:")

    assert main(["check-config", str(out)]) == 0
    assert "OK — 8 departments, 36 services, 44 windows" in capsys.readouterr().out
    # The database's hall, not the demo file's: the notice set live is in it.
    assert config_dict(load_config(out)) == config_dict(hub.config)
    assert "demo-kiosk" not in out.read_text("utf-8")  # tokens only as their SHA-256

    assert main(["config", "export", "--db", db_url]) == 0
    assert capsys.readouterr().out == out.read_text("utf-8")
    assert stored_versions(db_url) == 2  # reading made no version


def test_export_of_a_missing_database_creates_nothing(tmp_path, capsys):
    db = tmp_path / "var" / "hallcall.db"
    assert main(["config", "export", "--db", str(db)]) == EXIT_RUNTIME
    err = capsys.readouterr().err
    assert err.startswith(f"hallcall config export: no database at {db}")
    assert list(tmp_path.iterdir()) == []


def test_export_of_a_database_without_a_hall_says_so(db_url, tmp_path, capsys):
    store = Store(db_url, event_json)
    store.upgrade()  # the schema, and no hub has stored a hall yet
    store.close()
    assert main(["config", "export", "--db", db_url, "-o", str(tmp_path / "x.toml")]) == EXIT_RUNTIME
    assert "holds no hall yet" in capsys.readouterr().err
    assert not (tmp_path / "x.toml").exists()


def test_import_shows_the_difference_then_replaces_and_a_running_hub_follows(hub, db_url, tmp_path,
                                                                             capsys):
    new = renamed(export(db_url, tmp_path / "hall.toml"), tmp_path / "new.toml")
    capsys.readouterr()
    assert main(["config", "import", str(new), "--db", db_url, "--yes"]) == 0
    out = capsys.readouterr().out
    diff = [line for line in out.splitlines() if line[:1] in "+-"]
    assert diff == ["--- the database's hall (version 1)", f"+++ {new}",
                    '-name = { zh = "企业名称预先核准", en = "Company name pre-approval" }',
                    '+name = { zh = "企业名称自主申报", en = "Company name pre-approval" }',
                    '+zh = "今日系统升级"', '+en = "System upgrade today"', "+", "+[[notices]]"]
    assert "the hall is now version 2 (was 1)" in out

    # The hub running on the file heard hall.changed and runs the new hall, without a restart.
    deadline = time.monotonic() + 1.0
    while hub.config.version < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hub.config.version == 2
    assert hub.config.service("company-name").name.zh == "企业名称自主申报"
    assert hub.config.notices[0].en == "System upgrade today"
    entry = hub.audit_log()[-1]
    assert (entry.actor.kind, entry.actor.id, entry.action) == ("cli", "config import", "config.import")
    assert entry.after["changes"] == {"notices": "changed", "services": {"changed": ["company-name"]}}
    assert entry.after["file"] == str(new)


def test_import_keeps_the_rules_of_the_admin_api_and_changes_nothing_when_refused(hub, db_url,
                                                                                  tmp_path, capsys):
    """A file leaving out a service whose tickets wait would strand them: retiring it keeps them
    callable, as PUT /api/admin/config says too."""
    hub.issue("company-name")
    text = export(db_url, tmp_path / "hall.toml").read_text("utf-8")
    block = re.search(r'\[\[services\]\]\nid = "company-name"\n.*?\n\n', text, re.S).group(0)
    text = text.replace(block, "").replace('"company-name", ', "").replace(', "company-name"', "")
    without = tmp_path / "without.toml"
    without.write_text(text, "utf-8")
    assert main(["check-config", str(without)]) == 0  # a valid hall on its own
    capsys.readouterr()
    assert main(["config", "import", str(without), "--db", db_url, "--yes"]) == EXIT_RUNTIME
    err = capsys.readouterr().err
    assert "refused: 1 ticket(s) wait for service company-name" in err and "nothing was changed" in err
    assert stored_versions(db_url) == 1


def test_importing_the_same_hall_makes_no_version(hub, db_url, tmp_path, capsys):
    same = export(db_url, tmp_path / "hall.toml")
    capsys.readouterr()
    assert main(["config", "import", str(same), "--db", db_url]) == 0  # no --yes: nothing to ask
    assert "no difference: the database's hall (version 1)" in capsys.readouterr().out
    assert stored_versions(db_url) == 1


def test_import_without_a_terminal_and_without_yes_changes_nothing(hub, db_url, tmp_path, capsys,
                                                                   monkeypatch):
    new = renamed(export(db_url, tmp_path / "hall.toml"), tmp_path / "new.toml")
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # piped: not the user's answer
    capsys.readouterr()
    assert main(["config", "import", str(new), "--db", db_url]) == EXIT_CONFIG
    captured = capsys.readouterr()
    assert "+name = { zh = \"企业名称自主申报\"" in captured.out  # the difference is shown anyway
    assert "not at a terminal, and --yes not given: nothing was changed" in captured.err
    assert stored_versions(db_url) == 1


def test_import_at_a_terminal_asks_and_no_is_no(hub, db_url, tmp_path, capsys, monkeypatch):
    new = renamed(export(db_url, tmp_path / "hall.toml"), tmp_path / "new.toml")
    for answer in ("\n", "n\n", ""):  # Enter, no, Ctrl-D
        monkeypatch.setattr(sys, "stdin", Terminal(answer))
        capsys.readouterr()
        assert main(["config", "import", str(new), "--db", db_url]) == EXIT_RUNTIME
        captured = capsys.readouterr()
        assert captured.out.endswith(f"Replace the hall (version 1) with {new}? [y/N] ")
        assert "not replaced: nothing was changed" in captured.err
    assert stored_versions(db_url) == 1


def test_import_at_a_real_terminal_replaces_on_yes(hub, db_url, tmp_path):
    new = renamed(export(db_url, tmp_path / "hall.toml"), tmp_path / "new.toml")
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"y\n")  # typed ahead: the line waits in the terminal
        run = subprocess.run([sys.executable, "-m", "hallcall", "config", "import", str(new),
                              "--db", db_url], stdin=terminal, capture_output=True, text=True,
                             timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert run.returncode == 0, run.stderr
    assert f"Replace the hall (version 1) with {new}? [y/N] " in run.stdout
    assert "the hall is now version 2 (was 1)" in run.stdout
    assert stored_versions(db_url) == 2


def test_a_bad_file_is_told_as_check_config_tells_it_and_changes_nothing(hub, db_url, tmp_path,
                                                                         capsys):
    bad = export(db_url, tmp_path / "hall.toml")
    bad.write_text(bad.read_text("utf-8").replace('prefix = "A"', 'prefix = "a1"', 1), "utf-8")
    capsys.readouterr()
    assert main(["check-config", str(bad)]) == EXIT_CONFIG
    told = capsys.readouterr().err.split(": ", 1)[1]
    assert "services[0].prefix" in told
    assert main(["config", "import", str(bad), "--db", db_url, "--yes"]) == EXIT_CONFIG
    captured = capsys.readouterr()
    assert captured.err == f"hallcall config import: {told}" and captured.out == ""
    assert stored_versions(db_url) == 1


def test_import_into_a_missing_database_creates_nothing(tmp_path, capsys):
    db = tmp_path / "var" / "hallcall.db"
    file = tmp_path / "hall.toml"
    file.write_text(Path(load_config().source).read_text("utf-8"), "utf-8")
    assert main(["config", "import", str(file), "--db", str(db), "--yes"]) == EXIT_RUNTIME
    assert f"no database at {db}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.toml"]


def test_a_device_token_in_the_file_is_stored_only_hashed(hub, db_url, tmp_path, capsys):
    new = export(db_url, tmp_path / "hall.toml")
    token = "kiosk-2-own-token-" + "x7Gq" * 6
    new.write_text(new.read_text("utf-8") + f'\n[[devices]]\nid = "kiosk-2"\nrole = "kiosk"\n'
                   f'token = "{token}"\n', "utf-8")
    assert main(["config", "import", str(new), "--db", db_url, "--yes"]) == 0
    assert capsys.readouterr().out.count("+token_sha256 = ") == 1
    db_files = [p for p in tmp_path.iterdir() if p.name.startswith("hall.db") and p.is_file()]
    assert not any(token.encode() in p.read_bytes() for p in db_files)
    deadline = time.monotonic() + 1.0
    while hub.config.device("kiosk-2") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hub.config.device_by_token(token).id == "kiosk-2"  # the kiosk is let in by it


def test_config_without_a_subcommand_is_a_usage_mistake(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["config"])
    assert exited.value.code == 2
    assert re.search(r"required: \{export,import\}", capsys.readouterr().err)
