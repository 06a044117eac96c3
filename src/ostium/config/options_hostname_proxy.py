"""Hostname (Keycloak's hostname v2) and reverse-proxy options: the URLs the server calls its own."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from ostium.config.declare import BadValue, option, parse_list, port_is_valid

__all__ = ["HostnameProxyOptions"]


_HOST_NAME = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$")


def _check_hostname(value: str) -> None:
    # Keycloak's hostname v2 takes either a bare host name or a full URL (to set the scheme,
    # port or a path); anything else would only surface later as broken issuer URLs.
    if "://" in value:
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or not port_is_valid(parts)
            or parts.query
        ):
            raise BadValue(f"{value!r} is not a host name or an http(s) URL")
    elif not _HOST_NAME.match(value):
        raise BadValue(
            f"{value!r} is not a host name; give a full URL to set a scheme, port or path"
        )


def _check_admin_url(value: str) -> None:
    # Keycloak takes --hostname-admin only as a full URL: the console's own origin.
    if "://" not in value:
        raise BadValue(f"{value!r} is not a full URL (such as https://admin.example.com:8443)")
    _check_hostname(value)


def _parse_networks(raw: str) -> list[str]:
    networks = parse_list(raw)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise BadValue(f"{network!r} is not an IP address or CIDR range") from None
    return networks


@dataclass(frozen=True, repr=False)
class HostnameProxyOptions:
    """Where the server is reached, and which proxy in front may say so."""

    hostname: str | None = field(
        default=None,
        metadata=option(
            category="Hostname",
            description=(
                "The address at which the server is reached: a host name (auth.example.com) or a"
                " full URL (https://auth.example.com/auth) to also set the scheme, port and path."
                " Issuer URLs, redirects and links are built from it, not from request headers."
            ),
            check=_check_hostname,
        ),
    )
    hostname_admin: str | None = field(
        default=None,
        metadata=option(
            category="Hostname",
            description=(
                "The full URL of the admin console (https://admin.example.com), when it is"
                " reached on another address than --hostname: its redirect URIs"
                " (${authAdminUrl}) resolve against it. The admin REST API stays reachable"
                " through --hostname too; restricting it is the proxy's job."
            ),
            check=_check_admin_url,
        ),
    )
    hostname_backchannel_dynamic: bool = field(
        default=False,
        metadata=option(
            category="Hostname",
            description=(
                "Give back-channel endpoints (token, introspection, userinfo, certs, revocation)"
                " the address each request came in on, so services inside a network reach them"
                " directly; the issuer stays --hostname, which must then be a full URL."
            ),
        ),
    )
    hostname_debug: bool = field(
        default=False,
        metadata=option(
            category="Hostname",
            description=(
                "Serve /realms/<realm>/hostname-debug, a page that shows the URLs a request"
                " resolves to and the headers it came with, to check a proxy set-up."
            ),
        ),
    )
    hostname_strict: bool = field(
        default=True,
        metadata=option(
            category="Hostname",
            description=(
                "Refuse to start in production mode without --hostname. When false, URLs follow"
                " each request's host, which a client can forge unless a trusted proxy sets it."
            ),
        ),
    )
    proxy_headers: Literal["forwarded", "xforwarded"] | None = field(
        default=None,
        metadata=option(
            category="Proxy",
            description=(
                "The headers a reverse proxy in front uses to pass on the client's address, scheme"
                " and host: forwarded (RFC 7239) or xforwarded (X-Forwarded-Proto, -Host, -Port,"
                " -For). Unset: both are ignored. Only the first hop counts; a malformed header"
                " is ignored with a warning."
            ),
        ),
    )
    proxy_trusted_addresses: list[str] = field(
        default_factory=list,
        metadata=option(
            category="Proxy",
            description=(
                "The proxies, as IP addresses or CIDR ranges separated by commas, whose forwarding"
                " headers are honoured; from any other peer they are ignored. Unset: every peer"
                " is trusted, as in Keycloak, so set it whenever clients can reach the server"
                " without going through the proxy."
            ),
            parse=_parse_networks,
        ),
    )
    proxy_protocol_enabled: bool = field(
        default=False,
        metadata=option(
            category="Proxy",
            description=(
                "Read the client's address from the PROXY protocol header (v1 or v2) a TCP load"
                " balancer sends first on each connection of the HTTP and HTTPS listeners (on"
                " HTTPS, in clear before the TLS handshake); a connection without one is"
                " closed. Cannot be enabled with --proxy-headers."
            ),
        ),
    )
