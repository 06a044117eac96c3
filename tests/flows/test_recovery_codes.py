"""Recovery codes (Keycloak's `recovery-authn-codes`): set up once through
CONFIGURE_RECOVERY_AUTHN_CODES, then accepted in order in place of the authenticator app
where the realm's 2FA sub-flow allows them. Negative cases first."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from ostium.domain.otp import OtpCredential, OtpPolicy
from ostium.domain.recovery_codes import RecoveryCodes, display
from ostium.services.otp import add_otp_device
from ostium.services.recovery_codes import set_recovery_codes
from tests.admin.helpers import TEST, admin_headers
from tests.support import (
    Browser,
    OstiumUnderTest,
    form_of,
    query_of,
    realm_export,
    start_in_process,
)

CODES = [f"CODE{n:02d}ABCDEF"[:12] for n in range(1, 13)]


def _stored(codes: list[str]) -> dict[str, object]:
    made = RecoveryCodes.new(codes)
    return {
        "type": "recovery-authn-codes",
        "secretData": made.secret_data(),
        "credentialData": made.credential_data(),
    }


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    realm = realm_export()
    carol = {
        "username": "carol",
        "enabled": True,
        "email": "carol@example.com",
        "credentials": [{"type": "password", "value": "carol-pw"}, _stored(CODES)],
    }
    realm["users"].append(carol)
    running = await start_in_process(tmp_path, realm)
    try:
        headers = await admin_headers(running)
        flows = f"{TEST}/authentication"
        executions = (
            await running.client.get(f"{flows}/flows/browser/executions", headers=headers)
        ).json()
        recovery = next(
            e for e in executions if e.get("providerId") == "auth-recovery-authn-code-form"
        )
        changed = await running.client.put(
            f"{flows}/flows/browser/executions",
            json={**recovery, "requirement": "ALTERNATIVE"},
            headers=headers,
        )
        assert changed.status_code in (202, 204), changed.text
        registered = await running.client.post(
            f"{flows}/register-required-action",
            json={"providerId": "CONFIGURE_RECOVERY_AUTHN_CODES", "name": "Recovery codes"},
            headers=headers,
        )
        assert registered.status_code == 204, registered.text
        yield running
    finally:
        await running.close()


async def _after_password(
    server: OstiumUnderTest, username: str, password: str
) -> tuple[Browser, httpx.Response]:
    browser = server.browser()
    page = await browser.submit_login(await browser.authorize(state="r1"), username, password)
    return browser, page


async def _post(
    browser: Browser, page: httpx.Response, form_id: str, **fields: str
) -> httpx.Response:
    action, hidden = form_of(page.text, form_id)
    response = await browser.http.post(action, data={**hidden, **fields})
    browser.history.append(response)
    return response


# --- negative cases first ----------------------------------------------------------------


async def test_only_the_next_code_counts_and_only_once(server: OstiumUnderTest) -> None:
    browser, page = await _after_password(server, "carol", "carol-pw")
    assert 'id="kc-recovery-code-login-form"' in page.text
    assert "Recovery code number 1" in page.text
    for wrong in (CODES[1], "", "NOTACODE", CODES[0] + "X"):
        refused = await _post(browser, page, "kc-recovery-code-login-form", recoveryCodeInput=wrong)
        assert refused.status_code == 401 and "location" not in refused.headers
    errors = [e for e in server.events.recent if e.type == "LOGIN_ERROR"]
    assert errors[-1].details["auth_type"] == "recovery-code"
    # Typed as printed (dashes, lower case): still the code.
    done = await _post(
        browser, page, "kc-recovery-code-login-form", recoveryCodeInput=display(CODES[0]).lower()
    )
    assert done.status_code == 302 and query_of(done.headers["location"])["state"] == "r1"
    # The same code again, in another browser: the login now asks for number 2.
    browser, page = await _after_password(server, "carol", "carol-pw")
    assert "Recovery code number 2" in page.text
    again = await _post(browser, page, "kc-recovery-code-login-form", recoveryCodeInput=CODES[0])
    assert again.status_code == 401


async def test_a_realm_whose_flow_does_not_take_codes_does_not_ask_for_them(
    ostium: OstiumUnderTest,
) -> None:
    # The default 2FA sub-flow has recovery codes DISABLED: a user whose only second
    # factor is a set of codes signs in with the password alone there.
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        bob = await repos.users.get_by_username(realm.id, "bob")
        assert bob is not None
        await set_recovery_codes(repos, bob, CODES, now=0)
    assert "code" in await ostium.browser().login("bob", "builder")


# --- setting them up and using them ------------------------------------------------------


async def test_set_up_codes_then_sign_in_with_them_and_be_asked_for_new_ones_at_the_end(
    server: OstiumUnderTest,
) -> None:
    headers = await admin_headers(server)
    users = (await server.client.get(f"{TEST}/users?username=bob", headers=headers)).json()
    bob = users[0]["id"]
    updated = await server.client.put(
        f"{TEST}/users/{bob}",
        json={"requiredActions": ["CONFIGURE_RECOVERY_AUTHN_CODES"]},
        headers=headers,
    )
    assert updated.status_code == 204
    browser, page = await _after_password(server, "bob", "builder")
    assert 'id="kc-recovery-codes-settings-form"' in page.text
    shown = re.findall(r"<li><code>([A-Z0-9-]{14})</code></li>", page.text)
    assert len(shown) == 12 and len(set(shown)) == 12
    download = re.search(r'id="kc-recovery-codes-download" href="([^"]+)"', page.text)
    assert download and html.unescape(download.group(1)).startswith("data:text/plain")
    unconfirmed = await _post(browser, page, "kc-recovery-codes-settings-form")
    assert unconfirmed.status_code == 400 and "location" not in unconfirmed.headers
    done = await _post(
        browser,
        unconfirmed,
        "kc-recovery-codes-settings-form",
        kcRecoveryCodesConfirmationCheck="on",
    )
    assert done.status_code == 302, done.text
    listed = (await server.client.get(f"{TEST}/users/{bob}/credentials", headers=headers)).json()
    stored = [c for c in listed if c["type"] == "recovery-authn-codes"]
    assert len(stored) == 1 and '"remainingCodes": 12' in stored[0]["credentialData"]
    # Every code once, in order; after the last, new codes are asked for.
    for number, code in enumerate(shown, 1):
        browser, page = await _after_password(server, "bob", "builder")
        assert f"Recovery code number {number}" in page.text
        done = await _post(browser, page, "kc-recovery-code-login-form", recoveryCodeInput=code)
        if number < 12:
            assert done.status_code == 302, (number, done.text)
    assert 'id="kc-recovery-codes-settings-form"' in done.text


async def test_an_app_user_can_switch_to_a_recovery_code_and_back(server: OstiumUnderTest) -> None:
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        carol = await repos.users.get_by_username(realm.id, "carol")
        assert carol is not None
        await add_otp_device(
            repos, carol, OtpCredential.new("Gx4rT9pL2mQ8wZ1cV7bN", OtpPolicy()), "Phone", now=0
        )
    browser, page = await _after_password(server, "carol", "carol-pw")
    assert 'id="kc-otp-login-form"' in page.text and 'id="kc-use-recovery-code"' in page.text
    switched = await _post(browser, page, "kc-switch-factor", switch="recovery")
    assert (
        'id="kc-recovery-code-login-form"' in switched.text and 'id="kc-use-otp"' in switched.text
    )
    back = await _post(browser, switched, "kc-switch-factor", switch="otp")
    assert 'id="kc-otp-login-form"' in back.text
    recovery = await _post(browser, back, "kc-switch-factor", switch="recovery")
    done = await _post(browser, recovery, "kc-recovery-code-login-form", recoveryCodeInput=CODES[0])
    assert done.status_code == 302
