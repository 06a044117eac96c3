"""HTTP(S) listeners and the management port with its health checks and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ostium.config.declare import BadValue, check_port, option

__all__ = ["HttpOptions"]


def _check_relative_path(value: str) -> None:
    if not value.startswith("/"):
        raise BadValue(f"{value!r} does not start with '/'")


@dataclass(frozen=True, repr=False)
class HttpOptions:
    """The listeners: plain HTTP, HTTPS, and the management port."""

    http_enabled: bool = field(
        default=False,
        metadata=option(
            category="HTTP(S)",
            description=(
                "Serve plain HTTP. Production mode needs it only behind a proxy that terminates"
                " TLS; development mode turns it on."
            ),
        ),
    )
    http_host: str = field(
        default="0.0.0.0",  # noqa: S104 - a server listens on every interface unless told otherwise
        metadata=option(
            category="HTTP(S)",
            description="The address the HTTP(S) and management listeners bind to.",
        ),
    )
    http_port: int = field(
        default=8080,
        metadata=option(
            category="HTTP(S)",
            description="The port of the plain HTTP listener.",
            check=check_port,
        ),
    )
    https_port: int = field(
        default=8443,
        metadata=option(
            category="HTTP(S)",
            description="The port of the HTTPS listener.",
            check=check_port,
        ),
    )
    https_certificate_file: Path | None = field(
        default=None,
        metadata=option(
            category="HTTP(S)",
            description="The server certificate (chain) in PEM format; setting it turns HTTPS on.",
        ),
    )
    https_certificate_key_file: Path | None = field(
        default=None,
        metadata=option(
            category="HTTP(S)",
            description="The private key of --https-certificate-file, in PEM format.",
        ),
    )
    https_client_auth: Literal["none", "request", "required"] = field(
        default="none",
        metadata=option(
            category="HTTP(S)",
            description=(
                "Whether the HTTPS listener asks clients for a certificate: none, request (a"
                " certificate is verified when sent) or required (no handshake without one)."
                " The certificate must chain to --truststore-paths or --https-trust-store-file;"
                " it then serves tls_client_auth and certificate-bound tokens."
            ),
        ),
    )
    https_trust_store_file: Path | None = field(
        default=None,
        metadata=option(
            category="HTTP(S)",
            description=(
                "A PKCS#12 keystore of CA certificates that client certificates of the HTTPS"
                " listener must chain to (besides --truststore-paths)."
            ),
        ),
    )
    https_trust_store_password: str | None = field(
        default=None,
        metadata=option(
            category="HTTP(S)",
            description="The password of --https-trust-store-file.",
            secret=True,
        ),
    )
    https_trust_store_type: Literal["pkcs12", "jks", "bcfks"] | None = field(
        default=None,
        metadata=option(
            category="HTTP(S)",
            description=(
                "The type of --https-trust-store-file; unset: from its extension. Only pkcs12"
                " is supported yet (convert a JKS store with keytool -importkeystore)."
            ),
        ),
    )
    http_relative_path: str = field(
        default="/",
        metadata=option(
            category="HTTP(S)",
            description=(
                "The path prefix of every endpoint, such as /auth for the layout of Keycloak 16"
                " and older: realms, the admin API, resources, the welcome page, cookies and the"
                " management port's /health and /metrics move under it; other paths answer 404."
            ),
            check=_check_relative_path,
        ),
    )
    http_management_port: int = field(
        default=9000,
        metadata=option(
            category="Management",
            description=(
                "The port of the management listener (health checks and metrics), kept apart from"
                " the public port so that a proxy never exposes it."
            ),
            check=check_port,
        ),
    )
    http_management_relative_path: str | None = field(
        default=None,
        metadata=option(
            category="Management",
            description=(
                "The path prefix of the management port's /health and /metrics; unset, it is"
                " --http-relative-path's."
            ),
            check=_check_relative_path,
            default_label="--http-relative-path",
        ),
    )
    health_enabled: bool = field(
        default=False,
        metadata=option(
            category="Health",
            description=(
                "Serve /health, /health/live, /health/ready and /health/started on the"
                " management port."
            ),
        ),
    )
    metrics_enabled: bool = field(
        default=False,
        metadata=option(
            category="Metrics",
            description="Serve Prometheus metrics at /metrics on the management port.",
        ),
    )
