"""X.509 client-certificate *user* authentication: Keycloak's `auth-x509-client-username-form`
(browser) and `direct-grant-auth-x509-username` (direct grant) authenticators, without the
pages: which user a verified client certificate stands for, or why none.

The chain arrives verified against the truststore (`web/client_certificates.py`, leaf first,
every certificate valid at the time of the request), so Keycloak's "Revalidate Client
Certificate" option is always in effect here — except behind nginx with
`trust-proxy-verification=true`, where the administrator chose to take the proxy's word and
the chain is the leaf alone (so CRLs and OCSP, which need the issuer, then refuse it). What this module adds is the authenticator
configuration's own checks (Keycloak's `CertificateValidator`), in Keycloak's order:
revocation (CRL, CRL distribution points, OCSP — `protocol/x509_revocation.py`), key usage,
extended key usage, certificate policies, validity period; then the user identity
extraction (`UserIdentityExtractor`) and its mapping to a user (`UserIdentityToModelMapper`),
then the user's own state: brute-force lockout, then disabled.

Keycloak's quirks kept for configurations to mean the same: a key usage or extended key
usage that is missing fails only when the certificate marks that extension critical (else
Keycloak merely logs it); option values are matched case-insensitively; DNs are written as
Java's `X500Principal` writes them (`CN=alice, O=Example`: most specific first, `, `
between attributes), so regular expressions written for Keycloak match the same text.

Nothing here records events or changes state: the caller records LOGIN / LOGIN_ERROR with
`CertificateLogin.error` and `x509_event_details`, and clears the user's login failures once
the login completes (as `protocol/login.check_credentials` does).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from ostium.domain import User
from ostium.domain.brute_force import is_locked
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.x509_revocation import (
    RevocationRefused,
    RevocationSettings,
    check_revocation,
)
from ostium.services.users import find_login_user
from ostium.storage.interfaces import Repositories, UserFilter

__all__ = [
    "CERTIFICATE_INVALID",
    "CONFIG_DIR",
    "MAPPERS",
    "MAPPING_SOURCES",
    "NO_CERTIFICATE",
    "USER_DISABLED",
    "USER_NOT_FOUND",
    "USER_TEMPORARILY_DISABLED",
    "CertificateLogin",
    "X509AuthConfig",
    "certificate_user",
    "java_dn",
    "mapped_user",
    "parse_x509_config",
    "x509_event_details",
]

# The configuration keys (Keycloak's AbstractX509ClientCertificateAuthenticator).
MAPPING_SOURCE = "x509-cert-auth.mapping-source-selection"
REGULAR_EXPRESSION = "x509-cert-auth.regular-expression"
MAPPER = "x509-cert-auth.mapper-selection"
ATTRIBUTE_NAME = "x509-cert-auth.mapper-selection.user-attribute-name"
CANONICAL_DN = "x509-cert-auth.canonical-dn-enabled"
SERIAL_HEX = "x509-cert-auth.serialnumber-hex-enabled"
TIMESTAMP_VALIDATION = "x509-cert-auth.timestamp-validation-enabled"
CRL_ENABLED = "x509-cert-auth.crl-checking-enabled"
CRLDP_ENABLED = "x509-cert-auth.crldp-checking-enabled"
CRL_PATH = "x509-cert-auth.crl-relative-path"
# Keycloak spells this one with a dash where the others have a dot.
CRL_ABORT_IF_NON_UPDATED = "x509-cert-auth-crl-abort-if-non-updated"
OCSP_ENABLED = "x509-cert-auth.ocsp-checking-enabled"
OCSP_FAIL_OPEN = "x509-cert-auth.ocsp-fail-open"
OCSP_RESPONDER_URI = "x509-cert-auth.ocsp-responder-uri"
OCSP_RESPONDER_CERTIFICATE = "x509-cert-auth.ocsp-responder-certificate"
KEY_USAGE = "x509-cert-auth.keyusage"
EXTENDED_KEY_USAGE = "x509-cert-auth.extendedkeyusage"
CERTIFICATE_POLICY = "x509-cert-auth.certificate-policy"
CERTIFICATE_POLICY_MODE = "x509-cert-auth.certificate-policy-mode"
CONFIRMATION_PAGE_DISALLOWED = "x509-cert-auth.confirmation-page-disallowed"
REVALIDATE_CERTIFICATE = "x509-cert-auth.revalidate-certificate-enabled"

# The mapping sources, as Keycloak's admin console offers them.
SUBJECT_DN = "Match SubjectDN using regular expression"
SUBJECT_EMAIL = "Subject's e-mail"
SAN_EMAIL = "Subject's Alternative Name E-mail"
SAN_UPN = "Subject's Alternative Name otherName (UPN)"
SUBJECT_CN = "Subject's Common Name"
ISSUER_DN = "Match IssuerDN using regular expression"
ISSUER_EMAIL = "Issuer's e-mail"
ISSUER_CN = "Issuer's Common Name"
SERIAL_NUMBER = "Certificate Serial Number"
SERIAL_NUMBER_ISSUER_DN = "Certificate Serial Number and IssuerDN"
SHA256_THUMBPRINT = "SHA-256 Thumbprint"
CERTIFICATE_PEM = "Full Certificate in PEM format"
MAPPING_SOURCES = (
    SUBJECT_DN,
    SUBJECT_EMAIL,
    SAN_EMAIL,
    SAN_UPN,
    SUBJECT_CN,
    ISSUER_DN,
    ISSUER_EMAIL,
    ISSUER_CN,
    SERIAL_NUMBER,
    SERIAL_NUMBER_ISSUER_DN,
    SHA256_THUMBPRINT,
    CERTIFICATE_PEM,
)

USERNAME_OR_EMAIL = "Username or Email"
CUSTOM_ATTRIBUTE = "Custom Attribute Mapper"
MAPPERS = (USERNAME_OR_EMAIL, CUSTOM_ATTRIBUTE)

POLICY_MODE_ALL = "All"
POLICY_MODE_ANY = "Any"

DEFAULT_EXPRESSION = "(.*?)(?:$)"
DEFAULT_ATTRIBUTE = "usercertificate"
DEFAULT_CRL_PATH = "crl.pem"
DELIMITER = "##"  # Keycloak's Constants.CFG_DELIMITER, between values of one option

# Relative CRL paths are read from here: the `conf` directory of the directory the server
# runs in, where `conf/ostium.conf` is read from too (Keycloak: `$KC_HOME/conf`,
# `jboss.server.config.dir`). An absolute path is read as it is.
CONFIG_DIR = Path("conf")

# The LOGIN_ERROR event codes (Keycloak's `Errors`) a `CertificateLogin` carries.
NO_CERTIFICATE = "user_not_found"  # ValidateX509CertificateUsername: no certificate
# Refused by the checks, no identity in it, or an identity several users share.
CERTIFICATE_INVALID = "invalid_user_credentials"
USER_NOT_FOUND = "user_not_found"  # an identity no user has
USER_DISABLED = "user_disabled"
USER_TEMPORARILY_DISABLED = "user_temporarily_disabled"
USER_DISABLED_BY_PERMANENT_LOCKOUT = "user_disabled_by_permanent_lockout"

# RFC 5280 §4.2.1.3 bits by Keycloak's names (CertificateValidator.KeyUsageBits).
_KEY_USAGE_BITS = {
    "digitalsignature": "digital_signature",
    "nonrepudiation": "content_commitment",
    "keyencipherment": "key_encipherment",
    "dataencipherment": "data_encipherment",
    "keyagreement": "key_agreement",
    "keycertsign": "key_cert_sign",
    "crlsign": "crl_sign",
    "encipheronly": "encipher_only",
    "decipheronly": "decipher_only",
}
_KEY_USAGE_NAMES = {
    "digital_signature": "digitalSignature",
    "content_commitment": "nonRepudiation",
    "key_encipherment": "keyEncipherment",
    "data_encipherment": "dataEncipherment",
    "key_agreement": "keyAgreement",
    "key_cert_sign": "keyCertSign",
    "crl_sign": "cRLSign",
    "encipher_only": "encipherOnly",
    "decipher_only": "decipherOnly",
}
# Keycloak compares extended key usages as OIDs; the RFC 5280 names are accepted too.
_EKU_NAMES = {
    "serverauth": ExtendedKeyUsageOID.SERVER_AUTH.dotted_string,
    "clientauth": ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string,
    "codesigning": ExtendedKeyUsageOID.CODE_SIGNING.dotted_string,
    "emailprotection": ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING.dotted_string,
    "ocspsigning": ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string,
}
_UPN = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")  # Microsoft's userPrincipalName


@dataclass(frozen=True)
class X509AuthConfig:
    """An authenticator configuration of Keycloak's X.509 authenticators, parsed.
    Defaults are those of Keycloak's `X509AuthenticatorConfigModel` for a key left out."""

    mapping_source: str = SUBJECT_DN
    regular_expression: str = DEFAULT_EXPRESSION
    mapper: str = USERNAME_OR_EMAIL
    attribute_names: tuple[str, ...] = (DEFAULT_ATTRIBUTE,)
    canonical_dn: bool = False
    serial_number_hex: bool = False
    timestamp_validation: bool = False
    key_usage: tuple[str, ...] = ()  # cryptography's KeyUsage attribute names
    extended_key_usage: tuple[str, ...] = ()  # dotted OIDs
    certificate_policies: tuple[str, ...] = ()  # dotted OIDs
    certificate_policy_mode: str = POLICY_MODE_ALL
    confirmation_page_disallowed: bool = False
    revalidate_certificate: bool = False
    revocation: RevocationSettings = field(default_factory=RevocationSettings)


