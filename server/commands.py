"""The hub's commands: serve, migrate, backup, check-config, config (export, import), close-day,
stats, export, report, hash-password, simulate; and central, the city's server (server/central/).

Nothing here imports a device package: `serve --buttons` imports hallcall.buttons (and so
gpiozero) in server/bootstrap.py, only when given. Each command raises and never prints its own
traceback; `explain` tells the errors of the hub's database in the user's words.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date

from hallcall.command import (
    EXIT_CONFIG,
    EXIT_RUNTIME,
    Command,
    CommandError,
    add_pin_factory,
    missing_extra,
    port,
    positive,
)

from .config import load_config
from .passwords import ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS, make_hash
from .store import DEFAULT_URL
from .workers import MAX_WORKERS, worker_count


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="hall config (TOML); default: the demo hall")
    p.add_argument("--db", metavar="URL", default=None,
                   help=f"SQLAlchemy URL or file path of the database; default: {DEFAULT_URL}")


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8080)
    p.add_argument("--secure-cookie", action="store_true",
                   help="send the clerk console's session cookie over HTTPS only (the hub is "
                        "behind a TLS proxy)")
    p.add_argument("--threads", type=positive, default=40,
                   help="worker threads for requests (default 40); event streams need none")
    p.add_argument("--allow-demo-tokens", action="store_true",
                   help="serve beyond loopback even though the config uses the public demo tokens")
    p.add_argument("--buttons", action="store_true",
                   help="also drive the call keys and LEDs wired to this Pi ([[gpio.buttons]] "
                        "without a device); with --workers, worker 1 drives them")
    add_pin_factory(p)
    p.add_argument("--workers", type=worker_count, default=1, metavar="N",
                   help=f"run the hub as N processes on the one port (1-{MAX_WORKERS}; default 1): "
                        "one process uses about one core, each takes ~60 MB; for a Pi 4 or 5 "
                        "under heavy load, 2-4")
    # Set by `serve --workers N` for each worker it starts (server/workers.py).
    p.add_argument("--worker", type=positive, default=None, help=argparse.SUPPRESS)
    p.add_argument("--parent", type=positive, default=None, help=argparse.SUPPRESS)
    # `serve --workers N` on SQLite: the writer process's socket (server/write_service.py),
    # and whether this process is that writer.
    p.add_argument("--writer-socket", default=None, help=argparse.SUPPRESS)
    p.add_argument("--writer", action="store_true", help=argparse.SUPPRESS)


def serve(args) -> int:
    from .malloc import limit_malloc_arenas
    from .wsgi import DemoTokensExposed, check_exposure

    limit_malloc_arenas()  # before any thread starts
    if args.worker is not None or args.writer:  # one of `serve --workers N`'s: the parent
        return _serve_worker(args)  # checked and migrated
    config = load_config(args.config)
    db = args.db or DEFAULT_URL
    if args.workers > 1 and _in_memory(db):
        raise CommandError("--workers needs a database file or PostgreSQL: each worker would "
                           "have a database of its own in memory", EXIT_CONFIG)
    # The hall the hub will run is checked once the hub is built (bootstrap.serve). When the
    # file is what will seed it, it is checked here too, before anything is touched: else a
    # refused first start would leave the demo hall in a new database, and the file's own
    # tokens, written in afterwards, would never be applied.
    try:
        if not _hall_in_database(db, config):
            check_exposure(config, args.host, args.allow_demo_tokens)
    except DemoTokensExposed as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    # Migrate in a child process: Alembic then never loads into the long-running hub. The
    # child says what went wrong itself, in serve's name.
    migrate_child = [sys.executable, "-m", "hallcall", "migrate", "--db", db, "--for", "serve"]
    if args.config:
        migrate_child += ["--config", args.config]
    if args.verbose:
        migrate_child.append("--verbose")
    # Ctrl-C reaches the child too: let it alone stop and say so, not both of us. (A handler,
    # not SIG_IGN, which the child would inherit and so never hear Ctrl-C at all.)
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    try:
        status = subprocess.run(migrate_child).returncode
    finally:
        signal.signal(signal.SIGINT, previous)
    if status != 0:
        return status if status > 0 else EXIT_RUNTIME
    if args.workers > 1:
        from .workers import supervise

        supervise(args)  # becomes the workers' supervisor: returns only by raising
    return _run_hub(args, config, db)


def _serve_worker(args) -> int:
    """Worker K of `serve --workers N`: the hub as a single `serve` runs it, on the shared port."""
    from .workers import die_with_parent, name_worker_in_log

    if args.parent is not None:
        die_with_parent(args.parent)
    name_worker_in_log(args.worker, args.workers)
    if args.writer:
        from .bootstrap import serve_writes

        serve_writes(load_config(args.config), args.db or DEFAULT_URL, args.writer_socket)
        return 0
    return _run_hub(args, load_config(args.config), args.db or DEFAULT_URL)


def _run_hub(args, config, db: str) -> int:
    from .bootstrap import serve as serve_hub
    from .wsgi import DemoTokensExposed

    try:
        serve_hub(config, db, args.host, args.port, args.threads,
                  secure_cookie=args.secure_cookie, buttons=args.buttons,
                  pin_factory=args.pin_factory, allow_demo_tokens=args.allow_demo_tokens,
                  seed_file=args.config, worker=args.worker, workers=args.workers,
                  writer_socket=args.writer_socket)
    except DemoTokensExposed as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    except ModuleNotFoundError as exc:
        if args.buttons and (exc.name or "").split(".")[0] == "gpiozero":
            raise CommandError(missing_extra(exc, "buttons"), EXIT_CONFIG) from None
        raise
    return 0


def _in_memory(db: str) -> bool:
    from .store.db import database_file, is_postgresql

    try:
        return not is_postgresql(db) and database_file(db) is None
    except Exception:  # noqa: BLE001 - a URL that does not parse: the migration child tells it
        return False


def _hall_in_database(db: str, config) -> bool:
    """Whether the database at `db` holds a hall already (so a --config file would not seed
    it); False for a missing, in-memory, older or unreadable one, which serve's migration then
    creates, upgrades or reports."""
    from .store import Store
    from .store.db import database_file, is_postgresql
    from .web.serialize import event_json

    try:
        if not is_postgresql(db):  # a PostgreSQL database is asked (a server's, it exists)
            path = database_file(db)
            if path is None or not path.is_file():
                return False
        store = Store.open_existing(db, event_json, read_only=True)
    except Exception:  # noqa: BLE001 - serve's migration child tells what is wrong with it
        return False
    try:
        with store.read(config) as tx:
            return tx.hall_version() > 0
    except Exception:  # noqa: BLE001 - as above
        return False
    finally:
        store.close()


def _migrate_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    # The command whose errors these are: serve runs migrate as a child process.
    p.add_argument("--for", dest="on_behalf_of", help=argparse.SUPPRESS)


def migrate(args) -> int:
    from .bootstrap import build_hub

    # Starting the hub on a store that may create the file upgrades the schema.
    build_hub(load_config(args.config), args.db or DEFAULT_URL, follow=False).stop()
    return 0


def _backup_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, metavar="URL",
                   help="SQLAlchemy URL or file path of the hub's database")
    p.add_argument("--to", required=True, metavar="DIR", help="the folder of backups")
    p.add_argument("--keep-days", type=positive, default=7, metavar="N",
                   help="remove backups older than N days (default 7)")


def backup(args) -> int:
    from .store.backup import backup as back_up

    result = back_up(args.db, args.to, args.keep_days)  # a BackupError is told by explain
    print(f"backed up {result.tickets} tickets to {result.path} ({result.size // 1024} KiB, "
          f"integrity ok)")
    for path in result.removed:
        print(f"removed {path}")
    return 0


def _check_config_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="the TOML file; default: the demo hall")


def check_config(args) -> int:
    config = load_config(args.file)
    print(f"{config.source}: OK — {len(config.departments)} departments, "
          f"{len(config.services)} services, {len(config.windows)} windows, "
          f"{len(config.devices)} devices, {len(config.staff)} staff")
    return 0


# -- config export / import: the database holds the hall, the TOML file is its copy -------------

CLI_IMPORT = ("cli", "config import")  # the audit log's actor of an import


def _config_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="config_command", required=True, metavar="{export,import}")
    # As the top-level commands take it (hallcall/cli.py): also after the subcommand.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                         help=argparse.SUPPRESS)
    db_help = f"SQLAlchemy URL or file path of the hub's database; default: {DEFAULT_URL}"
    export = sub.add_parser("export", parents=[verbose],
                            help="write the database's hall as TOML (its backup, or a file for "
                                 "another hub); reads only")
    export.add_argument("--db", metavar="URL", default=None, help=db_help)
    export.add_argument("--output", "-o", metavar="FILE",
                        help="write here instead of standard output")
    export.set_defaults(config_run=config_export, on_behalf_of="config export")
    imp = sub.add_parser("import", parents=[verbose],
                         help="replace the database's hall by a TOML file, showing the difference "
                              "first; running hubs follow it at once")
    imp.add_argument("file", metavar="FILE", help="the hall config (TOML), checked as check-config does")
    imp.add_argument("--db", metavar="URL", default=None, help=db_help)
    imp.add_argument("--yes", "-y", action="store_true",
                     help="replace without asking (needed when not at a terminal)")
    imp.set_defaults(config_run=config_import, on_behalf_of="config import")


def config_command(args) -> int:
    return args.config_run(args)


def _database_hall(db: str, seed):
    """The hall the database holds (a HallConfig with its version), or None; reads only, and
    never creates or migrates the file (NoDatabase, SchemaMismatch say what is wrong)."""
    from .bootstrap import build_hub

    hub = build_hub(seed, db, create=False, read_only=True)
    try:
        return hub.config if hub.config.version else None
    finally:
        hub.stop()


def config_export(args) -> int:
    from .config.dump import config_toml

    db = args.db or DEFAULT_URL
    hall = _database_hall(db, load_config())  # the demo hall: only what a hall-less file reads by
    if hall is None:
        raise CommandError(f"the database {_db_path(args)} holds no hall yet: the first "
                           "`hallcall serve --config FILE` on it stores FILE as its version 1")
    text = config_toml(hall)
    if not args.output:
        sys.stdout.write(text)
        return 0
    path = os.path.abspath(args.output)
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        if not isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            with contextlib.suppress(OSError):
                os.unlink(path)  # half a backup must not pass for a whole one
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote the hall (version {hall.version}) to {path}", file=sys.stderr)
    return 0


def config_import(args) -> int:
    import copy

    from . import hall_admin
    from .audit import Actor
    from .bootstrap import build_hub
    from .config.dump import config_dict, to_toml
    from .engine.model import DomainError

    new = load_config(args.file)  # a mistake: check-config's report, exit 2, nothing opened
    db = args.db or DEFAULT_URL
    current = _database_hall(db, new)
    wanted = config_dict(new)
    if current is not None:
        held = config_dict(current)
        if held == wanted:
            print(f"no difference: the database's hall (version {current.version}) is "
                  f"{args.file}; nothing was changed")
            return 0
        # Both sides as the export writes them: only what the hall is differs, not how the
        # file was laid out or commented.
        sys.stdout.writelines(_unified_diff(
            to_toml(held).splitlines(keepends=True), to_toml(wanted).splitlines(keepends=True),
            f"the database's hall (version {current.version})", args.file))
        question = f"Replace the hall (version {current.version}) with {args.file}? [y/N] "
    else:
        print(f"the database holds no hall yet: {args.file} becomes its version 1")
        question = f"Store {args.file} as the hall (version 1)? [y/N] "
    sys.stdout.flush()
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("not at a terminal, and --yes not given: nothing was changed",
                               EXIT_CONFIG)
        try:
            answer = input(question)
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            raise CommandError("not replaced: nothing was changed")

    hub = build_hub(new, db, follow=False, create=False)  # seeds `new` when no hall was held
    try:
        if current is None:
            if hub.seed_ignored:  # another hub stored a hall between the look and now
                raise CommandError("the database got a hall while you looked: nothing was "
                                   "changed; run the import again to see the difference")
            print(f"stored {args.file} as the hall, version {hub.config.version}")
            return 0

        def edit(data: dict) -> dict:
            # The user said yes to the difference with `held`: a hall changed since (in /admin,
            # say) is not replaced unseen.
            if data != held:
                raise CommandError(
                    f"the hall changed while you looked (it is now version {hub.config.version} "
                    "or later): nothing was changed; run the import again to see the difference")
            return copy.deepcopy(wanted)

        def audit(before: dict, after: dict, version: int):
            was, became = hall_admin.config_audit(before, after, version)
            return was, {**became, "file": os.path.abspath(args.file)}

        # As PUT /api/admin/config makes it: the same rules beyond the file's (no window
        # leaving while a ticket is at it, no service dropped while tickets wait for it, an
        # administrator left), one version with its audit entry and hall.changed.
        try:
            result = hall_admin.change(hub, edit, Actor(*CLI_IMPORT), "config.import", "config",
                                       audit)
        except DomainError as exc:
            raise CommandError(f"refused: {exc.message}; nothing was changed") from None
    finally:
        hub.stop()
    if not result.changed:  # made the same by someone else meanwhile
        print(f"no difference: the database's hall (version {result.version}) is {args.file}; "
              "nothing was changed")
        return 0
    print(f"the hall is now version {result.version} (was {current.version}); the hubs running "
          "on this database follow it within a second")
    return 0


def _unified_diff(a: list[str], b: list[str], fromfile: str, tofile: str, context: int = 3):
    """difflib.unified_diff's text, but matching every line: its matcher takes a line found in
    more than 1% of a long file (`service_minutes = 6`, `materials = [`) for junk, and a hall's
    file is mostly such lines, so one changed name showed as a dozen lines changed."""
    import difflib

    groups = difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context)
    for i, group in enumerate(groups):
        if i == 0:
            yield f"--- {fromfile}\n+++ {tofile}\n"
        (_, a1, _, b1, _), (*_, a2, _, b2) = group[0], group[-1]
        yield f"@@ -{_diff_range(a1, a2)} +{_diff_range(b1, b2)} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            yield from ("-" + line for line in a[i1:i2])
            yield from ("+" + line for line in b[j1:j2])


def _diff_range(start: int, stop: int) -> str:
    """A hunk's range as unified diffs write it (as difflib does: "3" for one line, "2,0" for
    none after line 2)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def close_day(args) -> int:
    from .bootstrap import build_hub

    # The file must exist at this code's schema; closing the day writes, as does the roll-over.
    hub = build_hub(load_config(args.config), args.db or DEFAULT_URL, follow=False, create=False)
    try:
        result = hub.close_day()
    finally:
        hub.stop()
    # As the roll-over at the day's start does: only waiting tickets are cancelled; a citizen
    # called or being served stays at the window until the clerk ends the visit.
    print(f"closed hall day {result.day}: {result.cancelled} waiting ticket(s) cancelled; "
          f"{result.at_windows} ticket(s) called or being served stay at their windows "
          "until the clerk ends them")
    return 0


