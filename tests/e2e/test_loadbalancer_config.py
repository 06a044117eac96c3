"""`ostium config haproxy|nginx`: the printed configurations, run by the real proxies, route on
the AUTH_SESSION_ID suffix, balance without it, and fail over when the routed node is down;
in front of a real Ostium node they pass on the public paths only, and `/admin/` on the admin
host alone."""

from __future__ import annotations

import contextlib
import http.client
import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    free_port,
    run_cli,
    start_server,
    system_binary,
)

pytestmark = pytest.mark.e2e

NAMES = ("node1", "node2", "node3")
DEADLINE = 10.0  # seconds any single wait may take; each normally takes milliseconds


class _Listener:
    """One tiny HTTP server on a free loopback port, in a thread."""

    def __init__(self, answer: Callable[[str], tuple[int, str]]) -> None:
        self.paths: list[str] = []
        paths, respond = self.paths, answer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer()

            def _answer(self) -> None:
                paths.append(self.path)
                status, body = respond(self.path)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # HAProxy resets a check's connection as soon as it has read the status.
                with contextlib.suppress(ConnectionError):
                    self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the proxies' checks would flood the test output."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        # A short poll interval: stopping a node waits for it, and tests stop six of them.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        """Close the listening socket: new connections are refused, as from a dead node."""
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)


@dataclass
class Node:
    """A stand-in Ostium node: its name on every page, /health/ready on its management port."""

    name: str
    http: _Listener = field(init=False)
    management: _Listener = field(init=False)

    def __post_init__(self) -> None:
        self.http = _Listener(lambda path: (200, self.name))
        self.management = _Listener(
            lambda path: (200, "UP") if path == "/health/ready" else (404, "not found")
        )

    @property
    def spec(self) -> str:
        return f"{self.name}=127.0.0.1:{self.http.port}/{self.management.port}"

    def stop(self) -> None:
        self.http.stop()
        self.management.stop()


@dataclass
class Proxy:
    kind: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, route: str | None = None) -> httpx.Response:
        return self._send("GET", route)

    def post(self, route: str | None, form: dict[str, str]) -> httpx.Response:
        return self._send("POST", route, form)

    def _send(
        self, method: str, route: str | None, form: dict[str, str] | None = None
    ) -> httpx.Response:
        headers = {"Cookie": f"AUTH_SESSION_ID=abc.{route}"} if route else {}
        # trust_env=False: a developer's HTTP_PROXY must not sit between us and loopback.
        with httpx.Client(trust_env=False, timeout=5) as client:
            return client.request(
                method, f"{self.base_url}/realms/test/login", headers=headers, data=form
            )


