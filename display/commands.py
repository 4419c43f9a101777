"""`hallcall display`: the wall board, or the small screen above one window."""
from __future__ import annotations

import argparse
import os

from hallcall.command import EXIT_CONFIG, Command, CommandError


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", default="http://127.0.0.1:8080", metavar="URL")
    p.add_argument("--token", default=os.environ.get("HALLCALL_DISPLAY_TOKEN"), metavar="T",
                   help="the display's device token (default $HALLCALL_DISPLAY_TOKEN): the "
                        "board reads without one, but the staff then see it as never connected")
    p.add_argument("--window", metavar="ID", help="the small screen above one window")
    p.add_argument("--announce", action="store_true", help="also speak each call")
    p.add_argument("--speak-to", metavar="DIR", help="write the announcements as WAV files here")
    p.add_argument("--screenshots", metavar="DIR",
                   help="save the screen as a PNG here each time a new call is shown")
    p.add_argument("--size", default="1920x1080", metavar="WxH")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    p.add_argument("--high-contrast", action="store_true",
                   help="white and yellow on pure black, thicker numbers, for citizens with low "
                        "vision (also $HALLCALL_HIGH_CONTRAST=1)")


def display(args) -> int:
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise CommandError(f"--size must look like 1920x1080, not {args.size!r}",
                           EXIT_CONFIG) from None
    from .bootstrap import build_board
    app = build_board(args.hub, (width, height), token=args.token, window=args.window,
                      windowed=args.windowed,
                      announce=args.announce, speak_to=args.speak_to, shots_to=args.screenshots)
    if args.high_contrast:  # else the board follows $HALLCALL_HIGH_CONTRAST itself
        app.set_high_contrast(True)
    app.run()
    return 0


COMMANDS = [Command("display", "run the wall display board (pygame)", _arguments, display,
                    extra="display")]
