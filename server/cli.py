"""The `hallcall` command: serve, check-config, close-day, stats."""
from __future__ import annotations

import argparse
import csv
import logging
import os
import subprocess
import sys
from datetime import date

from .config import ConfigError, load_config
from .passwords import ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS, make_hash
from .store import DEFAULT_URL

EXIT_CONFIG = 2


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
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the hub (HTTP API, event stream, web pages)")
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--secure-cookie", action="store_true",
                   help="send the clerk console's session cookie over HTTPS only (the hub is "
                        "behind a TLS proxy)")
    p.add_argument("--threads", type=int, default=40,
                   help="worker threads for requests (default 40); event streams need none")
    p.add_argument("--allow-demo-tokens", action="store_true",
                   help="serve beyond loopback even though the config uses the public demo tokens")
    p.add_argument("--buttons", action="store_true",
                   help="also drive the call keys and LEDs wired to this Pi ([[gpio.buttons]] "
                        "without a device)")
    _pin_factory(p)

    p = sub.add_parser("migrate", help="create or upgrade the database schema and exit")
    _common(p)

    p = sub.add_parser("backup", help="copy the live database into a folder, checked, and "
                                      "remove the old copies")
    p.add_argument("--db", required=True, metavar="URL",
                   help="SQLAlchemy URL or file path of the hub's database")
    p.add_argument("--to", required=True, metavar="DIR", help="the folder of backups")
    p.add_argument("--keep-days", type=int, default=7, metavar="N",
                   help="remove backups older than N days (default 7)")

    p = sub.add_parser("check-config", help="validate a hall config and exit")
    p.add_argument("file", nargs="?", help="the TOML file; default: the demo hall")

    p = sub.add_parser("close-day", help="close the current hall day: cancel open tickets, clear windows")
    _common(p)

    p = sub.add_parser("print-test", help="print a sample ticket from the demo hall on a printer")
    p.add_argument("--printer", required=True, metavar="URL",
                   help="usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200, tcp://HOST:9100, "
                        "file:///PATH, cups://QUEUE or dummy:")
    p.add_argument("--mode", choices=("text", "image"), default="text")
    p.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--hub", metavar="URL", help="also report the printer's status to this hub")
    p.add_argument("--token", help="the device token to report with (with --hub)")

    p = sub.add_parser("kiosk", help="run the touch-screen ticket kiosk (pygame)")
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

    p = sub.add_parser("display", help="run the wall display board (pygame)")
    p.add_argument("--hub", default="http://127.0.0.1:8080", metavar="URL")
    p.add_argument("--window", metavar="ID", help="the small screen above one window")
    p.add_argument("--announce", action="store_true", help="also speak each call")
    p.add_argument("--speak-to", metavar="DIR", help="write the announcements as WAV files here")
    p.add_argument("--screenshots", metavar="DIR",
                   help="save the screen as a PNG here each time a new call is shown")
    p.add_argument("--size", default="1920x1080", metavar="WxH")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")

    p = sub.add_parser("buttons", help="run the call keys and LEDs of a Pi by the windows")
    p.add_argument("--hub", default="http://127.0.0.1:8080", metavar="URL")
    p.add_argument("--token", default=os.environ.get("HALLCALL_BUTTONS_TOKEN") or None,
                   required=not os.environ.get("HALLCALL_BUTTONS_TOKEN"),
                   help="the token of a device with role 'buttons'; its keys come from the hub "
                        "(default: $HALLCALL_BUTTONS_TOKEN)")
    _pin_factory(p)

    p = sub.add_parser("demo", help="the whole demo hall at once on this computer")
    p.add_argument("--headless", action="store_true",
                   help="no screen: take numbers, call and recall once, then stop, leaving "
                        "screenshots, WAVs, the printed tickets and summary.json in --out")
    p.add_argument("--out", metavar="DIR", help="where files and logs go (default: "
                                                "./hallcall-demo with --headless, else a temp dir)")
    p.add_argument("--db", metavar="PATH", help="the hub's database (default: a new one in --out)")
    p.add_argument("--port", type=int, help="the hub's port (default: a free one)")

    p = sub.add_parser("stats", help="export a day's statistics as CSV")
    _common(p)
    p.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD; default: today")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")

    p = sub.add_parser("hash-password",
                       help="hash a clerk's password for the hall config ([[clerks]] password_hash)")
    p.add_argument("--iterations", type=int, default=ITERATIONS,
                   help=f"PBKDF2 iterations ({MIN_ITERATIONS}-{MAX_ITERATIONS}; default {ITERATIONS})")
    return parser


