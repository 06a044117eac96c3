"""An OAuth client and the rules that belong to it alone (redirect-URI matching)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "POST_LOGOUT_REDIRECT_URIS",
    "Client",
    "ClientScope",
    "ProtocolMapper",
    "redirect_uri_matches",
    "resolve_redirect_uris",
    "wildcard_origin",
]

# Keycloak keeps post-logout redirect URIs in a client attribute, `##`-separated; the
# value "+" stands for "the same as the redirect URIs".
POST_LOGOUT_REDIRECT_URIS = "post.logout.redirect.uris"
# Keycloak's rootUrl placeholders: the server's frontend URL and its admin console URL
# (--hostname-admin; the frontend URL when it is not set).
AUTH_BASE_URL = "${authBaseUrl}"
AUTH_ADMIN_URL = "${authAdminUrl}"


@dataclass
class ProtocolMapper:
    """A Keycloak protocol mapper: `protocol_mapper` names its kind
    (`oidc-audience-mapper`, …), `config` holds Keycloak's string settings."""

    id: str
    name: str
    protocol_mapper: str
    protocol: str = "openid-connect"
    config: dict[str, str] = field(default_factory=dict)


@dataclass
class ClientScope:
    """A realm's named bundle of protocol mappers that clients take by default or on
    request (Keycloak's client scopes: `profile`, `email`, custom ones…)."""

    id: str
    realm_id: str
    name: str
    description: str | None = None
    protocol: str = "openid-connect"
    attributes: dict[str, str] = field(default_factory=dict)
    protocol_mappers: list[ProtocolMapper] = field(default_factory=list)

    @property
    def in_token_scope(self) -> bool:
        return self.attributes.get("include.in.token.scope", "true") == "true"


