"""Client certificates: the truststore and where a TLS-terminating proxy puts the certificate.

Keycloak's names: `--truststore-paths`, and the `x509cert-lookup` SPI's
`--spi-x509cert-lookup-provider` with each provider's options,
`--spi-x509cert-lookup-<provider>-<option>`. Keycloak's newer spelling with double dashes
(`--spi-x509cert-lookup--provider`, `--spi-x509cert-lookup--nginx--ssl-client-cert`) names
the same options (the parser folds it). An option left unset takes the provider's default,
which Keycloak's reverse-proxy guide lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ostium.config.declare import BadValue, OptionMeta, option

__all__ = ["X509Options"]

CATEGORY = "Client certificates"


def _check_chain_length(value: int | None) -> None:
    if value is not None and not 0 <= value <= 10:
        raise BadValue(f"{value} is not a chain length from 0 to 10")


def _header(provider: str, default: str) -> dict[str, OptionMeta]:
    return option(
        category=CATEGORY,
        description=(f"The request header in which {provider} passes on the client certificate."),
        default_label=default,
    )


def _chain_prefix(provider: str, default: str) -> dict[str, OptionMeta]:
    return option(
        category=CATEGORY,
        description=(
            f"The prefix of the headers in which {provider} passes on the certificate's chain:"
            " <prefix>_0, <prefix>_1 and so on."
        ),
        default_label=default,
    )


def _chain_length(provider: str, default: int) -> dict[str, OptionMeta]:
    return option(
        category=CATEGORY,
        description=(
            f"How many chain certificates after the client's own {provider} may pass on;"
            " a longer chain is not read (apache, haproxy) or refused."
        ),
        default_label=str(default),
        check=_check_chain_length,
    )


@dataclass(frozen=True, repr=False)
class X509Options:
    """Which certificates are trusted, and how a proxy hands on the client's one."""

    truststore_paths: list[str] = field(
        default_factory=list,
        metadata=option(
            category=CATEGORY,
            description=(
                "PEM files and folders of PEM files, separated by commas, holding the CA"
                " certificates that client certificates must chain to. Every certificate in"
                " them is trusted, roots and intermediates alike."
            ),
        ),
    )
    spi_x509cert_lookup_provider: Literal[
        "default", "haproxy", "apache", "nginx", "envoy", "traefik", "rfc9440"
    ] = field(
        default="default",
        metadata=option(
            category=CATEGORY,
            description=(
                "Where the client certificate is read from when a TLS-terminating proxy is in"
                " front: default (not from headers), haproxy, apache, nginx, envoy, traefik or"
                " rfc9440 (Client-Cert). Headers are read only from --proxy-trusted-addresses"
                " (unset: every peer) and the certificate must chain to --truststore-paths."
            ),
        ),
    )
    spi_x509cert_lookup_apache_ssl_client_cert: str | None = field(
        default=None,
        metadata=_header("apache", "SSL_CLIENT_CERT"),
    )
    spi_x509cert_lookup_apache_ssl_cert_chain_prefix: str | None = field(
        default=None,
        metadata=_chain_prefix("apache", "CERT_CHAIN"),
    )
    spi_x509cert_lookup_apache_certificate_chain_length: int | None = field(
        default=None,
        metadata=_chain_length("apache", 10),
    )
    spi_x509cert_lookup_haproxy_ssl_client_cert: str | None = field(
        default=None,
        metadata=_header("haproxy", "SSL_CLIENT_CERT"),
    )
    spi_x509cert_lookup_haproxy_ssl_cert_chain_prefix: str | None = field(
        default=None,
        metadata=_chain_prefix("haproxy", "CERT_CHAIN"),
    )
    spi_x509cert_lookup_haproxy_certificate_chain_length: int | None = field(
        default=None,
        metadata=_chain_length("haproxy", 10),
    )
    spi_x509cert_lookup_nginx_ssl_client_cert: str | None = field(
        default=None,
        metadata=_header("nginx", "ssl-client-cert"),
    )
    spi_x509cert_lookup_nginx_ssl_cert_chain_prefix: str | None = field(
        default=None,
        metadata=_chain_prefix("nginx", "USELESS (nginx passes on no chain)"),
    )
    spi_x509cert_lookup_nginx_certificate_chain_length: int | None = field(
        default=None,
        metadata=_chain_length("nginx", 2),
    )
    spi_x509cert_lookup_nginx_trust_proxy_verification: bool = field(
        default=False,
        metadata=option(
            category=CATEGORY,
            description=(
                "Take the certificate nginx verified as it is, without checking its chain"
                " against --truststore-paths (its validity period is still checked)."
            ),
        ),
    )
    spi_x509cert_lookup_nginx_cert_is_url_encoded: bool = field(
        default=True,
        metadata=option(
            category=CATEGORY,
            description=("Whether nginx's header is URL-encoded PEM ($ssl_client_escaped_cert)."),
        ),
    )
    spi_x509cert_lookup_traefik_certificate_chain_length: int | None = field(
        default=None,
        metadata=_chain_length("traefik", 1),
    )
    spi_x509cert_lookup_rfc9440_ssl_client_cert: str | None = field(
        default=None,
        metadata=_header("an RFC 9440 proxy", "Client-Cert"),
    )
    spi_x509cert_lookup_rfc9440_ssl_cert_chain: str | None = field(
        default=None,
        metadata=option(
            category=CATEGORY,
            description="The request header in which an RFC 9440 proxy passes on the chain.",
            default_label="Client-Cert-Chain",
        ),
    )
    spi_x509cert_lookup_rfc9440_certificate_chain_length: int | None = field(
        default=None,
        metadata=_chain_length("an RFC 9440 proxy", 1),
    )
