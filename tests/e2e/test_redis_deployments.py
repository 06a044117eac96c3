"""`--cache=redis` against the Redis deployments operators run: ACL users, TLS, Sentinel and
Cluster, each a private `redis-server` on loopback, each proven by a real `ostium start-dev`
that logs a user in and refreshes the token; and the refusals, one `ERROR:` line each."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from redis import Redis
from redis.cluster import RedisCluster

from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    admin_headers,
    free_port,
    run_cli,
    start_server,
)
from tests.postgres import fresh_database
from tests.redis_server import RedisProcess, redis_process
from tests.support import REALM, SECRET, realm_export

pytestmark = pytest.mark.e2e

DEADLINE = 10.0  # seconds any single wait may take; each normally takes milliseconds
PASSWORD = "redis-acl-pw"
# Redis 7 joins the words after `--user` into one ACL rule line, as in redis.conf.
ACL_USER = ["--user", "default", "off", "--user", *f"ostium on >{PASSWORD} ~* &* +@all".split()]


def _require_redis_cli() -> None:
    if shutil.which("redis-cli") is None:
        message = "redis-cli is not installed (apt-get install redis-tools)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def _wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {DEADLINE}s"
        time.sleep(0.05)


def _data_dir(path: Path) -> Path:
    """An ostium data directory whose start-up imports the test realm."""
    (path / "import").mkdir(parents=True)
    (path / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    return path


def _redis(host: str, *extra: str) -> list[str]:
    return ["--cache=redis", f"--cache-remote-host={host}", *extra]


def _token(base_url: str, data: dict[str, str]) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/realms/{REALM}/protocol/openid-connect/token",
        data=data,
        auth=("app", SECRET),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _login(base_url: str) -> dict[str, Any]:
    return _token(
        base_url, {"grant_type": "password", "username": "alice", "password": "wonderland"}
    )


def _login_and_refresh(base_url: str, refresh_at: str | None = None) -> str:
    """The user session's id: a new session is written to the `sessions` cache once its
    transaction has committed, and again by the refresh, so `ostium:sessions:<id>` is
    certainly in Redis afterwards."""
    tokens = _login(base_url)
    refreshed = _token(
        refresh_at or base_url,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed["session_state"] == tokens["session_state"]
    return str(tokens["session_state"])


@contextmanager
def _ostium(data_dir: Path, *extra: str) -> Iterator[RunningServer]:
    server = start_server(data_dir, *extra)
    try:
        yield server
    finally:
        server.stop()


def _refusal(
    pool: ThreadPoolExecutor, data_dir: Path, *extra: str
) -> Future[subprocess.CompletedProcess[str]]:
    """`start-dev` that must not start, run beside the test's other work."""

    def run() -> subprocess.CompletedProcess[str]:
        result = run_cli(
            "start-dev",
            f"--data-dir={data_dir}",
            "--http-host=127.0.0.1",
            f"--http-port={free_port()}",
            f"--http-management-port={free_port()}",
            *extra,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        return result

    return pool.submit(run)


def _error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, stderr
    return errors[0]


# --- ACL ----------------------------------------------------------------------------------


def test_acl_user_logs_in_and_a_wrong_password_stops_startup(tmp_path: Path) -> None:
    with redis_process(tmp_path, *ACL_USER) as server, ThreadPoolExecutor(1) as pool:
        options = _redis(
            "127.0.0.1", f"--cache-remote-port={server.port}", "--cache-remote-username=ostium"
        )
        wrong = _refusal(pool, tmp_path / "wrong", *options, "--cache-remote-password=wrong-pw")
        right = f"--cache-remote-password={PASSWORD}"
        with _ostium(_data_dir(tmp_path / "ok"), "--import-realm", *options, right) as node:
            session = _login_and_refresh(node.base_url)
        refused = wrong.result()
        where = f"127.0.0.1:{server.port}"
        error = _error_line(refused.stderr)
        assert error.startswith(f"ERROR: Cannot use the Redis cache at {where}: ")
        assert "wrong-pw" not in refused.stdout + refused.stderr

        with Redis(port=server.port, username="ostium", password=PASSWORD) as client:
            # The default user is off: nothing but the ACL user could have written it.
            assert client.exists(f"ostium:sessions:{session}")
            # A refusal is not retried: one failed authentication, not one per back-off.
            failures = [e for e in client.acl_log() if e["username"] == "ostium"]
            assert [e["count"] for e in failures] == [1]


# --- TLS ----------------------------------------------------------------------------------


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate it signed for 127.0.0.1 and localhost."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ostium test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (
        directory / "ca.pem",
        directory / "redis.pem",
        directory / "redis-key.pem",
    )
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def test_tls_needs_the_truststore(tmp_path: Path) -> None:
    ca, certificate, key = _certificates(tmp_path)
    tls = [
        *("--tls-cert-file", str(certificate), "--tls-key-file", str(key)),
        *("--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no"),
    ]
    with redis_process(tmp_path, *tls, tls=True) as server, ThreadPoolExecutor(1) as pool:
        options = _redis(
            "127.0.0.1", f"--cache-remote-port={server.port}", "--cache-remote-tls-enabled=true"
        )
        untrusted = _refusal(pool, tmp_path / "untrusted", *options)
        trusted = f"--truststore-paths={ca}"
        with _ostium(_data_dir(tmp_path / "ok"), "--import-realm", *options, trusted) as node:
            session = _login_and_refresh(node.base_url)
        with Redis(port=server.port, ssl=True, ssl_ca_certs=str(ca)) as client:
            assert client.exists(f"ostium:sessions:{session}")

        error = _error_line(untrusted.result().stderr)
        assert error.startswith(f"ERROR: Cannot use the Redis cache at 127.0.0.1:{server.port}: ")
        assert "certificate verify failed" in error