def _flag(config: Mapping[str, str], key: str, default: bool = False) -> bool:
    """Java's Boolean.parseBoolean: "true" in any case is true, anything else false."""
    value = config.get(key)
    return default if value is None else value.strip().lower() == "true"


def _choice(config: Mapping[str, str], key: str, options: tuple[str, ...], default: str) -> str:
    value = config.get(key)
    if value is None or not value.strip():
        return default
    for option in options:
        if option.lower() == value.strip().lower():
            return option
    raise ValueError(f"{key}: unknown value {value!r} (one of {', '.join(options)})")


def _list(value: str | None, separators: str) -> tuple[str, ...]:
    if not value or not value.strip():
        return ()
    return tuple(part.strip() for part in re.split(f"[{separators}]", value) if part.strip())


def _key_usage(value: str | None) -> tuple[str, ...]:
    bits = []
    for name in _list(value, ","):
        bit = _KEY_USAGE_BITS.get(name.lower())
        if bit is None:
            raise ValueError(f"{KEY_USAGE}: unknown key usage {name!r}")
        bits.append(bit)
    return tuple(bits)


def _oids(key: str, value: str | None, names: Mapping[str, str]) -> tuple[str, ...]:
    oids = []
    for item in _list(value, ",;:"):
        oid = names.get(item.lower(), item)
        if not re.fullmatch(r"\d+(\.\d+)+", oid):
            raise ValueError(f"{key}: {item!r} is not an OID")
        oids.append(oid)
    return tuple(oids)


