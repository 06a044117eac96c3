"""Delivering back-channel logouts (OIDC Back-Channel Logout 1.0 §2.5).

A logout never waits for, and never fails because of, a client: tokens are POSTed in the
background, retried with exponential backoff, and a delivery that still fails is an
event (`LOGOUT_ERROR`, error `backchannel_logout_failed`), as the seed's operators need
to see it instead of guessing why an RP kept its session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx

from ostium.clock import Clock
from ostium.domain import Client, Realm, RealmKey
from ostium.events import Event, EventLog
from ostium.keys import active_key
from ostium.keys.jwt import sign
from ostium.protocol.logout_token import LOGOUT_TOKEN_TYP, logout_token_claims
from ostium.services.logout import EndedSession

__all__ = ["BackchannelLogout"]

_log = logging.getLogger("ostium.logout")

KeysOf = Callable[[Realm], Awaitable[list[RealmKey]]]


class BackchannelLogout:
    def __init__(
        self,
        keys_of: KeysOf,
        events: EventLog,
        clock: Clock,
        *,
        attempts: int = 5,
        first_delay: float = 0.5,
        timeout: float = 5.0,
    ) -> None:
        self._keys_of = keys_of
        self._events = events
        self._clock = clock
        self._attempts = attempts
        self._first_delay = first_delay
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._pending: set[asyncio.Task[None]] = set()

    async def notify(self, realm: Realm, ended: list[EndedSession]) -> None:
        """Starts a delivery per client with a `backchannel.logout.url` in each session."""
        keys: list[RealmKey] | None = None
        for item in ended:
            issuer = item.session.notes.get("iss")
            for client in item.clients:
                url = client.backchannel_logout_url
                if url is None:
                    continue
                if issuer is None:
                    self._failed(realm, client, item, url, "the session has no issuer recorded")
                    continue
                keys = keys if keys is not None else await self._keys_of(realm)
                token = self._token(realm, keys, client, item, issuer)
                if token is None:
                    self._failed(realm, client, item, url, "no active signing key")
                    continue
                task = asyncio.create_task(self._deliver(realm, client, item, url, token))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

    def _token(
        self, realm: Realm, keys: list[RealmKey], client: Client, item: EndedSession, issuer: str
    ) -> str | None:
        algorithm = (
            client.attributes.get("id.token.signed.response.alg")
            or realm.default_signature_algorithm
            or "RS256"
        )
        key = active_key(keys, algorithm)
        if key is None:
            return None
        claims = logout_token_claims(
            issuer=issuer,
            client=client,
            user_id=item.session.user_id,
            session_id=item.session.id,
            now=self._clock.now(),
        )
        return sign(claims, key, typ=LOGOUT_TOKEN_TYP)

    async def _deliver(
        self, realm: Realm, client: Client, item: EndedSession, url: str, token: str
    ) -> None:
        delay = self._first_delay
        problem = ""
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._http.post(url, data={"logout_token": token})
                if 200 <= response.status_code < 300:
                    return
                problem = f"HTTP {response.status_code}"
                if 400 <= response.status_code < 500 and response.status_code != 429:
                    break  # §2.8: the RP refused the token; sending it again changes nothing
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            if attempt < self._attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self._failed(realm, client, item, url, problem)

    def _failed(
        self, realm: Realm, client: Client, item: EndedSession, url: str, problem: str
    ) -> None:
        _log.warning(
            "Back-channel logout to %s for client %s failed: %s", url, client.client_id, problem
        )
        self._events.record(
            Event(
                "LOGOUT_ERROR",
                realm.id,
                self._clock.now(),
                client_id=client.client_id,
                user_id=item.session.user_id,
                session_id=item.session.id,
                error="backchannel_logout_failed",
                details={"url": url, "reason": problem},
                realm_name=realm.name,
            )
        )

    async def drain(self) -> None:
        """Waits for the deliveries under way (tests; a graceful shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._http.aclose()
