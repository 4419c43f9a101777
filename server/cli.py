"""The `hallcall` command: serve, check-config, close-day, stats.

How a command fails: one line on standard error, `hallcall <command>: what, where`, and a
non-zero exit status: 2 for a mistake in the command line or the hall config (as argparse
exits), 1 for a failure at run time (no database there, port in use, disk full, …), 130 when
interrupted with Ctrl-C. A reader that stops early (`hallcall stats | head -1`) ends the
command quietly with status 1, as in the recipe of Python's `signal` documentation. All of it
is decided in `main`'s handler: a command raises (CommandError, or the error of the layer that
failed) and never prints its own traceback. An error nobody foresaw is one line too, naming
its type; `--verbose` shows its traceback (and logs at DEBUG).
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import os
import select
import signal
import sqlite3
import subprocess
import sys
from datetime import date

from .config import ConfigError, load_config
from .passwords import ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS, make_hash
from .store import DEFAULT_URL

log = logging.getLogger("hallcall")

EXIT_RUNTIME = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


class CommandError(Exception):
    """A command cannot do what it was asked; the message is the line its user reads."""

    def __init__(self, message: str, status: int = EXIT_RUNTIME):
        super().__init__(message)
        self.status = status


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(value)
    return port


_port.__name__ = "port number"  # argparse names the type in its message: "invalid port number"


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise ValueError(value)
    return n


_positive.__name__ = "positive number"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="hall config (TOML); default: the demo hall")
    p.add_argument("--db", metavar="URL", default=None,
                   help=f"SQLAlchemy URL or file path of the database; default: {DEFAULT_URL}")


PIN_FACTORIES = ("lgpio", "rpigpio", "pigpio", "native", "mock")


def _pin_factory(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pin-factory", choices=PIN_FACTORIES,
                   help="gpiozero pin library (default: gpiozero's choice, lgpio on a Pi 4 or 5; "
                        "mock: no hardware, for trying it out)")


def _use_pin_factory(name: str | None) -> None:
    if name:  # gpiozero reads it when the first pin is opened
        os.environ["GPIOZERO_PIN_FACTORY"] = name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hallcall", description="hallcall queue hub")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="log at DEBUG, and show the traceback of an unexpected error")
    # Also after the command (`hallcall stats -v`); SUPPRESS keeps it from resetting the above.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                         help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, **kw) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[verbose], **kw)

    p = command("serve", help="run the hub (HTTP API, event stream, web pages)")
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8080)
    p.add_argument("--secure-cookie", action="store_true",
                   help="send the clerk console's session cookie over HTTPS only (the hub is "
                        "behind a TLS proxy)")
    p.add_argument("--threads", type=_positive, default=40,
                   help="worker threads for requests (default 40); event streams need none")
    p.add_argument("--allow-demo-tokens", action="store_true",
                   help="serve beyond loopback even though the config uses the public demo tokens")
    p.add_argument("--buttons", action="store_true",
                   help="also drive the call keys and LEDs wired to this Pi ([[gpio.buttons]] "
                        "without a device)")
    _pin_factory(p)

    p = command("migrate", help="create or upgrade the database schema and exit")
    _common(p)
    # The command whose errors these are: serve runs migrate as a child process.
    p.add_argument("--for", dest="on_behalf_of", help=argparse.SUPPRESS)

    p = command("backup", help="copy the live database into a folder, checked, and "
                               "remove the old copies")
    p.add_argument("--db", required=True, metavar="URL",
                   help="SQLAlchemy URL or file path of the hub's database")
    p.add_argument("--to", required=True, metavar="DIR", help="the folder of backups")
    p.add_argument("--keep-days", type=_positive, default=7, metavar="N",
                   help="remove backups older than N days (default 7)")

    p = command("check-config", help="validate a hall config and exit")
    p.add_argument("file", nargs="?", help="the TOML file; default: the demo hall")

    p = command("close-day", help="close the current hall day: cancel waiting tickets (those at a window stay)")
    _common(p)

    p = command("print-test", help="print a sample ticket from the demo hall on a printer")
    p.add_argument("--printer", required=True, metavar="URL",
                   help="usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200, tcp://HOST:9100, "
                        "file:///PATH, cups://QUEUE or dummy:")
    p.add_argument("--mode", choices=("text", "image"), default="text")
    p.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--hub", metavar="URL", help="also report the printer's status to this hub")
    p.add_argument("--token", help="the device token to report with (with --hub)")

    p = command("kiosk", help="run the touch-screen ticket kiosk (pygame)")
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

    p = command("display", help="run the wall display board (pygame)")
    p.add_argument("--hub", default="http://127.0.0.1:8080", metavar="URL")
    p.add_argument("--window", metavar="ID", help="the small screen above one window")
    p.add_argument("--announce", action="store_true", help="also speak each call")
    p.add_argument("--speak-to", metavar="DIR", help="write the announcements as WAV files here")
    p.add_argument("--screenshots", metavar="DIR",
                   help="save the screen as a PNG here each time a new call is shown")
    p.add_argument("--size", default="1920x1080", metavar="WxH")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")

    p = command("buttons", help="run the call keys and LEDs of a Pi by the windows")
    p.add_argument("--hub", default="http://127.0.0.1:8080", metavar="URL")
    p.add_argument("--token", default=os.environ.get("HALLCALL_BUTTONS_TOKEN") or None,
                   required=not os.environ.get("HALLCALL_BUTTONS_TOKEN"),
                   help="the token of a device with role 'buttons'; its keys come from the hub "
                        "(default: $HALLCALL_BUTTONS_TOKEN)")
    _pin_factory(p)

    p = command("demo", help="the whole demo hall at once on this computer")
    p.add_argument("--headless", action="store_true",
                   help="no screen: take numbers, call and recall once, then stop, leaving "
                        "screenshots, WAVs, the printed tickets and summary.json in --out")
    p.add_argument("--out", metavar="DIR", help="where files and logs go (default: "
                                                "./hallcall-demo with --headless, else a temp dir)")
    p.add_argument("--db", metavar="PATH", help="the hub's database (default: a new one in --out)")
    p.add_argument("--port", type=_port, help="the hub's port (default: a free one)")

    p = command("stats", help="export a day's statistics as CSV")
    _common(p)
    p.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD; default: today")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")

    p = command("hash-password",
                help="hash a clerk's password for the hall config ([[clerks]] password_hash)")
    p.add_argument("--iterations", type=int, default=ITERATIONS,
                   help=f"PBKDF2 iterations ({MIN_ITERATIONS}-{MAX_ITERATIONS}; default {ITERATIONS})")
    return parser


def _open_hub(args, create: bool = False):
    """The hub on the database of --db, started (schema and windows brought up to date, the
    day rolled over). Only with `create` (migrate) may the file be new or its schema old."""
    from .hub import Hub
    from .store import Store

    config = load_config(args.config)
    url = args.db or DEFAULT_URL
    store = Store(config, url) if create else Store.open_existing(config, url, read_only=False)
    hub = Hub(config, store)
    try:
        hub.start(follow=False)
    except BaseException:
        hub.stop()
        raise
    return hub


def _open_reader(args):
    """A hub that only reads --db: never creates, migrates or writes it, not even a roll-over."""
    from .hub import Hub
    from .store import Store

    config = load_config(args.config)
    return Hub(config, Store.open_existing(config, args.db or DEFAULT_URL))


def cmd_serve(args) -> int:
    from .web import create_app
    from .wsgi import DemoTokensExposed, check_exposure, limit_malloc_arenas, serve

    limit_malloc_arenas()  # before any thread starts
    config = load_config(args.config)
    try:
        check_exposure(config, args.host, args.allow_demo_tokens)
    except DemoTokensExposed as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    # Migrate in a child process: Alembic then never loads into the long-running hub. The
    # child says what went wrong itself, in serve's name.
    migrate = [sys.executable, "-m", "hallcall", "migrate", "--db", args.db or DEFAULT_URL,
               "--for", "serve"]
    if args.config:
        migrate += ["--config", args.config]
    if args.verbose:
        migrate.append("--verbose")
    # Ctrl-C reaches the child too: let it alone stop and say so, not both of us. (A handler,
    # not SIG_IGN, which the child would inherit and so never hear Ctrl-C at all.)
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    try:
        status = subprocess.run(migrate).returncode
    finally:
        signal.signal(signal.SIGINT, previous)
    if status != 0:
        return status if status > 0 else EXIT_RUNTIME
    app = create_app({"HALL": config, "DATABASE": args.db or DEFAULT_URL,
                      "SESSION_COOKIE_SECURE": args.secure_cookie})
    agent = None
    if args.buttons:
        from hallcall.buttons import start_local

        _use_pin_factory(args.pin_factory)
        agent = start_local(app.config["HUB"])
    try:
        serve(app, args.host, args.port, args.threads)
    finally:
        if agent is not None:
            agent.close()
    return 0


def cmd_demo(args) -> int:
    import tempfile
    from pathlib import Path

    if args.headless:
        from hallcall.demo import headless

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
    from hallcall.demo import desktop

    out = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="hallcall-demo-"))
    return desktop.run(out, args.db, args.port)


def cmd_buttons(args) -> int:
    from hallcall.buttons import run_remote

    _use_pin_factory(args.pin_factory)
    return run_remote(args.hub, args.token)


def cmd_backup(args) -> int:
    from .store.backup import backup

    result = backup(args.db, args.to, args.keep_days)  # a BackupError is told by main
    print(f"backed up {result.tickets} tickets to {result.path} ({result.size // 1024} KiB, "
          f"integrity ok)")
    for path in result.removed:
        print(f"removed {path}")
    return 0


def cmd_migrate(args) -> int:
    hub = _open_hub(args, create=True)  # starting the hub upgrades the schema
    hub.stop()
    return 0


def cmd_check_config(args) -> int:
    config = load_config(args.file)
    print(f"{config.source}: OK — {len(config.departments)} departments, "
          f"{len(config.services)} services, {len(config.windows)} windows, "
          f"{len(config.devices)} devices, {len(config.clerks)} clerks")
    return 0


def cmd_close_day(args) -> int:
    hub = _open_hub(args)
    try:
        result = hub.close_day()
    finally:
        hub.stop()
    # As the roll-over at the day's start does: only waiting tickets are cancelled; a citizen
    # called or being served stays at the window until the clerk ends the visit.
    print(f"closed hall day {result['day']}: {result['cancelled']} waiting ticket(s) cancelled; "
          f"{result['at_windows']} ticket(s) called or being served stay at their windows "
          "until the clerk ends them")
    return 0


def cmd_print_test(args) -> int:
    from hallcall.printer import PrintError, open_printer
    from hallcall.printer.ticket import sample_ticket

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


def cmd_kiosk(args) -> int:
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
        from hallcall.kiosk.app import KioskApp
        app = KioskApp(args.hub, args.token, args.printer, size, args.windowed,
                       args.lang, args.printer_mode, args.paper)
    except PrintError as exc:
        raise CommandError(exc.message, EXIT_CONFIG) from None
    except FontNotFound as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    app.run()
    return 0


def cmd_display(args) -> int:
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise CommandError(f"--size must look like 1920x1080, not {args.size!r}",
                           EXIT_CONFIG) from None
    from hallcall.display.board import DisplayApp
    app = DisplayApp(args.hub, (width, height), window=args.window, windowed=args.windowed,
                     announce=args.announce, speak_to=args.speak_to, shots_to=args.screenshots)
    app.run()
    return 0


STATS_COLUMNS = ["kind", "id", "name_zh", "name_en", "issued", "called", "served", "no_show",
                 "transferred", "cancelled", "waiting", "avg_wait_s", "max_wait_s",
                 "avg_service_s", "rating_satisfied", "rating_basic", "rating_unsatisfied"]


def cmd_stats(args) -> int:
    import io

    hub = _open_reader(args)
    try:
        stats = hub.stats(args.date)
    finally:
        hub.stop()
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["day"] + STATS_COLUMNS)
    for kind in ("services", "windows"):
        for row in stats[kind]:
            flat = {"kind": kind[:-1], "name_zh": row["name"]["zh"], "name_en": row["name"]["en"],
                    **{f"rating_{k}": v for k, v in row["ratings"].items()}, **row}
            writer.writerow([stats["day"]] + ["" if flat.get(c) is None else flat[c]
                                              for c in STATS_COLUMNS])
    if not args.output:
        sys.stdout.write(text.getvalue())
        return 0
    path = os.path.abspath(args.output)
    try:
        with open(path, "w", newline="", encoding="utf-8-sig") as out:
            out.write(text.getvalue())
    except OSError as exc:
        # A full disk leaves half a file that a spreadsheet would open without a word.
        if not isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    return 0


def cmd_hash_password(args) -> int:
    """Asks twice at a terminal; reads one line when piped (`echo … | hallcall hash-password`)."""
    import getpass

    if not MIN_ITERATIONS <= args.iterations <= MAX_ITERATIONS:
        raise CommandError(f"--iterations must be {MIN_ITERATIONS} to {MAX_ITERATIONS}", EXIT_CONFIG)
    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if password != getpass.getpass("Again: "):
            raise CommandError("the two passwords differ; nothing was hashed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("the password is empty")
    if len(password) < 8:
        print("hallcall hash-password: warning: a password this short is easy to guess", file=sys.stderr)
    print(make_hash(password, f"pbkdf2:sha256:{args.iterations}"))
    return 0


COMMANDS = {"serve": cmd_serve, "migrate": cmd_migrate, "backup": cmd_backup, "check-config": cmd_check_config, "close-day": cmd_close_day,
            "stats": cmd_stats, "print-test": cmd_print_test, "hash-password": cmd_hash_password,
            "kiosk": cmd_kiosk, "display": cmd_display, "buttons": cmd_buttons, "demo": cmd_demo}


# What a device command needs beyond the hub's own dependencies, by the module that is missing.
EXTRAS = {"pygame": "kiosk,display", "gpiozero": "buttons", "escpos": "printer",
          "PIL": "printer"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    prog = f"hallcall {getattr(args, 'on_behalf_of', None) or args.command}"
    try:
        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # a reader gone shows here, where it is handled, not at exit
        return status
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        if not _stdout_gone():
            return _fail(prog, args, sys.exc_info()[1])
        # The reader stopped reading (`| head`): what it wanted it has. Python's recipe: point
        # stdout at /dev/null so the flush at exit cannot fail again, and end with status 1.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_RUNTIME
    except Exception as exc:
        return _fail(prog, args, exc)


def _fail(prog: str, args, exc: Exception) -> int:
    status, message = explain(exc, args)
    if message is None:
        log.debug("unexpected error", exc_info=exc)
        hint = "" if args.verbose else "; run it again with --verbose for the traceback"
        message = f"unexpected error: {type(exc).__name__}: {exc}{hint}"
    print(f"{prog}: {message}", file=sys.stderr)
    return status


def _stdout_gone() -> bool:
    """Whether standard output is a pipe or socket whose reader has closed it."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no descriptor (a test's capture), no poll
        return False


