"""Test and benchmark support: a throwaway PostgreSQL cluster on a free loopback port.

:class:`ThrowawayPostgres` runs ``initdb`` into a temporary folder and ``pg_ctl start``
on 127.0.0.1 (as the ``postgres`` user when running as root, because PostgreSQL refuses
to run as root), with trust authentication on loopback only and ``fsync`` left on.
:meth:`~ThrowawayPostgres.new_database` creates an empty database and returns its URL.
Nothing listens beyond loopback; :meth:`~ThrowawayPostgres.stop` removes everything.

Example
-------
>>> find_postgres_bindir() is None or (find_postgres_bindir() / "initdb").exists()
True
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

__all__ = ["ThrowawayPostgres", "find_postgres_bindir"]


def find_postgres_bindir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` (Debian's newest, else on ``PATH``), or ``None``.

    Example
    -------
    >>> bindir = find_postgres_bindir()
    >>> bindir is None or (bindir / "pg_ctl").exists()
    True
    """
    debian = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()),
        key=lambda p: int(p.parent.name),
        reverse=True,
    )
    on_path = [Path(d) for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    for directory in [*debian, *on_path]:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ThrowawayPostgres:
    """A temporary PostgreSQL cluster; use :meth:`start`, :meth:`new_database`, :meth:`stop`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="hpatwin-pg-"))
        self.port = _free_loopback_port()
        self.as_root = os.geteuid() == 0
        self._counter = itertools.count()
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.root.chmod(0o755)

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=180)

    def start(self) -> None:
        """``initdb`` and start on the loopback port."""
        data = str(self.root / "data")
        self._run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=100"
        )
        self._run("pg_ctl", "-D", data, "-l", str(self.root / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database``."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database; returns its URL."""
        name = f"t{os.getpid()}_{next(self._counter)}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name is generated, not user input
        return self.url(name)
