"""`ostium config haproxy|nginx`: reading the command line, refusing bad input with one line,
and what the two configurations contain (the e2e suite runs them in the real proxies)."""

from __future__ import annotations

import pytest

from ostium.cli import main
from ostium.loadbalancer import (
    BackendNode,
    Endpoint,
    Exposure,
    LoadBalancerConfigError,
    haproxy_config,
    nginx_config,
    parse_arguments,
    parse_endpoint,
    parse_node,
    parse_nodes,
)

LISTEN = parse_endpoint("0.0.0.0:80", "--listen")
THREE = parse_nodes(["node1=10.0.0.1:8080", "node2=10.0.0.2:8080", "node3=10.0.0.3:8080"])


# Bad input first: each is one `ERROR:` line naming the problem, exit status 2.


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["config"], "missing the proxy kind"),
        (["config", "apache", "--node", "a=h:1"], "unknown proxy kind 'apache'"),
        (["config", "--node", "a=h:1"], "unknown proxy kind '--node'"),
        (["config", "haproxy"], "no nodes"),
        (["config", "nginx", "--listen", "127.0.0.1:8000"], "no nodes"),
        (["config", "haproxy", "--node"], "--node needs a value"),
        (["config", "haproxy", "--node", "--listen", "h:1"], "--node needs a value"),
        (["config", "haproxy", "--node", "node1"], "expected NAME=HOST:PORT"),
        (["config", "haproxy", "--node", "=h:80"], "expected NAME=HOST:PORT"),
        (["config", "haproxy", "--node", "node1="], "expected NAME=HOST:PORT"),
        (["config", "haproxy", "--node", "node1=host"], "expected HOST:PORT"),
        (["config", "haproxy", "--node", "node1=:80"], "expected HOST:PORT"),
        (["config", "haproxy", "--node", "node.1=h:80"], "node name 'node.1'"),
        (["config", "haproxy", "--node", "node 1=h:80"], "node name 'node 1'"),
        (["config", "haproxy", "--node", "n=h:0"], "port '0' is not a number from 1 to 65535"),
        (["config", "haproxy", "--node", "n=h:65536"], "port '65536'"),
        (["config", "haproxy", "--node", "n=h:http"], "port 'http'"),
        (["config", "haproxy", "--node", "n=h:80/"], "management: port ''"),
        (["config", "haproxy", "--node", "n=h:80/x"], "management: port 'x'"),
        (["config", "haproxy", "--node", "n=::1:80"], "write an IPv6 address in brackets"),
        (["config", "haproxy", "--node", "n=[::1]80"], "expected [IPv6]:PORT"),
        (["config", "haproxy", "--node", "n=[nope]:80"], "'nope' is not an IPv6 address"),
        (["config", "haproxy", "--node", "n=300.1.1.1:80"], "not an IPv4 address"),
        (["config", "haproxy", "--node", "n=-bad-:80"], "not a host name"),
        (["config", "haproxy", "--node", "n=a..b:80"], "not a host name"),
        (["config", "haproxy", "--node", "a=h:1", "--node", "a=g:2"], "duplicate node name 'a'"),
        (["config", "haproxy", "--node", "a=h:1", "--listen", "localhost"], "--listen: expected"),
        (["config", "haproxy", "--node", "a=h:1", "--listen=h:99999"], "--listen: port '99999'"),
        (
            ["config", "haproxy", "--node", "a=h:1", "--listen", "h:1", "--listen", "h:2"],
            "--listen given more than once",
        ),
        (["config", "haproxy", "--node", "a=h:1", "--health-check-port", "0"], "port '0'"),
        (["config", "haproxy", "--node", "a=h:1", "--nodes", "b=h:2"], "unknown option '--nodes'"),
        (["config", "haproxy", "--node", "a=h:1", "--lis", "h:2"], "unknown option '--lis'"),
        (["config", "haproxy", "--node", "a=h:1", "-n"], "unknown option '-n'"),
        (["config", "haproxy", "--node", "a=h:1", "extra"], "unexpected argument 'extra'"),
        (
            ["config", "haproxy", "--node", "a=h:1/9000", "--node", "b=h:2"],
            "node(s) b have no management port",
        ),
        (["config", "nginx", "--node", "a=h:1", "--expose", "admin"], "--expose: unknown value"),
        (["config", "nginx", "--node", "a=h:1", "--expose=PUBLIC"], "expected public or all"),
        (["config", "nginx", "--node", "a=h:1", "--expose="], "--expose: unknown value ''"),
        (["config", "nginx", "--node", "a=h:1", "--expose"], "--expose needs a value"),
        (
            ["config", "nginx", "--node", "a=h:1", "--expose=all", "--expose=public"],
            "--expose given more than once",
        ),
        (
            ["config", "haproxy", "--node", "a=h:1", "--expose=all", "--admin-hostname=adm"],
            "--admin-hostname needs --expose=public",
        ),
        (
            ["config", "haproxy", "--node", "a=h:1", "--admin-hostname=adm.example:8443"],
            "without a port or an IP address",
        ),
        (
            ["config", "haproxy", "--node", "a=h:1", "--admin-hostname=10.0.0.9"],
            "without a port or an IP address",
        ),
        (["config", "nginx", "--node", "a=h:1", "--admin-hostname=a b"], "not a host name"),
        (["config", "nginx", "--node", "a=h:1", "--admin-hostname=a;b"], "not a host name"),
        (["config", "nginx", "--node", "a=h:1", "--admin-hostname="], "not a host name"),
    ],
)
def test_bad_input_is_one_error_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("ERROR: ")
    assert captured.err.count("\n") == 1
    assert message in captured.err


