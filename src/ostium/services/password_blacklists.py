"""Password blacklists: files of passwords too easy to guess, for `passwordBlacklist(name)`.

Keycloak reads `<name>` from its blacklists folder (`data/password-blacklists` under its
home, moved with `--spi-password-policy-password-blacklist-blacklists-path`), one
password a line, compared in lower case. Ostium's folder is `<data-dir>/password-blacklists`;
`--spi-password-policy-password-blacklist-blacklists-path` moves it, as in Keycloak. The
server and the offline tools point the process at it (`configure_folder`) at start-up.

A policy naming a file that is not there is refused when the policy is set (admin API,
import), never silently ignored. Keycloak keeps a Bloom filter (false positives possible);
Ostium keeps an exact set of the lines, re-read when the file's size or time changes.
"""

from __future__ import annotations

import threading
from pathlib import Path

__all__ = ["FOLDER_NAME", "PasswordBlacklists", "configure_folder", "current", "folder_of"]

FOLDER_NAME = "password-blacklists"


class PasswordBlacklists:
    """The blacklist files of one folder, loaded on first use and cached."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[tuple[int, int], frozenset[str]]] = {}

    def path(self, name: str) -> Path:
        return self.folder / name

    def exists(self, name: str) -> bool:
        return "/" not in name and "\\" not in name and self.path(name).is_file()

    def contains(self, name: str, password: str) -> bool:
        """Whether `password` (already in lower case) is a line of blacklist `name`.
        A file that has gone since the policy was set blocks nothing, as an unreadable
        list cannot say which passwords it holds."""
        try:
            stat = self.path(name).stat()
        except OSError:
            return False
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._loaded.get(name)
            if cached is None or cached[0] != stamp:
                try:
                    text = self.path(name).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    return False
                words = frozenset(line.strip().lower() for line in text.splitlines())
                cached = (stamp, words - {""})
                self._loaded[name] = cached
        return password in cached[1]


_current = PasswordBlacklists(Path("data") / FOLDER_NAME)


def folder_of(data_dir: Path, configured: Path | None) -> Path:
    """`--spi-password-policy-password-blacklist-blacklists-path`, else
    `<data-dir>/password-blacklists`."""
    return configured if configured is not None else data_dir / FOLDER_NAME


def configure_folder(folder: Path) -> None:
    """Point the process at its blacklists folder (server start-up, offline tools)."""
    global _current
    _current = PasswordBlacklists(folder)


def current() -> PasswordBlacklists:
    """The process's blacklists (`<data-dir>/password-blacklists` once configured)."""
    return _current