def _stats_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD; default: today")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")


STATS_COLUMNS = ["kind", "id", "name_zh", "name_en", "issued", "called", "served", "no_show",
                 "transferred", "cancelled", "waiting", "avg_wait_s", "max_wait_s",
                 "avg_service_s", "rating_satisfied", "rating_basic", "rating_unsatisfied"]


def stats(args) -> int:
    from .bootstrap import build_hub
    from .web.serialize import stats_json

    # Only reads: never creates, migrates or writes the file, not even a roll-over.
    hub = build_hub(load_config(args.config), args.db or DEFAULT_URL, create=False, read_only=True)
    try:
        day = stats_json(hub.stats(args.date))  # the rows of GET /api/stats
    finally:
        hub.stop()
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["day"] + STATS_COLUMNS)
    for kind in ("services", "windows"):
        for row in day[kind]:
            flat = {"kind": kind[:-1], "name_zh": row["name"]["zh"], "name_en": row["name"]["en"],
                    **{f"rating_{k}": v for k, v in row["ratings"].items()}, **row}
            writer.writerow([day["day"]] + ["" if flat.get(c) is None else flat[c]
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


def _export_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--from", dest="from_day", required=True, metavar="YYYY-MM-DD",
                   help="the first hall day")
    p.add_argument("--to", dest="to_day", required=True, metavar="YYYY-MM-DD",
                   help="the last hall day (inclusive; at most 366 days in all)")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")


def export(args) -> int:
    """The raw tickets of some hall days as CSV, what GET /api/tickets/export answers."""
    from .bootstrap import build_hub
    from .web.reports_api import export_csv, parse_range

    try:
        from_day, to_day = parse_range(args.from_day, args.to_day)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    # Only reads: never creates, migrates or writes the file, not even a roll-over.
    hub = build_hub(load_config(args.config), args.db or DEFAULT_URL, create=False, read_only=True)
    try:
        if not args.output:  # as `stats`: the byte-order mark only in a file, for spreadsheets
            for piece in export_csv(hub, from_day, to_day):
                sys.stdout.write(piece.lstrip("\ufeff"))
            return 0
        _write_file(args.output, (piece.encode("utf-8") for piece in export_csv(hub, from_day, to_day)))
    finally:
        hub.stop()
    return 0


def _write_file(name: str, pieces) -> None:
    """Write the bytes `pieces` to the file `name`, or fail in one line; a file left half
    written by a full disk is removed: a spreadsheet would open it without a word."""
    path = os.path.abspath(name)
    try:
        with open(path, "wb") as out:
            for piece in pieces:
                out.write(piece)
    except OSError as exc:
        if not isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


def _report_arguments(p: argparse.ArgumentParser) -> None:
    from .reports import BY
    from .reports.formats import FORMATS

    _export_arguments(p)
    p.add_argument("--by", choices=BY, default="service", help="one row per … (default service)")
    p.add_argument("--format", dest="fmt", choices=FORMATS, default="csv",
                   help="csv (UTF-8 with BOM in a file), xlsx (needs -o) or json (default csv)")


def report(args) -> int:
    """A report over some hall days, what GET /api/reports answers."""
    from .bootstrap import build_hub
    from .reports import report as build_report
    from .reports.formats import render
    from .web.reports_api import parse_range

    try:
        from_day, to_day = parse_range(args.from_day, args.to_day)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    if args.fmt == "xlsx" and not args.output:
        raise CommandError("an XLSX report is a file: give it one with -o FILE", EXIT_CONFIG)
    # Only reads: never creates, migrates or writes the database (as `export`).
    hub = build_hub(load_config(args.config), args.db or DEFAULT_URL, create=False, read_only=True)
    try:
        data = render(build_report(hub, from_day, to_day, args.by), args.fmt)
    finally:
        hub.stop()
    if not args.output:  # as `export`: the byte-order mark only in a file, for spreadsheets
        sys.stdout.write(data.decode("utf-8").lstrip("\ufeff") + ("\n" if args.fmt == "json" else ""))
        return 0
    _write_file(args.output, [data])
    return 0


def _simulate_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--days", type=positive, required=True, metavar="N",
                   help="how many hall days, ending yesterday")
    p.add_argument("--per-day", type=positive, required=True, metavar="K",
                   help="tickets issued each day")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="the same seed makes the same history (default 0)")
    p.add_argument("--durable", action="store_true",
                   help="fsync every commit as the hub does (slower; by default the simulation "
                        "writes with PRAGMA synchronous=OFF)")


