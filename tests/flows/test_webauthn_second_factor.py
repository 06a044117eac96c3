"""Security keys as the second factor (Keycloak's `webauthn-register` and WebAuthn
authenticator in the 2FA sub-flow), over HTTP with a software authenticator answering the
pages' options (tests/webauthn_authenticator.py). Refusals first: another page's
challenge, another RP, a replayed assertion, a cloned key's counter."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from html import unescape
from typing import Any

import httpx
import pytest

from tests.admin.helpers import TEST, admin_headers
from tests.support import (
    BASE,
    Browser,
    OstiumUnderTest,
    form_of,
    query_of,
    realm_export,
    start_in_process,
)
from tests.webauthn_authenticator import SoftwareAuthenticator

ORIGIN = BASE  # the server's own origin, as the browser reports it


def _options(page: httpx.Response) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="kc-webauthn-options">(.*?)</script>', page.text, re.S
    )
    assert found, page.text[-800:]
    options: dict[str, Any] = json.loads(unescape(found.group(1)))
    return options


async def _post(browser: Browser, page: httpx.Response, **fields: str) -> httpx.Response:
    action, hidden = form_of(page.text, "kc-webauthn-form")
    response = await browser.http.post(action, data={**hidden, **fields})
    browser.history.append(response)
    return response


async def _start(tmp_path, *, enable: bool, users: list[dict[str, Any]] = ()) -> OstiumUnderTest:  # type: ignore[no-untyped-def,assignment]
    realm = realm_export()
    realm["users"].extend(users)
    running = await start_in_process(tmp_path, realm)
    if enable:
        headers = await admin_headers(running)
        url = f"{TEST}/authentication/flows/browser/executions"
        executions = (await running.client.get(url, headers=headers)).json()
        step = next(e for e in executions if e.get("providerId") == "webauthn-authenticator")
        changed = await running.client.put(
            url, json={**step, "requirement": "ALTERNATIVE"}, headers=headers
        )
        assert changed.status_code in (202, 204), changed.text
    return running


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    running = await _start(tmp_path, enable=True)
    try:
        yield running
    finally:
        await running.close()


async def _register(server: OstiumUnderTest, key: SoftwareAuthenticator) -> None:
    """bob is asked to register a key (webauthn-register) and does, with `key`."""
    headers = await admin_headers(server)
    users = (await server.client.get(f"{TEST}/users?username=bob", headers=headers)).json()
    changed = await server.client.put(
        f"{TEST}/users/{users[0]['id']}",
        json={"requiredActions": ["webauthn-register"]},
        headers=headers,
    )
    assert changed.status_code == 204
    browser = server.browser()
    page = await browser.submit_login(await browser.authorize(), "bob", "builder")
    assert 'id="kc-webauthn-form"' in page.text and 'data-ceremony="create"' in page.text
    options = _options(page)
    assert options["rp"]["id"] == "localhost" and options["user"]["name"] == "bob"
    done = await _post(
        browser,
        page,
        credential=json.dumps(key.create(options, ORIGIN)),
        authenticatorLabel="Blue key",
    )
    assert done.status_code == 302, done.text


async def _to_key_page(server: OstiumUnderTest) -> tuple[Browser, httpx.Response]:
    browser = server.browser()
    page = await browser.submit_login(await browser.authorize(state="k1"), "bob", "builder")
    assert 'data-ceremony="get"' in page.text, page.text[-600:]
    return browser, page


# --- refusals first ----------------------------------------------------------------------


async def test_registration_refuses_another_rp_and_another_pages_challenge(
    server: OstiumUnderTest,
) -> None:
    headers = await admin_headers(server)
    users = (await server.client.get(f"{TEST}/users?username=bob", headers=headers)).json()
    await server.client.put(
        f"{TEST}/users/{users[0]['id']}",
        json={"requiredActions": ["webauthn-register"]},
        headers=headers,
    )
    browser = server.browser()
    page = await browser.submit_login(await browser.authorize(), "bob", "builder")
    key = SoftwareAuthenticator()
    for answer in (
        key.create(_options(page), ORIGIN, rp_id="evil.example"),
        key.create(_options(page), "https://evil.example"),
        key.create(_options(page), ORIGIN, challenge="b3RoZXItY2hhbGxlbmdl"),
    ):
        refused = await _post(browser, page, credential=json.dumps(answer))
        assert refused.status_code == 400 and 'id="input-error"' in refused.text
        page = refused
    listed = (
        await server.client.get(f"{TEST}/users/{users[0]['id']}/credentials", headers=headers)
    ).json()
    assert [c["type"] for c in listed] == ["password"]


async def test_sign_in_refuses_a_replay_and_a_cloned_key(server: OstiumUnderTest) -> None:
    key = SoftwareAuthenticator()
    await _register(server, key)
    browser, page = await _to_key_page(server)
    answer = key.get(_options(page), ORIGIN)
    done = await _post(browser, page, credential=json.dumps(answer))
    assert done.status_code == 302
    # The same assertion again, on a new page: its challenge is gone.
    browser, page = await _to_key_page(server)
    replay = await _post(browser, page, credential=json.dumps(answer))
    assert replay.status_code == 401
    # A clone of the key, whose counter did not move on: refused.
    cloned = key.get(_options(replay), ORIGIN, counter=1)
    refused = await _post(browser, replay, credential=json.dumps(cloned))
    assert refused.status_code == 401
    errors = [e for e in server.events.recent if e.type == "LOGIN_ERROR"]
    assert errors[-1].details["auth_type"] == "webauthn"


async def test_a_passkey_is_not_the_2fa_steps_security_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Keycloak's 2FA WebAuthn step asks for `webauthn` credentials only: a user whose one
    # credential is a passkey (`webauthn-passwordless`) has no second factor configured
    # there, and the password is the login, as in Keycloak.
    passkey = SoftwareAuthenticator()
    cose = base64.b64encode(passkey.cose_key()).decode()
    stored = {
        "type": "webauthn-passwordless",
        "secretData": "{}",
        "credentialData": json.dumps(
            {
                "aaguid": "00000000-0000-0000-0000-000000000000",
                "credentialId": base64.b64encode(passkey.credential_id).decode(),
                "counter": 0,
                "credentialPublicKey": cose,
                "attestationStatementFormat": "none",
                "transports": ["internal"],
            }
        ),
    }
    dora = {
        "username": "dora",
        "enabled": True,
        "credentials": [{"type": "password", "value": "dora-pw"}, stored],
    }
    running = await _start(tmp_path, enable=True, users=[dora])
    try:
        browser = running.browser()
        page = await browser.submit_login(await browser.authorize(), "dora", "dora-pw")
        assert page.status_code == 302 and "code=" in page.headers["location"]
    finally:
        await running.close()


# --- the login ---------------------------------------------------------------------------


async def test_register_a_key_then_sign_in_with_it(server: OstiumUnderTest) -> None:
    key = SoftwareAuthenticator()
    await _register(server, key)
    headers = await admin_headers(server)
    users = (await server.client.get(f"{TEST}/users?username=bob", headers=headers)).json()
    listed = (
        await server.client.get(f"{TEST}/users/{users[0]['id']}/credentials", headers=headers)
    ).json()
    assert [(c["type"], c.get("userLabel")) for c in listed] == [
        ("password", None),
        ("webauthn", "Blue key"),
    ]
    browser, page = await _to_key_page(server)
    assert "KEYCLOAK_IDENTITY" not in browser.http.cookies
    options = _options(page)
    assert [c["id"] for c in options["allowCredentials"]] == [
        base64.urlsafe_b64encode(key.credential_id).rstrip(b"=").decode()
    ]
    done = await _post(browser, page, credential=json.dumps(key.get(options, ORIGIN)))
    assert done.status_code == 302, done.text
    assert query_of(done.headers["location"])["state"] == "k1"
    # The stored counter moved with the key.
    listed = (
        await server.client.get(f"{TEST}/users/{users[0]['id']}/credentials", headers=headers)
    ).json()
    (stored,) = [c for c in listed if c["type"] == "webauthn"]
    assert json.loads(stored["credentialData"])["counter"] == 1


async def test_with_the_webauthn_step_disabled_the_password_is_the_whole_login(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    running = await _start(tmp_path, enable=False)
    try:
        key = SoftwareAuthenticator()
        await _register(running, key)
        assert "code" in await running.browser().login("bob", "builder")
    finally:
        await running.close()
