"""Service-account users appear wherever Keycloak creates them: a realm imported without
one (`POST /admin/realms`, the same parser as start-up import and `ostium import`) and a
client updated to `serviceAccountsEnabled`. The e2e suites cover the two file imports."""

from __future__ import annotations

import json
from typing import Any

from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.flows.test_token import claims_of
from tests.support import BASE, SECRET, OstiumUnderTest, realm_export


def without_service_accounts(name: str) -> dict[str, Any]:
    """The test realm as a person writes it: `serviceAccountsEnabled`, no such user."""
    realm: dict[str, Any] = json.loads(
        json.dumps(realm_export()).replace("default-roles-test", f"default-roles-{name}")
    )
    realm["realm"] = name
    realm["users"] = [u for u in realm["users"] if "serviceAccountClientId" not in u]
    return realm


def token_url(realm: str) -> str:
    return f"{BASE}/realms/{realm}/protocol/openid-connect/token"


async def client_credentials(
    ostium: OstiumUnderTest, realm: str, client_id: str, secret: str
) -> dict[str, Any]:
    response = await ostium.client.post(
        token_url(realm), data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_realm_created_without_service_account_users_gets_them(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    created = await ostium.client.post(
        ADMIN, json=without_service_accounts("written"), headers=headers
    )
    assert created.status_code == 201, created.text
    body = await client_credentials(ostium, "written", "app", SECRET)
    claims = claims_of(body["access_token"])
    assert claims["preferred_username"] == "service-account-app"
    # Keycloak's new service account holds the realm's default roles, nothing more.
    assert "offline_access" in claims["realm_access"]["roles"]
    assert "user" not in claims["realm_access"]["roles"]
    app = (
        await ostium.client.get(
            f"{ADMIN}/written/clients", params={"clientId": "app"}, headers=headers
        )
    ).json()[0]
    user = await ostium.client.get(
        f"{ADMIN}/written/clients/{app['id']}/service-account-user", headers=headers
    )
    assert user.status_code == 200
    assert user.json()["username"] == "service-account-app"
    roles = await ostium.client.get(
        f"{ADMIN}/written/users/{user.json()['id']}/role-mappings/realm", headers=headers
    )
    assert [r["name"] for r in roles.json()] == ["default-roles-written"]
    # Clients without service accounts get no such user.
    spa = (
        await ostium.client.get(
            f"{ADMIN}/written/clients", params={"clientId": "spa"}, headers=headers
        )
    ).json()[0]
    none = await ostium.client.get(
        f"{ADMIN}/written/clients/{spa['id']}/service-account-user", headers=headers
    )
    assert none.status_code == 404


async def test_a_user_in_the_file_with_the_service_account_name_is_refused(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    realm = without_service_accounts("clash")
    realm["users"].append({"username": "service-account-app", "enabled": True})
    refused = await ostium.client.post(ADMIN, json=realm, headers=headers)
    assert refused.status_code in (400, 409), refused.text
    assert "service-account-app" in refused.json()["errorMessage"]
    assert (await ostium.client.get(f"{ADMIN}/clash", headers=headers)).status_code == 404


async def test_the_service_account_of_the_file_is_kept(ostium: OstiumUnderTest) -> None:
    # realm_export() lists service-account-app with the role `user`: no second user.
    body = await client_credentials(ostium, "test", "app", SECRET)
    assert "user" in claims_of(body["access_token"])["realm_access"]["roles"]
    headers = bearer(await master_admin_token(ostium))
    app = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "app"}, headers=headers
        )
    ).json()[0]
    user = await ostium.client.get(
        f"{ADMIN}/test/clients/{app['id']}/service-account-user", headers=headers
    )
    roles = await ostium.client.get(
        f"{ADMIN}/test/users/{user.json()['id']}/role-mappings/realm", headers=headers
    )
    assert [r["name"] for r in roles.json()] == ["user"]


async def test_turning_service_accounts_on_creates_the_user(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    before = await ostium.client.post(
        token_url("test"), data={"grant_type": "client_credentials"}, auth=("other", "other-secret")
    )
    assert before.status_code == 400 and before.json()["error"] == "unauthorized_client"
    other = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "other"}, headers=headers
        )
    ).json()[0]
    missing = await ostium.client.get(
        f"{ADMIN}/test/clients/{other['id']}/service-account-user", headers=headers
    )
    assert missing.status_code == 404
    updated = await ostium.client.put(
        f"{ADMIN}/test/clients/{other['id']}",
        json={**other, "serviceAccountsEnabled": True},
        headers=headers,
    )
    assert updated.status_code == 204, updated.text
    body = await client_credentials(ostium, "test", "other", "other-secret")
    claims = claims_of(body["access_token"])
    assert claims["preferred_username"] == "service-account-other"
    assert "offline_access" in claims["realm_access"]["roles"]  # via default-roles-test
    user = await ostium.client.get(
        f"{ADMIN}/test/clients/{other['id']}/service-account-user", headers=headers
    )
    roles = await ostium.client.get(
        f"{ADMIN}/test/users/{user.json()['id']}/role-mappings/realm", headers=headers
    )
    assert [r["name"] for r in roles.json()] == ["default-roles-test"]
    # A second update leaves the one user; switching off keeps it, as Keycloak does.
    again = await ostium.client.put(
        f"{ADMIN}/test/clients/{other['id']}",
        json={"serviceAccountsEnabled": False},
        headers=headers,
    )
    assert again.status_code == 204
    back_on = await ostium.client.put(
        f"{ADMIN}/test/clients/{other['id']}",
        json={"serviceAccountsEnabled": True},
        headers=headers,
    )
    assert back_on.status_code == 204
    kept = await ostium.client.get(
        f"{ADMIN}/test/clients/{other['id']}/service-account-user", headers=headers
    )
    assert kept.json()["id"] == user.json()["id"]


async def test_an_update_whose_service_account_name_is_taken_changes_nothing(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    squatter = await ostium.client.post(
        f"{ADMIN}/test/users",
        json={"username": "service-account-other", "enabled": True},
        headers=headers,
    )
    assert squatter.status_code == 201, squatter.text
    other = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "other"}, headers=headers
        )
    ).json()[0]
    refused = await ostium.client.put(
        f"{ADMIN}/test/clients/{other['id']}",
        json={"serviceAccountsEnabled": True, "description": "changed"},
        headers=headers,
    )
    assert refused.status_code == 409
    assert "service-account-other" in refused.json()["errorMessage"]
    after = await ostium.client.get(f"{ADMIN}/test/clients/{other['id']}", headers=headers)
    assert after.json()["serviceAccountsEnabled"] is False
    assert after.json().get("description") != "changed"


async def test_a_client_created_with_service_accounts_has_its_user(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    created = await ostium.client.post(
        f"{ADMIN}/test/clients",
        json={"clientId": "robot", "secret": "robot-secret", "serviceAccountsEnabled": True},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = await client_credentials(ostium, "test", "robot", "robot-secret")
    assert claims_of(body["access_token"])["preferred_username"] == "service-account-robot"