def simulate(args) -> int:
    """A demo or test database: a made-up history, written through the hub's use cases."""
    from .simulate import Refused
    from .simulate import simulate as run

    db = args.db or DEFAULT_URL
    progress = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    try:
        result = run(load_config(args.config), db, args.days, args.per_day, seed=args.seed,
                     durable=args.durable, progress=progress)
    except Refused as exc:
        raise CommandError(f"{exc}; nothing was written", EXIT_CONFIG) from None
    c = result.counts
    print(f"simulated {len(result.days)} hall days, {result.tickets} tickets ({result.days[0]} to "
          f"{result.days[-1]}: {c['served']} served, {c['no_shows']} no-shows of which "
          f"{c['requeued']} requeued, {c['transfers']} transfers, {c['green']} green, "
          f"{c['rated']} rated) into {_db_path(args)} in {result.seconds:.0f} s")
    return 0


CENTRAL_DEFAULT_URL = "sqlite:///var/hallcall-central.db"
# The central's database URL may hold a password: its unit gives it in the environment, which
# ps does not show, rather than on the command line.
CENTRAL_DB_ENV = "HALLCALL_CENTRAL_DB"


def _central_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", default=None,
                   help="the central's own database: postgresql+psycopg://USER@HOST/DB, or an "
                        f"SQLite path or URL for trying it out; default: ${CENTRAL_DB_ENV}, "
                        f"else {CENTRAL_DEFAULT_URL}")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every address, for the halls to reach)")
    p.add_argument("--port", type=port, default=8090)
    p.add_argument("--threads", type=positive, default=16,
                   help="worker threads for requests (default 16)")


