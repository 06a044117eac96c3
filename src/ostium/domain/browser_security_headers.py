"""A realm's browser security headers (Keycloak's `browserSecurityHeaders`): the realm
setting names, the headers they fill, Keycloak's defaults, and which headers each kind
of response carries."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

__all__ = [
    "DEFAULTS",
    "HEADER_NAMES",
    "LEGACY_KEYS",
    "ResponseKind",
    "headers_for",
    "invalid_value",
]

# Realm setting (RealmRepresentation.browserSecurityHeaders key) → header name.
HEADER_NAMES: dict[str, str] = {
    "contentSecurityPolicy": "Content-Security-Policy",
    "contentSecurityPolicyReportOnly": "Content-Security-Policy-Report-Only",
    "xFrameOptions": "X-Frame-Options",
    "xContentTypeOptions": "X-Content-Type-Options",
    "xRobotsTag": "X-Robots-Tag",
    "referrerPolicy": "Referrer-Policy",
    "strictTransportSecurity": "Strict-Transport-Security",
}

# Keycloak's BrowserSecurityHeaders defaults; an empty value sends no header.
DEFAULTS: dict[str, str] = {
    "contentSecurityPolicy": "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
    "contentSecurityPolicyReportOnly": "",
    "xFrameOptions": "SAMEORIGIN",
    "xContentTypeOptions": "nosniff",
    "xRobotsTag": "none",
    "referrerPolicy": "no-referrer",
    "strictTransportSecurity": "max-age=31536000; includeSubDomains",
}

# Keys older Keycloak exports carry for headers browsers no longer act on
# (X-XSS-Protection): accepted, and dropped.
LEGACY_KEYS = frozenset({"xXSSProtection"})


class ResponseKind(Enum):
    """Keycloak's DefaultSecurityHeadersProvider tells three kinds of response apart."""

    REST = "rest"  # JSON or XML
    HTML = "html"  # a page, or the answer to a submitted form
    OTHER = "other"  # scripts, styles, images, redirects, empty answers


# HSTS, nosniff, the referrer policy and the robots tag go on every response (Keycloak
# 26.4.8 added X-Robots-Tag beyond pages); REST adds X-Frame-Options; a page takes all.
_EVERYWHERE = ("strictTransportSecurity", "xContentTypeOptions", "referrerPolicy", "xRobotsTag")
_KEYS_BY_KIND: dict[ResponseKind, tuple[str, ...]] = {
    ResponseKind.OTHER: _EVERYWHERE,
    ResponseKind.REST: (*_EVERYWHERE, "xFrameOptions"),
    ResponseKind.HTML: tuple(HEADER_NAMES),
}


def headers_for(kind: ResponseKind, values: Mapping[str, str]) -> dict[str, str]:
    """Header name → value for one response: the realm's value, else Keycloak's default;
    an empty value sends nothing (Keycloak's `addHeader`)."""
    headers = {}
    for key in _KEYS_BY_KIND[kind]:
        value = values.get(key, DEFAULTS[key])
        if value:
            headers[HEADER_NAMES[key]] = value
    return headers


def invalid_value(value: str) -> bool:
    """A value that cannot be a header field value (RFC 9110 §5.5): control characters
    would split the response, and non-Latin-1 text cannot be sent at all."""
    return any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F or ord(c) > 0xFF for c in value)