# SQLite's primary result codes whose cause is the disk or the folder, in the user's words.
SQLITE_HINTS = {8: "cannot write it (read-only file, folder or file system?)",
                10: "the disk failed to read or write it (a failing SD card?)",
                13: "the disk is full", 14: "cannot open it (its folder missing or not writable?)",
                26: "it is not an SQLite database"}
SQLITE_NAMES = {"SQLITE_READONLY": 8, "SQLITE_IOERR": 10, "SQLITE_FULL": 13, "SQLITE_CANTOPEN": 14}


def explain(exc: Exception, args) -> tuple[int, str | None]:
    """The exit status and the line to print for an exception a command raised; the line is
    None for one nobody foresaw."""
    from .store.backup import BackupError
    from .store.db import DatabaseUnavailable
    from .store.errors import StorageUnavailable
    from .wsgi import CannotListen

    if isinstance(exc, CommandError):
        return exc.status, str(exc)
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG, exc.report()
    if isinstance(exc, ModuleNotFoundError):
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            return EXIT_RUNTIME, None
        # A device command on a machine installed for another role: say what to install.
        return EXIT_CONFIG, (f"the {exc.name} package is not installed; install the device "
                             f"extras: pip install 'hallcall[{extra}]'")
    if isinstance(exc, (DatabaseUnavailable, CannotListen, BackupError)):
        return getattr(exc, "status", EXIT_RUNTIME), str(exc)
    if isinstance(exc, StorageUnavailable) or _sqlite_error(exc) is not None:
        return EXIT_RUNTIME, f"the database {_db_path(args)}: {_storage_words(exc, args)}"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return EXIT_RUNTIME, f"{exc.strerror}{where}"
    return EXIT_RUNTIME, None