def parse_x509_config(
    config: Mapping[str, str], *, config_dir: Path = CONFIG_DIR
) -> X509AuthConfig:
    """Reads Keycloak's keys. Values Keycloak would fail on at login (an unknown mapping
    source, mapper, policy mode, key usage, a regular expression that does not compile)
    are a ValueError naming the key, so a configuration is refused rather than misread."""
    expression = config.get(REGULAR_EXPRESSION) or DEFAULT_EXPRESSION
    try:
        re.compile(expression)
    except re.error as error:
        raise ValueError(f"{REGULAR_EXPRESSION}: {error}") from None
    attribute_names = tuple(
        name.strip() for name in (config.get(ATTRIBUTE_NAME) or DEFAULT_ATTRIBUTE).split(DELIMITER)
    )
    crl_paths = tuple(
        path.strip()
        for path in (config.get(CRL_PATH) or DEFAULT_CRL_PATH).split(DELIMITER)
        if path.strip()
    )
    responder_pem = (config.get(OCSP_RESPONDER_CERTIFICATE) or "").strip()
    revocation = RevocationSettings(
        crl=_flag(config, CRL_ENABLED),
        crl_distribution_points=_flag(config, CRLDP_ENABLED),
        crl_paths=crl_paths,
        crl_abort_if_non_updated=_flag(config, CRL_ABORT_IF_NON_UPDATED, default=True),
        config_dir=config_dir,
        ocsp=_flag(config, OCSP_ENABLED),
        ocsp_fail_open=_flag(config, OCSP_FAIL_OPEN),
        ocsp_responder_uri=(config.get(OCSP_RESPONDER_URI) or "").strip() or None,
        ocsp_responder_certificate=_responder_certificate(responder_pem),
    )
    return X509AuthConfig(
        mapping_source=_choice(config, MAPPING_SOURCE, MAPPING_SOURCES, SUBJECT_DN),
        regular_expression=expression,
        mapper=_choice(config, MAPPER, MAPPERS, USERNAME_OR_EMAIL),
        attribute_names=attribute_names,
        canonical_dn=_flag(config, CANONICAL_DN),
        serial_number_hex=_flag(config, SERIAL_HEX),
        timestamp_validation=_flag(config, TIMESTAMP_VALIDATION),
        key_usage=_key_usage(config.get(KEY_USAGE)),
        extended_key_usage=_oids(EXTENDED_KEY_USAGE, config.get(EXTENDED_KEY_USAGE), _EKU_NAMES),
        certificate_policies=_oids(CERTIFICATE_POLICY, config.get(CERTIFICATE_POLICY), {}),
        certificate_policy_mode=_choice(
            config, CERTIFICATE_POLICY_MODE, (POLICY_MODE_ALL, POLICY_MODE_ANY), POLICY_MODE_ALL
        ),
        confirmation_page_disallowed=_flag(config, CONFIRMATION_PAGE_DISALLOWED),
        revalidate_certificate=_flag(config, REVALIDATE_CERTIFICATE),
        revocation=revocation,
    )