# --- Sentinel -----------------------------------------------------------------------------


def test_sentinel_finds_the_master(tmp_path: Path) -> None:
    (tmp_path / "master").mkdir()
    (tmp_path / "sentinel").mkdir()
    with ExitStack() as stack:
        # The master has an ACL user, the sentinel no password at all: Ostium's user name
        # must go to the master only.
        master = stack.enter_context(redis_process(tmp_path / "master", *ACL_USER))
        port = free_port()
        config = tmp_path / "sentinel" / "sentinel.conf"  # Sentinel rewrites it: writable
        config.write_text(
            f"port {port}\n"
            "bind 127.0.0.1\n"
            f"sentinel monitor ostium-primary 127.0.0.1 {master.port} 1\n"
            "sentinel down-after-milliseconds ostium-primary 1000\n"
            "sentinel auth-user ostium-primary ostium\n"
            f"sentinel auth-pass ostium-primary {PASSWORD}\n"
        )
        sentinel = RedisProcess(port, [str(config), "--sentinel"], config.parent)
        stack.callback(sentinel.stop)
        sentinel.start()

        options = _redis(
            f"127.0.0.1:{port}",
            "--cache-remote-mode=sentinel",
            # Not the default (mymaster): the sentinel knows no other name, so this option
            # is what finds the master.
            "--cache-remote-sentinel-master=ostium-primary",
            "--cache-remote-username=ostium",
            f"--cache-remote-password={PASSWORD}",
        )
        with _ostium(_data_dir(tmp_path / "data"), "--import-realm", *options) as node:
            session = _login_and_refresh(node.base_url)
        with Redis(port=master.port, username="ostium", password=PASSWORD) as client:
            assert client.exists(f"ostium:sessions:{session}")


# --- Cluster ------------------------------------------------------------------------------


def _cluster_ok(port: int) -> bool:
    with Redis(port=port) as client:
        return bool(client.cluster("INFO").get("cluster_state") == "ok")


def test_cluster_shares_sessions_and_invalidations_between_nodes(tmp_path: Path) -> None:
    _require_redis_cli()
    with ExitStack() as stack:
        nodes = []
        for n in range(3):
            (tmp_path / f"redis-{n}").mkdir()
            # The bus port is an explicit free one: port + 10000 may be past 65535.
            cluster = [
                *("--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{n}.conf"),
                *("--cluster-node-timeout", "2000", "--cluster-port", str(free_port())),
            ]
            nodes.append(stack.enter_context(redis_process(tmp_path / f"redis-{n}", *cluster)))
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        create = ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0"]
        subprocess.run(
            [*create, "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=DEADLINE * 2,
        )
        _wait_until(lambda: all(_cluster_ok(node.port) for node in nodes), "cluster_state:ok")

        # Two nodes on one database, sessions in the cache only: a refresh on the other
        # node works only through Redis. One issuer for both, as behind a load balancer.
        database = stack.enter_context(fresh_database())
        port = free_port()
        shared = [
            *_redis(",".join(addresses), "--cache-remote-mode=cluster"),
            "--db=postgres",
            f"--db-url={database}",
            f"--hostname=http://127.0.0.1:{port}",
            "--features-disabled=persistent-user-sessions",
        ]
        one_dir = _data_dir(tmp_path / "one")
        one = start_server(one_dir, "--import-realm", *shared, env=ADMIN_ENV, port=port)
        stack.callback(one.stop)
        two = start_server(tmp_path / "two", *shared)
        stack.callback(two.stop)

        session = _login_and_refresh(one.base_url, refresh_at=two.base_url)
        with RedisCluster(host="127.0.0.1", port=nodes[0].port) as client:
            assert client.exists(f"ostium:sessions:{session}")

        # The realm is now in node two's local cache, which nothing but the `work`
        # channel evicts: a change made on node one must reach it that way.
        before = int(_login(two.base_url)["expires_in"])
        changed = httpx.put(
            f"{one.base_url}/admin/realms/{REALM}",
            json={"accessTokenLifespan": before + 60},
            headers=admin_headers(one.base_url),
            timeout=10,
        )
        assert changed.status_code == 204, changed.text
        _wait_until(
            lambda: int(_login(two.base_url)["expires_in"]) == before + 60,
            "the realm change reaching the other node",
        )