@pytest.mark.parametrize(
    "args", [["config", "--help"], ["config", "haproxy", "--help"], ["config", "nginx", "-h"]]
)
def test_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 0

    out = capsys.readouterr().out
    assert out.startswith("Usage: ostium config haproxy|nginx --node NAME=HOST:PORT")
    for option in ("--node", "--listen", "--health-check-port", "--expose", "--admin-hostname"):
        assert option in out


def test_the_command_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0

    assert "  config " in capsys.readouterr().out


def test_the_config_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "nginx", "--node=node1=10.0.0.1:8080"]) == 0

    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("# Generated by `ostium config nginx`.\n")
    assert captured.out == nginx_config(parse_nodes(["node1=10.0.0.1:8080"]), LISTEN)


# Parsing.


def test_node_forms() -> None:
    assert parse_node("node1=keycloak-1.example.com:8080") == BackendNode(
        "node1", Endpoint("keycloak-1.example.com", 8080)
    )
    assert parse_node("n=ostium_node_1:8080").endpoint.host == "ostium_node_1"  # Compose
    assert parse_node("n_2=10.1.2.3:80/9000") == BackendNode("n_2", Endpoint("10.1.2.3", 80), 9000)
    node = parse_node("N-3=[2001:db8::7]:8443/9000")
    assert node == BackendNode("N-3", Endpoint("2001:db8::7", 8443), 9000)
    assert node.endpoint.authority == "[2001:db8::7]:8443"


def test_both_option_forms_and_defaults() -> None:
    request = parse_arguments(
        ["nginx", "--node=a=h1:1", "--node", "b=h2:2/3", "--health-check-port=9000"]
    )

    assert request.kind == "nginx"
    assert [node.name for node in request.nodes] == ["a", "b"]
    assert request.nodes[1].management_port == 3
    assert request.listen.authority == "0.0.0.0:80"  # the default
    assert request.health_check_port == 9000
    assert parse_arguments(["haproxy", "--node", "a=h:1", "--listen", "[::]:8000"]).listen == (
        Endpoint("::", 8000)
    )


def test_typed_values_check_themselves() -> None:
    with pytest.raises(LoadBalancerConfigError, match="port 0"):
        Endpoint("h", 0)
    with pytest.raises(LoadBalancerConfigError, match="node name"):
        BackendNode("a.b", Endpoint("h", 1))
    with pytest.raises(LoadBalancerConfigError, match="no nodes"):
        haproxy_config([], LISTEN)
    with pytest.raises(LoadBalancerConfigError, match="duplicate"):
        nginx_config([THREE[0], THREE[0]], LISTEN)
    with pytest.raises(LoadBalancerConfigError, match="--listen"):
        parse_endpoint("h:", "--listen")
    assert issubclass(LoadBalancerConfigError, ValueError)


# HAProxy.


def test_neither_proxy_appends_to_the_x_forwarded_for_the_client_sent() -> None:
    """Ostium, as Keycloak, reads the first X-Forwarded-For value: a proxy that appends
    leaves that value to the client, who would choose the address of its events."""
    assert "forwardfor" not in haproxy_config(THREE, LISTEN)
    assert "$proxy_add_x_forwarded_for" not in nginx_config(THREE, LISTEN)


