"""Client secrets: regeneration, and rotation with a grace period (Keycloak's client
secret rotation policy) in which the previous secret still authenticates the client."""

from __future__ import annotations

from typing import Any

from ostium.domain.client_secret import (
    ROTATED_SECRET,
    ROTATED_SECRET_EXPIRATION_TIME,
    ROTATED_SECRET_PERIOD,
)
from ostium.services.clients import regenerate_secret
from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.support import REALM, SECRET, OstiumUnderTest

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


async def app_client(ostium: OstiumUnderTest, headers: dict[str, str]) -> dict[str, Any]:
    found = await ostium.client.get(
        f"{ADMIN}/{REALM}/clients", params={"clientId": "app"}, headers=headers
    )
    return dict(found.json()[0])


async def works(ostium: OstiumUnderTest, secret: str) -> bool:
    response = await ostium.token(CLIENT_CREDENTIALS, auth=("app", secret))
    assert response.status_code in (200, 401), response.text
    if response.status_code == 401:
        assert response.json()["error"] == "invalid_client"
    return response.status_code == 200


async def test_without_a_grace_period_the_old_secret_stops_at_once(
    ostium: OstiumUnderTest,
) -> None:
    headers = bearer(await master_admin_token(ostium))
    app = await app_client(ostium, headers)
    url = f"{ADMIN}/{REALM}/clients/{app['id']}/client-secret"
    new = (await ostium.client.post(url, headers=headers)).json()["value"]
    assert not await works(ostium, SECRET)
    assert await works(ostium, new)
    rotated = await ostium.client.get(f"{url}/rotated", headers=headers)
    assert rotated.status_code == 404
    assert rotated.json() == {"error": "Client does not have a rotated secret"}


async def test_the_old_secret_works_until_the_grace_period_ends(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    app = await app_client(ostium, headers)
    url = f"{ADMIN}/{REALM}/clients/{app['id']}"
    attributes = {**app["attributes"], ROTATED_SECRET_PERIOD: "3600"}
    updated = await ostium.client.put(url, json={"attributes": attributes}, headers=headers)
    assert updated.status_code == 204
    regenerated = await ostium.client.post(f"{url}/client-secret", headers=headers)
    assert regenerated.status_code == 200
    new = regenerated.json()["value"]
    assert regenerated.json()["type"] == "secret" and new != SECRET
    rotated = await ostium.client.get(f"{url}/client-secret/rotated", headers=headers)
    assert rotated.json() == {"type": "secret", "value": SECRET}
    stored = (await ostium.client.get(url, headers=headers)).json()["attributes"]
    assert stored[ROTATED_SECRET_EXPIRATION_TIME] == str(ostium.clock.now() + 3600)
    assert await works(ostium, SECRET) and await works(ostium, new)
    ostium.clock.advance(3600)  # the last second of the grace period (Keycloak: inclusive)
    assert await works(ostium, SECRET)
    ostium.clock.advance(1)
    assert not await works(ostium, SECRET)
    assert await works(ostium, new)


async def test_deleting_the_rotated_secret_ends_it_at_once(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    app = await app_client(ostium, headers)
    url = f"{ADMIN}/{REALM}/clients/{app['id']}"
    await ostium.client.put(
        url, json={"attributes": {ROTATED_SECRET_PERIOD: "86400"}}, headers=headers
    )
    new = (await ostium.client.post(f"{url}/client-secret", headers=headers)).json()["value"]
    assert await works(ostium, SECRET)
    deleted = await ostium.client.delete(f"{url}/client-secret/rotated", headers=headers)
    assert deleted.status_code == 204
    assert not await works(ostium, SECRET)
    assert await works(ostium, new)
    assert (
        await ostium.client.get(f"{url}/client-secret/rotated", headers=headers)
    ).status_code == 404
    again = await ostium.client.delete(f"{url}/client-secret/rotated", headers=headers)
    assert again.status_code == 204


async def test_regenerating_again_replaces_the_rotated_secret(ostium: OstiumUnderTest) -> None:
    """Only the secret just replaced stays valid: two regenerations leave the first
    secret with no grace at all."""
    realm = await _realm(ostium)
    async with ostium.storage.transaction() as repos:
        client = await repos.clients.get_by_client_id(realm, "app")
        assert client is not None
        second = await regenerate_secret(repos, client, now=ostium.clock.now(), grace_period=600)
        third = await regenerate_secret(repos, client, now=ostium.clock.now(), grace_period=600)
    assert not await works(ostium, SECRET)
    assert await works(ostium, second) and await works(ostium, third)
    async with ostium.storage.transaction() as repos:
        client = await repos.clients.get_by_client_id(realm, "app")
        assert client is not None
        await regenerate_secret(repos, client, now=ostium.clock.now(), grace_period=0)
        assert ROTATED_SECRET not in client.attributes
    assert not await works(ostium, third)


async def test_the_rotated_secret_works_at_introspection_and_revocation(
    ostium: OstiumUnderTest,
) -> None:
    tokens = (await ostium.password_grant()).json()
    realm = await _realm(ostium)
    async with ostium.storage.transaction() as repos:
        client = await repos.clients.get_by_client_id(realm, "app")
        assert client is not None
        await regenerate_secret(repos, client, now=ostium.clock.now(), grace_period=60)
    oidc = f"http://localhost:8080/realms/{REALM}/protocol/openid-connect"
    introspected = await ostium.client.post(
        f"{oidc}/token/introspect", data={"token": tokens["access_token"]}, auth=("app", SECRET)
    )
    assert introspected.json()["active"] is True
    ostium.clock.advance(61)
    refused = await ostium.client.post(
        f"{oidc}/revoke", data={"token": tokens["refresh_token"]}, auth=("app", SECRET)
    )
    assert refused.status_code == 401


async def _realm(ostium: OstiumUnderTest) -> str:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
    assert realm is not None
    return realm.id
