"""Key providers through the admin API (Keycloak's components) and rotation with grace."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ostium.keys.generation import certificate_for
from tests.admin.test_admin_http import bearer, master_admin_token
from tests.support import BASE, OIDC, SECRET, OstiumUnderTest

ADMIN = f"{BASE}/admin/realms/test"
KEY_PROVIDER = "org.keycloak.keys.KeyProvider"


def unknown_kid(description: str) -> bool:
    """The refusal names the reason: the token's key is not one of the realm's."""
    return re.search(r"unknown (kid|key)", description, re.IGNORECASE) is not None


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


async def certs_kids(ostium: OstiumUnderTest) -> set[str]:
    return {k["kid"] for k in (await ostium.client.get(f"{OIDC}/certs")).json()["keys"]}


async def components(ostium: OstiumUnderTest, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await ostium.client.get(
        f"{ADMIN}/components", params={"type": KEY_PROVIDER}, headers=headers
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def rsa_pem(bits: int = 2048) -> tuple[rsa.RSAPrivateKey, str]:
    private_key = rsa.generate_private_key(65537, bits)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private_key, pem


async def test_components_list_the_key_providers_as_keycloak(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    listed = await components(ostium, headers)
    realm_id = (await ostium.client.get(ADMIN, headers=headers)).json()["id"]
    # Keycloak's DefaultKeyProviders: names and provider ids; no EC key by default.
    assert sorted((c["name"], c["providerId"]) for c in listed) == [
        ("aes-generated", "aes-generated"),
        ("hmac-generated-hs512", "hmac-generated"),
        ("rsa-enc-generated", "rsa-enc-generated"),
        ("rsa-generated", "rsa-generated"),
    ]
    enc_component = next(c for c in listed if c["providerId"] == "rsa-enc-generated")
    assert enc_component["config"]["algorithm"] == ["RSA-OAEP"]
    assert "privateKey" not in enc_component["config"]
    assert all(c["providerType"] == KEY_PROVIDER and c["parentId"] == realm_id for c in listed)
    rsa_component = next(c for c in listed if c["providerId"] == "rsa-generated")
    assert rsa_component["config"]["priority"] == ["100"]
    assert rsa_component["config"]["algorithm"] == ["RS256"]
    assert "privateKey" not in rsa_component["config"]  # a generated key is never shown
    assert all("secret" not in c["config"] for c in listed)
    # Keycloak's /keys names the component in providerId.
    keys = (await ostium.client.get(f"{ADMIN}/keys", headers=headers)).json()
    rs256 = next(k for k in keys["keys"] if k["algorithm"] == "RS256")
    assert rs256["providerId"] == rsa_component["id"] and rs256["providerPriority"] == 100
    # Filters: by parent, by name; another component type has none here.
    for params, count in (
        ({"parent": realm_id}, len(listed)),
        ({"parent": "elsewhere"}, 0),
        ({"name": "rsa-generated"}, 1),
        ({"type": "org.keycloak.storage.UserStorageProvider"}, 0),
    ):
        response = await ostium.client.get(f"{ADMIN}/components", params=params, headers=headers)
        assert len(response.json()) == count, params


async def test_an_uploaded_rsa_key_signs_and_its_secret_stays_hidden(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    private_key, pem = rsa_pem()
    created = await ostium.client.post(
        f"{ADMIN}/components",
        json={
            "name": "corporate",
            "providerId": "rsa",
            "providerType": KEY_PROVIDER,
            "config": {
                "privateKey": [pem],
                "certificate": [certificate_for(private_key, "corporate")],
                "priority": ["500"],
                "algorithm": ["RS256"],
            },
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.startswith(f"{ADMIN}/components/")
    shown = (await ostium.client.get(location, headers=headers)).json()
    assert shown["name"] == "corporate" and shown["providerId"] == "rsa"
    assert shown["config"]["privateKey"] == ["**********"]
    assert pem not in json.dumps(shown)
    token = (await ostium.password_grant()).json()["access_token"]
    keys = (await ostium.client.get(f"{ADMIN}/keys", headers=headers)).json()
    assert keys["active"]["RS256"] == kid_of(token)
    assert next(k for k in keys["keys"] if k["kid"] == kid_of(token))["providerId"] == (shown["id"])
    # Sending the masked value back keeps the key; PUT changes priority and state.
    shown["config"]["priority"] = ["50"]
    shown["config"]["active"] = ["false"]
    updated = await ostium.client.put(location, json=shown, headers=headers)
    assert updated.status_code == 204, updated.text
    again = (await ostium.client.get(location, headers=headers)).json()
    assert again["config"]["priority"] == ["50"] and again["config"]["active"] == ["false"]
    keys = (await ostium.client.get(f"{ADMIN}/keys", headers=headers)).json()
    entry = next(k for k in keys["keys"] if k["providerId"] == shown["id"])
    assert entry["kid"] == kid_of(token) and entry["status"] == "PASSIVE"
    assert keys["active"]["RS256"] != kid_of(token)
    # Passive: it signs no more, but what it signed still verifies.
    assert kid_of((await ostium.password_grant()).json()["access_token"]) != kid_of(token)
    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(token))
    assert userinfo.status_code == 200
    assert (await ostium.client.delete(location, headers=headers)).status_code == 204
    assert (await ostium.client.get(location, headers=headers)).status_code == 404
    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(token))
    assert userinfo.status_code == 401
    assert unknown_kid(userinfo.json()["error_description"])


async def test_bad_components_are_400_and_change_nothing(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    before = await components(ostium, headers)
    other_key, _ = rsa_pem()
    _, pem = rsa_pem()
    for body in (
        {"name": "x", "providerId": "rsa", "config": {"privateKey": ["-----BEGIN nonsense"]}},
        {"name": "x", "providerId": "rsa", "config": {}},
        {
            "name": "x",
            "providerId": "rsa",
            "config": {"privateKey": [pem], "certificate": [certificate_for(other_key, "o")]},
        },
        {"name": "x", "providerId": "no-such-provider", "config": {}},
        {"name": "x", "providerId": "rsa-generated", "config": {"priority": ["first"]}},
        {"name": "x", "providerId": "rsa-generated", "providerType": "org.keycloak.Other"},
        {"name": "x", "providerId": "hmac-generated", "config": "not an object"},
        {"name": "x", "providerId": "rsa-enc-generated", "config": {"algorithm": ["RS256"]}},
        {"name": "x"},
    ):
        response = await ostium.client.post(f"{ADMIN}/components", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["errorMessage"], body
    rsa_id = next(c["id"] for c in before if c["providerId"] == "rsa-generated")
    bad_update = await ostium.client.put(
        f"{ADMIN}/components/{rsa_id}",
        json={"config": {"enabled": ["sometimes"]}},
        headers=headers,
    )
    assert bad_update.status_code == 400
    assert await components(ostium, headers) == before
    missing = await ostium.client.get(f"{ADMIN}/components/nope", headers=headers)
    assert missing.status_code == 404
    assert (
        await ostium.client.delete(f"{ADMIN}/components/nope", headers=headers)
    ).status_code == (404)


async def test_an_added_rsa_enc_generated_key_is_published_for_encryption(
    ostium: OstiumUnderTest,
) -> None:
    """Keycloak's rsa-enc-generated through the admin API: an RSA-OAEP-256 key of higher
    priority comes first in the JWKS with `use: enc`, and never signs a token."""
    headers = bearer(await master_admin_token(ostium))
    body = {
        "name": "enc-256",
        "providerId": "rsa-enc-generated",
        "providerType": KEY_PROVIDER,
        "config": {"priority": ["200"], "algorithm": ["RSA-OAEP-256"], "keySize": ["3072"]},
    }
    response = await ostium.client.post(f"{ADMIN}/components", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.headers["location"].rsplit("/", 1)[1]
    shown = (await ostium.client.get(f"{ADMIN}/components/{created}", headers=headers)).json()
    assert shown["config"]["algorithm"] == ["RSA-OAEP-256"]
    assert shown["config"]["keySize"] == ["3072"]
    jwks = (await ostium.client.get(f"{OIDC}/certs")).json()["keys"]
    assert [(k["alg"], k["use"]) for k in jwks] == [
        ("RSA-OAEP-256", "enc"),
        ("RS256", "sig"),
        ("RSA-OAEP", "enc"),
    ]
    token = await ostium.password_grant()
    assert token.status_code == 200
    assert kid_of(token.json()["access_token"]) == jwks[1]["kid"]


async def test_reading_takes_view_realm_and_changing_manage_realm(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    users = await ostium.client.get(
        f"{ADMIN}/users", params={"username": "bob", "exact": "true"}, headers=headers
    )
    bob = users.json()[0]["id"]
    management = (
        await ostium.client.get(
            f"{ADMIN}/clients", params={"clientId": "realm-management"}, headers=headers
        )
    ).json()[0]["id"]
    view_realm = (
        await ostium.client.get(f"{ADMIN}/clients/{management}/roles/view-realm", headers=headers)
    ).json()
    async with ostium.storage.transaction() as repos:
        await repos.roles.grant_to_user(bob, [view_realm["id"]])
    bob_headers = bearer((await ostium.password_grant("bob", "builder")).json()["access_token"])
    assert (await ostium.client.get(f"{ADMIN}/components", headers=bob_headers)).status_code == 200
    assert (await ostium.client.get(f"{ADMIN}/keys", headers=bob_headers)).status_code == 200
    for method, path, body in (
        ("POST", "components", {"name": "x", "providerId": "rsa-generated"}),
        ("POST", "keys/rotate", {}),
    ):
        response = await ostium.client.request(
            method, f"{ADMIN}/{path}", json=body, headers=bob_headers
        )
        assert response.status_code == 403, path
    alice = bearer((await ostium.password_grant()).json()["access_token"])
    assert (await ostium.client.get(f"{ADMIN}/components", headers=alice)).status_code == 403


async def test_rotation_keeps_old_tokens_valid_for_the_grace_period(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    before = (await ostium.password_grant()).json()
    old_kid = kid_of(before["access_token"])
    rotated = await ostium.client.post(
        f"{ADMIN}/keys/rotate", json={"algorithm": "RS256", "gracePeriod": 120}, headers=headers
    )
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid and rotated.json()["status"] == "ACTIVE"
    component = (await ostium.client.get(rotated.headers["location"], headers=headers)).json()
    assert component["providerId"] == "rsa-generated"
    assert int(component["config"]["priority"][0]) > 100
    # New tokens are signed by the new key; both kids are published.
    after = (await ostium.password_grant()).json()
    assert kid_of(after["access_token"]) == new_kid
    assert {old_kid, new_kid} <= await certs_kids(ostium)
    keys = (await ostium.client.get(f"{ADMIN}/keys", headers=headers)).json()
    assert keys["active"]["RS256"] == new_kid
    assert next(k for k in keys["keys"] if k["kid"] == old_kid)["status"] == "PASSIVE"
    # The token signed before the rotation still verifies.
    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(before["access_token"]))
    assert userinfo.status_code == 200, userinfo.text
    introspected = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": before["access_token"]}, auth=("app", SECRET)
    )
    assert introspected.json()["active"] is True
    # Once the grace period is over the old key is disabled: gone from the JWKS, and its
    # tokens are refused because their key is unknown (not merely "invalid").
    ostium.clock.advance(121)
    assert old_kid not in await certs_kids(ostium)
    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(before["access_token"]))
    assert userinfo.status_code == 401
    assert unknown_kid(userinfo.json()["error_description"])
    introspected = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": before["access_token"]}, auth=("app", SECRET)
    )
    assert introspected.json()["active"] is False
    still = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(after["access_token"]))
    assert still.status_code == 200
    keys = (await ostium.client.get(f"{ADMIN}/keys", headers=headers)).json()
    assert next(k for k in keys["keys"] if k["kid"] == old_kid)["status"] == "DISABLED"
    async with ostium.storage.transaction() as repos:  # listing stored the new state
        stored = [k for k in await repos.keys.list_all(component["parentId"]) if k.kid == old_kid]
    assert [k.enabled for k in stored] == [False]


async def test_rotation_defaults_and_bad_input(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    first = await ostium.client.post(f"{ADMIN}/keys/rotate", headers=headers)  # no body
    assert first.status_code == 201 and first.json()["algorithm"] == "RS256"
    hs = await ostium.client.post(
        f"{ADMIN}/keys/rotate", json={"algorithm": "HS512"}, headers=headers
    )
    assert hs.status_code == 201 and hs.json()["type"] == "OCT"
    for body in (
        {"algorithm": "EdDSA"},
        {"algorithm": 7},
        {"gracePeriod": -1},
        {"gracePeriod": "a day"},
        [1],
    ):
        response = await ostium.client.post(f"{ADMIN}/keys/rotate", json=body, headers=headers)
        assert response.status_code == 400, body
        assert "errorMessage" in response.json()
    missing = await ostium.client.post(f"{BASE}/admin/realms/nope/keys/rotate", headers=headers)
    assert missing.status_code == 404


async def test_refresh_tokens_survive_an_hs512_rotation(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    tokens = (await ostium.password_grant()).json()
    rotated = await ostium.client.post(
        f"{ADMIN}/keys/rotate", json={"algorithm": "HS512", "gracePeriod": 600}, headers=headers
    )
    assert rotated.status_code == 201
    refreshed = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert kid_of(refreshed.json()["refresh_token"]) == rotated.json()["kid"]


async def test_rotation_by_hand_as_in_keycloak(ostium: OstiumUnderTest) -> None:
    """Keycloak's documented way: add a provider with a higher priority, make the old
    one passive, later disable or delete it."""
    headers = bearer(await master_admin_token(ostium))
    old = next(c for c in await components(ostium, headers) if c["providerId"] == "rsa-generated")
    token = (await ostium.password_grant()).json()["access_token"]
    created = await ostium.client.post(
        f"{ADMIN}/components",
        json={
            "name": "rsa-2",
            "providerId": "rsa-generated",
            "providerType": KEY_PROVIDER,
            "config": {"priority": ["200"], "keySize": ["2048"]},
        },
        headers=headers,
    )
    assert created.status_code == 201
    new_token = (await ostium.password_grant()).json()["access_token"]
    assert kid_of(new_token) != kid_of(token)
    passive = await ostium.client.put(
        f"{ADMIN}/components/{old['id']}", json={"config": {"active": ["false"]}}, headers=headers
    )
    assert passive.status_code == 204
    assert (await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(token))).status_code == 200
    disabled = await ostium.client.put(
        f"{ADMIN}/components/{old['id']}",
        json={"config": {"enabled": ["false"]}},
        headers=headers,
    )
    assert disabled.status_code == 204
    assert kid_of(token) not in await certs_kids(ostium)
    refused = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(token))
    assert refused.status_code == 401 and unknown_kid(refused.json()["error_description"])


async def test_a_deleted_signing_key_is_replaced_by_a_fallback(ostium: OstiumUnderTest) -> None:
    """As Keycloak creates `fallback-<alg>` providers: the realm keeps issuing tokens."""
    headers = bearer(await master_admin_token(ostium))
    for component in await components(ostium, headers):
        if component["config"].get("algorithm") in (["RS256"], ["HS512"]):
            deleted = await ostium.client.delete(
                f"{ADMIN}/components/{component['id']}", headers=headers
            )
            assert deleted.status_code == 204
    tokens = await ostium.password_grant()
    assert tokens.status_code == 200, tokens.text
    names = {c["name"] for c in await components(ostium, headers)}
    assert {"fallback-RS256", "fallback-HS512"} <= names
