"""`--truststore-paths`: the CA certificates client certificates must chain to.

Keycloak takes PEM files and folders of them (each folder's `*.pem`, `*.crt` and `*.cer`,
not recursively); every certificate found is trusted. Read once at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

__all__ = ["TruststoreError", "load_pkcs12_truststore", "load_truststore"]

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


def load_pkcs12_truststore(path: Path, password: str | None) -> list[x509.Certificate]:
    """`--https-trust-store-file`: every certificate of a PKCS#12 store is a trust anchor,
    as in a Java trust store."""
    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise TruststoreError(f"cannot read {path}: {exc.strerror}") from None
    try:
        store = pkcs12.load_pkcs12(data, password.encode() if password else None)
    except ValueError:
        raise TruststoreError(f"{path} is not a PKCS#12 store, or the password is wrong") from None
    found = [c.certificate for c in store.additional_certs]
    if store.cert is not None:
        found.insert(0, store.cert.certificate)
    if not found:
        raise TruststoreError(f"{path} holds no certificate")
    return found