def _responder_certificate(text: str) -> x509.Certificate | None:
    """Keycloak takes the responder's certificate as base64 DER without PEM armour; a full
    PEM block is accepted too."""
    if not text:
        return None
    try:
        if "-----BEGIN" in text:
            return x509.load_pem_x509_certificate(text.encode())
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    except ValueError:
        raise ValueError(f"{OCSP_RESPONDER_CERTIFICATE}: not a certificate") from None


@dataclass(frozen=True)
class CertificateLogin:
    """The user a certificate logs in, or the LOGIN_ERROR event code of why not (`error`,
    Keycloak's `Errors`) and a detail for the event and the log (`reason`). `identity` is
    what the certificate named (the event's `username`), `subject_dn` its subject as
    Keycloak shows it."""

    user: User | None
    identity: str | None
    subject_dn: str | None
    error: str | None
    reason: str | None


class _Refused(Exception):
    pass


async def certificate_user(
    ctx: RealmContext, repos: Repositories, config: X509AuthConfig, info: RequestInfo
) -> CertificateLogin:
    """Keycloak's ValidateX509CertificateUsername up to `context.setUser`, one step each."""
    chain = info.client_certificate_chain
    if not chain:
        reason = (
            f"client certificate rejected: {info.client_certificate_rejected}"
            if info.client_certificate_rejected
            else "no client certificate"
        )
        return CertificateLogin(None, None, None, NO_CERTIFICATE, reason)
    subject = java_dn(chain[0].subject)
    try:
        await check_revocation(chain, config.revocation, ctx.clock.now())
        _check_key_usage(chain[0], config.key_usage)
        _check_extended_key_usage(chain[0], config.extended_key_usage)
        _check_policies(chain[0], config.certificate_policies, config.certificate_policy_mode)
        if config.timestamp_validation:
            _check_timestamps(chain, ctx.clock.now())
    except (_Refused, RevocationRefused) as refused:
        return CertificateLogin(None, None, subject, CERTIFICATE_INVALID, str(refused))
    identity = extract_identity(chain, config)
    if identity is None:
        reason = "unable to extract user identity from the certificate"
        return CertificateLogin(None, None, subject, CERTIFICATE_INVALID, reason)
    try:
        user = await mapped_user(ctx, repos, config, identity)
    except _Refused as refused:
        return CertificateLogin(None, identity, subject, CERTIFICATE_INVALID, str(refused))
    if user is None:
        reason = f"no user for identity {identity[:255]!r}"
        return CertificateLogin(None, identity, subject, USER_NOT_FOUND, reason)
    locked = await _brute_force_error(ctx, user)
    if locked is not None:
        return CertificateLogin(None, identity, subject, locked, f"user {user.username} is locked")
    if not user.enabled:
        reason = f"user {user.username} is disabled"
        return CertificateLogin(None, identity, subject, USER_DISABLED, reason)
    return CertificateLogin(user, identity, subject, None, None)


