"""What an operator sees: start-up, refusals, restarts, imports."""

from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import (
    RunningServer,
    client_credentials_claims,
    free_port,
    process_env,
    run_cli,
    start_server,
)
from tests.support import SECRET, realm_export

pytestmark = pytest.mark.e2e


def _wait_for(server: RunningServer, text: str) -> None:
    deadline = time.monotonic() + 10
    while text not in server.text() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_start_dev_prints_what_a_newcomer_needs_and_restart_keeps_state(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, "--bootstrap-admin-username=admin", "--bootstrap-admin-password=pw"
    )
    try:
        _wait_for(server, "Welcome page")
        output = server.text()
        assert f"{server.base_url}/" in output or "localhost" in output
        assert "/realms/master/.well-known/openid-configuration" in output
        assert (tmp_path / "ostium.db").exists()
        certs = httpx.get(f"{server.base_url}/realms/master/protocol/openid-connect/certs").json()
        token = httpx.post(
            f"{server.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "admin",
                "password": "pw",
            },
        ).json()
    finally:
        server.stop()
    again = start_server(tmp_path, port=int(server.base_url.rsplit(":", 1)[1]))
    try:
        # Same keys, same session: a restart logs nobody out and breaks no token.
        assert (
            httpx.get(f"{again.base_url}/realms/master/protocol/openid-connect/certs").json()
            == certs
        )
        refreshed = httpx.post(
            f"{again.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "admin-cli",
                "refresh_token": token["refresh_token"],
            },
        )
        assert refreshed.status_code == 200, refreshed.text
        userinfo = httpx.get(
            f"{again.base_url}/realms/master/protocol/openid-connect/userinfo",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert userinfo.status_code == 200
    finally:
        again.stop()


def test_banner_prints_the_urls_really_served_and_uvicorn_starts_once(tmp_path: Path) -> None:
    """Two listeners (public and management) in one process: one "Started server process"
    and one "Finished server process"; the banner's URLs are the ones that answer."""
    server = start_server(tmp_path, "--health-enabled=true")
    try:
        _wait_for(server, "Management:")
        output = server.text()
        welcome = f"Welcome page:      {server.base_url}/"
        discovery = f"Master realm:      {server.base_url}/realms/master/.well-known/"
        management = f"Management:        {server.management_url}/ (health, metrics)"
        assert welcome in output and discovery in output and management in output, output
        assert httpx.get(f"{server.base_url}/realms/master").status_code == 200
        assert httpx.get(f"{server.management_url}/health/ready").status_code == 200
        unknown = httpx.get(f"{server.management_url}/nope")
        assert (unknown.status_code, unknown.json()) == (404, {"error": "HTTP 404 Not Found"})
        assert output.count("Started server process") == 1, output
    finally:
        output = server.stop()
    assert output.count("Finished server process") == 1, output


def test_banner_with_a_free_port_and_a_hostname_url(tmp_path: Path) -> None:
    """`--http-port=0` binds a free port: the banner names that one, not port 0; a
    `--hostname` URL is the public address as it is."""
    result_dir = tmp_path / "free"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ostium",
            "start-dev",
            "--http-port=0",
            "--http-host=127.0.0.1",
            f"--data-dir={result_dir}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=process_env(),
    )
    try:
        assert process.stdout is not None
        welcome = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not welcome:
            line = process.stdout.readline()
            if "Welcome page:" in line:
                welcome = line.split("Welcome page:", 1)[1].strip()
        assert welcome.startswith("http://127.0.0.1:") and not welcome.endswith(":0/")
        assert httpx.get(f"{welcome}realms/master").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    named = start_server(tmp_path / "named", "--hostname=https://id.example.test/auth")
    try:
        _wait_for(named, "Admin API:")
        output = named.text()
        assert "Welcome page:      https://id.example.test/auth/" in output, output
        assert "Admin API:         https://id.example.test/auth/admin/realms" in output
    finally:
        named.stop()


def test_production_start_refuses_unsafe_setups(tmp_path: Path) -> None:
    no_hostname = run_cli("start", f"--data-dir={tmp_path}", "--http-enabled=true")
    assert no_hostname.returncode != 0
    assert "--hostname" in no_hostname.stderr
    no_tls = run_cli("start", f"--data-dir={tmp_path}", "--hostname=id.example.com")
    assert no_tls.returncode != 0
    assert "--https-certificate-file" in no_tls.stderr and "--http-enabled" in no_tls.stderr
    assert not (tmp_path / "ostium.db").exists()


