"""The PROXY protocol header (haproxy.org's proxy-protocol.txt, sections 2.1 and 2.2)."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from ostium.web.proxy_protocol import V2_SIGNATURE, Header, Invalid, parse_header


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
