"""UserInfo (OIDC Core §5.3), introspection (RFC 7662) and revocation (RFC 7009)."""

from __future__ import annotations

from tests.support import OIDC, SECRET, OstiumUnderTest


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_userinfo_without_token_is_401_with_bearer_challenge(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{OIDC}/userinfo")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_token"


async def test_userinfo_rejects_bad_tokens_and_says_why(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    for token in (
        "garbage",
        tokens["refresh_token"],
        tokens["id_token"],
    ):
        response = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(token))
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
    basic = await ostium.client.get(f"{OIDC}/userinfo", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


async def test_userinfo_get_and_post(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant(scope="openid email profile")).json()
    got = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(tokens["access_token"]))
    assert got.status_code == 200
    body = got.json()
    assert body["preferred_username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["sub"]
    posted = await ostium.client.post(
        f"{OIDC}/userinfo", data={"access_token": tokens["access_token"]}
    )
    assert posted.status_code == 200 and posted.json() == body


async def test_userinfo_post_with_only_the_bearer_header(ostium: OstiumUnderTest) -> None:
    """RFC 6750 §2.1: the header alone, no body and no Content-Type, as Keycloak accepts."""
    tokens = (await ostium.password_grant(scope="openid email")).json()
    # Negative cases first: a body of another type is still refused, and so is a token
    # sent both ways (RFC 6750 §2).
    as_json = await ostium.client.post(
        f"{OIDC}/userinfo", json={"x": 1}, headers=bearer(tokens["access_token"])
    )
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    untyped = await ostium.client.post(
        f"{OIDC}/userinfo", content=b"access_token=x", headers=bearer(tokens["access_token"])
    )
    assert untyped.status_code == 400
    both = await ostium.client.post(
        f"{OIDC}/userinfo",
        data={"access_token": tokens["access_token"]},
        headers=bearer(tokens["access_token"]),
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    nothing = await ostium.client.post(f"{OIDC}/userinfo")
    assert nothing.status_code == 401 and nothing.json()["error"] == "invalid_token"

    posted = await ostium.client.post(f"{OIDC}/userinfo", headers=bearer(tokens["access_token"]))
    assert "content-type" not in posted.request.headers
    assert posted.status_code == 200, posted.text
    assert posted.json()["preferred_username"] == "alice"
    assert posted.json()["email"] == "alice@example.com"


async def test_userinfo_after_expiry(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    ostium.clock.advance(301)
    response = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert "expired" in response.json()["error_description"]


async def test_userinfo_on_another_realm_says_wrong_issuer(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    response = await ostium.client.get(
        "http://localhost:8080/realms/master/protocol/openid-connect/userinfo",
        headers=bearer(tokens["access_token"]),
    )
    assert response.status_code == 401
    # The master realm has keys of its own: the test realm's kid is unknown there.
    assert response.json()["error_description"].startswith("unknown kid '")


async def test_introspection_requires_a_confidential_client(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    anonymous = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": tokens["access_token"]}
    )
    assert anonymous.status_code == 401
    public = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": tokens["access_token"], "client_id": "spa"}
    )
    assert public.status_code in (400, 401)
    missing = await ostium.client.post(f"{OIDC}/token/introspect", data={}, auth=("app", SECRET))
    assert missing.status_code == 400


async def test_introspection_of_active_and_inactive_tokens(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    active = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": tokens["access_token"]}, auth=("app", SECRET)
    )
    body = active.json()
    assert body["active"] is True
    assert body["username"] == "alice" and body["client_id"] == "app"
    assert body["token_type"] == "Bearer"
    refresh = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": tokens["refresh_token"]}, auth=("app", SECRET)
    )
    assert refresh.json()["active"] is True
    garbage = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": "garbage"}, auth=("app", SECRET)
    )
    assert garbage.json()["active"] is False
    assert garbage.json()["error_description"].startswith("malformed token")


async def test_revoking_an_access_token(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    response = await ostium.client.post(
        f"{OIDC}/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "access_token"},
        auth=("app", SECRET),
    )
    assert response.status_code == 200
    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    assert "revoked" in userinfo.json()["error_description"]


async def test_revoking_a_refresh_token_ends_the_client_session(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    await ostium.client.post(
        f"{OIDC}/revoke", data={"token": tokens["refresh_token"]}, auth=("app", SECRET)
    )
    refresh = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 400
    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401


async def test_revocation_edge_cases(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    unknown = await ostium.client.post(
        f"{OIDC}/revoke", data={"token": "garbage"}, auth=("app", SECRET)
    )
    assert unknown.status_code == 200  # RFC 7009 §2.2
    foreign = await ostium.client.post(
        f"{OIDC}/revoke", data={"token": tokens["access_token"]}, auth=("other", "other-secret")
    )
    assert foreign.status_code == 400
    still = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(tokens["access_token"]))
    assert still.status_code == 200
    bad_hint = await ostium.client.post(
        f"{OIDC}/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "magic"},
        auth=("app", SECRET),
    )
    assert bad_hint.status_code == 400 and bad_hint.json()["error"] == "unsupported_token_type"
