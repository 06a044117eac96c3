"""Browser security headers: the realm's `browserSecurityHeaders`, per kind of response,
as Keycloak's DefaultSecurityHeadersProvider sends them."""

from __future__ import annotations

import httpx

from tests.admin.helpers import TEST, admin_headers
from tests.support import BASE, OIDC, OstiumUnderTest

HSTS = "max-age=31536000; includeSubDomains"
KEYCLOAK_CSP = "frame-src 'self'; frame-ancestors 'self'; object-src 'none';"


def _lower(response: httpx.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items()}


async def test_other_responses_carry_no_frame_or_content_policy(ostium: OstiumUnderTest) -> None:
    """Scripts, styles, redirects: HSTS, nosniff, the referrer policy, the robots tag."""
    style = await ostium.client.get(f"{BASE}/resources/ostium/ostium.css")
    assert style.status_code == 200
    headers = _lower(style)
    assert "content-security-policy" not in headers
    assert "x-frame-options" not in headers
    assert headers["strict-transport-security"] == HSTS
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-robots-tag"] == "none"


async def test_rest_responses_add_frame_options_but_no_content_policy(
    ostium: OstiumUnderTest,
) -> None:
    for url in (f"{BASE}/realms/test/.well-known/openid-configuration", f"{OIDC}/certs"):
        response = await ostium.client.get(url)
        assert response.status_code == 200
        headers = _lower(response)
        assert "content-security-policy" not in headers, url
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["strict-transport-security"] == HSTS
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-robots-tag"] == "none"
    token_error = await ostium.client.post(f"{OIDC}/token", data={"grant_type": "password"})
    assert token_error.status_code == 401  # a form in, JSON out: REST
    assert "content-security-policy" not in _lower(token_error)


async def test_pages_carry_every_header_and_their_own_script_policy(
    ostium: OstiumUnderTest,
) -> None:
    page = await ostium.browser().authorize()
    assert page.status_code == 200
    headers = _lower(page)
    csp = headers["content-security-policy"]
    assert csp.startswith(KEYCLOAK_CSP)
    assert "script-src 'nonce-" in csp and "default-src 'self';" in csp
    assert "content-security-policy-report-only" not in headers  # Keycloak's default: ""
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["strict-transport-security"] == HSTS
    assert headers["x-robots-tag"] == "none"
    assert headers["referrer-policy"] == "no-referrer"


async def test_a_realm_sets_its_own_headers_and_no_other_realm_gets_them(
    ostium: OstiumUnderTest,
) -> None:
    admin = await admin_headers(ostium)
    custom = {
        "xFrameOptions": "DENY",
        "contentSecurityPolicy": "frame-ancestors 'none'; report-uri /csp",
        "contentSecurityPolicyReportOnly": "default-src 'self'",
        "xRobotsTag": "",
        "strictTransportSecurity": "max-age=60",
    }
    update = await ostium.client.put(TEST, json={"browserSecurityHeaders": custom}, headers=admin)
    assert update.status_code == 204
    page = _lower(await ostium.browser().authorize())
    assert page["x-frame-options"] == "DENY"
    assert page["content-security-policy"].startswith("frame-ancestors 'none'; report-uri /csp;")
    assert page["content-security-policy-report-only"] == "default-src 'self'"
    assert page["strict-transport-security"] == "max-age=60"
    assert "x-robots-tag" not in page  # an empty value sends nothing
    rest = _lower(await ostium.client.get(f"{TEST}/users", headers=admin))
    assert rest["x-frame-options"] == "DENY"  # the admin API of the realm too
    master = _lower(await ostium.client.get(f"{BASE}/realms/master"))
    assert master["x-frame-options"] == "SAMEORIGIN"
    assert master["strict-transport-security"] == HSTS
    elsewhere = _lower(await ostium.client.get(f"{BASE}/resources/ostium/ostium.css"))
    assert elsewhere["x-robots-tag"] == "none"  # no realm in the path: master's


async def test_framable_pages_keep_working_under_a_custom_policy(
    ostium: OstiumUnderTest,
) -> None:
    """Keycloak relaxes framing only while the realm keeps its default policy; Ostium
    writes the session iframe's and the cookie probe's framing into any policy."""
    admin = await admin_headers(ostium)
    custom = {"contentSecurityPolicy": "frame-ancestors 'self'; report-uri /csp;"}
    update = await ostium.client.put(TEST, json={"browserSecurityHeaders": custom}, headers=admin)
    assert update.status_code == 204
    iframe = _lower(await ostium.client.get(f"{OIDC}/login-status-iframe.html"))
    assert "x-frame-options" not in iframe
    assert iframe["content-security-policy"].startswith(
        "frame-ancestors 'self' http://localhost:3000 http://localhost:4000; report-uri /csp;"
    )
    probe = _lower(await ostium.client.get(f"{OIDC}/3p-cookies/step1.html"))
    assert "frame-ancestors *;" in probe["content-security-policy"]
    assert "x-frame-options" not in probe
    login = _lower(await ostium.browser().authorize())
    assert login["x-frame-options"] == "SAMEORIGIN"
    assert login["content-security-policy"].startswith("frame-ancestors 'self'; report-uri")
