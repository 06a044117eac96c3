"""Start-up: storage, the master realm, imports, then the HTTP listeners."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from prometheus_client import CollectorRegistry
from redis.exceptions import RedisError
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from ostium import __version__
from ostium.app import create_app
from ostium.clock import SystemClock
from ostium.config import Config, database_url
from ostium.events import EventLog
from ostium.log_levels import configure_logging
from ostium.services import password_blacklists
from ostium.services.bootstrap import ensure_master_realm
from ostium.services.logout import end_expired_sessions
from ostium.services.realm_import import RealmImportError, import_directory
from ostium.sessions.caches import Caches, CacheSizes
from ostium.sessions.metrics import CacheMetrics
from ostium.sessions.redis_client import RedisSettings, connect_redis
from ostium.sessions.revoked_tokens import RevokedTokens
from ostium.storage.interfaces import Storage
from ostium.storage.sql import DatabaseNewerThanCodeError, DatabaseUnavailableError, open_storage
from ostium.storage.sql.lock import (
    DataDirectoryInUseError,
    DataDirectoryLock,
    acquire,
    check_free,
    sqlite_directory,
)
from ostium.themes import ThemeFolder
from ostium.web.certificate_settings import certificate_lookup, https_client_ca_pem
from ostium.web.connection import tls_client_certificate_class
from ostium.web.forwarded import ProxyTrust
from ostium.web.management import create_management_app
from ostium.web.pages import Pages
from ostium.web.proxy_protocol import proxy_protocol_class
from ostium.web.runtime import Runtime
from ostium.web.truststore import TruststoreError

__all__ = ["serve"]

_log = logging.getLogger("ostium")


def _theme_folder(config: Config, data_dir: Path) -> ThemeFolder:
    """The themes folder (`--spi-theme-folder-dir`, else `<data-dir>/themes`); a folder that
    does not exist yet is fine: the built-in theme serves until one appears."""
    folder = Path(config.spi_theme_folder_dir or data_dir / "themes")
    themes = ThemeFolder(
        folder,
        cache_themes=config.spi_theme_cache_themes,
        cache_templates=config.spi_theme_cache_templates,
    )
    found = themes.preload()
    if found:
        _log.info("Themes in %s: %s", folder, ", ".join(found))
    return themes


class StartupError(Exception):
    """A start-up failure the operator can fix; printed as one line, no trace."""


def serve(config: Config, mode: str) -> int:
    try:
        return asyncio.run(_serve(config, mode))
    except StartupError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


async def _serve(config: Config, mode: str) -> int:
    """Everything that can refuse without writing comes first (the data directory's
    holder, the ports, Redis), so a refused start leaves a fresh data directory empty."""
    started = time.perf_counter()
    configure_logging(config.log_level)
    data_dir = Path(config.data_dir)
    password_blacklists.configure_folder(
        password_blacklists.folder_of(
            data_dir, config.spi_password_policy_password_blacklist_blacklists_path
        )
    )
    url = database_url(config)
    locked_dir = sqlite_directory(url)
    if locked_dir is not None:
        _check_data_directory(locked_dir)
    listeners = _listeners(config)
    stack = contextlib.AsyncExitStack()
    try:
        sockets = _bind_all(listeners, stack)
        caches = await _caches(config)
        stack.push_async_callback(caches.close)
        if locked_dir is not None:
            stack.callback(_lock_data_directory(locked_dir).release)
        storage = await _open_storage(url)
        stack.push_async_callback(storage.close)
        clock = SystemClock()
        await ensure_master_realm(
            storage,
            clock,
            admin_username=config.bootstrap_admin_username,
            admin_password=config.bootstrap_admin_password,
        )
        if config.import_realm:
            try:
                imported = await import_directory(
                    storage, data_dir / "import", now=clock.now(), env=dict(os.environ)
                )
            except RealmImportError as exc:
                raise StartupError(f"Realm import failed: {exc}") from None
            for name in imported:
                _log.info("Imported realm '%s'", name)
        persistent = "persistent-user-sessions" not in config.features_disabled
        if not persistent and config.cache == "local":
            _log.warning(
                "persistent-user-sessions is disabled and --cache=local: user sessions live"
                " in this process only, and a restart logs every user out"
            )
        runtime = Runtime.create(
            storage,
            clock,
            caches=caches,
            persistent_sessions=persistent,
            events=EventLog(),
            hostname=config.hostname,
            relative_path=config.http_relative_path,
            hostname_admin=config.hostname_admin,
            backchannel_dynamic=config.hostname_backchannel_dynamic,
            hostname_debug=config.hostname_debug,
            node_name=config.node_name
            if config.spi_sticky_session_encoder_infinispan_should_attach_route
            else None,
            version=__version__,
            features_disabled=frozenset(config.features_disabled),
            pages=Pages(_theme_folder(config, data_dir)),
        )
        await caches.start()
        async with storage.transaction() as repos:
            await RevokedTokens(caches["actionTokens"]).load(repos.revoked_tokens, clock.now())
        stack.push_async_callback(runtime.backchannel.close)
        stack.push_async_callback(runtime.mail.close)
        sweeper = asyncio.create_task(_sweep_expired_sessions(runtime), name="ostium-expiry")
        stack.callback(sweeper.cancel)
        registry = CollectorRegistry() if config.metrics_enabled else None
        if registry is not None:
            registry.register(CacheMetrics(caches))
        try:
            certificates = certificate_lookup(config)
            client_cas = https_client_ca_pem(config)
        except TruststoreError as exc:
            raise StartupError(f"Invalid trust store: {exc}") from None
        if certificates is not None and not config.proxy_trusted_addresses:
            # Certificates are public: whoever reaches Ostium directly could name anyone's.
            _log.warning(
                "--spi-x509cert-lookup-provider=%s reads client certificates from the headers"
                " of every peer: set --proxy-headers and --proxy-trusted-addresses to the proxy",
                config.spi_x509cert_lookup_provider,
            )
        app = create_app(
            runtime, registry=registry, proxy=_proxy_trust(config), certificates=certificates
        )
        servers = []
        for listener in listeners:
            if listener.name == "management":
                management = create_management_app(
                    runtime,
                    relative_path=config.http_management_relative_path,
                    health_enabled=config.health_enabled,
                    metrics_enabled=config.metrics_enabled,
                    registry=registry,
                )
                servers.append(_server(management))
            else:
                https = listener.name == "HTTPS"
                servers.append(
                    _server(
                        app,
                        tls=config if https else None,
                        client_cas=client_cas if https else None,
                        proxy_protocol=config.proxy_protocol_enabled,
                    )
                )
        # Each uvicorn server logs its process's start and end; one process, one line.
        once = _OncePerProcess(servers)
        uvicorn_log = logging.getLogger("uvicorn.error")
        uvicorn_log.addFilter(once)
        stack.callback(uvicorn_log.removeFilter, once)
        # uvicorn captures SIGINT/SIGTERM per server and passes them on to the next one
        # when it has stopped, so both listeners shut down gracefully.
        _stop_on_signals(servers, stack)
        tasks = [
            asyncio.create_task(server.serve(sockets=bound))
            for server, bound in zip(servers, sockets, strict=True)
        ]
        while not all(server.started for server in servers):
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.01)
        if all(server.started for server in servers):
            _announce(config, mode, time.perf_counter() - started, servers)
        await asyncio.gather(*tasks)
        failed = [server for server in servers if not server.started]
        return 1 if failed else 0
    finally:
        await stack.aclose()


async def _open_storage(url: str) -> Storage:
    try:
        return await open_storage(url)
    except (DatabaseNewerThanCodeError, DatabaseUnavailableError) as exc:
        raise StartupError(str(exc)) from None
    except OSError as exc:
        raise StartupError(f"Cannot open the database: {exc}") from None


def _stop_on_signals(servers: list[uvicorn.Server], stack: contextlib.AsyncExitStack) -> None:
    """The handler under uvicorn's: the last server to stop raises the signal again for
    the handler it found, which by default would kill the process before the database is
    closed and the data directory released. This one only asks the servers to stop (they
    already are), so `_serve`'s clean-up runs and the process exits with status 0."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach the main thread only; an embedding caller handles them

    def stop(_signum: int, _frame: object) -> None:
        for server in servers:
            server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        stack.callback(signal.signal, signum, signal.signal(signum, stop))


