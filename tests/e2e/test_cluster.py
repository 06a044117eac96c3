"""A cluster you can run: three Ostium nodes on PostgreSQL and Redis behind a real HAProxy
configured by `ostium config haproxy`, as the clustering guide describes it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    admin_headers,
    free_port,
    run_cli,
    start_server,
    system_binary,
)
from tests.postgres import fresh_database
from tests.redis_server import RedisProcess, redis_process
from tests.support import CALLBACK, SECRET, form_of, pkce_pair, realm_export

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

NAMES = ("node1", "node2", "node3")


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@dataclass
class Cluster:
    directory: Path
    db_url: str
    redis: RedisProcess
    lb_url: str
    ports: dict[str, tuple[int, int]]  # node → (http, management)
    nodes: dict[str, RunningServer] = field(default_factory=dict)
    haproxy: subprocess.Popen[bytes] | None = None

    def start_node(self, name: str, *, first: bool = False) -> None:
        http, management = self.ports[name]
        data_dir = self.directory / name
        data_dir.mkdir(exist_ok=True)
        extra = []
        if first:
            (data_dir / "import").mkdir(exist_ok=True)
            (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
            extra.append("--import-realm")
        self.nodes[name] = start_server(
            data_dir,
            "--db=postgres",
            f"--db-url={self.db_url}",
            "--cache=redis",
            "--cache-remote-host=127.0.0.1",
            f"--cache-remote-port={self.redis.port}",
            f"--node-name={name}",
            f"--hostname={self.lb_url}",  # one issuer, whichever node answers
            "--health-enabled=true",
            "--metrics-enabled=true",
            *extra,
            env=ADMIN_ENV,
            port=http,
            management_port=management,
        )

    def kill(self, name: str) -> None:
        node = self.nodes.pop(name)
        node.process.send_signal(signal.SIGKILL)
        node.stop()

    def stop_all(self) -> None:
        for name in list(self.nodes):
            self.nodes.pop(name).stop()

    def requests_to(self, name: str, uri: str) -> float:
        """How many requests for the route `uri` the node served (its own metrics)."""
        text = httpx.get(f"{self.nodes[name].management_url}/metrics").text
        pattern = (
            rf'http_server_requests_seconds_count\{{[^}}]*uri="{re.escape(uri)}"[^}}]*\}} (\S+)'
        )
        return sum(float(v) for v in re.findall(pattern, text))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    haproxy = system_binary("haproxy")
    directory = tmp_path_factory.mktemp("cluster")
    with fresh_database() as db_url, redis_process(directory) as redis:
        lb_port = free_port()
        ports = {name: (free_port(), free_port()) for name in NAMES}
        cluster = Cluster(directory, db_url, redis, f"http://127.0.0.1:{lb_port}", ports)
        try:
            cluster.start_node("node1", first=True)
            for name in NAMES[1:]:
                cluster.start_node(name)
            generated = run_cli(
                "config",
                "haproxy",
                *(f"--node={n}=127.0.0.1:{http}/{mgmt}" for n, (http, mgmt) in ports.items()),
                f"--listen=127.0.0.1:{lb_port}",
            )
            assert generated.returncode == 0, generated.stderr
            config = directory / "haproxy.cfg"
            config.write_text(generated.stdout)
            cluster.haproxy = subprocess.Popen(
                [haproxy, "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            eventually(lambda: _answers(f"{cluster.lb_url}/realms/test"))
            yield cluster
        finally:
            if cluster.haproxy is not None:
                cluster.haproxy.terminate()
                cluster.haproxy.wait(timeout=10)
            cluster.stop_all()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Browser:
    """A browser through the load balancer: cookies kept, redirects followed by hand."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.http = httpx.Client(base_url=cluster.lb_url, timeout=10)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def route(self) -> str:
        value = next(c.value for c in self.http.cookies.jar if c.name == "AUTH_SESSION_ID")
        return value.rsplit(".", 1)[1]

    def authorize(self, **extra: str) -> httpx.Response:
        self.verifier, challenge = pkce_pair()
        return self.http.get(
            "/realms/test/protocol/openid-connect/auth",
            params={
                "response_type": "code",
                "client_id": "app",
                "redirect_uri": CALLBACK,
                "scope": "openid",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                **extra,
            },
        )

    def login(self) -> dict[str, Any]:
        page = self.authorize()
        assert page.status_code == 200, page.text
        action, hidden = form_of(page.text)
        done = self.http.post(
            action, data={**hidden, "username": "alice", "password": "wonderland"}
        )
        assert done.status_code == 302, done.text
        return self.exchange(done.headers["location"])

    def exchange(self, location: str) -> dict[str, Any]:
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = httpx.post(
            f"{self.cluster.lb_url}/realms/test/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": self.verifier,
            },
            auth=("app", SECRET),
        )
        assert tokens.status_code == 200, tokens.text
        return dict(tokens.json())


