"""users/{id}/impersonation and the action e-mail endpoints, over HTTP."""

from __future__ import annotations

import base64
import json

from tests.admin.helpers import (
    TEST,
    admin_headers,
    client_uuid,
    grant_management_role,
    user_id,
    user_token_headers,
)
from tests.support import BASE, CALLBACK, OstiumUnderTest, query_of


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def test_impersonation_refuses_unknown_disabled_service_and_unauthorised(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    unknown = await ostium.client.post(f"{TEST}/users/nobody/impersonation", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "User not found"}
    mallory = await user_id(ostium, headers, "mallory")
    disabled = await ostium.client.post(f"{TEST}/users/{mallory}/impersonation", headers=headers)
    assert disabled.status_code == 400
    assert disabled.json() == {"errorMessage": "User is disabled"}
    app = await client_uuid(ostium, headers, "app")
    service = (
        await ostium.client.get(f"{TEST}/clients/{app}/service-account-user", headers=headers)
    ).json()["id"]
    refused = await ostium.client.post(f"{TEST}/users/{service}/impersonation", headers=headers)
    assert refused.status_code == 400
    assert refused.json() == {"errorMessage": "Service accounts cannot be impersonated"}
    alice = await user_id(ostium, headers, "alice")
    # manage-users is not enough: impersonation is its own role, as in Keycloak.
    await grant_management_role(ostium, headers, "bob", "manage-users")
    bob = await user_token_headers(ostium, "bob", "builder")
    forbidden = await ostium.client.post(f"{TEST}/users/{alice}/impersonation", headers=bob)
    assert forbidden.status_code == 403
    assert not [e for e in ostium.events.recent if e.type == "IMPERSONATE"]
    assert "set-cookie" not in refused.headers and "set-cookie" not in forbidden.headers


async def test_master_admin_impersonates_into_an_sso_session(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    app = await client_uuid(ostium, headers, "app")
    for note, claim in (("IMPERSONATOR_ID", "id"), ("IMPERSONATOR_USERNAME", "username")):
        mapper = await ostium.client.post(
            f"{TEST}/clients/{app}/protocol-mappers/models",
            json={
                "name": f"impersonator {claim}",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-usersessionmodel-note-mapper",
                "config": {
                    "user.session.note": note,
                    "claim.name": f"impersonator.{claim}",
                    "jsonType.label": "String",
                    "access.token.claim": "true",
                },
            },
            headers=headers,
        )
        assert mapper.status_code == 201, mapper.text
    ordinary = await ostium.password_grant()
    assert "impersonator" not in _claims(ordinary.json()["access_token"])
    browser = ostium.browser()
    response = await browser.http.post(f"{TEST}/users/{alice}/impersonation", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"redirect": f"{BASE}/realms/test/account", "sameRealm": False}
    cookies = response.headers.get_list("set-cookie")
    identity = [c for c in cookies if c.startswith("KEYCLOAK_IDENTITY=")]
    session_cookie = [c for c in cookies if c.startswith("KEYCLOAK_SESSION=")]
    assert identity and "Path=/realms/test/" in identity[0] and "HttpOnly" in identity[0]
    assert session_cookie and session_cookie[0].startswith(f"KEYCLOAK_SESSION=test/{alice}/")
    [event] = [e for e in ostium.events.recent if e.type == "IMPERSONATE"]
    master_admin = _claims(headers["Authorization"].split()[1])["sub"]
    assert event.user_id == alice
    assert event.details["impersonator"] == "admin"
    assert event.details["impersonator_id"] == master_admin
    assert event.details["impersonator_realm"] == "master"
    async with ostium.storage.transaction() as repos:
        session = await repos.sessions.get(event.session_id or "")
    assert session is not None and session.user_id == alice
    assert session.notes["IMPERSONATOR_ID"] == master_admin
    assert session.notes["IMPERSONATOR_USERNAME"] == "admin"
    # The cookies are a working SSO session: prompt=none yields a code for alice.
    silent = await browser.authorize(prompt="none")
    assert silent.status_code == 302, silent.text
    code = query_of(silent.headers["location"])["code"]
    tokens = await ostium.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    )
    assert tokens.status_code == 200, tokens.text
    assert _claims(tokens.json()["access_token"])["sub"] == alice
    assert _claims(tokens.json()["access_token"])["sid"] == event.session_id
    # Keycloak's impersonator mappers read the session's notes.
    assert _claims(tokens.json()["access_token"])["impersonator"] == {
        "id": master_admin,
        "username": "admin",
    }
    await browser.aclose()


async def test_same_realm_impersonation_ends_the_admins_session(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    await grant_management_role(ostium, headers, "bob", "impersonation")
    await grant_management_role(ostium, headers, "bob", "view-users")
    bob = await user_token_headers(ostium, "bob", "builder")
    response = await ostium.client.post(f"{TEST}/users/{alice}/impersonation", headers=bob)
    assert response.status_code == 200, response.text
    assert response.json()["sameRealm"] is True
    # Bob's own session ended: the token he used no longer works.
    after = await ostium.client.get(f"{TEST}/users/{alice}", headers=bob)
    assert after.status_code == 401


async def test_action_emails_check_as_keycloak_then_say_mail_is_unavailable(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    mallory = await user_id(ostium, headers, "mallory")  # disabled and without e-mail
    created = await ostium.client.post(
        f"{TEST}/users",
        json={"username": "dora", "email": "dora@example.com", "enabled": False},
        headers=headers,
    )
    dora = created.headers["location"].rsplit("/", 1)[1]
    other = await client_uuid(ostium, headers, "other")
    disable = await ostium.client.put(
        f"{TEST}/clients/{other}", json={"clientId": "other", "enabled": False}, headers=headers
    )
    assert disable.status_code == 204
    execute = "execute-actions-email"
    cases: list[tuple[str, str, dict[str, str], object, int, str | None]] = [
        ("nobody", execute, {}, ["UPDATE_PASSWORD"], 404, None),
        (mallory, execute, {}, ["UPDATE_PASSWORD"], 400, "User email missing"),
        (dora, execute, {}, ["UPDATE_PASSWORD"], 400, "User is disabled"),
        (alice, execute, {"redirect_uri": CALLBACK}, None, 400, "Client id missing"),
        (alice, execute, {"client_id": "nope"}, None, 400, "Client doesn't exist"),
        (alice, execute, {"client_id": "other"}, None, 400, "Client is not enabled"),
        (
            alice,
            execute,
            {"client_id": "app", "redirect_uri": "https://evil.example/"},
            None,
            400,
            "Invalid redirect uri.",
        ),
        (alice, execute, {}, ["UPDATE_PASSWORD", "NOPE"], 400, "Provided invalid required actions"),
        (alice, execute, {}, {"actions": ["UPDATE_PASSWORD"]}, 400, None),
        (alice, execute, {"lifespan": "soon"}, None, 400, None),
        (alice, "send-verify-email", {"client_id": "nope"}, None, 400, "Client doesn't exist"),
        (mallory, "send-verify-email", {}, None, 400, "User email missing"),
        (dora, "reset-password-email", {}, None, 400, "User is disabled"),
    ]
    for uid, path, params, body, status, message in cases:
        response = await ostium.client.put(
            f"{TEST}/users/{uid}/{path}", params=params, json=body, headers=headers
        )
        assert response.status_code == status, (path, params, body, response.text)
        if message is not None:
            assert response.json() == {"errorMessage": message}, (path, params, body)
        else:
            assert "errorMessage" in response.json() or "error" in response.json()
    for path, params, body in (
        (execute, {"client_id": "app", "redirect_uri": CALLBACK}, ["UPDATE_PASSWORD"]),
        (execute, {}, None),
        ("send-verify-email", {}, None),
        ("reset-password-email", {}, None),
    ):
        response = await ostium.client.put(
            f"{TEST}/users/{alice}/{path}", params=params, json=body, headers=headers
        )
        assert response.status_code == 400, path
        assert response.json() == {"errorMessage": "Realm has no SMTP server configured"}
    viewer = await user_token_headers(ostium, "bob", "builder")
    assert (
        await ostium.client.put(f"{TEST}/users/{alice}/send-verify-email", headers=viewer)
    ).status_code == 403


async def test_impersonation_feature_disabled_is_501(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    ostium.runtime.features_disabled = frozenset({"impersonation"})
    response = await ostium.client.post(f"{TEST}/users/{alice}/impersonation", headers=headers)
    assert response.status_code == 501
    assert response.json() == {"error": "Feature not enabled"}
    assert "set-cookie" not in response.headers
    async with ostium.storage.transaction() as repos:
        assert await repos.sessions.list_for_user(alice) == []


async def test_impersonation_role_exists_in_both_management_clients(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    for realm, client_id in (("test", "realm-management"), ("master", "master-realm")):
        base = f"{TEST.rsplit('/', 1)[0]}/{realm}"
        clients = (
            await ostium.client.get(
                f"{base}/clients", params={"clientId": client_id}, headers=headers
            )
        ).json()
        role = await ostium.client.get(
            f"{base}/clients/{clients[0]['id']}/roles/impersonation", headers=headers
        )
        assert role.status_code == 200, (realm, client_id)
    management = await client_uuid(ostium, headers, "realm-management")
    realm_admin = (
        await ostium.client.get(
            f"{TEST}/clients/{management}/roles/realm-admin/composites", headers=headers
        )
    ).json()
    assert "impersonation" in [r["name"] for r in realm_admin]


async def test_master_realm_roles_come_from_master_realm_client(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    master = f"{TEST.rsplit('/', 1)[0]}/master"
    ids = {}
    for username in ("helper", "target"):
        created = await ostium.client.post(
            f"{master}/users",
            json={
                "username": username,
                "enabled": True,
                "credentials": [{"type": "password", "value": "admin", "temporary": False}],
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        ids[username] = created.headers["location"].rsplit("/", 1)[1]
    helper = await admin_headers(ostium, "helper")
    url = f"{master}/users/{ids['target']}/impersonation"
    assert (await ostium.client.post(url, headers=helper)).status_code == 403
    client = (
        await ostium.client.get(
            f"{master}/clients", params={"clientId": "master-realm"}, headers=headers
        )
    ).json()[0]["id"]
    role = (
        await ostium.client.get(f"{master}/clients/{client}/roles/impersonation", headers=headers)
    ).json()
    granted = await ostium.client.post(
        f"{master}/users/{ids['helper']}/role-mappings/clients/{client}",
        json=[role],
        headers=headers,
    )
    assert granted.status_code == 204
    helper = await admin_headers(ostium, "helper")
    allowed = await ostium.client.post(url, headers=helper)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"redirect": f"{BASE}/realms/master/account", "sameRealm": True}
    # master-realm roles of master do not reach another realm.
    alice = await user_id(ostium, headers, "alice")
    other = await ostium.client.post(
        f"{TEST}/users/{alice}/impersonation", headers=await admin_headers(ostium, "helper")
    )
    assert other.status_code == 403