def _check_data_directory(directory: Path) -> None:
    """One server per SQLite data directory: refused before anything else, naming the
    process that holds it."""
    try:
        check_free(directory)
    except DataDirectoryInUseError as exc:
        raise StartupError(f"{exc}: {_ONE_SERVER}") from None


def _lock_data_directory(directory: Path) -> DataDirectoryLock:
    try:
        return acquire(directory)
    except DataDirectoryInUseError as exc:  # another start won the race since the check
        raise StartupError(f"{exc}: {_ONE_SERVER}") from None
    except OSError as exc:
        raise StartupError(
            f"Cannot use the data directory '{directory}': {exc.strerror or exc}:"
            " check that --data-dir is a writable directory"
        ) from None


_ONE_SERVER = "one server per data directory; stop it, or give this one another --data-dir"


@dataclass(frozen=True)
class Listener:
    """A port the server listens on, with the option that sets it (for the messages)."""

    name: str  # "HTTPS", "HTTP" or "management"
    option: str
    host: str
    port: int


def _listeners(config: Config) -> list[Listener]:
    """As Keycloak: HTTPS whenever a certificate is configured, plain HTTP only when
    enabled (both may listen at once), and the management port for health or metrics."""
    listeners = []
    if config.https_certificate_file:
        listeners.append(Listener("HTTPS", "--https-port", config.http_host, config.https_port))
    if config.http_enabled:
        listeners.append(Listener("HTTP", "--http-port", config.http_host, config.http_port))
    if not listeners:
        raise StartupError(
            "Nothing to listen on: set --http-enabled=true or --https-certificate-file"
        )
    if config.health_enabled or config.metrics_enabled:
        listeners.append(
            Listener(
                "management",
                "--http-management-port",
                config.http_host,
                config.http_management_port,
            )
        )
    return listeners


