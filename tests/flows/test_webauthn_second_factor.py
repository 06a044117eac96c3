"""Users with imported WebAuthn credentials, before the WebAuthn login pages exist: where
the realm's 2FA sub-flow has its WebAuthn step enabled, Keycloak would ask such a user for
the security key, so Ostium stops the login with its "not supported" page instead of
letting the password alone through; where the step is disabled (Keycloak's default), the
password is the whole login, as in Keycloak."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from tests.admin.helpers import TEST, admin_headers
from tests.support import OstiumUnderTest, realm_export, start_in_process
from tests.webauthn_authenticator import SoftwareAuthenticator

KEY = base64.b64encode(SoftwareAuthenticator().cose_key()).decode()
SECURITY_KEY = {
    "type": "webauthn",
    "userLabel": "YubiKey",
    "secretData": "{}",
    "credentialData": (
        '{"aaguid":"00000000-0000-0000-0000-000000000000","credentialId":"3q2+7w==",'
        f'"counter":0,"credentialPublicKey":"{KEY}","attestationStatementFormat":"none",'
        '"transports":["usb"]}'
    ),
}


async def _start(tmp_path, enable_webauthn: bool) -> OstiumUnderTest:  # type: ignore[no-untyped-def]
    realm = realm_export()
    realm["users"].append(
        {
            "username": "dora",
            "enabled": True,
            "email": "dora@example.com",
            "credentials": [{"type": "password", "value": "dora-pw"}, SECURITY_KEY],
        }
    )
    running = await start_in_process(tmp_path, realm)
    if enable_webauthn:
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
async def enabled(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    running = await _start(tmp_path, enable_webauthn=True)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def disabled(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    running = await _start(tmp_path, enable_webauthn=False)
    try:
        yield running
    finally:
        await running.close()


async def test_a_security_key_user_is_not_let_through_on_the_password(
    enabled: OstiumUnderTest,
) -> None:
    browser = enabled.browser()
    page = await browser.submit_login(await browser.authorize(state="w1"), "dora", "dora-pw")
    assert page.status_code == 501
    assert "location" not in page.headers
    # A user without a security key still signs in with the password.
    assert "code" in await enabled.browser().login("bob", "builder")


async def test_with_the_webauthn_step_disabled_the_password_is_the_whole_login(
    disabled: OstiumUnderTest,
) -> None:
    assert "code" in await disabled.browser().login("dora", "dora-pw")
