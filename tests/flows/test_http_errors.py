"""Unknown paths and wrong methods answer as Keycloak, on every path: API clients get
`{"error": "HTTP 404 Not Found"}` / `{"error": "HTTP 405 Method Not Allowed"}`, browsers
the themed error page. In-process."""

from __future__ import annotations

import pytest

from tests.admin.test_admin_http import bearer, master_admin_token
from tests.support import BASE, OstiumUnderTest

NOT_FOUND = {"error": "HTTP 404 Not Found"}
NOT_ALLOWED = {"error": "HTTP 405 Method Not Allowed"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
OIDC = f"{BASE}/realms/test/protocol/openid-connect"

UNKNOWN_PATHS = [
    f"{BASE}/nope",
    f"{BASE}/realms/test/nope",
    f"{OIDC}/nope",
    f"{BASE}/admin/nope",
    f"{BASE}/admin/realms/test/nope/deeper",
]
WRONG_METHODS = [
    ("DELETE", f"{OIDC}/token"),
    ("PUT", f"{OIDC}/certs"),
    ("POST", f"{BASE}/realms/test/.well-known/openid-configuration"),
    ("POST", f"{BASE}/admin/openapi.json"),
]


@pytest.mark.parametrize("url", UNKNOWN_PATHS)
async def test_unknown_path_is_keycloaks_404(ostium: OstiumUnderTest, url: str) -> None:
    for accept in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        response = await ostium.client.get(url, headers=accept)
        assert response.status_code == 404, (url, response.text)
        assert response.json() == NOT_FOUND
        assert "detail" not in response.text


@pytest.mark.parametrize(("method", "url"), WRONG_METHODS)
async def test_wrong_method_is_keycloaks_405(
    ostium: OstiumUnderTest, method: str, url: str
) -> None:
    response = await ostium.client.request(method, url)
    assert response.status_code == 405, (url, response.text)
    assert response.json() == NOT_ALLOWED
    assert response.headers["allow"]


async def test_unknown_admin_path_with_a_token_is_404_too(ostium: OstiumUnderTest) -> None:
    headers = bearer(await master_admin_token(ostium))
    response = await ostium.client.get(f"{BASE}/admin/realms/test/nope", headers=headers)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    wrong = await ostium.client.patch(f"{BASE}/admin/realms/test/users", headers=headers)
    assert wrong.status_code == 405
    assert wrong.json() == NOT_ALLOWED


@pytest.mark.parametrize("url", [UNKNOWN_PATHS[0], UNKNOWN_PATHS[1], UNKNOWN_PATHS[3]])
async def test_a_browser_gets_the_error_page_for_404(ostium: OstiumUnderTest, url: str) -> None:
    response = await ostium.client.get(url, headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="kc-error-message"' in response.text
    assert "Page not found" in response.text


@pytest.mark.parametrize(("method", "url"), WRONG_METHODS)
async def test_a_browser_gets_the_error_page_for_405(
    ostium: OstiumUnderTest, method: str, url: str
) -> None:
    response = await ostium.client.request(method, url, headers=HTML)
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "Method not allowed" in response.text
    assert response.headers["allow"]


async def test_the_error_page_speaks_the_master_realms_languages(
    ostium: OstiumUnderTest,
) -> None:
    # Outside a realm the master realm's settings decide, as Keycloak's error handler's:
    # with internationalization off (the default), English whatever the browser asks.
    german = {**HTML, "Accept-Language": "de"}
    response = await ostium.client.get(f"{BASE}/nope", headers=german)
    assert response.status_code == 404
    assert 'lang="en"' in response.text
    assert "Page not found" in response.text
    async with ostium.storage.transaction() as repos:
        master = await repos.realms.get_by_name("master")
        assert master is not None
        master.internationalization_enabled = True
        master.supported_locales = ["en", "de"]
        await repos.realms.update(master)
    response = await ostium.client.get(f"{BASE}/nope", headers=german)
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.text
    # Under a realm's path, that realm's settings (the test realm's: off).
    response = await ostium.client.get(f"{BASE}/realms/test/nope", headers=german)
    assert 'lang="en"' in response.text


async def test_html_refused_with_q_0_is_not_a_browser(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(
        f"{BASE}/nope", headers={"Accept": "text/html;q=0.0, application/json"}
    )
    assert response.json() == NOT_FOUND


async def test_existing_routes_still_answer(ostium: OstiumUnderTest) -> None:
    assert (await ostium.client.get(f"{BASE}/admin/openapi.json")).status_code == 200
    discovery = await ostium.client.get(f"{BASE}/realms/test/.well-known/openid-configuration")
    assert discovery.status_code == 200
