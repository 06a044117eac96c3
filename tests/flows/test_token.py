"""The token endpoint: client authentication, each grant, and what a code may do once."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support import CALLBACK, ISSUER, OIDC, SECRET, OstiumUnderTest, pkce_pair


def claims_of(token: str) -> dict[str, Any]:
    """The payload, unverified: for tokens only the server itself can verify (HS512)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def code_for(ostium: OstiumUnderTest, **params: str) -> str:
    return (await ostium.browser().login(**params))["code"]


def code_grant(code: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, **extra}


# --- client authentication -------------------------------------------------------------


async def test_wrong_client_secret_is_401_invalid_client_with_challenge(
    ostium: OstiumUnderTest,
) -> None:
    response = await ostium.token({"grant_type": "client_credentials"}, auth=("app", "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_unknown_client_is_invalid_client(ostium: OstiumUnderTest) -> None:
    response = await ostium.token({"grant_type": "client_credentials"}, auth=("ghost", "x"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_malformed_basic_headers(ostium: OstiumUnderTest) -> None:
    for header in (
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic ",
        "Basic \xff",
    ):
        response = await ostium.client.post(
            f"{OIDC}/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": header.encode("latin-1")},
        )
        assert response.status_code == 401, header
        assert response.json()["error"] == "invalid_client"


async def test_two_authentication_methods_at_once_are_refused(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.post(
        f"{OIDC}/token",
        data={"grant_type": "client_credentials", "client_id": "app", "client_secret": SECRET},
        auth=("app", SECRET),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_client_secret_post_works(ostium: OstiumUnderTest) -> None:
    response = await ostium.token(
        {"grant_type": "client_credentials", "client_id": "app", "client_secret": SECRET}, auth=None
    )
    assert response.status_code == 200, response.text


async def test_confidential_client_without_secret_is_invalid_client(
    ostium: OstiumUnderTest,
) -> None:
    response = await ostium.token(
        {"grant_type": "client_credentials", "client_id": "app"}, auth=None
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- request shape ----------------------------------------------------------------------


async def test_missing_and_unknown_grant_types(ostium: OstiumUnderTest) -> None:
    missing = await ostium.token({})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    unknown = await ostium.token({"grant_type": "urn:magic"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "unsupported_grant_type"


async def test_wrong_content_types_are_400(ostium: OstiumUnderTest) -> None:
    as_json = await ostium.client.post(f"{OIDC}/token", json={"grant_type": "password"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    garbage = await ostium.client.post(
        f"{OIDC}/token",
        content=b"\xff\xfe\x00garbage",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"


async def test_repeated_form_parameters_are_rejected(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.post(
        f"{OIDC}/token",
        content=b"grant_type=password&grant_type=client_credentials",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=("app", SECRET),
    )
    assert response.status_code == 400
    assert "Duplicate parameter" in response.json()["error_description"]


async def test_oversized_body_is_413(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.post(
        f"{OIDC}/token",
        content=b"grant_type=password&username=" + b"a" * 200_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


# --- authorization_code -----------------------------------------------------------------


async def test_code_reuse_fails_and_revokes_the_first_tokens(ostium: OstiumUnderTest) -> None:
    code = await code_for(ostium)
    first = await ostium.token(code_grant(code))
    assert first.status_code == 200
    tokens = first.json()
    second = await ostium.token(code_grant(code))
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    refresh = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    introspect = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": tokens["access_token"]}, auth=("app", SECRET)
    )
    assert introspect.json()["active"] is False
    assert introspect.json()["error_description"].startswith("session ended")
    assert any(e.error == "code_reused" for e in ostium.events.recent)


async def test_unknown_code(ostium: OstiumUnderTest) -> None:
    response = await ostium.token(code_grant("not-a-code"))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_code_with_wrong_redirect_uri(ostium: OstiumUnderTest) -> None:
    code = await code_for(ostium)
    response = await ostium.token(
        {**code_grant(code), "redirect_uri": "http://localhost:3000/wild/x"}
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    missing = await ostium.token(
        {"grant_type": "authorization_code", "code": await code_for(ostium)}
    )
    assert missing.json()["error"] == "invalid_grant"


async def test_code_redeemed_by_another_client(ostium: OstiumUnderTest) -> None:
    code = await code_for(ostium)
    response = await ostium.token(code_grant(code), auth=("other", "other-secret"))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_expired_code(ostium: OstiumUnderTest) -> None:
    code = await code_for(ostium)
    ostium.clock.advance(61)  # Keycloak's default code lifespan is 60 s
    response = await ostium.token(code_grant(code))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert any(e.error == "code_expired" for e in ostium.events.recent)


async def test_pkce_s256(ostium: OstiumUnderTest) -> None:
    verifier, challenge = pkce_pair()
    code = await code_for(ostium, code_challenge=challenge, code_challenge_method="S256")
    missing = await ostium.token(code_grant(code))
    assert missing.json()["error"] == "invalid_grant"
    code = await code_for(ostium, code_challenge=challenge, code_challenge_method="S256")
    wrong = await ostium.token(code_grant(code, code_verifier=pkce_pair()[0]))
    assert wrong.json()["error"] == "invalid_grant"
    code = await code_for(ostium, code_challenge=challenge, code_challenge_method="S256")
    good = await ostium.token(code_grant(code, code_verifier=verifier))
    assert good.status_code == 200, good.text


async def test_pkce_rfc7636_appendix_b_vector(ostium: OstiumUnderTest) -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    code = await code_for(ostium, code_challenge=challenge, code_challenge_method="S256")
    response = await ostium.token(code_grant(code, code_verifier=verifier))
    assert response.status_code == 200, response.text


async def test_pkce_plain_and_unexpected_verifier(ostium: OstiumUnderTest) -> None:
    verifier, _ = pkce_pair()
    code = await code_for(ostium, code_challenge=verifier, code_challenge_method="plain")
    assert (await ostium.token(code_grant(code, code_verifier=verifier))).status_code == 200
    code = await code_for(ostium)
    unexpected = await ostium.token(code_grant(code, code_verifier=verifier))
    assert unexpected.json()["error"] == "invalid_grant"


async def test_public_client_code_flow_with_pkce(ostium: OstiumUnderTest) -> None:
    verifier, challenge = pkce_pair()
    params = await ostium.browser().login(
        client_id="spa",
        redirect_uri="http://localhost:4000/cb",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    response = await ostium.token(
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": "http://localhost:4000/cb",
            "client_id": "spa",
            "code_verifier": verifier,
        },
        auth=None,
    )
    assert response.status_code == 200, response.text


async def test_token_response_and_claims(ostium: OstiumUnderTest) -> None:
    code = await code_for(ostium, nonce="nonce-123", scope="openid profile email")
    response = await ostium.token(code_grant(code))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "id_token",
        "not-before-policy",
        "session_state",
        "scope",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["refresh_expires_in"] == 1800
    assert set(body["scope"].split()) == {"openid", "profile", "email"}
    key_set = KeySet.import_key_set((await ostium.client.get(f"{OIDC}/certs")).json())
    access = jwt.decode(body["access_token"], key_set).claims
    assert access["iss"] == ISSUER
    assert access["typ"] == "Bearer"
    assert access["azp"] == "app"
    assert access["sid"] == body["session_state"]
    assert access["preferred_username"] == "alice"
    assert access["email"] == "alice@example.com"
    assert access["email_verified"] is True
    assert access["name"] == "Alice Liddell"
    assert access["given_name"] == "Alice" and access["family_name"] == "Liddell"
    assert access["exp"] - access["iat"] == 300
    roles = set(access["realm_access"]["roles"])
    # editor is direct, user comes from both the composite and the group, the defaults too
    assert {"editor", "user", "offline_access", "uma_authorization", "default-roles-test"} <= roles
    assert access["resource_access"]["app"]["roles"] == ["app-admin"]
    assert "manage-account" in access["resource_access"]["account"]["roles"]
    assert "account" in (access["aud"] if isinstance(access["aud"], list) else [access["aud"]])
    ident = jwt.decode(body["id_token"], key_set).claims
    assert ident["typ"] == "ID" and ident["aud"] == "app" and ident["nonce"] == "nonce-123"
    assert ident["auth_time"] == ostium.clock.now()
    assert ident["at_hash"] and ident["acr"] == "1" and ident["sid"] == body["session_state"]
    refresh = claims_of(body["refresh_token"])
    assert refresh["typ"] == "Refresh" and refresh["sid"] == body["session_state"]


async def test_no_openid_scope_means_no_id_token(ostium: OstiumUnderTest) -> None:
    code = await code_for(ostium, scope="profile")
    body = (await ostium.token(code_grant(code))).json()
    assert "id_token" not in body
    assert "openid" not in body["scope"].split()


# --- refresh_token ----------------------------------------------------------------------


async def test_refresh_rotates_and_keeps_the_session(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    ostium.clock.advance(10)
    refreshed = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["refresh_token"] != tokens["refresh_token"]
    assert body["access_token"] != tokens["access_token"]
    assert body["session_state"] == tokens["session_state"]


async def test_refresh_by_another_client_fails(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    response = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("other", "other-secret"),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_garbage_and_access_tokens_are_not_refresh_tokens(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    for token in ("garbage", "a.b.c", tokens["access_token"], tokens["id_token"], "x" * 20000):
        response = await ostium.token({"grant_type": "refresh_token", "refresh_token": token})
        assert response.status_code == 400, token[:20]
        assert response.json()["error"] in ("invalid_grant", "invalid_request")


async def test_refresh_after_idle_timeout_fails(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    ostium.clock.advance(1801)
    response = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_refresh_keeps_the_session_alive_until_max_lifespan(ostium: OstiumUnderTest) -> None:
    token = (await ostium.password_grant()).json()["refresh_token"]
    for _ in range(20):  # 20 x 1700 s = 34000 s, under the 36000 s max
        ostium.clock.advance(1700)
        response = await ostium.token({"grant_type": "refresh_token", "refresh_token": token})
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    ostium.clock.advance(1700)  # 35700 s: still within SSO Session Max
    response = await ostium.token({"grant_type": "refresh_token", "refresh_token": token})
    assert response.status_code == 200
    ostium.clock.advance(400)  # 36100 s: past the max, though only 400 s idle
    response = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": response.json()["refresh_token"]}
    )
    assert response.status_code == 400


async def test_refresh_cannot_widen_scope(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    response = await ostium.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": "openid phone",
        }
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


# --- client_credentials and password ----------------------------------------------------


async def test_client_credentials_uses_the_service_account(ostium: OstiumUnderTest) -> None:
    response = await ostium.token({"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    claims = claims_of(body["access_token"])
    assert claims["preferred_username"] == "service-account-app"
    assert "sid" not in claims
    assert "user" in claims["realm_access"]["roles"]
    userinfo = await ostium.client.get(
        f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert userinfo.status_code == 200


async def test_client_credentials_needs_service_accounts(ostium: OstiumUnderTest) -> None:
    response = await ostium.token(
        {"grant_type": "client_credentials"}, auth=("other", "other-secret")
    )
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"
    public = await ostium.token({"grant_type": "client_credentials", "client_id": "spa"}, auth=None)
    assert public.status_code == 400 and public.json()["error"] == "unauthorized_client"


async def test_password_grant(ostium: OstiumUnderTest) -> None:
    # Keycloak's answers, which python-keycloak maps to KeycloakAuthenticationError (401).
    invalid = {"error": "invalid_grant", "error_description": "Invalid user credentials"}
    wrong = await ostium.password_grant(password="nope")
    assert (wrong.status_code, wrong.json()) == (401, invalid)
    unknown = await ostium.password_grant("nobody", "nope")
    assert (unknown.status_code, unknown.json()) == (401, invalid)
    service_account = await ostium.password_grant("service-account-app", "")
    assert service_account.status_code in (400, 401)
    # A disabled account is named only to whoever knows its password.
    disabled_wrong = await ostium.password_grant("mallory", "nope")
    assert (disabled_wrong.status_code, disabled_wrong.json()) == (401, invalid)
    disabled = await ostium.password_grant("mallory", "disabled")
    assert (disabled.status_code, disabled.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Account disabled"},
    )
    errors = [e.error for e in ostium.events.recent if e.type == "LOGIN_ERROR"]
    assert errors[-2:] == ["invalid_user_credentials", "user_disabled"]
    not_allowed = await ostium.token(
        {
            "grant_type": "password",
            "username": "alice",
            "password": "wonderland",
            "client_id": "spa",
        },
        auth=None,
    )
    assert not_allowed.status_code == 400 and not_allowed.json()["error"] == "unauthorized_client"
    missing = await ostium.token({"grant_type": "password", "username": "alice"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    good = await ostium.password_grant()
    assert good.status_code == 200 and "id_token" in good.json()


async def test_event_log_lines_name_the_realm(
    ostium: OstiumUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    """Keycloak's event JSON keeps `realmId`; the log line names the realm too."""
    caplog.set_level(logging.INFO, logger="ostium.events")
    await ostium.password_grant(password="nope")
    event = next(e for e in ostium.events.recent if e.type == "LOGIN_ERROR")
    assert event.realm_id != "test" and event.realm_name == "test"
    line = next(r.getMessage() for r in caplog.records if "type=LOGIN_ERROR" in r.getMessage())
    assert f"realm=test realmId={event.realm_id} " in line


async def test_a_password_grant_records_a_login_event(ostium: OstiumUnderTest) -> None:
    # Keycloak's direct grant records LOGIN with the grant type, as a browser sign-in does.
    response = await ostium.password_grant()
    assert response.status_code == 200, response.text
    login = [e for e in ostium.events.recent if e.type == "LOGIN"][-1]
    assert login.client_id == "app"
    assert login.details["grant_type"] == "password"
    assert login.details["username"] == "alice"
    assert login.session_id is not None
