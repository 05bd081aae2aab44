"""A real PostgreSQL server on loopback for the hub's tests and the sync benchmark: Debian's
``postgresql`` package (packaging/debian-packages.txt), a throwaway cluster made with initdb
in a directory of the caller's, stopped and removed afterwards.

PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not
permitted, postgres/src/backend/main/main.c), and CI runs as root: then initdb and the server
run as the ``postgres`` system user (the package makes it), in a directory handed to that
user. Otherwise they run as the current user.

Used as ``with start_postgres(directory) as url:`` outside pytest; the fixtures in
tests/sync/conftest.py use :func:`running_postgres` and :meth:`PostgresServer.database`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# The settings for tests: durability off, because a test's cluster dies with the test. The
# benchmark keeps them on (fsync=True) to measure what a county server would do.
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be run; the message says why and what to do."""


def find_bindir(root: Path | None = None) -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` (under ``root``) that has initdb and
    postgres."""
    root = root or PG_ROOT
    found = []
    for bindir in root.glob("*/bin") if root.is_dir() else ():
        version = bindir.parent.name
        if version.isdigit() and (bindir / "initdb").is_file() \
                and (bindir / "postgres").is_file():
            found.append((int(version), bindir))
    if not found:
        raise PostgresUnavailable(
            f"找不到 PostgreSQL（{root}/<版本>/bin）。请以 root 运行 sh packaging/system-deps.sh"
            f" 安装 / PostgreSQL not found under {root}/<version>/bin: install it with"
            " `sh packaging/system-deps.sh` (as root)")
    return max(found)[1]


@dataclass(frozen=True)
class PostgresServer:
    """A running cluster: superuser ``postgres``, trust authentication, loopback only."""

    port: int
    directory: Path

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for ``database`` with the psycopg 3 driver."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host=HOST, port=self.port, user=SUPERUSER, dbname=database,
                               connect_timeout=5, autocommit=True)

    def create_database(self) -> str:
        """A new empty database named ``t_<uuid>``; returns its name."""
        name = f"t_{uuid.uuid4().hex}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name`` even if connections to it are still open (PostgreSQL 13+)."""
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database for the block; yields its SQLAlchemy URL."""
        name = self.create_database()
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)


@contextlib.contextmanager
def start_postgres(directory: Path | str, fsync: bool = False) -> Iterator[str]:
    """Run a PostgreSQL server with its cluster in ``directory``; yields the SQLAlchemy URL
    of its ``postgres`` database. ``fsync=False`` turns durability off (tests)."""
    with running_postgres(Path(directory), fsync=fsync) as server:
        yield server.url()


@contextlib.contextmanager
def running_postgres(directory: Path, *, fsync: bool = False,
                     settings: Mapping[str, str] | None = None,
                     bindir: Path | None = None) -> Iterator[PostgresServer]:
    """Make a cluster in ``directory`` (created if missing), run the server on a free
    loopback port until the block ends, then stop it and remove what it made there.

    :param settings: more ``-c name=value`` settings for the server.
    :raises PostgresUnavailable: no PostgreSQL installed, or it did not start (the message
        carries the server's log).
    """
    bindir = bindir or find_bindir()
    owner = _server_user()
    made = [directory / "data", directory / "run", directory / "server.log"]
    if any(path.exists() for path in made):
        raise PostgresUnavailable(
            f"{directory} 里已有数据库集群，请给一个空目录 / {directory} already holds a cluster"
            " (data/, run/ or server.log): give an empty directory")
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        _hand_over(directory, owner)
        _initdb(bindir, directory / "data", owner)
        (directory / "run").mkdir()
        _hand_over(directory / "run", owner)
        options = {} if fsync else dict(FAST)
        options.update(settings or {})
        process, port = _start(bindir, directory, owner, options)
        try:
            yield PostgresServer(port, directory)
        finally:
            _stop(process)
    finally:
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for path in made:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: the ``postgres`` user when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "以 root 运行时需要系统用户 postgres。请运行 sh packaging/system-deps.sh / running as"
            " root needs the postgres system user: install PostgreSQL with"
            " `sh packaging/system-deps.sh`") from None


def _as(owner: pwd.struct_passwd | None) -> dict:
    """Popen arguments that drop root to ``owner`` (setresuid/setgroups in the child, as
    runuser would, without a process in between to forward signals through)."""
    if owner is None:
        return {}
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": [],
            "env": {**os.environ, "HOME": owner.pw_dir, "USER": owner.pw_name,
                    "LOGNAME": owner.pw_name}}


def _hand_over(path: Path, owner: pwd.struct_passwd | None) -> None:
    if owner is None:
        return
    os.chown(path, owner.pw_uid, owner.pw_gid)
    probe = subprocess.run(["test", "-w", str(path), "-a", "-x", str(path)], check=False,
                           **_as(owner))
    if probe.returncode != 0:
        raise PostgresUnavailable(
            f"系统用户 postgres 进不去 {path}（上级目录权限不足）；请换一个目录，例如 /tmp 下的"
            f" / the postgres user cannot reach {path} (a parent directory is closed to it):"
            " use a directory under /tmp")


def _initdb(bindir: Path, data: Path, owner: pwd.struct_passwd | None) -> None:
    done = subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER,
         "--no-sync", "-E", "UTF8", "--locale=C"],
        cwd=data.parent, capture_output=True, text=True, check=False, timeout=120,
        **_as(owner))
    if done.returncode != 0:
        raise PostgresUnavailable(
            f"initdb 失败 / initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _start(bindir: Path, directory: Path, owner: pwd.struct_passwd | None,
           options: Mapping[str, str]) -> tuple[subprocess.Popen, int]:
    log_path = directory / "server.log"
    # A port found free may be taken before the server binds it: try a few.
    for _attempt in range(3):
        port = _free_port()
        command = [str(bindir / "postgres"), "-D", str(directory / "data"),
                   "-k", str(directory / "run"), "-p", str(port),
                   "-c", f"listen_addresses={HOST}"]
        for name, value in options.items():
            command += ["-c", f"{name}={value}"]
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, cwd=directory, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, **_as(owner))
        if _wait_ready(process, port):
            return process, port
        _stop(process)
        log_text = log_path.read_text(errors="replace")
        if "could not bind" not in log_text and "already in use" not in log_text:
            break
    raise PostgresUnavailable(
        f"PostgreSQL 未能启动 / the PostgreSQL server did not start. Its log:\n"
        f"{log_path.read_text(errors='replace')}")


def _wait_ready(process: subprocess.Popen, port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            psycopg.connect(host=HOST, port=port, user=SUPERUSER, dbname="postgres",
                            connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen) -> None:
    """SIGINT is PostgreSQL's fast shutdown, SIGQUIT its immediate one; a server that
    ignores both is killed with its whole process group (its backends too)."""
    for sig in (signal.SIGINT, signal.SIGQUIT):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
            return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(STOP_TIMEOUT)
