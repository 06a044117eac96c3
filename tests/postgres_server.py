"""A private PostgreSQL server that asks for passwords (scram-sha-256), for the tests of
a wrong password: the shared test server trusts every connection from this machine, so a
wrong password there is let in.

It needs PostgreSQL's server programs (initdb, pg_ctl). As root they run as the
`postgres` user, since PostgreSQL refuses to run as root. Missing: skipped with the
reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.redis_server import free_port

__all__ = ["PasswordPostgres", "password_postgres"]


@dataclass(frozen=True)
class PasswordPostgres:
    port: int
    superuser_password: str

    def url(self, user: str, password: str, database: str = "postgres") -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"


def _unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _program(name: str) -> str | None:
    """On PATH, or where Debian installs the server programs (off PATH)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


@contextmanager
def password_postgres() -> Iterator[PasswordPostgres]:
    """A fresh cluster on a free loopback port whose superuser `postgres` has a password;
    stopped and removed afterwards."""
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if initdb is None or pg_ctl is None:
        _unavailable("PostgreSQL's server programs are not installed (initdb, pg_ctl)")
    assert initdb is not None and pg_ctl is not None
    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if owner is None or runuser is None:
            _unavailable("as root, initdb needs the 'postgres' user and runuser")
        run_as = [str(runuser), "-u", "postgres", "--"]
    directory = Path(tempfile.mkdtemp(prefix="ostium-pg-"))
    password = secrets.token_urlsafe(12)
    try:
        password_file = directory / "password"
        password_file.write_text(password)
        if owner is not None:
            for path in (directory, password_file):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        data = str(directory / "data")
        initialise = [initdb, "-D", data, "-U", "postgres", "-A", "scram-sha-256"]
        subprocess.run(
            [*run_as, *initialise, f"--pwfile={password_file}"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = free_port()
        options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
        # -l: the server's output goes to a file, not to pipes that pg_ctl would hold open.
        log = str(directory / "log")
        subprocess.run(
            [*run_as, pg_ctl, "-D", data, "-l", log, "-o", options, "-w", "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        try:
            yield PasswordPostgres(port, password)
        finally:
            subprocess.run(
                [*run_as, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
