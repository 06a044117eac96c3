"""Revocation checks of a client certificate for X.509 user authentication: Keycloak's
`CertificateValidator.checkRevocationStatus` (CRL from configured files or URLs, CRL
distribution points, OCSP).

Everything fails closed: a CRL that cannot be read, parsed or verified, a source Ostium
cannot use (LDAP), or an OCSP answer that is missing, unsigned or "unknown" refuses the
certificate with a reason naming the check (OCSP only: unless `ocsp-fail-open`, as in
Keycloak — a "revoked" answer refuses whatever that option says).

A CRL's signature is verified with its issuer's certificate from the client's verified
chain (leaf first, up to the truststore); CRLs of issuers that are not in the chain are
ignored, and at least one CRL must come from the certificate's own issuer. CRLs and OCSP
responses are fetched over HTTP(S) only, at each login (Keycloak sends no-cache too).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

__all__ = ["RevocationRefused", "RevocationSettings", "check_revocation"]

_TIMEOUT = httpx.Timeout(10.0)
_MAX_BYTES = 16 * 1024 * 1024
_CLOCK_SKEW = timedelta(minutes=5)  # an OCSP response's thisUpdate a little in the future


class RevocationRefused(Exception):
    """The certificate is revoked, or its status could not be established."""


@dataclass(frozen=True)
class RevocationSettings:
    crl: bool = False
    crl_distribution_points: bool = False
    crl_paths: tuple[str, ...] = ("crl.pem",)
    crl_abort_if_non_updated: bool = True
    config_dir: Path = Path("conf")
    ocsp: bool = False
    ocsp_fail_open: bool = False
    ocsp_responder_uri: str | None = None
    ocsp_responder_certificate: x509.Certificate | None = field(default=None, compare=False)


async def check_revocation(
    chain: Sequence[x509.Certificate], settings: RevocationSettings, now: int
) -> None:
    """Raises `RevocationRefused` (its text is the event's reason) unless every enabled
    check finds the certificate good. `now`: seconds since the epoch."""
    moment = datetime.fromtimestamp(now, UTC)
    if settings.crl:
        if settings.crl_distribution_points:
            sources = _distribution_points(chain[0])
            if not sources:
                raise RevocationRefused(
                    "CRL distribution points checking is on, but the certificate names none"
                )
        else:
            sources = list(settings.crl_paths)
        crls = [await _load_crl(source, settings.config_dir) for source in sources]
        _check_crls(chain, crls, moment, settings.crl_abort_if_non_updated)
    if settings.ocsp:
        try:
            await _check_ocsp(chain, settings, moment)
        except _OcspInconclusive as inconclusive:
            if not settings.ocsp_fail_open:
                raise RevocationRefused(f"OCSP: {inconclusive}") from None


# --- CRL --------------------------------------------------------------------------------------


def _distribution_points(cert: x509.Certificate) -> list[str]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        name.value
        for point in points
        for name in point.full_name or []
        if isinstance(name, x509.UniformResourceIdentifier)
    ]


async def _load_crl(source: str, config_dir: Path) -> x509.CertificateRevocationList:
    lowered = source.lower()
    if lowered.startswith("ldap"):
        raise RevocationRefused(f"CRL from {source!r}: LDAP is not supported")
    if lowered.startswith(("http://", "https://")):
        data = await _fetch(source, None)
    else:
        path = Path(source)
        path = path if path.is_absolute() else config_dir / path
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            # The file's name only: the reason reaches the client, the directory is ours.
            raise RevocationRefused(f"unable to load CRL from {path.name!r}") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError:
        shown = source if lowered.startswith(("http://", "https://")) else Path(source).name
        raise RevocationRefused(f"{shown!r} is not a CRL") from None


async def _fetch(url: str, body: bytes | None) -> bytes:
    headers = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
    try:
        async with httpx.AsyncClient(timeout=_TIMEOUT, follow_redirects=False) as http:
            if body is None:
                response = await http.get(url, headers=headers)
            else:
                headers["Content-Type"] = "application/ocsp-request"
                response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise _FetchFailed(f"{url}: {type(error).__name__}") from None
    if response.status_code != 200:
        raise _FetchFailed(f"{url}: HTTP {response.status_code}")
    if len(response.content) > _MAX_BYTES:
        raise _FetchFailed(f"{url}: response too large")
    return response.content


class _FetchFailed(RevocationRefused):
    pass


def _signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False


def _check_crls(
    chain: Sequence[x509.Certificate],
    crls: list[x509.CertificateRevocationList],
    now: datetime,
    abort_if_outdated: bool,
) -> None:
    covered_leaf = False
    for crl in crls:
        issuer = next((c for c in chain if c.subject == crl.issuer), None)
        if issuer is None:
            continue  # another CA's CRL
        if not _signed_by(crl, issuer):
            raise RevocationRefused(
                f"the CRL of {crl.issuer.rfc4514_string()!r} is not signed by it"
            )
        next_update = crl.next_update_utc
        if abort_if_outdated and next_update is not None and next_update < now:
            raise RevocationRefused(
                f"the CRL of {crl.issuer.rfc4514_string()!r} is outdated"
                f" (next update {next_update:%Y-%m-%d %H:%M:%S}Z)"
            )
        for cert in chain:
            if cert.issuer != crl.issuer:
                continue
            covered_leaf = covered_leaf or cert is chain[0]
            revoked = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if revoked is not None:
                raise RevocationRefused(
                    f"certificate with serial number {cert.serial_number:x} has been revoked"
                    f" on {revoked.revocation_date_utc:%Y-%m-%d %H:%M:%S}Z"
                )
    if not covered_leaf:
        raise RevocationRefused(
            f"no CRL of the certificate's issuer {chain[0].issuer.rfc4514_string()!r}"
        )


# --- OCSP (RFC 6960) --------------------------------------------------------------------------


class _OcspInconclusive(Exception):
    pass


def _responder_uris(cert: x509.Certificate) -> list[str]:
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in access
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


async def _check_ocsp(
    chain: Sequence[x509.Certificate], settings: RevocationSettings, now: datetime
) -> None:
    cert = chain[0]
    if len(chain) < 2:
        raise _OcspInconclusive("the issuer's certificate is not in the chain")
    issuer = chain[1]
    uris = [settings.ocsp_responder_uri] if settings.ocsp_responder_uri else _responder_uris(cert)
    if not uris:
        raise _OcspInconclusive("no responder URI configured or in the certificate")
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - RFC 6960's CertID default
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    try:
        data = await _fetch(uris[0], request)
        response = ocsp.load_der_ocsp_response(data)
    except (RevocationRefused, ValueError) as error:
        raise _OcspInconclusive(f"no answer from the responder ({error})") from None
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise _OcspInconclusive(f"responder answered {response.response_status.name}")
    if not _ocsp_signed(response, issuer, settings.ocsp_responder_certificate, now):
        raise _OcspInconclusive("the response is not signed by the issuer or its responder")
    single = next(
        (
            r
            for r in response.responses
            if r.serial_number == cert.serial_number
            and r.issuer_key_hash == _key_hash(issuer, r.hash_algorithm)
        ),
        None,
    )
    if single is None:
        raise _OcspInconclusive("the response is about another certificate")
    if single.this_update_utc > now + _CLOCK_SKEW or (
        single.next_update_utc is not None and single.next_update_utc < now
    ):
        raise _OcspInconclusive("the response is not current")
    if single.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        when = single.revocation_time_utc
        raise RevocationRefused(
            f"OCSP: certificate with serial number {cert.serial_number:x} has been revoked"
            + (f" on {when:%Y-%m-%d %H:%M:%S}Z" if when else "")
        )
    if single.certificate_status != ocsp.OCSPCertStatus.GOOD:
        raise _OcspInconclusive("the certificate's status is unknown")


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(_public_key_bits(cert))
    return digest.finalize()


def _public_key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's content (RFC 6960 §4.1.1 issuerKeyHash)."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # SEQUENCE { algorithm SEQUENCE, subjectPublicKey BIT STRING }: skip to the bit string.
    position = _header_length(spki, 0)
    position += _element_length(spki, position)
    return spki[position + _header_length(spki, position) + 1 :]


def _header_length(der: bytes, at: int) -> int:
    first = der[at + 1]
    return 2 + (first & 0x7F if first & 0x80 else 0)


def _element_length(der: bytes, at: int) -> int:
    first = der[at + 1]
    if first & 0x80:
        count = first & 0x7F
        return 2 + count + int.from_bytes(der[at + 2 : at + 2 + count], "big")
    return 2 + first


def _ocsp_signed(
    response: ocsp.OCSPResponse,
    issuer: x509.Certificate,
    configured: x509.Certificate | None,
    now: datetime,
) -> bool:
    """RFC 6960 §4.2.2.2: signed by the issuer, by a responder the issuer delegated to
    (id-kp-OCSPSigning, issued by it), or by the responder certificate configured."""
    candidates = [c for c in (configured, issuer) if c is not None]
    for delegate in response.certificates:
        if _delegated(delegate, issuer, now):
            candidates.append(delegate)
    for signer in candidates:
        if not _names_responder(response, signer):
            continue
        if _verify(signer, response.signature, response.tbs_response_bytes, response):
            return True
    return False


def _names_responder(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    key_hash = response.responder_key_hash
    return key_hash is not None and key_hash == _key_hash(cert, hashes.SHA1())  # noqa: S303 - RFC 6960 byKey


def _delegated(cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> bool:
    if cert.issuer != issuer.subject:
        return False
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return False
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        cert.verify_directly_issued_by(issuer)
    except (x509.ExtensionNotFound, ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in usage


def _verify(
    signer: x509.Certificate, signature: bytes, data: bytes, response: ocsp.OCSPResponse
) -> bool:
    key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    try:
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        else:
            return False
    except InvalidSignature:
        return False
    return True
