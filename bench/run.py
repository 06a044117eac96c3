"""The benchmark: Ostium and node-oidc-provider, the same scenarios, in one run.

`python3 bench/run.py [--db-url postgresql://…] [--seconds N] [--scenarios a,b,…]`

Ostium (`ostium start`, SQLite, or PostgreSQL in a new database on the server of
`--db-url`) and the peer (node-oidc-provider, installed into bench/peers/ on first use) are
set up alike: one realm/issuer with a confidential client, a second client for SSO and
one user, RS256, PKCE S256 required, Keycloak's default lifetimes. Each server runs
alone, pinned to one core, while the load generator runs on another: wrk (bench/wrk/)
for the single-request scenarios, an asyncio client (httpx) for the browser flows.
Every scenario reports operations per second, p50/p99 latency, the server's CPU
seconds per operation (/proc/<pid>/stat before and after) and both processes' CPU use.

Beside them: start-up time to /health/ready, idle RSS, memory per active session (for
100k sessions, measured in process by session_memory.py), the bare argon2id
verification rate at Ostium's parameters, and, with `--db-url`, 1 vs 2 Ostium processes
behind the HAProxy configuration `ostium config haproxy` prints, on PostgreSQL and Redis.

Results: bench/results/<date>.json and <date>.md; the table is printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime
import hashlib
import html
import json
import os
import platform
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import httpx
from common import (
    Cluster,
    Node,
    Process,
    admin_execute,
    cpu_seconds,
    database_url,
    delete_run_keys,
    free_port,
    haproxy_config,
    machine_cpu_seconds,
    rss_bytes,
    run_ids,
    spawn,
    wait_ready,
)
from profiling import Profiler

import ostium
from ostium.domain import Realm
from ostium.services.passwords import (
    ARGON2_ITERATIONS,
    ARGON2_MEMORY_KIB,
    ARGON2_PARALLELISM,
    hash_password,
    verify_password,
)

BENCH = Path(__file__).resolve().parent
PEER_DIR = BENCH / "peers" / "node-oidc-provider"
WRK_SCRIPT = BENCH / "wrk" / "request.lua"
RESULTS_DIR = BENCH / "results"

REALM = "bench"
USERNAME = "alice"
PASSWORD = "wonderland"  # noqa: S105 - the bench user's, in the realm the run imports
SCOPE = "openid profile email"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never fetched: a flow ends at its code
RESOURCE = "urn:ostium:bench"  # the peer's resource indicator for JWT access tokens
USER_CLAIMS = {  # the peer's; Ostium derives the same ones from the user it imports
    "preferred_username": USERNAME,
    "email": "alice@example.com",
    "email_verified": True,
    "name": "Alice Liddell",
    "given_name": "Alice",
    "family_name": "Liddell",
}


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    grant_types: tuple[str, ...]


CLIENT = Client(
    "bench", "bench-secret", ("authorization_code", "refresh_token", "client_credentials")
)
SSO_CLIENT = Client("bench-sso", "bench-sso-secret", ("authorization_code", "refresh_token"))

SCENARIOS = (
    "client_credentials",
    "login",
    "sso",
    "refresh_token",
    "userinfo",
    "introspect",
    "certs",
    "discovery",
)
WORKER_SCENARIOS = ("client_credentials", "refresh_token")
TARGETS = {"client_credentials": 1500.0, "refresh_token": 1000.0}
LOGIN_TARGET = 0.70  # full password login vs the bare argon2id verification rate
STARTUP_TARGET = 1.0
IDLE_RSS_TARGET = 120 * 2**20
SESSION_BYTES_TARGET = 1024

DEFAULT_SECONDS = 5.0
MAX_SECONDS = 240.0  # the access tokens the scenarios reuse live 300 s
DEFAULT_CONNECTIONS = 16
DEFAULT_SESSIONS = 100_000
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
WARM_UP_SECONDS = 1.0
SETTLE_SECONDS = 1.0  # after start-up, before idle RSS is read
FLOW_STEPS = 10
GENERATOR_BOUND = 0.8  # a generator busier than this (of one core) may be the limit


# --- the realm, the same for both servers ----------------------------------------------


def lifetimes() -> dict[str, int]:
    """Ostium's defaults (Keycloak's), as the peer's `ttl` names them."""
    realm = Realm(id="", name=REALM)
    return {
        "AccessToken": realm.access_token_lifespan,
        "AuthorizationCode": realm.access_code_lifespan,
        "Interaction": realm.access_code_lifespan_login,
        "RefreshToken": realm.sso_session_idle_timeout,
        "Session": realm.sso_session_max_lifespan,
    }


def ostium_realm() -> dict[str, Any]:
    """The realm in Keycloak's export format; lifetimes and RS256 are the defaults."""

    def client(c: Client) -> dict[str, Any]:
        return {
            "clientId": c.client_id,
            "enabled": True,
            "publicClient": False,
            "clientAuthenticatorType": "client-secret",
            "secret": c.secret,
            "redirectUris": [REDIRECT_URI],
            "standardFlowEnabled": True,
            "directAccessGrantsEnabled": False,
            "serviceAccountsEnabled": "client_credentials" in c.grant_types,
            "attributes": {"pkce.code.challenge.method": "S256"},
        }

    return {
        "realm": REALM,
        "enabled": True,
        "clients": [client(CLIENT), client(SSO_CLIENT)],
        "users": [
            {
                "username": USERNAME,
                "enabled": True,
                "email": USER_CLAIMS["email"],
                "emailVerified": True,
                "firstName": USER_CLAIMS["given_name"],
                "lastName": USER_CLAIMS["family_name"],
                "credentials": [{"type": "password", "value": PASSWORD}],
            },
            # Keycloak's service-account user: whom client_credentials tokens are about.
            {
                "username": f"service-account-{CLIENT.client_id}",
                "enabled": True,
                "serviceAccountClientId": CLIENT.client_id,
            },
        ],
    }


