"""RP-initiated logout (OIDC RP-Initiated Logout 1.0) and its effect on SSO."""

from __future__ import annotations

from tests.flows.test_token import code_grant
from tests.support import CALLBACK, OIDC, OstiumUnderTest, form_of, query_of


async def logged_in(ostium: OstiumUnderTest, **params: str):  # type: ignore[no-untyped-def]
    browser = ostium.browser()
    code = (await browser.login(**params))["code"]
    tokens = (await ostium.token(code_grant(code))).json()
    return browser, tokens


async def test_invalid_post_logout_redirect_uri_is_an_error_page(ostium: OstiumUnderTest) -> None:
    browser, tokens = await logged_in(ostium)
    response = await browser.http.get(
        f"{OIDC}/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    still = await browser.authorize(prompt="none")
    assert "code" in query_of(still.headers["location"])


async def test_redirect_uri_without_hint_or_client_is_refused(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(
        f"{OIDC}/logout", params={"post_logout_redirect_uri": "http://localhost:3000/bye"}
    )
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_forged_id_token_hint_is_refused(ostium: OstiumUnderTest) -> None:
    browser, tokens = await logged_in(ostium)
    header, payload, signature = tokens["id_token"].split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    response = await browser.http.get(f"{OIDC}/logout", params={"id_token_hint": forged})
    assert response.status_code == 400


async def test_client_id_must_match_the_hint(ostium: OstiumUnderTest) -> None:
    browser, tokens = await logged_in(ostium)
    response = await browser.http.get(
        f"{OIDC}/logout", params={"id_token_hint": tokens["id_token"], "client_id": "other"}
    )
    assert response.status_code == 400


async def test_logout_with_hint_redirects_with_state_and_ends_sso(ostium: OstiumUnderTest) -> None:
    browser, tokens = await logged_in(ostium)
    response = await browser.http.get(
        f"{OIDC}/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://localhost:3000/bye",
            "state": "st-1",
        },
    )
    assert response.status_code == 302
    assert response.headers["location"] == "http://localhost:3000/bye?state=st-1"
    cookies = " ".join(response.headers.get_list("set-cookie"))
    assert "KEYCLOAK_IDENTITY=" in cookies and "Max-Age=0" in cookies
    after = await browser.authorize(prompt="none")
    assert query_of(after.headers["location"])["error"] == "login_required"
    refresh = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 400
    userinfo = await ostium.client.get(
        f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401


async def test_logout_with_expired_hint_still_works(ostium: OstiumUnderTest) -> None:
    browser, tokens = await logged_in(ostium)
    ostium.clock.advance(600)  # the ID token expired; the session (idle 1800 s) did not
    response = await browser.http.get(
        f"{OIDC}/logout", params={"id_token_hint": tokens["id_token"]}
    )
    assert response.status_code == 200
    assert "You are logged out" in response.text


async def test_plus_means_the_redirect_uris(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    await browser.login(client_id="spa", redirect_uri="http://localhost:4000/cb")
    response = await browser.http.get(
        f"{OIDC}/logout",
        params={"client_id": "spa", "post_logout_redirect_uri": "http://localhost:4000/home"},
    )
    # Without a hint the user confirms first; the URI was accepted (no error page).
    assert response.status_code == 200
    assert 'id="kc-logout-confirm"' in response.text


async def test_logout_without_hint_asks_for_confirmation(ostium: OstiumUnderTest) -> None:
    browser, _ = await logged_in(ostium)
    page = await browser.http.get(
        f"{OIDC}/logout",
        params={
            "client_id": "app",
            "post_logout_redirect_uri": "http://localhost:3000/bye",
            "state": "s2",
        },
    )
    assert page.status_code == 200
    action, hidden = form_of(page.text, "kc-logout-confirm")
    forged = await browser.http.post(action, data={"csrf_token": "forged"})
    assert forged.status_code == 400
    still = await browser.authorize(prompt="none")
    assert "code" in query_of(still.headers["location"])
    confirmed = await browser.http.post(action, data=hidden)
    assert confirmed.status_code == 302
    assert confirmed.headers["location"] == "http://localhost:3000/bye?state=s2"
    after = await browser.authorize(prompt="none")
    assert query_of(after.headers["location"])["error"] == "login_required"


async def test_logout_confirmation_without_redirect_shows_logged_out(
    ostium: OstiumUnderTest,
) -> None:
    browser, _ = await logged_in(ostium)
    page = await browser.http.get(f"{OIDC}/logout")
    action, hidden = form_of(page.text, "kc-logout-confirm")
    done = await browser.http.post(action, data=hidden)
    assert done.status_code == 200 and "You are logged out" in done.text


async def test_other_sessions_survive_a_logout(ostium: OstiumUnderTest) -> None:
    browser_a, tokens_a = await logged_in(ostium)
    browser_b, tokens_b = await logged_in(ostium)
    await browser_a.http.get(f"{OIDC}/logout", params={"id_token_hint": tokens_a["id_token"]})
    refresh = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens_b["refresh_token"]}
    )
    assert refresh.status_code == 200
    again = await browser_b.authorize(redirect_uri=CALLBACK, prompt="none")
    assert "code" in query_of(again.headers["location"])


async def test_account_console_post_logout_uri_resolves_its_relative_redirect_uris(
    ostium: OstiumUnderTest,
) -> None:
    """account-console: `post.logout.redirect.uris` "+" with the relative redirect URI
    `/realms/master/account/*` under rootUrl `${authBaseUrl}` (Keycloak's RedirectUtils)."""
    logout = "/realms/master/protocol/openid-connect/logout"
    browser = ostium.browser()
    for refused in (
        "/realms/master/account/",
        "http://evil.example/realms/master/account/",
        "http://localhost:8080/realms/test/account/",
    ):
        response = await browser.http.get(
            logout, params={"client_id": "account-console", "post_logout_redirect_uri": refused}
        )
        assert response.status_code == 400, refused
        assert "location" not in response.headers
    response = await browser.http.get(
        logout,
        params={
            "client_id": "account-console",
            "post_logout_redirect_uri": "http://localhost:8080/realms/master/account/",
        },
    )
    assert response.status_code == 200, response.text
    assert 'id="kc-logout-confirm"' in response.text
