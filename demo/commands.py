"""`hallcall demo`: the whole demo hall on this computer, in windows or played through headless."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hallcall.command import EXIT_CONFIG, Command, CommandError, port, positive

from .history import HistoryRefused


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true",
                   help="no screen: take numbers, call and recall once, then stop, leaving "
                        "screenshots, WAVs, the printed tickets and summary.json in --out")
    p.add_argument("--out", metavar="DIR", help="where files and logs go (default: "
                                                "./hallcall-demo with --headless, else a temp dir)")
    p.add_argument("--db", metavar="PATH", help="the hub's database (default: a new one in --out)")
    p.add_argument("--port", type=port, help="the hub's port (default: a free one)")
    p.add_argument("--history", type=positive, metavar="DAYS",
                   help="start with this many past hall days of simulated history (for "
                        "/admin/reports); needs a new database")
    p.add_argument("--history-per-day", type=positive, metavar="K",
                   help="tickets each day of --history (default 150: 30 days in ~40 s)")


def _history(args, db: Path) -> tuple[int, int] | None:
    """(days, tickets a day) of --history, refused before anything starts if the database
    already has hall days."""
    if args.history is None:
        if args.history_per_day is not None:
            raise CommandError("--history-per-day needs --history DAYS", EXIT_CONFIG)
        return None
    from .history import PER_DAY, check

    try:
        check(db)
    except HistoryRefused as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    return args.history, args.history_per_day or PER_DAY


def demo(args) -> int:
    if args.headless:
        from . import headless

        out = Path(args.out or "hallcall-demo").resolve()
        db = Path(args.db).resolve() if args.db else out / "hall.db"
        history = _history(args, db)
        try:
            summary = headless.run(out, str(db), args.port, history=history)
        except HistoryRefused as exc:  # the hub had run on the file since the check
            raise CommandError(str(exc), EXIT_CONFIG) from None
        except headless.DemoFailed as exc:
            raise CommandError(str(exc)) from None
        for c in summary["citizens"]:
            print(f"{c['number']} ({c['service']}): printed, called to window {c['window']}, "
                  "shown and spoken")
        print(f"screenshots, WAVs and the printed tickets are in {out}")
        return 0
    from . import desktop

    out = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="hallcall-demo-"))
    db = Path(args.db).resolve() if args.db else out / "hall.db"
    history = _history(args, db)
    try:
        return desktop.run(out, str(db), args.port, history=history)
    except HistoryRefused as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None


# The demo runs every device on this computer: the kiosk's extra holds pygame and the printer's
# python-escpos, and the virtual call keys need gpiozero.
COMMANDS = [Command("demo", "the whole demo hall at once on this computer", _arguments, demo,
                    extra="kiosk,display,buttons")]