def peer_config(port: int) -> dict[str, Any]:
    return {
        "port": port,
        "issuer": f"http://127.0.0.1:{port}",
        "resource": RESOURCE,
        "scope": SCOPE,
        "clients": [
            {
                "client_id": c.client_id,
                "client_secret": c.secret,
                "redirect_uris": [REDIRECT_URI],
                "grant_types": list(c.grant_types),
            }
            for c in (CLIENT, SSO_CLIENT)
        ],
        "user": {"username": USERNAME, "claims": USER_CLAIMS},
        "ttl": lifetimes(),
    }


# --- where processes run ----------------------------------------------------------------


@dataclass
class Placement:
    """The server on one core, the generator on another; the rest (PostgreSQL, Redis)
    unpinned. Several server processes get every core but the generator's."""

    server: list[int]
    generator: list[int]
    servers: list[int]
    taskset: str | None

    @classmethod
    def choose(cls) -> Placement:
        cpus = sorted(os.sched_getaffinity(0))
        taskset = shutil.which("taskset")
        if taskset is None or len(cpus) < 2:
            return cls(cpus, cpus, cpus, None)
        return cls(cpus[:1], cpus[1:2], [c for c in cpus if c != cpus[1]], taskset)

    def prefix(self, cpus: list[int]) -> list[str]:
        if self.taskset is None:
            return []
        return [self.taskset, "-c", ",".join(map(str, cpus))]

    def describe(self) -> str:
        if self.taskset is None:
            return f"nothing pinned ({len(self.server)} CPUs, or no taskset)"
        return (
            f"server on CPU {self.server[0]}, generator on CPU {self.generator[0]}, "
            f"several server processes on CPUs {','.join(map(str, self.servers))}; "
            "PostgreSQL and Redis unpinned"
        )


# --- servers ----------------------------------------------------------------------------


@dataclass
class Target:
    """A running server and what the scenarios need to know about it."""

    key: str
    label: str
    process: Process
    issuer: str
    discovery: dict[str, Any]
    # Token-request parameters for a JWT access token (the peer's need a resource) and
    # for an access token userinfo and introspection accept (the peer's opaque one).
    jwt_params: dict[str, str]
    userinfo_params: dict[str, str]
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def endpoint(self, name: str) -> str:
        return str(self.discovery[name])


