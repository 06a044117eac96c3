"""The admin API's answers to bad callers and bad input, in-process."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support import BASE, SECRET, OstiumUnderTest

ADMIN = f"{BASE}/admin/realms"


async def master_admin_token(ostium: OstiumUnderTest) -> str:
    response = await ostium.client.post(
        f"{BASE}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "admin",
            "password": "admin",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_missing_or_bad_token_is_401(ostium: OstiumUnderTest) -> None:
    for headers in ({}, bearer("garbage"), {"Authorization": "Basic YTpi"}):
        response = await ostium.client.get(ADMIN, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "HTTP 401 Unauthorized"}


async def test_a_user_without_admin_roles_is_403(ostium: OstiumUnderTest) -> None:
    token = (await ostium.password_grant()).json()["access_token"]  # alice in realm test
    response = await ostium.client.get(f"{ADMIN}/test/users", headers=bearer(token))
    assert response.status_code == 403
    assert "error" in response.json()
    other_realm = await ostium.client.get(f"{ADMIN}/master/users", headers=bearer(token))
    assert other_realm.status_code == 403


async def test_realm_management_roles_grant_access_to_their_realm_only(
    ostium: OstiumUnderTest,
) -> None:
    token = await master_admin_token(ostium)
    users = (
        await ostium.client.get(
            f"{ADMIN}/test/users",
            params={"username": "bob", "exact": "true"},
            headers=bearer(token),
        )
    ).json()
    bob = users[0]["id"]
    clients = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "realm-management"}, headers=bearer(token)
        )
    ).json()
    view_users = (
        await ostium.client.get(
            f"{ADMIN}/test/clients/{clients[0]['id']}/roles/view-users", headers=bearer(token)
        )
    ).json()
    async with ostium.storage.transaction() as repos:
        await repos.roles.grant_to_user(bob, [view_users["id"]])
    bob_token = (await ostium.password_grant("bob", "builder")).json()["access_token"]
    assert (
        await ostium.client.get(f"{ADMIN}/test/users", headers=bearer(bob_token))
    ).status_code == 200
    create = await ostium.client.post(
        f"{ADMIN}/test/users", json={"username": "x"}, headers=bearer(bob_token)
    )
    assert create.status_code == 403  # view, not manage
    assert (
        await ostium.client.get(f"{ADMIN}/master/users", headers=bearer(bob_token))
    ).status_code == 403


async def test_not_found_conflict_and_bad_input(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    assert (await ostium.client.get(f"{ADMIN}/nope", headers=headers)).status_code == 404
    assert (
        await ostium.client.get(f"{ADMIN}/test/users/nobody", headers=headers)
    ).status_code == 404
    dup = await ostium.client.post(
        f"{ADMIN}/test/users", json={"username": "ALICE"}, headers=headers
    )
    assert dup.status_code == 409
    assert "errorMessage" in dup.json()
    dup_client = await ostium.client.post(
        f"{ADMIN}/test/clients", json={"clientId": "app"}, headers=headers
    )
    assert dup_client.status_code == 409
    dup_realm = await ostium.client.post(ADMIN, json={"realm": "test"}, headers=headers)
    assert dup_realm.status_code == 409
    for body in (b"{not json", b"[1,2]", b'"x"'):
        bad = await ostium.client.post(
            f"{ADMIN}/test/users",
            content=body,
            headers={**headers, "content-type": "application/json"},
        )
        assert bad.status_code == 400, body
        assert "errorMessage" in bad.json()
    no_name = await ostium.client.post(
        f"{ADMIN}/test/users", json={"email": "x@y"}, headers=headers
    )
    assert no_name.status_code == 400
    wrong_type = await ostium.client.put(
        f"{ADMIN}/test", json={"accessTokenLifespan": "long"}, headers=headers
    )
    assert wrong_type.status_code == 400
    realm = (await ostium.client.get(f"{ADMIN}/test", headers=headers)).json()
    assert realm["accessTokenLifespan"] == 300  # nothing half-written


async def test_partial_realm_update_changes_only_named_fields(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    before = (await ostium.client.get(f"{ADMIN}/test", headers=headers)).json()
    response = await ostium.client.put(
        f"{ADMIN}/test", json={"accessTokenLifespan": 120}, headers=headers
    )
    assert response.status_code == 204
    after = (await ostium.client.get(f"{ADMIN}/test", headers=headers)).json()
    assert after["accessTokenLifespan"] == 120
    assert {k: v for k, v in after.items() if k != "accessTokenLifespan"} == {
        k: v for k, v in before.items() if k != "accessTokenLifespan"
    }
    tokens = (await ostium.password_grant()).json()
    assert tokens["expires_in"] == 120


async def test_client_secret_regeneration_invalidates_the_old_secret(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    app = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "app"}, headers=headers
        )
    ).json()[0]
    assert (
        await ostium.client.get(f"{ADMIN}/test/clients/{app['id']}/client-secret", headers=headers)
    ).json() == {
        "type": "secret",
        "value": SECRET,
    }
    new = (
        await ostium.client.post(f"{ADMIN}/test/clients/{app['id']}/client-secret", headers=headers)
    ).json()["value"]
    assert new != SECRET
    assert (await ostium.token({"grant_type": "client_credentials"})).status_code == 401
    assert (
        await ostium.token({"grant_type": "client_credentials"}, auth=("app", new))
    ).status_code == 200


async def test_user_logout_ends_sessions(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    tokens = (await ostium.password_grant()).json()
    alice = (
        await ostium.client.get(
            f"{ADMIN}/test/users", params={"username": "alice", "exact": "true"}, headers=headers
        )
    ).json()[0]
    sessions = (
        await ostium.client.get(f"{ADMIN}/test/users/{alice['id']}/sessions", headers=headers)
    ).json()
    assert len(sessions) == 1
    assert (
        await ostium.client.post(f"{ADMIN}/test/users/{alice['id']}/logout", headers=headers)
    ).status_code == 204
    refresh = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 400


async def test_keys_endpoint_lists_keys_as_keycloak(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    body = (await ostium.client.get(f"{ADMIN}/test/keys", headers=headers)).json()
    assert set(body["active"]) == {"RS256", "RSA-OAEP", "HS512", "AES"}  # Keycloak's defaults
    enc = next(k for k in body["keys"] if k["algorithm"] == "RSA-OAEP")
    assert (enc["use"], enc["type"], enc["status"]) == ("ENC", "RSA", "ACTIVE")
    certs = (await ostium.client.get(f"{BASE}/realms/test/protocol/openid-connect/certs")).json()
    rs256 = next(k for k in certs["keys"] if k["alg"] == "RS256")
    assert body["active"]["RS256"] == rs256["kid"]
    entry = next(k for k in body["keys"] if k["kid"] == rs256["kid"])
    assert (
        entry["status"] == "ACTIVE"
        and entry["type"] == "RSA"
        and entry["publicKey"]
        and entry["certificate"]
    )
    assert all("privateKey" not in k for k in body["keys"])


async def test_logout_all_and_push_revocation(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    tokens = (await ostium.password_grant()).json()
    stats = (await ostium.client.get(f"{ADMIN}/test/client-session-stats", headers=headers)).json()
    assert [s["clientId"] for s in stats] == ["app"]
    ostium.clock.advance(1)
    assert (
        await ostium.client.post(f"{ADMIN}/test/push-revocation", headers=headers)
    ).status_code == 200
    userinfo = await ostium.client.get(
        f"{BASE}/realms/test/protocol/openid-connect/userinfo",
        headers=bearer(tokens["access_token"]),
    )
    assert userinfo.status_code == 401
    assert "not-before" in userinfo.json()["error_description"]
    assert (
        await ostium.client.post(f"{ADMIN}/test/logout-all", headers=headers)
    ).status_code == 200
    assert (
        await ostium.client.get(f"{ADMIN}/test/client-session-stats", headers=headers)
    ).json() == []


async def test_protocol_mapper_models_act_on_tokens(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    app = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "app"}, headers=headers
        )
    ).json()[0]
    models = f"{ADMIN}/test/clients/{app['id']}/protocol-mappers/models"
    mapper = {
        "name": "tenant",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-hardcoded-claim-mapper",
        "config": {"claim.name": "tenant", "claim.value": "acme", "access.token.claim": "true"},
    }
    created = await ostium.client.post(models, json=mapper, headers=headers)
    assert created.status_code == 201
    assert (await ostium.client.post(models, json=mapper, headers=headers)).status_code == 409
    assert (
        await ostium.client.post(models, json={"name": "x"}, headers=headers)
    ).status_code == 400
    mapper_id = created.headers["location"].rsplit("/", 1)[1]
    token = (await ostium.password_grant()).json()["access_token"]
    introspected = await ostium.client.post(
        f"{BASE}/realms/test/protocol/openid-connect/token/introspect",
        data={"token": token},
        auth=("app", SECRET),
    )
    assert introspected.json()["tenant"] == "acme"
    assert (await ostium.client.delete(f"{models}/{mapper_id}", headers=headers)).status_code == 204
    assert (await ostium.client.get(models, headers=headers)).json() == []


async def test_client_scopes_built_in_and_custom(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    names = {
        s["name"]
        for s in (await ostium.client.get(f"{ADMIN}/test/client-scopes", headers=headers)).json()
    }
    assert {"profile", "email", "roles", "web-origins", "offline_access"} <= names
    scope = {
        "name": "billing",
        "protocol": "openid-connect",
        "attributes": {"include.in.token.scope": "true"},
        "protocolMappers": [
            {
                "name": "plan",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": {"claim.name": "plan", "claim.value": "gold"},
            }
        ],
    }
    created = await ostium.client.post(f"{ADMIN}/test/client-scopes", json=scope, headers=headers)
    assert created.status_code == 201
    assert (
        await ostium.client.post(f"{ADMIN}/test/client-scopes", json=scope, headers=headers)
    ).status_code == 409
    scope_id = created.headers["location"].rsplit("/", 1)[1]
    app = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "app"}, headers=headers
        )
    ).json()[0]
    optional = f"{ADMIN}/test/clients/{app['id']}/optional-client-scopes"
    assert (await ostium.client.put(f"{optional}/{scope_id}", headers=headers)).status_code == 204
    assert "billing" in [
        s["name"] for s in (await ostium.client.get(optional, headers=headers)).json()
    ]

    def payload(token: str) -> dict[str, Any]:
        part = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))

    without = payload((await ostium.password_grant()).json()["access_token"])
    assert "plan" not in without
    with_scope = (await ostium.password_grant(scope="openid billing")).json()
    claims = payload(with_scope["access_token"])
    assert claims["plan"] == "gold"
    assert "billing" in with_scope["scope"].split()
    userinfo = await ostium.client.get(
        f"{BASE}/realms/test/protocol/openid-connect/userinfo",
        headers=bearer(with_scope["access_token"]),
    )
    assert userinfo.json()["plan"] == "gold"


async def test_group_update_and_lookup_reject_bad_input(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    created = await ostium.client.post(
        f"{ADMIN}/test/groups", json={"name": "ops", "attributes": {"a": ["1"]}}, headers=headers
    )
    assert created.status_code == 201
    group = created.headers["location"]
    for body in ({"name": ""}, {"name": "a/b"}, {"attributes": {"a": "not-a-list"}}, [1]):
        bad = await ostium.client.put(group, json=body, headers=headers)
        assert bad.status_code == 400, body
        assert "errorMessage" in bad.json()
    unchanged = (await ostium.client.get(group, headers=headers)).json()
    assert unchanged["name"] == "ops"
    assert (
        await ostium.client.get(f"{ADMIN}/test/group-by-path/nope", headers=headers)
    ).status_code == 404
    assert (
        await ostium.client.get(f"{ADMIN}/test/groups/nope/children", headers=headers)
    ).status_code == 404
    assert (
        await ostium.client.get(f"{ADMIN}/test/roles/nope/users", headers=headers)
    ).status_code == 404


async def test_the_master_realm_is_displayed_as_ostium(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    master = await ostium.client.get(f"{ADMIN}/master", headers=headers)
    assert master.status_code == 200
    assert master.json()["displayName"] == "Ostium"
    # Other realms have no display name unless given one, as in Keycloak.
    test = await ostium.client.get(f"{ADMIN}/test", headers=headers)
    assert "Keycloak" not in json.dumps(test.json())
