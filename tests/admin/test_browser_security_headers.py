"""`browserSecurityHeaders` in the realm representation: refused when it cannot be a
header, Keycloak's defaults for a new realm, and the same map through GET → PUT → GET
and export → import."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.helpers import ADMIN, TEST, admin_headers
from tests.support import BASE, OstiumUnderTest

KEYCLOAK_DEFAULTS = {
    "contentSecurityPolicy": "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
    "contentSecurityPolicyReportOnly": "",
    "xFrameOptions": "SAMEORIGIN",
    "xContentTypeOptions": "nosniff",
    "xRobotsTag": "none",
    "referrerPolicy": "no-referrer",
    "strictTransportSecurity": "max-age=31536000; includeSubDomains",
}


@pytest.mark.parametrize(
    "headers",
    [
        {"xFrameOptions": "DENY\r\nSet-Cookie: KEYCLOAK_IDENTITY=x"},
        {"xFrameOptions": "DENY\n"},
        {"contentSecurityPolicy": "default-src \u0000"},
        {"referrerPolicy": "\u2603"},
        {"xFrameOptions": 1},
        {"xFrameOptions": ["DENY"]},
        {"xPoweredBy": "Ostium"},
        "DENY",
        ["DENY"],
    ],
)
async def test_a_value_that_cannot_be_a_header_is_refused_and_nothing_changes(
    ostium: OstiumUnderTest, headers: Any
) -> None:
    admin = await admin_headers(ostium)
    response = await ostium.client.put(
        TEST, json={"browserSecurityHeaders": headers, "displayName": "changed"}, headers=admin
    )
    assert response.status_code == 400
    assert "browserSecurityHeaders" in response.json()["errorMessage"]
    realm = (await ostium.client.get(TEST, headers=admin)).json()
    assert realm["browserSecurityHeaders"] == KEYCLOAK_DEFAULTS
    assert realm.get("displayName") != "changed"
    page = await ostium.browser().authorize()
    assert page.headers["x-frame-options"] == "SAMEORIGIN"


async def test_a_new_realm_has_keycloaks_defaults(ostium: OstiumUnderTest) -> None:
    admin = await admin_headers(ostium)
    created = await ostium.client.post(ADMIN, json={"realm": "fresh"}, headers=admin)
    assert created.status_code == 201
    realm = (await ostium.client.get(f"{ADMIN}/fresh", headers=admin)).json()
    assert realm["browserSecurityHeaders"] == KEYCLOAK_DEFAULTS


async def test_get_put_get_keeps_the_map(ostium: OstiumUnderTest) -> None:
    admin = await admin_headers(ostium)
    before = (await ostium.client.get(TEST, headers=admin)).json()
    headers = {**before["browserSecurityHeaders"], "xFrameOptions": "DENY", "xRobotsTag": ""}
    put = await ostium.client.put(
        TEST, json={**before, "browserSecurityHeaders": headers}, headers=admin
    )
    assert put.status_code == 204
    after = (await ostium.client.get(TEST, headers=admin)).json()
    assert after["browserSecurityHeaders"] == headers
    again = await ostium.client.put(TEST, json=after, headers=admin)
    assert again.status_code == 204
    assert (await ostium.client.get(TEST, headers=admin)).json() == after


async def test_a_setting_left_out_falls_back_to_its_default(ostium: OstiumUnderTest) -> None:
    """Keycloak replaces the whole map; what the map leaves out is sent with its default."""
    admin = await admin_headers(ostium)
    first = {"browserSecurityHeaders": {"xFrameOptions": "DENY", "referrerPolicy": "origin"}}
    assert (await ostium.client.put(TEST, json=first, headers=admin)).status_code == 204
    second = {"browserSecurityHeaders": {"referrerPolicy": "same-origin"}}
    assert (await ostium.client.put(TEST, json=second, headers=admin)).status_code == 204
    realm = (await ostium.client.get(TEST, headers=admin)).json()
    assert realm["browserSecurityHeaders"] == {
        **KEYCLOAK_DEFAULTS,
        "referrerPolicy": "same-origin",
    }
    unrelated = await ostium.client.put(TEST, json={"displayName": "Test"}, headers=admin)
    assert unrelated.status_code == 204
    realm = (await ostium.client.get(TEST, headers=admin)).json()
    assert realm["browserSecurityHeaders"]["referrerPolicy"] == "same-origin"


async def test_export_then_import_keeps_the_headers(ostium: OstiumUnderTest) -> None:
    admin = await admin_headers(ostium)
    custom = {**KEYCLOAK_DEFAULTS, "xFrameOptions": "DENY", "strictTransportSecurity": ""}
    put = await ostium.client.put(TEST, json={"browserSecurityHeaders": custom}, headers=admin)
    assert put.status_code == 204
    exported = (await ostium.client.post(f"{TEST}/partial-export", headers=admin)).json()
    assert exported["browserSecurityHeaders"] == custom
    assert (await ostium.client.delete(TEST, headers=admin)).status_code == 204
    created = await ostium.client.post(ADMIN, json=exported, headers=admin)
    assert created.status_code == 201, created.text
    imported = (await ostium.client.get(TEST, headers=admin)).json()
    assert imported["browserSecurityHeaders"] == custom
    discovery = await ostium.client.get(f"{BASE}/realms/test/.well-known/openid-configuration")
    assert discovery.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in discovery.headers


async def test_an_older_keycloak_export_imports_with_its_legacy_header(
    ostium: OstiumUnderTest,
) -> None:
    """Keycloak before 26 exported `xXSSProtection`; it is accepted, and no longer sent."""
    admin = await admin_headers(ostium)
    legacy = {**KEYCLOAK_DEFAULTS, "xXSSProtection": "1; mode=block", "xFrameOptions": "DENY"}
    created = await ostium.client.post(
        ADMIN, json={"realm": "old", "browserSecurityHeaders": legacy}, headers=admin
    )
    assert created.status_code == 201, created.text
    realm = (await ostium.client.get(f"{ADMIN}/old", headers=admin)).json()
    assert realm["browserSecurityHeaders"] == {**KEYCLOAK_DEFAULTS, "xFrameOptions": "DENY"}
    discovery = await ostium.client.get(f"{BASE}/realms/old/.well-known/openid-configuration")
    assert "x-xss-protection" not in discovery.headers
    assert discovery.headers["x-frame-options"] == "DENY"
