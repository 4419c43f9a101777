"""`hallcall demo`: the whole demo hall on this computer, in windows or played through headless."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hallcall.command import Command, CommandError, port


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true",
                   help="no screen: take numbers, call and recall once, then stop, leaving "
                        "screenshots, WAVs, the printed tickets and summary.json in --out")
    p.add_argument("--out", metavar="DIR", help="where files and logs go (default: "
                                                "./hallcall-demo with --headless, else a temp dir)")
    p.add_argument("--db", metavar="PATH", help="the hub's database (default: a new one in --out)")
    p.add_argument("--port", type=port, help="the hub's port (default: a free one)")


def demo(args) -> int:
    if args.headless:
        from . import headless

        out = Path(args.out or "hallcall-demo").resolve()
        try:
            summary = headless.run(out, args.db, args.port)
        except headless.DemoFailed as exc:
            raise CommandError(str(exc)) from None
        for c in summary["citizens"]:
            print(f"{c['number']} ({c['service']}): printed, called to window {c['window']}, "
                  "shown and spoken")
        print(f"screenshots, WAVs and the printed tickets are in {out}")
        return 0
    from . import desktop

    out = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="hallcall-demo-"))
    return desktop.run(out, args.db, args.port)


# The demo runs every device on this computer: the kiosk's extra holds pygame and the printer's
# python-escpos, and the virtual call keys need gpiozero.
COMMANDS = [Command("demo", "the whole demo hall at once on this computer", _arguments, demo,
                    extra="kiosk,display,buttons")]
