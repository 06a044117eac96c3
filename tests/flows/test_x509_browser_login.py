"""Keycloak's X.509 browser authenticator (`auth-x509-client-username-form`) behind a
TLS-terminating proxy: the certificate maps to a user, a confirmation page shows who, and
"Continue" signs in; "Sign in another way" and a missing certificate lead to the password
form; a flow with only the certificate refuses passwords.

The flows are configured as Keycloak's administrators do it: a copy of the browser flow
with the X.509 execution and its authenticator config, bound as the realm's browser flow.
The proxy is HAProxy's lookup (`SSL_CLIENT_CERT` + `CERT_CHAIN_0`) from a trusted peer.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ostium.domain.authentication_flows import AuthenticationExecution, AuthenticatorConfig
from tests.flows.test_tls_client_auth import behind
from tests.support import (
    CALLBACK,
    REALM,
    SECRET,
    START,
    OstiumUnderTest,
    form_of,
    query_of,
    start_in_process,
)
from tests.x509_ca import Issued, Pki, issue, make_pki

UPSTREAM = "http://ostium:8080"
PROXY_PEER = "10.0.0.5"
AUTH = f"/realms/{REALM}/protocol/openid-connect/auth"
X509_CONFIG = {
    "x509-cert-auth.mapping-source-selection": "Subject's Common Name",
    "x509-cert-auth.mapper-selection": "Username or Email",
}


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.fromtimestamp(START, UTC))


def _issue(pki: Pki, name: str) -> Issued:
    return issue(name, pki.intermediate, now=datetime.fromtimestamp(START, UTC))


async def _bind_x509_flow(
    ostium: OstiumUnderTest,
    requirement: str = "ALTERNATIVE",
    *,
    with_forms: bool = True,
    config: dict[str, str] | None = None,
) -> None:
    """Copy `browser` to `x509 browser`, add the X.509 step before the forms, bind it."""
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        browser = realm.flow("browser")
        assert browser is not None
        flow = copy.deepcopy(browser)
        flow.id, flow.alias, flow.built_in = "x509-browser", "x509 browser", False
        for execution in flow.executions:
            execution.id = f"copy-{execution.id}"
            if execution.flow_id is not None and not with_forms:
                execution.requirement = "DISABLED"
        realm.authenticator_config.append(
            AuthenticatorConfig("x509-config", "x509", config or dict(X509_CONFIG))
        )
        flow.executions.append(
            AuthenticationExecution(
                id="x509-step",
                requirement=requirement,
                priority=27,
                authenticator="auth-x509-client-username-form",
                authenticator_config="x509-config",
            )
        )
        realm.authentication_flows.append(flow)
        realm.browser_flow = flow.alias
        await repos.realms.update(realm)


@pytest.fixture
async def ostium(tmp_path: Path) -> AsyncIterator[OstiumUnderTest]:
    server = await start_in_process(tmp_path)
    try:
        yield server
    finally:
        await server.close()




def presenting(cert: Issued, pki: Pki) -> dict[str, str]:
    return {"SSL_CLIENT_CERT": cert.der_b64, "CERT_CHAIN_0": pki.intermediate.der_b64}


async def authorize(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": CALLBACK,
        "scope": "openid",
    }
    return await http.get(AUTH, params=params, headers=headers)


async def press(
    http: httpx.AsyncClient, page: httpx.Response, button: str, headers: dict[str, str]
) -> httpx.Response:
    action, hidden = form_of(page.text, "kc-x509-login-info")
    return await http.post(action, data={**hidden, button: "x509"}, headers=headers)


def login_errors(ostium: OstiumUnderTest) -> list[tuple[str | None, dict[str, str]]]:
    return [(e.error, dict(e.details)) for e in ostium.events.recent if e.type == "LOGIN_ERROR"]


# --- refused --------------------------------------------------------------------------------


async def test_a_certificate_of_no_user_shows_the_failure_without_naming_the_reason(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium)
    async with behind(ostium, pki) as http:
        page = await authorize(http, presenting(_issue(pki, "nobody"), pki))
    assert page.status_code == 200
    assert "CN=nobody" in page.text
    assert "Your certificate cannot be used to sign in." in page.text
    assert 'id="kc-login"' not in page.text  # no "Continue"
    assert 'id="kc-cancel"' in page.text  # the password form stays reachable
    assert login_errors(ostium)[-1][0] == "user_not_found"


async def test_a_disabled_user_gets_the_same_page_as_an_unknown_one(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium)
    async with behind(ostium, pki) as http:
        disabled = await authorize(http, presenting(_issue(pki, "mallory"), pki))
        unknown = await authorize(http, presenting(_issue(pki, "nobody"), pki))
    assert disabled.status_code == unknown.status_code == 200
    strip = [p.text.replace("CN=mallory", "").replace("CN=nobody", "") for p in (disabled, unknown)]
    assert strip[0].count("cannot be used") == strip[1].count("cannot be used") == 1
    assert login_errors(ostium)[-2][0] == "user_disabled"


async def test_continue_without_the_same_certificate_signs_nobody_in(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium)
    alice = presenting(_issue(pki, "alice"), pki)
    async with behind(ostium, pki) as http:
        page = await authorize(http, alice)
        assert "alice" in page.text
        bare = await press(http, page, "login", {})
        assert bare.status_code == 401
        assert "location" not in bare.headers
        # The tab is spent: trying again with the certificate does not revive it.
        again = await press(http, page, "login", alice)
    assert again.status_code == 400
    assert "location" not in again.headers


async def test_a_certificate_header_from_an_untrusted_peer_is_no_certificate(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium)
    async with behind(ostium, pki, peer="192.0.2.99") as http:
        page = await authorize(http, presenting(_issue(pki, "alice"), pki))
    assert page.status_code == 200
    assert 'id="kc-form-login"' in page.text
    assert "kc-x509-login-info" not in page.text


async def test_a_certificate_only_flow_refuses_passwords(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium, "ALTERNATIVE", with_forms=False)
    async with behind(ostium, pki) as http:
        without = await authorize(http, {})
        assert without.status_code == 401
        assert "needs a client certificate" in without.text
        page = await authorize(http, presenting(_issue(pki, "alice"), pki))
        assert 'id="kc-cancel"' not in page.text  # no other way to sign in
        action, hidden = form_of(page.text, "kc-x509-login-info")
        forged = await http.post(
            action, data={**hidden, "cancel": "x509", "username": "alice", "password": "wonderland"}
        )
    assert forged.status_code == 401
    assert "location" not in forged.headers


async def test_a_flow_ostium_cannot_run_is_refused_with_a_page_and_a_log_line(
    ostium: OstiumUnderTest, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        spnego = realm.flow("browser").executions[1]  # type: ignore[union-attr]
        assert spnego.authenticator == "auth-spnego"
        spnego.requirement = "ALTERNATIVE"
        await repos.realms.update(realm)
    with caplog.at_level(logging.WARNING, logger="ostium.login"):
        async with behind(ostium, pki) as http:
            page = await authorize(http, {})
    assert page.status_code == 501
    assert "not possible yet" in page.text
    assert "auth-spnego" in caplog.text


# --- signed in ------------------------------------------------------------------------------


async def test_the_confirmation_page_then_continue_signs_the_certificates_user_in(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium)
    alice = presenting(_issue(pki, "alice"), pki)
    async with behind(ostium, pki) as http:
        page = await authorize(http, alice)
        assert page.status_code == 200
        assert "CN=alice, O=Ostium Test" in page.text
        assert '<dd aria-labelledby="x509-user-label" id="username">alice</dd>' in page.text
        done = await press(http, page, "login", alice)
        assert done.status_code == 302, done.text
        code = query_of(done.headers["location"])["code"]
        token = await http.post(
            f"/realms/{REALM}/protocol/openid-connect/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            auth=("app", SECRET),
        )
    assert token.status_code == 200, token.text
    login = [e for e in ostium.events.recent if e.type == "LOGIN"][-1]
    assert login.ip_address == PROXY_PEER


async def test_sign_in_another_way_shows_the_password_form(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium)
    alice = presenting(_issue(pki, "alice"), pki)
    async with behind(ostium, pki) as http:
        page = await authorize(http, alice)
        form = await press(http, page, "cancel", alice)
        assert form.status_code == 200
        action, hidden = form_of(form.text)
        done = await http.post(
            action, data={**hidden, "username": "bob", "password": "builder"}, headers=alice
        )
    assert done.status_code == 302, done.text
    login = [e for e in ostium.events.recent if e.type == "LOGIN"][-1]
    assert login.details.get("username") == "bob"


async def test_without_a_certificate_the_password_form_shows(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    await _bind_x509_flow(ostium)
    async with behind(ostium, pki) as http:
        page = await authorize(http, {})
    assert page.status_code == 200
    assert 'id="kc-form-login"' in page.text


async def test_without_the_confirmation_page_the_user_is_signed_in_at_once(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    config = {**X509_CONFIG, "x509-cert-auth.confirmation-page-disallowed": "true"}
    await _bind_x509_flow(ostium, config=config)
    async with behind(ostium, pki) as http:
        done = await authorize(http, presenting(_issue(pki, "alice"), pki))
    assert done.status_code == 302, done.text
    assert "code" in query_of(done.headers["location"])


async def test_a_certificate_sign_in_still_runs_the_required_actions(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    config = {**X509_CONFIG, "x509-cert-auth.confirmation-page-disallowed": "true"}
    await _bind_x509_flow(ostium, config=config)
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        alice = await repos.users.get_by_username(realm.id, "alice")
        assert alice is not None
        alice.required_actions = ["UPDATE_PASSWORD"]
        await repos.users.update(alice)
    async with behind(ostium, pki) as http:
        page = await authorize(http, presenting(_issue(pki, "alice"), pki))
    assert page.status_code == 200
    assert 'id="kc-passwd-update-form"' in page.text
    assert "location" not in page.headers


async def test_a_flow_without_the_cookie_step_asks_again(
    ostium: OstiumUnderTest, pki: Pki
) -> None:
    async with behind(ostium, pki) as http:
        page = await authorize(http, {})
        action, hidden = form_of(page.text)
        done = await http.post(action, data={**hidden, "username": "alice", "password": "wonderland"})
        assert done.status_code == 302
        assert (await authorize(http, {})).status_code == 302  # SSO
        async with ostium.storage.transaction() as repos:
            realm = await repos.realms.get_by_name(REALM)
            assert realm is not None
            realm.flow("browser").executions[0].requirement = "DISABLED"  # type: ignore[union-attr]
            await repos.realms.update(realm)
        assert (await authorize(http, {})).status_code == 200  # the login form again
