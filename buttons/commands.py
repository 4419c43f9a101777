"""`hallcall buttons`: the call keys and LEDs of a Pi by the windows, driven over HTTP."""
from __future__ import annotations

import argparse
import os

from hallcall.command import Command, add_pin_factory


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", default="http://127.0.0.1:8080", metavar="URL")
    p.add_argument("--token", default=os.environ.get("HALLCALL_BUTTONS_TOKEN") or None,
                   required=not os.environ.get("HALLCALL_BUTTONS_TOKEN"),
                   help="the token of a device with role 'buttons'; its keys come from the hub "
                        "(default: $HALLCALL_BUTTONS_TOKEN)")
    add_pin_factory(p)


def buttons(args) -> int:
    from . import load_pin_factory, run_remote

    return run_remote(args.hub, args.token, load_pin_factory(args.pin_factory))


COMMANDS = [Command("buttons", "run the call keys and LEDs of a Pi by the windows", _arguments,
                    buttons, extra="buttons")]