def test_haproxy_routes_on_the_cookie_suffix() -> None:
    config = haproxy_config(THREE, Endpoint("127.0.0.1", 8000))
    lines = [line.strip() for line in config.splitlines()]

    assert "bind 127.0.0.1:8000" in lines
    assert (
        "http-request set-var(txn.route) req.cook(AUTH_SESSION_ID),regsub(^.*[.],)"
        " if { req.cook(AUTH_SESSION_ID) -m sub . }"
    ) in lines
    for name in ("node1", "node2", "node3"):
        assert f"use-server {name} if {{ var(txn.route) -m str {name} }}" in lines
    for setting in (
        "balance roundrobin",
        "option redispatch 1",
        "retries 3",
        "timeout connect 5s",
        "http-request set-header X-Forwarded-For %[src]",
        "http-request set-header X-Forwarded-Proto http if !{ ssl_fc }",
        "http-request set-header X-Forwarded-Host %[req.hdr(host)]",
        "http-request set-header X-Forwarded-Port %[dst_port]",
    ):
        assert setting in lines
    # Runs in the foreground, without set-up.
    for absent in ("daemon", "chroot", "user", "group"):
        assert not any(line.split(" ")[0] == absent for line in lines)


def test_haproxy_without_a_management_port_checks_tcp() -> None:
    config = haproxy_config(THREE, LISTEN)

    assert "httpchk" not in config
    assert "    server node1 10.0.0.1:8080 check inter 2s fastinter 500ms fall 2 rise 2" in config


def test_haproxy_checks_health_on_the_management_port() -> None:
    nodes = (*THREE[:2], parse_node("node3=10.0.0.3:8080/9100"))
    config = haproxy_config(nodes, LISTEN, health_check_port=9000)

    assert "    option httpchk GET /health/ready\n    http-check expect status 200\n" in config
    assert " server node1 10.0.0.1:8080 check port 9000 " in config
    assert " server node3 10.0.0.3:8080 check port 9100 " in config  # the node's own wins


def test_haproxy_header_says_what_it_is() -> None:
    config = haproxy_config(THREE, LISTEN)

    assert config.startswith("# Generated by `ostium config haproxy`.\n#\n")
    assert "AUTH_SESSION_ID" in config.split("\n\n")[0]
    assert "#   node2 = 10.0.0.2:8080\n" in config


# nginx.


def test_nginx_maps_the_route_to_an_upstream() -> None:
    config = nginx_config(THREE, Endpoint("::", 8000))

    assert (
        "    map $cookie_AUTH_SESSION_ID $ostium_route {\n"
        '        default "";\n'
        '        "~\\.([A-Za-z0-9_-]+)$" $1;\n'
        "    }\n"
    ) in config
    assert (
        "    map $ostium_route $ostium_upstream {\n"
        "        default ostium_all;\n"
        '        "~^node1$" ostium_node_node1;\n'
        '        "~^node2$" ostium_node_node2;\n'
        '        "~^node3$" ostium_node_node3;\n'
        "    }\n"
    ) in config
    assert "        listen [::]:8000;\n" in config
    assert "proxy_pass http://$ostium_upstream;" in config


def test_nginx_upstreams_put_the_routed_node_first_and_the_others_as_backups() -> None:
    config = nginx_config(THREE, LISTEN)
    options = "max_fails=1 fail_timeout=5s"

    assert (
        "    upstream ostium_all {\n"
        "        zone ostium_all 64k;\n"
        f"        server 10.0.0.1:8080 {options};\n"
        f"        server 10.0.0.2:8080 {options};\n"
        f"        server 10.0.0.3:8080 {options};\n"
        "    }\n"
    ) in config
    assert (
        "    upstream ostium_node_node2 {\n"
        "        zone ostium_node_node2 64k;\n"
        f"        server 10.0.0.2:8080 {options};\n"
        f"        server 10.0.0.1:8080 {options} backup;\n"
        f"        server 10.0.0.3:8080 {options} backup;\n"
        "    }\n"
    ) in config


def test_nginx_is_a_complete_config_for_a_prefix() -> None:
    config = nginx_config(THREE, LISTEN)
    lines = [line.strip() for line in config.splitlines()]

    for directive in (
        "pid nginx.pid;",
        "error_log stderr;",
        "events {",
        "http {",
        "access_log off;",
        "proxy_temp_path proxy_temp;",
        "client_body_temp_path client_body_temp;",
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $http_host;",
        "proxy_set_header X-Forwarded-Port $server_port;",
        "proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;",
        "proxy_buffer_size 128k;",
        "proxy_buffers 4 256k;",
        "proxy_busy_buffers_size 256k;",
    ):
        assert directive in lines
    # `-g 'daemon off;'` would clash with a daemon line; paths stay relative to the prefix.
    assert not any(line.startswith(("daemon", "user ")) for line in lines)
    assert not any(line.split(" ")[0].endswith(("_path", "pid")) and " /" in line for line in lines)
    assert config.count("{") == config.count("}")


