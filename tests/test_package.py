"""hallcall installs as one import package over the repository's folders: every module answers
to `hallcall.…` alone, from any folder, and no bare `server`, `kiosk`, … is ever imported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("server", "hallclient", "kiosk", "display", "printer", "buttons", "demo")


def project_modules() -> list[str]:
    names = []
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if "migrations" in parts:  # Alembic's scripts, loaded by Alembic from their files
                continue
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            names.append("hallcall." + ".".join(parts))
    return names


def test_every_module_imports_as_hallcall_from_another_folder(tmp_path):
    # From an empty folder, so nothing is found through the current directory.
    code = ("import importlib, sys\n"
            f"for name in {project_modules()!r}:\n"
            "    if name.endswith('__main__'): continue\n"
            "    importlib.import_module(name)\n"
            f"bare = sorted(m for m in sys.modules if m.split('.')[0] in {FOLDERS!r})\n"
            "print('bare:', bare)\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={"SDL_VIDEODRIVER": "dummy",
                                                      "SDL_AUDIODRIVER": "dummy",
                                                      "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("bare: []"), run.stdout


def test_the_command_runs_from_another_folder(tmp_path):
    run = subprocess.run([sys.executable, "-m", "hallcall", "check-config"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "OK" in run.stdout
