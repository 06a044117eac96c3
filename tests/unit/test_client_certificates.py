"""Client certificates passed on by a TLS-terminating proxy: each provider's format, and
every way a header can fail to name a certificate that verifies (Keycloak's x509cert-lookup)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from ostium.web.client_certificates import (
    CertificateLookup,
    LookupSettings,
    Provider,
    RejectedCertificate,
    verify_chain,
)
from tests.x509_ca import NOW, Pki, issue, make_pki, url_encoded

Headers = list[tuple[bytes, bytes]]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


def _headers(*pairs: tuple[str, str]) -> Headers:
    return [(name.lower().encode(), value.encode()) for name, value in pairs]


def _lookup(pki: Pki, provider: Provider, **options: object) -> CertificateLookup:
    settings = LookupSettings(provider=provider, **options)  # type: ignore[arg-type]
    return CertificateLookup(settings, [pki.root.cert])


def _spaced(pem: str) -> str:
    """Apache's and HAProxy's header values cannot hold line breaks: they come as spaces."""
    return pem.strip().replace("\n", " ")


def _xfcc(cert: str | None = None, chain: str | None = None) -> str:
    parts = ["By=spiffe://ostium/server", "Hash=abc123"]
    if cert is not None:
        parts.append(f'Cert="{url_encoded(cert)}"')
    if chain is not None:
        parts.append(f'Chain="{url_encoded(chain)}"')
    parts.append('Subject="CN=client-app"')
    return ";".join(parts)


def _sequence(der_b64: str) -> str:
    return f":{der_b64}:"


# --- what never yields a certificate -------------------------------------------------------


@pytest.mark.parametrize("provider", ["haproxy", "apache"])
def test_a_certificate_header_sent_twice_names_no_certificate(pki: Pki, provider: Provider) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.client.pem)),
        ("SSL_CLIENT_CERT", _spaced(pki.stranger.pem)),
        ("CERT_CHAIN_0", _spaced(pki.intermediate.pem)),
    )
    with pytest.raises(RejectedCertificate, match="occurs 2 times"):
        _lookup(pki, provider).lookup(headers, NOW)


def test_a_chain_header_sent_twice_names_no_certificate(pki: Pki) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.client.pem)),
        ("CERT_CHAIN_0", _spaced(pki.intermediate.pem)),
        ("CERT_CHAIN_0", _spaced(pki.other_root.pem)),
    )
    with pytest.raises(RejectedCertificate, match="occurs 2 times"):
        _lookup(pki, "haproxy").lookup(headers, NOW)


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE----- truncated",
        base64.b64encode(b"\x30\x03\x02\x01\x00").decode(),
        "caf\u00e9",
    ],
)
def test_garbage_in_the_header_names_no_certificate(pki: Pki, value: str) -> None:
    headers = [(b"ssl_client_cert", value.encode())]
    with pytest.raises(RejectedCertificate):
        _lookup(pki, "haproxy").lookup(headers, NOW)


def test_two_certificates_in_the_certificate_header_are_refused(pki: Pki) -> None:
    headers = _headers(("SSL_CLIENT_CERT", _spaced(pki.client.pem + pki.intermediate.pem)))
    with pytest.raises(RejectedCertificate, match="more than one"):
        _lookup(pki, "apache").lookup(headers, NOW)


def test_a_certificate_from_another_ca_does_not_verify(pki: Pki) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.stranger.pem)),
        ("CERT_CHAIN_0", _spaced(pki.other_root.pem)),
    )
    with pytest.raises(RejectedCertificate, match="does not lead to the truststore"):
        _lookup(pki, "haproxy").lookup(headers, NOW)


def test_a_chain_missing_its_intermediate_does_not_verify(pki: Pki) -> None:
    headers = _headers(("SSL_CLIENT_CERT", _spaced(pki.client.pem)))
    with pytest.raises(RejectedCertificate, match="does not lead to the truststore"):
        _lookup(pki, "haproxy").lookup(headers, NOW)


def test_a_forged_certificate_with_the_right_names_does_not_verify(pki: Pki) -> None:
    # Same subject and issuer names as the real intermediate, but a key of its own.
    fake_intermediate = issue("Test Intermediate CA", issue("Test Root CA", ca=True), ca=True)
    forged = issue("client-app", fake_intermediate)
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(forged.pem)),
        ("CERT_CHAIN_0", _spaced(fake_intermediate.pem)),
    )
    with pytest.raises(RejectedCertificate):
        _lookup(pki, "haproxy").lookup(headers, NOW)


def test_a_certificate_signed_by_a_non_ca_does_not_verify(pki: Pki) -> None:
    signed_by_leaf = issue("sub-client", pki.client)
    with pytest.raises(RejectedCertificate):
        verify_chain(
            signed_by_leaf.cert, [pki.client.cert, pki.intermediate.cert], [pki.root.cert], NOW
        )


def test_an_expired_certificate_is_refused(pki: Pki) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.expired.pem)),
        ("CERT_CHAIN_0", _spaced(pki.intermediate.pem)),
    )
    with pytest.raises(RejectedCertificate, match="not valid now"):
        _lookup(pki, "haproxy").lookup(headers, NOW)


def test_a_certificate_not_yet_valid_is_refused(pki: Pki) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.client.pem)),
        ("CERT_CHAIN_0", _spaced(pki.intermediate.pem)),
    )
    with pytest.raises(RejectedCertificate, match="not valid now"):
        _lookup(pki, "haproxy").lookup(headers, NOW - timedelta(days=2))


def test_an_empty_truststore_verifies_nothing(pki: Pki) -> None:
    lookup = CertificateLookup(LookupSettings(provider="haproxy"), [])
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.client.pem)),
        ("CERT_CHAIN_0", _spaced(pki.intermediate.pem)),
    )
    with pytest.raises(RejectedCertificate, match="truststore is empty"):
        lookup.lookup(headers, NOW)


def test_the_default_provider_reads_no_header(pki: Pki) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.client.pem)),
        ("CERT_CHAIN_0", _spaced(pki.intermediate.pem)),
    )
    assert _lookup(pki, "default").lookup(headers, NOW) == ()


@pytest.mark.parametrize("value", ["", "(null)"])
def test_a_connection_without_a_certificate_gives_none(pki: Pki, value: str) -> None:
    headers = [(b"ssl_client_cert", value.encode())]
    assert _lookup(pki, "apache").lookup(headers, NOW) == ()
    assert _lookup(pki, "apache").lookup([], NOW) == ()


# --- apache and haproxy --------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["haproxy", "apache"])
def test_pem_with_spaces_and_the_chain_headers_verify(pki: Pki, provider: Provider) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", _spaced(pki.client.pem)),
        ("CERT_CHAIN_0", _spaced(pki.intermediate.pem)),
    )
    chain = _lookup(pki, provider).lookup(headers, NOW)

    assert chain == (pki.client.cert, pki.intermediate.cert, pki.root.cert)


def test_haproxy_base64_der_without_armour_verifies(pki: Pki) -> None:
    headers = _headers(
        ("SSL_CLIENT_CERT", pki.client.der_b64),
        ("CERT_CHAIN_0", pki.intermediate.der_b64),
    )
    assert _lookup(pki, "haproxy").lookup(headers, NOW)[0] == pki.client.cert


def test_the_header_names_and_chain_length_are_options(pki: Pki) -> None:
    headers = _headers(
        ("X-Client-Cert", _spaced(pki.client.pem)),
        ("X-Chain_0", _spaced(pki.intermediate.pem)),
    )
    lookup = _lookup(
        pki, "apache", ssl_client_cert="X-Client-Cert", ssl_cert_chain_prefix="X-Chain"
    )
    assert lookup.lookup(headers, NOW)[0] == pki.client.cert

    # Chain headers beyond certificate-chain-length are not read: here the intermediate.
    short = _lookup(
        pki,
        "apache",
        ssl_client_cert="X-Client-Cert",
        ssl_cert_chain_prefix="X-Chain",
        certificate_chain_length=0,
    )
    with pytest.raises(RejectedCertificate):
        short.lookup(headers, NOW)


def test_a_truststore_holding_the_intermediate_anchors_the_chain(pki: Pki) -> None:
    lookup = CertificateLookup(LookupSettings(provider="haproxy"), [pki.intermediate.cert])
    headers = _headers(("SSL_CLIENT_CERT", _spaced(pki.client.pem)))

    assert lookup.lookup(headers, NOW) == (pki.client.cert, pki.intermediate.cert)


# --- nginx ---------------------------------------------------------------------------------


def test_nginx_rebuilds_the_chain_from_the_truststore(pki: Pki) -> None:
    lookup = CertificateLookup(
        LookupSettings(provider="nginx"), [pki.root.cert, pki.intermediate.cert]
    )
    headers = _headers(("ssl-client-cert", url_encoded(pki.client.pem)))

    assert lookup.lookup(headers, NOW) == (pki.client.cert, pki.intermediate.cert)


def test_nginx_refuses_a_certificate_outside_the_truststore(pki: Pki) -> None:
    lookup = CertificateLookup(
        LookupSettings(provider="nginx"), [pki.root.cert, pki.intermediate.cert]
    )
    headers = _headers(("ssl-client-cert", url_encoded(pki.stranger.pem)))
    with pytest.raises(RejectedCertificate):
        lookup.lookup(headers, NOW)


def test_nginx_trusting_the_proxy_takes_the_certificate_unchecked_but_not_expired(
    pki: Pki,
) -> None:
    lookup = _lookup(pki, "nginx", trust_proxy_verification=True)
    stranger = _headers(("ssl-client-cert", url_encoded(pki.stranger.pem)))
    assert lookup.lookup(stranger, NOW) == (pki.stranger.cert,)

    expired = _headers(("ssl-client-cert", url_encoded(pki.expired.pem)))
    with pytest.raises(RejectedCertificate, match="not valid now"):
        lookup.lookup(expired, NOW)


def test_nginx_plain_pem_when_not_url_encoded(pki: Pki) -> None:
    lookup = CertificateLookup(
        LookupSettings(provider="nginx", cert_is_url_encoded=False),
        [pki.root.cert, pki.intermediate.cert],
    )
    headers = _headers(("ssl-client-cert", _spaced(pki.client.pem)))
    assert lookup.lookup(headers, NOW)[0] == pki.client.cert


def test_nginx_header_sent_twice_names_no_certificate(pki: Pki) -> None:
    lookup = _lookup(pki, "nginx", trust_proxy_verification=True)
    headers = _headers(
        ("ssl-client-cert", url_encoded(pki.client.pem)),
        ("ssl-client-cert", url_encoded(pki.stranger.pem)),
    )
    with pytest.raises(RejectedCertificate, match="occurs 2 times"):
        lookup.lookup(headers, NOW)


# --- envoy ---------------------------------------------------------------------------------


def test_envoy_chain_verifies(pki: Pki) -> None:
    xfcc = _xfcc(cert=pki.client.pem, chain=pki.client.pem + pki.intermediate.pem)
    chain = _lookup(pki, "envoy").lookup(_headers(("x-forwarded-client-cert", xfcc)), NOW)

    assert chain == (pki.client.cert, pki.intermediate.cert, pki.root.cert)


def test_envoy_cert_alone_needs_the_truststore_to_hold_its_issuer(pki: Pki) -> None:
    headers = _headers(("x-forwarded-client-cert", _xfcc(cert=pki.client.pem)))
    with pytest.raises(RejectedCertificate):
        _lookup(pki, "envoy").lookup(headers, NOW)
    lookup = CertificateLookup(LookupSettings(provider="envoy"), [pki.intermediate.cert])
    assert lookup.lookup(headers, NOW)[0] == pki.client.cert


@pytest.mark.parametrize(
    "xfcc",
    [
        'Cert="not-pem"',
        "Cert",
        'Cert="%2D%2D%2D%2D%2DBEGIN',
        "By=a;By=b",
    ],
)
def test_envoy_malformed_header_names_no_certificate(pki: Pki, xfcc: str) -> None:
    with pytest.raises(RejectedCertificate):
        _lookup(pki, "envoy").lookup(_headers(("x-forwarded-client-cert", xfcc)), NOW)


def test_envoy_two_elements_name_no_certificate(pki: Pki) -> None:
    # A client's own XFCC element that the proxy appended to instead of replacing.
    xfcc = _xfcc(chain=pki.stranger.pem) + "," + _xfcc(chain=pki.client.pem + pki.intermediate.pem)
    with pytest.raises(RejectedCertificate, match="more than one element"):
        _lookup(pki, "envoy").lookup(_headers(("x-forwarded-client-cert", xfcc)), NOW)


def test_envoy_cert_and_chain_that_disagree_name_no_certificate(pki: Pki) -> None:
    xfcc = _xfcc(cert=pki.stranger.pem, chain=pki.client.pem + pki.intermediate.pem)
    with pytest.raises(RejectedCertificate, match="disagree"):
        _lookup(pki, "envoy").lookup(_headers(("x-forwarded-client-cert", xfcc)), NOW)


# --- traefik -------------------------------------------------------------------------------


def test_traefik_comma_list_of_base64_der_verifies(pki: Pki) -> None:
    value = f"{pki.client.der_b64},{pki.intermediate.der_b64}"
    chain = _lookup(pki, "traefik").lookup(_headers(("X-Forwarded-Tls-Client-Cert", value)), NOW)

    assert chain == (pki.client.cert, pki.intermediate.cert, pki.root.cert)


def test_traefik_url_encoded_pem_verifies(pki: Pki) -> None:
    value = f"{url_encoded(pki.client.pem)},{url_encoded(pki.intermediate.pem)}"
    chain = _lookup(pki, "traefik").lookup(_headers(("X-Forwarded-Tls-Client-Cert", value)), NOW)
    assert chain[0] == pki.client.cert


def test_traefik_url_encoded_pem_with_plus_for_space_verifies(pki: Pki) -> None:
    """Traefik's own encoding writes the armour's spaces as "+"."""
    value = ",".join(
        url_encoded(issued.pem).replace("%20", "+") for issued in (pki.client, pki.intermediate)
    )
    chain = _lookup(pki, "traefik").lookup(_headers(("X-Forwarded-Tls-Client-Cert", value)), NOW)
    assert chain[0] == pki.client.cert


def test_traefik_chain_longer_than_allowed_is_refused(pki: Pki) -> None:
    value = f"{pki.client.der_b64},{pki.intermediate.der_b64},{pki.root.der_b64}"
    headers = _headers(("X-Forwarded-Tls-Client-Cert", value))
    with pytest.raises(RejectedCertificate, match="certificate-chain-length=1"):
        _lookup(pki, "traefik").lookup(headers, NOW)
    assert _lookup(pki, "traefik", certificate_chain_length=2).lookup(headers, NOW)


def test_traefik_garbage_item_names_no_certificate(pki: Pki) -> None:
    headers = _headers(("X-Forwarded-Tls-Client-Cert", f"{pki.client.der_b64},%%%"))
    with pytest.raises(RejectedCertificate):
        _lookup(pki, "traefik").lookup(headers, NOW)


# --- rfc9440 -------------------------------------------------------------------------------


def test_rfc9440_byte_sequences_verify(pki: Pki) -> None:
    headers = _headers(
        ("Client-Cert", _sequence(pki.client.der_b64)),
        ("Client-Cert-Chain", _sequence(pki.intermediate.der_b64)),
    )
    chain = _lookup(pki, "rfc9440").lookup(headers, NOW)
    assert chain == (pki.client.cert, pki.intermediate.cert, pki.root.cert)


def test_rfc9440_chain_may_span_header_lines(pki: Pki) -> None:
    headers = _headers(
        ("Client-Cert", _sequence(pki.client.der_b64)),
        ("Client-Cert-Chain", _sequence(pki.intermediate.der_b64)),
        ("Client-Cert-Chain", _sequence(pki.root.der_b64)),
    )
    assert _lookup(pki, "rfc9440", certificate_chain_length=2).lookup(headers, NOW)
    with pytest.raises(RejectedCertificate, match="certificate-chain-length=1"):
        _lookup(pki, "rfc9440").lookup(headers, NOW)


@pytest.mark.parametrize(
    "value",
    ["", ":", "MIIB:", ":not base64!:", ":" + base64.b64encode(b"junk").decode() + ":"],
)
def test_rfc9440_malformed_byte_sequence_names_no_certificate(pki: Pki, value: str) -> None:
    with pytest.raises(RejectedCertificate):
        _lookup(pki, "rfc9440").lookup(_headers(("Client-Cert", value)), NOW)


def test_rfc9440_client_cert_twice_names_no_certificate(pki: Pki) -> None:
    headers = _headers(
        ("Client-Cert", _sequence(pki.client.der_b64)),
        ("Client-Cert", _sequence(pki.client.der_b64)),
    )
    with pytest.raises(RejectedCertificate, match="occurs 2 times"):
        _lookup(pki, "rfc9440").lookup(headers, NOW)


def test_rfc9440_chain_without_certificate_is_refused(pki: Pki) -> None:
    headers = _headers(("Client-Cert-Chain", _sequence(pki.intermediate.der_b64)))
    with pytest.raises(RejectedCertificate, match="without"):
        _lookup(pki, "rfc9440").lookup(headers, NOW)


def test_rfc9440_certificate_pem_is_not_a_byte_sequence(pki: Pki) -> None:
    pem = pki.client.cert.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(RejectedCertificate):
        _lookup(pki, "rfc9440").lookup(_headers(("Client-Cert", _spaced(pem))), NOW)
