"""Consent (clients with `consentRequired`): the page after authentication, deny is
`access_denied`, a grant is not asked again, `prompt=consent` asks again, revoking through
the admin API asks again and kills the client's offline token; import and export carry the
users' `clientConsents`."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ostium.admin.export import export_users
from ostium.services.import_coverage import find_unsupported
from tests.admin.helpers import admin_headers, user_id
from tests.support import (
    CALLBACK,
    ISSUER,
    REALM,
    Browser,
    OstiumUnderTest,
    form_of,
    query_of,
    realm_export,
    start_in_process,
)

ADMIN = f"/admin/realms/{REALM}"


def consent_realm() -> dict[str, Any]:
    realm = realm_export()
    for client in realm["clients"]:
        if client["clientId"] == "app":
            client["consentRequired"] = True
    return realm


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    running = await start_in_process(tmp_path, consent_realm())
    try:
        yield running
    finally:
        await running.close()


def _scopes(page: httpx.Response) -> list[str]:
    return re.findall(r'<li data-scope="([^"]+)"', page.text)


async def _to_consent(browser: Browser, **params: str) -> httpx.Response:
    page = await browser.authorize(**params)
    shown = await browser.submit_login(page, "alice", "wonderland")
    assert shown.status_code == 200, shown.text
    assert 'id="kc-oauth-grant"' in shown.text
    return shown


async def _answer(browser: Browser, page: httpx.Response, button: str) -> httpx.Response:
    action, hidden = form_of(page.text, "kc-oauth-grant")
    done = await browser.http.post(action, data={**hidden, button: "yes"})
    assert done.status_code == 302, done.text
    return done


async def test_deny_sends_access_denied_to_the_client(server: OstiumUnderTest) -> None:
    browser = server.browser()
    page = await _to_consent(browser, state="s-1")
    done = await _answer(browser, page, "cancel")
    answer = query_of(done.headers["location"])
    assert done.headers["location"].startswith(CALLBACK)
    assert answer["error"] == "access_denied" and answer["state"] == "s-1"
    assert answer["iss"] == ISSUER and "code" not in answer
    # No SSO session was made: the next request shows the login form again.
    again = await browser.authorize()
    assert 'id="kc-form-login"' in again.text
    assert any(e.error == "rejected_by_user" for e in server.events.recent)


async def test_a_forged_consent_post_grants_nothing(server: OstiumUnderTest) -> None:
    browser = server.browser()
    page = await _to_consent(browser)
    action, _ = form_of(page.text, "kc-oauth-grant")
    forged = await browser.http.post(action, data={"csrf_token": "forged", "accept": "yes"})
    assert forged.status_code == 400


async def test_clients_without_consent_required_show_no_page(server: OstiumUnderTest) -> None:
    browser = server.browser()
    done = await browser.login(client_id="other", redirect_uri="http://localhost:5000/cb")
    assert "code" in done


async def test_accept_then_not_asked_again_and_prompt_consent_asks_again(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    page = await _to_consent(browser)
    assert _scopes(page) == ["profile", "roles", "email"]
    assert "See your email address" in html.unescape(page.text)
    done = await _answer(browser, page, "accept")
    code = query_of(done.headers["location"])["code"]
    tokens = await server.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    )
    assert tokens.status_code == 200
    # Single sign-on: granted already, straight to the code.
    sso = await browser.authorize()
    assert "code" in query_of(sso.headers["location"])
    # A new optional scope is asked for alone.
    more = await browser.authorize(scope="openid phone")
    assert _scopes(more) == ["phone"]
    await _answer(browser, more, "accept")
    # prompt=consent asks for everything again, on the SSO session.
    again = await browser.authorize(prompt="consent")
    assert _scopes(again) == ["profile", "roles", "email"]
    done = await _answer(browser, again, "accept")
    assert "code" in query_of(done.headers["location"])


async def test_prompt_none_with_consent_missing_is_consent_required(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    await browser.login(client_id="other", redirect_uri="http://localhost:5000/cb")
    silent = await browser.authorize(prompt="none")
    assert query_of(silent.headers["location"])["error"] == "consent_required"


async def test_admin_revocation_asks_again_and_kills_the_offline_token(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    page = await _to_consent(browser, scope="openid offline_access")
    assert "offline_access" in _scopes(page)
    done = await _answer(browser, page, "accept")
    code = query_of(done.headers["location"])["code"]
    tokens = (
        await server.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
        )
    ).json()
    offline = tokens["refresh_token"]
    headers = await admin_headers(server)
    uid = await user_id(server, headers, "alice")
    listed = await server.client.get(f"{ADMIN}/users/{uid}/consents", headers=headers)
    assert listed.status_code == 200
    [consent] = listed.json()
    assert consent["clientId"] == "app"
    assert set(consent["grantedClientScopes"]) == {"profile", "roles", "email", "offline_access"}
    assert consent["createdDate"] == server.clock.now_ms()
    assert consent["additionalGrants"] == [{"client": "app", "key": "Offline Token"}]

    revoked = await server.client.delete(f"{ADMIN}/users/{uid}/consents/app", headers=headers)
    assert revoked.status_code == 204
    refreshed = await server.token({"grant_type": "refresh_token", "refresh_token": offline})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert (await server.client.get(f"{ADMIN}/users/{uid}/consents", headers=headers)).json() == []
    gone = await server.client.delete(f"{ADMIN}/users/{uid}/consents/app", headers=headers)
    assert gone.status_code == 404
    # The SSO session is still there, but consent is asked again.
    asked = await browser.authorize()
    assert asked.status_code == 200 and 'id="kc-oauth-grant"' in asked.text


async def test_consents_admin_api_refusals(server: OstiumUnderTest) -> None:
    headers = await admin_headers(server)
    uid = await user_id(server, headers, "alice")
    missing = await server.client.get(f"{ADMIN}/users/nobody/consents", headers=headers)
    assert missing.status_code == 404
    unknown = await server.client.delete(f"{ADMIN}/users/{uid}/consents/nope", headers=headers)
    assert unknown.status_code == 404
    anonymous = await server.client.get(f"{ADMIN}/users/{uid}/consents")
    assert anonymous.status_code == 401


async def test_client_consents_import_and_export(tmp_path) -> None:  # type: ignore[no-untyped-def]
    realm = consent_realm()
    realm["users"][0]["clientConsents"] = [
        {
            "clientId": "app",
            "grantedClientScopes": ["profile", "roles", "email"],
            "createdDate": 1_700_000_000_000,
            "lastUpdatedDate": 1_700_000_100_000,
        }
    ]
    assert find_unsupported(realm) == []
    server = await start_in_process(tmp_path, realm)
    try:
        # Imported: alice is not asked.
        assert "code" in await server.browser().login()
        async with server.storage.transaction() as repos:
            stored = await repos.realms.get_by_name(REALM)
            assert stored is not None
            exported = {u["username"]: u for u in await export_users(repos, stored)}
        assert exported["alice"]["clientConsents"] == realm["users"][0]["clientConsents"]
        assert "clientConsents" not in exported["bob"]
    finally:
        await server.close()


async def test_consent_comes_after_the_required_actions(server: OstiumUnderTest) -> None:
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        alice = await repos.users.get_by_username(realm.id, "alice")
        assert alice is not None
        alice.required_actions = ["UPDATE_PASSWORD"]
        await repos.users.update(alice)
    browser = server.browser()
    page = await browser.authorize()
    action_page = await browser.submit_login(page, "alice", "wonderland")
    assert 'id="kc-passwd-update-form"' in action_page.text
    action, hidden = form_of(action_page.text, "kc-passwd-update-form")
    changed = await browser.http.post(
        action,
        data={**hidden, "password-new": "Looking-Glass-2", "password-confirm": "Looking-Glass-2"},
    )
    assert changed.status_code == 200 and 'id="kc-oauth-grant"' in changed.text
    done = await _answer(browser, changed, "accept")
    assert "code" in query_of(done.headers["location"])


async def test_a_scope_shows_its_own_consent_text_or_none(server: OstiumUnderTest) -> None:
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        email = await repos.client_scopes.get_by_name(realm.id, "email")
        profile = await repos.client_scopes.get_by_name(realm.id, "profile")
        assert email is not None and profile is not None
        email.attributes["consent.screen.text"] = "Your work address"
        profile.attributes["display.on.consent.screen"] = "false"
        await repos.client_scopes.update(email)
        await repos.client_scopes.update(profile)
    page = await _to_consent(server.browser())
    assert _scopes(page) == ["roles", "email"]
    assert "Your work address" in page.text


async def test_the_consent_page_shows_again_on_get_and_only_while_it_shows(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    page = await _to_consent(browser)
    action, _ = form_of(page.text, "kc-oauth-grant")
    again = await browser.http.get(action)
    assert again.status_code == 200 and _scopes(again) == _scopes(page)
    await _answer(browser, again, "accept")
    spent = await browser.http.get(action)
    assert spent.status_code == 400 and 'id="kc-oauth-grant"' not in spent.text
