"""/admin/realms/{realm}/authentication/required-actions… and `requiredActions` in realm
import/export, as Keycloak's admin console and clients use them; negative cases first."""

from __future__ import annotations

from typing import Any

from tests.admin.helpers import ADMIN, admin_headers, grant_management_role, user_token_headers
from tests.support import OstiumUnderTest

AUTH = f"{ADMIN}/test/authentication"


async def _actions(ostium: OstiumUnderTest, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await ostium.client.get(f"{AUTH}/required-actions", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_reading_needs_view_realm_and_changing_needs_manage_realm(
    ostium: OstiumUnderTest,
) -> None:
    assert (await ostium.client.get(f"{AUTH}/required-actions")).status_code == 401
    alice = await user_token_headers(ostium, "alice", "wonderland")
    assert (await ostium.client.get(f"{AUTH}/required-actions", headers=alice)).status_code == 403
    await grant_management_role(ostium, await admin_headers(ostium), "bob", "view-realm")
    bob = await user_token_headers(ostium, "bob", "builder")
    assert (await ostium.client.get(f"{AUTH}/required-actions", headers=bob)).status_code == 200
    for method, path, body in (
        ("PUT", "/required-actions/UPDATE_PASSWORD", {"enabled": False}),
        ("DELETE", "/required-actions/UPDATE_PASSWORD", None),
        ("POST", "/required-actions/UPDATE_PASSWORD/raise-priority", None),
        ("POST", "/register-required-action", {"providerId": "CONFIGURE_RECOVERY_AUTHN_CODES"}),
        ("PUT", "/required-actions/UPDATE_PASSWORD/config", {"config": {}}),
    ):
        response = await ostium.client.request(method, f"{AUTH}{path}", json=body, headers=bob)
        assert response.status_code == 403, (method, path)
    headers = await admin_headers(ostium)
    assert (await _actions(ostium, headers))[2]["enabled"] is True


async def test_unknown_aliases_and_bad_bodies_are_clear_4xx(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    for method, path in (
        ("GET", "/required-actions/NOPE"),
        ("PUT", "/required-actions/NOPE"),
        ("DELETE", "/required-actions/NOPE"),
        ("POST", "/required-actions/NOPE/raise-priority"),
        ("POST", "/required-actions/NOPE/lower-priority"),
        ("GET", "/required-actions/UPDATE_PROFILE/config-description"),
    ):
        response = await ostium.client.request(method, f"{AUTH}{path}", json={}, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
    assert (await ostium.client.get(f"{AUTH}/required-actions/NOPE", headers=headers)).json() == {
        "error": "Failed to find required action"
    }
    for method, path, body, message in (
        (
            "POST",
            "/register-required-action",
            {"providerId": "my-sms"},
            "Required Action Provider with given providerId not found",
        ),
        ("POST", "/register-required-action", {}, None),
        ("POST", "/register-required-action", [], None),
        ("PUT", "/required-actions/UPDATE_PASSWORD", {"priority": "high"}, None),
        ("PUT", "/required-actions/UPDATE_PASSWORD", {"enabled": "yes"}, None),
        ("PUT", "/required-actions/UPDATE_PASSWORD", {"config": ["x"]}, None),
        (
            "GET",
            "/required-actions/UPDATE_PROFILE/config",
            None,
            "RequiredAction is not configurable",
        ),
        (
            "PUT",
            "/required-actions/UPDATE_PASSWORD/config",
            {"config": {"max_auth_age": "soon"}},
            None,
        ),
    ):
        response = await ostium.client.request(method, f"{AUTH}{path}", json=body, headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        if message:
            assert response.json() == {"errorMessage": message}
    # Nothing changed.
    update = next(a for a in await _actions(ostium, headers) if a["alias"] == "UPDATE_PASSWORD")
    assert (update["priority"], update["enabled"], update["config"]) == (30, True, {})


async def test_a_new_realm_has_keycloak_26_s_providers_by_priority(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    listed = await _actions(ostium, headers)
    assert [(a["alias"], a["priority"], a["enabled"]) for a in listed] == [
        ("CONFIGURE_TOTP", 10, True),
        ("TERMS_AND_CONDITIONS", 20, False),
        ("UPDATE_PASSWORD", 30, True),
        ("UPDATE_PROFILE", 40, True),
        ("VERIFY_EMAIL", 50, True),
        ("delete_account", 60, False),
        ("webauthn-register", 70, True),
        ("webauthn-register-passwordless", 80, True),
        ("VERIFY_PROFILE", 90, True),
        ("delete_credential", 100, True),
        ("update_user_locale", 1000, True),
    ]
    assert listed[2] == {
        "alias": "UPDATE_PASSWORD",
        "name": "Update Password",
        "providerId": "UPDATE_PASSWORD",
        "enabled": True,
        "defaultAction": False,
        "priority": 30,
        "config": {},
    }
    one = await ostium.client.get(f"{AUTH}/required-actions/UPDATE_PASSWORD", headers=headers)
    assert one.json() == listed[2]
    unregistered = await ostium.client.get(f"{AUTH}/unregistered-required-actions", headers=headers)
    assert unregistered.json() == [
        {"name": "Recovery Authentication Codes", "providerId": "CONFIGURE_RECOVERY_AUTHN_CODES"}
    ]


async def test_update_priority_register_delete_and_config(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    body = {
        "alias": "TERMS_AND_CONDITIONS",
        "name": "Terms and Conditions",
        "providerId": "TERMS_AND_CONDITIONS",
        "enabled": True,
        "defaultAction": True,
        "priority": 20,
        "config": {},
    }
    response = await ostium.client.put(
        f"{AUTH}/required-actions/TERMS_AND_CONDITIONS", json=body, headers=headers
    )
    assert response.status_code == 204
    listed = await _actions(ostium, headers)
    assert listed[1] == body
    # raise: swaps with the one before; the first stays first.
    response = await ostium.client.post(
        f"{AUTH}/required-actions/UPDATE_PASSWORD/raise-priority", headers=headers
    )
    assert response.status_code == 204
    assert [a["alias"] for a in await _actions(ostium, headers)][:3] == [
        "CONFIGURE_TOTP",
        "UPDATE_PASSWORD",
        "TERMS_AND_CONDITIONS",
    ]
    await ostium.client.post(
        f"{AUTH}/required-actions/CONFIGURE_TOTP/raise-priority", headers=headers
    )
    assert (await _actions(ostium, headers))[0]["alias"] == "CONFIGURE_TOTP"
    await ostium.client.post(
        f"{AUTH}/required-actions/update_user_locale/lower-priority", headers=headers
    )
    assert (await _actions(ostium, headers))[-1]["alias"] == "update_user_locale"
    # register: last, enabled, not a default action; then it is no longer unregistered.
    response = await ostium.client.post(
        f"{AUTH}/register-required-action",
        json={"providerId": "CONFIGURE_RECOVERY_AUTHN_CODES", "name": "Recovery codes"},
        headers=headers,
    )
    assert response.status_code == 204
    last = (await _actions(ostium, headers))[-1]
    assert (last["alias"], last["priority"], last["enabled"], last["defaultAction"]) == (
        "CONFIGURE_RECOVERY_AUTHN_CODES",
        1001,
        True,
        False,
    )
    assert (
        await ostium.client.get(f"{AUTH}/unregistered-required-actions", headers=headers)
    ).json() == []
    # config: described, set (empty values dropped), read, cleared.
    described = await ostium.client.get(
        f"{AUTH}/required-actions/UPDATE_PASSWORD/config-description", headers=headers
    )
    assert [p["name"] for p in described.json()["properties"]] == ["max_auth_age"]
    response = await ostium.client.put(
        f"{AUTH}/required-actions/UPDATE_PASSWORD/config",
        json={"config": {"max_auth_age": "600", "other": ""}},
        headers=headers,
    )
    assert response.status_code == 204
    config = await ostium.client.get(
        f"{AUTH}/required-actions/UPDATE_PASSWORD/config", headers=headers
    )
    assert config.json() == {"config": {"max_auth_age": "600"}}
    one = await ostium.client.get(f"{AUTH}/required-actions/UPDATE_PASSWORD", headers=headers)
    assert one.json()["config"] == {"max_auth_age": "600"}
    response = await ostium.client.delete(
        f"{AUTH}/required-actions/UPDATE_PASSWORD/config", headers=headers
    )
    assert response.status_code == 204
    config = await ostium.client.get(
        f"{AUTH}/required-actions/UPDATE_PASSWORD/config", headers=headers
    )
    assert config.json() == {"config": {}}
    # delete: gone, and offered again.
    response = await ostium.client.delete(
        f"{AUTH}/required-actions/CONFIGURE_RECOVERY_AUTHN_CODES", headers=headers
    )
    assert response.status_code == 204
    assert "CONFIGURE_RECOVERY_AUTHN_CODES" not in [
        a["alias"] for a in await _actions(ostium, headers)
    ]


async def test_default_actions_join_users_the_admin_creates(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    await ostium.client.put(
        f"{AUTH}/required-actions/VERIFY_EMAIL",
        json={"name": "Verify Email", "enabled": True, "defaultAction": True, "priority": 50},
        headers=headers,
    )
    response = await ostium.client.post(
        f"{ADMIN}/test/users",
        json={
            "username": "carol",
            "credentials": [{"type": "password", "value": "first-one", "temporary": True}],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    carol = (await ostium.client.get(response.headers["Location"], headers=headers)).json()
    assert sorted(carol["requiredActions"]) == ["UPDATE_PASSWORD", "VERIFY_EMAIL"]


async def test_required_actions_round_trip_through_export_and_import(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    await ostium.client.put(
        f"{AUTH}/required-actions/TERMS_AND_CONDITIONS",
        json={"name": "Terms", "enabled": True, "defaultAction": True, "priority": 5},
        headers=headers,
    )
    exported = await ostium.client.post(f"{ADMIN}/test/partial-export", headers=headers)
    actions = exported.json()["requiredActions"]
    assert actions[0] == {
        "alias": "TERMS_AND_CONDITIONS",
        "name": "Terms",
        "providerId": "TERMS_AND_CONDITIONS",
        "enabled": True,
        "defaultAction": True,
        "priority": 5,
        "config": {},
    }
    copy = {"realm": "copy", "enabled": True, "requiredActions": actions[:4]}
    response = await ostium.client.post(ADMIN, json=copy, headers=headers)
    assert response.status_code == 201, response.text
    imported = await ostium.client.get(
        f"{ADMIN}/copy/authentication/required-actions", headers=headers
    )
    assert imported.json() == actions[:4]
    # An empty list keeps the defaults: a temporary password must still be changed.
    empty = {"realm": "empty", "enabled": True, "requiredActions": []}
    assert (await ostium.client.post(ADMIN, json=empty, headers=headers)).status_code == 201
    kept = await ostium.client.get(
        f"{ADMIN}/empty/authentication/required-actions", headers=headers
    )
    assert "UPDATE_PASSWORD" in [a["alias"] for a in kept.json()]
    bad = {"realm": "bad", "requiredActions": [{"alias": "X", "priority": "first"}]}
    response = await ostium.client.post(ADMIN, json=bad, headers=headers)
    assert response.status_code == 400, response.text
    assert "requiredActions[0]" in response.text
