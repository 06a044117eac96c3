"""Forwarding headers: RFC 7239 `Forwarded`, `X-Forwarded-*`, and whom to believe."""

from __future__ import annotations

import pytest

from ostium.web.forwarded import (
    MAX_HEADER_LENGTH,
    Forwarded,
    MalformedForwarding,
    ProxyTrust,
    parse_forwarded,
    parse_x_forwarded,
)


def headers(*pairs: tuple[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode("latin-1")) for name, value in pairs]


def xff(
    proto: str | None = None,
    host: str | None = None,
    port: str | None = None,
    for_: str | None = None,
) -> Forwarded:
    return parse_x_forwarded(proto=proto, host=host, port=port, for_=for_)


# --- RFC 7239 Forwarded: malformed first ------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "proto=ftp",  # neither http nor https
        "proto=",  # empty value
        "host=exa mple.com",  # a space is no token
        'host="a,b"',  # a quoted comma stays in the value, and no host has one
        'host="id.example.com:99999"',  # port out of range
        'host="id.example.com:https"',  # port not a number
        "host=.example.com",
        'host="[2001:db8::zz]"',  # not an IPv6 literal
        "for=not-an-address",  # garbage for=
        "for=999.1.1.1",
        "for=2001:db8::1",  # IPv6 without brackets
        'for="[192.0.2.1]"',  # brackets hold IPv6 only
        'for="[2001:db8::1"',  # unclosed bracket
        'for="192.0.2.1:0"',
        'for="unterminated',  # quoted string never closed
        "for=192.0.2.1;for=192.0.2.2",  # a parameter twice in one element
        "for",  # a pair without '='
        "for=192.0.2.1, by",  # a later element that does not parse
        "secret value=1",  # an extension name that is no token
        "for=192.0.2.1;proto=https\x7f",
    ],
)
def test_a_malformed_forwarded_header_is_refused(value: str) -> None:
    with pytest.raises(MalformedForwarding):
        parse_forwarded(value)


def test_forwarded_gives_scheme_host_port_and_client() -> None:
    parsed = parse_forwarded('for="192.0.2.60:4711";proto=HTTPS;host="id.example.com:8443"')

    assert parsed == Forwarded("https", "id.example.com", 8443, "192.0.2.60", 4711)


def test_forwarded_first_element_is_the_client_later_hops_are_proxies() -> None:
    parsed = parse_forwarded("for=192.0.2.43;proto=https;host=id.example.com, for=198.51.100.17")

    assert (parsed.client_host, parsed.scheme, parsed.host) == (
        "192.0.2.43",
        "https",
        "id.example.com",
    )


def test_forwarded_ipv6_client_in_brackets_with_port() -> None:
    parsed = parse_forwarded('For="[2001:db8:cafe::17]:4711"')

    assert (parsed.client_host, parsed.client_port) == ("2001:db8:cafe::17", 4711)


def test_forwarded_ipv6_host_keeps_its_brackets() -> None:
    assert parse_forwarded('host="[2001:db8::1]:8443"').host == "[2001:db8::1]"


@pytest.mark.parametrize("node", ["unknown", "_hidden", "_SEVKISEK", '"_gazonk:_port"'])
def test_forwarded_unknown_or_obfuscated_client_names_no_address(node: str) -> None:
    parsed = parse_forwarded(f"for={node};proto=https")

    assert (parsed.client_host, parsed.scheme) == (None, "https")


def test_forwarded_obfuscated_port_is_no_port() -> None:
    assert parse_forwarded('for="192.0.2.1:_abc"').client_port is None


def test_forwarded_unknown_parameters_and_empty_pairs_are_ignored() -> None:
    parsed = parse_forwarded('by=10.0.0.1;;ext="x;y,z";for=192.0.2.7')

    assert parsed.client_host == "192.0.2.7"


def test_forwarded_quoted_escapes_are_unquoted() -> None:
    assert parse_forwarded(r'host="id\.example.com"').host == "id.example.com"


# --- X-Forwarded-* --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"proto": "gopher"},
        {"proto": ""},
        {"host": "id.example.com:0"},
        {"host": "id example com"},
        {"host": "id.example.com:80:80"},
        {"port": "http"},
        {"port": "70000"},
        {"port": "-1"},
        {"for_": "garbage"},
        {"for_": "[2001:db8::1"},
        {"for_": "192.0.2.1:port"},
    ],
)
def test_a_malformed_x_forwarded_header_is_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(MalformedForwarding):
        xff(**kwargs)


