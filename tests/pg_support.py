"""A throwaway PostgreSQL server for the tests, and a fresh database per test.

Fixtures (registered in tests/conftest.py, so any test can ask for them):

- `pg_server` (session): a `PgServer` started once for the whole run: Debian's `postgresql`
  binaries (`/usr/lib/postgresql/*/bin`, or `initdb`/`pg_ctl` on PATH), `initdb` into a temporary
  folder as the `postgres` user (initdb refuses root), trust authentication, listening on
  127.0.0.1 on a free port and on a unix socket in that folder, `fsync=on` (the durability tests
  must be real), stopped at the end of the session. With `HALLCALL_TEST_PG=postgresql://USER@HOST:PORT`
  set, that server is used instead (its user must be allowed to CREATE DATABASE). Where no server
  can be started (no binaries, no postgres user, initdb failing) every test that needs one skips,
  saying why; in CI ($CI set), whose .ci/run installs PostgreSQL, that is a failure instead.
- `pg_url` (function): `postgresql+psycopg://postgres@127.0.0.1:PORT/NAME`, a new empty database
  made for the test (on a given server dropped after it, open connections ended; the cluster
  started here is removed whole at the end instead).
- `store_url` (function, parametrized `sqlite` / `pg`): the test runs twice, once on a new SQLite
  file (conftest's `db_url`) and once on `pg_url`. Use it for the store's guarantees that must
  hold on both engines:

      def test_restart_keeps_numbering(store_url):
          hub = open_hub(store_url) ...

  Select one engine with `pytest -k pg` or `-k sqlite`. A test that needs several databases
  asks `pg_server.new_database()` (dropped at the session's end).
- `pg_server.halt()` / `resume()`: the server gone and back (only for the cluster started
  here, `pg_server.can_halt`); a test that halts it resumes it, whatever happens.
- `pg_only(url)`: True for a PostgreSQL URL, for the few asserts that differ by engine.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

ENV = "HALLCALL_TEST_PG"


def pg_only(url: str) -> bool:
    return url.startswith("postgresql")


def _binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: the newest Debian version, else PATH's."""
    def version(folder: str) -> int:
        name = Path(folder).parent.name
        return int(name) if name.isdigit() else 0

    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    return None


def _unavailable(reason: str):
    """No server for the tests: a skip saying why, except in CI, whose .ci/run installs
    PostgreSQL, where it is a failure (as tests/deploy's missing tools are): else a broken
    install would pass by skipping every PostgreSQL test."""
    if os.environ.get("CI"):
        pytest.fail(f"no PostgreSQL for the tests in CI ({reason}): .ci/run must install it")
    pytest.skip(reason)


PREFIX, OWNER = "hallcall-pg-", "owner.pid"  # the cluster's folder, and the test run that made it