def _bind_all(
    listeners: list[Listener], stack: contextlib.AsyncExitStack
) -> list[list[socket.socket]]:
    """Binds and listens on every port now, before anything is written, and keeps it:
    no other process can take the port between this check and serving (two sockets that
    are bound but not listening may share a port). A client that connects before the
    server is ready waits in the backlog, as with systemd's socket activation."""
    bound: list[list[socket.socket]] = []
    for index, listener in enumerate(listeners):
        for other in listeners[:index]:
            if listener.port and listener.port == other.port:
                raise StartupError(
                    f"{other.option} and {listener.option} are both {listener.port}:"
                    " give the management interface a port of its own"
                )
        sockets = _bind(listener)
        for sock in sockets:
            stack.callback(sock.close)
        bound.append(sockets)
    return bound


def _bind(listener: Listener) -> list[socket.socket]:
    """Every address `--http-host` resolves to, as asyncio's `create_server` would bind
    them; a port in use is refused in one line naming the option to change."""
    where = f"{listener.host}:{listener.port} ({listener.name}, {listener.option})"
    try:
        infos = socket.getaddrinfo(
            listener.host or None,
            listener.port,
            type=socket.SOCK_STREAM,
            flags=socket.AI_PASSIVE,
        )
    except socket.gaierror as exc:
        raise StartupError(f"Cannot listen on {where}: {exc.strerror}: check --http-host") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen()
    except OSError as exc:
        for sock in sockets:
            sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"Port {listener.port} on {listener.host} ({listener.name}) is already in"
                f" use: stop the process listening there, or choose another port with"
                f" {listener.option}"
            ) from None
        raise StartupError(f"Cannot listen on {where}: {exc.strerror or exc}") from None
    return sockets


SWEEP_SECONDS = 30