def _open_hub(args):
    from .hub import Hub
    from .store import Store

    config = load_config(args.config)
    hub = Hub(config, Store(config, args.db or DEFAULT_URL))
    hub.start(follow=False)
    return hub


def cmd_serve(args) -> int:
    from .web import create_app
    from .wsgi import DemoTokensExposed, check_exposure, limit_malloc_arenas, serve

    limit_malloc_arenas()  # before any thread starts
    config = load_config(args.config)
    try:
        check_exposure(config, args.host, args.allow_demo_tokens)
    except DemoTokensExposed as exc:
        print(f"hallcall: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    # Migrate in a child process: Alembic then never loads into the long-running hub.
    migrate = [sys.executable, "-m", "server.cli", "migrate", "--db", args.db or DEFAULT_URL]
    if args.config:
        migrate += ["--config", args.config]
    if subprocess.run(migrate).returncode != 0:
        print("hallcall: the database could not be migrated", file=sys.stderr)
        return 1
    app = create_app({"HALL": config, "DATABASE": args.db or DEFAULT_URL,
                      "SESSION_COOKIE_SECURE": args.secure_cookie})
    agent = None
    if args.buttons:
        from buttons import start_local

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
        from demo import headless

        out = Path(args.out or "hallcall-demo").resolve()
        try:
            summary = headless.run(out, args.db, args.port)
        except headless.DemoFailed as exc:
            print(f"hallcall demo: {exc}", file=sys.stderr)
            return 1
        for c in summary["citizens"]:
            print(f"{c['number']} ({c['service']}): printed, called to window {c['window']}, "
                  "shown and spoken")
        print(f"screenshots, WAVs and the printed tickets are in {out}")
        return 0
    from demo import desktop

    out = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="hallcall-demo-"))
    return desktop.run(out, args.db, args.port)


def cmd_buttons(args) -> int:
    from buttons import run_remote

    _use_pin_factory(args.pin_factory)
    return run_remote(args.hub, args.token)


def cmd_backup(args) -> int:
    from .store.backup import BackupError, backup

    try:
        result = backup(args.db, args.to, args.keep_days)
    except BackupError as exc:
        print(f"hallcall: backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {result.tickets} tickets to {result.path} ({result.size // 1024} KiB, "
          f"integrity ok)")
    for path in result.removed:
        print(f"removed {path}")
    return 0


