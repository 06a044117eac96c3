"""The PROXY protocol header (haproxy.org's proxy-protocol.txt, sections 2.1 and 2.2), and
TLS started after it on an HTTPS listener."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvloop

from ostium.web.proxy_protocol import (
    V2_SIGNATURE,
    Header,
    Invalid,
    parse_header,
    proxy_protocol_class,
)
from tests.x509_ca import Issued, Pki, issue, make_pki


def v2(command: int, family: int, body: bytes) -> bytes:
    return V2_SIGNATURE + struct.pack("!BBH", 0x20 | command, family, len(body)) + body


def tcp4(source: str, destination: str, sport: int, dport: int) -> bytes:
    return (
        ipaddress.IPv4Address(source).packed
        + ipaddress.IPv4Address(destination).packed
        + struct.pack("!HH", sport, dport)
    )


def tcp6(source: str, destination: str, sport: int, dport: int) -> bytes:
    return (
        ipaddress.IPv6Address(source).packed
        + ipaddress.IPv6Address(destination).packed
        + struct.pack("!HH", sport, dport)
    )


# --- refused first ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # a client straight to the port
        b"\x16\x03\x01\x02\x00",  # a TLS ClientHello
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",  # a word too many
        b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",  # leading zero
        b"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 \xd9\xa1 2\r\n",  # not ASCII
        b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",  # an IPv6 address under TCP4
        b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
        b"PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n",
        b"PROXY TCP4 example.com 5.6.7.8 1 2\r\n",
        b"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",  # two spaces
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 " + b"2" * 200,  # no CRLF within 107 bytes
        b"\r\n\r\n\x00\r\nQUIT\n\x11\x11\x00\x0c" + bytes(12),  # version 1 in a v2 header
        v2(2, 0x11, bytes(12)),  # unknown command
        v2(1, 0x11, bytes(8)),  # IPv4 addresses cut short
        v2(1, 0x21, bytes(20)),  # IPv6 addresses cut short
        v2(1, 0x12, tcp4("1.2.3.4", "5.6.7.8", 1, 2)),  # UDP
        v2(1, 0x31, bytes(216)),  # a UNIX socket
    ],
)
def test_anything_but_a_valid_header_is_refused(data: bytes) -> None:
    with pytest.raises(Invalid):
        parse_header(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PRO",
        b"PROXY TCP4 1.2.3.4 5.6",
        V2_SIGNATURE[:5],
        V2_SIGNATURE + b"\x21\x11",
        v2(1, 0x11, tcp4("1.2.3.4", "5.6.7.8", 1, 2))[:-1],
    ],
)
def test_a_header_still_arriving_needs_more_bytes(data: bytes) -> None:
    assert parse_header(data) is None


# --- version 1 ----------------------------------------------------------------------------


def test_v1_tcp4_names_the_client_and_leaves_the_request() -> None:
    line = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n"
    data = line + b"GET / HTTP/1.1\r\n"

    assert parse_header(data) == Header(len(line), ("192.0.2.7", 56324))


def test_v1_tcp6() -> None:
    line = b"PROXY TCP6 2001:db8::7 2001:db8::1 4000 80\r\n"

    assert parse_header(line) == Header(len(line), ("2001:db8::7", 4000))


def test_v1_unknown_keeps_the_connection_s_own_peer() -> None:
    assert parse_header(b"PROXY UNKNOWN\r\n") == Header(15, None)
    line = b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"
    assert parse_header(line) == Header(len(line), None)


# --- version 2 ----------------------------------------------------------------------------


def test_v2_tcp4_names_the_client_and_skips_tlvs() -> None:
    tlv = b"\x04\x00\x05hello"  # a NOOP TLV, ignored
    header = v2(1, 0x11, tcp4("203.0.113.9", "10.0.0.1", 61000, 8080) + tlv)

    assert parse_header(header + b"GET /") == Header(len(header), ("203.0.113.9", 61000))


def test_v2_tcp6() -> None:
    header = v2(1, 0x21, tcp6("2001:db8::9", "2001:db8::1", 5000, 8080))

    assert parse_header(header) == Header(len(header), ("2001:db8::9", 5000))


def test_v2_local_and_unspec_keep_the_connection_s_own_peer() -> None:
    assert parse_header(v2(0, 0x11, tcp4("1.2.3.4", "5.6.7.8", 1, 2))) == Header(28, None)
    assert parse_header(v2(1, 0x00, b"")) == Header(16, None)


# --- on a TLS listener: the header in clear, then the handshake ----------------------------
# A real loopback connection to `proxy_protocol_class(…, tls=…)`, on asyncio's loop and on
# uvloop's (uvicorn's choice when installed), with a client whose TLS is driven by hand so
# that the header and the ClientHello can leave in one write, as a balancer may send them.


class _Echo(asyncio.Protocol):
    """Stands for uvicorn's protocol: answers the first bytes with what it was told of
    the connection."""

    def __init__(self, **_: object) -> None:
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        peer = self.transport.get_extra_info("peername")
        tls = self.transport.get_extra_info("ssl_object")
        subject = (
            dict(item[0] for item in tls.getpeercert()["subject"]) if tls.getpeercert() else {}
        )
        seen = {
            "peer": list(peer),
            "https": bool(self.transport.get_extra_info("sslcontext")),
            "client": subject.get("commonName"),
            "data": data.decode(),
        }
        self.transport.write(json.dumps(seen).encode())


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


def _server_context(pki: Pki, folder: Path, verify: ssl.VerifyMode) -> ssl.SSLContext:
    issued = issue("ostium", pki.intermediate, ip_addresses=("127.0.0.1",))
    chain, key = folder / "chain.pem", folder / "key.pem"
    chain.write_text(issued.pem + pki.intermediate.pem)
    key.write_text(issued.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    context.verify_mode = verify
    context.load_verify_locations(cadata=pki.root.pem + pki.intermediate.pem)
    return context


def _client_context(pki: Pki, folder: Path, certificate: Issued | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=pki.root.pem)
    if certificate is not None:
        chain, key = folder / "client.pem", folder / "client-key.pem"
        chain.write_text(certificate.pem + pki.intermediate.pem)
        key.write_text(certificate.key_pem)
        context.load_cert_chain(chain, key)
    return context


async def _exchange(
    server: ssl.SSLContext, client: ssl.SSLContext, header: bytes, *, one_write: bool
) -> dict[str, object]:
    """Connects, sends `header` (with the ClientHello in the same write, or alone first),
    completes the handshake, sends `ping` and returns what the server's protocol saw."""
    listener = await asyncio.get_running_loop().create_server(
        proxy_protocol_class(_Echo, tls=server), "127.0.0.1", 0
    )
    port = listener.sockets[0].getsockname()[1]
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        with pytest.raises(ssl.SSLWantReadError):
            tls.do_handshake()
        hello = outgoing.read()
        if one_write:
            writer.write(header + hello)
        else:
            for byte in header:  # the header a byte at a time, then the ClientHello
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0)
            writer.write(hello)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                writer.write(outgoing.read())
                data = await asyncio.wait_for(reader.read(65536), 5)
                if not data:
                    raise ConnectionResetError("closed during the handshake") from None
                incoming.write(data)
        tls.write(b"ping")
        writer.write(outgoing.read())
        while True:
            data = await asyncio.wait_for(reader.read(65536), 5)
            if not data:
                raise ConnectionResetError("closed after the handshake")
            incoming.write(data)
            try:
                return dict(json.loads(tls.read(65536)))
            except ssl.SSLWantReadError:
                continue
    finally:
        writer.close()
        listener.close()
        await listener.wait_closed()


