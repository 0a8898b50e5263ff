"""A throwaway PostgreSQL 15 cluster: initdb and pg_ctl in a temporary folder, a free port.

``initdb`` refuses to run as root, and sessions and CI here are root, so the server
runs as the ``postgres`` user when the caller is root.

Every login needs a password, checked with SCRAM-SHA-256 (``pg_hba.conf`` as initdb writes it
with ``--auth=scram-sha-256``: no ``trust``, not even on the socket). The ``postgres`` user's
password is drawn per cluster and is in ``dsn()``.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tools.certificates import write_secret
from tools.ports import free_port, wait_for_port

SERVICE_DATABASES = ("actions", "accountability", "notifications")


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise RuntimeError(f"PostgreSQL's {name} is not installed")


@dataclass
class PostgresServer:
    workdir: Path | None = None
    port: int = 0
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    _tmp: Path | None = None

    @property
    def data_dir(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "data"

    @property
    def log_file(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "postgres.log"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # psql's password comes from the environment, never from its command line (visible in ps).
        return subprocess.run(cmd, capture_output=True, text=True, check=check,
                              env={**os.environ, "PGPASSWORD": self.password})

    def start(self, databases: tuple[str, ...] = SERVICE_DATABASES, timeout: float = 60) -> PostgresServer:
        self._tmp = Path(tempfile.mkdtemp(prefix="pg-", dir=self.workdir))
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self._tmp, pg.pw_uid, pg.pw_gid)
        self.port = free_port()
        password_file = write_secret(self._tmp / "password", self.password)
        if os.geteuid() == 0:
            os.chown(password_file, pg.pw_uid, pg.pw_gid)
        done = self._run(_bin("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=scram-sha-256",
                         f"--pwfile={password_file}", "-E", "UTF8", "--no-sync", check=False)
        password_file.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        self.start_server(timeout)
        for db in databases:
            self.psql(f'CREATE DATABASE "{db}"')
        return self

    def start_server(self, timeout: float = 60) -> None:
        """Start (or restart, after ``stop_server``) the server on the same port and data."""
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._tmp} -c fsync=off "
                "-c max_connections=200 -c shared_buffers=128MB")
        done = self._run(_bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                         "-o", opts, "-w", "-t", str(int(timeout)), "start", check=False)
        if done.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{log}")
        wait_for_port(self.port, timeout, self.log_file)

    def stop_server(self, mode: str = "fast") -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self._run(_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout

    def stop(self) -> None:
        if self._tmp is None:
            return
        self.stop_server("immediate")
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = None
