"""Behind a reverse proxy: `--proxy-headers` and `--proxy-trusted-addresses` over HTTP.

The app is the real one with the proxy middleware; the peer address is the proxy's (what the
server's socket sees), and the forwarding headers are what the proxy would add.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
import pytest

from ostium.app import create_app
from ostium.web.forwarded import HeaderMode, ProxyTrust
from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.flows.test_brute_force import alice_id, protect
from tests.support import CALLBACK, SECRET, OstiumUnderTest, form_of, query_of

# What the proxy connects to: Ostium's own address, never what the browser typed.
UPSTREAM = "http://ostium:8080"
PUBLIC = "https://id.example.com"
PROXY_PEER = "10.0.0.5"
CLIENT_IP = "203.0.113.7"
XFORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "id.example.com",
    "X-Forwarded-For": f"{CLIENT_IP}, 10.0.0.9",
}
FORWARDED = {"Forwarded": f'for={CLIENT_IP};proto=https;host="id.example.com", for=10.0.0.9'}


@asynccontextmanager
async def behind(
    ostium: OstiumUnderTest,
    mode: HeaderMode = "xforwarded",
    trusted: tuple[str, ...] = ("10.0.0.0/8",),
    peer: str = PROXY_PEER,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ostium.runtime, proxy=ProxyTrust.of(mode, trusted))
    transport = httpx.ASGITransport(app=app, client=(peer, 40001))
    async with httpx.AsyncClient(transport=transport, base_url=UPSTREAM) as http:
        yield http


async def issuer(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await http.get("/realms/test/.well-known/openid-configuration", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["issuer"])


async def password_login(http: httpx.AsyncClient, headers: dict[str, str], **form: str) -> int:
    """A direct grant; a wrong password leaves a LOGIN_ERROR event with the address."""
    response = await http.post(
        "/realms/test/protocol/openid-connect/token",
        data={"grant_type": "password", "username": "alice", "password": "wonderland", **form},
        auth=("app", SECRET),
        headers=headers,
    )
    return response.status_code


def last_event(ostium: OstiumUnderTest, kind: str) -> str | None:
    return [e for e in ostium.events.recent if e.type == kind][-1].ip_address


# --- ignored: untrusted peer, the other header family, malformed --------------------------


async def test_from_an_untrusted_peer_the_headers_change_nothing(ostium: OstiumUnderTest) -> None:
    async with behind(ostium, trusted=("10.0.0.0/8",), peer="192.0.2.99") as http:
        assert await issuer(http, XFORWARDED) == f"{UPSTREAM}/realms/test"
        assert await password_login(http, XFORWARDED, password="wrong") == 401
    assert last_event(ostium, "LOGIN_ERROR") == "192.0.2.99"


async def test_without_proxy_headers_nothing_is_forwarded(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(
        "/realms/test/.well-known/openid-configuration", headers={**XFORWARDED, **FORWARDED}
    )
    assert response.json()["issuer"] == "http://localhost:8080/realms/test"


async def test_forwarded_mode_ignores_x_forwarded_and_the_reverse(ostium: OstiumUnderTest) -> None:
    async with behind(ostium, "forwarded") as http:
        assert await issuer(http, XFORWARDED) == f"{UPSTREAM}/realms/test"
        assert await issuer(http, FORWARDED) == f"{PUBLIC}/realms/test"
    async with behind(ostium, "xforwarded") as http:
        assert await issuer(http, FORWARDED) == f"{UPSTREAM}/realms/test"
        assert await issuer(http, XFORWARDED) == f"{PUBLIC}/realms/test"


@pytest.mark.parametrize(
    ("mode", "headers"),
    [
        ("xforwarded", {**XFORWARDED, "X-Forwarded-Proto": "javascript"}),
        ("xforwarded", {**XFORWARDED, "X-Forwarded-Port": "99999"}),
        ("xforwarded", {**XFORWARDED, "X-Forwarded-For": "<script>"}),
        ("xforwarded", {**XFORWARDED, "X-Forwarded-Host": "evil.example.com/path"}),
        ("xforwarded", {**XFORWARDED, "X-Forwarded-For": "10.0.0.1," * 2000}),
        ("forwarded", {"Forwarded": 'for=203.0.113.7;proto=https;host="a,b"'}),
        ("forwarded", {"Forwarded": "for=203.0.113.7;for=198.51.100.1;proto=https"}),
        ("forwarded", {"Forwarded": 'proto=https;for="[2001:db8::1'}),
    ],
)
async def test_a_malformed_header_is_ignored_whole_with_one_warning(
    ostium: OstiumUnderTest,
    caplog: pytest.LogCaptureFixture,
    mode: HeaderMode,
    headers: dict[str, str],
) -> None:
    async with behind(ostium, mode) as http:
        with caplog.at_level(logging.WARNING, logger="ostium.web.middleware.proxy_headers"):
            assert await issuer(http, headers) == f"{UPSTREAM}/realms/test"
            assert await password_login(http, headers, password="wrong") == 401
    assert last_event(ostium, "LOGIN_ERROR") == PROXY_PEER  # not even the valid parts applied
    warnings = [r for r in caplog.records if r.name == "ostium.web.middleware.proxy_headers"]
    assert len(warnings) == 2  # one per request
    assert PROXY_PEER in warnings[0].getMessage()


# --- applied: issuer, URLs, cookies, addresses --------------------------------------------


async def test_discovery_uses_the_forwarded_scheme_and_host(ostium: OstiumUnderTest) -> None:
    async with behind(ostium) as http:
        response = await http.get(
            "/realms/test/.well-known/openid-configuration", headers=XFORWARDED
        )
    doc = response.json()
    assert doc["issuer"] == f"{PUBLIC}/realms/test"
    assert doc["token_endpoint"] == f"{PUBLIC}/realms/test/protocol/openid-connect/token"
    assert doc["jwks_uri"] == f"{PUBLIC}/realms/test/protocol/openid-connect/certs"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Forwarded-Proto": "https"}, "https://ostium/realms/test"),
        ({"X-Forwarded-Host": "id.example.com:8443"}, "http://id.example.com:8443/realms/test"),
        (
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "id.example.com:443"},
            "https://id.example.com/realms/test",
        ),
        (
            {"X-Forwarded-Host": "id.example.com", "X-Forwarded-Port": "8443"},
            "http://id.example.com:8443/realms/test",
        ),
        ({"X-Forwarded-For": CLIENT_IP}, f"{UPSTREAM}/realms/test"),
    ],
)
async def test_x_forwarded_scheme_host_and_port_combine_as_in_keycloak(
    ostium: OstiumUnderTest, headers: dict[str, str], expected: str
) -> None:
    async with behind(ostium) as http:
        assert await issuer(http, headers) == expected


async def test_rfc_7239_forwarded_with_an_ipv6_client(ostium: OstiumUnderTest) -> None:
    headers = {"Forwarded": 'for="[2001:db8::17]:4711";proto=https;host=id.example.com'}
    async with behind(ostium, "forwarded", trusted=("::ffff:10.0.0.0/104", "10.0.0.0/8")) as http:
        assert await issuer(http, headers) == f"{PUBLIC}/realms/test"
        assert await password_login(http, headers, password="wrong") == 401
    assert last_event(ostium, "LOGIN_ERROR") == "2001:db8::17"


async def test_unset_trusted_addresses_trust_every_peer(ostium: OstiumUnderTest) -> None:
    async with behind(ostium, trusted=(), peer="198.51.100.200") as http:
        assert await issuer(http, XFORWARDED) == f"{PUBLIC}/realms/test"


async def test_browser_login_through_the_proxy(ostium: OstiumUnderTest) -> None:
    """The login form posts to the public URL, the redirect's `iss` is the public issuer,
    the cookies are Secure, and the event and the session carry the browser's address."""
    async with behind(ostium) as http:
        page = await http.get(
            "/realms/test/protocol/openid-connect/auth",
            params={
                "response_type": "code",
                "client_id": "app",
                "redirect_uri": CALLBACK,
                "scope": "openid",
            },
            headers=XFORWARDED,
        )
        assert page.status_code == 200, page.text
        action, hidden = form_of(page.text)
        assert action.startswith(f"{PUBLIC}/realms/test/login-actions/")
        cookies = page.headers.get_list("set-cookie")
        assert cookies and all("; Secure" in c for c in cookies), cookies
        # The browser sends its cookies to the public host; the proxy passes them on.
        jar = "; ".join(c.split(";", 1)[0] for c in cookies)
        parts = urlsplit(action)
        done = await http.post(
            f"{parts.path}?{parts.query}",
            data={**hidden, "username": "alice", "password": "wonderland"},
            headers={**XFORWARDED, "Cookie": jar},
        )
    assert done.status_code == 302, done.text
    callback = query_of(done.headers["location"])
    assert callback["iss"] == f"{PUBLIC}/realms/test"
    assert all("; Secure" in c for c in done.headers.get_list("set-cookie"))
    assert last_event(ostium, "LOGIN") == CLIENT_IP

    headers = bearer(await master_admin_token(ostium))
    user = await alice_id(ostium, headers)
    sessions = await ostium.client.get(f"{ADMIN}/test/users/{user}/sessions", headers=headers)
    assert [s["ipAddress"] for s in sessions.json()] == [CLIENT_IP]


async def test_brute_force_records_the_forwarded_address(ostium: OstiumUnderTest) -> None:
    headers = await protect(ostium)
    async with behind(ostium) as http:
        assert await password_login(http, XFORWARDED, password="wrong") == 401
    assert last_event(ostium, "LOGIN_ERROR") == CLIENT_IP
    user = await alice_id(ostium, headers)
    status = await ostium.client.get(
        f"{ADMIN}/test/attack-detection/brute-force/users/{user}", headers=headers
    )
    assert status.json()["lastIPFailure"] == CLIENT_IP