LOOPS = [
    pytest.param(asyncio.new_event_loop, id="asyncio"),
    pytest.param(uvloop.new_event_loop, id="uvloop"),
]


def _run(loop_factory: Callable[[], asyncio.AbstractEventLoop], coroutine: Any) -> Any:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(coroutine)


@pytest.mark.parametrize("loop_factory", LOOPS)
@pytest.mark.parametrize("one_write", [True, False], ids=["with-client-hello", "byte-by-byte"])
def test_tls_after_the_header_names_the_client(
    loop_factory: Callable[[], asyncio.AbstractEventLoop], one_write: bool, pki: Pki, tmp_path: Path
) -> None:
    server = _server_context(pki, tmp_path, ssl.CERT_NONE)
    client = _client_context(pki, tmp_path, None)
    header = v2(1, 0x11, tcp4("203.0.113.9", "10.0.0.1", 61000, 8443))

    seen = _run(loop_factory, _exchange(server, client, header, one_write=one_write))

    assert seen == {"peer": ["203.0.113.9", 61000], "https": True, "client": None, "data": "ping"}


@pytest.mark.parametrize("loop_factory", LOOPS)
def test_tls_after_a_v1_header_passes_the_client_certificate_on(
    loop_factory: Callable[[], asyncio.AbstractEventLoop], pki: Pki, tmp_path: Path
) -> None:
    server = _server_context(pki, tmp_path, ssl.CERT_REQUIRED)
    client = _client_context(pki, tmp_path, pki.client)
    header = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n"

    seen = _run(loop_factory, _exchange(server, client, header, one_write=True))

    assert seen == {
        "peer": ["192.0.2.7", 56324],
        "https": True,
        "client": "client-app",
        "data": "ping",
    }


@pytest.mark.parametrize("loop_factory", LOOPS)
def test_tls_without_the_header_is_closed(
    loop_factory: Callable[[], asyncio.AbstractEventLoop], pki: Pki, tmp_path: Path
) -> None:
    server = _server_context(pki, tmp_path, ssl.CERT_NONE)
    client = _client_context(pki, tmp_path, None)

    with pytest.raises(ConnectionResetError):
        _run(loop_factory, _exchange(server, client, b"", one_write=True))


@pytest.mark.parametrize("loop_factory", LOOPS)
def test_a_failed_handshake_after_the_header_closes_the_connection(
    loop_factory: Callable[[], asyncio.AbstractEventLoop], pki: Pki, tmp_path: Path
) -> None:
    server = _server_context(pki, tmp_path, ssl.CERT_REQUIRED)
    client = _client_context(pki, tmp_path, None)  # `required`, and no certificate
    header = v2(1, 0x11, tcp4("203.0.113.9", "10.0.0.1", 61000, 8443))

    with pytest.raises((ConnectionResetError, ssl.SSLError)):
        _run(loop_factory, _exchange(server, client, header, one_write=True))


async def _silent_peer(header_timeout: float) -> bytes:
    """Connects and sends nothing; returns what the server sent before it closed."""
    protocol = proxy_protocol_class(_Echo)
    protocol.header_timeout = header_timeout  # type: ignore[attr-defined]
    listener = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        listener.close()
        await listener.wait_closed()


@pytest.mark.parametrize("loop_factory", LOOPS)
def test_a_peer_that_never_sends_the_header_is_closed(
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    # Without the deadline the read would wait for its own 5 s timeout and fail.
    assert _run(loop_factory, _silent_peer(0.2)) == b""