@dataclass
class Client:
    id: str
    realm_id: str
    client_id: str
    name: str | None = None
    description: str | None = None
    enabled: bool = True
    public_client: bool = False
    bearer_only: bool = False
    secret: str | None = None
    client_authenticator_type: str = "client-secret"
    redirect_uris: list[str] = field(default_factory=list)
    web_origins: list[str] = field(default_factory=list)
    root_url: str | None = None
    base_url: str | None = None
    admin_url: str | None = None
    standard_flow_enabled: bool = True
    implicit_flow_enabled: bool = False
    direct_access_grants_enabled: bool = False
    service_accounts_enabled: bool = False
    consent_required: bool = False
    frontchannel_logout: bool = True
    full_scope_allowed: bool = True
    protocol: str = "openid-connect"
    attributes: dict[str, str] = field(default_factory=dict)
    # Keycloak's authenticationFlowBindingOverrides: "browser" / "direct_grant" → the id of
    # a top-level flow this client's logins run instead of the realm's binding.
    flow_overrides: dict[str, str] = field(default_factory=dict)
    default_client_scopes: list[str] = field(default_factory=list)
    optional_client_scopes: list[str] = field(default_factory=list)
    protocol_mappers: list[ProtocolMapper] = field(default_factory=list)

    @property
    def confidential(self) -> bool:
        return not self.public_client and not self.bearer_only

    def is_valid_redirect_uri(
        self, uri: str, *, base_url: str = "", admin_url: str | None = None
    ) -> bool:
        """`base_url` is the server's base URL for this request (the frontend URL):
        relative patterns resolve against it, see `resolve_redirect_uris`."""
        patterns = resolve_redirect_uris(self.redirect_uris, self.root_url, base_url, admin_url)
        return any(redirect_uri_matches(pattern, uri) for pattern in patterns)

    def post_logout_redirect_uris(self) -> list[str]:
        """Values are `##`-separated; a value of `+` stands for all the redirect URIs.

        Unresolved: relative ones stay relative until `is_valid_post_logout_redirect_uri`
        resolves them against the request's base URL."""
        raw = self.attributes.get(POST_LOGOUT_REDIRECT_URIS, "")
        patterns: list[str] = []
        for value in (v.strip() for v in raw.split("##")):
            if value == "+":
                patterns.extend(self.redirect_uris)
            elif value:
                patterns.append(value)
        return patterns

    def allowed_origins(self) -> list[str]:
        """The client's web origins; "+" stands for the origins of its redirect URIs, as
        in Keycloak, and "*" for any origin."""
        origins: set[str] = set()
        for origin in self.web_origins:
            if origin != "+":
                origins.add(origin)
                continue
            for uri in self.redirect_uris:
                parts = uri.split("/")
                if len(parts) >= 3 and parts[0] in ("http:", "https:"):
                    origins.add(f"{parts[0]}//{parts[2]}")
        return sorted(origins)

    def allows_origin(self, origin: str) -> bool:
        allowed = self.allowed_origins()
        return "*" in allowed or origin in allowed

    @property
    def backchannel_logout_url(self) -> str | None:
        """OIDC Back-Channel Logout: where a `logout_token` is POSTed (Keycloak's attribute)."""
        return self.attributes.get("backchannel.logout.url") or None

    @property
    def backchannel_logout_session_required(self) -> bool:
        return self.attributes.get("backchannel.logout.session.required", "true") == "true"

    @property
    def frontchannel_logout_url(self) -> str | None:
        """OIDC Front-Channel Logout: the page the logout page loads in an iframe."""
        if not self.frontchannel_logout:
            return None
        return self.attributes.get("frontchannel.logout.url") or None

    @property
    def frontchannel_logout_session_required(self) -> bool:
        return self.attributes.get("frontchannel.logout.session.required", "true") == "true"

    def redirect_uri_warnings(self) -> list[str]:
        """What to tell whoever registers a wildcard inside the host name: Keycloak would
        let it reach any host that starts with the registered one; Ostium keeps it to
        that origin (`wildcard_origin`)."""
        warnings = []
        for pattern in dict.fromkeys([*self.redirect_uris, *self.post_logout_redirect_uris()]):
            origin = wildcard_origin(pattern)
            if origin is not None:
                warnings.append(
                    f"Client '{self.client_id}': redirect URI '{pattern}' has its wildcard "
                    f"inside the host name; it matches only URIs of {origin}, not other "
                    f"hosts that start with it (write '{origin}/*' to say so)"
                )
        return warnings

    def is_valid_post_logout_redirect_uri(
        self, uri: str, *, base_url: str = "", admin_url: str | None = None
    ) -> bool:
        """The same rule as the redirect URIs (Keycloak's `RedirectUtils` serves both)."""
        patterns = resolve_redirect_uris(
            self.post_logout_redirect_uris(), self.root_url, base_url, admin_url
        )
        return any(redirect_uri_matches(p, uri) for p in patterns)