async def _sweep_expired_sessions(runtime: Runtime) -> None:
    """Ends expired sessions every half minute, on one node of a cluster per period: the
    node that wins the period's single-use mark in `actionTokens` does the sweep."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        now = runtime.clock.now()
        try:
            if await runtime.action_tokens.use(
                f"session-expiry:{now // SWEEP_SECONDS}", expires=now + SWEEP_SECONDS, now=now
            ):
                await end_expired_sessions(runtime.storage, now, runtime.backchannel.notify)
        except Exception:  # a failed sweep is retried next period; the server goes on
            _log.exception("Expired-session sweep failed")


async def _caches(config: Config) -> Caches:
    """The named caches; with --cache=redis, a Redis that answers, or a clear error."""
    sizes = CacheSizes(
        realms=config.cache_embedded_realms_max_count,
        users=config.cache_embedded_users_max_count,
        authorization=config.cache_embedded_authorization_max_count,
        keys=config.cache_embedded_keys_max_count,
        sessions=config.cache_embedded_sessions_max_count,
        client_sessions=config.cache_embedded_client_sessions_max_count,
        offline_sessions=config.cache_embedded_offline_sessions_max_count,
        offline_client_sessions=config.cache_embedded_offline_client_sessions_max_count,
    )
    if "persistent-user-sessions" in config.features_disabled:
        # The cache holds the only copy of online sessions: evicting one logs a user out.
        sizes = dataclasses.replace(sizes, sessions=None, client_sessions=None)
    if config.cache != "redis":
        return Caches.build(sizes, histograms=config.cache_metrics_histograms_enabled)
    assert config.cache_remote_host is not None  # checked with the options
    try:
        settings = RedisSettings.parse(
            config.cache_remote_host,
            config.cache_remote_port,
            mode=config.cache_remote_mode,
            username=config.cache_remote_username,
            password=config.cache_remote_password,
            tls=config.cache_remote_tls_enabled,
            ca_files=tuple(config.truststore_paths),
            sentinel_master=config.cache_remote_sentinel_master,
        )
        client = connect_redis(settings)
    except (ValueError, OSError) as exc:
        raise StartupError(f"Invalid Redis settings (--cache-remote-*): {exc}") from None
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        where = ", ".join(f"{host}:{port}" for host, port in settings.hosts)
        raise StartupError(
            f"Cannot use the Redis cache at {where}: {exc}: check that Redis is running"
            " there and --cache-remote-host, --cache-remote-port and the credentials"
        ) from None
    return Caches.build(sizes, redis=client, histograms=config.cache_metrics_histograms_enabled)


def _proxy_trust(config: Config) -> ProxyTrust | None:
    """`--proxy-headers` for the public listener. The management listener does without:
    health and metrics build no URL and record no client address, and a proxy never
    fronts it (it is not to be exposed)."""
    if config.proxy_headers is None:
        return None
    return ProxyTrust.of(config.proxy_headers, config.proxy_trusted_addresses)


def _server(
    app: object,
    *,
    tls: Config | None = None,
    client_cas: str | None = None,
    proxy_protocol: bool = False,
) -> uvicorn.Server:
    """One listener, served on sockets bound beforehand; `tls` gives the certificate and
    key to serve HTTPS with, `client_cas` the CAs client certificates must chain to when
    it asks for them (`--https-client-auth`); `proxy_protocol`: each connection begins with
    a PROXY protocol header naming the client (web/proxy_protocol.py). On HTTPS that header
    comes in clear before the TLS handshake, so the socket is then plain TCP and the
    protocol starts TLS itself once it has read the header."""
    http: type[asyncio.Protocol] = AutoHTTPProtocol
    if tls is not None and client_cas is not None:
        http = tls_client_certificate_class(http)
    context_factory = None
    if tls is not None and client_cas is not None and not proxy_protocol:
        context_factory = _client_auth_context(tls.https_client_auth, client_cas)
    if proxy_protocol:
        http = proxy_protocol_class(http, tls=_tls_context(tls, client_cas) if tls else None)
    socket_tls = tls if not proxy_protocol else None
    uv_config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        http=http,
        ssl_context_factory=context_factory,
        log_config=None,
        access_log=False,
        # Forwarded headers are honoured only by our own proxy handling, from the
        # configured proxies; uvicorn's default would trust them from 127.0.0.1.
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        ssl_certfile=str(socket_tls.https_certificate_file) if socket_tls else None,
        ssl_keyfile=str(socket_tls.https_certificate_key_file) if socket_tls else None,
    )
    return uvicorn.Server(uv_config)


def _tls_context(tls: Config, client_cas: str | None) -> ssl.SSLContext:
    """The TLS context uvicorn would build for the HTTPS listener (a TLS server context
    with the certificate and key, its defaults otherwise), for a listener that starts TLS
    after the PROXY header; asking for client certificates as `_client_auth_context`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(
            str(tls.https_certificate_file), str(tls.https_certificate_key_file)
        )
    except (ssl.SSLError, OSError) as exc:
        raise StartupError(
            f"Cannot use --https-certificate-file and --https-certificate-key-file: {exc}"
        ) from None
    if client_cas is not None:
        _ask_for_client_certificates(context, tls.https_client_auth, client_cas)
    return context


