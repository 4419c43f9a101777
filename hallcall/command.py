"""What a `hallcall` subcommand is, for the packages that bring one (each package's commands.py).

The `hallcall` command (hallcall/cli.py) knows no command itself: it collects each package's
COMMANDS, lets every one add its options, runs the one asked for and tells how it failed. So the
hub's package never imports a device package, and a command missing its extra names that extra.
A command module must import without its package's extra (import pygame, gpiozero, escpos …
inside `run`), since `hallcall` imports every command module on every machine.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

EXIT_RUNTIME = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


class CommandError(Exception):
    """A command cannot do what it was asked; the message is the line its user reads."""

    def __init__(self, message: str, status: int = EXIT_RUNTIME):
        super().__init__(message)
        self.status = status


@dataclass
class Command:
    """One subcommand. `run` returns the exit status, or raises (CommandError, or the error of
    the layer that failed; `main` tells it). `extra` is the pip extra (`hallcall[EXTRA]`) that
    holds what `run` imports beyond the hub's dependencies. `explain(exc, args)` gives
    (status, line) for the errors of its own layer (the hub's database, …), or None."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    extra: str | None = None
    explain: Callable[[Exception, argparse.Namespace], tuple[int, str] | None] | None = None


def missing_extra(exc: ModuleNotFoundError, extra: str) -> str:
    """The line for a device command on a machine installed for another role."""
    return (f"the {exc.name} package is not installed; install the device extras: "
            f"pip install 'hallcall[{extra}]'")


def port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise ValueError(value)
    return number


port.__name__ = "port number"  # argparse names the type in its message: "invalid port number"


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


positive.__name__ = "positive number"


# gpiozero's pin libraries by the name its entry points give them (buttons.pin_factory).
PIN_FACTORIES = ("lgpio", "rpigpio", "pigpio", "native", "mock")


def add_pin_factory(p: argparse.ArgumentParser) -> None:
    """`--pin-factory`, of both commands that drive keys: `buttons` and `serve --buttons`."""
    p.add_argument("--pin-factory", choices=PIN_FACTORIES,
                   help="gpiozero pin library (default: gpiozero's choice, lgpio on a Pi 4 or 5; "
                        "mock: no hardware, for trying it out)")
