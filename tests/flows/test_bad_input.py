"""Malformed input of every kind gets a clear 4xx, never a 500, and writes nothing."""

from __future__ import annotations

import itertools

from tests.support import BASE, OIDC, OstiumUnderTest

GARBAGE = [
    "",
    "%",
    "%zz",
    "\u0000",
    "a" * 20_000,
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "..%2f..%2f",
    "\U0001f600",
    "Basic",
    "eyJ.eyJ.sig",
]


async def test_no_endpoint_answers_garbage_with_a_500(ostium: OstiumUnderTest) -> None:
    paths = ["auth", "token", "userinfo", "token/introspect", "revoke", "logout", "certs"]
    names = [
        "client_id",
        "redirect_uri",
        "grant_type",
        "code",
        "token",
        "refresh_token",
        "id_token_hint",
        "scope",
    ]
    for path, name, value in itertools.product(paths, names, GARBAGE[:6]):
        for method in ("GET", "POST"):
            if method == "GET":
                response = await ostium.client.get(f"{OIDC}/{path}", params={name: value})
            else:
                response = await ostium.client.post(f"{OIDC}/{path}", data={name: value})
            assert response.status_code < 500, (method, path, name, value[:20], response.text[:200])


async def test_garbage_headers_and_bodies(ostium: OstiumUnderTest) -> None:
    for header in [*GARBAGE[1:], "Bearer", "Bearer a b c", "Basic Og==", "Basic " + "A" * 5000]:
        try:
            headers = {"Authorization": header}
            response = await ostium.client.post(
                f"{OIDC}/token", data={"grant_type": "client_credentials"}, headers=headers
            )
            userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=headers)
        except UnicodeEncodeError:
            continue  # not sendable as an HTTP header at all
        assert 400 <= response.status_code < 500, header[:30]
        assert 400 <= userinfo.status_code < 500, header[:30]
    for content_type in ("application/json", "text/plain", "multipart/form-data; boundary=x", ""):
        response = await ostium.client.post(
            f"{OIDC}/token",
            content=b'{"grant_type": "password"}',
            headers={"content-type": content_type},
        )
        assert response.status_code == 400


async def test_odd_realm_names(ostium: OstiumUnderTest) -> None:
    for name in ("%00", "..", "a" * 300, "%E2%80%AE", "master%2F..", "<x>"):
        response = await ostium.client.get(f"{BASE}/realms/{name}/.well-known/openid-configuration")
        assert 400 <= response.status_code < 500, name


async def test_failed_requests_write_nothing(ostium: OstiumUnderTest) -> None:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        before = len(await repos.sessions.list_for_realm(realm.id))
    for _ in range(3):
        await ostium.password_grant(password="wrong")
        await ostium.token({"grant_type": "authorization_code", "code": "x", "redirect_uri": "y"})
    async with ostium.storage.transaction() as repos:
        assert len(await repos.sessions.list_for_realm(realm.id)) == before


async def test_security_headers_on_pages(ostium: OstiumUnderTest) -> None:
    page = await ostium.browser().authorize()
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert "no-store" in page.headers["cache-control"]
