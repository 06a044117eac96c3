"""`--spi-x509cert-lookup-*` and `--truststore-paths`: both of Keycloak's spellings, the
provider defaults, and the start-up refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ostium.config import ConfigError, help_text, load_config
from ostium.web.certificate_settings import (
    certificate_lookup,
    https_client_ca_pem,
    lookup_settings,
)
from ostium.web.truststore import TruststoreError, load_pkcs12_truststore, load_truststore
from tests.x509_ca import make_pki


def _load(tmp_path: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return load_config(list(args), env or {}, "dev", cwd=tmp_path)


def test_a_provider_without_a_truststore_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Missing option '--truststore-paths'"):
        _load(tmp_path, "--spi-x509cert-lookup-provider=haproxy")


def test_an_unknown_provider_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected one of"):
        _load(tmp_path, "--spi-x509cert-lookup-provider=f5", "--truststore-paths=x.pem")


def test_an_unknown_provider_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown option"):
        _load(tmp_path, "--spi-x509cert-lookup-envoy-ssl-client-cert=x")


def test_a_chain_length_out_of_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="chain length"):
        _load(tmp_path, "--spi-x509cert-lookup-haproxy-certificate-chain-length=-1")


def test_nginx_trusting_the_proxy_needs_no_truststore(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "--spi-x509cert-lookup-provider=nginx",
        "--spi-x509cert-lookup-nginx-trust-proxy-verification=true",
    )
    assert lookup_settings(config).trust_proxy_verification


def test_both_spellings_name_the_same_options(tmp_path: Path) -> None:
    old = _load(
        tmp_path,
        "--spi-x509cert-lookup-provider=nginx",
        "--spi-x509cert-lookup-nginx-ssl-client-cert=X-SSL-Cert",
        "--spi-x509cert-lookup-nginx-cert-is-url-encoded=false",
        "--truststore-paths=ca.pem",
    )
    new = _load(
        tmp_path,
        "--spi-x509cert-lookup--provider=nginx",
        "--spi-x509cert-lookup--nginx--ssl-client-cert=X-SSL-Cert",
        "--spi-x509cert-lookup--nginx--cert-is-url-encoded=false",
        "--truststore-paths=ca.pem",
    )
    assert lookup_settings(old) == lookup_settings(new)
    settings = lookup_settings(new)
    assert (settings.provider, settings.header, settings.cert_is_url_encoded) == (
        "nginx",
        "x-ssl-cert",
        False,
    )


def test_the_environment_takes_both_spellings(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        env={
            "OSTIUM_SPI_X509CERT_LOOKUP__PROVIDER": "rfc9440",
            "OSTIUM_SPI_X509CERT_LOOKUP__RFC9440__CERTIFICATE_CHAIN_LENGTH": "3",
            "OSTIUM_TRUSTSTORE_PATHS": "ca.pem",
        },
    )
    settings = lookup_settings(config)
    assert (settings.provider, settings.chain_length, settings.chain_header) == (
        "rfc9440",
        3,
        "client-cert-chain",
    )


def test_unset_options_take_keycloaks_defaults(tmp_path: Path) -> None:
    config = _load(tmp_path, "--spi-x509cert-lookup-provider=haproxy", "--truststore-paths=a")
    settings = lookup_settings(config)
    assert (settings.header, settings.chain_header, settings.chain_length) == (
        "ssl_client_cert",
        "cert_chain",
        10,
    )


def test_help_lists_the_options() -> None:
    text = help_text("prod")
    assert "--spi-x509cert-lookup-provider" in text
    assert "--spi-x509cert-lookup-nginx-trust-proxy-verification" in text
    assert "--truststore-paths" in text


def test_a_truststore_path_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TruststoreError, match="neither a file nor a folder"):
        load_truststore([tmp_path / "missing.pem"])


def test_a_truststore_file_without_pem_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    with pytest.raises(TruststoreError, match="holds no PEM certificate"):
        load_truststore([tmp_path / "ca.pem"])


def test_truststore_files_and_folders_are_read(tmp_path: Path) -> None:
    pki = make_pki()
    folder = tmp_path / "cas"
    folder.mkdir()
    (folder / "root.pem").write_text(pki.root.pem)
    (folder / "intermediate.crt").write_text(pki.intermediate.pem)
    (folder / "notes.txt").write_text("ignored")
    bundle = tmp_path / "other.pem"
    bundle.write_bytes(pki.other_root.cert.public_bytes(serialization.Encoding.PEM))

    found = load_truststore([folder, bundle])

    assert set(found) == {pki.root.cert, pki.intermediate.cert, pki.other_root.cert}
    config = _load(
        tmp_path,
        "--spi-x509cert-lookup-provider=apache",
        f"--truststore-paths={folder},{bundle}",
    )
    lookup = certificate_lookup(config)
    assert lookup is not None and len(lookup.truststore) == 3


def test_a_pkcs12_trust_store_is_read_with_its_password(tmp_path: Path) -> None:
    """`--https-trust-store-file`: every certificate of the store is a trust anchor; a
    wrong password or another file is refused by name, and the anchors reach the HTTPS
    listener's TLS context together with `--truststore-paths`."""
    pki = make_pki()
    store = tmp_path / "cas.p12"
    store.write_bytes(
        pkcs12.serialize_key_and_certificates(
            None,
            None,
            None,
            [pki.root.cert, pki.intermediate.cert],
            serialization.BestAvailableEncryption(b"store-pw"),
        )
    )
    (tmp_path / "other.pem").write_text(pki.other_root.pem)

    assert set(load_pkcs12_truststore(store, "store-pw")) == {pki.root.cert, pki.intermediate.cert}
    with pytest.raises(TruststoreError, match="password is wrong"):
        load_pkcs12_truststore(store, "nope")
    with pytest.raises(TruststoreError, match="not a PKCS#12 store"):
        load_pkcs12_truststore(tmp_path / "other.pem", None)

    config = _load(
        tmp_path,
        "--https-client-auth=request",
        "--https-certificate-file=c.pem",
        "--https-certificate-key-file=k.pem",
        f"--https-trust-store-file={store}",
        "--https-trust-store-password=store-pw",
        f"--truststore-paths={tmp_path / 'other.pem'}",
    )
    pem = https_client_ca_pem(config)
    assert pem is not None
    assert set(x509.load_pem_x509_certificates(pem.encode())) == {
        pki.root.cert,
        pki.intermediate.cert,
        pki.other_root.cert,
    }
    assert https_client_ca_pem(_load(tmp_path)) is None