def x509_event_details(chain: tuple[x509.Certificate, ...]) -> dict[str, str]:
    """Keycloak's event details for the certificate a login used (`Details.X509_*`)."""
    if not chain:
        return {}
    leaf = chain[0]
    return {
        "x509_cert_serial_number": str(leaf.serial_number),
        "x509_cert_subject_distinguished_name": java_dn(leaf.subject),
        "x509_cert_issuer_distinguished_name": java_dn(leaf.issuer),
    }


# --- validation (Keycloak's CertificateValidator) -------------------------------------------


def _critical(cert: x509.Certificate, oid: ObjectIdentifier) -> bool:
    try:
        return cert.extensions.get_extension_for_oid(oid).critical
    except x509.ExtensionNotFound:
        return False


def _check_key_usage(cert: x509.Certificate, expected: tuple[str, ...]) -> None:
    if not expected:
        return
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise _Refused("key usage extension is expected, but unavailable") from None
    missing = []
    for bit in expected:
        try:
            present = bool(getattr(usage, bit))
        except ValueError:  # encipher_only/decipher_only are defined only with keyAgreement
            present = False
        if not present:
            missing.append(_KEY_USAGE_NAMES[bit])
    # Keycloak refuses a missing bit only when the extension is critical.
    if missing and _critical(cert, x509.OID_KEY_USAGE):
        raise _Refused(f"key usage {', '.join(missing)} not set")


def _check_extended_key_usage(cert: x509.Certificate, expected: tuple[str, ...]) -> None:
    if not expected:
        return
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        raise _Refused("extended key usage extension is expected, but unavailable") from None
    present = {oid.dotted_string for oid in usages}
    missing = [oid for oid in expected if oid not in present]
    if missing and _critical(cert, x509.OID_EXTENDED_KEY_USAGE):
        raise _Refused(f"extended key usage {', '.join(missing)} missing")


def _check_policies(cert: x509.Certificate, expected: tuple[str, ...], mode: str) -> None:
    if not expected:
        return
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        present = {policy.policy_identifier.dotted_string for policy in policies}
    except x509.ExtensionNotFound:
        present = set()
    if mode == POLICY_MODE_ANY:
        if not any(oid in present for oid in expected):
            found = ",".join(sorted(present))
            raise _Refused(
                f"certificate policy check failed: mode Any, found {found!r},"
                f" expected {','.join(expected)!r}"
            )
        return
    for oid in expected:
        if oid not in present:
            raise _Refused(f"certificate policy check failed: mode All, {oid} missing")


def _check_timestamps(chain: tuple[x509.Certificate, ...], now: int) -> None:
    for cert in chain:
        serial = format(cert.serial_number, "x")
        if cert.not_valid_before_utc.timestamp() > now:
            raise _Refused(
                f"certificate with serial number {serial} is not valid yet:"
                f" {cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S}Z"
            )
        if cert.not_valid_after_utc.timestamp() < now:
            raise _Refused(
                f"certificate with serial number {serial} has expired on:"
                f" {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S}Z"
            )


