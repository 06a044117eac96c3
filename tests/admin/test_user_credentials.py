"""users/{id}/credentials over HTTP: Keycloak's shape without secrets, removal, labels,
priority order."""

from __future__ import annotations

from typing import Any

from tests.admin.helpers import TEST, admin_headers, user_id, user_token_headers
from tests.support import OstiumUnderTest


async def _credentials(
    ostium: OstiumUnderTest, headers: dict[str, str], uid: str
) -> list[dict[str, Any]]:
    response = await ostium.client.get(f"{TEST}/users/{uid}/credentials", headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def _second_password(ostium: OstiumUnderTest, uid: str) -> str:
    """A second stored credential for reordering: the admin API creates only one
    password, so the row is added through storage."""
    from ostium.services.realm_import import parse_credential

    async with ostium.storage.transaction() as repos:
        user = await repos.users.get(
            (await repos.realms.get_by_name("test")).id,  # type: ignore[union-attr]
            uid,
        )
        assert user is not None
        credential = parse_credential(
            {"type": "password", "value": "second", "userLabel": "backup"},
            user,
            "credential",
            ostium.clock.now(),
        )
        credential.priority = 20
        await repos.credentials.add(credential)
        return credential.id


async def test_unknown_user_or_credential_is_404_and_viewers_cannot_change(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    bob = await user_id(ostium, headers, "bob")
    bobs = (await _credentials(ostium, headers, bob))[0]["id"]
    for method, path in (
        ("GET", "users/nobody/credentials"),
        ("GET", "users/nobody/configured-user-storage-credential-types"),
        ("DELETE", f"users/{alice}/credentials/nope"),
        ("DELETE", f"users/{alice}/credentials/{bobs}"),  # bob's, not alice's
        ("POST", f"users/{alice}/credentials/nope/moveToFirst"),
        ("POST", f"users/{alice}/credentials/{bobs}/moveToFirst"),
    ):
        response = await ostium.client.request(method, f"{TEST}/{path}", headers=headers)
        assert response.status_code == 404, (method, path)
        assert "error" in response.json()
    label = await ostium.client.put(
        f"{TEST}/users/{alice}/credentials/nope/userLabel",
        content=b"x",
        headers={**headers, "content-type": "text/plain"},
    )
    assert label.status_code == 404
    alices = (await _credentials(ostium, headers, alice))[0]["id"]
    after_unknown = await ostium.client.post(
        f"{TEST}/users/{alice}/credentials/{alices}/moveAfter/nope", headers=headers
    )
    assert after_unknown.status_code == 404
    outsider = await user_token_headers(ostium, "bob", "builder")
    assert (
        await ostium.client.get(f"{TEST}/users/{alice}/credentials", headers=outsider)
    ).status_code == 403
    assert (
        await ostium.client.delete(f"{TEST}/users/{alice}/credentials/{alices}", headers=outsider)
    ).status_code == 403
    assert len(await _credentials(ostium, headers, alice)) == 1  # nothing removed


async def test_list_is_keycloaks_shape_without_secret_data(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    [password] = await _credentials(ostium, headers, alice)
    assert set(password) <= {"id", "type", "userLabel", "createdDate", "credentialData", "priority"}
    assert password["type"] == "password"
    assert "secretData" not in password and "value" not in password
    assert (
        "hashIterations" in password["credentialData"] or "algorithm" in password["credentialData"]
    )
    types = await ostium.client.get(
        f"{TEST}/users/{alice}/configured-user-storage-credential-types", headers=headers
    )
    assert types.status_code == 200 and types.json() == []


async def test_label_blank_is_400_then_set(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    [password] = await _credentials(ostium, headers, alice)
    url = f"{TEST}/users/{alice}/credentials/{password['id']}/userLabel"
    plain = {**headers, "content-type": "text/plain"}
    for body in (b"", b"   ", b"\xff\xfe"):
        bad = await ostium.client.put(url, content=body, headers=plain)
        assert bad.status_code == 400, body
        assert bad.json()["error"] == "missingCredentialLabel"
    too_long = await ostium.client.put(url, content=b"x" * 256, headers=plain)
    assert too_long.status_code == 400
    assert "userLabel" not in (await _credentials(ostium, headers, alice))[0]
    ok = await ostium.client.put(url, content="Téléphone".encode(), headers=plain)
    assert ok.status_code == 204
    assert (await _credentials(ostium, headers, alice))[0]["userLabel"] == "Téléphone"


async def test_reorder_and_remove(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    [first] = await _credentials(ostium, headers, alice)
    second = await _second_password(ostium, alice)
    assert [c["id"] for c in await _credentials(ostium, headers, alice)] == [first["id"], second]
    moved = await ostium.client.post(
        f"{TEST}/users/{alice}/credentials/{second}/moveToFirst", headers=headers
    )
    assert moved.status_code == 204
    listed = await _credentials(ostium, headers, alice)
    assert [c["id"] for c in listed] == [second, first["id"]]
    assert [c["priority"] for c in listed] == [10, 20]
    back = await ostium.client.post(
        f"{TEST}/users/{alice}/credentials/{second}/moveAfter/{first['id']}", headers=headers
    )
    assert back.status_code == 204
    assert [c["id"] for c in await _credentials(ostium, headers, alice)] == [first["id"], second]
    removed = await ostium.client.delete(
        f"{TEST}/users/{alice}/credentials/{first['id']}", headers=headers
    )
    assert removed.status_code == 204
    assert [c["id"] for c in await _credentials(ostium, headers, alice)] == [second]
    # The removed password no longer signs alice in; the remaining one does.
    refused = await ostium.password_grant("alice", "wonderland")
    assert refused.status_code in (400, 401) and refused.json()["error"] == "invalid_grant"
    assert (await ostium.password_grant("alice", "second")).status_code == 200
