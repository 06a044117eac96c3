"""A real `ostium start-dev` process driven by python-keycloak, as an app would drive Keycloak."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakError

from tests.e2e.conftest import RunningServer
from tests.support import CALLBACK, SECRET, pkce_pair

pytestmark = pytest.mark.e2e


def openid(
    server: RunningServer, client_id: str = "app", secret: str | None = SECRET
) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=server.base_url + "/",
        realm_name="test",
        client_id=client_id,
        client_secret_key=secret,
    )


def test_well_known_and_certs(server: RunningServer) -> None:
    kc = openid(server)
    assert kc.well_known()["issuer"] == f"{server.base_url}/realms/test"
    # Keycloak's default keys: the RSA signing key, then the RSA encryption key.
    assert [(k["kty"], k["use"]) for k in kc.certs()["keys"]] == [("RSA", "sig"), ("RSA", "enc")]


def test_password_token_refresh_userinfo_introspect_logout(server: RunningServer) -> None:
    kc = openid(server)
    tokens = kc.token("alice", "wonderland")
    assert tokens["token_type"] == "Bearer"
    info = kc.userinfo(tokens["access_token"])
    assert info["preferred_username"] == "alice"
    decoded = kc.decode_token(tokens["access_token"])
    assert decoded["azp"] == "app"
    refreshed = kc.refresh_token(tokens["refresh_token"])
    assert refreshed["session_state"] == tokens["session_state"]
    assert kc.introspect(refreshed["access_token"])["active"] is True
    kc.logout(refreshed["refresh_token"])
    inactive = kc.introspect(refreshed["access_token"])
    assert inactive["active"] is False
    assert inactive["error_description"].startswith("session ended")
    with pytest.raises(KeycloakError):
        kc.refresh_token(refreshed["refresh_token"])
    with pytest.raises(KeycloakError):
        kc.userinfo(refreshed["access_token"])


def test_wrong_password_is_refused(server: RunningServer) -> None:
    """Keycloak answers 401 `invalid_grant`, which python-keycloak alone turns into
    KeycloakAuthenticationError; apps catch that to say "wrong password"."""
    kc = openid(server)
    for username, password in (("alice", "not-her-password"), ("nobody", "whatever")):
        with pytest.raises(KeycloakAuthenticationError) as refused:
            kc.token(username, password)
        assert refused.value.response_code == 401
        assert json.loads(refused.value.response_body) == {
            "error": "invalid_grant",
            "error_description": "Invalid user credentials",
        }
    with pytest.raises(KeycloakError) as disabled:
        kc.token("mallory", "disabled")
    assert not isinstance(disabled.value, KeycloakAuthenticationError)
    assert disabled.value.response_code == 400
    assert json.loads(disabled.value.response_body)["error_description"] == "Account disabled"


def test_userinfo_post_with_only_the_bearer_header(server: RunningServer) -> None:
    """RFC 6750 §2.1: requests and httpx send a bare POST, no body, no Content-Type."""
    token = openid(server).token("alice", "wonderland")["access_token"]
    url = f"{server.base_url}/realms/test/protocol/openid-connect/userinfo"
    headers = {"Authorization": f"Bearer {token}"}
    by_requests = requests.post(url, headers=headers, timeout=10)
    assert "Content-Type" not in by_requests.request.headers
    assert by_requests.status_code == 200, by_requests.text
    assert by_requests.json()["preferred_username"] == "alice"
    by_httpx = httpx.post(url, headers=headers)
    assert by_httpx.status_code == 200, by_httpx.text
    assert by_httpx.json() == by_requests.json()
    as_json = httpx.post(url, headers=headers, json={"access_token": token})
    assert as_json.status_code == 400


def test_code_flow_with_pkce_and_id_token_verified_against_jwks(server: RunningServer) -> None:
    kc = openid(server)
    verifier, challenge = pkce_pair()
    with httpx.Client(base_url=server.base_url) as browser:
        page = browser.get(
            f"{server.base_url}/realms/test/protocol/openid-connect/auth",
            params={
                "client_id": "app",
                "response_type": "code",
                "redirect_uri": CALLBACK,
                "scope": "openid profile email",
                "state": "st",
                "nonce": "nn",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        assert page.status_code == 200
        action = html.unescape(
            re.search(
                r'id="kc-form-login"[^>]*action="([^"]+)"|action="([^"]+)"[^>]*id="kc-form-login"',
                page.text,
            ).group(0)
        )  # type: ignore[union-attr]
        action = html.unescape(re.search(r'action="([^"]+)"', action).group(1))  # type: ignore[union-attr]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        done = browser.post(
            action, data={"username": "alice", "password": "wonderland", "csrf_token": csrf}
        )
        assert done.status_code == 302
        params = {k: v[0] for k, v in parse_qs(urlsplit(done.headers["location"]).query).items()}
    assert params["state"] == "st"
    tokens = kc.token(
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    key_set = KeySet.import_key_set(kc.certs())
    claims = jwt.decode(tokens["id_token"], key_set).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": f"{server.base_url}/realms/test"},
        aud={"essential": True, "value": "app"},
        nonce={"essential": True, "value": "nn"},
    ).validate(claims)
    assert claims["preferred_username"] == "alice"


def test_management_interface_is_on_its_own_port(server: RunningServer) -> None:
    for path in ("/health", "/health/live", "/health/ready", "/health/started"):
        response = httpx.get(server.management_url + path)
        assert response.status_code == 200, path
        assert response.json()["status"] == "UP"
        assert httpx.get(server.base_url + path).status_code == 404
    metrics = httpx.get(server.management_url + "/metrics")
    assert metrics.status_code == 200
    assert "http_server_requests_seconds" in metrics.text
    assert httpx.get(server.base_url + "/metrics").status_code == 404


def test_bootstrap_admin_from_env_can_log_in(server: RunningServer) -> None:
    kc = KeycloakOpenID(
        server_url=server.base_url + "/", realm_name="master", client_id="admin-cli"
    )
    tokens = kc.token("admin", "admin-pw")
    assert "admin" in kc.decode_token(tokens["access_token"])["realm_access"]["roles"]
