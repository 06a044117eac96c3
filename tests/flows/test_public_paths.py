"""The public paths a reverse proxy passes on besides `/realms/`: `/robots.txt` and the
RFC 8414 authorization-server metadata, at the realm and at the root, as Keycloak ≥ 26.4."""

from __future__ import annotations

from tests.support import BASE, ISSUER, OstiumUnderTest


async def test_root_metadata_for_an_unknown_realm_is_404(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{BASE}/.well-known/oauth-authorization-server/realms/nope")

    assert response.status_code == 404
    assert response.json()["error"] == "Realm does not exist"


async def test_openid_configuration_is_not_served_at_the_root(ostium: OstiumUnderTest) -> None:
    """Keycloak keeps OIDC discovery under the realm; only the OAuth name is inserted."""
    for path in (
        "/.well-known/openid-configuration/realms/test",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/realms",
        "/.well-known/oauth-authorization-server/realms/test/extra",
    ):
        assert (await ostium.client.get(f"{BASE}{path}")).status_code == 404, path


async def test_robots_txt_disallows_everything(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{BASE}/robots.txt")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "User-agent: *\nDisallow: /\n"


async def test_authorization_server_metadata_at_the_realm_and_the_root(
    ostium: OstiumUnderTest,
) -> None:
    """RFC 8414 §3 (under the realm) and §3.1 (suffix inserted before the issuer's path):
    one document, the same as OIDC discovery's, whose issuer is the realm (§3.3)."""
    discovery = (await ostium.client.get(f"{ISSUER}/.well-known/openid-configuration")).json()

    for url in (
        f"{ISSUER}/.well-known/oauth-authorization-server",
        f"{BASE}/.well-known/oauth-authorization-server/realms/test",
    ):
        response = await ostium.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == discovery
        assert response.json()["issuer"] == ISSUER
