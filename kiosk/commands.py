"""`hallcall kiosk`: the touch-screen ticket kiosk."""
from __future__ import annotations

import argparse
import os

from hallcall.command import EXIT_CONFIG, Command, CommandError


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", default="http://127.0.0.1:8080", metavar="URL")
    # From the environment too, so that a service's token is not on its command line (which
    # every local user can read in ps).
    p.add_argument("--token", default=os.environ.get("HALLCALL_KIOSK_TOKEN", "demo-kiosk"),
                   help="the kiosk's device token (default: $HALLCALL_KIOSK_TOKEN, else demo-kiosk)")
    p.add_argument("--printer", default="dummy:", metavar="URL", help="see print-test; default dummy:")
    p.add_argument("--printer-mode", choices=("text", "image"), default="text")
    p.add_argument("--paper", type=int, choices=(58, 80), default=80, help="paper width in mm")
    p.add_argument("--size", metavar="WxH", help="default: the screen's own size (1280x720 windowed)")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")


def kiosk(args) -> int:
    size = None
    if args.size:
        try:
            size = tuple(int(v) for v in args.size.lower().split("x"))
            if len(size) != 2 or min(size) < 320:
                raise ValueError
        except ValueError:
            raise CommandError(f"--size must look like 1920x1080, not {args.size!r}",
                               EXIT_CONFIG) from None
    from hallcall.hallclient.fonts import FontNotFound
    from hallcall.printer import PrintError
    try:
        from .bootstrap import build_kiosk
        app = build_kiosk(args.hub, args.token, args.printer, size, args.windowed,
                          args.lang, args.printer_mode, args.paper)
    except PrintError as exc:
        raise CommandError(exc.message, EXIT_CONFIG) from None
    except FontNotFound as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    app.run()
    return 0


COMMANDS = [Command("kiosk", "run the touch-screen ticket kiosk (pygame)", _arguments, kiosk,
                    extra="kiosk")]
