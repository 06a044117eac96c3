"""RFC 8705 `tls_client_auth` behind a TLS-terminating proxy: Keycloak's `client-x509`
client authenticator fed by the `haproxy` certificate lookup.

The app is the real one with the proxy middlewares; the peer is the proxy (or, for the
negative cases, someone who reached Ostium directly), the headers what HAProxy would add
(`SSL_CLIENT_CERT`, `CERT_CHAIN_0`). The test PKI is valid at the test clock's time.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ostium.app import create_app
from ostium.protocol.mtls import thumbprint
from ostium.web.client_certificates import CertificateLookup, LookupSettings
from ostium.web.forwarded import ProxyTrust
from tests.support import SECRET, START, OstiumUnderTest, realm_export, start_in_process
from tests.x509_ca import Issued, Pki, issue, make_pki

UPSTREAM = "http://ostium:8080"
TOKEN = "/realms/test/protocol/openid-connect/token"
PROXY_PEER = "10.0.0.5"
SUBJECT = "CN=client-app,O=Ostium Test"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.fromtimestamp(START, UTC))


def _mtls_client(client_id: str, **attributes: str) -> dict[str, Any]:
    return {
        "clientId": client_id,
        "enabled": True,
        "publicClient": False,
        "clientAuthenticatorType": "client-x509",
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "attributes": attributes,
    }


def _realm() -> dict[str, Any]:
    realm = realm_export()
    realm["clients"] += [
        _mtls_client("mtls-app", **{"x509.subjectdn": "CN=client-app,O=Ostium Test"}),
        _mtls_client("mtls-regex", **{"x509.subjectdn": "CN=client-.*,O=Ostium Test"}),
        _mtls_client(
            "mtls-exact",
            **{
                "x509.subjectdn": "cn=CLIENT-APP, o=ostium test",
                "x509.allow.regex.pattern.comparison": "false",
            },
        ),
        _mtls_client(
            "mtls-exact-pattern",
            **{
                "x509.subjectdn": "CN=client-.*,O=Ostium Test",
                "x509.allow.regex.pattern.comparison": "false",
            },
        ),
        _mtls_client(
            "mtls-ca",
            **{
                "x509.subjectdn": SUBJECT,
                "x509.casubjectdn": "CN=Test Intermediate CA,O=Ostium Test",
            },
        ),
        _mtls_client(
            "mtls-other-ca",
            **{"x509.subjectdn": SUBJECT, "x509.casubjectdn": "CN=Other Root CA,O=Ostium Test"},
        ),
    ]
    bound = {"x509.subjectdn": SUBJECT, "tls.client.certificate.bound.access.tokens": "true"}
    realm["clients"] += [
        {**_mtls_client("mtls-bound", **bound), "directAccessGrantsEnabled": True},
        {
            "clientId": "public-bound",
            "enabled": True,
            "publicClient": True,
            "directAccessGrantsEnabled": True,
            "attributes": {"tls.client.certificate.bound.access.tokens": "true"},
        },
        {
            "clientId": "secret-bound",
            "enabled": True,
            "secret": "bound-secret",
            "directAccessGrantsEnabled": True,
            "attributes": {"tls.client.certificate.bound.access.tokens": "true"},
        },
    ]
    realm["users"] += [
        {
            "username": f"service-account-{client['clientId']}",
            "serviceAccountClientId": client["clientId"],
            "enabled": True,
        }
        for client in realm["clients"]
        if client["clientId"].startswith("mtls-")
    ]
    return realm


@pytest.fixture
async def ostium(tmp_path: Path) -> AsyncIterator[OstiumUnderTest]:
    server = await start_in_process(tmp_path, _realm())
    try:
        yield server
    finally:
        await server.close()


@asynccontextmanager
async def behind(
    ostium: OstiumUnderTest, pki: Pki, peer: str = PROXY_PEER
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        ostium.runtime,
        proxy=ProxyTrust.of("xforwarded", ("10.0.0.0/8",)),
        certificates=CertificateLookup(LookupSettings("haproxy"), [pki.root.cert]),
    )
    transport = httpx.ASGITransport(app=app, client=(peer, 40001))
    async with httpx.AsyncClient(transport=transport, base_url=UPSTREAM) as http:
        yield http


def haproxy_headers(cert: Issued, pki: Pki) -> list[tuple[str, str]]:
    """`http-request set-header SSL_CLIENT_CERT %[ssl_c_der,base64]` and the chain."""
    return [("SSL_CLIENT_CERT", cert.der_b64), ("CERT_CHAIN_0", pki.intermediate.der_b64)]


async def client_credentials(
    http: httpx.AsyncClient, client_id: str, headers: list[tuple[str, str]]
) -> httpx.Response:
    return await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": client_id},
        headers=headers,
    )


def assert_invalid_client(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def last_failure_reason(ostium: OstiumUnderTest) -> str:
    """The reason the last TOKEN_ERROR event gives: what an operator reads in the log."""
    error = [e for e in ostium.events.recent if e.type == "TOKEN_ERROR"][-1]
    return error.details["reason"]


# --- refused -------------------------------------------------------------------------------


async def test_without_a_certificate_the_client_is_refused(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki) as http:
        assert_invalid_client(await client_credentials(http, "mtls-app", []))
    error = [e for e in ostium.events.recent if e.type == "TOKEN_ERROR"][-1]
    assert (error.client_id, error.error) == ("mtls-app", "invalid_client")
    assert error.details["reason"] == "no client certificate"


async def test_a_certificate_with_another_subject_is_refused(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    someone_else = issue("someone-else", pki.intermediate, now=datetime.fromtimestamp(START, UTC))
    async with behind(ostium, pki) as http:
        response = await client_credentials(http, "mtls-app", haproxy_headers(someone_else, pki))
    assert_invalid_client(response)


async def test_headers_from_an_untrusted_peer_are_ignored(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki, peer="192.0.2.99") as http:
        response = await client_credentials(http, "mtls-app", haproxy_headers(pki.client, pki))
    assert_invalid_client(response)
    assert last_failure_reason(ostium) == (
        "client certificate rejected: certificate header from untrusted peer 192.0.2.99"
    )


async def test_a_forged_second_certificate_header_is_refused(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    # A client that sends its own SSL_CLIENT_CERT, which a proxy appended to, not replaced.
    headers = [("SSL_CLIENT_CERT", pki.client.der_b64), *haproxy_headers(pki.client, pki)]
    async with behind(ostium, pki) as http:
        assert_invalid_client(await client_credentials(http, "mtls-app", headers))
    assert last_failure_reason(ostium).startswith("client certificate rejected: ")


async def test_a_certificate_from_another_ca_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    headers = [("SSL_CLIENT_CERT", pki.stranger.der_b64), ("CERT_CHAIN_0", pki.other_root.der_b64)]
    async with behind(ostium, pki) as http:
        assert_invalid_client(await client_credentials(http, "mtls-app", headers))
    assert last_failure_reason(ostium).startswith("client certificate rejected: ")


async def test_an_expired_certificate_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    async with behind(ostium, pki) as http:
        response = await client_credentials(http, "mtls-app", haproxy_headers(pki.expired, pki))
    assert_invalid_client(response)
    assert last_failure_reason(ostium).startswith("client certificate rejected: ")


async def test_a_secret_does_not_stand_in_for_the_certificate(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki) as http:
        response = await http.post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            auth=("mtls-app", "anything"),
        )
    assert_invalid_client(response)


async def test_exact_comparison_does_not_take_a_pattern(ostium: OstiumUnderTest, pki: Pki) -> None:
    async with behind(ostium, pki) as http:
        response = await client_credentials(
            http, "mtls-exact-pattern", haproxy_headers(pki.client, pki)
        )
    assert_invalid_client(response)


async def test_an_issuer_other_than_casubjectdn_is_refused(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki) as http:
        response = await client_credentials(http, "mtls-other-ca", haproxy_headers(pki.client, pki))
    assert_invalid_client(response)


# --- accepted ------------------------------------------------------------------------------


async def test_the_proxy_is_judged_by_its_socket_address_not_a_forwarded_one(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    # From the trusted proxy with the browser's address forwarded: still the proxy's header.
    forwarded = [("X-Forwarded-For", "203.0.113.7"), *haproxy_headers(pki.client, pki)]
    async with behind(ostium, pki) as http:
        assert (await client_credentials(http, "mtls-app", forwarded)).status_code == 200
    # From outside, claiming to be the proxy: still outside.
    claimed = [("X-Forwarded-For", PROXY_PEER), *haproxy_headers(pki.client, pki)]
    async with behind(ostium, pki, peer="192.0.2.99") as http:
        assert_invalid_client(await client_credentials(http, "mtls-app", claimed))


@pytest.mark.parametrize("client_id", ["mtls-app", "mtls-regex", "mtls-exact", "mtls-ca"])
async def test_a_trusted_proxys_certificate_authenticates_the_client(
    ostium: OstiumUnderTest, pki: Pki, client_id: str
) -> None:
    async with behind(ostium, pki) as http:
        response = await client_credentials(http, client_id, haproxy_headers(pki.client, pki))

    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


async def test_discovery_lists_tls_client_auth(ostium: OstiumUnderTest, pki: Pki) -> None:
    async with behind(ostium, pki) as http:
        response = await http.get("/realms/test/.well-known/openid-configuration")
    metadata = response.json()
    assert "tls_client_auth" in metadata["token_endpoint_auth_methods_supported"]
    assert "tls_client_auth" in metadata["introspection_endpoint_auth_methods_supported"]


# --- certificate-bound access tokens (RFC 8705 §3) ----------------------------------------

USERINFO = "/realms/test/protocol/openid-connect/userinfo"
INTROSPECT = "/realms/test/protocol/openid-connect/token/introspect"


async def password_grant(
    http: httpx.AsyncClient, client_id: str, headers: list[tuple[str, str]], **form: str
) -> httpx.Response:
    return await http.post(
        TOKEN,
        data={
            "grant_type": "password",
            "client_id": client_id,
            "username": "alice",
            "password": "wonderland",
            "scope": "openid",
            **form,
        },
        headers=headers,
    )


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def other_certificate(pki: Pki) -> Issued:
    """Same subject, same CA, another key: passes client-x509, is not the bound one."""
    return issue("client-app", pki.intermediate, now=datetime.fromtimestamp(START, UTC))


async def test_a_bound_client_without_a_certificate_gets_no_token(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki) as http:
        response = await http.post(
            TOKEN,
            data={"grant_type": "password", "username": "alice", "password": "wonderland"},
            auth=("secret-bound", "bound-secret"),
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


async def test_userinfo_refuses_a_bound_token_without_its_certificate(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki) as http:
        issued = await password_grant(http, "mtls-bound", haproxy_headers(pki.client, pki))
        assert issued.status_code == 200, issued.text
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}

        without = await http.get(USERINFO, headers=bearer)
        other = await http.get(
            USERINFO, headers=[*bearer.items(), *haproxy_headers(other_certificate(pki), pki)]
        )
    async with behind(ostium, pki, peer="192.0.2.9") as direct:
        forged = await direct.get(
            USERINFO, headers=[*bearer.items(), *haproxy_headers(pki.client, pki)]
        )

    for response in (without, other, forged):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_token"


async def test_a_bound_token_works_with_its_certificate(ostium: OstiumUnderTest, pki: Pki) -> None:
    async with behind(ostium, pki) as http:
        issued = await password_grant(http, "mtls-bound", haproxy_headers(pki.client, pki))
        access_token = issued.json()["access_token"]
        response = await http.get(
            USERINFO,
            headers=[
                ("Authorization", f"Bearer {access_token}"),
                *haproxy_headers(pki.client, pki),
            ],
        )
        introspected = await http.post(
            INTROSPECT, data={"token": access_token}, auth=("app", SECRET)
        )

    assert claims_of(access_token)["cnf"] == {"x5t#S256": thumbprint(pki.client.cert)}
    assert response.status_code == 200, response.text
    assert response.json()["preferred_username"] == "alice"
    # §3.2: the resource server compares the certificate presented to it with this.
    assert introspected.json()["cnf"] == {"x5t#S256": thumbprint(pki.client.cert)}


async def test_a_public_clients_refresh_token_is_bound_too(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki) as http:
        issued = await password_grant(http, "public-bound", haproxy_headers(pki.client, pki))
        assert issued.status_code == 200, issued.text
        refresh_token = issued.json()["refresh_token"]
        refresh = {"grant_type": "refresh_token", "client_id": "public-bound"}

        stolen = await http.post(
            TOKEN,
            data={**refresh, "refresh_token": refresh_token},
            headers=haproxy_headers(other_certificate(pki), pki),
        )
        owned = await http.post(
            TOKEN,
            data={**refresh, "refresh_token": refresh_token},
            headers=haproxy_headers(pki.client, pki),
        )

    assert claims_of(refresh_token)["cnf"] == {"x5t#S256": thumbprint(pki.client.cert)}
    assert stolen.status_code == 400, stolen.text
    assert stolen.json()["error"] == "invalid_grant"
    assert owned.status_code == 200, owned.text


async def test_discovery_advertises_bound_tokens(ostium: OstiumUnderTest, pki: Pki) -> None:
    async with behind(ostium, pki) as http:
        response = await http.get("/realms/test/.well-known/openid-configuration")
    assert response.json()["tls_client_certificate_bound_access_tokens"] is True