async def fetch_discovery(issuer: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        return dict(response.json())


async def timed_start(
    name: str, command: list[str], log: Path, ready: str, cwd: Path | None = None
) -> tuple[Process, float]:
    """Starts a process; seconds from the spawn to the first 200 from `ready`."""
    started = time.perf_counter()
    process = spawn(name, command, log, cwd)
    try:
        await wait_ready(process, [ready])
    except BaseException:
        process.stop()
        raise
    return process, time.perf_counter() - started


def ostium_command(
    port: int, management: int, data_dir: Path, db_url: str | None, placement: Placement
) -> list[str]:
    database = ["--db=postgres", f"--db-url={db_url}"] if db_url else []
    return [
        *placement.prefix(placement.server),
        sys.executable,
        "-m",
        "ostium",
        "start",
        f"--hostname=http://127.0.0.1:{port}",
        "--http-enabled=true",
        "--http-host=127.0.0.1",
        f"--http-port={port}",
        f"--http-management-port={management}",
        f"--data-dir={data_dir}",
        "--health-enabled=true",
        "--import-realm=true",
        *database,
    ]


async def start_ostium(work: Path, db_url: str | None, placement: Placement) -> Target:
    """Started twice: first on a new database (migrations, master realm, import), then
    the restart an operator sees, which is the process measured."""
    data_dir = work / "ostium"
    (data_dir / "import").mkdir(parents=True)
    (data_dir / "import" / f"{REALM}-realm.json").write_text(json.dumps(ostium_realm()))
    port, management = free_port(), free_port()
    command = ostium_command(port, management, data_dir, db_url, placement)
    ready = f"http://127.0.0.1:{management}/health/ready"
    issuer = f"http://127.0.0.1:{port}/realms/{REALM}"
    first, first_seconds = await timed_start("ostium", command, work / "ostium-1.log", ready)
    first.stop()
    process, seconds = await timed_start("ostium", command, work / "ostium-2.log", ready)
    try:
        await wait_ready(process, [f"{issuer}/.well-known/openid-configuration"])
        await asyncio.sleep(SETTLE_SECONDS)
        target = Target(
            "ostium",
            f"Ostium {ostium.__version__}",
            process,
            issuer,
            await fetch_discovery(issuer),
            jwt_params={},
            userinfo_params={},
        )
    except BaseException:
        process.stop()
        raise
    target.figures.update(
        startup_first_s=first_seconds,
        startup_s=seconds,
        startup_url="/health/ready (management port)",
        idle_rss=rss_bytes(process.pid),
    )
    return target


def peer_version() -> str:
    manifest = json.loads((PEER_DIR / "package.json").read_text())
    return str(manifest["dependencies"]["oidc-provider"])


def installed_peer_version() -> str | None:
    manifest = PEER_DIR / "node_modules" / "oidc-provider" / "package.json"
    if not manifest.exists():
        return None
    return str(json.loads(manifest.read_text())["version"])


DEBIAN_PROGRAMS = {"wrk": "wrk", "node": "nodejs", "npm": "npm", "haproxy": "haproxy"}


def install_debian_packages(programs: list[str]) -> None:
    """On a fresh Debian machine, run as root, the one command installs what it drives;
    elsewhere the caller says what is missing."""
    missing = [DEBIAN_PROGRAMS[p] for p in programs if shutil.which(p) is None]
    apt = shutil.which("apt-get")
    if not missing or apt is None or os.geteuid() != 0:
        return
    print(f"installing {', '.join(missing)} (apt-get) ...", flush=True)
    subprocess.run(
        [apt, "install", "-y", "--no-install-recommends", *missing],
        check=False,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def install_peer() -> None:
    """npm install into bench/peers/node-oidc-provider when the pinned version is missing."""
    if installed_peer_version() == peer_version():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("node-oidc-provider needs Node.js and npm (Debian: apt-get install npm)")
    print(f"installing oidc-provider {peer_version()} into bench/peers/ ...", flush=True)
    subprocess.run(
        [npm, "install", "--prefix", str(PEER_DIR), "--no-audit", "--no-fund"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def node_version(node: str) -> str:
    return subprocess.run([node, "--version"], capture_output=True, text=True).stdout


async def start_peer(work: Path, placement: Placement) -> Target:
    install_debian_packages(["node", "npm"])
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node-oidc-provider needs Node.js (Debian: apt-get install nodejs)")
    install_peer()
    port = free_port()
    config = work / "peer.json"
    config.write_text(json.dumps(peer_config(port)))
    issuer = f"http://127.0.0.1:{port}"
    command = [*placement.prefix(placement.server), node, "server.mjs", str(config)]
    process, seconds = await timed_start(
        "node-oidc-provider",
        command,
        work / "peer.log",
        f"{issuer}/.well-known/openid-configuration",
        cwd=PEER_DIR,
    )
    try:
        await asyncio.sleep(SETTLE_SECONDS)
        version = await asyncio.to_thread(node_version, node)
        target = Target(
            "peer",
            f"node-oidc-provider {installed_peer_version()} (Node.js {version.strip()})",
            process,
            issuer,
            await fetch_discovery(issuer),
            jwt_params={"resource": RESOURCE},
            userinfo_params={},
        )
    except BaseException:
        process.stop()
        raise
    target.figures.update(
        startup_s=seconds,
        startup_url="discovery (it has no health endpoint)",
        idle_rss=rss_bytes(process.pid),
    )
    return target


# --- measurements -----------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values; NaN when there are none."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@dataclass
class Measurement:
    server: str
    scenario: str
    tool: str
    operations: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    server_cpu_s: float = 0.0
    generator_cpu_s: float = 0.0
    # Every other process's CPU meanwhile (PostgreSQL, Redis, anything else on the machine),
    # and the time the hypervisor gave this machine's CPUs to someone else.
    other_cpu_s: float = 0.0
    steal_s: float = 0.0
    first_error: str | None = None
    note: str = ""

    def account(self, machine_before: tuple[float, float]) -> None:
        """Fills other_cpu_s and steal_s, server and generator CPU being known."""
        busy, steal = (
            after - before
            for after, before in zip(machine_cpu_seconds(), machine_before, strict=True)
        )
        self.other_cpu_s = max(0.0, busy - self.server_cpu_s - self.generator_cpu_s)
        self.steal_s = steal

    @property
    def rate(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_op(self) -> float:
        return self.server_cpu_s * 1000 / self.operations if self.operations else float("nan")

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(rate=self.rate, server_cpu_ms_per_op=self.cpu_ms_per_op)
        return {k: (None if isinstance(v, float) and v != v else v) for k, v in data.items()}


class FlowError(Exception):
    """A step of a scenario answered something other than what a client expects."""


def describe(response: httpx.Response) -> str:
    return (
        f"{response.request.method} {response.url.path}: HTTP {response.status_code} "
        f"{response.text[:200]!r}"
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
USERNAME_FIELDS = {"username", "login"}


def login_form(page: str) -> tuple[str, dict[str, str]]:
    """The first form's action and fields, filled in as the user would: the user name
    (Ostium's `username`, the peer's `login`), the password, the hidden fields."""
    form = re.search(r"<form\b([^>]*)>(.*?)</form>", page, re.S | re.I)
    if form is None:
        raise FlowError("a page without a form where the login form was expected")
    action = dict(ATTRIBUTE.findall(form.group(1))).get("action")
    if action is None:
        raise FlowError("the login form has no action")
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", form.group(2), re.I):
        attributes = {k.lower(): html.unescape(v) for k, v in ATTRIBUTE.findall(tag)}
        name = attributes.get("name")
        kind = attributes.get("type", "text").lower()
        if not name:
            continue
        if name in USERNAME_FIELDS:
            fields[name] = USERNAME
        elif kind == "password":
            fields[name] = PASSWORD
        elif kind == "hidden":
            fields[name] = attributes.get("value", "")
    return html.unescape(action), fields


class Flows:
    """The browser and back-channel halves of the code flow, against one server, over one
    keep-alive connection: one per worker, as wrk has, since httpcore's pool spends more
    CPU matching requests to connections than on the requests once it holds many."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))
        self.http = self.browser()

    def browser(self) -> httpx.AsyncClient:
        """A new browser: a cookie jar of its own over the worker's connection (never
        closed: closing would close the connection for the worker's next browsers)."""
        return httpx.AsyncClient(transport=self.transport, trust_env=False, timeout=30)

    async def authorize(
        self, browser: httpx.AsyncClient, client: Client, *, password: bool
    ) -> tuple[str, str]:
        """GET auth, the login form when `password`, every redirect up to the callback:
        (code, code_verifier). A login form when `password` is false is an error."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(12)
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "state": state,
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        response = await browser.get(self.target.endpoint("authorization_endpoint"), params=query)
        for _ in range(FLOW_STEPS):
            if response.is_redirect:
                location = str(response.url.join(response.headers["location"]))
                if location.startswith(REDIRECT_URI):
                    callback = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
                    if "code" not in callback or callback.get("state") != state:
                        raise FlowError(f"callback without code or state: {location[:300]}")
                    return callback["code"], verifier
                response = await browser.get(location)
            elif response.status_code == 200 and password:
                password = False  # one form per login; a second one means it failed
                action, fields = login_form(response.text)
                response = await browser.post(str(response.url.join(action)), data=fields)
            else:
                raise FlowError(describe(response))
        raise FlowError(f"no callback after {FLOW_STEPS} steps")

    async def token(self, client: Client, data: dict[str, str]) -> dict[str, Any]:
        response = await self.http.post(
            self.target.endpoint("token_endpoint"),
            data=data,
            auth=(client.client_id, client.secret),
        )
        if response.status_code != 200:
            raise FlowError(describe(response))
        return dict(response.json())

    async def exchange(
        self, client: Client, code: str, verifier: str, extra: dict[str, str]
    ) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            **extra,
        }
        tokens = await self.token(client, data)
        if not {"access_token", "id_token", "refresh_token"} <= tokens.keys():
            raise FlowError(f"token response without every token: {sorted(tokens)}")
        return tokens

    async def login(
        self, browser: httpx.AsyncClient | None = None, extra: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A full login with the password (a new browser unless one is given)."""
        browser = browser or self.browser()
        code, verifier = await self.authorize(browser, CLIENT, password=True)
        return await self.exchange(
            CLIENT, code, verifier, self.target.jwt_params if extra is None else extra
        )

    async def sso(self, browser: httpx.AsyncClient) -> dict[str, Any]:
        """The second client, in a browser that has a session: no password."""
        code, verifier = await self.authorize(browser, SSO_CLIENT, password=False)
        return await self.exchange(SSO_CLIENT, code, verifier, self.target.jwt_params)


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None

    def failed(self, message: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or message


Operation = Callable[[int], Awaitable[object]]


async def drive(operation: Operation, workers: int, seconds: float, load: Load) -> float:
    """`workers` loops calling `operation(worker)` until the deadline; elapsed seconds."""

    async def worker(number: int, deadline: float) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await operation(number)
            except (FlowError, httpx.HTTPError, ValueError, KeyError) as exc:
                load.failed(f"{type(exc).__name__}: {exc}")
            else:
                load.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker(n, deadline) for n in range(workers)))
    return time.perf_counter() - started


class Runner:
    """Runs the scenarios against one target."""

    def __init__(
        self,
        target: Target,
        args: argparse.Namespace,
        placement: Placement,
        server_cpu: Callable[[], float] | None = None,
    ) -> None:
        self.target = target
        self.args = args
        self.placement = placement
        self._server_cpu = server_cpu
        self.workers = [Flows(target) for _ in range(args.connections)]
        self.flows = self.workers[0]  # for set-up and check requests

    def server_cpu(self) -> float:
        if self._server_cpu is not None:
            return self._server_cpu()
        return cpu_seconds(self.target.process.pid)

    async def run(self, scenario: str) -> Measurement:
        method = getattr(self, f"scenario_{scenario}")
        try:
            measurement: Measurement = await method()
        except (FlowError, httpx.HTTPError, ValueError, KeyError) as exc:
            measurement = Measurement(self.target.key, scenario, "-")
            measurement.first_error = f"set-up failed: {type(exc).__name__}: {exc}"
        if measurement.first_error:
            print(f"  {scenario}: {measurement.first_error}", flush=True)
        elif self.args.profile is not None and self.target.key == "ostium":
            await self.profile(scenario, method)
        return measurement

    async def profile(self, scenario: str, method: Callable[[], Awaitable[Measurement]]) -> None:
        """The scenario once more, under py-spy: its figures are not the measured ones."""
        print(f"  {self.target.key}: {scenario}, profiled ...", flush=True)
        profiler = Profiler(self.args.profile)
        sampling = profiler.start(
            self.target.process.pid, scenario, WARM_UP_SECONDS + self.args.seconds
        )
        try:
            await method()
        finally:
            await asyncio.to_thread(sampling.wait)

    # wrk: one request, repeated

    async def wrk(
        self,
        scenario: str,
        url: str,
        *,
        auth: str | None = None,
        form: dict[str, str] | None = None,
        check: Callable[[httpx.Response], str | None] | None = None,
    ) -> Measurement:
        """One request by httpx first (it must succeed: wrk only sees status codes), then
        a warm-up and the measured wrk run."""
        measurement = Measurement(self.target.key, scenario, "wrk")
        headers = {"Authorization": auth} if auth else {}
        if form is None:
            response = await self.flows.http.get(url, headers=headers)
        else:
            response = await self.flows.http.post(url, headers=headers, data=form)
        problem = describe(response) if response.status_code != 200 else None
        problem = problem or (check(response) if check else None)
        if problem:
            measurement.first_error = f"check request failed: {problem}"
            return measurement
        body = urlencode(form) if form is not None else None
        await asyncio.to_thread(self._wrk, url, auth, body, WARM_UP_SECONDS)
        before, machine = self.server_cpu(), machine_cpu_seconds()
        result, generator_cpu = await asyncio.to_thread(
            self._wrk, url, auth, body, self.args.seconds
        )
        measurement.server_cpu_s = self.server_cpu() - before
        measurement.generator_cpu_s = generator_cpu
        measurement.account(machine)
        socket_errors = sum(
            result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
        )
        measurement.operations = result["requests"] - result["status_errors"]
        measurement.errors = result["status_errors"] + socket_errors
        measurement.seconds = result["duration_us"] / 1e6
        measurement.p50_ms = result["p50_us"] / 1000
        measurement.p99_ms = result["p99_us"] / 1000
        if measurement.errors:
            measurement.first_error = (
                f"{result['status_errors']} non-2xx/3xx answers, {socket_errors} socket errors"
            )
        return measurement

    def _wrk(
        self, url: str, auth: str | None, body: str | None, seconds: float
    ) -> tuple[dict[str, int], float]:
        """wrk's JSON line (bench/wrk/request.lua) and wrk's CPU seconds."""
        command = [
            *self.placement.prefix(self.placement.generator),
            self.args.wrk,
            "-t1",
            f"-c{self.args.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout=10s",
            "-s",
            str(WRK_SCRIPT),
            url,
            "--",
            "POST" if body is not None else "GET",
            auth or "-",
            *([body] if body is not None else []),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        if completed.returncode != 0 or not lines:
            raise FlowError(f"wrk failed ({completed.returncode}): {completed.stderr[-300:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return dict(json.loads(lines[-1])), cpu

    def basic(self, client: Client) -> str:
        raw = f"{client.client_id}:{client.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    async def scenario_client_credentials(self) -> Measurement:
        return await self.wrk(
            "client_credentials",
            self.target.endpoint("token_endpoint"),
            auth=self.basic(CLIENT),
            form={"grant_type": "client_credentials"},
            check=jwt_access_token,
        )

    async def scenario_userinfo(self) -> Measurement:
        tokens = await self.flows.login(extra=self.target.userinfo_params)
        return await self.wrk(
            "userinfo",
            self.target.endpoint("userinfo_endpoint"),
            auth=f"Bearer {tokens['access_token']}",
            check=lambda r: None if r.json().get("sub") else f"no sub: {r.text[:200]}",
        )

    async def scenario_introspect(self) -> Measurement:
        tokens = await self.flows.login(extra=self.target.userinfo_params)
        return await self.wrk(
            "introspect",
            self.target.endpoint("introspection_endpoint"),
            auth=self.basic(CLIENT),
            form={"token": tokens["access_token"]},
            check=lambda r: None if r.json().get("active") is True else f"inactive: {r.text}",
        )

    async def scenario_certs(self) -> Measurement:
        return await self.wrk("certs", self.target.endpoint("jwks_uri"))

    async def scenario_discovery(self) -> Measurement:
        return await self.wrk("discovery", self.target.discovery_url)

    # asyncio: browser flows

    async def flow(
        self, scenario: str, operation: Operation, setup: Callable[[], Awaitable[None]] | None
    ) -> Measurement:
        workers = self.args.connections
        if setup is not None:
            await setup()
        await drive(operation, workers, WARM_UP_SECONDS, Load())
        load = Load()
        server, generator, machine = self.server_cpu(), time.process_time(), machine_cpu_seconds()
        elapsed = await drive(operation, workers, self.args.seconds, load)
        measurement = Measurement(
            self.target.key,
            scenario,
            "httpx",
            operations=len(load.latencies),
            errors=load.errors,
            seconds=elapsed,
            server_cpu_s=self.server_cpu() - server,
            generator_cpu_s=time.process_time() - generator,
            first_error=load.first_error,
        )
        measurement.account(machine)
        ordered = sorted(load.latencies)
        measurement.p50_ms = percentile(ordered, 0.50) * 1000
        measurement.p99_ms = percentile(ordered, 0.99) * 1000
        return measurement

    async def scenario_login(self) -> Measurement:
        measurement = await self.flow("login", lambda n: self.workers[n].login(), None)
        measurement.note = "new browser: GET auth, login form, redirects, token"
        return measurement

    async def scenario_sso(self) -> Measurement:
        browsers = [flows.browser() for flows in self.workers]

        async def setup() -> None:
            await asyncio.gather(*(f.login(b) for f, b in zip(self.workers, browsers, strict=True)))

        measurement = await self.flow("sso", lambda n: self.workers[n].sso(browsers[n]), setup)
        measurement.note = "second client, existing session: GET auth, redirects, token"
        return measurement

    async def scenario_refresh_token(self) -> Measurement:
        """Each worker logs in once and then refreshes its own session, always with the
        refresh token it last received. Not wrk with one shared token: concurrent use of
        one token is a race a client does not run, and Ostium on PostgreSQL answers it
        with 500s (duplicate client-session key)."""
        tokens = [""] * len(self.workers)

        async def setup() -> None:
            logins = await asyncio.gather(*(f.login() for f in self.workers))
            tokens[:] = [str(t["refresh_token"]) for t in logins]

        async def refresh(worker: int) -> None:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": tokens[worker],
                **self.target.jwt_params,
            }
            response = await self.workers[worker].token(CLIENT, form)
            if str(response.get("access_token", "")).count(".") != 2:
                raise FlowError(f"no JWT access token: {sorted(response)}")
            tokens[worker] = str(response.get("refresh_token") or tokens[worker])

        measurement = await self.flow("refresh_token", refresh, setup)
        measurement.note = "one session per worker, the latest refresh token each time"
        return measurement


def jwt_access_token(response: httpx.Response) -> str | None:
    """None when the token response carries a JWS access token (three dot-separated parts)."""
    token = response.json().get("access_token", "")
    return None if token.count(".") == 2 else f"no JWT access token: {response.text[:200]}"


async def measure_target(
    target: Target, args: argparse.Namespace, placement: Placement
) -> list[Measurement]:
    runner = Runner(target, args, placement)
    results = []
    for scenario in args.scenarios:
        print(f"  {target.key}: {scenario} ...", flush=True)
        results.append(await runner.run(scenario))
    target.figures["rss_after_run"] = rss_bytes(target.process.pid)
    return results


# --- the bare hash and session memory ---------------------------------------------------


def hash_child(seconds: float) -> None:
    """argon2id verifications at Ostium's parameters, back to back, in this process."""
    secret, credential = hash_password(PASSWORD)
    verify_password(PASSWORD, secret, credential)
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        if not verify_password(PASSWORD, secret, credential):
            raise SystemExit("argon2id verification failed")
        count += 1
    elapsed = time.perf_counter() - started
    print(
        json.dumps({"verifications": count, "seconds": elapsed, "cpu_s": time.process_time() - cpu})
    )


def hash_rate(args: argparse.Namespace, placement: Placement) -> dict[str, Any]:
    command = [
        *placement.prefix(placement.server),
        sys.executable,
        str(Path(__file__).resolve()),
        "--hash-child",
        str(args.seconds),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    result = dict(json.loads(completed.stdout.strip().splitlines()[-1]))
    result["rate"] = result["verifications"] / result["seconds"]
    result["parameters"] = (
        f"argon2id m={ARGON2_MEMORY_KIB} KiB, t={ARGON2_ITERATIONS}, p={ARGON2_PARALLELISM}"
    )
    return result


def session_memory(count: int, placement: Placement) -> dict[str, Any]:
    """session_memory.py's in-process figure for the default (persistent) sessions: the
    RSS growth of a fresh process holding `count` sessions in its local caches."""
    command = [
        *placement.prefix(placement.server),
        sys.executable,
        str(BENCH / "session_memory.py"),
        "--child",
        "persistent",
        "--sessions",
        str(count),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600)
    result = dict(json.loads(completed.stdout.strip().splitlines()[-1]))
    result["bytes_per_session"] = (result["rss_after"] - result["rss_before"]) / count
    return result


# --- 1 vs 2 processes -------------------------------------------------------------------


def node_command(
    node: Node,
    cluster: Cluster,
    data_dir: Path,
    db_url: str,
    args: argparse.Namespace,
    placement: Placement,
) -> list[str]:
    data_dir.mkdir()
    redis = urlsplit(args.redis_url)
    extra = []
    if node.name == "node1":
        (data_dir / "import").mkdir()
        (data_dir / "import" / f"{REALM}-realm.json").write_text(json.dumps(ostium_realm()))
        extra.append("--import-realm=true")
    return [
        *placement.prefix(placement.servers),
        sys.executable,
        "-m",
        "ostium",
        "start",
        f"--hostname={cluster.base_url}",
        "--http-enabled=true",
        "--http-host=127.0.0.1",
        f"--http-port={node.port}",
        f"--http-management-port={node.management}",
        f"--data-dir={data_dir}",
        f"--node-name={node.name}",
        "--cache=redis",
        f"--cache-remote-host={redis.hostname}",
        f"--cache-remote-port={redis.port or 6379}",
        "--db=postgres",
        f"--db-url={db_url}",
        "--health-enabled=true",
        *extra,
    ]


async def start_cluster(
    count: int, work: Path, db_url: str, args: argparse.Namespace, placement: Placement
) -> Cluster:
    cluster = Cluster(
        [Node(f"node{i}", free_port(), free_port()) for i in range(1, count + 1)], free_port()
    )
    try:
        for node in cluster.nodes:  # the first one migrates and imports; one at a time
            command = node_command(node, cluster, work / node.name, db_url, args, placement)
            node.running = spawn(node.name, command, work / f"{node.name}.log")
            await wait_ready(node.running, [f"http://127.0.0.1:{node.management}/health/ready"])
        config = work / "haproxy.cfg"
        config.write_text(haproxy_config(cluster))
        cluster.proxy = spawn(
            "haproxy",
            [*placement.prefix(placement.servers), args.haproxy, "-f", str(config)],
            work / "haproxy.log",
        )
        await wait_ready(cluster.proxy, [f"{cluster.base_url}/realms/{REALM}"])
    except BaseException:
        cluster.stop()
        raise
    return cluster


async def measure_processes(
    count: int, args: argparse.Namespace, placement: Placement
) -> list[Measurement]:
    """`count` Ostium processes behind HAProxy on a new database and Redis; the token
    scenarios through HAProxy, the CPU of every node and of HAProxy counted as server CPU."""
    name = f"ostium_bench_{uuid.uuid4().hex[:12]}"
    db_url = database_url(args.db_url, name)
    await admin_execute(args.db_url, f'CREATE DATABASE "{name}"')
    cluster: Cluster | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="ostium-bench-") as tmp:
            try:
                cluster = await start_cluster(count, Path(tmp), db_url, args, placement)
                issuer = f"{cluster.base_url}/realms/{REALM}"
                proxy = spawned(cluster.proxy)
                target = Target(
                    f"ostium x{count}",
                    f"Ostium, {count} process(es)",
                    proxy,
                    issuer,
                    await fetch_discovery(issuer),
                    jwt_params={},
                    userinfo_params={},
                )
                running = cluster
                runner = Runner(
                    target,
                    args,
                    placement,
                    server_cpu=lambda: running.node_cpu() + running.proxy_cpu(),
                )
                results = []
                for scenario in WORKER_SCENARIOS:
                    print(f"  {count} process(es): {scenario} ...", flush=True)
                    results.append(await runner.run(scenario))
                return results
            finally:
                if cluster is not None:
                    cluster.stop()
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await delete_run_keys(args.redis_url, await run_ids(db_url))
        await admin_execute(args.db_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def spawned(process: Process | None) -> Process:
    if process is None:
        raise RuntimeError("HAProxy did not start")
    return process


# --- the report -------------------------------------------------------------------------


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"


def mib(value: float) -> str:
    return f"{value / 2**20:.0f} MiB"


def target_text(scenario: str) -> str:
    if scenario in TARGETS:
        return f"≥ {TARGETS[scenario]:,.0f}/s, ≥ 1.0x peer"
    if scenario == "login":
        return f"≥ {LOGIN_TARGET:.0%} of hash rate, ≥ 1.0x peer"
    return "≥ 1.0x peer"


def server_cells(m: Measurement | None) -> list[str]:
    if m is None:
        return ["-"] * 4
    if not m.operations:
        return ["failed", "-", "-", "-"]
    flag = " †" if m.errors else ""
    if m.generator_cpu_s / m.seconds >= GENERATOR_BOUND:
        flag += " ‡"
    return [
        fmt(m.rate) + flag,
        f"{fmt(m.p50_ms)} / {fmt(m.p99_ms)}",
        fmt(m.cpu_ms_per_op, 2),
        " / ".join(
            f"{cpu / m.seconds:.0%}"
            for cpu in (m.server_cpu_s, m.generator_cpu_s, m.other_cpu_s, m.steal_s)
        ),
    ]


def ratio(ours: Measurement | None, peer: Measurement | None) -> str:
    if ours is None or peer is None or not ours.rate or not peer.rate:
        return "-"
    return f"{ours.rate / peer.rate:.2f}x"


def markdown(report: dict[str, Any], measurements: list[Measurement]) -> str:
    by_key = {(m.server, m.scenario): m for m in measurements}
    header = [
        "scenario",
        "target",
        "Ostium /s",
        "p50 / p99 ms",
        "CPU ms/op",
        "CPU % server / gen. / other / steal",
        "peer /s",
        "p50 / p99 ms",
        "CPU ms/op",
        "CPU % server / gen. / other / steal",
        "Ostium ÷ peer",
    ]
    lines = [
        f"Benchmark of {report['date']}: {report['servers']['ostium']['label']} on "
        f"{report['settings']['database']} vs {report['servers'].get('peer', {}).get('label', '-')}; "
        f"{report['settings']['seconds']:g} s per scenario, {report['settings']['connections']} "
        f"connections; {report['machine']['placement']}; {report['machine']['cpus']} CPUs "
        f"({report['machine']['cpu']}), load average {report['machine']['load_average_at_start']:.2f} "
        "at the start.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for scenario in report["settings"]["scenarios"]:
        ours, peer = by_key.get(("ostium", scenario)), by_key.get(("peer", scenario))
        lines.append(
            "| "
            + " | ".join(
                [
                    scenario,
                    target_text(scenario),
                    *server_cells(ours),
                    *server_cells(peer),
                    ratio(ours, peer),
                ]
            )
            + " |"
        )
    lines += ["", *other_figures(report, by_key), "", *notes(report)]
    return "\n".join(lines) + "\n"


def other_figures(report: dict[str, Any], by_key: dict[tuple[str, str], Measurement]) -> list[str]:
    ostium_figures = report["servers"]["ostium"]
    peer_figures = report["servers"].get("peer", {})
    rows = [
        (
            "start-up to ready (restart)",
            f"{ostium_figures['startup_s']:.2f} s",
            f"{peer_figures['startup_s']:.2f} s" if "startup_s" in peer_figures else "-",
            f"≤ {STARTUP_TARGET:g} s",
        ),
        (
            "start-up, first start (migrations, master realm, import)",
            f"{ostium_figures['startup_first_s']:.2f} s",
            "-",
            "",
        ),
        (
            "idle RSS",
            mib(ostium_figures["idle_rss"]),
            mib(peer_figures["idle_rss"]) if "idle_rss" in peer_figures else "-",
            f"≤ {mib(IDLE_RSS_TARGET)}",
        ),
        (
            "RSS after the run",
            mib(ostium_figures["rss_after_run"]),
            mib(peer_figures["rss_after_run"]) if "rss_after_run" in peer_figures else "-",
            "",
        ),
    ]
    sessions = report.get("session_memory")
    if sessions:
        count = sessions["sessions"]
        per = sessions["bytes_per_session"]
        rows.append(
            (
                f"RSS with {count:,} active sessions (idle RSS + in-process growth)",
                f"{mib(ostium_figures['idle_rss'] + per * count)} ({per:,.0f} B/session)",
                "-",
                f"≤ {SESSION_BYTES_TARGET} B/session",
            )
        )
    hashing = report.get("hash")
    if hashing:
        rows.append(
            (
                f"bare argon2id verifications ({hashing['parameters']}), one core",
                f"{hashing['rate']:.1f}/s",
                "-",
                "",
            )
        )
        login = by_key.get(("ostium", "login"))
        if login and login.rate:
            rows.append(
                (
                    "full login ÷ bare argon2id rate",
                    f"{login.rate / hashing['rate']:.0%}",
                    "(no hash)",
                    f"≥ {LOGIN_TARGET:.0%}",
                )
            )
    for m in report.get("processes_measurements", []):
        rows.append(
            (
                f"{m['server']} behind HAProxy: {m['scenario']}",
                f"{m['rate']:,.1f}/s, p99 {fmt(m['p99_ms'] or float('nan'))} ms, "
                f"{fmt(m['server_cpu_ms_per_op'] or float('nan'), 2)} CPU ms/op",
                "-",
                "",
            )
        )
    if report.get("processes_note"):
        rows.append(("1 vs 2 processes", report["processes_note"], "-", ""))
    lines = ["| figure | Ostium | peer | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return lines


def notes(report: dict[str, Any]) -> list[str]:
    errors = [
        f"- {m['server']} {m['scenario']}: {m['errors']} failed, first: {m['first_error']}"
        for m in report["measurements"] + report.get("processes_measurements", [])
        if m["first_error"]
    ]
    tools = ", ".join(
        f"{scenario} {tool}"
        for scenario, tool in sorted({(m["scenario"], m["tool"]) for m in report["measurements"]})
    )
    lines = [
        "Throughput counts successful operations: a login or SSO flow is one operation (every "
        "request of it, then the token exchange). CPU ms/op: the server process's CPU time "
        "over the run divided by operations. CPU %: the share of one core the server, the load "
        "generator and everything else on the machine used (other: PostgreSQL and Redis when "
        "in use, the kernel's interrupt work, and whatever else ran), and the time the "
        "hypervisor gave this machine's CPUs to other guests (steal: above a few per cent, "
        "the figures are lower than the machine can do). ‡ marks a generator above "
        f"{GENERATOR_BOUND:.0%}, which may have limited the figure. Load: {tools}.",
        "",
        "The peer's login has no password hash: compare Ostium's with the bare argon2id rate. "
        "On the peer, userinfo and introspection use its opaque access token (its JWT access "
        "tokens are for resource servers: neither stored nor accepted there); everything else "
        "gets a JWT access token (RS256) from both.",
    ]
    if errors:
        lines += ["", "† failures:", *errors]
    return lines


# --- the command ------------------------------------------------------------------------


def scenario_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(SCENARIOS)}"
        )
    return [s for s in SCENARIOS if s in names]


def seconds_value(text: str) -> float:
    value = float(text)
    if not 1 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_SECONDS:g} seconds")
    return value


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db-url",
        help="a PostgreSQL server (postgresql://user@host:port/db): Ostium runs on a new "
        "database created there and dropped afterwards, and 1 vs 2 processes are measured "
        "behind HAProxy with Redis; without it, Ostium runs on SQLite",
    )
    parser.add_argument(
        "--seconds",
        type=seconds_value,
        default=DEFAULT_SECONDS,
        help=f"measured seconds per scenario and server (default {DEFAULT_SECONDS:g}; "
        "each also gets a 1 s warm-up)",
    )
    parser.add_argument(
        "--scenarios",
        type=scenario_list,
        default=list(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=DEFAULT_CONNECTIONS,
        help=f"connections (wrk) or flows (httpx) in flight (default {DEFAULT_CONNECTIONS})",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=DEFAULT_SESSIONS,
        help=f"active sessions for the memory figure, 0 to skip (default {DEFAULT_SESSIONS})",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help=f"Redis for the 1 vs 2 processes figure, with --db-url (default {DEFAULT_REDIS_URL})",
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="measure Ostium only (no Node.js needed)"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=RESULTS_DIR,
        help="where <date>.json and <date>.md go (default bench/results)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run each Ostium scenario a second time under py-spy and write its collapsed "
        "stacks and a summary (README.md) into DIR",
    )
    parser.add_argument("--wrk", default=shutil.which("wrk"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--haproxy", default=shutil.which("haproxy") or "haproxy", help=argparse.SUPPRESS
    )
    parser.add_argument("--hash-child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hash_child is None and args.wrk is None:
        install_debian_packages(["wrk"])
        args.wrk = shutil.which("wrk")
    if args.hash_child is None and args.wrk is None:
        parser.error("wrk is missing (Debian: apt-get install wrk)")
    if args.db_url and shutil.which(args.haproxy) is None:
        install_debian_packages(["haproxy"])
        args.haproxy = shutil.which("haproxy") or args.haproxy
    if args.connections < 1:
        parser.error("--connections must be at least 1")
    return args


def versions(wrk_path: str) -> dict[str, str]:
    wrk = subprocess.run([wrk_path, "-v"], capture_output=True, text=True).stdout.split(" [")[0]
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "ostium": ostium.__version__,
        "python": platform.python_version(),
        "wrk": wrk.strip(),
        "cpu": cpu,
        "cpus": str(os.cpu_count()),
    }


async def run(args: argparse.Namespace, placement: Placement) -> dict[str, Any]:
    measurements: list[Measurement] = []
    report: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "machine": {
            **versions(args.wrk),
            "placement": placement.describe(),
            "load_average_at_start": os.getloadavg()[0],
        },
        "settings": {
            "seconds": args.seconds,
            "connections": args.connections,
            "scenarios": args.scenarios,
            "database": "PostgreSQL" if args.db_url else "SQLite",
            "lifetimes": lifetimes(),
        },
        "servers": {},
    }
    with tempfile.TemporaryDirectory(prefix="ostium-bench-") as tmp:
        work = Path(tmp)
        name = f"ostium_bench_{uuid.uuid4().hex[:12]}"
        db_url = database_url(args.db_url, name) if args.db_url else None
        if args.db_url:
            await admin_execute(args.db_url, f'CREATE DATABASE "{name}"')
        try:
            print("Ostium ...", flush=True)
            target = await start_ostium(work, db_url, placement)
            try:
                measurements += await measure_target(target, args, placement)
            finally:
                target.process.stop()
            report["servers"]["ostium"] = {"label": target.label, **target.figures}
        finally:
            if args.db_url:
                await admin_execute(args.db_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not args.no_peer:
            print("node-oidc-provider ...", flush=True)
            peer = await start_peer(work, placement)
            try:
                measurements += await measure_target(peer, args, placement)
            finally:
                peer.process.stop()
            report["servers"]["peer"] = {"label": peer.label, **peer.figures}
    print("bare argon2id ...", flush=True)
    report["hash"] = hash_rate(args, placement)
    if args.sessions > 0:
        print(f"{args.sessions:,} sessions in process (session_memory.py) ...", flush=True)
        report["session_memory"] = session_memory(args.sessions, placement)
    if args.db_url:
        processes: list[Measurement] = []
        for count in (1, 2):
            print(f"{count} Ostium process(es) behind HAProxy ...", flush=True)
            processes += await measure_processes(count, args, placement)
        report["processes_measurements"] = [m.as_json() for m in processes]
        if len(placement.servers) == 1:
            report["processes_note"] = (
                f"both processes share CPU {placement.servers[0]}: this machine has no third "
                "core, so the figures show a second process's cost, not its gain"
            )
    else:
        report["processes_note"] = "skipped: needs --db-url (PostgreSQL) and Redis"
    report["measurements"] = [m.as_json() for m in measurements]
    report["table"] = markdown(report, measurements)
    if args.profile is not None:
        print(f"profiles: {Profiler(args.profile).write_summary()}", flush=True)
    return report


def main() -> None:
    args = parse_arguments()
    if args.hash_child is not None:
        hash_child(args.hash_child)
        return
    placement = Placement.choose()
    if placement.taskset is not None:
        os.sched_setaffinity(0, placement.generator)  # the asyncio generator's core
    print(f"{placement.describe()}; {args.seconds:g} s per scenario", flush=True)
    report = asyncio.run(run(args, placement))
    args.output_dir.mkdir(parents=True, exist_ok=True)
    # A PostgreSQL run is named apart, so it never replaces the day's SQLite figures.
    name = report["date"] + ("-postgresql" if args.db_url else "")
    (args.output_dir / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output_dir / f"{name}.md").write_text(report["table"])
    print()
    print(report["table"])
    print(f"(written to {args.output_dir.name}/{name}.json and .md)")


if __name__ == "__main__":
    main()