# --- identity (Keycloak's UserIdentityExtractor) --------------------------------------------

# Java's X500Name keywords (sun.security.x509.AVAKeyword); other attributes appear as OIDs.
_JAVA_KEYWORDS = {
    NameOID.COMMON_NAME: "CN",
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.TITLE: "T",
    NameOID.STREET_ADDRESS: "STREET",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.DN_QUALIFIER: "DNQUALIFIER",
    NameOID.SURNAME: "SURNAME",
    NameOID.GIVEN_NAME: "GIVENNAME",
    NameOID.INITIALS: "INITIALS",
    NameOID.GENERATION_QUALIFIER: "GENERATION",
    NameOID.EMAIL_ADDRESS: "EMAILADDRESS",
    NameOID.USER_ID: "UID",
    NameOID.SERIAL_NUMBER: "SERIALNUMBER",
}
# X500Principal.CANONICAL names only RFC 2253's keywords, lower-cased.
_CANONICAL_KEYWORDS = {
    NameOID.COMMON_NAME: "cn",
    NameOID.COUNTRY_NAME: "c",
    NameOID.LOCALITY_NAME: "l",
    NameOID.STATE_OR_PROVINCE_NAME: "st",
    NameOID.ORGANIZATION_NAME: "o",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "ou",
    NameOID.STREET_ADDRESS: "street",
    NameOID.DOMAIN_COMPONENT: "dc",
    NameOID.USER_ID: "uid",
}


def java_dn(name: x509.Name, *, canonical: bool = False) -> str:
    """A DN as Keycloak reads it: `X509Certificate.getSubjectDN().toString()`
    (`EMAILADDRESS=a@example.com, CN=alice, O=Example`), or with `canonical`
    `X500Principal.getName(CANONICAL)` (`cn=alice,o=example`, values lower-cased and
    whitespace folded; Java writes other attributes as hex, here as their text)."""
    if canonical:
        parts = [
            "+".join(
                sorted(
                    f"{_CANONICAL_KEYWORDS.get(a.oid, a.oid.dotted_string)}="
                    f"{' '.join(_value(a).lower().split())}"
                    for a in rdn
                )
            )
            for rdn in reversed(name.rdns)
        ]
        return ",".join(parts)
    return ", ".join(
        " + ".join(f"{_JAVA_KEYWORDS.get(a.oid, a.oid.dotted_string)}={_escaped(a)}" for a in rdn)
        for rdn in reversed(name.rdns)
    )


def _value(attribute: x509.NameAttribute[str | bytes]) -> str:
    value = attribute.value
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _escaped(attribute: x509.NameAttribute[str | bytes]) -> str:
    """Java quotes a value holding a special character rather than escaping each one."""
    value = _value(attribute)
    if value and (any(c in value for c in ',+=<>#;"\\\n') or value != value.strip()):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _attribute(name: x509.Name, oid: ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return _value(values[0]) if values else None


def _serial(cert: x509.Certificate, hexadecimal: bool) -> str:
    number = cert.serial_number
    if not hexadecimal:
        return str(number)
    # Java's BigInteger.toByteArray: two's complement, so a leading 00 when the top bit is set.
    return number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True).hex()


def _pattern(expression: str, text: str) -> str | None:
    """Keycloak's PatternMatcher: case-insensitive `find`, the identity is group 1."""
    match = re.search(expression, text, re.IGNORECASE)
    if match is None or len(match.groups()) != 1 or match.group(1) is None:
        return None
    return match.group(1)


