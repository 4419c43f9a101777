"""`hallcall print-test`: a sample ticket from the demo hall on a printer, as a kiosk prints."""
from __future__ import annotations

import argparse

from hallcall.command import Command, CommandError


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--printer", required=True, metavar="URL",
                   help="usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200, tcp://HOST:9100, "
                        "file:///PATH, cups://QUEUE or dummy:")
    p.add_argument("--mode", choices=("text", "image"), default="text")
    p.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--hub", metavar="URL", help="also report the printer's status to this hub")
    p.add_argument("--token", help="the device token to report with (with --hub)")


def print_test(args) -> int:
    from hallcall.server.config import load_config

    from . import PrintError, open_printer
    from .ticket import sample_ticket

    try:
        printer = open_printer(args.printer, args.mode, args.width)
        status = printer.status()
        print(f"printer status: paper {status.paper}, online {status.online} {status.detail}".rstrip())
        if args.hub:
            from hallcall.hallclient import HubClient, HubError
            try:
                HubClient(args.hub, args.token).report_status(printer=status.as_dict())
            except HubError as exc:
                raise CommandError(f"could not report to the hub: {exc.message}") from None
        if not status.can_print:  # as a kiosk does: a ticket into an empty printer is lost
            raise CommandError(f"not printing: the printer reports {status.detail or 'a problem'}")
        try:
            sent = printer.print_ticket(sample_ticket(load_config(), args.lang))
        except PrintError as exc:
            if exc.partial:
                raise CommandError(f"{exc.message} (after {exc.sent} bytes: the ticket may be "
                                   "incomplete)") from None
            raise
        # A printer with a buffer takes the whole job and only then runs out: ask again, as the
        # kiosk does, before calling the test a success.
        after = printer.status() if status.online is not None else status
        if not after.can_print:
            raise CommandError(f"sent {sent} bytes, but the printer now reports "
                               f"{after.detail or 'paper ' + after.paper}: the ticket may be "
                               "incomplete")
    except PrintError as exc:
        raise CommandError(exc.message) from None
    print(f"sent a {args.width} mm {args.mode}-mode sample ticket: {sent} bytes")
    return 0


COMMANDS = [Command("print-test", "print a sample ticket from the demo hall on a printer",
                    _arguments, print_test, extra="printer")]