def _client_auth_context(
    mode: str, client_cas: str
) -> Callable[[uvicorn.Config, Callable[[], ssl.SSLContext]], ssl.SSLContext]:
    """uvicorn's TLS context (certificate and key), asking for a client certificate."""

    def factory(_: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        context = default()
        _ask_for_client_certificates(context, mode, client_cas)
        return context

    return factory


def _ask_for_client_certificates(context: ssl.SSLContext, mode: str, client_cas: str) -> None:
    """`request` verifies a client certificate when one is sent, `required` refuses the
    handshake without one, as Keycloak's `https-client-auth`."""
    context.verify_mode = ssl.CERT_REQUIRED if mode == "required" else ssl.CERT_OPTIONAL
    context.load_verify_locations(cadata=client_cas)


class _OncePerProcess(logging.Filter):
    """uvicorn logs "Started server process" (and "Shutting down", "Finished server
    process") once per server, and Ostium runs one server per listener (HTTP, HTTPS,
    management) in one process: the first start is kept, and the finish of the last
    listener that had started."""

    def __init__(self, servers: list[uvicorn.Server]) -> None:
        super().__init__()
        self._servers = servers
        self._seen: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if not message.startswith(("Started server process", "Shutting down", "Finished server")):
            return True
        count = self._seen[message] = self._seen.get(message, 0) + 1
        if message.startswith("Finished server"):
            return count >= sum(1 for server in self._servers if server.started)
        return count == 1


def _bound_port(server: uvicorn.Server, configured: int) -> int:
    """The port a listener really has: `--http-port=0` binds a free one."""
    for listener in getattr(server, "servers", []):
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    return configured


def _url(scheme: str, host: str, port: int, path: str = "") -> str:
    default = {"http": 80, "https": 443}[scheme]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"{scheme}://{host}{'' if port == default else f':{port}'}{path}"


def _announce(
    config: Config, mode: str, seconds: float, servers: list[uvicorn.Server] | None = None
) -> None:
    """The URLs the server answers on, as a browser would type them: `--hostname` (a URL
    taken as it is, a bare name with the scheme and port of the listener), else the bind
    address (`localhost` for a wildcard), with the ports really bound."""
    listeners = list(servers or [])
    tls = config.https_certificate_file is not None and not config.http_enabled
    public_port = config.https_port if tls else config.http_port
    if listeners:
        index = 1 if config.https_certificate_file and config.http_enabled else 0
        public_port = _bound_port(listeners[index], public_port)
    bind = "localhost" if config.http_host in ("0.0.0.0", "::") else config.http_host  # noqa: S104
    prefix = config.http_relative_path.rstrip("/")
    if config.hostname and "://" in config.hostname:
        base = config.hostname.rstrip("/")
    else:
        base = _url("https" if tls else "http", config.hostname or bind, public_port, prefix)
    lines = [
        f"Ostium {__version__} started in {seconds:.3f}s ({'development' if mode == 'dev' else 'production'} mode).",
        f"  Welcome page:      {base}/",
        f"  Master realm:      {base}/realms/master/.well-known/openid-configuration",
        f"  Admin API:         {base}/admin/realms",
    ]
    if config.health_enabled or config.metrics_enabled:
        management_port = config.http_management_port
        if listeners:
            management_port = _bound_port(listeners[-1], management_port)
        # The management listener binds --http-host and never sits behind the proxy that
        # --hostname names, so its URL is the bind address's.
        management_prefix = (config.http_management_relative_path or prefix).rstrip("/")
        management = _url("http", bind, management_port, f"{management_prefix}/")
        lines.append(f"  Management:        {management} (health, metrics)")
    if mode == "dev":
        lines.append("  Development mode: not for production (SQLite, local caches, plain HTTP).")
    print("\n".join(lines), flush=True)
