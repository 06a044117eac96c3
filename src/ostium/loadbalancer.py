"""Load-balancer configurations for an Ostium cluster (``ostium config haproxy|nginx``).

Each node sets the cookie ``AUTH_SESSION_ID`` to ``<session-id>.<node-name>`` (Keycloak's sticky
route, see `ostium.sessions`): the part after the last dot names the node that holds the login
in progress. HAProxy and nginx cannot route on a cookie *suffix* out of the box, so Ostium prints
a configuration that does, falls back to any live node when the cookie is missing or names an
unknown node, and fails over when the routed node is down.

By default (``--expose=public``) the proxy passes on only the paths Keycloak's reverse-proxy
guide lists as public — ``/realms/``, ``/resources/``, ``/.well-known/`` and ``/robots.txt`` —
and answers everything else itself: the admin console and REST API, the welcome page, and
whatever a node serves besides. ``--admin-hostname`` names a second host on which ``/admin/``
is passed on too, so administrators reach the console there and nowhere else.

Everything here is a pure function of its arguments: the command line is read into typed values
and a configuration text comes back; printing is the caller's job (`ostium.cli`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "ADMIN_PATHS",
    "DEFAULT_LISTEN",
    "EXPOSE_MODES",
    "HEALTH_PATH",
    "PROXY_KINDS",
    "PUBLIC_PATHS",
    "ROUTE_COOKIE",
    "USAGE",
    "BackendNode",
    "Endpoint",
    "Exposure",
    "LoadBalancerConfigError",
    "LoadBalancerRequest",
    "config_from_arguments",
    "haproxy_config",
    "nginx_config",
    "parse_arguments",
    "parse_endpoint",
    "parse_node",
    "parse_nodes",
    "parse_port",
]

ROUTE_COOKIE = "AUTH_SESSION_ID"
HEALTH_PATH = "/health/ready"
DEFAULT_LISTEN = "0.0.0.0:80"

# Keycloak's "Exposed path recommendations" (reverse proxy guide): what an application, a
# browser or a resource server needs. `/resources/` also holds Ostium's own CSS and scripts
# (`/resources/<version>/login/<theme>/`, the older `/resources/ostium/`), and
# `/robots.txt` tells crawlers to stay away.
PUBLIC_PATHS = ("/realms/", "/resources/", "/.well-known/")
PUBLIC_FILES = ("/robots.txt",)
# The admin console and REST API: only on the admin host. The console signs in through
# `/realms/master/` and loads `/resources/`, both public already.
ADMIN_PATHS = ("/admin/",)
EXPOSE_MODES = ("public", "all")
# What the proxy answers itself for a path it does not pass on (both proxies say the same).
REFUSED_STATUS = 404
REFUSED_BODY = "Not found"

_NODE_NAME = re.compile(r"[A-Za-z0-9_-]+")
# "_" is not in RFC 1123 names, but Docker Compose names containers `project_service_1` and
# both proxies resolve them.
_HOST_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_NUMERIC_HOST = re.compile(r"[0-9.]+")

USAGE = """\
Usage: ostium config haproxy|nginx --node NAME=HOST:PORT[/MGMT_PORT] [--node ...]
                                   [--listen HOST:PORT] [--health-check-port PORT]
                                   [--expose public|all] [--admin-hostname HOST]

Prints a load-balancer configuration for an Ostium cluster on stdout. Requests whose
AUTH_SESSION_ID cookie ends in '.NAME' go to node NAME while it is up; requests without
the cookie, or naming an unknown or dead node, go to any live node.

Proxies:
  haproxy   haproxy.cfg, run with: haproxy -f FILE
  nginx     a complete nginx.conf, run with: nginx -p DIR -c FILE -g 'daemon off;'
            (DIR holds the pid file and temp directories)

