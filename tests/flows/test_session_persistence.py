"""Where user sessions live: persistent by default (a restart logs nobody out), or in the
cache only (`persistent-user-sessions` disabled), and the caches nodes share."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from ostium.app import create_app
from ostium.sessions.cached_storage import CachedStorage
from ostium.sessions.caches import Caches
from ostium.storage.interfaces import Storage
from ostium.web.runtime import Runtime
from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.redis_server import namespace, redis_address
from tests.support import BASE, OIDC, SECRET, OstiumUnderTest


class Node:
    """Another server process on the same database: its own caches, its own HTTP client."""

    def __init__(self, ostium: OstiumUnderTest, caches: Caches, persistent: bool) -> None:
        database = ostium.runtime.storage
        assert isinstance(database, CachedStorage)
        self.database: Storage = database.inner
        self.runtime = Runtime.create(
            self.database, ostium.clock, caches=caches, persistent_sessions=persistent
        )
        transport = httpx.ASGITransport(app=create_app(self.runtime), client=("127.0.0.1", 40001))
        self.http = httpx.AsyncClient(transport=transport, base_url=BASE)

    async def password_grant(self) -> httpx.Response:
        return await self.http.post(
            f"{OIDC}/token",
            data={
                "grant_type": "password",
                "username": "alice",
                "password": "wonderland",
                "scope": "openid",
            },
            auth=("app", SECRET),
        )

    async def refresh(self, tokens: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"{OIDC}/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=("app", SECRET),
        )

    async def userinfo(self, tokens: dict[str, Any]) -> httpx.Response:
        return await self.http.get(f"{OIDC}/userinfo", headers=bearer(tokens["access_token"]))

    async def close(self) -> None:
        await self.http.aclose()
        await self.runtime.caches.close()


@pytest.fixture
async def redis_caches() -> AsyncIterator[Any]:
    """Makes Caches on the test Redis, all under one namespace (one cluster)."""
    host, port = redis_address()
    prefix = namespace()
    made: list[Caches] = []

    async def make() -> Caches:
        caches = Caches.build(redis=Redis(host=host, port=port), namespace=prefix)
        await caches.start()
        made.append(caches)
        return caches

    yield make
    for caches in made:
        await caches.close()


async def test_persistent_sessions_survive_a_restart(ostium: OstiumUnderTest) -> None:
    first = Node(ostium, Caches.build(), persistent=True)
    tokens = (await first.password_grant()).json()
    assert (await first.userinfo(tokens)).status_code == 200
    await first.close()
    restarted = Node(ostium, Caches.build(), persistent=True)  # empty caches
    try:
        assert (await restarted.userinfo(tokens)).status_code == 200
        assert (await restarted.refresh(tokens)).status_code == 200
        sessions = restarted.runtime.caches["sessions"].stats
        assert sessions.misses >= 1 and sessions.hits >= 1  # loaded lazily, then cached
    finally:
        await restarted.close()


async def test_cache_only_sessions_are_lost_with_a_local_cache(ostium: OstiumUnderTest) -> None:
    first = Node(ostium, Caches.build(), persistent=False)
    tokens = (await first.password_grant()).json()
    assert (await first.refresh(tokens)).status_code == 200
    async with first.database.transaction() as repos:
        assert await repos.sessions.list_for_user(tokens_user(tokens)) == []  # never written
    await first.close()
    restarted = Node(ostium, Caches.build(), persistent=False)
    try:
        refresh = await restarted.refresh(tokens)
        assert refresh.status_code == 400
        assert refresh.json()["error_description"] == "Session not active"
    finally:
        await restarted.close()


async def test_cache_only_sessions_live_in_redis_across_restarts(
    ostium: OstiumUnderTest, redis_caches: Any
) -> None:
    first = Node(ostium, await redis_caches(), persistent=False)
    tokens = (await first.password_grant()).json()
    await first.close()
    restarted = Node(ostium, await redis_caches(), persistent=False)
    try:
        assert (await restarted.refresh(tokens)).status_code == 200
        async with restarted.database.transaction() as repos:
            assert await repos.sessions.list_for_user(tokens_user(tokens)) == []
        # The admin API lists them from the cache's indexes.
        headers = bearer(await master_admin_token(ostium))
        listed = await restarted.http.get(
            f"{ADMIN}/test/users/{tokens_user(tokens)}/sessions", headers=headers
        )
        assert [s["id"] for s in listed.json()] == [tokens["session_state"]]
        logout = await restarted.http.post(
            f"{ADMIN}/test/users/{tokens_user(tokens)}/logout", headers=headers
        )
        assert logout.status_code == 204
        assert (await restarted.refresh(tokens)).status_code == 400
    finally:
        await restarted.close()


async def test_a_logout_on_one_node_ends_the_session_cached_on_another(
    ostium: OstiumUnderTest, redis_caches: Any
) -> None:
    one = Node(ostium, await redis_caches(), persistent=True)
    two = Node(ostium, await redis_caches(), persistent=True)
    try:
        tokens = (await one.password_grant()).json()
        assert (await two.userinfo(tokens)).status_code == 200  # now cached
        headers = bearer(await master_admin_token(ostium))
        user = tokens_user(tokens)
        assert (
            await one.http.post(f"{ADMIN}/test/users/{user}/logout", headers=headers)
        ).status_code == 204
        assert (await two.userinfo(tokens)).status_code == 401
        assert (await two.refresh(tokens)).status_code == 400
    finally:
        await one.close()
        await two.close()


async def test_a_client_change_on_one_node_is_seen_on_another(
    ostium: OstiumUnderTest, redis_caches: Any
) -> None:
    one = Node(ostium, await redis_caches(), persistent=True)
    two = Node(ostium, await redis_caches(), persistent=True)
    try:
        assert (await two.password_grant()).status_code == 200  # app is cached on two
        headers = bearer(await master_admin_token(ostium))
        app = (
            await one.http.get(f"{ADMIN}/test/clients", params={"clientId": "app"}, headers=headers)
        ).json()[0]
        disabled = await one.http.put(
            f"{ADMIN}/test/clients/{app['id']}", json={"enabled": False}, headers=headers
        )
        assert disabled.status_code == 204
        for _ in range(200):  # the invalidation travels through Redis pub/sub
            if (await two.password_grant()).status_code != 200:
                break
        refused = await two.password_grant()
        assert refused.status_code in (400, 401), refused.text
    finally:
        await one.close()
        await two.close()


def tokens_user(tokens: dict[str, Any]) -> str:
    return str(claims_of(tokens)["sub"])


async def test_a_role_granted_on_one_node_is_in_the_next_token_on_another(
    ostium: OstiumUnderTest, redis_caches: Any
) -> None:
    one = Node(ostium, await redis_caches(), persistent=True)
    two = Node(ostium, await redis_caches(), persistent=True)
    try:
        before = await two.password_grant()  # two caches alice's roles (authorization)
        assert "auditor" not in claims_of(before.json())["realm_access"]["roles"]
        assert two.runtime.caches.local["authorization"].misses > 0
        headers = bearer(await master_admin_token(ostium))
        assert (
            await one.http.post(f"{ADMIN}/test/roles", json={"name": "auditor"}, headers=headers)
        ).status_code == 201
        role = (await one.http.get(f"{ADMIN}/test/roles/auditor", headers=headers)).json()
        user = tokens_user(before.json())
        granted = await one.http.post(
            f"{ADMIN}/test/users/{user}/role-mappings/realm", json=[role], headers=headers
        )
        assert granted.status_code == 204
        for _ in range(200):  # the invalidation travels through Redis pub/sub
            roles = claims_of((await two.password_grant()).json())["realm_access"]["roles"]
            if "auditor" in roles:
                break
        assert "auditor" in roles
    finally:
        await one.close()
        await two.close()


def claims_of(tokens: dict[str, Any]) -> dict[str, Any]:
    part = tokens["access_token"].split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))
