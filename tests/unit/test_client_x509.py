"""Keycloak's client-x509 subject and issuer checks, on certificates made here."""

from __future__ import annotations

import pytest

from ostium.domain import Client
from ostium.errors import InvalidClient
from ostium.protocol.client_x509 import check_client_certificate, dn_equal
from tests.x509_ca import Pki, make_pki


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


def _client(**attributes: str) -> Client:
    return Client(
        id="c1",
        realm_id="r1",
        client_id="mtls",
        client_authenticator_type="client-x509",
        attributes=attributes,
    )


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({}, "no x509.subjectdn"),
        ({"x509.subjectdn": "CN=client-app"}, "subject"),  # a pattern must match it all
        ({"x509.subjectdn": "CN=client-app,O=Ostium Test,"}, "subject"),
        ({"x509.subjectdn": "(unclosed"}, "subject"),  # a broken pattern matches nothing
        (
            {"x509.subjectdn": ".*", "x509.allow.regex.pattern.comparison": "false"},
            "subject",
        ),
        ({"x509.subjectdn": ".*", "x509.casubjectdn": "CN=Test Root CA,O=Ostium Test"}, "issuer"),
    ],
)
def test_mismatches_are_refused(pki: Pki, attributes: dict[str, str], reason: str) -> None:
    with pytest.raises(InvalidClient) as raised:
        check_client_certificate(_client(**attributes), (pki.client.cert,))
    assert reason in (raised.value.detail or "")


def test_no_certificate_is_refused(pki: Pki) -> None:
    with pytest.raises(InvalidClient):
        check_client_certificate(_client(**{"x509.subjectdn": ".*"}), ())


@pytest.mark.parametrize(
    "attributes",
    [
        {"x509.subjectdn": "CN=client-app,O=Ostium Test"},
        {"x509.subjectdn": "CN=client-.*,O=.*"},
        {
            "x509.subjectdn": "cn=Client-App, o=OSTIUM  test",
            "x509.allow.regex.pattern.comparison": "false",
        },
        {
            "x509.subjectdn": "CN=client-app,O=Ostium Test",
            "x509.casubjectdn": "CN=Test Intermediate CA, O=Ostium Test",
        },
    ],
)
def test_matches_are_accepted(pki: Pki, attributes: dict[str, str]) -> None:
    check_client_certificate(_client(**attributes), (pki.client.cert,))


def test_a_dn_in_another_order_is_another_dn(pki: Pki) -> None:
    assert dn_equal("CN=client-app,O=Ostium Test", pki.client.cert.subject)
    assert not dn_equal("O=Ostium Test,CN=client-app", pki.client.cert.subject)
    assert not dn_equal("not a dn", pki.client.cert.subject)
