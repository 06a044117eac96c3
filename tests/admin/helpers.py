"""Small admin-API helpers shared by the admin test files."""

from __future__ import annotations

from tests.support import BASE, OstiumUnderTest

ADMIN = f"{BASE}/admin/realms"
TEST = f"{ADMIN}/test"


async def admin_headers(ostium: OstiumUnderTest, username: str = "admin") -> dict[str, str]:
    """A bearer header for the master realm's bootstrap admin."""
    response = await ostium.client.post(
        f"{BASE}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": username,
            "password": "admin",
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def user_token_headers(
    ostium: OstiumUnderTest, username: str, password: str
) -> dict[str, str]:
    response = await ostium.password_grant(username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def user_id(ostium: OstiumUnderTest, headers: dict[str, str], username: str) -> str:
    users = (
        await ostium.client.get(
            f"{TEST}/users", params={"username": username, "exact": "true"}, headers=headers
        )
    ).json()
    assert len(users) == 1, users
    return str(users[0]["id"])


async def client_uuid(ostium: OstiumUnderTest, headers: dict[str, str], client_id: str) -> str:
    clients = (
        await ostium.client.get(f"{TEST}/clients", params={"clientId": client_id}, headers=headers)
    ).json()
    assert len(clients) == 1, clients
    return str(clients[0]["id"])


async def grant_management_role(
    ostium: OstiumUnderTest, headers: dict[str, str], username: str, role: str
) -> None:
    """Map one realm-management role of realm `test` to a user of it."""
    management = await client_uuid(ostium, headers, "realm-management")
    role_rep = (
        await ostium.client.get(f"{TEST}/clients/{management}/roles/{role}", headers=headers)
    ).json()
    uid = await user_id(ostium, headers, username)
    response = await ostium.client.post(
        f"{TEST}/users/{uid}/role-mappings/clients/{management}", json=[role_rep], headers=headers
    )
    assert response.status_code == 204, response.text


def names(body: list[dict[str, object]]) -> list[str]:
    return sorted(str(r["name"]) for r in body)


async def allow_unmanaged_attributes(
    ostium: OstiumUnderTest, headers: dict[str, str], realm: str = "test"
) -> None:
    """Free-form user attributes, as an administrator allows them on Keycloak 24 and later:
    without `unmanagedAttributePolicy` the user profile drops attributes it does not name."""
    url = f"{ADMIN}/{realm}/users/profile"
    profile = (await ostium.client.get(url, headers=headers)).json()
    profile["unmanagedAttributePolicy"] = "ENABLED"
    response = await ostium.client.put(url, json=profile, headers=headers)
    assert response.status_code == 200, response.text