def _remove_orphans(bindir: Path, run) -> None:
    """Stop and remove the clusters of test runs that were killed before their end (their owner
    process is gone): a server left behind would run until the machine stops. Those of runs
    still going, another engineer's or another xdist worker's, are left alone."""
    for folder in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            owner = int((folder / OWNER).read_text())
            os.kill(owner, 0)
            continue  # its run goes on
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not one of ours, or not ours to judge
        if (folder / "data" / "postmaster.pid").exists():
            run(bindir / "pg_ctl", "-D", folder / "data", "-m", "immediate", "-w", "stop",
                cwd=tempfile.gettempdir())
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A PostgreSQL server the tests may make databases on: started here (`start`) or given."""

    def __init__(self, url: str, stop=None):
        from sqlalchemy.engine import make_url

        self.url = make_url(url).set(drivername="postgresql+psycopg", database=None)
        self._stop, self._made = stop, []
        self._admin = None
        self._ctl = None  # pg_ctl on the cluster `start` made

    @property
    def port(self) -> int:
        return self.url.port or 5432

    def url_of(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def _connect(self):
        import psycopg

        if self._admin is None or self._admin.closed:
            u = self.url
            self._admin = psycopg.connect(host=u.host, port=self.port, user=u.username,
                                          password=u.password, dbname="postgres",
                                          autocommit=True, connect_timeout=10)
        return self._admin

    def new_database(self, keep: bool = True) -> str:
        """A new empty database's URL. keep: drop it only at the session's end."""
        name = f"hc_{uuid.uuid4().hex[:12]}"
        self._connect().execute(f"CREATE DATABASE {name}")
        if keep:
            self._made.append(name)
        return self.url_of(name)

    def drop_database(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        # FORCE (PostgreSQL 13+): a hub the test left running must not keep its database alive.
        self._connect().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        for name in self._made if self._ctl is None else ():  # a started one goes whole
            try:
                self.drop_database(self.url_of(name))
            except Exception:  # noqa: BLE001 - a stopped server takes its databases with it
                pass
        if self._admin is not None:
            self._admin.close()
        if self._stop:
            self._stop()

    @classmethod
    def start(cls) -> PgServer:
        """initdb and start a cluster in a temporary folder; a skip (in CI a failure) with the
        reason when this machine cannot."""
        try:
            import psycopg  # noqa: F401
        except ImportError:
            _unavailable("PostgreSQL tests need psycopg 3: pip install -e '.[test]'")
        bindir = _binaries()
        if bindir is None:
            _unavailable("no PostgreSQL server binaries (apt-get install postgresql), "
                        f"nor {ENV} set to a server's URL")
        as_user: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                _unavailable("running as root and there is no postgres user to run the server as "
                            "(Debian's postgresql package makes one)")
            runuser = shutil.which("runuser")
            as_user = [runuser, "-u", "postgres", "--"] if runuser else None
            if as_user is None:
                _unavailable("running as root without runuser to start PostgreSQL as postgres")
        def run(*args, cwd=None):
            return subprocess.run([*as_user, *map(str, args)], capture_output=True, text=True,
                                  timeout=120, check=False, cwd=cwd or folder)

        _remove_orphans(bindir, run)
        folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (folder / OWNER).write_text(str(os.getpid()))
        if as_user:
            os.chown(folder, pw.pw_uid, pw.pw_gid)
        data, log = folder / "data", folder / "server.log"

        # --no-sync: only initdb's own files go unsynced; the server runs with fsync=on.
        made = run(bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
        if made.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            _unavailable(f"initdb failed, no PostgreSQL for the tests: {made.stderr.strip()[-400:]}")
        options = {
            "listen_addresses": "127.0.0.1", "unix_socket_directories": str(folder),
            "shared_buffers": "16MB", "fsync": "on", "synchronous_commit": "on",
            "max_connections": "200", "max_wal_size": "256MB",
        }
        for _attempt in range(3):  # the free port may be taken between the probe and the start
            port = _free_port()
            ctl = [bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60",
                   "-o", f"-p {port} " + " ".join(f"-c {k}={v}" for k, v in options.items())]
            started = run(*ctl, "start")
            if started.returncode == 0:
                break
        else:
            tail = log.read_text(errors="replace")[-600:] if log.exists() else started.stderr
            shutil.rmtree(folder, ignore_errors=True)
            _unavailable(f"PostgreSQL did not start: {tail.strip()}")

        def stop():
            run(*ctl, "-m", "immediate", "stop")
            shutil.rmtree(folder, ignore_errors=True)

        server = cls(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop)
        server._ctl = lambda *args: run(*ctl, *args)
        return server

    @property
    def can_halt(self) -> bool:
        return self._ctl is not None

    def halt(self) -> None:
        """Stop the server (a started one only), as a crash or an administrator would: its
        clients' connections are cut, new ones refused, until `resume`."""
        if self._admin is not None:
            self._admin.close()
        done = self._ctl("-m", "immediate", "stop")
        assert done.returncode == 0, done.stderr

    def resume(self) -> None:
        """Start the halted server again (nothing when it runs)."""
        if self._ctl("status").returncode != 0:
            done = self._ctl("start")
            assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def pg_server():
    given = os.environ.get(ENV)
    server = PgServer(given) if given else PgServer.start()
    try:
        server._connect()
    except Exception as exc:  # noqa: BLE001 - a given server that is not there: say so, skip
        server.close()
        pytest.skip(f"no PostgreSQL server at {server.url.render_as_string()}: {exc}")
    yield server
    server.close()


@pytest.fixture
def pg_url(pg_server):
    # On the cluster started here databases are never dropped: a DROP waits for a checkpoint
    # (seconds on a busy disk), and the whole cluster is removed at the session's end anyway.
    url = pg_server.new_database(keep=False)
    yield url
    if not pg_server.can_halt:
        pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "pg"])
def store_url(request):
    return request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")