def _alt_names(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def _upn(cert: x509.Certificate) -> str | None:
    names = _alt_names(cert)
    for other in names.get_values_for_type(x509.OtherName) if names else []:
        if other.type_id == _UPN:
            return _der_string(other.value)
    return None


def _der_string(der: bytes) -> str | None:
    """The text of a DER UTF8String (or another string type) with a short or long length."""
    if len(der) < 2 or der[0] not in (0x0C, 0x13, 0x16, 0x1E):
        return None
    length, start = der[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(der[2 : 2 + count], "big"), 2 + count
    body = der[start : start + length]
    return body.decode("utf-16-be" if der[0] == 0x1E else "utf-8", errors="replace")


def extract_identity(chain: tuple[x509.Certificate, ...], config: X509AuthConfig) -> str | None:
    """The user identity the configured source names, None when the certificate has none."""
    cert = chain[0]
    source = config.mapping_source
    if source == SUBJECT_DN:
        dn = java_dn(cert.subject, canonical=config.canonical_dn)
        return _pattern(config.regular_expression, dn)
    if source == ISSUER_DN:
        dn = java_dn(cert.issuer, canonical=config.canonical_dn)
        return _pattern(config.regular_expression, dn)
    if source == SUBJECT_CN:
        return _attribute(cert.subject, NameOID.COMMON_NAME)
    if source == SUBJECT_EMAIL:
        return _attribute(cert.subject, NameOID.EMAIL_ADDRESS)
    if source == ISSUER_CN:
        return _attribute(cert.issuer, NameOID.COMMON_NAME)
    if source == ISSUER_EMAIL:
        return _attribute(cert.issuer, NameOID.EMAIL_ADDRESS)
    if source == SAN_EMAIL:
        names = _alt_names(cert)
        emails = names.get_values_for_type(x509.RFC822Name) if names else []
        return emails[0] if emails else None
    if source == SAN_UPN:
        return _upn(cert)
    if source == SERIAL_NUMBER:
        return _serial(cert, config.serial_number_hex)
    if source == SERIAL_NUMBER_ISSUER_DN:
        issuer = java_dn(cert.issuer, canonical=config.canonical_dn)
        return f"{_serial(cert, config.serial_number_hex)}{DELIMITER}{issuer}"
    if source == SHA256_THUMBPRINT:
        return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    if source == CERTIFICATE_PEM:
        # Keycloak's PemUtils.encodeCertificate: the base64 DER, without the armour.
        return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    raise ValueError(f"{MAPPING_SOURCE}: unknown value {source!r}")  # parse_x509_config's job


# --- the user (Keycloak's UserIdentityToModelMapper) ----------------------------------------


async def mapped_user(
    ctx: RealmContext, repos: Repositories, config: X509AuthConfig, identity: str
) -> User | None:
    """The user `identity` names under the configured mapper, enabled or not; raises
    `_Refused` when several users have it (Keycloak's ModelDuplicateException)."""
    if config.mapper == USERNAME_OR_EMAIL:
        # KeycloakModelUtils.findUserByNameOrEmail; an e-mail several users share
        # (duplicateEmailsAllowed) names nobody.
        user = await find_login_user(repos, ctx.realm, identity)
        return user if user is None or user.service_account_client_id is None else None
    values = identity.split(DELIMITER)
    names = config.attribute_names
    if not names or len(values) != len(names):
        return None
    candidates = await repos.users.search(
        ctx.realm.id, UserFilter(attributes={names[0]: values[0]}, exact=True), max=10
    )
    # Exact, case-sensitive equality as Keycloak's attribute search; the further
    # attributes (serial number and issuer DN) compare with their first value.
    matches = [
        user
        for user in candidates
        if values[0] in user.attributes.get(names[0], [])
        and all(
            next(iter(user.attributes.get(name) or []), None) == value
            for name, value in zip(names[1:], values[1:], strict=True)
        )
    ]
    if len(matches) > 1:
        raise _Refused(f"more than one user has {'/'.join(names)} {identity[:255]!r}")
    return matches[0] if matches else None


async def _brute_force_error(ctx: RealmContext, user: User) -> str | None:
    """Keycloak's AuthenticatorUtils.getDisabledByBruteForceEventError."""
    if not ctx.realm.brute_force_protected or ctx.login_failures is None:
        return None
    failure = await ctx.login_failures.get(ctx.realm.id, user.id)
    if failure is None:
        return None
    if not user.enabled and ctx.realm.permanent_lockout:
        return USER_DISABLED_BY_PERMANENT_LOCKOUT
    if is_locked(failure, ctx.clock.now()):
        return USER_TEMPORARILY_DISABLED
    return None
