"""The PROXY protocol (HAProxy's, versions 1 and 2) on the HTTP and HTTPS listeners.

With `--proxy-protocol-enabled=true` a load balancer that forwards TCP connections (no
HTTP of its own, so no forwarding headers) says first, on each connection, whom the
connection came from. Keycloak reads it through Quarkus' `use-proxy-protocol`: a connection
must begin with the header, one that does not is closed, and the address it names becomes
the client's address for events, brute-force records, sessions and logs.

`parse_header` is the pure part (the wire format of haproxy.org's proxy-protocol.txt,
sections 2.1 and 2.2); `proxy_protocol_class` wraps uvicorn's HTTP protocol so that the
request sees the named address as its peer.

On HTTPS the header comes in clear before the TLS handshake (section 2: it opens the
connection, ahead of anything the balancer relays, so HAProxy's `send-proxy` to an `ssl`
server, or TCP passthrough, puts it ahead of the ClientHello; Keycloak accepts it so). The
listening socket is then plain TCP and TLS starts on the connection once the header has
been read, as `loop.start_tls` would; but `start_tls` cannot be given the bytes already
read past the header, and a balancer often sends the header and the ClientHello in one
segment, so the TLS layer (asyncio's own `SSLProtocol`, the one `start_tls` and
`create_server(ssl=…)` use) is set up here and fed those bytes first.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
import struct
from asyncio.sslproto import SSLProtocol
from dataclasses import dataclass
from typing import Any, cast

from ostium.web.connection import DelegatingProtocol

__all__ = ["Header", "Invalid", "parse_header", "proxy_protocol_class"]

log = logging.getLogger(__name__)

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_PREFIX = b"PROXY "
V1_MAX = 107  # the longest version-1 line, CRLF included (section 2.1)
V2_FIXED = 16  # signature, version and command, family, length


HEADER_TIMEOUT = 10.0


class Invalid(ValueError):
    """Not a PROXY protocol header: the connection is closed."""


@dataclass(frozen=True)
class Header:
    """A complete header: its length in bytes, and the client's (address, port), or None
    when the sender speaks for itself (v1 `UNKNOWN`, v2 `LOCAL` or an unspecified family),
    where the connection's own peer stands."""

    length: int
    client: tuple[str, int] | None


def parse_header(data: bytes) -> Header | None:
    """The header at the start of `data`; None while more bytes are needed."""
    if data[: len(V2_SIGNATURE)] == V2_SIGNATURE[: len(data)]:
        return _parse_v2(data)
    if data[: len(V1_PREFIX)] == V1_PREFIX[: len(data)]:
        return _parse_v1(data)
    raise Invalid("the connection does not begin with a PROXY protocol header")


def _parse_v1(data: bytes) -> Header | None:
    end = data.find(b"\r\n")
    if end < 0:
        if len(data) >= V1_MAX:
            raise Invalid("PROXY v1 line longer than 107 bytes")
        return None
    if end + 2 > V1_MAX:
        raise Invalid("PROXY v1 line longer than 107 bytes")
    try:
        words = data[:end].decode("ascii").split(" ")
    except UnicodeDecodeError:
        raise Invalid("PROXY v1 line is not ASCII") from None
    if len(words) >= 2 and words[1] == "UNKNOWN":
        return Header(end + 2, None)  # the rest of an UNKNOWN line is to be ignored
    if len(words) != 6 or words[1] not in ("TCP4", "TCP6"):
        raise Invalid("PROXY v1 line is not 'PROXY TCP4|TCP6 src dst sport dport'")
    _, family, source, destination, source_port, destination_port = words
    version = 4 if family == "TCP4" else 6
    for text in (source, destination):
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise Invalid(f"PROXY v1 address {text!r} is not an IP address") from None
        if address.version != version or str(address) != text.lower():
            raise Invalid(f"PROXY v1 address {text!r} does not match {family}")
    ports = [_port(source_port), _port(destination_port)]
    return Header(end + 2, (source, ports[0]))


def _port(text: str) -> int:
    # Section 2.1: decimal, no leading zeros, 0-65535.
    if not text.isdigit() or not text.isascii() or (len(text) > 1 and text[0] == "0"):
        raise Invalid(f"PROXY v1 port {text!r} is not a port")
    port = int(text)
    if port > 65535:
        raise Invalid(f"PROXY v1 port {text!r} is not a port")
    return port


def _parse_v2(data: bytes) -> Header | None:
    if len(data) < V2_FIXED:
        return None
    version_command, family, length = struct.unpack("!BBH", data[12:16])
    if version_command >> 4 != 2:
        raise Invalid("PROXY v2 header with a version other than 2")
    command = version_command & 0x0F
    if command not in (0, 1):
        raise Invalid("PROXY v2 header with an unknown command")
    if len(data) < V2_FIXED + length:
        return None
    total = V2_FIXED + length
    if command == 0:  # LOCAL: a health check of the balancer itself
        return Header(total, None)
    body = data[V2_FIXED:total]
    if family == 0x11:  # TCP over IPv4
        if length < 12:
            raise Invalid("PROXY v2 IPv4 addresses are truncated")
        source = str(ipaddress.IPv4Address(body[:4]))
        (port,) = struct.unpack("!H", body[8:10])
        return Header(total, (source, port))
    if family == 0x21:  # TCP over IPv6
        if length < 36:
            raise Invalid("PROXY v2 IPv6 addresses are truncated")
        source = str(ipaddress.IPv6Address(body[:16]))
        (port,) = struct.unpack("!H", body[32:34])
        return Header(total, (source, port))
    if family == 0x00:  # UNSPEC: the connection speaks for itself
        return Header(total, None)
    raise Invalid("PROXY v2 header for a transport other than TCP")


