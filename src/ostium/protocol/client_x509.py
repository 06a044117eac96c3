"""RFC 8705 §2.1 PKI mutual-TLS client authentication (`tls_client_auth`), as Keycloak's
`client-x509` client authenticator does it.

The client's attribute `x509.subjectdn` names the subject DN its certificate must carry:
a regular expression matched against the whole RFC 4514 subject (`CN=app,O=Example`) while
`x509.allow.regex.pattern.comparison` is unset or true — Keycloak's default, kept for
backward compatibility — or else compared as a DN (attribute by attribute, case-insensitive).
`x509.casubjectdn`, when set, is the DN the certificate's issuer must have.

Stricter than Keycloak: only the client certificate itself is matched, never a CA certificate
further up the chain (Keycloak accepts a match anywhere in the chain). The chain arrives
verified against the truststore (`web/client_certificates.py`); without one there is no
authentication.
"""

from __future__ import annotations

import re

from cryptography import x509

from ostium.domain import Client
from ostium.errors import InvalidClient

__all__ = [
    "ALLOW_REGEX",
    "CA_SUBJECT_DN",
    "CLIENT_X509",
    "SUBJECT_DN",
    "check_client_certificate",
    "dn_equal",
]

CLIENT_X509 = "client-x509"
SUBJECT_DN = "x509.subjectdn"
CA_SUBJECT_DN = "x509.casubjectdn"
ALLOW_REGEX = "x509.allow.regex.pattern.comparison"

_FAILED = "Invalid client or Invalid client credentials"


def check_client_certificate(
    client: Client, chain: tuple[x509.Certificate, ...], rejected: str | None = None
) -> None:
    """Raises `InvalidClient` unless the request's certificate is the one `client` expects.
    `rejected`: why a certificate the request carried was refused; it becomes the failure's
    detail, which the CLIENT_LOGIN_ERROR event shows as its reason."""
    if not chain:
        detail = f"client certificate rejected: {rejected}" if rejected else "no client certificate"
        raise InvalidClient(_FAILED, detail=detail)
    certificate = chain[0]
    expected = client.attributes.get(SUBJECT_DN, "").strip()
    if not expected:
        raise InvalidClient(_FAILED, detail=f"client has no {SUBJECT_DN}")
    subject = certificate.subject.rfc4514_string()
    if not _subject_matches(client, expected, certificate.subject):
        raise InvalidClient(_FAILED, detail=f"certificate subject {subject!r} does not match")
    ca = client.attributes.get(CA_SUBJECT_DN, "").strip()
    if ca and not dn_equal(ca, certificate.issuer):
        issuer = certificate.issuer.rfc4514_string()
        raise InvalidClient(_FAILED, detail=f"certificate issuer {issuer!r} does not match")


def _subject_matches(client: Client, expected: str, subject: x509.Name) -> bool:
    if client.attributes.get(ALLOW_REGEX, "true").strip().lower() != "false":
        try:
            return re.fullmatch(expected, subject.rfc4514_string()) is not None
        except re.error:
            return False
    return dn_equal(expected, subject)


def dn_equal(text: str, name: x509.Name) -> bool:
    """A DN as an administrator writes it against a certificate's: the same attributes in
    the same order, values compared case-insensitively (RFC 4518 caseIgnoreMatch, roughly)."""
    # Administrators write `cn=app, o=Example` as Java's X500Principal accepts it; the
    # RFC 4514 parser wants upper-case attribute types and no space after a separator.
    parts = []
    for part in re.split(r"(?<!\\),", text):
        key, equals, value = part.partition("=")
        if not equals:
            return False
        parts.append(f"{key.strip().upper()}={value.strip()}")
    try:
        parsed = x509.Name.from_rfc4514_string(",".join(parts))
    except ValueError:
        return False
    return _canonical(parsed) == _canonical(name)


def _canonical(name: x509.Name) -> list[list[tuple[str, str]]]:
    return [
        sorted(
            (attribute.oid.dotted_string, " ".join(str(attribute.value).lower().split()))
            for attribute in rdn
        )
        for rdn in name.rdns
    ]
