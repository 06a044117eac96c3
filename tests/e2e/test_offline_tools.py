"""`ostium token inspect` and `ostium clients regenerate-secret`: real processes on a
SQLite data directory, with no server running while they act."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import process_env, run_cli, start_server
from tests.support import SECRET, realm_export

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Stopped:
    """A data directory whose server issued `tokens` and was stopped."""

    data_dir: Path
    tokens: dict[str, str]


def _data_dir(base: Path) -> Path:
    (base / "import").mkdir(parents=True)
    (base / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    return base


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Stopped:
    data_dir = _data_dir(tmp_path_factory.mktemp("offline"))
    server = start_server(data_dir, "--import-realm")
    try:
        response = httpx.post(
            f"{server.base_url}/realms/test/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "username": "alice",
                "password": "wonderland",
                "scope": "openid",
            },
            auth=("app", SECRET),
        )
        assert response.status_code == 200, response.text
    finally:
        server.stop()
    return Stopped(data_dir, response.json())


def inspect(stopped: Stopped, *args: str) -> tuple[int, list[str], str]:
    result = run_cli("token", "inspect", *args, f"--data-dir={stopped.data_dir}")
    return result.returncode, result.stdout.splitlines(), result.stderr


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["preferred_username"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# --- token inspect ------------------------------------------------------------------------


def test_inspect_usage_errors_exit_2(stopped: Stopped) -> None:
    code, _, stderr = inspect(stopped)
    assert code == 2 and "Missing TOKEN" in stderr
    code, _, stderr = inspect(stopped, stopped.tokens["access_token"], "--realm")
    assert code == 2 and stderr.startswith("ERROR: ")
    code, _, stderr = inspect(stopped, stopped.tokens["access_token"], "--no-such-option=1")
    assert code == 2 and stderr.startswith("ERROR: ")
    wrong = run_cli("token", "examine", "x")
    assert wrong.returncode == 2


def test_inspect_an_unreadable_token_exits_1(stopped: Stopped) -> None:
    code, out, _ = inspect(stopped, "garbage")
    assert code == 1
    assert out[-1].startswith("invalid: malformed: ")


def test_inspect_a_tampered_token_says_bad_signature(stopped: Stopped) -> None:
    code, out, _ = inspect(stopped, _tampered(stopped.tokens["access_token"]))
    assert code == 1
    assert out[-1].startswith("invalid: bad_signature: bad signature: ")
    assert '"preferred_username": "mallory"' in "\n".join(out)  # the claims as written


def test_inspect_in_a_realm_without_the_key_says_unknown_kid(stopped: Stopped) -> None:
    """What a restore from a backup without the keys looks like: the kid is nowhere."""
    token = stopped.tokens["access_token"]
    kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]
    code, out, _ = inspect(stopped, token, "--realm", "master")
    assert code == 1
    assert out[-1].startswith(f"invalid: unknown_kid: unknown kid '{kid}': ")


def test_inspect_with_an_unknown_realm(stopped: Stopped) -> None:
    code, _, stderr = inspect(stopped, stopped.tokens["access_token"], "--realm", "nope")
    assert code == 1 and stderr.startswith("ERROR: Realm 'nope' does not exist")


def test_inspect_a_wrong_audience(stopped: Stopped) -> None:
    code, out, _ = inspect(stopped, stopped.tokens["access_token"], "--audience=billing")
    assert code == 1
    assert out[-1].startswith("invalid: wrong_audience: ")


def test_inspect_a_valid_token_exits_0(stopped: Stopped) -> None:
    token = stopped.tokens["access_token"]
    code, out, stderr = inspect(stopped, token)
    assert code == 0, (out, stderr)
    assert out[-1] == "valid"
    text = "\n".join(out)
    header = json.loads(text[text.index("{") : text.index("}") + 1])
    assert header["alg"] == "RS256" and header["kid"]
    assert out[0] == "Header:" and "Claims:" in out
    assert '  "preferred_username": "alice",' in out
    issuer = next(line for line in out if line.startswith("Issuer: "))
    assert "accepted offline because it ends with /realms/test" in issuer
    # The same from standard input, and the ID and refresh tokens of the same login.
    piped = subprocess.run(
        [sys.executable, "-m", "ostium", "token", "inspect", "-", f"--data-dir={stopped.data_dir}"],
        input=token,
        capture_output=True,
        text=True,
        timeout=60,
        env=process_env(),
        check=False,
    )
    assert piped.returncode == 0 and piped.stdout.splitlines()[-1] == "valid"
    for other in ("id_token", "refresh_token"):
        code, out, _ = inspect(stopped, stopped.tokens[other], "--realm=test")
        assert (code, out[-1]) == (0, "valid"), other


# --- clients regenerate-secret ---------------------------------------------------------------


def regenerate(data_dir: Path, *args: str) -> tuple[int, list[str], str]:
    result = run_cli("clients", "regenerate-secret", *args, f"--data-dir={data_dir}")
    return result.returncode, result.stdout.splitlines(), result.stderr


def test_regenerate_secret_errors(tmp_path: Path) -> None:
    data_dir = _data_dir(tmp_path)
    start_server(data_dir, "--import-realm").stop()
    code, _, stderr = regenerate(data_dir, "--realm", "test", "--client", "nope")
    assert code == 1 and stderr == "ERROR: Client 'nope' does not exist in realm 'test'\n"
    code, _, stderr = regenerate(data_dir, "--realm", "nope", "--client", "app")
    assert code == 1 and stderr == "ERROR: Realm 'nope' does not exist\n"
    code, _, stderr = regenerate(data_dir, "--realm", "test")
    assert code == 2 and stderr == "ERROR: Missing option '--client'\n"
    code, _, stderr = regenerate(
        data_dir, "--realm", "test", "--client", "app", "--grace-period=-1"
    )
    assert code == 2 and stderr.startswith("ERROR: Invalid value for option '--grace-period'")
    code, _, stderr = regenerate(data_dir, "--realm", "test", "--client", "spa")
    assert code == 1 and "public client" in stderr


def test_regenerated_secret_works_on_the_next_start(tmp_path: Path) -> None:
    data_dir = _data_dir(tmp_path)
    start_server(data_dir, "--import-realm").stop()
    code, out, stderr = regenerate(data_dir, "--realm", "test", "--client", "app")
    assert code == 0, stderr
    secret = out[-1]
    assert secret and " " not in secret and secret != SECRET
    server = start_server(data_dir)
    try:
        url = f"{server.base_url}/realms/test/protocol/openid-connect/token"
        grant = {"grant_type": "client_credentials"}
        assert httpx.post(url, data=grant, auth=("app", secret)).status_code == 200
        old = httpx.post(url, data=grant, auth=("app", SECRET))
        assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    finally:
        server.stop()


def test_regenerate_secret_with_a_grace_period_keeps_the_old_one(tmp_path: Path) -> None:
    data_dir = _data_dir(tmp_path)
    start_server(data_dir, "--import-realm").stop()
    code, out, stderr = regenerate(
        data_dir, "--realm", "test", "--client", "app", "--grace-period", "3600"
    )
    assert code == 0, stderr
    assert any("previous secret is still accepted until" in line for line in out)
    secret = out[-1]
    server = start_server(data_dir)
    try:
        url = f"{server.base_url}/realms/test/protocol/openid-connect/token"
        grant = {"grant_type": "client_credentials"}
        assert httpx.post(url, data=grant, auth=("app", secret)).status_code == 200
        assert httpx.post(url, data=grant, auth=("app", SECRET)).status_code == 200
    finally:
        server.stop()