def _storage_words(exc: Exception, args) -> str:
    error = _sqlite_error(exc)
    if error is not None and getattr(error, "sqlite_errorcode", None) is not None:
        code = error.sqlite_errorcode & 0xFF  # an extended code keeps its primary one below
    else:  # the store's StorageUnavailable keeps SQLite's name of it, e.g. SQLITE_IOERR_WRITE
        code = SQLITE_NAMES.get("_".join(getattr(exc, "reason", "").split("_")[:2]))
    if code in (10, 13, 14) and _no_space_left(args):
        # A full disk shows as whichever step met it first: often the -shm file's growth, an
        # I/O error, which would send the technician looking for a failing card.
        return SQLITE_HINTS[13]
    return SQLITE_HINTS.get(code) or str(error or exc)


def _no_space_left(args) -> bool:
    from .store.db import database_file

    try:
        folder = database_file(getattr(args, "db", None) or DEFAULT_URL).parent
        while not folder.exists():
            folder = folder.parent
        return os.statvfs(folder).f_bavail == 0
    except Exception:  # noqa: BLE001 - only a better word for an error being told already
        return False


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The driver's error behind an exception, following SQLAlchemy's wrapping and `from`."""
    while exc is not None:
        if isinstance(exc, sqlite3.Error):
            return exc
        exc = getattr(exc, "orig", None) or exc.__cause__
    return None


def _db_path(args) -> str:
    from .store.db import database_file

    try:
        return str(database_file(getattr(args, "db", None) or DEFAULT_URL) or "in memory")
    except Exception:  # noqa: BLE001 - only naming it; the error being told is another
        return str(args.db)


if __name__ == "__main__":
    sys.exit(main())
