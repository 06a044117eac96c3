"""offline_access: offline tokens bound to a persisted offline session that outlives SSO
logout and restarts (Keycloak: offline sessions)."""

from __future__ import annotations

import base64
import json
from typing import Any

from ostium.sessions.caches import Caches
from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.flows.test_session_persistence import Node, tokens_user
from tests.support import OIDC, OstiumUnderTest


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


async def refresh(ostium: OstiumUnderTest, token: str) -> Any:
    return await ostium.token({"grant_type": "refresh_token", "refresh_token": token})


async def test_offline_token_survives_logout_and_restart(ostium: OstiumUnderTest) -> None:
    online = (await ostium.password_grant()).json()
    offline = (await ostium.password_grant(scope="openid offline_access")).json()
    assert claims(offline["refresh_token"])["typ"] == "Offline"
    assert "exp" in claims(offline["refresh_token"])  # far away, not missing
    assert offline["refresh_expires_in"] == 0
    assert "offline_access" in offline["scope"].split()

    ostium.clock.advance(1)
    sso_logout = await ostium.client.get(
        f"{OIDC}/logout", params={"id_token_hint": online["id_token"]}
    )  # RP-initiated logout of the online session
    assert sso_logout.status_code == 200
    assert (await refresh(ostium, online["refresh_token"])).status_code == 400
    renewed = await refresh(ostium, offline["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert claims(renewed.json()["refresh_token"])["typ"] == "Offline"

    restarted = Node(ostium, Caches.build(), persistent=True)
    try:
        again = await restarted.refresh(renewed.json())
        assert again.status_code == 200, again.text
    finally:
        await restarted.close()


async def test_admin_sees_offline_sessions_apart(ostium: OstiumUnderTest) -> None:
    await ostium.password_grant()
    offline = (await ostium.password_grant(scope="openid offline_access")).json()
    headers = bearer(await master_admin_token(ostium))
    stats = (await ostium.client.get(f"{ADMIN}/test/client-session-stats", headers=headers)).json()
    assert [(s["clientId"], s["active"], s["offline"]) for s in stats] == [("app", "2", "1")]
    app = (
        await ostium.client.get(
            f"{ADMIN}/test/clients", params={"clientId": "app"}, headers=headers
        )
    ).json()[0]
    count = await ostium.client.get(
        f"{ADMIN}/test/clients/{app['id']}/offline-session-count", headers=headers
    )
    assert count.json() == {"count": 1}
    listed = await ostium.client.get(
        f"{ADMIN}/test/users/{tokens_user(offline)}/offline-sessions/{app['id']}", headers=headers
    )
    assert [s["id"] for s in listed.json()] == [claims(offline["refresh_token"])["sid"]]
    online = await ostium.client.get(
        f"{ADMIN}/test/users/{tokens_user(offline)}/sessions", headers=headers
    )
    assert len(online.json()) == 2


async def test_offline_tokens_need_the_offline_access_role(ostium: OstiumUnderTest) -> None:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        bob = await repos.users.get_by_username(realm.id, "bob")
        default = await repos.roles.get_realm_role(realm.id, realm.default_role_name)
        assert bob is not None and default is not None
        await repos.roles.revoke_from_user(bob.id, [default.id])
    refused = await ostium.password_grant("bob", "builder", scope="openid offline_access")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "not_allowed",
        "error_description": "Offline tokens not allowed for the user or client",
    }


async def test_an_admin_sign_out_ends_offline_tokens_too(ostium: OstiumUnderTest) -> None:
    """Keycloak's sign-out sets the user's not-before: every token issued until then,
    offline ones included, is stale; the offline session itself stays listed."""
    offline = (await ostium.password_grant(scope="openid offline_access")).json()
    ostium.clock.advance(1)
    headers = bearer(await master_admin_token(ostium))
    user = tokens_user(offline)
    assert (
        await ostium.client.post(f"{ADMIN}/test/users/{user}/logout", headers=headers)
    ).status_code == 204
    stale = await refresh(ostium, offline["refresh_token"])
    assert stale.status_code == 400 and stale.json()["error_description"] == "Stale token"
    fresh = (await ostium.password_grant(scope="openid offline_access")).json()
    assert (await refresh(ostium, fresh["refresh_token"])).status_code == 200
