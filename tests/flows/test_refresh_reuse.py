"""Refresh-token reuse detection, Keycloak's `revokeRefreshToken` / `refreshTokenMaxReuse`."""

from __future__ import annotations

from typing import Any

from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.support import OstiumUnderTest


async def refresh(ostium: OstiumUnderTest, tokens: dict[str, Any]) -> Any:
    ostium.clock.advance(1)
    return await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )


async def set_realm(ostium: OstiumUnderTest, **settings: Any) -> None:
    headers = bearer(await master_admin_token(ostium))
    assert (
        await ostium.client.put(f"{ADMIN}/test", json=settings, headers=headers)
    ).status_code == 204


async def test_a_used_refresh_token_cannot_be_used_again(ostium: OstiumUnderTest) -> None:
    await set_realm(ostium, revokeRefreshToken=True)
    first = (await ostium.password_grant()).json()
    second = (await refresh(ostium, first)).json()
    reused = await refresh(ostium, first)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Maximum allowed refresh token reuse exceeded",
    }
    third = await refresh(ostium, second)
    assert third.status_code == 200
    stale = await refresh(ostium, first)  # older than the session's last refresh
    assert stale.json()["error_description"] == "Stale token"
    assert (await refresh(ostium, third.json())).status_code == 200


async def test_max_reuse_allows_that_many_extra_uses(ostium: OstiumUnderTest) -> None:
    await set_realm(ostium, revokeRefreshToken=True, refreshTokenMaxReuse=1)
    first = (await ostium.password_grant()).json()
    assert (await refresh(ostium, first)).status_code == 200
    assert (await refresh(ostium, first)).status_code == 200
    assert (await refresh(ostium, first)).status_code == 400


async def test_without_revocation_refresh_tokens_may_be_reused(ostium: OstiumUnderTest) -> None:
    first = (await ostium.password_grant()).json()
    for _ in range(3):
        assert (await refresh(ostium, first)).status_code == 200
