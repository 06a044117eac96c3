"""The authorization endpoint and the login page: negative cases first."""

from __future__ import annotations

import base64
import dataclasses
import json
import re

import httpx

from ostium.app import create_app
from tests.support import (
    CALLBACK,
    ISSUER,
    OIDC,
    Browser,
    OstiumUnderTest,
    form_of,
    fragment_of,
    query_of,
)


async def test_unknown_client_gets_an_error_page_not_a_redirect(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    response = await browser.authorize(client_id="nobody")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Client not found." in response.text


async def test_unregistered_redirect_uri_never_redirects(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    for uri in (
        "https://evil.example/callback",
        CALLBACK + "/extra",
        CALLBACK + "?x=1",
        "http://localhost:3000/callbac",
        "http://localhost:3000/wild",  # the wildcard needs its prefix "…/wild/"
    ):
        response = await browser.authorize(redirect_uri=uri)
        assert response.status_code == 400, uri
        assert "location" not in response.headers


async def test_missing_redirect_uri_is_an_error_page(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(
        f"{OIDC}/auth", params={"client_id": "app", "response_type": "code"}
    )
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_trailing_wildcard_redirect_uri_matches_its_prefix(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    response = await browser.authorize(redirect_uri="http://localhost:3000/wild/deep/page")
    assert response.status_code == 200
    assert 'id="kc-form-login"' in response.text


async def test_duplicate_parameters_are_rejected(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(
        f"{OIDC}/auth?client_id=app&client_id=other&response_type=code&redirect_uri={CALLBACK}"
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Invalid parameter: client_id" in response.text


async def test_errors_after_redirect_validation_go_to_the_client(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    response = await browser.authorize(response_type="token", state="xyz")
    assert response.status_code == 302
    params = query_of(response.headers["location"])
    assert response.headers["location"].startswith(CALLBACK + "?")
    assert params["error"] == "unsupported_response_type"
    assert params["state"] == "xyz"
    assert params["iss"] == ISSUER


async def test_missing_response_type_is_invalid_request(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    response = await browser.authorize(response_type=None, state="s")  # type: ignore[arg-type]
    assert query_of(response.headers["location"])["error"] == "invalid_request"


async def test_bad_pkce_parameters(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    bad_method = await browser.authorize(code_challenge="a" * 43, code_challenge_method="S512")
    assert query_of(bad_method.headers["location"])["error"] == "invalid_request"
    short = await browser.authorize(code_challenge="abc", code_challenge_method="S256")
    assert query_of(short.headers["location"])["error"] == "invalid_request"
    method_only = await browser.authorize(code_challenge_method="S256")
    assert query_of(method_only.headers["location"])["error"] == "invalid_request"


async def test_bad_prompt_and_max_age(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    mixed = await browser.authorize(prompt="none login")
    assert query_of(mixed.headers["location"])["error"] == "invalid_request"
    unknown = await browser.authorize(prompt="sometimes")
    assert query_of(unknown.headers["location"])["error"] == "invalid_request"
    bad_age = await browser.authorize(max_age="-5")
    assert query_of(bad_age.headers["location"])["error"] == "invalid_request"


async def test_request_objects_are_refused_with_their_own_error(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    response = await browser.authorize(request="eyJhbGciOiJub25lIn0.e30.")
    assert query_of(response.headers["location"])["error"] == "request_not_supported"


async def test_prompt_none_without_session_is_login_required(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    response = await browser.authorize(prompt="none", state="st")
    params = query_of(response.headers["location"])
    assert params["error"] == "login_required"
    assert params["state"] == "st"


async def test_client_without_standard_flow_is_refused(ostium: OstiumUnderTest) -> None:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        client = await repos.clients.get_by_client_id(realm.id, "app")
        assert client is not None
        client.standard_flow_enabled = False
        await repos.clients.update(client)
    response = await ostium.browser().authorize()
    assert query_of(response.headers["location"])["error"] == "unauthorized_client"


async def test_login_page_has_keycloak_labels_and_csrf(ostium: OstiumUnderTest) -> None:
    response = await ostium.browser().authorize()
    assert response.status_code == 200
    page = response.text
    for text in ("Username or email", "Password", "Sign In"):
        assert text in page
    _, hidden = form_of(page)
    assert hidden.get("csrf_token")
    cookie = response.headers["set-cookie"]
    assert "AUTH_SESSION_ID=" in cookie and "HttpOnly" in cookie
    assert re.search(r"AUTH_SESSION_ID=[^;.]+\.node1", cookie), cookie


async def test_every_login_failure_reads_the_same(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    for username, password in (
        ("alice", "wrong"),
        ("nobody", "wonderland"),
        ("mallory", "disabled"),  # disabled account
        ("alice", ""),
        ("service-account-app", "x"),
    ):
        page = await browser.authorize()
        response = await browser.submit_login(page, username, password)
        assert response.status_code == 200
        assert "Invalid username or password." in response.text
        assert "location" not in response.headers


async def test_login_without_csrf_token_is_refused(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    page = await browser.authorize()
    action, _ = form_of(page.text)
    response = await browser.http.post(action, data={"username": "alice", "password": "wonderland"})
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_login_without_auth_session_cookie_is_refused(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    page = await browser.authorize()
    action, hidden = form_of(page.text)
    fresh = ostium.browser()
    response = await fresh.http.post(
        action, data={**hidden, "username": "alice", "password": "wonderland"}
    )
    assert response.status_code == 400


async def test_a_login_form_cannot_be_replayed(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    page = await browser.authorize()
    action, hidden = form_of(page.text)
    first = await browser.http.post(
        action, data={**hidden, "username": "alice", "password": "wonderland"}
    )
    assert first.status_code == 302
    again = await browser.http.post(
        action, data={**hidden, "username": "alice", "password": "wonderland"}
    )
    assert again.status_code == 400


async def test_code_flow_login_redirects_with_code_state_and_iss(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    page = await browser.authorize(state="abc", nonce="n-1")
    response = await browser.submit_login(page, "alice", "wonderland")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    params = query_of(location)
    assert params["state"] == "abc"
    assert params["iss"] == ISSUER
    assert params["code"]
    assert params["session_state"]
    cookies = response.headers.get_list("set-cookie")
    identity = next(c for c in cookies if c.startswith("KEYCLOAK_IDENTITY="))
    session = next(c for c in cookies if c.startswith("KEYCLOAK_SESSION="))
    assert (
        "HttpOnly" in identity and "SameSite=Lax" in identity and "Path=/realms/test/" in identity
    )
    assert session.split(";")[0].endswith("/" + params["session_state"])


async def test_login_by_email(ostium: OstiumUnderTest) -> None:
    params = await ostium.browser().login("ALICE@example.com", "wonderland")
    assert params["code"]


async def test_fragment_and_form_post_response_modes(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    page = await browser.authorize(response_mode="fragment", state="f")
    response = await browser.submit_login(page, "alice", "wonderland")
    location = response.headers["location"]
    assert "?" not in location and "#" in location
    assert fragment_of(location)["state"] == "f"
    posted = await browser.authorize(response_mode="form_post", state="p")
    assert posted.status_code == 200  # SSO: straight to the auto-submitting form
    assert f'action="{CALLBACK}"' in posted.text
    assert re.search(r'name="code" value="[^"]+"', posted.text)
    assert 'name="state" value="p"' in posted.text


async def test_sso_second_client_logs_in_without_password(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    first = await browser.login()
    response = await browser.authorize(
        client_id="spa", redirect_uri="http://localhost:4000/cb", state="2"
    )
    assert response.status_code == 302
    params = query_of(response.headers["location"])
    assert params["code"] and params["state"] == "2"
    assert params["session_state"] == first["session_state"]


async def test_prompt_login_forces_the_login_page(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    first = await browser.login()
    page = await browser.authorize(prompt="login")
    assert page.status_code == 200 and 'id="kc-form-login"' in page.text
    again = await browser.submit_login(page, "alice", "wonderland")
    # The same user keeps the same session.
    assert query_of(again.headers["location"])["session_state"] == first["session_state"]


async def test_max_age_forces_reauthentication(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    await browser.login()
    ostium.clock.advance(120)
    fresh_enough = await browser.authorize(max_age="300")
    assert fresh_enough.status_code == 302
    too_old = await browser.authorize(max_age="60")
    assert too_old.status_code == 200 and 'id="kc-form-login"' in too_old.text
    none_too_old = await browser.authorize(max_age="60", prompt="none")
    assert query_of(none_too_old.headers["location"])["error"] == "login_required"


async def test_login_hint_prefills_the_username(ostium: OstiumUnderTest) -> None:
    page = await ostium.browser().authorize(login_hint="bob")
    assert re.search(r'id="username"[^>]*value="bob"|value="bob"[^>]*id="username"', page.text)


async def test_ui_locales_is_ignored_while_the_realm_has_no_internationalization(
    ostium: OstiumUnderTest,
) -> None:
    # Keycloak: internationalizationEnabled off means English, whatever the request asks
    # (tests/flows/test_languages.py covers the realm that has it on).
    page = await ostium.browser().authorize(ui_locales="de")
    assert 'lang="en"' in page.text
    assert "Sign In" in page.text


async def test_unknown_authorization_parameters_are_ignored(ostium: OstiumUnderTest) -> None:
    page = await ostium.browser().authorize(foo="bar", acr_values="gold")
    assert page.status_code == 200


async def test_another_user_logging_in_replaces_the_session(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    first = await browser.login()
    page = await browser.authorize(prompt="login")
    done = await browser.submit_login(page, "bob", "builder")
    second = query_of(done.headers["location"])
    assert second["session_state"] != first["session_state"]


async def test_cookies_are_secure_and_samesite_none_over_https(ostium: OstiumUnderTest) -> None:
    runtime = dataclasses.replace(ostium.runtime, hostname="https://id.example.com")
    transport = httpx.ASGITransport(app=create_app(runtime), client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://id.example.com") as http:
        browser = Browser(http)
        page = await browser.authorize()
        assert "https://id.example.com/realms/test/login-actions/" in page.text
        done = await browser.submit_login(page, "alice", "wonderland")
        assert query_of(done.headers["location"])["iss"] == "https://id.example.com/realms/test"
        for cookie in done.headers.get_list("set-cookie"):
            assert "; Secure" in cookie and "SameSite=None" in cookie, cookie


async def test_cookies_carry_ids_and_a_signature_never_session_data(
    ostium: OstiumUnderTest,
) -> None:
    browser = ostium.browser()
    page = await browser.authorize()
    response = await browser.submit_login(page, "alice", "wonderland")
    values = {
        c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0]
        for sent in (page, response)
        for c in sent.headers.get_list("set-cookie")
    }
    session_id = query_of(response.headers["location"])["session_state"]
    assert values["AUTH_SESSION_ID"] == f"{session_id}.node1"
    realm, user, sid = values["KEYCLOAK_SESSION"].split("/")
    assert (realm, sid) == ("test", session_id) and re.fullmatch(r"[0-9a-f-]{36}", user)
    _, payload, _ = values["KEYCLOAK_IDENTITY"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(claims) <= {"exp", "iat", "jti", "iss", "sub", "typ", "sid"}
    everything = " ".join(values.values()) + json.dumps(claims)
    for secret in ("alice", "wonderland", "alice@example.com", "Liddell", "editor"):
        assert secret not in everything


async def test_account_console_relative_redirect_uri_resolves_to_the_server(
    ostium: OstiumUnderTest,
) -> None:
    """Keycloak's built-in account-console registers `/realms/master/account/*` under rootUrl
    `${authBaseUrl}`: the absolute URI on this server is accepted, nothing else."""
    browser = ostium.browser()
    challenge = base64.urlsafe_b64encode(b"x" * 32).rstrip(b"=").decode()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    endpoint = "/realms/master/protocol/openid-connect/auth"

    async def authorize(redirect_uri: str) -> httpx.Response:
        params = {"client_id": "account-console", "response_type": "code", "scope": "openid"}
        return await browser.http.get(
            endpoint, params={**params, **pkce, "redirect_uri": redirect_uri}
        )

    for refused in (
        "/realms/master/account/",
        "http://evil.example/realms/master/account/",
        "http://localhost:8081/realms/master/account/",
        "http://localhost:8080/realms/other/account/",
        "http://localhost:8080/admin/master/console/",
    ):
        response = await authorize(refused)
        assert response.status_code == 400, refused
        assert "location" not in response.headers
    response = await authorize("http://localhost:8080/realms/master/account/")
    assert response.status_code == 200, response.text
    assert 'id="kc-form-login"' in response.text


async def test_a_wildcard_inside_the_host_stays_on_that_host(ostium: OstiumUnderTest) -> None:
    """Keycloak matches `https://app.example.com*` as a string prefix; Ostium keeps it to
    that origin, and says so to whoever registers it."""
    from tests.admin.helpers import TEST, admin_headers, client_uuid

    headers = await admin_headers(ostium)
    uuid = await client_uuid(ostium, headers, "app")
    update = await ostium.client.put(
        f"{TEST}/clients/{uuid}",
        json={"redirectUris": [CALLBACK, "https://app.example.com*"]},
        headers=headers,
    )
    assert update.status_code == 204
    warning = update.headers["warning"]
    assert warning.startswith('299 - "') and "https://app.example.com/*" in warning
    browser = ostium.browser()
    for uri in (
        "https://app.example.com.evil.com/",
        "https://app.example.com@evil.com/",
        "https://app.example.com:8443/",
        "https://app.example.com%2F@evil.com/",
        "https://app.example.com/a/..%2F..%2Fevil",
    ):
        response = await browser.authorize(redirect_uri=uri)
        assert response.status_code == 400, uri
        assert "location" not in response.headers
    allowed = await browser.authorize(redirect_uri="https://app.example.com/cb")
    assert allowed.status_code == 200
    quiet = await ostium.client.put(
        f"{TEST}/clients/{uuid}",
        json={"redirectUris": [CALLBACK, "https://app.example.com/*"]},
        headers=headers,
    )
    assert quiet.status_code == 204 and "warning" not in quiet.headers
    created = await ostium.client.post(
        f"{TEST}/clients",
        json={"clientId": "wild", "redirectUris": ["http://localhost:7000*"]},
        headers=headers,
    )
    assert created.status_code == 201 and "http://localhost:7000" in created.headers["warning"]