def _generate(
    kind: str, specs: Sequence[str], port: int, path: Path, extra: Sequence[str] = ()
) -> Path:
    result = run_cli(
        "config",
        kind,
        *(f"--node={spec}" for spec in specs[:1]),
        *(arg for spec in specs[1:] for arg in ("--node", spec)),
        "--listen",
        f"127.0.0.1:{port}",
        *extra,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    path.write_text(result.stdout)
    return path


def _check_command(kind: str, config: Path, prefix: Path) -> list[str]:
    if kind == "haproxy":
        return [system_binary("haproxy"), "-c", "-f", str(config)]
    return [system_binary("nginx"), "-t", "-p", str(prefix), "-c", str(config)]


def _run_command(kind: str, config: Path, prefix: Path) -> list[str]:
    if kind == "haproxy":
        return [system_binary("haproxy"), "-f", str(config)]
    return [system_binary("nginx"), "-p", str(prefix), "-c", str(config), "-g", "daemon off;"]


def _wait_for(condition: Callable[[], bool], what: str, proxy: Proxy | None = None) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if proxy is not None and proxy.process.poll() is not None:
            raise AssertionError(f"{proxy.kind} exited early:\n{proxy.log.read_text()}")
        if condition():
            return
        time.sleep(0.05)
    output = f":\n{proxy.log.read_text()}" if proxy is not None else ""
    raise AssertionError(f"timed out waiting for {what}{output}")


def _answers(proxy: Proxy) -> bool:
    try:
        return proxy.get().status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    started = [Node(name) for name in NAMES]
    try:
        yield started
    finally:
        for node in started:
            node.stop()


@contextlib.contextmanager
def _running(
    kind: str,
    specs: Sequence[str],
    tmp_path: Path,
    extra: Sequence[str] = (),
    ready: Callable[[Proxy], bool] = _answers,
) -> Iterator[Proxy]:
    """The generated config, checked by the proxy itself, then served until the test ends."""
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    port = free_port()
    config = _generate(kind, specs, port, tmp_path / f"{kind}.cfg", extra)
    checked = subprocess.run(
        _check_command(kind, config, prefix), capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    log = tmp_path / f"{kind}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            _run_command(kind, config, prefix), stdout=sink, stderr=subprocess.STDOUT
        )
    running = Proxy(kind, f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_for(lambda: ready(running), f"{kind} to answer", running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(params=["haproxy", "nginx"])
def proxy(request: pytest.FixtureRequest, nodes: list[Node], tmp_path: Path) -> Iterator[Proxy]:
    with _running(str(request.param), [node.spec for node in nodes], tmp_path) as running:
        yield running


def test_the_cookie_route_picks_the_node(proxy: Proxy) -> None:
    for name in (*NAMES, "node2", "node2"):
        response = proxy.get(name)
        assert response.status_code == 200
        assert response.text == name


def test_without_a_cookie_requests_are_balanced(proxy: Proxy) -> None:
    answers = [proxy.get() for _ in range(6)]

    assert all(response.status_code == 200 for response in answers)
    assert {response.text for response in answers} <= set(NAMES)
    assert len({response.text for response in answers}) > 1


def test_an_unknown_route_goes_to_some_node(proxy: Proxy) -> None:
    for route in ("node9", "NODE2", "node2x"):
        response = proxy.get(route)
        assert response.status_code == 200
        assert response.text in NAMES


def test_a_dead_routed_node_fails_over(proxy: Proxy, nodes: list[Node]) -> None:
    nodes[1].stop()

    # First a login form POST, the request a sticky route sends to a node that just died: it
    # never reached that node, so it is retried elsewhere rather than answered with an error.
    posted = proxy.post("node2", {"username": "alice"})
    assert posted.status_code == 200
    assert posted.text in {"node1", "node3"}
    for _ in range(3):
        response = proxy.get("node2")
        assert response.status_code == 200
        assert response.text in {"node1", "node3"}
    assert proxy.get("node3").text == "node3"


def test_haproxy_checks_the_management_port(nodes: list[Node], tmp_path: Path) -> None:
    """HAProxy asks each node's /health/ready and takes out a node that stops answering it,
    even while its HTTP port still serves."""
    with _running("haproxy", [node.spec for node in nodes], tmp_path) as proxy:
        _wait_for(
            lambda: all("/health/ready" in node.management.paths for node in nodes),
            "the first health checks",
            proxy,
        )
        assert proxy.get("node2").text == "node2"

        nodes[1].management.stop()

        _wait_for(lambda: proxy.get("node2").text != "node2", "node2 to be taken out", proxy)
        assert proxy.get("node2").text in {"node1", "node3"}
        assert nodes[1].http.running


# Exposed paths, in front of a real Ostium node.

FRONTEND = "auth.example.test"
ADMIN_HOST = "admin.example.test"
REFUSED = "Not found"  # what both generated configurations answer for a path kept back
# RFC 7636 Appendix B's challenge: the admin console's client requires S256.
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture(scope="module")
def ostium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("data"),
        "--health-enabled=true",
        "--metrics-enabled=true",
        env=ADMIN_ENV,
    )
    yield running
    running.stop()


def _realm_answers(proxy: Proxy) -> bool:
    try:
        return _request(proxy, FRONTEND, "/realms/master").status == 200
    except OSError:
        return False


@dataclass
class Answer:
    status: int
    body: str
    content_type: str


def _request(
    proxy: Proxy,
    host: str,
    path: str,
    method: str = "GET",
    form: dict[str, str] | None = None,
    bearer: str | None = None,
) -> Answer:
    """One request sent with the path exactly as written (httpx would remove `..` and
    decode escapes before sending, hiding what a crafted request looks like)."""
    address = proxy.base_url.removeprefix("http://")
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        headers = {"Host": host}
        body = None
        if form is not None:
            body = str(httpx.QueryParams(form))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(
            response.status,
            response.read().decode(errors="replace"),
            response.getheader("Content-Type") or "",
        )
    finally:
        connection.close()


def _admin_token(proxy: Proxy, host: str) -> Answer:
    return _request(
        proxy,
        host,
        "/realms/master/protocol/openid-connect/token",
        "POST",
        {
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_USERNAME"],
            "password": ADMIN_ENV["OSTIUM_BOOTSTRAP_ADMIN_PASSWORD"],
        },
    )


def _access_token(answer: Answer) -> str:
    assert answer.status == 200, answer.body
    token = json.loads(answer.body)["access_token"]
    assert isinstance(token, str)
    return token


def _refused(answer: Answer) -> bool:
    """The proxy's own 404, not one of Ostium's (JSON or an HTML page)."""
    return answer.status == 404 and answer.body.strip() == REFUSED


@pytest.fixture(params=["haproxy", "nginx"])
def exposed(
    request: pytest.FixtureRequest, ostium: RunningServer, tmp_path: Path
) -> Iterator[Proxy]:
    """The default (--expose=public) configuration with an admin host, before one node."""
    spec = f"node1={ostium.base_url.removeprefix('http://')}"
    with _running(
        str(request.param),
        [spec],
        tmp_path,
        [f"--admin-hostname={ADMIN_HOST}"],
        ready=_realm_answers,
    ) as running:
        yield running


def test_the_frontend_host_reaches_no_admin_and_no_welcome_page(exposed: Proxy) -> None:
    token = _access_token(_admin_token(exposed, ADMIN_HOST))

    for path in (
        "/admin/realms",
        "/admin/master/console/",
        "/admin/",
        "/admin",
        "/",
        "/health",
        "/health/ready",
        "/metrics",
        # Crafted paths that a node would read as /admin/ (or that start like a public one).
        "/%61dmin/realms",
        "/realms/../admin/realms",
        "/realms/%2e%2e/admin/realms",
        "/realms/%2E%2E/admin/realms",
        "/resources/./../admin/realms",
        "/realms/master%2F..%2F..%2Fadmin/realms",
        "//admin/realms",
        "/REALMS/master",
    ):
        answer = _request(exposed, FRONTEND, path, bearer=token)
        assert _refused(answer), (path, answer)
    # An unknown host is the frontend too.
    assert _refused(_request(exposed, "elsewhere.example.test", "/admin/realms", bearer=token))


def test_the_frontend_host_serves_discovery_login_and_tokens(exposed: Proxy) -> None:
    discovery = _request(exposed, FRONTEND, "/realms/master/.well-known/openid-configuration")
    assert discovery.status == 200
    assert f'"issuer":"http://{FRONTEND}/realms/master"' in discovery.body.replace(" ", "")

    metadata = _request(exposed, FRONTEND, "/.well-known/oauth-authorization-server/realms/master")
    assert metadata.status == 200
    assert metadata.content_type.startswith("application/json")

    robots = _request(exposed, FRONTEND, "/robots.txt")
    assert (robots.status, robots.body) == (200, "User-agent: *\nDisallow: /\n")

    assert _request(exposed, FRONTEND, "/resources/ostium/ostium.css").status == 200

    redirect_uri = f"http://{FRONTEND}/admin/master/console/"
    login = _request(
        exposed,
        FRONTEND,
        "/realms/master/protocol/openid-connect/auth?"
        + str(
            httpx.QueryParams(
                client_id="security-admin-console",
                redirect_uri=redirect_uri,
                response_type="code",
                code_challenge=CHALLENGE,
                code_challenge_method="S256",
            )
        ),
    )
    assert login.status == 200, login.body
    assert login.content_type.startswith("text/html")
    assert 'name="password"' in login.body

    assert _admin_token(exposed, FRONTEND).status == 200


def test_the_admin_host_reaches_the_admin_api(exposed: Proxy) -> None:
    # Negative first: without a token it is Ostium, not the proxy, that refuses.
    anonymous = _request(exposed, ADMIN_HOST, "/admin/realms")
    assert anonymous.status == 401
    assert not _refused(anonymous)
    assert _refused(_request(exposed, ADMIN_HOST, "/"))
    assert _refused(_request(exposed, ADMIN_HOST, "/metrics"))

    # The Host header is matched without its port and in any case. (The token's issuer is
    # the URL it was asked for, so each host gets its own.)
    for host in (ADMIN_HOST, f"{ADMIN_HOST.upper()}:8080"):
        token = _access_token(_admin_token(exposed, host))
        realms = _request(exposed, host, "/admin/realms", bearer=token)
        assert realms.status == 200, (host, realms)
        assert '"realm":"master"' in realms.body.replace(" ", "")


@pytest.mark.parametrize("kind", ["haproxy", "nginx"])
def test_expose_all_passes_every_path(kind: str, ostium: RunningServer, tmp_path: Path) -> None:
    spec = f"node1={ostium.base_url.removeprefix('http://')}"
    with _running(kind, [spec], tmp_path, ["--expose=all"], ready=_realm_answers) as proxy:
        welcome = _request(proxy, FRONTEND, "/")
        assert welcome.status == 200
        assert welcome.content_type.startswith("text/html")
        assert _request(proxy, FRONTEND, "/admin/realms").status == 401  # Ostium's answer