def test_x_forwarded_takes_the_first_value_of_each_list() -> None:
    parsed = xff(
        proto="https, http",
        host="id.example.com, internal:8080",
        port="443, 8080",
        for_="203.0.113.9, 10.0.0.2",
    )

    assert parsed == Forwarded("https", "id.example.com", 443, "203.0.113.9", None)


def test_x_forwarded_port_overrides_the_port_of_the_host() -> None:
    assert xff(host="id.example.com:8443", port="9443").port == 9443
    assert xff(host="id.example.com:8443").port == 8443


def test_x_forwarded_for_accepts_bare_and_bracketed_ipv6() -> None:
    assert xff(for_="2001:db8::7").client_host == "2001:db8::7"
    assert xff(for_="[2001:db8::7]:5000").client_port == 5000
    assert xff(for_="unknown").client_host is None


# --- combining repeated headers, lengths, modes -----------------------------------------


def test_repeated_header_lines_combine_in_order() -> None:
    trust = ProxyTrust.of("xforwarded", [])

    parsed = trust.parse(
        headers(("X-Forwarded-For", "203.0.113.1"), ("X-Forwarded-For", "10.0.0.1"))
    )

    assert parsed is not None and parsed.client_host == "203.0.113.1"


def test_repeated_forwarded_lines_are_one_list() -> None:
    trust = ProxyTrust.of("forwarded", [])

    parsed = trust.parse(headers(("Forwarded", "for=203.0.113.1"), ("Forwarded", "for=10.0.0.1")))

    assert parsed is not None and parsed.client_host == "203.0.113.1"


def test_a_bad_later_forwarded_line_spoils_the_whole_header() -> None:
    trust = ProxyTrust.of("forwarded", [])

    with pytest.raises(MalformedForwarding):
        trust.parse(headers(("Forwarded", "for=203.0.113.1"), ("Forwarded", "for=junk")))


def test_a_very_long_header_is_refused_without_parsing() -> None:
    trust = ProxyTrust.of("xforwarded", [])
    long = ", ".join(["10.0.0.1"] * (MAX_HEADER_LENGTH // 8))

    with pytest.raises(MalformedForwarding, match="longer than"):
        trust.parse(headers(("X-Forwarded-For", long)))


def test_a_non_ascii_header_is_refused() -> None:
    trust = ProxyTrust.of("xforwarded", [])

    with pytest.raises(MalformedForwarding):
        trust.parse([(b"x-forwarded-host", "idé.example.com".encode())])


def test_each_mode_reads_only_its_own_headers() -> None:
    sent = headers(("Forwarded", "proto=https"), ("X-Forwarded-Proto", "http"))
    garbage_other = headers(("Forwarded", "for=junk"), ("X-Forwarded-Proto", "https"))

    assert ProxyTrust.of("forwarded", []).parse(sent) == Forwarded(scheme="https")
    assert ProxyTrust.of("xforwarded", []).parse(sent) == Forwarded(scheme="http")
    assert ProxyTrust.of("xforwarded", []).parse(garbage_other) == Forwarded(scheme="https")
    assert ProxyTrust.of("forwarded", []).parse(headers(("X-Forwarded-Proto", "https"))) is None


# --- trust --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("networks", "peer", "trusted"),
    [
        (["10.0.0.0/8"], "10.1.2.3", True),
        (["10.0.0.0/8"], "11.0.0.1", False),
        (["10.0.0.0/8"], "::ffff:10.1.2.3", True),  # IPv4-mapped, as a dual-stack socket says
        (["10.0.0.0/8"], "::ffff:11.0.0.1", False),
        (["127.0.0.1"], "127.0.0.1", True),
        (["127.0.0.1"], "127.0.0.2", False),
        (["2001:db8::/32"], "2001:db8:1::5", True),
        (["2001:db8::/32"], "2001:db9::5", False),
        (["2001:db8::/32"], "10.0.0.1", False),
        (["::1"], "::1", True),
        (["::1"], "127.0.0.1", False),
        (["fe80::/10"], "fe80::1%eth0", True),  # a scoped link-local peer
        (["10.0.0.0/8", "192.168.0.0/16"], "192.168.5.5", True),
        (["10.0.0.0/8"], None, False),  # a Unix socket: no peer address
        (["10.0.0.0/8"], "not-an-ip", False),
        ([], "203.0.113.5", True),  # unset: every peer, as Keycloak
        ([], None, True),
    ],
)
def test_trust_decisions(networks: list[str], peer: str | None, trusted: bool) -> None:
    assert ProxyTrust.of("xforwarded", networks).trusts(peer) is trusted
