"""Back-channel (OIDC Back-Channel Logout 1.0) and front-channel (OIDC Front-Channel Logout
1.0) logout, whichever way the session ends. The RP's back-channel endpoint is a real
HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from ostium.services.backchannel import BackchannelLogout
from ostium.services.logout import end_expired_sessions
from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.flows.test_logout import logged_in
from tests.flows.test_session_persistence import tokens_user
from tests.support import ISSUER, OIDC, OstiumUnderTest, query_of

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class Receiver:
    """An RP's back-channel logout endpoint: records every POST, answers `status`."""

    url: str = ""
    status: int = 200
    received: list[dict[str, list[str]]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            state.received.append(parse_qs(body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/backchannel"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


async def configure(ostium: OstiumUnderTest, client_id: str, **attributes: str) -> None:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        client = await repos.clients.get_by_client_id(realm.id, client_id)
        assert client is not None
        client.attributes.update(attributes)
        await repos.clients.update(client)


async def logout_token_claims(ostium: OstiumUnderTest, token: str) -> dict[str, Any]:
    """Verified against the realm's published JWKS, as an RP does."""
    certs = (await ostium.client.get(f"{OIDC}/certs")).json()
    header = jws.extract_compact(token.encode()).headers()
    verified = jws.deserialize_compact(token, KeySet.import_key_set(certs))
    assert header["typ"] == "logout+jwt"
    return dict(json.loads(verified.payload))


async def delivered(ostium: OstiumUnderTest, receiver: Receiver) -> list[dict[str, Any]]:
    await ostium.runtime.backchannel.drain()
    return [await logout_token_claims(ostium, r["logout_token"][0]) for r in receiver.received]


async def test_rp_initiated_logout_posts_a_signed_logout_token(
    ostium: OstiumUnderTest, receiver: Receiver
) -> None:
    await configure(ostium, "app", **{"backchannel.logout.url": receiver.url})
    browser, tokens = await logged_in(ostium)
    logout = await browser.http.get(
        f"{OIDC}/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://localhost:3000/bye",
        },
    )
    assert logout.status_code == 302
    [claims] = await delivered(ostium, receiver)
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "app"
    assert claims["sid"] == tokens["session_state"]
    assert claims["sub"] == tokens_user(tokens)
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}
    assert claims["jti"] and claims["iat"] <= claims["exp"]
    assert "nonce" not in claims


async def test_every_way_a_session_ends_reaches_the_back_channel(
    ostium: OstiumUnderTest, receiver: Receiver
) -> None:
    await configure(ostium, "app", **{"backchannel.logout.url": receiver.url})
    headers = bearer(await master_admin_token(ostium))
    ended: list[str] = []

    # Admin sign-out of the user.
    _, tokens = await logged_in(ostium)
    user = tokens_user(tokens)
    await ostium.client.post(f"{ADMIN}/test/users/{user}/logout", headers=headers)
    ended.append(tokens["session_state"])
    # Admin deletes one session.
    _, tokens = await logged_in(ostium)
    await ostium.client.delete(f"{ADMIN}/test/sessions/{tokens['session_state']}", headers=headers)
    ended.append(tokens["session_state"])
    # logout-all.
    _, tokens = await logged_in(ostium)
    await ostium.client.post(f"{ADMIN}/test/logout-all", headers=headers)
    ended.append(tokens["session_state"])
    # The refresh-token logout of non-browser clients.
    ostium.clock.advance(1)
    tokens = (await ostium.password_grant()).json()
    await ostium.client.post(
        f"{OIDC}/logout",
        data={"refresh_token": tokens["refresh_token"]},
        auth=("app", "s3cr3t-app"),
    )
    ended.append(tokens["session_state"])
    # Expiry: idle past the realm's SSO idle timeout, found by the sweep.
    tokens = (await ostium.password_grant()).json()
    ostium.clock.advance(1801)
    swept = await end_expired_sessions(
        ostium.runtime.storage, ostium.clock.now(), ostium.runtime.backchannel.notify
    )
    assert swept == 2  # alice's, and the admin's in master, idle as long
    ended.append(tokens["session_state"])

    assert [c["sid"] for c in await delivered(ostium, receiver)] == ended


async def test_a_failing_rp_never_fails_the_logout_and_is_an_event(
    ostium: OstiumUnderTest, receiver: Receiver
) -> None:
    receiver.status = 503
    ostium.runtime.backchannel = BackchannelLogout(
        ostium.runtime.realm_keys, ostium.events, ostium.clock, attempts=3, first_delay=0.01
    )
    await configure(ostium, "app", **{"backchannel.logout.url": receiver.url})
    browser, tokens = await logged_in(ostium)
    logout = await browser.http.get(f"{OIDC}/logout", params={"id_token_hint": tokens["id_token"]})
    assert logout.status_code == 200  # the logged-out page, at once
    await ostium.runtime.backchannel.drain()
    assert len(receiver.received) == 3  # retried with backoff
    [failure] = [e for e in ostium.events.recent if e.type == "LOGOUT_ERROR"]
    assert failure.error == "backchannel_logout_failed"
    assert failure.details == {"url": receiver.url, "reason": "HTTP 503"}
    after = await browser.authorize(prompt="none")
    assert query_of(after.headers["location"])["error"] == "login_required"


async def test_without_session_required_the_token_names_the_user_only(
    ostium: OstiumUnderTest, receiver: Receiver
) -> None:
    await configure(
        ostium,
        "app",
        **{"backchannel.logout.url": receiver.url, "backchannel.logout.session.required": "false"},
    )
    browser, tokens = await logged_in(ostium)
    await browser.http.get(f"{OIDC}/logout", params={"id_token_hint": tokens["id_token"]})
    [claims] = await delivered(ostium, receiver)
    assert "sid" not in claims and claims["sub"] == tokens_user(tokens)


async def test_clients_without_a_back_channel_are_not_called(
    ostium: OstiumUnderTest, receiver: Receiver
) -> None:
    browser, tokens = await logged_in(ostium)
    await browser.http.get(f"{OIDC}/logout", params={"id_token_hint": tokens["id_token"]})
    assert await delivered(ostium, receiver) == []


async def test_front_channel_logout_frames_each_rp_then_continues(ostium: OstiumUnderTest) -> None:
    await configure(ostium, "app", **{"frontchannel.logout.url": "http://localhost:3000/fc?x=1"})
    browser, tokens = await logged_in(ostium)
    page = await browser.http.get(
        f"{OIDC}/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://localhost:3000/bye",
            "state": "s-9",
        },
    )
    assert page.status_code == 200
    frame = page.text.split('<iframe class="frontchannel" src="', 1)[1].split('"', 1)[0]
    query = query_of(frame.replace("&amp;", "&"))
    assert frame.startswith("http://localhost:3000/fc?")
    assert query == {"x": "1", "iss": ISSUER, "sid": tokens["session_state"]}
    assert 'href="http://localhost:3000/bye?state=s-9"' in page.text
    assert "frame-src 'self' http://localhost:3000;" in page.headers["content-security-policy"]
    cookies = " ".join(page.headers.get_list("set-cookie"))
    assert "KEYCLOAK_IDENTITY=" in cookies and "Max-Age=0" in cookies
    assert urlsplit(frame).netloc == "localhost:3000"
    after = await browser.authorize(prompt="none")
    assert query_of(after.headers["location"])["error"] == "login_required"


async def test_discovery_announces_both_channels(ostium: OstiumUnderTest) -> None:
    document = (await ostium.client.get(f"{ISSUER}/.well-known/openid-configuration")).json()
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True
    assert document["frontchannel_logout_supported"] is True
    assert document["frontchannel_logout_session_supported"] is True
