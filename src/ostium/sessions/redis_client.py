"""The Redis connection of `--cache=redis`: standalone, Sentinel or Cluster, with ACL
credentials and TLS. Redis does the replication and failover; Ostium only connects."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["RedisSettings", "connect_redis"]

_T = TypeVar("_T")

# What the sentinels get: they are asked where the master is and know none of the data
# nodes' ACL users, so no user name. The password goes along (a Sentinel with
# `requirepass` usually shares the master's); a password-less one accepts it, since
# `HELLO 3 AUTH default <any>` succeeds for a `nopass` user (RESP2's bare AUTH fails).
_SENTINEL_OPTIONS = ("password", "socket_timeout", "socket_connect_timeout", "ssl", "ssl_ca_data")


@dataclass(frozen=True)
class RedisSettings:
    hosts: list[tuple[str, int]]
    mode: str = "standalone"  # standalone | sentinel | cluster
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_files: tuple[str, ...] = ()
    sentinel_master: str = "mymaster"

    @classmethod
    def parse(
        cls,
        host: str,
        port: int,
        *,
        mode: str = "standalone",
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        ca_files: tuple[str, ...] = (),
        sentinel_master: str = "mymaster",
    ) -> RedisSettings:
        """`host` is `name`, `name:port` or a comma-separated list of them."""
        hosts = []
        for item in (part.strip() for part in host.split(",")):
            if not item:
                continue
            name, _, maybe_port = item.rpartition(":") if item.count(":") == 1 else ("", "", "")
            if name and maybe_port.isdigit():
                hosts.append((name, int(maybe_port)))
            else:
                hosts.append((item.strip("[]"), port))
        if not hosts:
            raise ValueError("no Redis host given")
        return cls(hosts, mode, username, password, tls, ca_files, sentinel_master)


def _refused(error: Exception) -> bool:
    """Redis answered and said no: a wrong user or password, an untrusted certificate."""
    return isinstance(error, AuthenticationError) or isinstance(
        error.__context__, ssl.SSLCertVerificationError
    )


class _Retry(Retry):
    """Retries what a restart or a failover explains. A refusal fails at once: retrying
    cannot change it, and each attempt would land in the server's ACL log."""

    async def call_with_retry(
        self,
        do: Callable[[], Awaitable[_T]],
        fail: Callable[[Exception], Any] | Callable[[Exception, int], Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> _T:
        def retryable(error: Exception) -> bool:
            return not _refused(error) and (is_retryable is None or is_retryable(error))

        return await super().call_with_retry(do, fail, retryable, with_failure_count)


def _connection_options(settings: RedisSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "username": settings.username,
        "password": settings.password,
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
        # A restarted or failed-over Redis is retried for a few seconds before a request
        # fails, so nodes ride out the restart instead of answering 500s.
        "retry": _Retry(ExponentialBackoff(cap=1.0, base=0.05), 8),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }
    if settings.tls:
        options["ssl"] = True
        if settings.ca_files:
            options["ssl_ca_data"] = "\n".join(
                Path(path).read_text(encoding="utf-8") for path in settings.ca_files
            )
    return options


def connect_redis(settings: RedisSettings) -> Redis | RedisCluster:
    """A client; no round trip yet (`ping` it to check the settings)."""
    options = _connection_options(settings)
    if settings.mode == "cluster":
        options.pop("retry_on_error")
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in settings.hosts], **options
        )
    if settings.mode == "sentinel":
        sentinel_options = {k: v for k, v in options.items() if k in _SENTINEL_OPTIONS}
        sentinel_options["protocol"] = 3
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            settings.hosts, sentinel_kwargs=sentinel_options, **options
        )
        client: Redis = sentinel.master_for(settings.sentinel_master)
        return client
    host, port = settings.hosts[0]
    return Redis(host=host, port=port, **options)
