"""Bad input to the admin API is a 4xx in Keycloak's error shape, checked before any write.

Each case below was once a 500 (or a stored record the response then could not carry).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.admin.helpers import (
    ADMIN,
    TEST,
    admin_headers,
    grant_management_role,
    user_token_headers,
)
from tests.support import OIDC, OstiumUnderTest

JSON = {"content-type": "application/json"}


def assert_error(response: httpx.Response, status: int = 400) -> str:
    """Keycloak's ErrorRepresentation: `{"errorMessage": …}`, the status asked for."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errorMessage"}, body
    return str(body["errorMessage"])


async def realm_exists(ostium: OstiumUnderTest, headers: dict[str, str], name: str) -> bool:
    response = await ostium.client.get(f"{ADMIN}/{name}", headers=headers)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def test_realm_import_with_wrong_types_is_a_400_naming_the_field(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"realm": "r1", "enabled": "yes"}, "realm.enabled"),
        ({"realm": "r2", "notBefore": "x"}, "realm.notBefore"),
        ({"realm": "r3", "groups": "x"}, "groups"),
        ({"realm": "r4", "users": [{"username": "u", "enabled": "no"}]}, "users[0].enabled"),
    ]
    for body, field in cases:
        message = assert_error(await ostium.client.post(ADMIN, json=body, headers=headers))
        assert message.startswith(f"{field}:"), message
        assert not await realm_exists(ostium, headers, body["realm"])


