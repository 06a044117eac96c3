"""What a trusted reverse proxy says about the original request: scheme, host, port and client.

Keycloak's `--proxy-headers=forwarded|xforwarded` (Quarkus' forwarded parser) reads either
RFC 7239 `Forwarded` or the de-facto `X-Forwarded-Proto/-Host/-Port/-For`, never both, and
only from a peer inside `--proxy-trusted-addresses` (unset: every peer). As in Quarkus, the
first hop is the one that counts: the first element of `Forwarded`, the first value of each
`X-Forwarded-*` list, which is what the proxy nearest the client wrote. A proxy that sets
`X-Forwarded-Proto` without a port means that scheme's default port (Quarkus drops the port
of the `Host` header then), so `https` behind a proxy on 8080 yields `https://host/`.

Unlike Quarkus, values are checked strictly: a header that does not parse (a scheme other
than http/https, a host with characters no host has, a port out of range, a client address
that is neither an IP address, `unknown` nor an obfuscated identifier of RFC 7239 §6.3) makes
the whole request's forwarding ignored — never half-applied — and the caller logs why.

Pure: no I/O, no framework; `web/middleware/proxy_headers.py` applies the result to ASGI.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MAX_HEADER_LENGTH",
    "Forwarded",
    "IPNetwork",
    "MalformedForwarding",
    "ProxyTrust",
    "parse_forwarded",
    "parse_x_forwarded",
    "peer_is_trusted",
    "trusted_networks",
]

# Proxies append; a chain longer than this is not a real one and only costs parsing time.
MAX_HEADER_LENGTH = 8192

HeaderMode = Literal["forwarded", "xforwarded"]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 9110 §5.6.2 token characters.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# A reg-name of RFC 3986 as proxies send it (letters, digits, '-', '.', '_'), or an IP literal.
_HOST = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_.-]+))(?::(?P<port>\d*))?$")
# RFC 7239 §6.3: an obfuscated node or port is "_" followed by ALPHA / DIGIT / "." / "_" / "-".
_OBFUSCATED = re.compile(r"^_[A-Za-z0-9._-]+$")


class MalformedForwarding(ValueError):
    """A forwarding header from a trusted proxy that does not parse; the message says which."""


@dataclass(frozen=True)
class Forwarded:
    """The original request as the first proxy saw it; None where the proxy said nothing
    (or said `unknown` / an obfuscated identifier for the client)."""

    scheme: str | None = None
    host: str | None = None  # without the port; an IPv6 literal keeps its brackets
    port: int | None = None
    client_host: str | None = None
    client_port: int | None = None


@dataclass(frozen=True)
class ProxyTrust:
    """`--proxy-headers` and `--proxy-trusted-addresses`: which headers, from whom."""

    mode: HeaderMode
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, mode: HeaderMode, trusted: Iterable[str]) -> ProxyTrust:
        return cls(mode, trusted_networks(trusted))

    def trusts(self, peer: str | None) -> bool:
        return peer_is_trusted(self.networks, peer)

    def parse(self, headers: Sequence[tuple[bytes, bytes]]) -> Forwarded | None:
        """The forwarded values from a trusted peer's raw ASGI headers; None when the
        proxy sent none of the configured headers. Raises `MalformedForwarding`."""
        if self.mode == "forwarded":
            value = _combined(headers, b"forwarded")
            return parse_forwarded(value) if value is not None else None
        named = {
            name: _combined(headers, name.encode())
            for name in (
                "x-forwarded-proto",
                "x-forwarded-host",
                "x-forwarded-port",
                "x-forwarded-for",
            )
        }
        if all(value is None for value in named.values()):
            return None
        return parse_x_forwarded(
            proto=named["x-forwarded-proto"],
            host=named["x-forwarded-host"],
            port=named["x-forwarded-port"],
            for_=named["x-forwarded-for"],
        )


def trusted_networks(trusted: Iterable[str]) -> tuple[IPNetwork, ...]:
    """`--proxy-trusted-addresses` as networks; a bare address is a /32 or /128."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def peer_is_trusted(networks: Sequence[IPNetwork], peer: str | None) -> bool:
    """Keycloak: an empty list trusts every peer. Otherwise the peer must be an IP
    address inside one of the networks; an IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`,
    what a dual-stack socket reports) counts as its IPv4 address. The forwarding headers
    and the client-certificate headers share this one decision."""
    if not networks:
        return True
    if peer is None:
        return False
    try:
        address: IPAddress = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    return any(
        candidate.version == network.version and candidate in network
        for candidate in candidates
        for network in networks
    )


