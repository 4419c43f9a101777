"""The `hallcall` command: each package's commands (its commands.py) under one name.

How a command fails: one line on standard error, `hallcall <command>: what, where`, and a
non-zero exit status: 2 for a mistake in the command line or the hall config (as argparse
exits), 1 for a failure at run time (no database there, port in use, disk full, …), 130 when
interrupted with Ctrl-C. A reader that stops early (`hallcall stats | head -1`) ends the
command quietly with status 1, as in the recipe of Python's `signal` documentation. All of it
is decided in `main`'s handler: a command raises (CommandError, or the error of the layer that
failed, which its `explain` words) and never prints its own traceback. An error nobody foresaw
is one line too, naming its type; `--verbose` shows its traceback (and logs at DEBUG).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import select
import sys

from hallcall.command import EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_RUNTIME, Command, CommandError, missing_extra
from hallcall.server.config import ConfigError

log = logging.getLogger("hallcall")

# The packages that bring commands, in the order `hallcall --help` lists them: the hub's first.
PACKAGES = ("server", "printer", "kiosk", "display", "buttons", "demo")


def commands() -> list[Command]:
    """Every package's commands. Importing a commands module needs no extra (hallcall/command.py)."""
    return [command for package in PACKAGES
            for command in importlib.import_module(f"hallcall.{package}.commands").COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hallcall", description="hallcall queue hub")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="log at DEBUG, and show the traceback of an unexpected error")
    # Also after the command (`hallcall stats -v`); SUPPRESS keeps it from resetting the above.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                         help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in commands():
        p = sub.add_parser(command.name, parents=[verbose], help=command.help)
        command.add_arguments(p)
        p.set_defaults(handler=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    command: Command = args.handler
    prog = f"hallcall {getattr(args, 'on_behalf_of', None) or command.name}"
    try:
        status = command.run(args)
        sys.stdout.flush()  # a reader gone shows here, where it is handled, not at exit
        return status
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        if not _stdout_gone():
            return _fail(prog, command, args, sys.exc_info()[1])
        # The reader stopped reading (`| head`): what it wanted it has. Python's recipe: point
        # stdout at /dev/null so the flush at exit cannot fail again, and end with status 1.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_RUNTIME
    except Exception as exc:
        return _fail(prog, command, args, exc)


def _fail(prog: str, command: Command, args, exc: Exception) -> int:
    status, message = explain(exc, command, args)
    if message is None:
        log.debug("unexpected error", exc_info=exc)
        hint = "" if args.verbose else "; run it again with --verbose for the traceback"
        message = f"unexpected error: {type(exc).__name__}: {exc}{hint}"
    print(f"{prog}: {message}", file=sys.stderr)
    return status


def explain(exc: Exception, command: Command, args) -> tuple[int, str | None]:
    """The exit status and the line to print for an exception a command raised; the line is
    None for one nobody foresaw."""
    if isinstance(exc, CommandError):
        return exc.status, str(exc)
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG, exc.report()
    if isinstance(exc, ModuleNotFoundError):
        if command.extra is None or (exc.name or "").startswith("hallcall"):
            return EXIT_RUNTIME, None
        # A device command on a machine installed for another role: say what to install.
        return EXIT_CONFIG, missing_extra(exc, command.extra)
    told = command.explain(exc, args) if command.explain is not None else None
    if told is not None:
        return told
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return EXIT_RUNTIME, f"{exc.strerror}{where}"
    return EXIT_RUNTIME, None


def _stdout_gone() -> bool:
    """Whether standard output is a pipe or socket whose reader has closed it."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no descriptor (a test's capture), no poll
        return False