async def test_realm_names_keycloak_refuses(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    for name, message in [
        ("", "realm: Realm name cannot be empty"),
        ("   ", "realm: Realm name cannot be empty"),
        ("a/b", "realm: Character '/' not allowed."),
        ("a?b", "realm: Character '?' not allowed."),
    ]:
        response = await ostium.client.post(ADMIN, json={"realm": name}, headers=headers)
        assert assert_error(response) == message
    realms = (await ostium.client.get(ADMIN, headers=headers)).json()
    assert sorted(r["realm"] for r in realms) == ["master", "test"]
    rename = await ostium.client.put(f"{TEST}", json={"realm": "x/y"}, headers=headers)
    assert assert_error(rename) == "Character '/' not allowed."
    assert await realm_exists(ostium, headers, "test")


async def test_an_otp_credential_is_checked_on_user_create_and_on_import(
    ostium: OstiumUnderTest,
) -> None:
    """A broken OTP credential is refused by name, nothing written; a Keycloak-shaped one
    is kept, on user create as in a realm file (every Keycloak export with 2FA users has
    them), without a warning."""
    headers = await admin_headers(ostium)
    broken = {"type": "otp", "secretData": "{}", "credentialData": "{}"}
    created = await ostium.client.post(
        f"{TEST}/users", json={"username": "with-otp", "credentials": [broken]}, headers=headers
    )
    message = assert_error(created)
    assert message == "credentials[0]: secretData.value must be the key"
    found = await ostium.client.get(
        f"{TEST}/users", params={"username": "with-otp", "exact": "true"}, headers=headers
    )
    assert found.json() == []

    otp = {
        "type": "otp",
        "secretData": '{"value": "JBSWY3DPEHPK3PXP"}',
        "credentialData": '{"subType": "totp", "digits": 6, "period": 30, "algorithm": "HmacSHA1"}',
    }
    body = {
        "realm": "otp",
        "users": [
            {
                "username": "u",
                "credentials": [{"type": "password", "value": "secret-1"}, otp],
            }
        ],
    }
    response = await ostium.client.post(ADMIN, json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers.get_list("warning") == []
    users = await ostium.client.get(f"{ADMIN}/otp/users", headers=headers)
    (user,) = users.json()
    credentials = await ostium.client.get(
        f"{ADMIN}/otp/users/{user['id']}/credentials", headers=headers
    )
    assert [c["type"] for c in credentials.json()] == ["password", "otp"]


async def test_deeply_nested_json_is_a_400_on_every_json_endpoint(ostium: OstiumUnderTest) -> None:
    headers = {**await admin_headers(ostium), **JSON}
    deep = "[" * 1000 + "]" * 1000
    deep_object = '{"realm": "deep", "attributes": ' + '{"a":' * 1000 + "1" + "}" * 1001
    for url in (ADMIN, f"{TEST}/users", f"{TEST}/clients", f"{TEST}/groups", f"{TEST}/roles"):
        for content in (deep, deep_object):
            message = assert_error(await ostium.client.post(url, content=content, headers=headers))
            assert message == "Invalid JSON body (nested deeper than 100 levels)"
    assert not await realm_exists(ostium, headers, "deep")
    # Brackets inside strings are text, not nesting.
    fine = '{"realm": "brackets", "displayName": "' + "[" * 500 + '"}'
    assert (await ostium.client.post(ADMIN, content=fine, headers=headers)).status_code == 201


async def test_unpaired_surrogates_and_non_utf8_bodies_are_refused(
    ostium: OstiumUnderTest,
) -> None:
    headers = {**await admin_headers(ostium), **JSON}
    for url, content in [
        (ADMIN, b'{"realm": "a\\ud800"}'),
        (ADMIN, b'{"realm": "s", "displayName": "\\udc00x"}'),
        (f"{TEST}/users", b'{"username": "lone\\ud800"}'),
        (f"{TEST}/clients", b'{"clientId": "c", "name": "\\ud83d"}'),
        (f"{TEST}/roles", b'{"name": "r", "description": "\\ud800"}'),
    ]:
        message = assert_error(await ostium.client.post(url, content=content, headers=headers))
        assert message == "Invalid JSON body (an unpaired surrogate in a string)"
    not_utf8 = await ostium.client.post(
        f"{TEST}/users", content=b'{"username": "\xed\xa0\x80"}', headers=headers
    )
    assert assert_error(not_utf8) == "Invalid JSON body (not UTF-8)"
    assert not await realm_exists(ostium, headers, "s")
    users = await ostium.client.get(f"{TEST}/users", params={"search": "lone"}, headers=headers)
    assert users.json() == []
    # A valid pair is one character, accepted.
    pair = b'{"realm": "emoji", "displayName": "\\ud83d\\ude00"}'
    assert (await ostium.client.post(ADMIN, content=pair, headers=headers)).status_code == 201
    realm = (await ostium.client.get(f"{ADMIN}/emoji", headers=headers)).json()
    assert realm["displayName"] == "\U0001f600"


async def test_first_and_max_beyond_int32_are_a_400_everywhere(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    role = (await ostium.client.get(f"{TEST}/roles/user", headers=headers)).json()
    group = (await ostium.client.get(f"{TEST}/groups", headers=headers)).json()[0]
    paths = [
        "users",
        "clients",
        "groups",
        "roles",
        f"roles/{role['name']}/users",
        f"groups/{group['id']}/members",
        f"roles-by-id/{role['id']}/composites",
    ]
    for path in paths:
        for name in ("first", "max"):
            for value in ("99999999999999999999999", str(2**31), str(-(2**31) - 1)):
                response = await ostium.client.get(
                    f"{TEST}/{path}", params={name: value}, headers=headers
                )
                assert assert_error(response) == f"Invalid parameter: query.{name}", path
        edge = await ostium.client.get(
            f"{TEST}/{path}", params={"first": 2**31 - 1, "max": 2**31 - 1}, headers=headers
        )
        assert edge.status_code == 200, (path, edge.text)


async def test_control_characters_in_ids_and_names_are_refused_and_not_stored(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    injected = "x\r\nSet-Cookie: a=b"
    cases: list[tuple[str, dict[str, Any], str]] = [
        (ADMIN, {"realm": "r\r\nx"}, "realm"),
        (ADMIN, {"realm": "idrealm", "id": injected}, "id"),
        (ADMIN, {"realm": "nulrealm", "id": "a\x00b"}, "id"),
        (ADMIN, {"realm": "deeper", "clients": [{"clientId": "c\x01"}]}, "clients[0].clientId"),
        (f"{TEST}/users", {"username": "carol\r\nx"}, "username"),
        (f"{TEST}/users", {"username": "carol", "id": injected}, "id"),
        (f"{TEST}/clients", {"clientId": "c\nx"}, "clientId"),
        (f"{TEST}/clients", {"clientId": "cid", "id": "a\x00"}, "id"),
        (f"{TEST}/roles", {"name": "r\tx"}, "name"),
        (f"{TEST}/groups", {"name": "g\x7fx"}, "name"),
        (f"{TEST}/client-scopes", {"name": "s\x1bx"}, "name"),
    ]
    for url, body, field in cases:
        message = assert_error(await ostium.client.post(url, json=body, headers=headers))
        assert message == f"{field}: control characters are not allowed in ids and names"
    for name in ("idrealm", "nulrealm", "deeper"):
        assert not await realm_exists(ostium, headers, name)
    users = await ostium.client.get(f"{TEST}/users", params={"search": "carol"}, headers=headers)
    assert users.json() == []
    clients = (await ostium.client.get(f"{TEST}/clients", headers=headers)).json()
    assert "cid" not in [c["clientId"] for c in clients]
    assert all("\n" not in c["clientId"] for c in clients)
    roles = (await ostium.client.get(f"{TEST}/roles", headers=headers)).json()
    assert all("\t" not in r["name"] for r in roles)
    groups = (await ostium.client.get(f"{TEST}/groups", headers=headers)).json()
    assert [g["name"] for g in groups] == ["staff"]
    # Descriptions and attribute values are free text: a newline there is fine.
    ok = await ostium.client.post(
        f"{TEST}/roles",
        json={"name": "multi", "description": "line one\nline two"},
        headers=headers,
    )
    assert ok.status_code == 201, ok.text


async def test_a_non_latin1_realm_name_gets_an_encoded_location(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.post(ADMIN, json={"realm": "ключ"}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"].endswith("/admin/realms/%D0%BA%D0%BB%D1%8E%D1%87")
    assert await realm_exists(ostium, headers, "ключ")


async def test_an_oversized_chunked_body_is_a_413_like_a_declared_one(
    ostium: OstiumUnderTest,
) -> None:
    headers = {**await admin_headers(ostium), **JSON}

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"username": "big", "firstName": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}'

    too_large = {"error": "invalid_request", "error_description": "Request body too large"}
    for url in (f"{TEST}/users", ADMIN, f"{OIDC}/token"):
        chunked = await ostium.client.post(url, content=chunks(), headers=headers)
        assert chunked.status_code == 413, url
        assert chunked.json() == too_large
    declared = await ostium.client.post(f"{TEST}/users", content=b"x" * 300_000, headers=headers)
    assert declared.status_code == 413
    assert declared.json() == too_large
    users = await ostium.client.get(f"{TEST}/users", params={"search": "big"}, headers=headers)
    assert users.json() == []

    async def small() -> AsyncIterator[bytes]:
        yield b'{"username": '
        yield b'"smallchunks"}'

    created = await ostium.client.post(f"{TEST}/users", content=small(), headers=headers)
    assert created.status_code == 201, created.text


async def test_realm_list_is_403_without_any_admin_role(ostium: OstiumUnderTest) -> None:
    alice = await user_token_headers(ostium, "alice", "wonderland")
    response = await ostium.client.get(ADMIN, headers=alice)
    assert response.status_code == 403
    assert response.json() == {"error": "HTTP 403 Forbidden"}


async def test_realm_list_is_brief_for_other_admin_roles_and_full_for_viewers(
    ostium: OstiumUnderTest,
) -> None:
    admin = await admin_headers(ostium)
    await grant_management_role(ostium, admin, "bob", "view-users")
    bob = await user_token_headers(ostium, "bob", "builder")
    only_name = await ostium.client.get(ADMIN, headers=bob)
    assert only_name.status_code == 200
    assert only_name.json() == [{"realm": "test"}]

    await grant_management_role(ostium, admin, "bob", "view-realm")
    bob = await user_token_headers(ostium, "bob", "builder")
    full = (await ostium.client.get(ADMIN, headers=bob)).json()
    assert [r["realm"] for r in full] == ["test"]
    assert "accessTokenLifespan" in full[0] and "bruteForceProtected" in full[0]
    brief = await ostium.client.get(ADMIN, params={"briefRepresentation": "true"}, headers=bob)
    assert brief.json() == [
        {"id": full[0]["id"], "realm": "test", "displayName": None, "enabled": True}
    ]

    everything = (await ostium.client.get(ADMIN, headers=admin)).json()
    assert sorted(r["realm"] for r in everything) == ["master", "test"]
    assert all("accessTokenLifespan" in r for r in everything)


async def test_control_characters_in_path_and_query_parameters_are_a_400(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    for url, params in [
        (f"{TEST}/users/a%00b", {}),
        (f"{TEST}/clients/x%01y", {}),
        (f"{TEST}/roles/r%01", {}),
        (f"{TEST}/users", {"search": "a\x00"}),
        (f"{TEST}/users", {"username": "bob\r\n"}),
        (f"{TEST}/clients", {"clientId": "app\x00"}),
    ]:
        response = await ostium.client.get(url, params=params, headers=headers)
        assert assert_error(response).startswith("Invalid parameter: "), url
    # A line break in a path segment matches no route at all.
    crlf = await ostium.client.get(f"{TEST}/clients/x%0D%0Ay", headers=headers)
    assert crlf.status_code == 404
    assert crlf.json() == {"error": "HTTP 404 Not Found"}