Options:
  --node NAME=HOST:PORT[/MGMT_PORT]
                 An Ostium node: NAME is its node name (letters, digits, '_' and '-'),
                 HOST a host name, IPv4 address or [IPv6] address, PORT its HTTP port.
                 MGMT_PORT, if given, is its management port for health checks.
                 Repeat for each node; at least one.
  --listen HOST:PORT
                 Where the proxy listens (default 0.0.0.0:80).
  --health-check-port PORT
                 The nodes' management port: HAProxy checks GET /health/ready there
                 (a node's own /MGMT_PORT wins). Without one, HAProxy checks that the
                 HTTP port accepts connections. nginx open source has no active checks:
                 it takes a node out for 5s after a failed request and retries elsewhere.
  --expose public|all
                 public (default): pass on only the public paths, /realms/, /resources/,
                 /.well-known/ and /robots.txt; the proxy answers any other path, the
                 admin console and API (/admin/), the welcome page (/), /health and
                 /metrics included, with 404 itself.
                 all: pass on every path, as a node serves it.
  --admin-hostname HOST
                 With --expose=public: requests whose Host is HOST also reach /admin/
                 (the admin console and REST API); no other host does.
  -h, --help     Show this help.
"""


class LoadBalancerConfigError(ValueError):
    """Bad input for ``ostium config``; the message is one line that names what to fix."""


def parse_port(text: str, what: str) -> int:
    """A TCP port, 1..65535; `what` names where it came from for the error message."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise LoadBalancerConfigError(f"{what}: port {text!r} is not a number from 1 to 65535")
    return int(text)


def _check_host(host: str, what: str) -> None:
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise LoadBalancerConfigError(f"{what}: {host!r} is not an IPv6 address") from None
        return
    if _NUMERIC_HOST.fullmatch(host):
        # All-digit "names" are meant as IPv4: 300.1.1.1 must not pass as a host name.
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise LoadBalancerConfigError(f"{what}: {host!r} is not an IPv4 address") from None
        return
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise LoadBalancerConfigError(f"{what}: {host!r} is not a host name or IP address")


def _check_port(port: int, what: str) -> None:
    # bool is an int; a True port is a programming error worth the same clear message.
    if isinstance(port, bool) or not 1 <= port <= 65535:
        raise LoadBalancerConfigError(f"{what}: port {port!r} is not a number from 1 to 65535")


@dataclass(frozen=True)
class Endpoint:
    """A host and port; an IPv6 host is kept without brackets and bracketed in `authority`."""

    host: str
    port: int

    def __post_init__(self) -> None:
        _check_host(self.host, "address")
        _check_port(self.port, "address")

    @property
    def authority(self) -> str:
        """``host:port`` as both proxies write an address (``[::1]:8080`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class BackendNode:
    """One Ostium node: the route name its cookies carry, where it serves, and optionally its
    management port (``/health/ready``)."""

    name: str
    endpoint: Endpoint
    management_port: int | None = None

    def __post_init__(self) -> None:
        if not _NODE_NAME.fullmatch(self.name):
            raise LoadBalancerConfigError(
                f"node name {self.name!r} may only contain letters, digits, '_' and '-'"
            )
        if self.management_port is not None:
            _check_port(self.management_port, f"node {self.name!r} management port")


@dataclass(frozen=True)
class Exposure:
    """Which paths the proxy passes on: ``public`` only the public ones (plus ``/admin/`` for
    requests to `admin_hostname`), or ``all``."""

    mode: str = "public"
    admin_hostname: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in EXPOSE_MODES:
            expected = " or ".join(EXPOSE_MODES)
            raise LoadBalancerConfigError(
                f"--expose: unknown value {self.mode!r} (expected {expected})"
            )
        if self.admin_hostname is None:
            return
        if self.mode != "public":
            raise LoadBalancerConfigError(
                "--admin-hostname needs --expose=public: with --expose=all every host "
                "reaches /admin/ already"
            )
        # The host is matched against the Host header, where a port or an IPv6 literal's
        # brackets would have to be spelt exactly as the browser sends them: a name only.
        if ":" in self.admin_hostname or _NUMERIC_HOST.fullmatch(self.admin_hostname):
            raise LoadBalancerConfigError(
                f"--admin-hostname: {self.admin_hostname!r} is not a host name "
                "(give the name alone, without a port or an IP address)"
            )
        _check_host(self.admin_hostname, "--admin-hostname")

    @property
    def restricted(self) -> bool:
        return self.mode == "public"


def parse_endpoint(text: str, what: str) -> Endpoint:
    """``HOST:PORT`` with HOST a name, IPv4, or ``[IPv6]``; `what` prefixes error messages."""
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]:")
        if not bracket:
            raise LoadBalancerConfigError(f"{what}: expected [IPv6]:PORT, got {text!r}")
        if ":" not in host:
            raise LoadBalancerConfigError(f"{what}: {host!r} is not an IPv6 address")
    else:
        host, colon, port = text.rpartition(":")
        if not colon or not host:
            raise LoadBalancerConfigError(f"{what}: expected HOST:PORT, got {text!r}")
        if ":" in host:
            raise LoadBalancerConfigError(
                f"{what}: write an IPv6 address in brackets, [{host}]:{port}"
            )
    number = parse_port(port, what)
    _check_host(host, what)
    return Endpoint(host, number)


def parse_node(spec: str) -> BackendNode:
    """``NAME=HOST:PORT`` or ``NAME=HOST:PORT/MGMT_PORT``, one ``--node`` value."""
    what = f"--node {spec!r}"
    name, equals, address = spec.partition("=")
    if not equals or not name or not address:
        raise LoadBalancerConfigError(f"{what}: expected NAME=HOST:PORT[/MGMT_PORT]")
    if not _NODE_NAME.fullmatch(name):
        raise LoadBalancerConfigError(
            f"{what}: node name {name!r} may only contain letters, digits, '_' and '-'"
        )
    address, slash, management = address.partition("/")
    endpoint = parse_endpoint(address, what)
    management_port = parse_port(management, f"{what} management") if slash else None
    return BackendNode(name, endpoint, management_port)


def _check_nodes(nodes: Sequence[BackendNode]) -> None:
    if not nodes:
        raise LoadBalancerConfigError("no nodes: give at least one --node NAME=HOST:PORT")
    seen: set[str] = set()
    for node in nodes:
        if node.name in seen:
            raise LoadBalancerConfigError(f"duplicate node name {node.name!r}")
        seen.add(node.name)


def parse_nodes(specs: Iterable[str]) -> tuple[BackendNode, ...]:
    """Every ``--node`` value: at least one, names unique (a name is a route, so two nodes
    with one name could never both be reached)."""
    nodes = tuple(parse_node(spec) for spec in specs)
    _check_nodes(nodes)
    return nodes


def _header(kind: str, nodes: Sequence[BackendNode], summary: Sequence[str]) -> list[str]:
    lines = [
        f"# Generated by `ostium config {kind}`.",
        "#",
        f"# Routes requests to {len(nodes)} Ostium node(s) on the {ROUTE_COOKIE} cookie, whose",
        "# value is <session-id>.<node-name>: a request goes to the node named after the last",
        "# dot while that node is up. Without the cookie, or when it names an unknown node, a",
        "# request goes to any live node (round robin); when the named node is down, to another.",
        "#",
        *(f"# {line}" if line else "#" for line in summary),
        "#",
        "# Nodes:",
    ]
    for node in nodes:
        management = f" (management port {node.management_port})" if node.management_port else ""
        lines.append(f"#   {node.name} = {node.endpoint.authority}{management}")
    return lines


def _exposure_summary(exposure: Exposure) -> list[str]:
    if not exposure.restricted:
        return ["Paths: every path is passed on (--expose=all)."]
    public = ", ".join((*PUBLIC_PATHS, *PUBLIC_FILES))
    lines = [
        f"Paths: only {public} are passed on; the proxy answers",
        f"any other path (/admin/, /, /health, /metrics, ...) with {REFUSED_STATUS} itself.",
    ]
    if exposure.admin_hostname:
        lines.append(
            f"Requests for host {exposure.admin_hostname} also reach "
            f"{', '.join(ADMIN_PATHS)} (the admin console and REST API)."
        )
    return lines


def _management_ports(
    nodes: Sequence[BackendNode], health_check_port: int | None
) -> dict[str, int | None]:
    return {node.name: node.management_port or health_check_port for node in nodes}


def _haproxy_exposure(exposure: Exposure) -> list[str]:
    """Frontend rules that answer 404 for every path `exposure` keeps from the nodes."""
    if not exposure.restricted:
        return []
    refuse = (
        f"    http-request return status {REFUSED_STATUS} content-type text/plain"
        f' string "{REFUSED_BODY}"'
    )
    lines = [
        # The ACLs read the path as the client wrote it, so `/realms/../admin/` would pass as
        # public (HAProxy 2.6's normalize-uri is still experimental). No public path needs a
        # dot segment (RFC 3986 §3.3) or an encoded slash, which a node decodes into one:
        # refuse them all. Other encodings (`/%61dmin/`) start with no public prefix and are
        # refused below.
        "    acl ostium_unsafe_path path_reg /[.][.]?(/|$)",
        "    acl ostium_unsafe_path path_sub -i %2e %2f",
        f"{refuse} if ostium_unsafe_path",
        "    acl ostium_public path_beg " + " ".join(PUBLIC_PATHS),
        "    acl ostium_public path " + " ".join(PUBLIC_FILES),
    ]
    allowed = "ostium_public"
    if exposure.admin_hostname:
        lines += [
            "    acl ostium_admin path_beg " + " ".join(ADMIN_PATHS),
            # The Host header without its port, in any case.
            f"    acl ostium_admin_host req.hdr(host),field(1,:) -i {exposure.admin_hostname}",
        ]
        allowed += " || ostium_admin ostium_admin_host"
    lines.append(f"{refuse} unless {allowed}")
    return lines


def haproxy_config(
    nodes: Sequence[BackendNode],
    listen: Endpoint,
    health_check_port: int | None = None,
    exposure: Exposure = Exposure(),
) -> str:
    """An ``haproxy.cfg`` that runs in the foreground with ``haproxy -f FILE``."""
    _check_nodes(nodes)
    if health_check_port is not None:
        _check_port(health_check_port, "--health-check-port")
    ports = _management_ports(nodes, health_check_port)
    checked = [name for name, port in ports.items() if port is not None]
    if checked and len(checked) != len(nodes):
        # HAProxy chooses HTTP or TCP checks per backend, not per server: the nodes without a
        # management port would be sent GET /health/ready on their HTTP port and fail it.
        missing = ", ".join(name for name, port in ports.items() if port is None)
        raise LoadBalancerConfigError(
            f"node(s) {missing} have no management port while others do: give each node "
            "NAME=HOST:PORT/MGMT_PORT, or --health-check-port"
        )
    if checked:
        check_summary = [
            f"Health: GET {HEALTH_PATH} on each node's management port must answer 200;",
            "a node failing two checks in a row is taken out until it passes two again",
            "(checked every 2s, every 0.5s while a node is going up or down).",
        ]
    else:
        check_summary = [
            "Health: a TCP connection to each node's HTTP port (no management port given;",
            f"with --health-check-port HAProxy checks GET {HEALTH_PATH} instead).",
        ]
    summary = [*check_summary, "", *_exposure_summary(exposure), "", "Run: haproxy -f FILE"]
    lines = _header(kind="haproxy", nodes=nodes, summary=summary)
    lines += [
        "",
        "global",
        "    log stdout format raw local0",
        "    maxconn 4096",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlognull",
        # Redispatch on every retry: when the routed node refuses the connection, the retry
        # goes to another node at once instead of hammering the dead one first.
        "    option redispatch 1",
        "    retries 3",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    timeout check 5s",
        "",
        "frontend ostium",
        f"    bind {listen.authority}",
        # Set, never append (`option forwardfor` adds a second header after the client's):
        # Ostium, as Keycloak, believes the first X-Forwarded-For value.
        "    http-request set-header X-Forwarded-For %[src]",
        "    http-request set-header X-Forwarded-Proto https if { ssl_fc }",
        "    http-request set-header X-Forwarded-Proto http if !{ ssl_fc }",
        "    http-request set-header X-Forwarded-Host %[req.hdr(host)]",
        "    http-request set-header X-Forwarded-Port %[dst_port]",
        *_haproxy_exposure(exposure),
        "    default_backend ostium",
        "",
        "backend ostium",
        "    balance roundrobin",
    ]
    if checked:
        lines += [f"    option httpchk GET {HEALTH_PATH}", "    http-check expect status 200"]
    lines += [
        # The route is what follows the last dot. "[.]" rather than "\." keeps the regex free
        # of backslashes, which would go through two rounds of unescaping (the config line,
        # then the converter's arguments). A cookie without a dot has no route: the session
        # id itself never contains one.
        f"    http-request set-var(txn.route) req.cook({ROUTE_COOKIE}),regsub(^.*[.],)"
        f" if {{ req.cook({ROUTE_COOKIE}) -m sub . }}",
    ]
    # use-server is skipped while its server is down, which is the fail-over to round robin.
    lines += [
        f"    use-server {node.name} if {{ var(txn.route) -m str {node.name} }}" for node in nodes
    ]
    # Two failures take a node out; fastinter confirms a failure (or a recovery) in 0.5s
    # rather than waiting another full interval.
    timing = "inter 2s fastinter 500ms fall 2 rise 2"
    for node in nodes:
        port = ports[node.name]
        check = f"check port {port}" if port is not None else "check"
        lines.append(f"    server {node.name} {node.endpoint.authority} {check} {timing}")
    return "\n".join(lines) + "\n"


def _nginx_locations(paths: Sequence[str], files: Sequence[str]) -> list[str]:
    # nginx matches locations on the decoded path with dot segments removed, so
    # `/realms/../admin/` is `/admin/` here; the node is sent the request as the client wrote it.
    lines: list[str] = []
    for prefix in paths:
        lines += [
            "",
            f"        location {prefix} {{",
            "            proxy_pass http://$ostium_upstream;",
            "        }",
        ]
    for file in files:
        lines += [
            "",
            f"        location = {file} {{",
            "            proxy_pass http://$ostium_upstream;",
            "        }",
        ]
    return lines


def _nginx_servers(listen: Endpoint, exposure: Exposure) -> list[str]:
    if not exposure.restricted:
        return [
            "",
            "    server {",
            f"        listen {listen.authority};",
            *_nginx_locations(["/"], []),
            "    }",
        ]
    refuse = [
        "",
        "        location / {",
        "            default_type text/plain;",
        f'            return {REFUSED_STATUS} "{REFUSED_BODY}";',
        "        }",
    ]
    # The first server of an address is its default: any Host but the admin one lands here.
    lines = [
        "",
        "    server {",
        f"        listen {listen.authority};",
        *_nginx_locations(PUBLIC_PATHS, PUBLIC_FILES),
        *refuse,
        "    }",
    ]
    if exposure.admin_hostname:
        lines += [
            "",
            "    server {",
            f"        listen {listen.authority};",
            f"        server_name {exposure.admin_hostname};",
            *_nginx_locations((*PUBLIC_PATHS, *ADMIN_PATHS), PUBLIC_FILES),
            *refuse,
            "    }",
        ]
    return lines


def nginx_config(
    nodes: Sequence[BackendNode],
    listen: Endpoint,
    health_check_port: int | None = None,
    exposure: Exposure = Exposure(),
) -> str:
    """A complete ``nginx.conf`` for ``nginx -p DIR -c FILE -g 'daemon off;'``.

    `health_check_port` is accepted for symmetry with `haproxy_config` and only noted in the
    header: nginx open source cannot probe a management port, so failures are detected
    passively, on the requests themselves."""
    _check_nodes(nodes)
    if health_check_port is not None:
        _check_port(health_check_port, "--health-check-port")
    summary = [
        "Health: nginx open source has no active health checks. A node that fails a request",
        "(connection error, timeout, 502/503/504) is skipped for 5s and the request, POSTs",
        "included, is retried on another node.",
    ]
    if health_check_port is not None or any(node.management_port for node in nodes):
        summary.append("The management ports given are not used by nginx.")
    summary += [
        "",
        *_exposure_summary(exposure),
        "",
        "Run: nginx -p DIR -c FILE -g 'daemon off;'",
        "(the pid file and temp directories are relative to DIR; errors go to stderr)",
    ]
    lines = _header(kind="nginx", nodes=nodes, summary=summary)
    server_options = "max_fails=1 fail_timeout=5s"
    lines += [
        "",
        "worker_processes auto;",
        "pid nginx.pid;",
        "error_log stderr;",
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        "    access_log off;",
        "    client_body_temp_path client_body_temp;",
        "    proxy_temp_path proxy_temp;",
        "    fastcgi_temp_path fastcgi_temp;",
        "    uwsgi_temp_path uwsgi_temp;",
        "    scgi_temp_path scgi_temp;",
        # Ostium's cookies (session, identity, restart tokens) outgrow the default 8k lines.
        "    large_client_header_buffers 4 32k;",
        "",
        "    # The route: what follows the last dot of the cookie (empty without one).",
        f"    map $cookie_{ROUTE_COOKIE} $ostium_route {{",
        '        default "";',
        '        "~\\.([A-Za-z0-9_-]+)$" $1;',
        "    }",
        "",
        # Regex keys match exactly and case-sensitively, like the route itself, and cannot
        # collide with map's own keywords (a node may be called "default").
        "    # The upstream for a route; no or an unknown route: any node.",
        "    map $ostium_route $ostium_upstream {",
        "        default ostium_all;",
        *(f'        "~^{node.name}$" ostium_node_{node.name};' for node in nodes),
        "    }",
        "",
        # A shared zone per upstream: every worker then sees one round robin and one record of
        # which node failed, instead of each finding a dead node out for itself.
        "    upstream ostium_all {",
        "        zone ostium_all 64k;",
        *(f"        server {node.endpoint.authority} {server_options};" for node in nodes),
        "    }",
    ]
    for node in nodes:
        # The routed node first; the others are backups, used only while it is down.
        upstream = f"ostium_node_{node.name}"
        lines += ["", f"    upstream {upstream} {{", f"        zone {upstream} 64k;"]
        lines += [
            f"        server {other.endpoint.authority} {server_options}"
            + (";" if other is node else " backup;")
            for other in sorted(nodes, key=lambda other: other is not node)
        ]
        lines.append("    }")
    lines += [
        "",
        "    # How every location below passes a request on.",
        "    proxy_set_header Host $http_host;",
        # $remote_addr, not $proxy_add_x_forwarded_for: Ostium believes the first value,
        # which appending would leave to the client.
        "    proxy_set_header X-Forwarded-For $remote_addr;",
        "    proxy_set_header X-Forwarded-Proto $scheme;",
        "    proxy_set_header X-Forwarded-Host $http_host;",
        "    proxy_set_header X-Forwarded-Port $server_port;",
        # non_idempotent: a POST that never reached a dead node is safe to send elsewhere,
        # and a login form POST is exactly what a sticky route sends to a node that died.
        "    proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;",
        "    proxy_connect_timeout 5s;",
        # Redirects after login carry large Location and Set-Cookie headers.
        "    proxy_buffer_size 128k;",
        "    proxy_buffers 4 256k;",
        "    proxy_busy_buffers_size 256k;",
        *_nginx_servers(listen, exposure),
        "}",
    ]
    return "\n".join(lines) + "\n"


Renderer: TypeAlias = Callable[[Sequence[BackendNode], Endpoint, int | None, Exposure], str]

PROXY_KINDS: Mapping[str, Renderer] = {"haproxy": haproxy_config, "nginx": nginx_config}


@dataclass(frozen=True)
class LoadBalancerRequest:
    """The ``ostium config`` command line, read and checked."""

    kind: str
    nodes: tuple[BackendNode, ...]
    listen: Endpoint
    health_check_port: int | None = None
    exposure: Exposure = Exposure()


_OPTIONS = ("--node", "--listen", "--health-check-port", "--expose", "--admin-hostname")


def parse_arguments(args: Sequence[str]) -> LoadBalancerRequest:
    """``KIND --node … [--listen …] [--health-check-port …]``; ``--opt value`` or ``--opt=value``.

    Read by hand rather than with argparse: argparse accepts abbreviations (``--lis``) and
    prints its usage on errors, where the contract is one ``ERROR:`` line naming the problem."""
    if not args:
        raise LoadBalancerConfigError(
            "missing the proxy kind: ostium config haproxy|nginx --node NAME=HOST:PORT"
        )
    kind, rest = args[0], args[1:]
    if kind not in PROXY_KINDS:
        expected = " or ".join(PROXY_KINDS)
        raise LoadBalancerConfigError(f"unknown proxy kind {kind!r} (expected {expected})")
    nodes: list[str] = []
    single: dict[str, str] = {}
    index = 0
    while index < len(rest):
        argument = rest[index]
        name, equals, value = argument.partition("=")
        if name not in _OPTIONS:
            if argument.startswith("-"):
                raise LoadBalancerConfigError(f"unknown option {name!r}")
            raise LoadBalancerConfigError(f"unexpected argument {argument!r}")
        if not equals:
            index += 1
            if index >= len(rest) or rest[index].startswith("--"):
                raise LoadBalancerConfigError(f"{name} needs a value")
            value = rest[index]
        index += 1
        if name == "--node":
            nodes.append(value)
        elif name in single:
            raise LoadBalancerConfigError(f"{name} given more than once")
        else:
            single[name] = value
    health = single.get("--health-check-port")
    return LoadBalancerRequest(
        kind=kind,
        nodes=parse_nodes(nodes),
        listen=parse_endpoint(single.get("--listen", DEFAULT_LISTEN), "--listen"),
        health_check_port=None if health is None else parse_port(health, "--health-check-port"),
        exposure=Exposure(single.get("--expose", "public"), single.get("--admin-hostname")),
    )


def config_from_arguments(args: Sequence[str]) -> str:
    """The configuration text ``ostium config ARGS`` prints."""
    request = parse_arguments(args)
    render = PROXY_KINDS[request.kind]
    return render(request.nodes, request.listen, request.health_check_port, request.exposure)