def test_nginx_notes_that_it_cannot_use_management_ports() -> None:
    assert "not used by nginx" in nginx_config(THREE, LISTEN, health_check_port=9000)
    assert "not used by nginx" not in nginx_config(THREE, LISTEN)


def test_a_node_named_like_a_map_keyword_is_still_a_route() -> None:
    config = nginx_config(parse_nodes(["default=h:1", "all=h:2"]), LISTEN)

    assert '"~^default$" ostium_node_default;' in config
    assert "upstream ostium_node_all {" in config
    assert config.count("upstream ostium_all {") == 1


# Exposed paths.


def test_public_is_the_default_and_all_is_opt_in() -> None:
    request = parse_arguments(["nginx", "--node", "a=h:1"])
    assert request.exposure == Exposure("public", None)

    request = parse_arguments(["haproxy", "--node", "a=h:1", "--expose", "all"])
    assert request.exposure == Exposure("all", None)

    request = parse_arguments(["haproxy", "--node", "a=h:1", "--admin-hostname=Admin.Example"])
    assert request.exposure == Exposure("public", "Admin.Example")


def test_haproxy_public_refuses_every_other_path_itself() -> None:
    config = haproxy_config(THREE, LISTEN)
    lines = [line.strip() for line in config.splitlines()]
    refuse = 'http-request return status 404 content-type text/plain string "Not found"'

    assert "acl ostium_public path_beg /realms/ /resources/ /.well-known/" in lines
    assert "acl ostium_public path /robots.txt" in lines
    assert "acl ostium_unsafe_path path_reg /[.][.]?(/|$)" in lines
    assert "acl ostium_unsafe_path path_sub -i %2e %2f" in lines
    assert f"{refuse} if ostium_unsafe_path" in lines
    assert f"{refuse} unless ostium_public" in lines
    assert "ostium_admin" not in config
    # The refusals come before the backend is chosen.
    assert lines.index(f"{refuse} unless ostium_public") < lines.index("default_backend ostium")
    assert "only /realms/, /resources/, /.well-known/, /robots.txt are passed on" in config


def test_haproxy_admin_hostname_opens_admin_on_that_host_only() -> None:
    config = haproxy_config(THREE, LISTEN, exposure=Exposure("public", "admin.example.com"))
    lines = [line.strip() for line in config.splitlines()]

    assert "acl ostium_admin path_beg /admin/" in lines
    assert "acl ostium_admin_host req.hdr(host),field(1,:) -i admin.example.com" in lines
    assert (
        'http-request return status 404 content-type text/plain string "Not found"'
        " unless ostium_public || ostium_admin ostium_admin_host"
    ) in lines
    assert "host admin.example.com also reach /admin/" in config


def test_haproxy_all_passes_every_path() -> None:
    config = haproxy_config(THREE, LISTEN, exposure=Exposure("all"))

    assert "acl " not in config
    assert "http-request return" not in config
    assert "every path is passed on" in config


def _server_blocks(config: str) -> list[str]:
    return ["    server {" + block for block in config.split("    server {")[1:]]


def test_nginx_public_has_a_location_per_public_path_and_refuses_the_rest() -> None:
    config = nginx_config(THREE, LISTEN)
    (server,) = _server_blocks(config)

    for location in (
        "location /realms/ {",
        "location /resources/ {",
        "location /.well-known/ {",
        "location = /robots.txt {",
    ):
        assert f"        {location}\n            proxy_pass http://$ostium_upstream;\n" in server
    assert (
        "        location / {\n"
        "            default_type text/plain;\n"
        '            return 404 "Not found";\n'
        "        }\n"
    ) in server
    assert "/admin/" not in server
    assert "server_name" not in server
    assert config.count("{") == config.count("}")


def test_nginx_admin_hostname_is_a_second_server_with_admin() -> None:
    config = nginx_config(THREE, LISTEN, exposure=Exposure("public", "admin.example.com"))
    frontend, admin = _server_blocks(config)

    # The first server of an address is its default: unknown hosts get the public paths only.
    assert "server_name" not in frontend
    assert "location /admin/" not in frontend
    assert "        server_name admin.example.com;\n" in admin
    assert "        location /admin/ {\n            proxy_pass http://$ostium_upstream;" in admin
    assert "        location /realms/ {" in admin
    assert '            return 404 "Not found";' in admin
    assert config.count("{") == config.count("}")


def test_nginx_all_passes_every_path() -> None:
    config = nginx_config(THREE, LISTEN, exposure=Exposure("all"))
    (server,) = _server_blocks(config)

    assert "        location / {\n            proxy_pass http://$ostium_upstream;\n" in server
    assert "return 404" not in config