def _combined(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str | None:
    """Repeated header lines joined with commas, in order (RFC 9110 §5.3)."""
    values = [value for key, value in headers if key == name]
    if not values:
        return None
    joined = b", ".join(values)
    if len(joined) > MAX_HEADER_LENGTH:
        raise MalformedForwarding(f"{name.decode()} is longer than {MAX_HEADER_LENGTH} bytes")
    try:
        return joined.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedForwarding(f"{name.decode()} is not ASCII") from None


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    """Split on `separator` except inside a quoted-string (RFC 9110 §5.6.4, with its
    backslash escapes), so that `for="[2001:db8::1]:4711"` and `host="a,b"` stay whole."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted or escaped:
        raise MalformedForwarding("an unterminated quoted string")
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if not _TOKEN.match(value):
        raise MalformedForwarding(f"{value[:64]!r} is neither a token nor a quoted string")
    return value


def _elements(value: str) -> list[dict[str, str]]:
    """RFC 7239 §4: `Forwarded: 1#forwarded-element`, each `pair *( ";" pair )` with
    `token "=" ( token / quoted-string )`; parameter names are case-insensitive."""
    elements: list[dict[str, str]] = []
    for element in _split_outside_quotes(value, ","):
        pairs: dict[str, str] = {}
        for pair in _split_outside_quotes(element, ";"):
            pair = pair.strip()
            if not pair:
                continue
            name, equals, raw = pair.partition("=")
            name = name.strip().lower()
            if not equals or not _TOKEN.match(name):
                raise MalformedForwarding(f"{pair[:64]!r} is not a name=value pair")
            if name in pairs:
                # §4: "Each parameter MUST NOT occur more than once per forwarded-element."
                raise MalformedForwarding(f"{name!r} occurs twice in one element")
            pairs[name] = _unquote(raw.strip())
        elements.append(pairs)
    return elements


def _element(pairs: dict[str, str]) -> Forwarded:
    scheme = _scheme(pairs["proto"]) if "proto" in pairs else None
    host, port = _host(pairs["host"]) if "host" in pairs else (None, None)
    client_host, client_port = (
        _node(pairs["for"], forwarded=True) if "for" in pairs else (None, None)
    )
    return Forwarded(scheme, host, port, client_host, client_port)


def parse_forwarded(value: str) -> Forwarded:
    """RFC 7239 `Forwarded`: `proto`, `host` and `for` of the first element. Every element
    is checked, since a malformed later hop means the header is not what the proxies wrote.
    Unknown parameters (extensions, `by`) are allowed and ignored."""
    parsed = [_element(pairs) for pairs in _elements(value)]
    return parsed[0]


def parse_x_forwarded(
    *, proto: str | None, host: str | None, port: str | None, for_: str | None
) -> Forwarded:
    """`X-Forwarded-Proto/-Host/-Port/-For`, the first value of each comma list.
    `X-Forwarded-Host` may carry a port; `X-Forwarded-Port` overrides it (Quarkus)."""
    scheme = _scheme(_first(proto)) if proto is not None else None
    name, host_port = _host(_first(host)) if host is not None else (None, None)
    if port is not None:
        host_port = _port(_first(port))
    client_host, client_port = (
        _node(_first(for_), forwarded=False) if for_ is not None else (None, None)
    )
    return Forwarded(scheme, name, host_port, client_host, client_port)


def _first(value: str) -> str:
    return value.split(",", 1)[0].strip()


def _scheme(value: str) -> str:
    scheme = value.strip().lower()
    if scheme not in ("http", "https"):
        raise MalformedForwarding(f"proto {value[:64]!r} is neither http nor https")
    return scheme


def _port(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 65536:
        raise MalformedForwarding(f"port {value[:64]!r} is not a port number")
    return int(value)


def _host(value: str) -> tuple[str, int | None]:
    match = _HOST.match(value.strip())
    if match is None:
        raise MalformedForwarding(f"host {value[:64]!r} is not a host[:port]")
    if match["v6"] is not None:
        try:
            ipaddress.IPv6Address(match["v6"])
        except ValueError:
            raise MalformedForwarding(f"host {value[:64]!r} is not an IPv6 literal") from None
        name = f"[{match['v6']}]"
    else:
        name = match["name"]
        if name[0] in ".-" or ".." in name:
            raise MalformedForwarding(f"host {value[:64]!r} is not a host name")
    port = _port(match["port"]) if match["port"] is not None else None
    return name, port


def _node(value: str, *, forwarded: bool) -> tuple[str | None, int | None]:
    """A client address: RFC 7239 §6 `node` (IPv4, `[IPv6]`, `unknown` or `_obfuscated`,
    each with an optional `:port`), or X-Forwarded-For's bare IP (IPv6 without brackets, as
    nginx's `$proxy_add_x_forwarded_for` writes it). `unknown` and obfuscated identifiers
    name no address: the peer's stays."""
    value = value.strip()
    name = value.split(":", 1)[0] if value.count(":") == 1 else value
    if name.lower() == "unknown" or _OBFUSCATED.match(name):
        return None, None
    host, port_text = value, None
    if value.startswith("["):
        inside, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise MalformedForwarding(f"for {value[:64]!r} is not an address")
        host, port_text = inside, rest[1:] if rest else None
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    elif ":" in value and forwarded:
        # §6: an IPv6 node MUST be bracketed (and so quoted).
        raise MalformedForwarding(f"for {value[:64]!r}: an IPv6 address needs brackets")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise MalformedForwarding(f"for {value[:64]!r} is not an IP address") from None
    if value.startswith("[") and address.version != 6:
        raise MalformedForwarding(f"for {value[:64]!r}: brackets hold an IPv6 address only")
    # An obfuscated port (RFC 7239 §6.3) hides the port, as `unknown` hides the address.
    hidden = port_text is None or _OBFUSCATED.match(port_text)
    port = None if hidden or port_text is None else _port(port_text)
    return str(address), port
