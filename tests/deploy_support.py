"""Running deploy/install.sh and deploy/upgrade.sh in tests, with a guard against changes.

Every command that could change the machine (apt-get, useradd, install, systemctl, pip, ...) is
shadowed on PATH by a stand-in that records the call and fails. A dry run, or a run refused for
bad input, must leave that record empty: that is the proof it changed nothing, whoever runs it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"

# Everything the scripts use to change a machine, and what they might reach through.
GUARDED = ["apt-get", "apt", "useradd", "usermod", "groupadd", "adduser", "install", "chown",
           "chmod", "chgrp", "mkdir", "cp", "mv", "rm", "ln", "tee", "touch", "tar", "mktemp",
           "systemctl", "udevadm", "runuser", "sudo", "pip", "pip3"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    changes: list[str]  # the guarded commands the script called

    @property
    def dry_lines(self) -> list[str]:
        return [line[len("[dry-run] "):] for line in self.stdout.splitlines()
                if line.startswith("[dry-run] ")]

    def dry_line(self, start: str) -> str:
        """The one dry-run action starting with `start`."""
        found = [line for line in self.dry_lines if line.startswith(start)]
        assert len(found) == 1, f"{start!r}: {found}\n{self.stdout}"
        return found[0]

    def env_file(self) -> dict[str, str]:
        """NAME -> value of the settings file as the dry run shows it."""
        lines = self.stdout.split("write /etc/hallcall/hallcall.env (0640 root:hallcall):\n", 1)[1]
        values = {}
        for line in lines.splitlines():
            if not line.startswith("    | "):
                break
            line = line[6:]
            if line.startswith("#"):
                continue
            name, _, value = line.partition("=")
            values[name] = value[1:-1] if value.startswith('"') else value
        return values

    def packages(self) -> list[str]:
        return self.dry_line("env DEBIAN_FRONTEND=noninteractive apt-get install").split()[6:]


def guard_dir(tmp: Path) -> tuple[Path, Path]:
    """A folder of stand-ins for GUARDED commands, and the log they write to."""
    shims, log = tmp / "guard-bin", tmp / "guard.log"
    shims.mkdir(exist_ok=True)
    for name in GUARDED:
        script = shims / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexit 97\n')
        script.chmod(0o755)
    return shims, log


def run_script(script: str, args: list[str], tmp: Path, user: str | None = None,
               deploy: Path = DEPLOY, env: dict | None = None) -> Run:
    """Run DEPLOY/SCRIPT with ARGS behind the guard; as `user` (through runuser) when given."""
    shims, log = guard_dir(tmp)
    log.unlink(missing_ok=True)
    path = f"{shims}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    environ = {"PATH": path, "LANG": "C.UTF-8", "HOME": str(tmp), **(env or {})}
    cmd = ["bash", str(deploy / script), *args]
    if user is not None:
        cmd = [shutil.which("runuser"), "-u", user, "--", "env", "-i",
               *(f"{k}={v}" for k, v in environ.items()), *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=environ)
    changes = log.read_text().splitlines() if log.exists() else []
    return Run(proc.returncode, proc.stdout, proc.stderr, changes)


def install(args: list[str], tmp: Path, **kw) -> Run:
    return run_script("install.sh", args, tmp, **kw)


def upgrade(args: list[str], tmp: Path, **kw) -> Run:
    return run_script("upgrade.sh", args, tmp, **kw)


def installed_here() -> list[str]:
    """What a real install left on this machine. The dry-run tests describe a Pi where hallcall
    is not installed yet (as on CI's fresh machine); on one where it is, they would see
    "unchanged" instead of each action."""
    paths = ["/opt/hallcall", "/etc/hallcall", "/var/lib/hallcall", "/var/backups/hallcall",
             "/etc/systemd/system/hallcall-hub.service", "/etc/systemd/system/hallcall-kiosk.service",
             "/etc/systemd/system/hallcall-display.service",
             "/etc/systemd/system/hallcall-buttons.service",
             "/etc/udev/rules.d/60-hallcall-printers.rules"]
    return [p for p in paths if os.path.lexists(p)]