def _origin(url: str) -> str:
    """scheme://host[:port] of an absolute URL, "" for anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme or not rest:
        return ""
    return f"{scheme}://{rest.split('/', 1)[0]}"


def resolve_redirect_uris(
    patterns: list[str], root_url: str | None, base_url: str, admin_url: str | None = None
) -> list[str]:
    """Registered redirect URIs made absolute, as Keycloak's `RedirectUtils` does before
    matching: a pattern starting with `/` is appended to the client's rootUrl, where
    `${authBaseUrl}` stands for the server's frontend URL (`base_url`, with its path) and
    `${authAdminUrl}` for the admin console's (`admin_url`, else the frontend URL); a
    client without rootUrl takes the origin of `base_url`.

    A relative pattern that cannot be resolved (no base URL known) is dropped rather than
    kept as is: a redirect URI must be absolute (RFC 6749 §3.1.2), so the bare path never
    matches anything but a relative `redirect_uri`, which no client may send."""
    root = (root_url or "").strip()
    if root == AUTH_ADMIN_URL:
        root = admin_url or base_url
    elif root == AUTH_BASE_URL:
        root = base_url
    elif not root:
        root = _origin(base_url)
    root = root.rstrip("/")
    resolved: list[str] = []
    for pattern in patterns:
        if not pattern.startswith("/"):
            resolved.append(pattern)
        elif root and "://" in root:
            resolved.append(root + pattern)
    return resolved


def redirect_uri_matches(pattern: str, uri: str) -> bool:
    """Exact match, or Keycloak's single trailing `*` wildcard (a prefix match).

    No other wildcard is honoured: `*` in the middle of a pattern, host wildcards and
    regexes are how open redirects are born (RFC 9700 §4.1.3 asks for exact matching).
    A wildcard match is refused for a URI that carries user-info or whose authority or
    path does not parse cleanly, as Keycloak's `RedirectUtils.areWildcardsAllowed`
    refuses it; and, beyond Keycloak, a wildcard extends only the path and query of the
    pattern's own origin: `https://app.example.com*` never matches
    `https://app.example.com.evil.com/` (see `wildcard_origin`).
    """
    if pattern == "*":
        # Keycloak accepts a bare "*"; we keep it for compatibility, limited to http(s).
        return uri.startswith(("http://", "https://"))
    if pattern.endswith("*") and "*" not in pattern[:-1] and "?" not in pattern:
        # Keycloak: a pattern with a query is never a wildcard, only an exact value.
        return _wildcard_matches(pattern[:-1], uri)
    return pattern == uri


# Keycloak's unsafe path: a `..` segment, its separators and dots possibly encoded.
_UNSAFE_PATH = re.compile(
    r"(/|%2f|%5c|\\)(%2e|%252e|\.){2}(/|%2f|%5c|\\|;|%3b|%09|%0a|%0d|%00|$)", re.IGNORECASE
)
_AUTHORITY_CHARS = re.compile(r"[A-Za-z0-9.\-\[\]:]*")


def _clean_authority(uri: str) -> tuple[str, str, str] | None:
    """(scheme, host, port) of a URI fit for wildcard matching, lowercased; None when it
    has user-info, an authority that does not parse as host[:port], or an unsafe path."""
    if any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in uri):
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:  # an unbalanced IPv6 bracket
        return None
    authority = parts.netloc
    if not parts.scheme or not _AUTHORITY_CHARS.fullmatch(authority):
        return None  # "@" (user-info), "%", "\\" and the like never reach a match
    if authority:
        try:
            port = parts.port
        except ValueError:
            return None
        if not parts.hostname or (authority.endswith(":") and port is None):
            return None
    else:
        port = None
    if _UNSAFE_PATH.search(parts.path):
        return None
    return parts.scheme.lower(), (parts.hostname or ""), "" if port is None else str(port)


def wildcard_origin(pattern: str) -> str | None:
    """The origin a wildcard pattern whose `*` falls inside the authority is held to
    (`https://app.example.com*` → `https://app.example.com`); None for any other pattern.

    Keycloak matches such a pattern as a plain string prefix, so it also accepts hosts
    that merely start with the registered one; Ostium does not, and the admin API warns
    when one is registered."""
    if not pattern.endswith("*") or "*" in pattern[:-1] or pattern == "*":
        return None
    scheme, sep, rest = pattern[:-1].partition("://")
    if not sep or "/" in rest or "?" in rest or "#" in rest:
        return None
    if rest.endswith(":"):
        return None  # a port wildcard (`https://host:*`) stays on its host
    return f"{scheme}://{rest}"


def _wildcard_matches(prefix: str, uri: str) -> bool:
    """`uri` starts with `prefix`, has no fragment (RFC 6749 §3.1.2), parses cleanly and
    stays on the pattern's scheme, host and port."""
    if "#" in uri:
        return False
    target = _clean_authority(uri)
    if target is None:
        return False
    _, sep, after_scheme = prefix.partition("://")
    authority_only = bool(sep) and "/" not in after_scheme
    port_wildcard = authority_only and prefix.endswith(":")
    registered = _clean_authority(prefix[:-1] if port_wildcard else prefix)
    if registered is None:
        return False
    if port_wildcard:
        # `https://host:*`: any explicit port of that host, nothing else.
        return target[:2] == registered[:2] and target[2] != "" and uri.startswith(prefix)
    if target != registered:
        return False
    if authority_only:
        # The `*` sits right after the authority: it may only extend the path or query.
        rest = uri[len(prefix) :] if uri.lower().startswith(prefix.lower()) else None
        return rest is not None and (rest == "" or rest[0] in "/?")
    return uri.startswith(prefix)
