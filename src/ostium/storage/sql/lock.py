"""One writer process per SQLite data directory: an OS lock on `ostium.lock` beside the
database file, holding the PID of the process that has it.

SQLite serialises writers with file locks and a busy timeout, but two servers on one file
still fail each other: a transaction that read before the other server committed cannot
upgrade to a write (SQLite's SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out), and
each server's caches miss the other's writes. So a server, and each offline command that
writes, holds this lock for as long as it runs; readers (`export`, `token inspect`) take
no lock and read a WAL snapshot beside a live server.

The lock is `flock(2)`: the kernel drops it when its process ends, however it ends, so the
file a killed server leaves behind blocks nobody. The file itself is never deleted:
unlinking it would let a process that had just opened the old file lock an orphan while a
third one locks a new file, both believing they hold the directory.
PostgreSQL needs none of this: nodes sharing one database is how a cluster runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = [
    "LOCK_FILE",
    "DataDirectoryInUseError",
    "DataDirectoryLock",
    "acquire",
    "check_free",
    "sqlite_directory",
]

LOCK_FILE = "ostium.lock"


class DataDirectoryInUseError(Exception):
    """Another live process holds the directory; `pid` is None when it had not yet
    written its PID (it took the lock a moment ago)."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        self.directory = directory
        self.pid = pid
        held_by = f"PID {pid}" if pid is not None else "PID not yet recorded"
        super().__init__(
            f"The data directory '{directory}' is in use by another Ostium process ({held_by})"
        )


@dataclass
class DataDirectoryLock:
    """A held lock; `release` (or the end of the process) gives it up."""

    directory: Path
    _fd: int | None

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)  # a PID left behind would name an unrelated process
        os.close(self._fd)  # closing drops the flock
        self._fd = None


def sqlite_directory(url: str) -> Path | None:
    """The directory of the SQLite database file `url` names; None for PostgreSQL and for
    an in-memory database, which no other process can open."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).absolute().parent


def _recorded_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def check_free(directory: Path) -> None:
    """Raises `DataDirectoryInUseError` if a live process holds `directory`; writes
    nothing, so a server can ask before it checks its ports and a refused start leaves no
    file behind. `acquire` remains the authority: this only answers early."""
    try:
        fd = os.open(directory / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirectoryInUseError(directory, _recorded_pid(fd)) from None
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def acquire(directory: Path) -> DataDirectoryLock:
    """Takes `directory` for this process (creating it if need be) and records the PID,
    or raises `DataDirectoryInUseError` naming the holder."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _recorded_pid(fd)
        os.close(fd)
        raise DataDirectoryInUseError(directory, pid) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return DataDirectoryLock(directory, fd)
