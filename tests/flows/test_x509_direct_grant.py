"""The password grant with Keycloak's `direct-grant-auth-x509-username` step: the user is
the one the client certificate names, behind a TLS-terminating proxy (HAProxy's headers)
as in `test_tls_client_auth.py`.

The realm's direct grant flow is a copy of the built-in one with the username and password
steps disabled and the X.509 step REQUIRED, set on the realm as an administrator would. The
client (`app`) authenticates with its secret; the certificate is the user's.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ostium.domain.authentication_flows import (
    AuthenticationExecution,
    AuthenticationFlow,
    AuthenticatorConfig,
    Requirement,
)
from ostium.domain.brute_force import LoginFailure
from tests.flows.test_tls_client_auth import behind, haproxy_headers
from tests.support import SECRET, START, OstiumUnderTest, realm_export, start_in_process
from tests.x509_ca import Issued, Pki, crl, crl_pem, issue, make_pki

NOW = datetime.fromtimestamp(START, UTC)
UPSTREAM = "http://ostium:8080"
TOKEN = "/realms/test/protocol/openid-connect/token"
PROXY_PEER = "10.0.0.5"
X509_STEP = "direct-grant-auth-x509-username"
BY_CN = {
    "x509-cert-auth.mapping-source-selection": "Subject's Common Name",
    "x509-cert-auth.mapper-selection": "Username or Email",
}


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(NOW)


def _realm() -> dict[str, Any]:
    realm = realm_export()
    realm["users"] += [
        {"username": "dave", "enabled": True, "attributes": {"cert-id": ["shared"]}},
        {"username": "erin", "enabled": True, "attributes": {"cert-id": ["shared"]}},
    ]
    return realm


@pytest.fixture
async def ostium(tmp_path: Path) -> AsyncIterator[OstiumUnderTest]:
    server = await start_in_process(tmp_path, _realm())
    try:
        yield server
    finally:
        await server.close()


async def use_x509_flow(
    ostium: OstiumUnderTest,
    config: dict[str, str] | None = None,
    *,
    password: bool = False,
    username: bool = False,
) -> None:
    """Bind a copy of "direct grant" whose X.509 step is REQUIRED and first."""
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        built_in = realm.flow("direct grant")
        assert built_in is not None
        keep = {
            "direct-grant-validate-password": password,
            "direct-grant-validate-username": username,
        }
        executions = [
            AuthenticationExecution(
                id=str(uuid.uuid4()),
                requirement=(
                    Requirement.DISABLED
                    if not keep.get(e.authenticator or "", True)
                    else e.requirement
                ),
                priority=e.priority,
                authenticator=e.authenticator,
                flow_id=e.flow_id,
            )
            for e in built_in.executions
        ]
        settings = None
        if config is not None:
            settings = AuthenticatorConfig(str(uuid.uuid4()), "x509 users", dict(config))
            realm.authenticator_config.append(settings)
        executions.append(
            AuthenticationExecution(
                id=str(uuid.uuid4()),
                requirement=Requirement.REQUIRED,
                priority=5,
                authenticator=X509_STEP,
                authenticator_config=settings.id if settings else None,
            )
        )
        realm.authentication_flows.append(
            AuthenticationFlow(str(uuid.uuid4()), "x509 direct grant", executions=executions)
        )
        realm.direct_grant_flow = "x509 direct grant"
        await repos.realms.update(realm)




def user_cert(name: str, pki: Pki, **options: Any) -> Issued:
    return issue(name, pki.intermediate, now=NOW, **options)


async def grant(
    ostium: OstiumUnderTest,
    pki: Pki,
    headers: list[tuple[str, str]],
    *,
    peer: str = PROXY_PEER,
    **extra: str,
) -> httpx.Response:
    async with behind(ostium, pki, peer) as http:
        return await http.post(
            TOKEN,
            data={"grant_type": "password", "scope": "openid", **extra},
            auth=("app", SECRET),
            headers=headers,
        )


def assert_error(response: httpx.Response, status: int, error: str, description: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert description in body["error_description"]


def last_login_error(ostium: OstiumUnderTest) -> Any:
    return [e for e in ostium.events.recent if e.type == "LOGIN_ERROR"][-1]


def claims(response: httpx.Response) -> dict[str, Any]:
    payload = response.json()["access_token"].split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


# --- refused ------------------------------------------------------------------------------


async def test_without_a_certificate_the_user_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN)
    response = await grant(ostium, pki, [])
    assert_error(response, 401, "invalid_request", "X509 client certificate is missing")
    event = last_login_error(ostium)
    assert (event.client_id, event.error) == ("app", "user_not_found")
    assert event.details["reason"] == "no client certificate"


async def test_a_username_and_password_do_not_stand_in_for_the_haproxy_headers(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await use_x509_flow(ostium, BY_CN)
    response = await grant(ostium, pki, [], username="alice", password="wonderland")
    assert_error(response, 401, "invalid_request", "X509 client certificate is missing")


async def test_a_certificate_header_from_an_untrusted_peer_is_ignored(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await use_x509_flow(ostium, BY_CN)
    headers = haproxy_headers(user_cert("alice", pki), pki)
    response = await grant(ostium, pki, headers, peer="192.0.2.99")
    assert_error(response, 401, "invalid_request", "X509 client certificate is missing")
    assert "untrusted peer 192.0.2.99" in last_login_error(ostium).details["reason"]


async def test_an_expired_certificate_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN)
    expired = user_cert(
        "alice", pki, not_before=NOW - timedelta(days=30), not_after=NOW - timedelta(days=1)
    )
    response = await grant(ostium, pki, haproxy_headers(expired, pki))
    assert_error(response, 401, "invalid_request", "X509 client certificate is missing")
    assert "is not valid now" in last_login_error(ostium).details["reason"]


async def test_a_certificate_from_another_ca_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN)
    stranger = issue("alice", pki.other_root, now=NOW)
    headers = [("SSL_CLIENT_CERT", stranger.der_b64), ("CERT_CHAIN_0", pki.other_root.der_b64)]
    response = await grant(ostium, pki, headers)
    assert_error(response, 401, "invalid_request", "X509 client certificate is missing")
    assert "does not lead to the truststore" in last_login_error(ostium).details["reason"]


async def test_a_revoked_certificate_is_refused(
    ostium: OstiumUnderTest, pki: Pki, tmp_path: Path
) -> None:
    revoked = user_cert("alice", pki)
    path = tmp_path / "intermediate.crl"
    path.write_bytes(crl_pem(crl(pki.intermediate, (revoked.cert,), now=NOW)))
    await use_x509_flow(
        ostium,
        {
            **BY_CN,
            "x509-cert-auth.crl-checking-enabled": "true",
            "x509-cert-auth.crl-relative-path": str(path),
        },
    )
    response = await grant(ostium, pki, haproxy_headers(revoked, pki))
    assert_error(response, 401, "invalid_request", "has been revoked")
    assert last_login_error(ostium).error == "invalid_user_credentials"
    ok = await grant(ostium, pki, haproxy_headers(user_cert("alice", pki), pki))
    assert ok.status_code == 200, ok.text


async def test_an_unknown_user_is_invalid_credentials(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN)
    response = await grant(ostium, pki, haproxy_headers(user_cert("nobody", pki), pki))
    assert_error(response, 401, "invalid_grant", "Invalid user credentials")
    event = last_login_error(ostium)
    assert (event.error, event.details["username"]) == ("invalid_user_credentials", "nobody")


async def test_a_disabled_user_is_told_so(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN)
    response = await grant(ostium, pki, haproxy_headers(user_cert("mallory", pki), pki))
    assert_error(response, 400, "invalid_grant", "Account disabled")
    event = last_login_error(ostium)
    assert event.error == "user_disabled" and event.user_id is not None


async def test_a_locked_out_user_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN)
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        realm.brute_force_protected = True
        await repos.realms.update(realm)
        alice = await repos.users.get_by_username(realm.id, "alice")
    assert alice is not None
    locked = LoginFailure(num_failures=30, failed_login_not_before=START + 60)
    await ostium.runtime.login_failures.put(realm.id, alice.id, locked, keep_seconds=600)
    headers = haproxy_headers(user_cert("alice", pki), pki)
    response = await grant(ostium, pki, headers)
    assert_error(response, 400, "invalid_grant", "Invalid user credentials")
    event = last_login_error(ostium)
    assert (event.error, event.user_id) == ("user_temporarily_disabled", alice.id)
    # Once the wait is over the certificate logs in, and the failures are forgotten.
    ostium.clock.advance(61)
    assert (await grant(ostium, pki, headers)).status_code == 200
    assert await ostium.runtime.login_failures.get(realm.id, alice.id) is None


async def test_an_identity_two_users_share_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(
        ostium,
        {
            **BY_CN,
            "x509-cert-auth.mapper-selection": "Custom Attribute Mapper",
            "x509-cert-auth.mapper-selection.user-attribute-name": "cert-id",
        },
    )
    response = await grant(ostium, pki, haproxy_headers(user_cert("shared", pki), pki))
    assert_error(response, 401, "invalid_request", "more than one user")


async def test_a_step_without_configuration_is_refused(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, None)
    response = await grant(ostium, pki, haproxy_headers(user_cert("alice", pki), pki))
    assert_error(response, 401, "invalid_request", "configuration")


async def test_an_unsupported_flow_refuses_the_grant_and_says_so_once(
    ostium: OstiumUnderTest, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    await use_x509_flow(ostium, BY_CN, username=True, password=True)
    headers = haproxy_headers(user_cert("alice", pki), pki)
    with caplog.at_level(logging.ERROR, logger="ostium.protocol.grants.password"):
        for _ in range(2):
            response = await grant(ostium, pki, headers, username="alice", password="wonderland")
            assert_error(response, 400, "invalid_request", "direct grant flow is not supported")
    logged = [r for r in caplog.records if "password grant refused" in r.getMessage()]
    assert len(logged) == 1 and "username and a client certificate" in logged[0].getMessage()
    error = [e for e in ostium.events.recent if e.type == "TOKEN_ERROR"][-1]
    assert "username and a client certificate" in error.details["reason"]


# --- accepted -----------------------------------------------------------------------------


async def test_the_default_flow_still_takes_a_username_and_password(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    response = await grant(ostium, pki, [], username="alice", password="wonderland")
    assert response.status_code == 200, response.text
    assert claims(response)["preferred_username"] == "alice"


async def test_a_certificate_does_not_skip_a_required_action(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await use_x509_flow(ostium, BY_CN)
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        alice = await repos.users.get_by_username(realm.id, "alice")
        assert alice is not None
        alice.required_actions = ["UPDATE_PASSWORD"]
        await repos.users.update(alice)
    response = await grant(ostium, pki, haproxy_headers(user_cert("alice", pki), pki))
    assert_error(response, 400, "invalid_grant", "Account is not fully set up")
    assert last_login_error(ostium).error == "resolve_required_actions"


async def test_the_certificate_alone_logs_the_user_in(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN)
    cert = user_cert("alice", pki, serial=4242)
    response = await grant(ostium, pki, haproxy_headers(cert, pki))
    assert response.status_code == 200, response.text
    assert claims(response)["preferred_username"] == "alice"
    login = [e for e in ostium.events.recent if e.type == "LOGIN"][-1]
    assert login.client_id == "app" and login.user_id == claims(response)["sub"]
    assert login.details == {
        "grant_type": "password",
        "username": "alice",
        "x509_cert_serial_number": "4242",
        "x509_cert_subject_distinguished_name": "CN=alice, O=Ostium Test",
        "x509_cert_issuer_distinguished_name": "CN=Test Intermediate CA, O=Ostium Test",
    }


async def test_an_email_in_the_certificate_finds_the_user(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await use_x509_flow(ostium, {"x509-cert-auth.mapping-source-selection": "Subject's e-mail"})
    cert = user_cert("Bob Builder", pki, email="bob@example.com")
    response = await grant(ostium, pki, haproxy_headers(cert, pki))
    assert response.status_code == 200, response.text
    assert claims(response)["preferred_username"] == "bob"


async def test_certificate_then_password(ostium: OstiumUnderTest, pki: Pki) -> None:
    await use_x509_flow(ostium, BY_CN, password=True)
    headers = haproxy_headers(user_cert("alice", pki), pki)
    wrong = await grant(ostium, pki, headers, password="not-it")
    assert_error(wrong, 401, "invalid_grant", "Invalid user credentials")
    missing = await grant(ostium, pki, headers)
    assert_error(missing, 400, "invalid_request", "password")
    # The password is the certificate user's, whatever username the request names.
    bob = await grant(ostium, pki, headers, username="bob", password="builder")
    assert_error(bob, 401, "invalid_grant", "Invalid user credentials")
    right = await grant(ostium, pki, headers, password="wonderland")
    assert right.status_code == 200, right.text
    assert claims(right)["preferred_username"] == "alice"