class _PeerTransport:
    """The connection's transport, with the PROXY header's client as its peer."""

    def __init__(self, transport: asyncio.Transport, peer: tuple[str, int] | None) -> None:
        self._transport = transport
        self._peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if self._peer is not None:
            if name == "peername":
                return self._peer
            if name == "socket":
                # uvicorn asks the socket for its peer before `peername`: without it,
                # it falls back to `peername` (and to `sockname` for its own address).
                return default
        return self._transport.get_extra_info(name, default)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def proxy_protocol_class(
    inner: type[asyncio.Protocol], tls: ssl.SSLContext | None = None
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol `inner`, behind the PROXY header: `inner` sees the
    connection only once the header has been read (its `connection_made` takes the peer
    from the transport). With `tls`, the bytes after the header are a TLS connection served
    with that context: `inner` sees it once the handshake is done, with the TLS transport's
    `ssl_object`, `peercert` and `sslcontext` (so the scheme is https and a client
    certificate reaches the request as without the PROXY protocol)."""

    class ProxyProtocol(DelegatingProtocol):
        inner_class = inner
        # A balancer sends the header at once; a peer that does not within this many
        # seconds is closed, so idle connections cannot pile up before any HTTP timeout
        # applies.
        header_timeout = HEADER_TIMEOUT

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            self._transport: asyncio.Transport | None = None
            self._buffer = b""
            self._client: tuple[str, int] | None = None
            self._open = False  # `inner` has the connection

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            # A stream transport, though uvloop's are not registered as asyncio.Transport.
            transport = cast(asyncio.Transport, transport)
            if self._transport is None:
                self._transport = transport
                loop = asyncio.get_running_loop()
                self._deadline = loop.call_later(self.header_timeout, self._expire)
                return
            # With TLS, a second call: the TLS layer's transport, once its handshake is
            # done (this object is that layer's application protocol).
            self._hand_over(transport)

        def _expire(self) -> None:
            if self._client is None and self._transport is not None:
                peer = self._transport.get_extra_info("peername")
                log.warning(
                    "Closing a connection from %s: no PROXY protocol header within %s s",
                    peer and peer[0],
                    self.header_timeout,
                )
                self._transport.close()

        def _hand_over(self, transport: asyncio.Transport) -> None:
            self._open = True
            super().connection_made(_PeerTransport(transport, self._client))  # type: ignore[arg-type]

        def data_received(self, data: bytes) -> None:
            if self._open:
                super().data_received(data)
                return
            assert self._transport is not None
            self._buffer += data
            try:
                header = parse_header(self._buffer)
            except Invalid as refused:
                peer = self._transport.get_extra_info("peername")
                log.warning("Closing a connection from %s: %s", peer and peer[0], refused)
                self._transport.close()
                return
            if header is None:
                return
            rest, self._buffer = self._buffer[header.length :], b""
            self._client = header.client
            if self._deadline is not None:
                self._deadline.cancel()
            if tls is not None:
                _start_tls(self._transport, self, tls, rest)
                return
            self._hand_over(self._transport)
            if rest:
                super().data_received(rest)

        def eof_received(self) -> bool | None:
            if self._open:
                return super().eof_received()
            return None  # closes the transport: the header (or the handshake) never came

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            if self._open:
                super().connection_lost(exc)

        def pause_writing(self) -> None:
            if self._open:
                super().pause_writing()

        def resume_writing(self) -> None:
            if self._open:
                super().resume_writing()

    return ProxyProtocol


def _start_tls(
    transport: asyncio.Transport, protocol: asyncio.Protocol, context: ssl.SSLContext, rest: bytes
) -> None:
    """TLS, server side, on `transport` for `protocol`, beginning with `rest` (the bytes
    read past the PROXY header, often the ClientHello). The same steps as asyncio's
    `start_tls` (reading paused while the protocols change), plus the feed of `rest`,
    which `start_tls` has no way to take. The handshake has asyncio's timeout (60 s), and a
    failed one closes the connection before `protocol` ever sees it."""
    loop = asyncio.get_running_loop()
    handshake: asyncio.Future[None] = loop.create_future()
    # Nobody awaits the handshake (`protocol` hears of its success); a failure is only
    # retrieved, so that it is not reported as a never-retrieved exception.
    handshake.add_done_callback(lambda done: done.cancelled() or done.exception())
    layer = SSLProtocol(loop, protocol, context, handshake, server_side=True)
    transport.pause_reading()
    transport.set_protocol(layer)
    layer.connection_made(transport)
    view = memoryview(rest)
    while view and not transport.is_closing():
        buffer = layer.get_buffer(len(view))
        size = min(len(buffer), len(view))
        memoryview(buffer)[:size] = view[:size]
        layer.buffer_updated(size)
        view = view[size:]
    if not transport.is_closing():
        transport.resume_reading()