def refresh(cluster: Cluster, tokens: dict[str, Any], base: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{base or cluster.lb_url}/realms/test/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("app", SECRET),
    )


def password_grant(base: str, password: str = "wonderland", **extra: str) -> httpx.Response:
    return httpx.post(
        f"{base}/realms/test/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": password,
            "scope": "openid",
            **extra,
        },
        auth=("app", SECRET),
    )


LOGIN_ACTION = "/realms/{realm}/login-actions/authenticate"


def test_a_login_stays_on_the_node_named_in_its_cookie(cluster: Cluster) -> None:
    before = {name: cluster.requests_to(name, LOGIN_ACTION) for name in NAMES}
    with Browser(cluster) as browser:
        browser.authorize()
        owner = browser.route()
        assert owner in NAMES
        browser.login()
    served = {name: cluster.requests_to(name, LOGIN_ACTION) - before[name] for name in NAMES}
    assert served == {name: (1.0 if name == owner else 0.0) for name in NAMES}


def test_a_change_on_one_node_is_seen_on_the_others_at_once(cluster: Cluster) -> None:
    node1 = cluster.nodes["node1"].base_url
    for name in NAMES:  # every node has the realm cached now
        assert password_grant(cluster.nodes[name].base_url).json()["expires_in"] == 300
    headers = admin_headers(node1)
    changed = httpx.put(
        f"{node1}/admin/realms/test", json={"accessTokenLifespan": 120}, headers=headers
    )
    assert changed.status_code == 204
    for name in NAMES[1:]:
        base = cluster.nodes[name].base_url
        eventually(lambda base=base: password_grant(base).json()["expires_in"] == 120, seconds=2)
    clients = httpx.get(
        f"{node1}/admin/realms/test/clients", params={"clientId": "app"}, headers=headers
    ).json()
    secret = httpx.post(
        f"{node1}/admin/realms/test/clients/{clients[0]['id']}/client-secret", headers=headers
    )
    assert secret.status_code == 200
    for name in NAMES[1:]:
        base = cluster.nodes[name].base_url
        eventually(lambda base=base: password_grant(base).status_code == 401, seconds=2)
    restored = httpx.put(
        f"{node1}/admin/realms/test/clients/{clients[0]['id']}",
        json={"secret": SECRET},
        headers=headers,
    )
    assert restored.status_code == 204
    httpx.put(f"{node1}/admin/realms/test", json={"accessTokenLifespan": 300}, headers=headers)
    for name in NAMES:
        base = cluster.nodes[name].base_url
        eventually(lambda base=base: password_grant(base).status_code == 200, seconds=2)


