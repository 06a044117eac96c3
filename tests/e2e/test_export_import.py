"""`ostium export` / `ostium import`: Keycloak's layout, hashes kept, exact round trip."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.e2e.conftest import client_credentials_claims, run_cli, start_server
from tests.support import SECRET, form_of, pkce_pair, query_of, realm_export

pytestmark = pytest.mark.e2e


def _normalised(document: dict[str, Any]) -> dict[str, Any]:
    """Order-insensitive view of an export (lists of named things sorted by name)."""
    text = json.dumps(document, sort_keys=True)
    return json.loads(text)


def test_round_trip_reproduces_the_realm(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "import").mkdir()
    (source / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    server = start_server(source, "--import-realm")
    server.stop()
    first = run_cli(
        "export", "--realm", "test", "--dir", str(tmp_path / "out1"), f"--data-dir={source}"
    )
    assert first.returncode == 0, first.stderr
    files = sorted(p.name for p in (tmp_path / "out1").iterdir())
    assert files == ["test-realm.json", "test-users-0.json"]
    target = tmp_path / "target"
    imported = run_cli("import", "--dir", str(tmp_path / "out1"), f"--data-dir={target}")
    assert imported.returncode == 0, imported.stderr
    second = run_cli(
        "export", "--realm", "test", "--dir", str(tmp_path / "out2"), f"--data-dir={target}"
    )
    assert second.returncode == 0, second.stderr
    for name in files:
        a = json.loads((tmp_path / "out1" / name).read_text())
        b = json.loads((tmp_path / "out2" / name).read_text())
        assert _normalised(a) == _normalised(b), name
    # The re-imported users log in with their old passwords.
    server = start_server(target)
    try:
        token = httpx.post(
            f"{server.base_url}/realms/test/protocol/openid-connect/token",
            data={"grant_type": "password", "username": "alice", "password": "wonderland"},
            auth=("app", SECRET),
        )
        assert token.status_code == 200, token.text
    finally:
        server.stop()


def test_single_file_export_and_import_without_override(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "import").mkdir(parents=True)
    (data / "import" / "t.json").write_text(json.dumps(realm_export()))
    start_server(data, "--import-realm").stop()
    out = tmp_path / "test.json"
    assert (
        run_cli("export", "--realm", "test", "--file", str(out), f"--data-dir={data}").returncode
        == 0
    )
    document = json.loads(out.read_text())
    assert document["realm"] == "test"
    alice = next(u for u in document["users"] if u["username"] == "alice")
    credential = alice["credentials"][0]
    assert json.loads(credential["credentialData"])["algorithm"] == "argon2"
    assert "value" not in credential
    again = run_cli("import", "--file", str(out), "--override", "false", f"--data-dir={data}")
    assert again.returncode == 0 and "skipped" in again.stdout


def test_import_of_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    bad = realm_export()
    bad["users"][0]["groups"] = ["/missing"]
    (tmp_path / "broken.json").write_text(json.dumps(bad))
    result = run_cli("import", "--file", str(tmp_path / "broken.json"), f"--data-dir={tmp_path}")
    assert result.returncode != 0
    assert "/missing" in result.stderr
    assert not (tmp_path / "ostium.db").exists()


def test_a_keycloak_pbkdf2_user_logs_in_after_import(tmp_path: Path) -> None:
    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", b"legacy-pw", salt, 27500, 64)
    realm = {
        "realm": "legacy",
        "enabled": True,
        "clients": [{"clientId": "cli", "publicClient": True, "directAccessGrantsEnabled": True}],
        "users": [
            {
                "username": "old-timer",
                "enabled": True,
                "credentials": [
                    {
                        "type": "password",
                        "secretData": json.dumps(
                            {
                                "value": base64.b64encode(digest).decode(),
                                "salt": base64.b64encode(salt).decode(),
                                "additionalParameters": {},
                            }
                        ),
                        "credentialData": json.dumps(
                            {
                                "hashIterations": 27500,
                                "algorithm": "pbkdf2-sha256",
                                "additionalParameters": {},
                            }
                        ),
                    }
                ],
            }
        ],
    }
    (tmp_path / "legacy.json").write_text(json.dumps(realm))
    assert (
        run_cli(
            "import", "--file", str(tmp_path / "legacy.json"), f"--data-dir={tmp_path}"
        ).returncode
        == 0
    )
    server = start_server(tmp_path)
    try:
        token = httpx.post(
            f"{server.base_url}/realms/legacy/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "cli",
                "username": "old-timer",
                "password": "legacy-pw",
            },
        )
        assert token.status_code == 200, token.text
    finally:
        server.stop()


KEYCLOAK_EXPORT = Path(__file__).parents[1] / "vectors" / "realms" / "keycloak26-acme-realm.json"


def _code_flow_login(base_url: str, username: str, password: str) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    with httpx.Client(base_url=base_url) as browser:
        page = browser.get(
            "/realms/acme/protocol/openid-connect/auth",
            params={
                "client_id": "acme-web",
                "response_type": "code",
                "redirect_uri": "http://localhost:3000/callback",
                "scope": "openid",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        assert page.status_code == 200, page.text
        action, hidden = form_of(page.text)
        done = browser.post(action, data={**hidden, "username": username, "password": password})
        assert done.status_code == 302, done.text
        code = query_of(done.headers["location"])["code"]
    token = httpx.post(
        f"{base_url}/realms/acme/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost:3000/callback",
            "code_verifier": verifier,
        },
        auth=("acme-web", "acme-web-secret"),
    )
    assert token.status_code == 200, token.text
    return dict(token.json())


def test_a_keycloak_26_export_imports_and_its_users_log_in(tmp_path: Path) -> None:
    (tmp_path / "import").mkdir()
    (tmp_path / "import" / "acme-realm.json").write_text(KEYCLOAK_EXPORT.read_text())
    server = start_server(tmp_path, "--import-realm")
    try:
        for username, password in (("paula", "pbkdf2-secret"), ("arne", "argon2-secret")):
            tokens = _code_flow_login(server.base_url, username, password)
            claims = jwt.decode(
                tokens["access_token"],
                KeySet.import_key_set(
                    httpx.get(f"{server.base_url}/realms/acme/protocol/openid-connect/certs").json()
                ),
            ).claims
            assert claims["preferred_username"] == username
        paula = claims_of_paula(server.base_url)
        assert "manager" in paula["realm_access"]["roles"]
        # The client's protocol mappers from the Keycloak export act on the tokens.
        assert "acme-api" in (paula["aud"] if isinstance(paula["aud"], list) else [paula["aud"]])
        assert paula["department"] == "finance"
        assert paula["groups"] == ["/engineering"]
        assert paula["tenant"] == "acme"
    finally:
        server.stop()
    exported = run_cli(
        "export",
        "--realm",
        "acme",
        "--file",
        str(tmp_path / "after.json"),
        f"--data-dir={tmp_path}",
    )
    assert exported.returncode == 0, exported.stderr
    users = {u["username"]: u for u in json.loads((tmp_path / "after.json").read_text())["users"]}
    # Paula's pbkdf2 hash was upgraded to argon2id at her first login, as Keycloak does.
    assert json.loads(users["paula"]["credentials"][0]["credentialData"])["algorithm"] == "argon2"
    assert users["paula"]["groups"] == ["/engineering"]
    assert users["arne"]["groups"] == ["/engineering/platform"]


def claims_of_paula(base_url: str) -> dict[str, Any]:
    token = httpx.post(
        f"{base_url}/realms/acme/protocol/openid-connect/token",
        data={"grant_type": "password", "username": "paula", "password": "pbkdf2-secret"},
        auth=("acme-web", "acme-web-secret"),
    ).json()["access_token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    userinfo = httpx.get(
        f"{base_url}/realms/acme/protocol/openid-connect/userinfo",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert userinfo["department"] == "finance" and userinfo["tenant"] == "acme"
    return dict(claims)


def _without_service_account_user() -> dict[str, Any]:
    realm = realm_export()
    realm["users"] = [u for u in realm["users"] if "serviceAccountClientId" not in u]
    return realm


def test_ostium_import_creates_missing_service_account_users(tmp_path: Path) -> None:
    """Keycloak's import gives a client with `serviceAccountsEnabled` its user when the
    file has none; `client_credentials` then works."""
    (tmp_path / "hand-written.json").write_text(json.dumps(_without_service_account_user()))
    data = tmp_path / "data"
    imported = run_cli(
        "import", "--file", str(tmp_path / "hand-written.json"), f"--data-dir={data}"
    )
    assert imported.returncode == 0, imported.stderr
    server = start_server(data)
    try:
        claims = client_credentials_claims(server, SECRET)
        assert claims["preferred_username"] == "service-account-app"
        assert "offline_access" in claims["realm_access"]["roles"]  # the default roles
    finally:
        server.stop()


def test_ostium_import_holds_plain_passwords_to_the_realms_policy(tmp_path: Path) -> None:
    """A plain-text password the file's own policy refuses stops the import, naming the
    user and Keycloak's message key; the blacklist is read from
    <data-dir>/password-blacklists; nothing is written until the file is right."""
    data = tmp_path / "data"
    realm = {
        "realm": "strict",
        "passwordPolicy": "length(12) and passwordBlacklist(top.txt)",
        "users": [{"username": "kim", "credentials": [{"type": "password", "value": "too short"}]}],
    }
    source = tmp_path / "strict.json"

    def run(user_password: str) -> Any:
        realm["users"][0]["credentials"][0]["value"] = user_password  # type: ignore[index]
        source.write_text(json.dumps(realm))
        return run_cli("import", "--file", str(source), f"--data-dir={data}")

    missing = run("long enough, surely")
    assert missing.returncode != 0
    assert "no file 'top.txt' in the password blacklists folder" in missing.stderr
    (data / "password-blacklists").mkdir(parents=True)
    (data / "password-blacklists" / "top.txt").write_text("correct horse battery\n")
    short = run("too short")
    assert short.returncode != 0
    assert "(kim)" in short.stderr and "invalidPasswordMinLengthMessage" in short.stderr
    listed = run("Correct Horse Battery")
    assert listed.returncode != 0 and "invalidPasswordBlacklistedMessage" in listed.stderr
    assert not (data / "ostium.db").exists()
    accepted = run("correct horse battery staple")
    assert accepted.returncode == 0, accepted.stderr
    out = tmp_path / "out.json"
    exported = run_cli("export", "--realm", "strict", "--file", str(out), f"--data-dir={data}")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(out.read_text())
    assert document["passwordPolicy"] == "length(12) and passwordBlacklist(top.txt)"
