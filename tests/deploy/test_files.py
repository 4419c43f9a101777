"""The files deploy/ installs are valid for the tools that read them: shellcheck on every shell
script, systemd-analyze verify on every unit, udev's rule syntax, and the units' promises
(restart for ever, the journal, no root, the settings file)."""
from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_support import DEPLOY

VENV_HALLCALL = "/opt/hallcall/venv/bin/hallcall"
SYSTEM_UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))
USER_UNITS = sorted((DEPLOY / "systemd/user").glob("*.service"))


def tool(name: str) -> str:
    """The path of a tool the test needs. CI installs it (.ci/run): missing there is a failure;
    missing on a developer's machine, a skip that says what to install."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing: .ci/run must install it")
    package = {"systemd-analyze": "systemd"}.get(name, name)
    pytest.skip(f"{name} is not installed here (apt-get install {package})")


def shell_scripts() -> list[Path]:
    """Every file in deploy/ that is a shell script: *.sh, or a #! line naming sh or bash."""
    def is_shell(path: Path) -> bool:
        first = path.read_bytes().split(b"\n", 1)[0]
        return path.suffix == ".sh" or re.match(rb"#!\S*(/|env )(ba)?sh\b", first) is not None
    return [p for p in sorted(DEPLOY.rglob("*")) if p.is_file() and is_shell(p)]


def test_every_shell_script_passes_shellcheck():
    scripts = shell_scripts()
    names = {p.relative_to(DEPLOY).as_posix() for p in scripts}
    assert {"install.sh", "upgrade.sh", "lib.sh", "desktop/hallcall-desktop"} <= names
    run = subprocess.run([tool("shellcheck"), "--external-sources", *map(str, scripts)],
                         capture_output=True, text=True, cwd="/")
    assert run.returncode == 0, run.stdout + run.stderr


def rendered(units: list[Path], tmp_path: Path) -> list[Path]:
    """The units with the venv's hallcall replaced by an executable that exists here (verify
    checks every Exec path), in a folder of their own."""
    fake = tmp_path / "bin" / "hallcall"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    out = tmp_path / "units"
    out.mkdir()
    paths = []
    for unit in units:
        text = unit.read_text()
        assert VENV_HALLCALL in text, unit  # so the replacement below is the only change
        (out / unit.name).write_text(text.replace(VENV_HALLCALL, str(fake)))
        paths.append(out / unit.name)
    return paths


def verify(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([tool("systemd-analyze"), *args], capture_output=True, text=True,
                          env={**os.environ, "SYSTEMD_LOG_COLOR": "0", **(env or {})})


def test_system_units_pass_systemd_analyze_verify(tmp_path):
    names = {u.name for u in SYSTEM_UNITS}
    assert names == {f"hallcall-{r}.service" for r in ("hub", "kiosk", "display", "buttons", "backup",
                                                       "central")} | {
        "hallcall-backup.timer"}
    timer = DEPLOY / "systemd/hallcall-backup.timer"
    units = rendered([u for u in SYSTEM_UNITS if u != timer], tmp_path)
    shutil.copy(timer, tmp_path / "units" / timer.name)
    run = verify(["verify", *map(str, units), str(tmp_path / "units" / timer.name)])
    # verify exits 0 on unknown keys and bad values, only warning: any message is a failure.
    assert run.returncode == 0 and run.stderr.strip() == "" and run.stdout.strip() == "", run.stderr


def test_verify_would_catch_a_mistake(tmp_path):
    """The check above is real: the same verify reports a unit with a typo."""
    unit = DEPLOY / "systemd/hallcall-hub.service"
    bad = tmp_path / "hallcall-hub.service"
    bad.write_text(unit.read_text().replace("Restart=always", "Restart=alwyas")
                   .replace(VENV_HALLCALL, "/nonexistent/hallcall"))
    run = verify(["verify", str(bad)])
    assert "alwyas" in run.stderr and "/nonexistent/hallcall" in run.stderr and run.returncode != 0


def test_desktop_user_units_pass_systemd_analyze_verify(tmp_path):
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    units = rendered(USER_UNITS, tmp_path)
    run = verify(["--user", "verify", *map(str, units)], {"XDG_RUNTIME_DIR": str(runtime)})
    assert run.returncode == 0 and run.stderr.strip() == "", run.stderr


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None,
                                       empty_lines_in_values=False)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


