"""Which headers a response gets, and how a page's framing enters the realm's policy."""

from __future__ import annotations

import pytest

from ostium.domain.browser_security_headers import DEFAULTS, ResponseKind, headers_for
from ostium.web.middleware.security_headers import (
    SecurityHeadersOptions,
    content_security_policy,
    realm_of_path,
    response_kind,
)


@pytest.mark.parametrize(
    ("path", "realm"),
    [
        ("/", None),
        ("/realms", None),
        ("/realms/", None),
        ("/resources/ostium/ostium.css", None),
        ("/admin/realms", None),
        ("/admin/master/console/", None),
        ("/xrealms/test/", None),
        ("/realms/test", "test"),
        ("/realms/test/protocol/openid-connect/auth", "test"),
        ("/admin/realms/test/users", "test"),
    ],
)
def test_the_realm_of_a_path(path: str, realm: str | None) -> None:
    assert realm_of_path(path) == realm


@pytest.mark.parametrize(
    ("response_type", "request_type", "kind"),
    [
        ("", "", ResponseKind.OTHER),
        ("text/css", "", ResponseKind.OTHER),
        ("text/plain", "application/json-patch", ResponseKind.OTHER),
        ("application/javascript", "", ResponseKind.OTHER),
        ("application/json", "", ResponseKind.REST),
        ("application/json; charset=utf-8", "application/x-www-form-urlencoded", ResponseKind.REST),
        ("application/jwk-set+json", "", ResponseKind.REST),
        ("application/xml", "", ResponseKind.REST),
        ("", "application/json", ResponseKind.REST),
        ("text/html; charset=utf-8", "", ResponseKind.HTML),
        ("", "application/x-www-form-urlencoded", ResponseKind.HTML),
    ],
)
def test_the_kind_of_a_response(response_type: str, request_type: str, kind: ResponseKind) -> None:
    assert response_kind(response_type, request_type) is kind


def test_each_kind_gets_keycloaks_set() -> None:
    assert set(headers_for(ResponseKind.OTHER, DEFAULTS)) == {
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Robots-Tag",
    }
    assert set(headers_for(ResponseKind.REST, DEFAULTS)) == {
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Robots-Tag",
        "X-Frame-Options",
    }
    html = headers_for(ResponseKind.HTML, DEFAULTS)
    assert "Content-Security-Policy-Report-Only" not in html  # empty by default: not sent
    assert html["Content-Security-Policy"] == DEFAULTS["contentSecurityPolicy"]
    assert headers_for(ResponseKind.HTML, {"xFrameOptions": ""}).get("X-Frame-Options") is None


def test_a_page_adds_its_framing_and_directives_to_the_realms_policy() -> None:
    realm = "frame-src 'self'; frame-ancestors 'self'; object-src 'none';"
    assert content_security_policy(realm, SecurityHeadersOptions()) == realm
    page = SecurityHeadersOptions(
        frame_src=["https://rp"],
        frame_ancestors=["'self'", "https://rp"],
        policy={"script-src": "'nonce-n'", "object-src": "*"},
    )
    assert content_security_policy(realm, page) == (
        "frame-src 'self' https://rp; frame-ancestors 'self' https://rp; object-src 'none'; "
        "script-src 'nonce-n';"
    )
    assert content_security_policy("", page) == (
        "frame-src 'self' https://rp; frame-ancestors 'self' https://rp; "
        "script-src 'nonce-n'; object-src *;"
    )
    assert content_security_policy("", SecurityHeadersOptions()) == ""