def central(args) -> int:
    from .central.server import serve as serve_central

    db = args.db or os.environ.get(CENTRAL_DB_ENV) or CENTRAL_DEFAULT_URL
    args.db = db  # for explain's words about it
    serve_central(db, args.host, args.port, args.threads)
    return 0


def _hash_password_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--iterations", type=int, default=ITERATIONS,
                   help=f"PBKDF2 iterations ({MIN_ITERATIONS}-{MAX_ITERATIONS}; default {ITERATIONS})")


def hash_password(args) -> int:
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


# -- the hub's errors in the user's words ---------------------------------------------------------

# SQLite's primary result codes whose cause is the disk or the folder, in the user's words.
SQLITE_HINTS = {8: "cannot write it (read-only file, folder or file system?)",
                10: "the disk failed to read or write it (a failing SD card?)",
                13: "the disk is full", 14: "cannot open it (its folder missing or not writable?)",
                26: "it is not an SQLite database"}
SQLITE_NAMES = {"SQLITE_READONLY": 8, "SQLITE_IOERR": 10, "SQLITE_FULL": 13, "SQLITE_CANTOPEN": 14}


# PostgreSQL's storage failures (store/errors.py's reasons) in the same words.
_PG_UNREACHABLE = "the PostgreSQL server cannot be reached (stopped, restarting, or the network down?)"
PG_HINTS = {"PG_CONNECTION": _PG_UNREACHABLE, "PG_08": _PG_UNREACHABLE,
            "PG_57P": "the PostgreSQL server is shutting down or starting up",
            "PG_53100": "the PostgreSQL server's disk is full",
            "PG_53": "the PostgreSQL server is out of resources (disk, memory or connections)",
            "PG_58": "the PostgreSQL server failed to read or write its disk",
            "PG_25006": "the PostgreSQL server is read-only (a standby?)"}