@pytest.mark.parametrize("name", ["hub", "kiosk", "display", "buttons", "central"])
def test_each_role_runs_for_ever_unprivileged_and_logs_to_the_journal(name):
    u = unit(DEPLOY / f"systemd/hallcall-{name}.service")
    s = u["Service"]
    assert s["User"] == "hallcall" and s["Restart"] == "always"
    assert u["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up after a burst of failures
    assert "network-online.target" in u["Unit"]["After"] and u["Unit"]["Wants"] == "network-online.target"
    assert s["StandardOutput"] == s["StandardError"] == "journal"
    assert s["EnvironmentFile"] == "/etc/hallcall/hallcall.env"
    assert s["NoNewPrivileges"] == "yes" and s["ProtectSystem"] == "strict"
    assert s["CapabilityBoundingSet"] == ""
    assert s["KillSignal"] == "SIGTERM" and s["RestartPreventExitStatus"] == "2"
    assert u["Install"]["WantedBy"] == "multi-user.target"
    # Tokens come from the environment file, never the command line (ps shows it to everyone).
    assert "--token" not in s["ExecStart"]


def test_units_reach_their_devices():
    hub = unit(DEPLOY / "systemd/hallcall-hub.service")["Service"]
    buttons = unit(DEPLOY / "systemd/hallcall-buttons.service")["Service"]
    for s in (hub, buttons):
        # GPIO chips only; lgpio's notification pipes need a writable working directory.
        assert s["DevicePolicy"] == "closed" and s["DeviceAllow"] == "char-gpiochip rw"
        assert s["WorkingDirectory"] == f"/run/{s['RuntimeDirectory']}"
    for name in ("kiosk", "display"):
        s = unit(DEPLOY / f"systemd/hallcall-{name}.service")["Service"]
        assert "DevicePolicy" not in s and "PrivateDevices" not in s  # screen, touch, printer, sound
        assert "AF_NETLINK" in s["RestrictAddressFamilies"]  # udev events for SDL and libusb
        assert s["TTYPath"] == "/dev/tty1" and s["StandardInput"] == "tty"
        assert s["CacheDirectory"] == "hallcall" and "XDG_CACHE_HOME=/var/cache/hallcall" in s["Environment"]
    backup = unit(DEPLOY / "systemd/hallcall-backup.service")["Service"]
    assert backup["Type"] == "oneshot" and backup["User"] == "hallcall"
    assert backup["PrivateNetwork"] == "yes" and backup["ReadWritePaths"] == "-/var/backups/hallcall"
    timer = unit(DEPLOY / "systemd/hallcall-backup.timer")["Timer"]
    assert timer["Persistent"] == "true" and timer["OnCalendar"] == "*-*-* 02:30:00"


def test_unit_command_lines_parse_with_the_cli(monkeypatch):
    """The options the units pass exist: parse each ExecStart with the real parser."""
    from hallcall.cli import build_parser

    env = {"HALLCALL_LISTEN": "0.0.0.0", "HALLCALL_PORT": "8080", "HALLCALL_HUB_ARGS": "--buttons",
           "HALLCALL_HUB_URL": "http://10.0.0.2:8080", "HALLCALL_PRINTER": "usb://04b8:0202",
           "HALLCALL_KIOSK_ARGS": "--printer-mode text --paper 80",
           "HALLCALL_DISPLAY_ARGS": "--window 3 --announce --size 1920x1080",
           "HALLCALL_BUTTONS_ARGS": "", "HALLCALL_BACKUP_KEEP_DAYS": "7",
           "HALLCALL_CENTRAL_LISTEN": "0.0.0.0", "HALLCALL_CENTRAL_PORT": "8090"}

    def expand(line: str) -> list[str]:
        words = []
        for word in line.split():
            if word.startswith("${"):
                words.append(env[word[2:-1]])  # ${X}: one word
            elif word.startswith("$"):
                words.extend(env[word[1:]].split())  # $X: split at spaces
            else:
                words.append(word)
        return words

    monkeypatch.setenv("HALLCALL_BUTTONS_TOKEN", "from-the-environment")  # as the unit has it
    parser = build_parser()
    for path in [*SYSTEM_UNITS, *USER_UNITS]:
        if path.suffix != ".service":
            continue
        for key in ("ExecStartPre", "ExecStart"):
            line = unit(path)["Service"].get(key)
            if line:
                argv = expand(line)
                assert argv[0] == VENV_HALLCALL
                args = parser.parse_args(argv[1:])
                assert args.command in {"serve", "kiosk", "display", "buttons", "backup", "check-config",
                                        "central"}


def test_tokens_come_from_the_environment(monkeypatch):
    from hallcall.cli import build_parser

    monkeypatch.setenv("HALLCALL_KIOSK_TOKEN", "kiosk-secret")
    monkeypatch.setenv("HALLCALL_BUTTONS_TOKEN", "buttons-secret")
    parser = build_parser()
    assert parser.parse_args(["kiosk"]).token == "kiosk-secret"
    assert parser.parse_args(["buttons"]).token == "buttons-secret"
    assert parser.parse_args(["buttons", "--token", "given"]).token == "given"
    # The central's database URL (it may hold a password) is read from the environment by the
    # command itself, so its unit passes no --db.
    assert parser.parse_args(["central"]).db is None
    assert "--db" not in unit(DEPLOY / "systemd/hallcall-central.service")["Service"]["ExecStart"]
    monkeypatch.delenv("HALLCALL_KIOSK_TOKEN")
    monkeypatch.delenv("HALLCALL_BUTTONS_TOKEN")
    parser = build_parser()
    assert parser.parse_args(["kiosk"]).token == "demo-kiosk"
    with pytest.raises(SystemExit):
        parser.parse_args(["buttons"])  # still required when the environment has none


# udev's rule grammar: KEY or KEY{attr}, an operator, a double-quoted value; comma-separated.
UDEV_PAIR = re.compile(r'\s*[A-Z_]+(\{[A-Za-z0-9_]+\})?\s*(==|!=|\+=|-=|:=|=)\s*"[^"]*"\s*')


def test_udev_rule_syntax():
    rules = DEPLOY / "udev/60-hallcall-printers.rules"
    lines = [line for line in rules.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        for pair in line.split(","):
            assert UDEV_PAIR.fullmatch(pair), f"not a udev key/value pair: {pair!r} in {line!r}"
    text = rules.read_text()
    assert 'ENV{ID_USB_INTERFACES}=="*:0701??:*", GROUP="lp", MODE="0660"' in text  # printer class
    labels = re.findall(r'GOTO="([^"]+)"', text)
    assert labels and all(f'LABEL="{label}"' in text for label in labels)


def test_udev_rule_passes_udevadm_verify():
    udevadm = shutil.which("udevadm")
    probe = udevadm and subprocess.run([udevadm, "verify", "--help"], capture_output=True, text=True)
    if not probe or probe.returncode != 0:
        pytest.skip("udevadm verify comes with systemd 254 (Trixie); this is older")
    run = subprocess.run([udevadm, "verify", str(DEPLOY / "udev/60-hallcall-printers.rules")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("role", ["kiosk", "display"])
def test_autostart_entries_start_the_user_service(role):
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(DEPLOY / f"desktop/hallcall-{role}.desktop")
    e = entry["Desktop Entry"]
    assert e["Type"] == "Application" and e["Exec"] == f"/opt/hallcall/bin/hallcall-desktop {role}"
    script = (DEPLOY / "desktop/hallcall-desktop").read_text()
    assert 'exec systemctl --user restart "hallcall-$role.service"' in script
    assert os.access(DEPLOY / "desktop/hallcall-desktop", os.X_OK)


def test_sdl_driver_check_tells_a_wheel_without_kmsdrm(tmp_path):
    """sdl-drivers.py lists the drivers compiled into pygame's SDL, so install.sh can refuse a
    pygame that cannot draw on the console. The tests' pygame is PyPI's wheel: no KMSDRM."""
    import sys

    run = subprocess.run([sys.executable, str(DEPLOY / "sdl-drivers.py")], capture_output=True,
                         text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    drivers = run.stdout.split(": ", 1)[1].split()
    assert "dummy" in drivers and "offscreen" in drivers
    assert run.returncode == (0 if "KMSDRM" in drivers else 1)
