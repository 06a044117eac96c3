"""The realm's password policy over the admin API: a malformed policy is refused and
nothing is written; every path that sets a password (user creation, reset-password,
realm import, partial import) is held to it with Keycloak's exact error body; history,
temporary passwords and the policy's hash settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ostium.services import password_blacklists
from tests.admin.helpers import ADMIN, TEST, admin_headers, user_id
from tests.support import OstiumUnderTest

MIN_LENGTH_12 = {
    "error": "invalidPasswordMinLengthMessage",
    "error_description": "Invalid password: use at least 12 characters.",
}
NOT_MET = {"errorMessage": "Password policy not met. See logs for details"}


async def _set_policy(ostium: OstiumUnderTest, headers: dict[str, str], policy: str) -> None:
    response = await ostium.client.put(TEST, json={"passwordPolicy": policy}, headers=headers)
    assert response.status_code == 204, response.text


async def _policy(ostium: OstiumUnderTest, headers: dict[str, str]) -> str | None:
    body: dict[str, Any] = (await ostium.client.get(TEST, headers=headers)).json()
    return body.get("passwordPolicy")


async def _reset(
    ostium: OstiumUnderTest, headers: dict[str, str], uid: str, value: str, **extra: Any
) -> Any:
    return await ostium.client.put(
        f"{TEST}/users/{uid}/reset-password",
        json={"type": "password", "value": value, **extra},
        headers=headers,
    )


async def _stored(ostium: OstiumUnderTest, uid: str) -> list[tuple[str, dict[str, Any]]]:
    async with ostium.storage.transaction() as repos:
        return [
            (c.type, json.loads(c.credential_data))
            for c in await repos.credentials.list_for_user(uid)
        ]


@pytest.fixture
def blacklists_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "password-blacklists"
    folder.mkdir()
    previous = password_blacklists.current()
    password_blacklists.configure_folder(folder)
    try:
        yield folder
    finally:
        password_blacklists.configure_folder(previous.folder)


# --- malformed policies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("length(8) and shortness(3)", "Password policy not found"),
        ("length(eight)", "Invalid config for length: Not a valid number"),
        ("regexPattern((a)", "Invalid config for regexPattern: Not a valid regular expression"),
        (
            "hashAlgorithm(md5)",
            "Invalid config for hashAlgorithm: Password hashing provider not found"
            " (supported: argon2, pbkdf2-sha512, pbkdf2-sha256, pbkdf2)",
        ),
    ],
)
async def test_a_malformed_policy_is_refused_on_put_and_post_and_nothing_is_written(
    ostium: OstiumUnderTest, policy: str, message: str
) -> None:
    headers = await admin_headers(ostium)
    await _set_policy(ostium, headers, "length(10)")
    put = await ostium.client.put(
        TEST, json={"passwordPolicy": policy, "displayName": "Changed"}, headers=headers
    )
    assert put.status_code == 400
    assert put.json() == {"errorMessage": message}
    realm = (await ostium.client.get(TEST, headers=headers)).json()
    assert realm["passwordPolicy"] == "length(10)"
    assert realm.get("displayName") != "Changed"
    post = await ostium.client.post(
        ADMIN, json={"realm": "fresh", "passwordPolicy": policy}, headers=headers
    )
    assert post.status_code == 400
    assert post.json() == {"errorMessage": message}
    assert (await ostium.client.get(f"{ADMIN}/fresh", headers=headers)).status_code == 404


async def test_a_blacklist_missing_from_the_folder_is_refused(
    ostium: OstiumUnderTest, blacklists_folder: Path
) -> None:
    headers = await admin_headers(ostium)
    put = await ostium.client.put(
        TEST, json={"passwordPolicy": "passwordBlacklist(top-1000.txt)"}, headers=headers
    )
    assert put.status_code == 400
    assert put.json() == {
        "errorMessage": "Invalid config for passwordBlacklist: no file 'top-1000.txt' in the"
        " password blacklists folder"
    }
    assert await _policy(ostium, headers) is None
    (blacklists_folder / "top-1000.txt").write_text("123456\nPassword1!\n")
    await _set_policy(ostium, headers, "passwordBlacklist(top-1000.txt)")
    alice = await user_id(ostium, headers, "alice")
    refused = await _reset(ostium, headers, alice, "password1!")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalidPasswordBlacklistedMessage"
    assert (await _reset(ostium, headers, alice, "a far better one")).status_code == 204


async def test_the_policy_is_stored_canonically_and_cleared_by_an_empty_string(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    assert await _policy(ostium, headers) is None  # Keycloak omits an empty policy
    await _set_policy(ostium, headers, "length(12)  and notUsername(undefined) and digits")
    assert await _policy(ostium, headers) == "length(12) and notUsername(undefined) and digits"
    # A body without passwordPolicy (or with null) leaves it alone.
    await ostium.client.put(TEST, json={"passwordPolicy": None}, headers=headers)
    assert await _policy(ostium, headers) == "length(12) and notUsername(undefined) and digits"
    await _set_policy(ostium, headers, "")
    assert await _policy(ostium, headers) is None


# --- every path that sets a password ------------------------------------------------------


async def test_reset_password_is_refused_with_keycloaks_body_and_changes_nothing(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await _set_policy(ostium, headers, "length(12) and digits(1)")
    alice = await user_id(ostium, headers, "alice")
    before = await _stored(ostium, alice)
    refused = await _reset(ostium, headers, alice, "short1", temporary=True)
    assert refused.status_code == 400
    assert refused.json() == MIN_LENGTH_12
    digits = await _reset(ostium, headers, alice, "long enough but no digit")
    assert digits.json() == {
        "error": "invalidPasswordMinDigitsMessage",
        "error_description": "Invalid password: include at least 1 digit(s).",
    }
    assert await _stored(ostium, alice) == before
    user = (await ostium.client.get(f"{TEST}/users/{alice}", headers=headers)).json()
    assert "UPDATE_PASSWORD" not in user["requiredActions"]  # temporary came to nothing
    assert (await ostium.password_grant("alice", "wonderland")).status_code == 200
    assert (await _reset(ostium, headers, alice, "twelve chars 1")).status_code == 204
    assert (await ostium.password_grant("alice", "twelve chars 1")).status_code == 200


async def test_user_creation_with_a_refused_password_creates_nobody(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await _set_policy(ostium, headers, "length(12) and notUsername")
    response = await ostium.client.post(
        f"{TEST}/users",
        json={"username": "carol", "credentials": [{"type": "password", "value": "tiny"}]},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json() == MIN_LENGTH_12
    same = await ostium.client.post(
        f"{TEST}/users",
        json={
            "username": "carol-the-user",
            "credentials": [{"type": "password", "value": "Carol-The-User"}],
        },
        headers=headers,
    )
    assert same.json() == {
        "error": "invalidPasswordNotUsernameMessage",
        "error_description": "Invalid password: it may not be the username.",
    }
    for name in ("carol", "carol-the-user"):
        found = await ostium.client.get(
            f"{TEST}/users", params={"username": name, "exact": "true"}, headers=headers
        )
        assert found.json() == []
    created = await ostium.client.post(
        f"{TEST}/users",
        json={"username": "carol", "credentials": [{"type": "password", "value": "long enough!"}]},
        headers=headers,
    )
    assert created.status_code == 201, created.text


async def test_realm_import_with_a_refused_plain_password_is_refused_whole(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    realm = {
        "realm": "imported",
        "passwordPolicy": "length(12)",
        "users": [
            {"username": "ok", "credentials": [{"type": "password", "value": "long enough!"}]},
            {"username": "weak", "credentials": [{"type": "password", "value": "weak"}]},
        ],
    }
    refused = await ostium.client.post(ADMIN, json=realm, headers=headers)
    assert refused.status_code == 400
    assert refused.json() == NOT_MET
    assert (await ostium.client.get(f"{ADMIN}/imported", headers=headers)).status_code == 404
    # A stored hash is taken as it is (Keycloak checks only plain-text values).
    from ostium.services.passwords import hash_password

    secret, data = hash_password("weak")
    realm["users"][1]["credentials"] = [  # type: ignore[index]
        {"type": "password", "secretData": secret, "credentialData": data}
    ]
    accepted = await ostium.client.post(ADMIN, json=realm, headers=headers)
    assert accepted.status_code == 201, accepted.text
    assert not accepted.headers.get_list("Warning")  # passwordPolicy is no longer dropped
    got = (await ostium.client.get(f"{ADMIN}/imported", headers=headers)).json()
    assert got["passwordPolicy"] == "length(12)"


async def test_partial_import_with_a_refused_plain_password_adds_nobody(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await _set_policy(ostium, headers, "length(12)")
    body = {
        "ifResourceExists": "SKIP",
        "users": [{"username": "dave", "credentials": [{"type": "password", "value": "x"}]}],
    }
    response = await ostium.client.post(f"{TEST}/partialImport", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json() == NOT_MET
    found = await ostium.client.get(
        f"{TEST}/users", params={"username": "dave", "exact": "true"}, headers=headers
    )
    assert found.json() == []


# --- history, temporary, hashing ----------------------------------------------------------


async def test_password_history_refuses_recent_passwords_and_is_exported(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await _set_policy(ostium, headers, "passwordHistory(3)")
    bob = await user_id(ostium, headers, "bob")
    history = {
        "error": "invalidPasswordHistoryMessage",
        "error_description": "Invalid password: it may not be one of the last 3 passwords.",
    }
    refused = await _reset(ostium, headers, bob, "builder")  # the current one
    assert refused.status_code == 400
    assert refused.json() == history
    for value in ("second", "third"):
        ostium.clock.advance(60)
        assert (await _reset(ostium, headers, bob, value)).status_code == 204
    for recent in ("builder", "second", "third"):
        assert (await _reset(ostium, headers, bob, recent)).json() == history
    ostium.clock.advance(60)
    assert (await _reset(ostium, headers, bob, "fourth")).status_code == 204
    # Only the 2 passwords before the current one are kept: "builder" is free again.
    assert sorted(t for t, _ in await _stored(ostium, bob)) == [
        "password",
        "password-history",
        "password-history",
    ]
    ostium.clock.advance(60)
    assert (await _reset(ostium, headers, bob, "builder")).status_code == 204
    from ostium.admin.export import export_realm

    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        exported = await export_realm(repos, realm, include_users=True)
    assert exported["passwordPolicy"] == "passwordHistory(3)"
    bobs = next(u for u in exported["users"] if u["username"] == "bob")
    assert sorted(c["type"] for c in bobs["credentials"]) == [
        "password",
        "password-history",
        "password-history",
    ]


async def test_temporary_sets_update_password_and_a_permanent_reset_clears_it(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")

    async def actions() -> list[str]:
        user = (await ostium.client.get(f"{TEST}/users/{alice}", headers=headers)).json()
        return list(user["requiredActions"])

    assert (await _reset(ostium, headers, alice, "temp-1", temporary=True)).status_code == 204
    assert await actions() == ["UPDATE_PASSWORD"]
    assert (await _reset(ostium, headers, alice, "temp-2", temporary=True)).status_code == 204
    assert await actions() == ["UPDATE_PASSWORD"]  # not twice
    assert (await _reset(ostium, headers, alice, "for-good", temporary=False)).status_code == 204
    assert await actions() == []
    assert (await _reset(ostium, headers, alice, "temp-3", temporary=True)).status_code == 204
    assert (await _reset(ostium, headers, alice, "for-good-2")).status_code == 204
    assert await actions() == []  # no `temporary` at all is permanent too, as in Keycloak


async def test_new_hashes_follow_the_policys_algorithm_and_logins_keep_them(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await _set_policy(ostium, headers, "hashAlgorithm(pbkdf2-sha512) and hashIterations(1000)")
    alice = await user_id(ostium, headers, "alice")
    assert (await _reset(ostium, headers, alice, "new secret")).status_code == 204
    [(kind, data)] = await _stored(ostium, alice)
    assert (kind, data["algorithm"], data["hashIterations"]) == ("password", "pbkdf2-sha512", 1000)
    assert (await ostium.password_grant("alice", "new secret")).status_code == 200
    assert [d["algorithm"] for _, d in await _stored(ostium, alice)] == ["pbkdf2-sha512"]
    # bob's argon2 hash from the realm file is re-made as the policy asks at his login.
    bob = await user_id(ostium, headers, "bob")
    assert (await ostium.password_grant("bob", "builder")).status_code == 200
    [(_, bobs)] = await _stored(ostium, bob)
    assert (bobs["algorithm"], bobs["hashIterations"]) == ("pbkdf2-sha512", 1000)


async def test_password_age_refuses_passwords_used_within_the_days(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await _set_policy(ostium, headers, "passwordAge(30)")
    bob = await user_id(ostium, headers, "bob")
    used = {
        "error": "invalidPasswordGenericMessage",
        "error_description": "Invalid password: it was used within the last 30 days.",
    }
    assert (await _reset(ostium, headers, bob, "builder")).json() == used  # the current one
    assert (await _reset(ostium, headers, bob, "first")).status_code == 204
    ostium.clock.advance(86_400)
    headers = await admin_headers(ostium)  # the clock outran the admin's token
    assert (await _reset(ostium, headers, bob, "second")).status_code == 204
    assert (await _reset(ostium, headers, bob, "first")).json() == used
    ostium.clock.advance(30 * 86_400)
    headers = await admin_headers(ostium)
    # "first" was set 31 days ago: free again.
    assert (await _reset(ostium, headers, bob, "first")).status_code == 204


async def test_an_expired_password_requires_a_change(ostium: OstiumUnderTest) -> None:
    from ostium.services.password_policy import password_change_required

    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")

    async def required() -> bool:
        async with ostium.storage.transaction() as repos:
            realm = await repos.realms.get_by_name("test")
            user = await repos.users.get(realm.id, alice)  # type: ignore[union-attr]
            assert realm is not None and user is not None
            return await password_change_required(repos, realm, user, now=ostium.clock.now())

    assert not await required()  # no policy
    await _set_policy(ostium, headers, "forceExpiredPasswordChange(2)")
    assert (await _reset(ostium, headers, alice, "fresh one")).status_code == 204
    ostium.clock.advance(2 * 86_400)
    assert not await required()
    ostium.clock.advance(1)
    assert await required()