def explain(exc: Exception, args) -> tuple[int, str] | None:
    """The exit status and line for an error of the hub's database, server or backup."""
    from .store.backup import BackupError
    from .store.db import DatabaseUnavailable
    from .store.errors import StorageUnavailable
    from .wsgi import CannotListen

    if isinstance(exc, (DatabaseUnavailable, CannotListen, BackupError)):
        return getattr(exc, "status", EXIT_RUNTIME), str(exc)
    reason = exc.reason if isinstance(exc, StorageUnavailable) else _pg_storage_failure(exc)
    if reason and reason.startswith("PG_"):
        words = next((w for key, w in PG_HINTS.items() if reason.startswith(key)), reason)
        return EXIT_RUNTIME, f"the database {_db_path(args)}: {words}"
    if isinstance(exc, StorageUnavailable) or _sqlite_error(exc) is not None:
        return EXIT_RUNTIME, f"the database {_db_path(args)}: {_storage_words(exc, args)}"
    return None


def _pg_storage_failure(exc: BaseException) -> str | None:
    """store/errors.py's name for a PostgreSQL storage failure behind `exc` (following
    SQLAlchemy's wrapping and `from`), or None."""
    from .store.errors import storage_failure

    while exc is not None:
        reason = storage_failure(exc)
        if reason is not None:
            return reason
        exc = exc.__cause__
    return None


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
    from .store.db import database_name

    try:
        return database_name(getattr(args, "db", None) or DEFAULT_URL)
    except Exception:  # noqa: BLE001 - only naming it; the error being told is another
        return str(args.db)


