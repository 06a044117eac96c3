"""Cache options: Keycloak's named caches, local or on Redis, their bounds and metrics."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Literal

from ostium.config.declare import check_port, check_positive, option

__all__ = ["CacheOptions"]


@dataclass(frozen=True, repr=False)
class CacheOptions:
    """Where the caches live, this node's name in a cluster, and each cache's bound."""

    cache: Literal["local", "redis"] = field(
        default="local",
        metadata=option(
            category="Cache",
            description=(
                "Where the caches live: local, in this process, for a single node;"
                " redis, shared by every node of a cluster."
            ),
        ),
    )
    node_name: str = field(
        default_factory=socket.gethostname,
        metadata=option(
            category="Cache",
            description=(
                "This node's name in a cluster: it owns the sessions it creates and is the route"
                " appended to the AUTH_SESSION_ID cookie. Must differ between nodes."
            ),
            default_label="the machine's host name",
        ),
    )
    spi_sticky_session_encoder_infinispan_should_attach_route: bool = field(
        default=True,
        metadata=option(
            category="Cache",
            description=(
                "Append '.<node-name>' to the AUTH_SESSION_ID cookie so that a load balancer can"
                " send a login back to the node that started it. Keycloak's name, kept as it is."
            ),
        ),
    )
    cache_remote_host: str | None = field(
        default=None,
        metadata=option(
            category="Cache",
            description=(
                "The Redis server of --cache=redis: a host name, or for sentinel and cluster"
                " modes several host[:port] separated by commas."
            ),
        ),
    )
    cache_remote_port: int = field(
        default=6379,
        metadata=option(
            category="Cache",
            description="The Redis port, for hosts given without one.",
            check=check_port,
        ),
    )
    cache_remote_username: str | None = field(
        default=None,
        metadata=option(category="Cache", description="The Redis user name (Redis 6 ACLs)."),
    )
    cache_remote_password: str | None = field(
        default=None,
        metadata=option(category="Cache", description="The Redis password.", secret=True),
    )
    cache_remote_tls_enabled: bool = field(
        default=False,
        metadata=option(
            category="Cache",
            description=(
                "Talk to Redis over TLS; the server certificate is verified against the system"
                " trust store and --truststore-paths."
            ),
        ),
    )
    cache_remote_mode: Literal["standalone", "sentinel", "cluster"] = field(
        default="standalone",
        metadata=option(
            category="Cache",
            description=(
                "How Redis is deployed: one server (or a replicated one behind a single"
                " address), Sentinel (the hosts are sentinels), or Redis Cluster."
            ),
        ),
    )
    cache_remote_sentinel_master: str = field(
        default="mymaster",
        metadata=option(
            category="Cache",
            description="With --cache-remote-mode=sentinel: the name of the monitored master.",
        ),
    )
    truststore_paths: list[str] = field(
        default_factory=list,
        metadata=option(
            category="Truststore",
            description=(
                "PEM files of certificate authorities to trust, separated by commas, in"
                " addition to the system's (for Redis over TLS)."
            ),
        ),
    )
    cache_metrics_histograms_enabled: bool = field(
        default=False,
        metadata=option(
            category="Cache",
            description=(
                "Add latency histograms of cache operations to the metrics"
                " (needs --metrics-enabled=true)."
            ),
        ),
    )
    cache_embedded_realms_max_count: int = field(
        default=10000,
        metadata=option(
            category="Cache",
            description="The most entries the realms cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
    cache_embedded_users_max_count: int = field(
        default=10000,
        metadata=option(
            category="Cache",
            description="The most entries the users cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
    cache_embedded_authorization_max_count: int = field(
        default=10000,
        metadata=option(
            category="Cache",
            description="The most entries the authorization cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
    cache_embedded_keys_max_count: int = field(
        default=1000,
        metadata=option(
            category="Cache",
            description="The most entries the keys cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
    cache_embedded_sessions_max_count: int = field(
        default=10000,
        metadata=option(
            category="Cache",
            description="The most entries the sessions cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
    cache_embedded_client_sessions_max_count: int = field(
        default=10000,
        metadata=option(
            category="Cache",
            description="The most entries the clientSessions cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
    cache_embedded_offline_sessions_max_count: int = field(
        default=10000,
        metadata=option(
            category="Cache",
            description="The most entries the offlineSessions cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
    cache_embedded_offline_client_sessions_max_count: int = field(
        default=10000,
        metadata=option(
            category="Cache",
            description="The most entries the offlineClientSessions cache holds on each node; the least"
            " recently used go first.",
            check=check_positive,
        ),
    )
