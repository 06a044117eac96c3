"""The client-certificate lookup a configuration asks for (`--spi-x509cert-lookup-*`,
`--truststore-paths`), and the CAs the HTTPS listener verifies client certificates against
(`--https-client-auth`), built once at start-up."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding

from ostium.config import Config
from ostium.web.client_certificates import CertificateLookup, LookupSettings
from ostium.web.truststore import load_pkcs12_truststore, load_truststore

__all__ = ["certificate_lookup", "https_client_ca_pem", "lookup_settings"]


def lookup_settings(config: Config) -> LookupSettings:
    """The chosen provider's options; the other providers' are not looked at, as in Keycloak."""
    provider = config.spi_x509cert_lookup_provider
    if provider == "apache":
        return LookupSettings(
            provider,
            ssl_client_cert=config.spi_x509cert_lookup_apache_ssl_client_cert,
            ssl_cert_chain_prefix=config.spi_x509cert_lookup_apache_ssl_cert_chain_prefix,
            certificate_chain_length=config.spi_x509cert_lookup_apache_certificate_chain_length,
        )
    if provider == "haproxy":
        return LookupSettings(
            provider,
            ssl_client_cert=config.spi_x509cert_lookup_haproxy_ssl_client_cert,
            ssl_cert_chain_prefix=config.spi_x509cert_lookup_haproxy_ssl_cert_chain_prefix,
            certificate_chain_length=config.spi_x509cert_lookup_haproxy_certificate_chain_length,
        )
    if provider == "nginx":
        return LookupSettings(
            provider,
            ssl_client_cert=config.spi_x509cert_lookup_nginx_ssl_client_cert,
            ssl_cert_chain_prefix=config.spi_x509cert_lookup_nginx_ssl_cert_chain_prefix,
            certificate_chain_length=config.spi_x509cert_lookup_nginx_certificate_chain_length,
            trust_proxy_verification=config.spi_x509cert_lookup_nginx_trust_proxy_verification,
            cert_is_url_encoded=config.spi_x509cert_lookup_nginx_cert_is_url_encoded,
        )
    if provider == "traefik":
        return LookupSettings(
            provider,
            certificate_chain_length=config.spi_x509cert_lookup_traefik_certificate_chain_length,
        )
    if provider == "rfc9440":
        return LookupSettings(
            provider,
            ssl_client_cert=config.spi_x509cert_lookup_rfc9440_ssl_client_cert,
            ssl_cert_chain_prefix=config.spi_x509cert_lookup_rfc9440_ssl_cert_chain,
            certificate_chain_length=config.spi_x509cert_lookup_rfc9440_certificate_chain_length,
        )
    return LookupSettings(provider)


def certificate_lookup(config: Config) -> CertificateLookup | None:
    """None when no proxy lookup is configured. Raises `TruststoreError`."""
    settings = lookup_settings(config)
    if settings.provider == "default":
        return None
    return CertificateLookup(settings, load_truststore(config.truststore_paths))


def https_client_ca_pem(config: Config) -> str | None:
    """The trust anchors of `--https-client-auth`, as one PEM text for the TLS context:
    `--truststore-paths` (Keycloak's one truststore for everything) and
    `--https-trust-store-file`. None when the listener asks for no certificate. Raises
    `TruststoreError`."""
    if config.https_client_auth == "none":
        return None
    anchors = load_truststore(config.truststore_paths)
    if config.https_trust_store_file is not None:
        anchors += load_pkcs12_truststore(
            config.https_trust_store_file, config.https_trust_store_password
        )
    return "".join(cert.public_bytes(Encoding.PEM).decode() for cert in anchors)