def test_brute_force_counts_failures_on_every_node(cluster: Cluster) -> None:
    node1 = cluster.nodes["node1"].base_url
    headers = admin_headers(node1)
    protect = httpx.put(
        f"{node1}/admin/realms/test",
        # quickLoginCheckMilliSeconds=1: three requests in a row are not a "quick login"
        # attack here; the rule under test is the count across nodes.
        json={
            "bruteForceProtected": True,
            "failureFactor": 3,
            "waitIncrementSeconds": 600,
            "quickLoginCheckMilliSeconds": 1,
        },
        headers=headers,
    )
    assert protect.status_code == 204
    try:
        wrong = [password_grant(cluster.nodes[name].base_url, "wrong") for name in NAMES]
        locked = password_grant(node1)  # the right password, locked out
        assert (locked.status_code, locked.json()) == (wrong[0].status_code, wrong[0].json())
        users = httpx.get(
            f"{node1}/admin/realms/test/users",
            params={"username": "alice", "exact": "true"},
            headers=headers,
        ).json()
        status = httpx.get(
            f"{cluster.nodes['node3'].base_url}/admin/realms/test/attack-detection/brute-force/users/{users[0]['id']}",
            headers=headers,
        ).json()
        assert status["numFailures"] == 3 and status["disabled"] is True
    finally:
        httpx.delete(
            f"{node1}/admin/realms/test/attack-detection/brute-force/users", headers=headers
        )
        httpx.put(
            f"{node1}/admin/realms/test", json={"bruteForceProtected": False}, headers=headers
        )
    eventually(lambda: password_grant(node1).status_code == 200, seconds=2)


def test_nodes_reconnect_and_keep_serving_after_redis_restarts(cluster: Cluster) -> None:
    with Browser(cluster) as browser, Browser(cluster) as newcomer:
        tokens = browser.login()
        cluster.redis.restart()  # Redis keeps nothing on disk here: its entries are gone
        eventually(lambda: refresh(cluster, tokens).status_code == 200)  # sessions: PostgreSQL
        assert refresh(cluster, newcomer.login()).status_code == 200
        sso = browser.authorize(prompt="none")
        assert sso.status_code == 302 and "code=" in sso.headers["location"]


def test_killing_the_node_of_a_session_keeps_the_user_logged_in(cluster: Cluster) -> None:
    with Browser(cluster) as browser:
        tokens = browser.login()
        owner = browser.route()
        cluster.kill(owner)
        try:
            sso = browser.authorize(prompt="none")  # goes to a live node
            assert sso.status_code == 302, sso.text
            assert "code=" in sso.headers["location"], sso.headers["location"]
            assert browser.exchange(sso.headers["location"])["access_token"]
            renewed = refresh(cluster, tokens)
            assert renewed.status_code == 200, renewed.text
        finally:
            cluster.start_node(owner)


def test_restarting_every_node_keeps_user_and_offline_sessions(cluster: Cluster) -> None:
    with Browser(cluster) as browser:
        online = browser.login()
        offline = password_grant(cluster.lb_url, scope="openid offline_access").json()
        cluster.stop_all()
        for name in NAMES:
            cluster.start_node(name)
        eventually(lambda: _answers(f"{cluster.lb_url}/realms/test"))
        assert refresh(cluster, online).status_code == 200
        assert refresh(cluster, offline).status_code == 200
        sso = browser.authorize(prompt="none")
        assert sso.status_code == 302 and "code=" in sso.headers["location"]


def test_without_the_route_the_cookie_carries_the_session_id_alone_and_a_warning(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "import").mkdir(parents=True)
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    server = start_server(
        data_dir,
        "--import-realm",
        "--node-name=solo",
        "--sticky-session-attach-route=false",
        "--features-disabled=persistent-user-sessions",
    )
    try:
        assert "a restart logs every user out" in server.text()  # cache-only, local: warned
        page = httpx.get(
            f"{server.base_url}/realms/test/protocol/openid-connect/auth",
            params={"response_type": "code", "client_id": "app", "redirect_uri": CALLBACK},
        )
        cookie = page.cookies["AUTH_SESSION_ID"]
        assert cookie and "." not in cookie
    finally:
        server.stop()