def cmd_migrate(args) -> int:
    hub = _open_hub(args)  # starting the hub upgrades the schema
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
    from printer import PrintError, open_printer
    from printer.ticket import sample_ticket

    try:
        printer = open_printer(args.printer, args.mode, args.width)
        status = printer.status()
        print(f"printer status: paper {status.paper}, online {status.online} {status.detail}".rstrip())
        if args.hub:
            from hallclient import HubClient, HubError
            try:
                HubClient(args.hub, args.token).report_status(printer=status.as_dict())
            except HubError as exc:
                print(f"hallcall: could not report to the hub: {exc.message}", file=sys.stderr)
                return 1
        if not status.can_print:  # as a kiosk does: a ticket into an empty printer is lost
            print(f"hallcall: not printing: the printer reports {status.detail or 'a problem'}",
                  file=sys.stderr)
            return 1
        sent = printer.print_ticket(sample_ticket(load_config(), args.lang))
    except PrintError as exc:
        print(f"hallcall: {exc.message}", file=sys.stderr)
        return 1
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
            print(f"hallcall: --size must look like 1920x1080, not {args.size!r}", file=sys.stderr)
            return EXIT_CONFIG
    from hallclient.fonts import FontNotFound
    from printer import PrintError
    try:
        from kiosk.app import KioskApp
        app = KioskApp(args.hub, args.token, args.printer, size, args.windowed,
                       args.lang, args.printer_mode, args.paper)
    except PrintError as exc:
        print(f"hallcall: {exc.message}", file=sys.stderr)
        return EXIT_CONFIG
    except FontNotFound as exc:
        print(f"hallcall: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    app.run()
    return 0


def cmd_display(args) -> int:
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"hallcall: --size must look like 1920x1080, not {args.size!r}", file=sys.stderr)
        return EXIT_CONFIG
    from display.board import DisplayApp
    app = DisplayApp(args.hub, (width, height), window=args.window, windowed=args.windowed,
                     announce=args.announce, speak_to=args.speak_to, shots_to=args.screenshots)
    app.run()
    return 0


STATS_COLUMNS = ["kind", "id", "name_zh", "name_en", "issued", "called", "served", "no_show",
                 "transferred", "cancelled", "waiting", "avg_wait_s", "max_wait_s",
                 "avg_service_s", "rating_satisfied", "rating_basic", "rating_unsatisfied"]


def cmd_stats(args) -> int:
    hub = _open_hub(args)
    try:
        stats = hub.stats(args.date)
    finally:
        hub.stop()
    out = open(args.output, "w", newline="", encoding="utf-8-sig") if args.output else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(["day"] + STATS_COLUMNS)
        for kind in ("services", "windows"):
            for row in stats[kind]:
                flat = {"kind": kind[:-1], "name_zh": row["name"]["zh"], "name_en": row["name"]["en"],
                        **{f"rating_{k}": v for k, v in row["ratings"].items()}, **row}
                writer.writerow([stats["day"]] + ["" if flat.get(c) is None else flat[c]
                                                  for c in STATS_COLUMNS])
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def cmd_hash_password(args) -> int:
    """Asks twice at a terminal; reads one line when piped (`echo … | hallcall hash-password`)."""
    import getpass

    if not MIN_ITERATIONS <= args.iterations <= MAX_ITERATIONS:
        print(f"hallcall: --iterations must be {MIN_ITERATIONS} to {MAX_ITERATIONS}", file=sys.stderr)
        return EXIT_CONFIG
    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if password != getpass.getpass("Again: "):
            print("hallcall: the two passwords differ; nothing was hashed", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("hallcall: the password is empty", file=sys.stderr)
        return 1
    if len(password) < 8:
        print("hallcall: warning: a password this short is easy to guess", file=sys.stderr)
    print(make_hash(password, f"pbkdf2:sha256:{args.iterations}"))
    return 0


COMMANDS = {"serve": cmd_serve, "migrate": cmd_migrate, "backup": cmd_backup, "check-config": cmd_check_config, "close-day": cmd_close_day,
            "stats": cmd_stats, "print-test": cmd_print_test, "hash-password": cmd_hash_password,
            "kiosk": cmd_kiosk, "display": cmd_display, "buttons": cmd_buttons, "demo": cmd_demo}


# What a device command needs beyond the hub's own dependencies, by the module that is missing.
EXTRAS = {"pygame": "kiosk,display", "gpiozero": "buttons", "escpos": "printer",
          "pyttsx3": "display", "PIL": "printer"}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_CONFIG
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        # A device command on a machine installed for another role: say what to install.
        print(f"hallcall {args.command}: the {exc.name} package is not installed; "
              f"install the device extras: pip install 'hallcall[{extra}]'", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
