"""The session status iframe and third-party-cookie probe keycloak-js relies on."""

from __future__ import annotations

from tests.support import OIDC, OstiumUnderTest


async def test_the_iframe_may_be_framed_by_the_clients_web_origins(
    ostium: OstiumUnderTest,
) -> None:
    page = await ostium.client.get(f"{OIDC}/login-status-iframe.html")
    assert page.status_code == 200
    assert (
        "frame-ancestors 'self' http://localhost:3000 http://localhost:4000;"
        in page.headers["content-security-policy"]
    )
    assert "x-frame-options" not in page.headers
    assert "KEYCLOAK_SESSION=" in page.text and '"test"' in page.text
    login = await ostium.client.get(
        f"{OIDC}/auth",
        params={
            "client_id": "app",
            "response_type": "code",
            "redirect_uri": "http://localhost:3000/callback",
        },
    )
    assert login.headers["x-frame-options"] == "SAMEORIGIN"  # every other page stays unframable


async def test_init_answers_only_the_clients_web_origins(ostium: OstiumUnderTest) -> None:
    init = f"{OIDC}/login-status-iframe.html/init"
    allowed = await ostium.client.get(
        init, params={"client_id": "spa", "origin": "http://localhost:4000"}
    )
    assert allowed.status_code == 204
    plus = await ostium.client.get(
        init, params={"client_id": "app", "origin": "http://localhost:3000"}
    )
    assert plus.status_code == 204  # "+": the origins of the redirect URIs
    for params in (
        {"client_id": "spa", "origin": "https://evil.example"},
        {"client_id": "nobody", "origin": "http://localhost:4000"},
    ):
        assert (await ostium.client.get(init, params=params)).status_code == 403
    assert (await ostium.client.get(init, params={"client_id": "spa"})).status_code == 400


async def test_third_party_cookie_probe(ostium: OstiumUnderTest) -> None:
    step1 = await ostium.client.get(f"{OIDC}/3p-cookies/step1.html")
    assert step1.status_code == 200 and "KEYCLOAK_3P_COOKIE" in step1.text
    assert 'window.location.replace("step2.html")' in step1.text
    step2 = await ostium.client.get(f"{OIDC}/3p-cookies/step2.html")
    assert '"supported" : "unsupported"' in step2.text
    assert "frame-ancestors *;" in step2.headers["content-security-policy"]


async def test_token_and_userinfo_answer_cors_for_registered_web_origins(
    ostium: OstiumUnderTest,
) -> None:
    origin = {"Origin": "http://localhost:3000"}  # app's web origins: "+" (its redirect URIs)
    preflight = await ostium.client.options(
        f"{OIDC}/token", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    tokens = await ostium.client.post(
        f"{OIDC}/token",
        data={"grant_type": "password", "username": "alice", "password": "wonderland"},
        auth=("app", "s3cr3t-app"),
        headers=origin,
    )
    assert tokens.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert tokens.headers["access-control-allow-credentials"] == "true"
    userinfo = await ostium.client.get(
        f"{OIDC}/userinfo",
        headers={**origin, "Authorization": f"Bearer {tokens.json()['access_token']}"},
    )
    assert userinfo.headers["access-control-allow-origin"] == "http://localhost:3000"
    foreign = await ostium.client.post(
        f"{OIDC}/token",
        data={"grant_type": "password", "username": "alice", "password": "wonderland"},
        auth=("app", "s3cr3t-app"),
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 200 and "access-control-allow-origin" not in foreign.headers


async def test_init_expires_the_cookies_of_a_session_ended_elsewhere(
    ostium: OstiumUnderTest,
) -> None:
    browser = ostium.browser()
    await browser.login()
    init = f"{OIDC}/login-status-iframe.html/init"
    params = {"client_id": "app", "origin": "http://localhost:3000"}
    alive = await browser.http.get(init, params=params)
    assert alive.status_code == 204 and "set-cookie" not in alive.headers
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        for session in await repos.sessions.list_for_realm(realm.id):
            await repos.sessions.delete(session.id)  # ended by an admin, another device…
    ended = await browser.http.get(init, params=params)
    assert ended.status_code == 204
    cookies = " ".join(ended.headers.get_list("set-cookie"))
    assert "KEYCLOAK_SESSION=" in cookies and "Max-Age=0" in cookies
