"""`--truststore-paths`: the CA certificates client certificates must chain to.

Keycloak takes PEM files and folders of them (each folder's `*.pem`, `*.crt` and `*.cer`,
not recursively); every certificate found is trusted. Read once at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

__all__ = ["TruststoreError", "load_truststore"]

_SUFFIXES = (".pem", ".crt", ".cer")


class TruststoreError(ValueError):
    """A truststore path that cannot be used; the message names it."""


def load_truststore(paths: Sequence[str | Path]) -> list[x509.Certificate]:
    certificates: list[x509.Certificate] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES)
        elif path.is_file():
            files = [path]
        else:
            raise TruststoreError(f"{path} is neither a file nor a folder")
        for file in files:
            certificates += _read(file)
    return certificates


def _read(file: Path) -> list[x509.Certificate]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise TruststoreError(f"cannot read {file}: {exc.strerror}") from None
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TruststoreError(f"{file} holds no PEM certificate") from None
    return found
