"""deploy/install.sh: what its dry run would do for each kind of Pi, and what it refuses.

The dry runs run here, on a machine that is no Pi, as root or not: they must print every action
(packages, the user and its groups, the files and where they go, the units, the systemctl calls)
and change nothing. The guard in deploy_support proves the second part.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from deploy_support import DEPLOY, REPO, install, installed_here

HUB_URL = "http://192.168.1.10:8080"
KIOSK_TOKEN = "k-7Qw2RrT9sPzXc4LmN0bV"
BUTTONS_TOKEN = "b-Hd83jKs0QpLmZx7YtW2"
SERVICE_GROUPS = ["gpio", "lp", "dialout", "audio", "video", "input", "render"]

# The dry runs describe a Pi where hallcall is not installed yet, as CI's fresh machine is.
fresh = pytest.mark.skipif(bool(installed_here()), reason=(
    f"hallcall is installed on this machine ({', '.join(installed_here())}): these dry runs "
    "describe a Pi where it is not yet"))


def existing(groups):
    out = []
    for g in groups:
        try:
            grp.getgrnam(g)
            out.append(g)
        except KeyError:
            pass
    return out


def dry(tmp_path, *args, **kw):
    run = install(["--dry-run", *args], tmp_path, **kw)
    assert run.returncode == 0, run.stderr + run.stdout
    assert run.changes == [], f"a dry run called {run.changes}"
    assert installed_here() == []  # also nothing reached through an absolute path
    return run


def joins_groups(run, user: str, groups: list[str]) -> bool:
    """The run adds `user` to the `groups` it is not in yet (all of them, on a new machine)."""
    try:
        gid = pwd.getpwnam(user).pw_gid
        already = {g.gr_name for g in grp.getgrall() if user in g.gr_mem or g.gr_gid == gid}
    except KeyError:
        already = set()
    missing = [g for g in groups if g not in already]
    if missing:
        return f"usermod -a -G {','.join(missing)} {user}" in run.dry_lines
    return f"    {user}: already in {' '.join(groups)}" in run.stdout.splitlines()


def installs(run, src: str, dest: str, mode: str = "0644", owner: str = "root -g root") -> bool:
    line = f"install -D -m {mode} -o {owner} {DEPLOY / src if not src.startswith('/') else src} {dest}"
    return line in run.dry_lines


@fresh
def test_hub_pi(tmp_path):
    run = dry(tmp_path, "--roles", "hub")
    packages = run.packages()
    assert {"python3-venv", "sqlite3"} <= set(packages)
    assert not {"fonts-noto-cjk", "espeak-ng", "python3-lgpio", "python3-pygame"} & set(packages)
    assert run.dry_lines.index(
        "env DEBIAN_FRONTEND=noninteractive apt-get update -q") < run.dry_lines.index(
        "env DEBIAN_FRONTEND=noninteractive apt-get install -y -q " + " ".join(packages))

    # The service user: a system user with no login, in every device group this machine has.
    try:
        pwd.getpwnam("hallcall")
    except KeyError:
        assert run.dry_line("useradd") == ("useradd --system --user-group --home-dir "
                                           "/var/lib/hallcall --no-create-home --shell "
                                           "/usr/sbin/nologin --comment 'hallcall queue system' hallcall")
    assert joins_groups(run, "hallcall", existing(SERVICE_GROUPS))

    assert "install -d -m 0750 -o root -g hallcall /etc/hallcall" in run.dry_lines
    assert "install -d -m 0750 -o hallcall -g hallcall /var/lib/hallcall" in run.dry_lines
    assert "install -d -m 0750 -o hallcall -g hallcall /var/backups/hallcall" in run.dry_lines
    assert "/usr/bin/python3 -m venv --clear --system-site-packages /opt/hallcall/venv" in run.dry_lines
    assert run.dry_line("/opt/hallcall/venv/bin/python -m pip install") == (
        f"/opt/hallcall/venv/bin/python -m pip install '<copy of {REPO}>'")  # no extras
    assert not any("pygame" in line for line in run.dry_lines)

    # The demo hall becomes the hall's config only where there is none yet.
    if not os.path.exists("/etc/hallcall/hall.toml"):
        assert installs(run, str(REPO / "server/halls/demo.toml"), "/etc/hallcall/hall.toml",
                        "0640", "root -g hallcall")
    env = run.env_file()
    assert env["HALLCALL_ROLES"] == "hub" and env["HALLCALL_EXTRAS"] == ""
    assert (env["HALLCALL_LISTEN"], env["HALLCALL_PORT"]) == ("0.0.0.0", "8080")
    assert env["HALLCALL_HUB_ARGS"] == "" and env["HALLCALL_BACKUP_KEEP_DAYS"] == "7"
    assert env["HALLCALL_HUB_URL"] == "http://127.0.0.1:8080"
    assert not any(k.endswith("_TOKEN") or k.startswith(("SDL_", "AUDIODEV")) for k in env)

    for unit in ("hallcall-hub.service", "hallcall-backup.service", "hallcall-backup.timer"):
        assert installs(run, f"systemd/{unit}", f"/etc/systemd/system/{unit}")
    assert not any("kiosk" in line or "udev" in line for line in run.dry_lines)
    order = [run.dry_lines.index(line) for line in (
        "systemctl daemon-reload", "systemctl enable hallcall-hub.service hallcall-backup.timer",
        "systemctl restart hallcall-hub.service", "systemctl start hallcall-backup.timer")]
    assert order == sorted(order)
    # The hub is started only once its config has real tokens: the dry run says it checks.
    assert any("no public demo tokens" in line for line in run.dry_lines)


@fresh
def test_hub_with_its_own_call_keys(tmp_path):
    run = dry(tmp_path, "--roles", "buttons,hub", "--port", "8090", "--keep-days", "30")
    assert "python3-lgpio" in run.packages()
    env = run.env_file()
    assert env["HALLCALL_ROLES"] == "hub,buttons"
    assert env["HALLCALL_HUB_ARGS"] == "--buttons"  # `hallcall serve --buttons`
    # On a Pi 4 or 5 for a very busy hall, several hub processes (worker 1 drives the keys).
    busy = dry(tmp_path, "--roles", "buttons,hub", "--hub-workers", "3").env_file()
    assert busy["HALLCALL_HUB_ARGS"] == "--buttons --workers 3"
    assert (env["HALLCALL_PORT"], env["HALLCALL_BACKUP_KEEP_DAYS"]) == ("8090", "30")
    assert "HALLCALL_BUTTONS_TOKEN" not in env
    assert run.dry_line("/opt/hallcall/venv/bin/python -m pip install").endswith("[buttons]'")
    # The hub drives the keys: no separate buttons service.
    assert not any("hallcall-buttons.service" in line for line in run.dry_lines)
    assert "systemctl enable hallcall-hub.service hallcall-backup.timer" in run.dry_lines


@fresh
def test_kiosk_on_the_console_with_pygame_built_for_kms(tmp_path):
    run = dry(tmp_path, "--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", KIOSK_TOKEN,
              "--printer", "usb://04b8:0202?timeout=5", "--printer-mode", "image", "--paper", "58",
              "--screen", "kms", "--pygame", "source")
    packages = set(run.packages())
    assert {"fonts-noto-cjk", "libsdl2-2.0-0", "libusb-1.0-0", "usbutils", "libgles2", "libgbm1"} <= packages
    assert {"libsdl2-dev", "libfreetype-dev", "python3-dev", "build-essential"} <= packages
    assert not {"sqlite3-tools", "espeak-ng", "python3-lgpio"} & packages
    # pygame against Debian's SDL (PyPI's wheels have no KMSDRM), then the project.
    pip = [line for line in run.dry_lines if " -m pip install " in line]
    assert pip == ["/opt/hallcall/venv/bin/python -m pip install --force-reinstall --no-deps "
                   "--no-binary pygame 'pygame>=2.5'",
                   f"/opt/hallcall/venv/bin/python -m pip install '<copy of {REPO}>[kiosk]'"]
    assert any("KMSDRM" in line for line in run.dry_lines)

    env = run.env_file()
    assert env["HALLCALL_HUB_URL"] == HUB_URL and env["HALLCALL_PRINTER"] == "usb://04b8:0202?timeout=5"
    assert env["HALLCALL_KIOSK_ARGS"] == "--printer-mode image --paper 58"
    assert env["HALLCALL_KIOSK_TOKEN"] == f"<hidden: {len(KIOSK_TOKEN)} characters>"
    assert KIOSK_TOKEN not in run.stdout + run.stderr  # never printed
    assert env["SDL_VIDEODRIVER"] == "kmsdrm" and "AUDIODEV" not in env
    assert "HALLCALL_LISTEN" not in env

    assert installs(run, "systemd/hallcall-kiosk.service", "/etc/systemd/system/hallcall-kiosk.service")
    assert installs(run, "udev/60-hallcall-printers.rules", "/etc/udev/rules.d/60-hallcall-printers.rules")
    assert "udevadm control --reload" in run.dry_lines
    assert "systemctl enable hallcall-kiosk.service" in run.dry_lines
    assert "systemctl restart hallcall-kiosk.service" in run.dry_lines
    # tty1 is the kiosk's: the login prompt there would compete with it at boot.
    assert run.dry_lines.index("systemctl disable getty@tty1.service") < run.dry_lines.index(
        "systemctl enable hallcall-kiosk.service")
    assert not any("hallcall-hub" in line or "hall.toml" in line for line in run.dry_lines)
    assert "install -d -m 0750 -o hallcall -g hallcall /var/backups/hallcall" not in run.dry_lines


@fresh
def test_hall_display_with_announcements_on_hdmi(tmp_path):
    run = dry(tmp_path, "--roles", "display", "--hub-url", HUB_URL, "--announce", "--audio", "hdmi",
              "--screen", "kms", "--pygame", "apt", "--size", "1920x1080")
    packages = set(run.packages())
    assert {"espeak-ng", "alsa-utils", "fonts-noto-cjk", "python3-pygame"} <= packages
    assert "libsdl2-dev" not in packages  # Debian's pygame: nothing to build
    assert run.dry_line("/opt/hallcall/venv/bin/python -m pip install").endswith("[display]'")
    env = run.env_file()
    assert env["HALLCALL_DISPLAY_ARGS"] == "--announce --size 1920x1080"
    assert (env["SDL_VIDEODRIVER"], env["SDL_AUDIODRIVER"], env["AUDIODEV"]) == (
        "kmsdrm", "alsa", "default:CARD=vc4hdmi0")
    assert installs(run, "systemd/hallcall-display.service",
                    "/etc/systemd/system/hallcall-display.service")
    assert "systemctl restart hallcall-display.service" in run.dry_lines
    assert not any("udev" in line for line in run.dry_lines)


@fresh
def test_window_display_on_the_jack(tmp_path):
    run = dry(tmp_path, "--roles", "display", "--hub-url", HUB_URL, "--window", "3",
              "--audio", "jack", "--screen", "kms", "--pygame", "source")
    env = run.env_file()
    assert env["HALLCALL_DISPLAY_ARGS"] == "--window 3"
    assert env["AUDIODEV"] == "default:CARD=Headphones"
    assert "HALLCALL_DISPLAY_TOKEN" not in env  # optional: the board reads without one


@fresh
def test_a_display_token_is_kept_in_the_environment_file_only(tmp_path):
    token = "d-Qw83jKs0QpLmZx7YtW2"
    run = dry(tmp_path, "--roles", "display", "--hub-url", HUB_URL, "--display-token", token)
    assert run.env_file()["HALLCALL_DISPLAY_TOKEN"] == f"<hidden: {len(token)} characters>"
    assert token not in run.stdout


@fresh
def test_central_server_with_postgresql_on_the_same_machine(tmp_path):
    run = dry(tmp_path, "--roles", "central")
    packages = run.dry_line("env DEBIAN_FRONTEND=noninteractive apt-get install").split()
    assert "postgresql" in packages and "curl" not in packages
    assert run.dry_line("/opt/hallcall/venv/bin/python -m pip install").endswith("[pg]'")
    # Its database is made once, for the service user (peer authentication: no password).
    assert "make the PostgreSQL user hallcall and its database hallcall_central unless they exist" \
        in run.stdout
    env = run.env_file()
    local = "postgresql+psycopg:///hallcall_central?host=/var/run/postgresql"
    assert env["HALLCALL_CENTRAL_DB"] == f"<hidden: {len(local)} characters>"
    assert (env["HALLCALL_CENTRAL_LISTEN"], env["HALLCALL_CENTRAL_PORT"]) == ("0.0.0.0", "8090")
    assert installs(run, "systemd/hallcall-central.service", "/etc/systemd/system/hallcall-central.service")
    assert "systemctl enable hallcall-central.service" in run.dry_lines
    assert "systemctl restart hallcall-central.service" in run.dry_lines
    # A city's server: no hub, no devices, no groups for them.
    assert not any("hallcall-hub" in line or "hall.toml" in line or "usermod" in line
                   for line in run.dry_lines)


@fresh
def test_central_server_on_the_citys_postgresql_beside_a_hub(tmp_path):
    url = "postgresql+psycopg://hallcall:s3cret-Pa55@db.city.example/hallcall_central"
    run = dry(tmp_path, "--roles", "hub,central", "--central-db", url, "--central-port", "8091")
    assert "postgresql" not in run.dry_line("env DEBIAN_FRONTEND=noninteractive apt-get install").split()
    assert "PostgreSQL" not in run.stdout.split("==> configuration")[0].split("==> Python")[1]
    assert "s3cret" not in run.stdout  # the URL's password stays in the environment file
    assert run.env_file()["HALLCALL_CENTRAL_PORT"] == "8091"
    assert "systemctl enable hallcall-hub.service hallcall-central.service hallcall-backup.timer" \
        in run.dry_lines


@fresh
def test_buttons_pi(tmp_path):
    run = dry(tmp_path, "--roles", "buttons", "--hub-url", HUB_URL, "--buttons-token", BUTTONS_TOKEN)
    packages = set(run.packages())
    assert "python3-lgpio" in packages and not {"fonts-noto-cjk", "espeak-ng"} & packages
    env = run.env_file()
    assert env["HALLCALL_BUTTONS_TOKEN"] == f"<hidden: {len(BUTTONS_TOKEN)} characters>"
    assert BUTTONS_TOKEN not in run.stdout
    assert installs(run, "systemd/hallcall-buttons.service",
                    "/etc/systemd/system/hallcall-buttons.service")
    assert "systemctl enable hallcall-buttons.service" in run.dry_lines
    assert run.dry_line("/opt/hallcall/venv/bin/python -m pip install").endswith("[buttons]'")
    assert not any("pygame" in line or "hallcall-hub" in line for line in run.dry_lines)


@fresh
def test_kiosk_in_a_desktop_session(tmp_path):
    run = dry(tmp_path, "--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", KIOSK_TOKEN,
              "--printer", "dummy:", "--screen", "desktop", "--desktop-user", "nobody",
              "--pygame", "wheel")
    packages = set(run.packages())
    assert "libsdl2-dev" not in packages and "libgbm1" not in packages
    assert not any("--no-binary" in line for line in run.dry_lines)
    env = run.env_file()
    assert "SDL_VIDEODRIVER" not in env  # the desktop's own X11 or Wayland
    assert (env["HALLCALL_SCREEN"], env["HALLCALL_DESKTOP_USER"]) == ("desktop", "nobody")
    assert installs(run, "systemd/user/hallcall-kiosk.service", "/etc/systemd/user/hallcall-kiosk.service")
    assert installs(run, "desktop/hallcall-kiosk.desktop", "/etc/xdg/autostart/hallcall-kiosk.desktop")
    assert installs(run, "desktop/hallcall-desktop", "/opt/hallcall/bin/hallcall-desktop", "0755")
    assert joins_groups(run, "nobody", ["hallcall"] + existing(
        ["lp", "dialout", "audio", "video", "input", "render"]))
    # No system service draws on the console.
    assert not any("/etc/systemd/system/hallcall-kiosk.service" in line for line in run.dry_lines)
    assert not any(line.startswith("systemctl enable") and "kiosk" in line for line in run.dry_lines)
    assert not any("getty" in line for line in run.dry_lines)


@fresh
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"),
                    reason="needs root to run the dry run as another user")
def test_dry_run_needs_no_root(tmp_path):
    # A world-readable copy of what the script reads, and a folder `nobody` may write its log in.
    base = Path(tempfile.mkdtemp(prefix="hallcall-deploy-"))
    try:
        src = base / "src"
        shutil.copytree(DEPLOY, src / "deploy")
        (src / "server/halls").mkdir(parents=True)
        (src / "hallcall").mkdir()
        for name in ("setup.cfg", "hallcall/cli.py", "server/__init__.py", "server/halls/demo.toml"):
            shutil.copy(REPO / name, src / name)
        work = base / "work"
        work.mkdir()
        for path in [base, *base.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
        work.chmod(0o777)
        run = install(["--dry-run", "--roles", "hub,kiosk", "--kiosk-token", KIOSK_TOKEN,
                       "--printer", "dummy:", "--screen", "kms", "--pygame", "source"],
                      work, user="nobody", deploy=src / "deploy")
        assert run.returncode == 0, run.stderr
        assert run.changes == []
        enable = "systemctl enable hallcall-hub.service hallcall-kiosk.service hallcall-backup.timer"
        assert enable in run.dry_lines

        # Without --dry-run, a user who is not root is stopped before any change.
        run = install(["--roles", "hub"], work, user="nobody", deploy=src / "deploy")
        assert run.returncode == 1 and "run it as root" in run.stderr
        assert run.changes == [] and "apt-get" not in run.stdout
    finally:
        shutil.rmtree(base)


@pytest.mark.parametrize("args, message", [
    (["--roles", "hub,printer"], "unknown role 'printer'"),
    ([], "--roles is required"),
    (["--roles", "kiosk", "--hub-url", HUB_URL, "--printer", "dummy:"], "needs --kiosk-token"),
    (["--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", KIOSK_TOKEN], "needs --printer"),
    (["--roles", "kiosk", "--kiosk-token", KIOSK_TOKEN, "--printer", "dummy:"], "--hub-url is required"),
    (["--roles", "buttons", "--hub-url", HUB_URL], "needs --buttons-token"),
    (["--roles", "display", "--hub-url", HUB_URL, "--audio", "speakers"], "--audio: hdmi, jack or auto"),
    (["--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", KIOSK_TOKEN, "--printer", "dummy:",
      "--display-token", "d-Qw83jKs0QpLmZx7YtW2"], "--display-token is for the display role"),
    (["--roles", "display", "--hub-url", HUB_URL, "--display-token", "short"], "--display-token: 8 to"),
    (["--roles", "kiosk,display", "--hub-url", HUB_URL, "--kiosk-token", KIOSK_TOKEN,
      "--printer", "dummy:"], "each need the whole screen"),
    (["--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", "short", "--printer", "dummy:"],
     "--kiosk-token: 8 to 200"),
    (["--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", 'x"; rm -rf /; "x',
      "--printer", "dummy:"], "--kiosk-token: 8 to 200"),
    (["--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", KIOSK_TOKEN,
      "--printer", "lpt1"], "not a printer URL"),
    (["--roles", "display", "--hub-url", "192.168.1.10"], "--hub-url must look like"),
    (["--roles", "display", "--hub-url", HUB_URL, "--printer", "dummy:"], "--printer is for the kiosk role"),
    (["--roles", "hub", "--announce"], "--announce is for the display role"),
    (["--roles", "hub", "--port", "80"], "--port: 1024 to 65535"),
    (["--roles", "hub", "--hub-workers", "17"], "--hub-workers: 1 to 16 processes"),
    (["--roles", "hub", "--hub-workers", "two"], "--hub-workers: 1 to 16 processes"),
    (["--roles", "kiosk", "--hub-url", HUB_URL, "--kiosk-token", KIOSK_TOKEN, "--printer", "dummy:",
      "--hub-workers", "2"], "--hub-workers is for the hub role"),
    (["--roles", "hub", "--screen", "x11"], "--screen: kms, desktop or auto"),
    (["--roles", "display", "--hub-url", HUB_URL, "--window", "3 --announce"], "--window: a window id"),
    (["--roles", "hub", "--frobnicate"], "unknown option: --frobnicate"),
    (["--roles", "hub", "--source", "/nonexistent"], "not a hallcall source folder"),
    (["--roles", "hub", "--central-port", "8090"], "--central-port is for the central role"),
    (["--roles", "central", "--central-db", "mysql://db/x"], "--central-db: a PostgreSQL URL"),
    (["--roles", "central", "--central-db", "postgresql://h/x; rm -rf /"], "--central-db: a PostgreSQL URL"),
    (["--roles", "hub,central", "--central-port", "8080"], "the hub listens there already"),
    (["--roles", "central", "--hub-url", HUB_URL], "--hub-url is for a kiosk, display or call keys"),
])
def test_bad_input_is_refused_before_any_change(tmp_path, args, message):
    # Not a dry run: the refusal must come before the first change all the same.
    run = install(args, tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert message in run.stderr and "see --help" in run.stderr
    assert run.stdout == "" and run.changes == []


def test_help(tmp_path):
    run = install(["--help"], tmp_path)
    assert run.returncode == 0 and "--roles" in run.stdout and run.changes == []