def test_unknown_option_and_bad_value_name_the_option(tmp_path: Path) -> None:
    unknown = run_cli("start-dev", "--http-prot=1")
    assert unknown.returncode != 0 and "--http-prot" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    bad = run_cli("start-dev", "--http-port=eighty")
    assert bad.returncode != 0 and "--http-port" in bad.stderr


def test_a_refused_option_stops_start_up_in_one_line(tmp_path: Path) -> None:
    refused = run_cli(
        "start-dev",
        f"--data-dir={tmp_path}",
        "--proxy-protocol-enabled=true",
        "--proxy-headers=xforwarded",
    )
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert lines == [
        "ERROR: Option '--proxy-protocol-enabled' cannot be enabled when --proxy-headers is used"
    ]
    legacy = run_cli("start-dev", f"--data-dir={tmp_path}", "--features=token-exchange")
    assert legacy.returncode != 0 and "token-exchange-standard" in legacy.stderr
    assert not (tmp_path / "ostium.db").exists()


def test_log_categories_set_their_loggers_level(tmp_path: Path) -> None:
    """Root at warn hides uvicorn's info lines; Keycloak's org.keycloak category, read as
    ostium, keeps Ostium's own info lines."""
    server = start_server(tmp_path, "--log-level=warn,org.keycloak:info")
    try:
        _wait_for(server, "Welcome page")
        output = server.text()
    finally:
        server.stop()
    assert "[ostium.bootstrap] Created the master realm" in output, output
    assert "Started server process" not in output, output


def test_a_bad_import_file_stops_startup_and_imports_nothing(tmp_path: Path) -> None:
    (tmp_path / "import").mkdir()
    broken = realm_export()
    broken["realm"] = "broken"
    broken["users"][0]["realmRoles"] = ["no-such-role"]
    (tmp_path / "import" / "broken-realm.json").write_text(json.dumps(broken))
    result = run_cli("start-dev", f"--data-dir={tmp_path}", "--import-realm", "--http-port=0")
    assert result.returncode != 0
    assert "broken-realm.json" in result.stderr
    assert "no-such-role" in result.stderr
    with sqlite3.connect(tmp_path / "ostium.db") as db:
        assert db.execute("select count(*) from realms where name = 'broken'").fetchone()[0] == 0


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    server.stop()
    with sqlite3.connect(tmp_path / "ostium.db") as db:
        db.execute("update alembic_version set version_num = 'ffffffffffff'")
    result = run_cli("start-dev", f"--data-dir={tmp_path}")
    assert result.returncode != 0
    assert "newer" in result.stderr


def test_import_is_skipped_for_existing_realms(tmp_path: Path) -> None:
    (tmp_path / "import").mkdir()
    (tmp_path / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    first = start_server(tmp_path, "--import-realm")
    first.stop()
    second = start_server(tmp_path, "--import-realm")
    try:
        token = httpx.post(
            f"{second.base_url}/realms/test/protocol/openid-connect/token",
            data={"grant_type": "client_credentials"},
            auth=("app", SECRET),
        )
        assert token.status_code == 200
    finally:
        second.stop()


def test_startup_import_creates_missing_service_account_users(tmp_path: Path) -> None:
    """A hand-written realm file lists no `service-account-app` user; Keycloak's start-up
    import creates it, so `client_credentials` works at once."""
    realm = realm_export()
    realm["users"] = [u for u in realm["users"] if "serviceAccountClientId" not in u]
    (tmp_path / "import").mkdir()
    (tmp_path / "import" / "test-realm.json").write_text(json.dumps(realm))
    server = start_server(tmp_path, "--import-realm")
    try:
        claims = client_credentials_claims(server, SECRET)
        assert claims["preferred_username"] == "service-account-app"
    finally:
        server.stop()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "tls.crt", directory / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_production_start_serves_https_only(tmp_path: Path) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    https_port, http_port, management = free_port(), free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ostium",
            "start",
            "--hostname=localhost",
            f"--https-port={https_port}",
            f"--http-port={http_port}",
            f"--http-management-port={management}",
            "--http-host=127.0.0.1",
            f"--https-certificate-file={cert_file}",
            f"--https-certificate-key-file={key_file}",
            f"--data-dir={tmp_path}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"https://localhost:{https_port}/realms/master/.well-known/openid-configuration"
        deadline = time.monotonic() + 30
        document = None
        while document is None and time.monotonic() < deadline:
            try:
                document = httpx.get(url, verify=False, timeout=1).json()  # noqa: S501 - our own test certificate
            except httpx.HTTPError:
                time.sleep(0.05)
        assert document is not None, "HTTPS listener did not answer"
        assert document["issuer"] == f"https://localhost:{https_port}/realms/master"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{http_port}/realms/master", timeout=1)
    finally:
        process.terminate()
        process.wait(timeout=10)
