"""X.509 user authentication (`protocol/x509_user.py`): Keycloak's authenticator
configuration, every user identity source, the certificate checks (key usage, extended key
usage, policies, validity, CRL from files and distribution points, OCSP) and the mapping
to a user, on a real realm in SQLite. CRLs and OCSP answers are served by a local HTTP
server; the test PKI is valid at the test clock's time."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from ostium.domain.brute_force import LoginFailure
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.x509_user import (
    CERTIFICATE_INVALID,
    MAPPING_SOURCES,
    NO_CERTIFICATE,
    USER_DISABLED,
    USER_NOT_FOUND,
    USER_TEMPORARILY_DISABLED,
    CertificateLogin,
    X509AuthConfig,
    certificate_user,
    extract_identity,
    java_dn,
    parse_x509_config,
    x509_event_details,
)
from tests.support import ISSUER, START, OstiumUnderTest, realm_export, start_in_process
from tests.x509_ca import Issued, Pki, crl, crl_pem, issue, key_usage, make_pki

NOW = datetime.fromtimestamp(START, UTC)
SOURCE = "x509-cert-auth.mapping-source-selection"
MAPPER = "x509-cert-auth.mapper-selection"
ATTRIBUTE = "x509-cert-auth.mapper-selection.user-attribute-name"
REGEX = "x509-cert-auth.regular-expression"
CN_REGEX = "CN=(.*?)(?:,|$)"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(NOW)


def _realm() -> dict[str, Any]:
    realm = realm_export()
    realm["users"] += [
        {"username": "carol", "enabled": True, "attributes": {"usercertificate": ["carol-id"]}},
        {"username": "dave", "enabled": True, "attributes": {"cert-id": ["shared"]}},
        {"username": "erin", "enabled": True, "attributes": {"cert-id": ["shared"]}},
        {
            "username": "frank",
            "enabled": True,
            "attributes": {
                "serial": ["4660"],
                "issuer": ["CN=Test Intermediate CA, O=Ostium Test"],
            },
        },
    ]
    return realm


@pytest.fixture
async def ostium(tmp_path: Path) -> AsyncIterator[OstiumUnderTest]:
    server = await start_in_process(tmp_path, _realm())
    try:
        yield server
    finally:
        await server.close()


async def _context(ostium: OstiumUnderTest) -> RealmContext:
    runtime = ostium.runtime
    async with runtime.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
    assert realm is not None
    return RealmContext(
        realm=realm,
        issuer=ISSUER,
        keys=[],
        storage=runtime.storage,
        clock=runtime.clock,
        auth_sessions=runtime.auth_sessions,
        events=runtime.events,
        secure_cookies=False,
        hashing=runtime.hashing,
        login_failures=runtime.login_failures,
    )


def _info(*chain: x509.Certificate, rejected: str | None = None) -> RequestInfo:
    return RequestInfo(
        ip_address="127.0.0.1",
        cookies={},
        client_certificate_chain=tuple(chain),
        client_certificate_rejected=rejected,
    )


def _chain(cert: Issued, pki: Pki) -> tuple[x509.Certificate, ...]:
    return (cert.cert, pki.intermediate.cert, pki.root.cert)


def _client(common_name: str, pki: Pki, **options: Any) -> Issued:
    return issue(common_name, pki.intermediate, now=NOW, **options)


async def _login(
    ostium: OstiumUnderTest,
    config: dict[str, str] | X509AuthConfig,
    chain: tuple[x509.Certificate, ...],
    *,
    rejected: str | None = None,
    ctx: RealmContext | None = None,
) -> CertificateLogin:
    ctx = ctx or await _context(ostium)
    parsed = config if isinstance(config, X509AuthConfig) else parse_x509_config(config)
    async with ostium.storage.transaction() as repos:
        return await certificate_user(ctx, repos, parsed, _info(*chain, rejected=rejected))


BY_CN = {SOURCE: "Subject's Common Name"}


# --- configuration ------------------------------------------------------------------------


def test_a_configuration_with_no_keys_has_keycloaks_defaults() -> None:
    config = parse_x509_config({})
    assert config.mapping_source == "Match SubjectDN using regular expression"
    assert config.regular_expression == "(.*?)(?:$)"
    assert config.mapper == "Username or Email"
    assert config.attribute_names == ("usercertificate",)
    assert config.certificate_policy_mode == "All"
    assert not config.timestamp_validation
    assert not config.revocation.crl and not config.revocation.ocsp
    assert config.revocation.crl_paths == ("crl.pem",)
    assert config.revocation.crl_abort_if_non_updated


@pytest.mark.parametrize("source", MAPPING_SOURCES)
def test_every_mapping_source_keycloak_offers_is_read(source: str) -> None:
    assert parse_x509_config({SOURCE: source}).mapping_source == source
    # Keycloak matches option values case-insensitively.
    assert parse_x509_config({SOURCE: source.upper()}).mapping_source == source


def test_options_are_read_with_keycloaks_keys() -> None:
    config = parse_x509_config(
        {
            MAPPER: "Custom Attribute Mapper",
            ATTRIBUTE: "serial##issuer",
            "x509-cert-auth.keyusage": "digitalSignature, keyEncipherment",
            "x509-cert-auth.extendedkeyusage": "1.3.6.1.5.5.7.3.2; emailProtection",
            "x509-cert-auth.certificate-policy": "1.2.3.4,1.2.3.5",
            "x509-cert-auth.certificate-policy-mode": "any",
            "x509-cert-auth.timestamp-validation-enabled": "TRUE",
            "x509-cert-auth.serialnumber-hex-enabled": "true",
            "x509-cert-auth.canonical-dn-enabled": "true",
            "x509-cert-auth.confirmation-page-disallowed": "true",
            "x509-cert-auth.revalidate-certificate-enabled": "true",
            "x509-cert-auth.crl-checking-enabled": "true",
            "x509-cert-auth.crldp-checking-enabled": "false",
            "x509-cert-auth.crl-relative-path": "a.pem##/etc/b.crl",
            "x509-cert-auth-crl-abort-if-non-updated": "false",
            "x509-cert-auth.ocsp-checking-enabled": "true",
            "x509-cert-auth.ocsp-fail-open": "true",
            "x509-cert-auth.ocsp-responder-uri": "http://ocsp.example/",
        }
    )
    assert config.mapper == "Custom Attribute Mapper"
    assert config.attribute_names == ("serial", "issuer")
    assert config.key_usage == ("digital_signature", "key_encipherment")
    assert config.extended_key_usage == ("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4")
    assert config.certificate_policies == ("1.2.3.4", "1.2.3.5")
    assert config.certificate_policy_mode == "Any"
    assert config.timestamp_validation and config.serial_number_hex and config.canonical_dn
    assert config.confirmation_page_disallowed and config.revalidate_certificate
    revocation = config.revocation
    assert revocation.crl and not revocation.crl_distribution_points
    assert revocation.crl_paths == ("a.pem", "/etc/b.crl")
    assert not revocation.crl_abort_if_non_updated
    assert revocation.ocsp and revocation.ocsp_fail_open
    assert revocation.ocsp_responder_uri == "http://ocsp.example/"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (SOURCE, "Subject's shoe size"),
        (MAPPER, "Telepathy"),
        ("x509-cert-auth.certificate-policy-mode", "Some"),
        ("x509-cert-auth.keyusage", "digitalSignature, mindReading"),
        ("x509-cert-auth.extendedkeyusage", "notAnOid"),
        ("x509-cert-auth.certificate-policy", "policy-one"),
        (REGEX, "(unclosed"),
        ("x509-cert-auth.ocsp-responder-certificate", "bm90IGEgY2VydA=="),
    ],
)
def test_an_unknown_value_is_refused_naming_its_key(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key):
        parse_x509_config({key: value})


# --- identity sources -------------------------------------------------------------------


def test_dns_are_written_as_keycloak_reads_them(pki: Pki) -> None:
    cert = _client("alice", pki, email="alice@example.com").cert
    assert java_dn(cert.subject) == "EMAILADDRESS=alice@example.com, CN=alice, O=Ostium Test"
    assert java_dn(cert.subject, canonical=True) == (
        "1.2.840.113549.1.9.1=alice@example.com,cn=alice,o=ostium test"
    )
    assert java_dn(pki.intermediate.cert.subject) == "CN=Test Intermediate CA, O=Ostium Test"


def _identity(cert: Issued, pki: Pki, **config: str) -> str | None:
    return extract_identity(_chain(cert, pki), parse_x509_config(config))


def test_subject_dn_by_regular_expression(pki: Pki) -> None:
    cert = _client("alice", pki, email="alice@example.com")
    assert _identity(cert, pki) == "EMAILADDRESS=alice@example.com, CN=alice, O=Ostium Test"
    assert _identity(cert, pki, **{REGEX: CN_REGEX}) == "alice"
    # Case-insensitive, as Keycloak compiles it; no match, or no group, is no identity.
    assert _identity(cert, pki, **{REGEX: "emailaddress=(.*?)(?:,|$)"}) == "alice@example.com"
    assert _identity(cert, pki, **{REGEX: "UID=(.*?)(?:,|$)"}) is None
    assert _identity(cert, pki, **{REGEX: "CN=alice"}) is None
    canonical = {REGEX: "cn=(.*?)(?:,|$)", "x509-cert-auth.canonical-dn-enabled": "true"}
    assert _identity(cert, pki, **canonical) == "alice"


def test_subject_and_issuer_names(pki: Pki) -> None:
    cert = _client("alice", pki, email="alice@example.com")
    assert _identity(cert, pki, **BY_CN) == "alice"
    assert _identity(cert, pki, **{SOURCE: "Subject's e-mail"}) == "alice@example.com"
    assert _identity(_client("bob", pki), pki, **{SOURCE: "Subject's e-mail"}) is None
    assert _identity(cert, pki, **{SOURCE: "Issuer's Common Name"}) == "Test Intermediate CA"
    assert _identity(cert, pki, **{SOURCE: "Issuer's e-mail"}) is None
    issuer_dn = {SOURCE: "Match IssuerDN using regular expression", REGEX: CN_REGEX}
    assert _identity(cert, pki, **issuer_dn) == "Test Intermediate CA"


def test_subject_alternative_names(pki: Pki) -> None:
    cert = _client("x", pki, san_emails=("alice@example.com",), upn="alice@corp.example")
    assert _identity(cert, pki, **{SOURCE: "Subject's Alternative Name E-mail"}) == (
        "alice@example.com"
    )
    upn = {SOURCE: "Subject's Alternative Name otherName (UPN)"}
    assert _identity(cert, pki, **upn) == "alice@corp.example"
    assert _identity(_client("y", pki), pki, **upn) is None


def test_serial_numbers_thumbprint_and_pem(pki: Pki) -> None:
    cert = _client("alice", pki, serial=0x8F01)
    serial = {SOURCE: "Certificate Serial Number"}
    assert _identity(cert, pki, **serial) == str(0x8F01)
    # Java's BigInteger bytes: a leading zero byte keeps the number positive.
    hexadecimal = {**serial, "x509-cert-auth.serialnumber-hex-enabled": "true"}
    assert _identity(cert, pki, **hexadecimal) == "008f01"
    both = {SOURCE: "Certificate Serial Number and IssuerDN"}
    assert _identity(cert, pki, **both) == f"{0x8F01}##CN=Test Intermediate CA, O=Ostium Test"
    der = cert.cert.public_bytes(serialization.Encoding.DER)
    thumbprint = {SOURCE: "SHA-256 Thumbprint"}
    assert _identity(cert, pki, **thumbprint) == hashlib.sha256(der).hexdigest()
    pem = {SOURCE: "Full Certificate in PEM format"}
    assert _identity(cert, pki, **pem) == base64.b64encode(der).decode()


# --- users --------------------------------------------------------------------------------


async def test_no_certificate_is_refused_with_the_reason(ostium: OstiumUnderTest) -> None:
    login = await _login(ostium, BY_CN, ())
    assert (login.user, login.error, login.reason) == (
        None,
        NO_CERTIFICATE,
        "no client certificate",
    )
    login = await _login(ostium, BY_CN, (), rejected="untrusted peer 192.0.2.9")
    assert login.reason == "client certificate rejected: untrusted peer 192.0.2.9"


async def test_username_or_email_finds_the_user(ostium: OstiumUnderTest, pki: Pki) -> None:
    login = await _login(ostium, BY_CN, _chain(_client("alice", pki), pki))
    assert login.user is not None and login.user.username == "alice"
    assert (login.identity, login.error) == ("alice", None)
    assert login.subject_dn == "CN=alice, O=Ostium Test"
    by_email = {SOURCE: "Subject's e-mail"}
    cert = _client("whoever", pki, email="bob@example.com")
    login = await _login(ostium, by_email, _chain(cert, pki))
    assert login.user is not None and login.user.username == "bob"


async def test_email_login_follows_the_realm(ostium: OstiumUnderTest, pki: Pki) -> None:
    ctx = await _context(ostium)
    ctx.realm.login_with_email_allowed = False
    cert = _client("whoever", pki, email="bob@example.com")
    login = await _login(ostium, {SOURCE: "Subject's e-mail"}, _chain(cert, pki), ctx=ctx)
    assert (login.user, login.error) == (None, USER_NOT_FOUND)


async def test_unknown_and_service_account_identities_find_nobody(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    for name in ("nobody", "service-account-app"):
        login = await _login(ostium, BY_CN, _chain(_client(name, pki), pki))
        assert (login.user, login.identity, login.error) == (None, name, USER_NOT_FOUND)


async def test_a_custom_attribute_finds_the_one_user_with_it(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    config = {**BY_CN, MAPPER: "Custom Attribute Mapper"}
    login = await _login(ostium, config, _chain(_client("carol-id", pki), pki))
    assert login.user is not None and login.user.username == "carol"
    # Exact: another case is another value.
    login = await _login(ostium, config, _chain(_client("CAROL-ID", pki), pki))
    assert login.error == USER_NOT_FOUND


async def test_an_attribute_two_users_share_identifies_nobody(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    config = {**BY_CN, MAPPER: "Custom Attribute Mapper", ATTRIBUTE: "cert-id"}
    login = await _login(ostium, config, _chain(_client("shared", pki), pki))
    assert (login.user, login.error) == (None, CERTIFICATE_INVALID)
    assert login.reason is not None and "more than one user" in login.reason


async def test_serial_number_and_issuer_map_to_two_attributes(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    config = {
        SOURCE: "Certificate Serial Number and IssuerDN",
        MAPPER: "Custom Attribute Mapper",
        ATTRIBUTE: "serial##issuer",
    }
    login = await _login(ostium, config, _chain(_client("x", pki, serial=4660), pki))
    assert login.user is not None and login.user.username == "frank"
    login = await _login(ostium, config, _chain(_client("x", pki, serial=4661), pki))
    assert login.error == USER_NOT_FOUND


async def test_a_disabled_user_is_named_as_disabled(ostium: OstiumUnderTest, pki: Pki) -> None:
    login = await _login(ostium, BY_CN, _chain(_client("mallory", pki), pki))
    assert (login.user, login.error) == (None, USER_DISABLED)


async def test_a_locked_out_user_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    ctx = await _context(ostium)
    ctx.realm.brute_force_protected = True
    async with ostium.storage.transaction() as repos:
        alice = await repos.users.get_by_username(ctx.realm.id, "alice")
    assert alice is not None
    locked = LoginFailure(num_failures=30, failed_login_not_before=START + 60)
    await ostium.runtime.login_failures.put(ctx.realm.id, alice.id, locked, keep_seconds=600)
    chain = _chain(_client("alice", pki), pki)
    login = await _login(ostium, BY_CN, chain, ctx=ctx)
    assert (login.user, login.error) == (None, USER_TEMPORARILY_DISABLED)
    ostium.clock.advance(61)
    login = await _login(ostium, BY_CN, chain, ctx=ctx)
    assert login.user is not None


async def test_event_details_name_the_certificate(pki: Pki) -> None:
    cert = _client("alice", pki, serial=77)
    assert x509_event_details(_chain(cert, pki)) == {
        "x509_cert_serial_number": "77",
        "x509_cert_subject_distinguished_name": "CN=alice, O=Ostium Test",
        "x509_cert_issuer_distinguished_name": "CN=Test Intermediate CA, O=Ostium Test",
    }


# --- certificate checks -------------------------------------------------------------------


async def _refused(ostium: OstiumUnderTest, config: dict[str, str], cert: Issued, pki: Pki) -> str:
    login = await _login(ostium, {**BY_CN, **config}, _chain(cert, pki))
    assert (login.user, login.error) == (None, CERTIFICATE_INVALID), login
    assert login.reason is not None
    return login.reason


async def _accepted(
    ostium: OstiumUnderTest, config: dict[str, str], cert: Issued, pki: Pki
) -> None:
    login = await _login(ostium, {**BY_CN, **config}, _chain(cert, pki))
    assert login.user is not None, login


async def test_key_usage(ostium: OstiumUnderTest, pki: Pki) -> None:
    wanted = {"x509-cert-auth.keyusage": "digitalSignature,keyEncipherment"}
    both = key_usage("digital_signature", "key_encipherment")
    await _accepted(ostium, wanted, _client("alice", pki, usage=both), pki)
    signing = key_usage("digital_signature")
    reason = await _refused(ostium, wanted, _client("alice", pki, usage=signing), pki)
    assert "keyEncipherment" in reason
    assert "unavailable" in await _refused(ostium, wanted, _client("alice", pki), pki)
    # Keycloak only warns about a bit missing from a non-critical extension.
    lax = _client("alice", pki, usage=signing, usage_critical=False)
    await _accepted(ostium, wanted, lax, pki)


async def test_extended_key_usage(ostium: OstiumUnderTest, pki: Pki) -> None:
    wanted = {"x509-cert-auth.extendedkeyusage": "1.3.6.1.5.5.7.3.2"}
    client_auth = (ExtendedKeyUsageOID.CLIENT_AUTH,)
    await _accepted(ostium, wanted, _client("alice", pki, extended_usage=client_auth), pki)
    server_auth = (ExtendedKeyUsageOID.SERVER_AUTH,)
    reason = await _refused(ostium, wanted, _client("alice", pki, extended_usage=server_auth), pki)
    assert "1.3.6.1.5.5.7.3.2" in reason
    assert "unavailable" in await _refused(ostium, wanted, _client("alice", pki), pki)
    lax = _client("alice", pki, extended_usage=server_auth, extended_usage_critical=False)
    await _accepted(ostium, wanted, lax, pki)


async def test_certificate_policies(ostium: OstiumUnderTest, pki: Pki) -> None:
    cert = _client("alice", pki, policies=("1.2.3.4",))
    all_of = {"x509-cert-auth.certificate-policy": "1.2.3.4,1.2.3.5"}
    assert "1.2.3.5" in await _refused(ostium, all_of, cert, pki)
    await _accepted(ostium, {**all_of, "x509-cert-auth.certificate-policy-mode": "Any"}, cert, pki)
    await _accepted(ostium, {"x509-cert-auth.certificate-policy": "1.2.3.4"}, cert, pki)
    none = {"x509-cert-auth.certificate-policy": "1.2.3.4"}
    assert "1.2.3.4" in await _refused(ostium, none, _client("alice", pki), pki)


async def test_validity_is_checked_against_the_clock_when_enabled(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    cert = _client("alice", pki, not_after=NOW + timedelta(hours=1))
    ostium.clock.advance(7200)
    await _accepted(ostium, {}, cert, pki)  # Keycloak's default leaves it to the TLS layer
    checked = {"x509-cert-auth.timestamp-validation-enabled": "true"}
    assert "expired" in await _refused(ostium, checked, cert, pki)
    later = _client("alice", pki, not_before=NOW + timedelta(days=1))
    assert "not valid yet" in await _refused(ostium, checked, later, pki)


# --- CRL ----------------------------------------------------------------------------------


def _crl_config(*paths: str, **extra: str) -> dict[str, str]:
    return {
        "x509-cert-auth.crl-checking-enabled": "true",
        "x509-cert-auth.crl-relative-path": "##".join(paths),
        **extra,
    }


async def test_a_revoked_certificate_is_refused_by_a_crl_file(
    ostium: OstiumUnderTest, pki: Pki, tmp_path: Path
) -> None:
    revoked = _client("alice", pki)
    good = _client("alice", pki)
    path = tmp_path / "intermediate.crl"
    path.write_bytes(crl_pem(crl(pki.intermediate, (revoked.cert,), now=NOW)))
    # Another CA's CRL alongside is ignored.
    other = tmp_path / "other.crl"
    other.write_bytes(crl(pki.other_root, now=NOW).public_bytes(serialization.Encoding.DER))
    config = _crl_config(str(other), str(path))
    assert "revoked" in await _refused(ostium, config, revoked, pki)
    await _accepted(ostium, config, good, pki)


async def test_relative_crl_paths_are_read_from_the_configuration_directory(
    ostium: OstiumUnderTest, pki: Pki, tmp_path: Path
) -> None:
    revoked = _client("alice", pki)
    (tmp_path / "crl.pem").write_bytes(crl_pem(crl(pki.intermediate, (revoked.cert,), now=NOW)))
    config = parse_x509_config(
        {**BY_CN, "x509-cert-auth.crl-checking-enabled": "true"}, config_dir=tmp_path
    )
    login = await _login(ostium, config, _chain(revoked, pki))
    assert login.error == CERTIFICATE_INVALID and "revoked" in (login.reason or "")
    login = await _login(ostium, config, _chain(_client("alice", pki), pki))
    assert login.user is not None


async def test_a_crl_that_cannot_be_used_refuses_every_certificate(
    ostium: OstiumUnderTest, pki: Pki, tmp_path: Path
) -> None:
    cert = _client("alice", pki)
    missing = str(tmp_path / "missing.crl")
    assert "unable to load CRL" in await _refused(ostium, _crl_config(missing), cert, pki)
    garbage = tmp_path / "garbage.crl"
    garbage.write_bytes(b"not a CRL")
    assert "is not a CRL" in await _refused(ostium, _crl_config(str(garbage)), cert, pki)
    # Signed by a key that is not the issuer's.
    impostor = replace(pki.intermediate, key=pki.other_root.key)
    forged = tmp_path / "forged.crl"
    forged.write_bytes(crl_pem(crl(impostor, now=NOW)))
    assert "not signed" in await _refused(ostium, _crl_config(str(forged)), cert, pki)
    # Only another CA's CRL: the certificate's status is unknown.
    other = tmp_path / "other.crl"
    other.write_bytes(crl_pem(crl(pki.other_root, now=NOW)))
    assert "no CRL of" in await _refused(ostium, _crl_config(str(other)), cert, pki)
    ldap = _crl_config("ldap://ldap.example/cn=crl")
    assert "LDAP is not supported" in await _refused(ostium, ldap, cert, pki)


async def test_an_outdated_crl_refuses_unless_allowed(
    ostium: OstiumUnderTest, pki: Pki, tmp_path: Path
) -> None:
    cert = _client("alice", pki)
    path = tmp_path / "old.crl"
    old = crl(pki.intermediate, now=NOW - timedelta(days=10), next_update=NOW - timedelta(days=1))
    path.write_bytes(crl_pem(old))
    assert "outdated" in await _refused(ostium, _crl_config(str(path)), cert, pki)
    lenient = _crl_config(str(path), **{"x509-cert-auth-crl-abort-if-non-updated": "false"})
    await _accepted(ostium, lenient, cert, pki)


# --- CRL distribution points and OCSP over HTTP --------------------------------------------


class _Responder:
    """A CRL and OCSP server: `crls` by path, OCSP answers signed by the intermediate."""

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self.crls: dict[str, bytes] = {}
        self.status: dict[int, ocsp.OCSPCertStatus] = {}
        self.sign_with = pki.intermediate
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = responder.crls.get(self.path)
                self.send_response(200 if body else 404)
                self.end_headers()
                self.wfile.write(body or b"")

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                body = responder.answer(ocsp.load_der_ocsp_request(data))
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, request: ocsp.OCSPRequest) -> bytes:
        status = self.status.get(request.serial_number, ocsp.OCSPCertStatus.UNKNOWN)
        cert = _FakeSubject(request.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert.certificate(self.pki),
            issuer=self.pki.intermediate.cert,
            algorithm=hashes.SHA1(),  # noqa: S303 - the request's CertID
            cert_status=status,
            this_update=NOW - timedelta(minutes=5),
            next_update=NOW + timedelta(hours=1),
            revocation_time=NOW - timedelta(hours=1)
            if status == ocsp.OCSPCertStatus.REVOKED
            else None,
            revocation_reason=None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.sign_with.cert)
        response = builder.sign(self.sign_with.key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)


class _FakeSubject:
    """`add_response` wants a certificate only for its serial number and issuer name."""

    _cache: dict[int, x509.Certificate] = {}

    def __init__(self, serial: int) -> None:
        self.serial = serial

    def certificate(self, pki: Pki) -> x509.Certificate:
        if self.serial not in self._cache:
            self._cache[self.serial] = issue(
                "any", pki.intermediate, now=NOW, serial=self.serial
            ).cert
        return self._cache[self.serial]


@pytest.fixture
def responder(pki: Pki) -> Iterator[_Responder]:
    served = _Responder(pki)
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()
        thread.join()


async def test_crl_distribution_points_are_fetched(
    ostium: OstiumUnderTest, pki: Pki, responder: _Responder
) -> None:
    url = f"{responder.url}/intermediate.crl"
    revoked = _client("alice", pki, crl_urls=(url,))
    good = _client("alice", pki, crl_urls=(url,))
    responder.crls["/intermediate.crl"] = crl(
        pki.intermediate, (revoked.cert,), now=NOW
    ).public_bytes(serialization.Encoding.DER)
    config = _crl_config(**{"x509-cert-auth.crldp-checking-enabled": "true"})
    assert "revoked" in await _refused(ostium, config, revoked, pki)
    await _accepted(ostium, config, good, pki)
    # No distribution point in the certificate, or one that answers 404: refused.
    assert "names none" in await _refused(ostium, config, _client("alice", pki), pki)
    gone = _client("alice", pki, crl_urls=(f"{responder.url}/gone.crl",))
    assert "HTTP 404" in await _refused(ostium, config, gone, pki)


async def test_a_crl_path_may_be_a_url(
    ostium: OstiumUnderTest, pki: Pki, responder: _Responder
) -> None:
    revoked = _client("alice", pki)
    responder.crls["/list.pem"] = crl_pem(crl(pki.intermediate, (revoked.cert,), now=NOW))
    config = _crl_config(f"{responder.url}/list.pem")
    assert "revoked" in await _refused(ostium, config, revoked, pki)
    await _accepted(ostium, config, _client("alice", pki), pki)


def _ocsp_config(responder: _Responder, **extra: str) -> dict[str, str]:
    return {
        "x509-cert-auth.ocsp-checking-enabled": "true",
        "x509-cert-auth.ocsp-responder-uri": responder.url,
        **extra,
    }


async def test_ocsp_good_revoked_and_unknown(
    ostium: OstiumUnderTest, pki: Pki, responder: _Responder
) -> None:
    good, revoked, unknown = (_client("alice", pki) for _ in range(3))
    responder.status[good.cert.serial_number] = ocsp.OCSPCertStatus.GOOD
    responder.status[revoked.cert.serial_number] = ocsp.OCSPCertStatus.REVOKED
    config = _ocsp_config(responder)
    await _accepted(ostium, config, good, pki)
    assert "revoked" in await _refused(ostium, config, revoked, pki)
    assert "unknown" in await _refused(ostium, config, unknown, pki)
    # Fail-open lets an inconclusive answer through, never a revocation.
    fail_open = _ocsp_config(responder, **{"x509-cert-auth.ocsp-fail-open": "true"})
    await _accepted(ostium, fail_open, unknown, pki)
    assert "revoked" in await _refused(ostium, fail_open, revoked, pki)


async def test_ocsp_responder_from_the_certificate(
    ostium: OstiumUnderTest, pki: Pki, responder: _Responder
) -> None:
    cert = _client("alice", pki, ocsp_url=responder.url)
    responder.status[cert.cert.serial_number] = ocsp.OCSPCertStatus.GOOD
    await _accepted(ostium, {"x509-cert-auth.ocsp-checking-enabled": "true"}, cert, pki)
    bare = _client("alice", pki)
    enabled = {"x509-cert-auth.ocsp-checking-enabled": "true"}
    assert "no responder URI" in await _refused(ostium, enabled, bare, pki)


async def test_an_ocsp_answer_signed_by_someone_else_is_refused(
    ostium: OstiumUnderTest, pki: Pki, responder: _Responder
) -> None:
    cert = _client("alice", pki)
    responder.status[cert.cert.serial_number] = ocsp.OCSPCertStatus.GOOD
    responder.sign_with = pki.other_root
    assert "not signed" in await _refused(ostium, _ocsp_config(responder), cert, pki)


async def test_an_unreachable_responder_fails_closed(ostium: OstiumUnderTest, pki: Pki) -> None:
    with socket.socket() as closed:  # a free port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config = {
        "x509-cert-auth.ocsp-checking-enabled": "true",
        "x509-cert-auth.ocsp-responder-uri": f"http://127.0.0.1:{port}/",
    }
    assert "no answer" in await _refused(ostium, config, _client("alice", pki), pki)


async def test_a_permanently_locked_out_user_is_not_called_merely_disabled(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    ctx = await _context(ostium)
    ctx.realm.brute_force_protected = True
    ctx.realm.permanent_lockout = True
    async with ostium.storage.transaction() as repos:
        mallory = await repos.users.get_by_username(ctx.realm.id, "mallory")
    assert mallory is not None
    failure = LoginFailure(num_failures=30)
    await ostium.runtime.login_failures.put(ctx.realm.id, mallory.id, failure, keep_seconds=600)
    login = await _login(ostium, BY_CN, _chain(_client("mallory", pki), pki), ctx=ctx)
    assert (login.user, login.error) == (None, "user_disabled_by_permanent_lockout")