COMMANDS = [
    Command("serve", "run the hub (HTTP API, event stream, web pages)", _serve_arguments, serve,
            explain=explain),
    Command("migrate", "create or upgrade the database schema and exit", _migrate_arguments,
            migrate, explain=explain),
    Command("backup", "copy the live database into a folder, checked, and remove the old copies",
            _backup_arguments, backup, explain=explain),
    Command("check-config", "validate a hall config and exit", _check_config_arguments,
            check_config),
    Command("config", "the hall in the database: `config export` writes it as TOML, "
                      "`config import FILE` replaces it", _config_arguments, config_command,
            explain=explain),
    Command("close-day", "close the current hall day: cancel waiting tickets (those at a window "
                         "stay)", _common, close_day, explain=explain),
    Command("stats", "export a day's statistics as CSV", _stats_arguments, stats, explain=explain),
    Command("export", "export the raw tickets of some hall days as CSV (--from, --to)",
            _export_arguments, export, explain=explain),
    Command("report", "a report over some hall days by service, department, window, staff, hour "
                      "or day, as CSV, XLSX or JSON", _report_arguments, report, explain=explain),
    Command("hash-password", "hash a clerk's password for the hall config ([[clerks]] "
                             "password_hash)", _hash_password_arguments, hash_password),
    Command("simulate", "write a made-up history of past hall days into a demo or test database",
            _simulate_arguments, simulate, explain=explain),
    Command("central", "run the city's central server: the halls forward their events to it; it "
                       "serves their live state, reports over every hall and the city overview",
            _central_arguments, central, explain=explain),
]
