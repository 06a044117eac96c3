"""The consents of a user in the admin API (Keycloak's UserResource consents) and the
registration, remember-me and consent settings of realms and clients."""

from __future__ import annotations

from tests.admin.helpers import (
    admin_headers,
    grant_management_role,
    user_id,
    user_token_headers,
)
from tests.support import CALLBACK, REALM, OstiumUnderTest, form_of, query_of

TEST = f"/admin/realms/{REALM}"


async def _consent_to_app(ostium: OstiumUnderTest, headers: dict[str, str]) -> None:
    app = (
        await ostium.client.get(f"{TEST}/clients", params={"clientId": "app"}, headers=headers)
    ).json()[0]
    app["consentRequired"] = True
    updated = await ostium.client.put(f"{TEST}/clients/{app['id']}", json=app, headers=headers)
    assert updated.status_code == 204, updated.text
    browser = ostium.browser()
    shown = await browser.submit_login(await browser.authorize(), "alice", "wonderland")
    action, hidden = form_of(shown.text, "kc-oauth-grant")
    done = await browser.http.post(action, data={**hidden, "accept": "yes"})
    assert query_of(done.headers["location"])["code"]
    assert done.headers["location"].startswith(CALLBACK)


async def test_reading_needs_view_users_and_revoking_manage_users(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await _consent_to_app(ostium, headers)
    uid = await user_id(ostium, headers, "alice")
    bob = await user_token_headers(ostium, "bob", "builder")
    assert (await ostium.client.get(f"{TEST}/users/{uid}/consents", headers=bob)).status_code == 403
    await grant_management_role(ostium, headers, "bob", "view-users")
    bob = await user_token_headers(ostium, "bob", "builder")
    listed = await ostium.client.get(f"{TEST}/users/{uid}/consents", headers=bob)
    assert listed.status_code == 200 and [c["clientId"] for c in listed.json()] == ["app"]
    refused = await ostium.client.delete(f"{TEST}/users/{uid}/consents/app", headers=bob)
    assert refused.status_code == 403
    revoked = await ostium.client.delete(f"{TEST}/users/{uid}/consents/app", headers=headers)
    assert revoked.status_code == 204


async def test_realm_settings_round_trip(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    flags = {
        "registrationAllowed": True,
        "registrationEmailAsUsername": True,
        "duplicateEmailsAllowed": True,
        "loginWithEmailAllowed": False,
        "editUsernameAllowed": True,
        "verifyEmail": True,
        "rememberMe": True,
        "ssoSessionIdleTimeoutRememberMe": 3600,
        "ssoSessionMaxLifespanRememberMe": 86400,
    }
    realm = (await ostium.client.get(TEST, headers=headers)).json()
    for key in flags:
        assert key in realm, key
    updated = await ostium.client.put(TEST, json=flags, headers=headers)
    assert updated.status_code == 204, updated.text
    realm = (await ostium.client.get(TEST, headers=headers)).json()
    assert {k: realm[k] for k in flags} == flags
