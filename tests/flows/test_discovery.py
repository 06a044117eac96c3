"""Discovery, JWKS and the realm document at Keycloak's paths."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support import BASE, ISSUER, OIDC, OstiumUnderTest


async def test_unknown_realm_is_404_json(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{BASE}/realms/nope/.well-known/openid-configuration")
    assert response.status_code == 404
    assert response.json()["error"] == "Realm does not exist"


async def test_unknown_realm_login_is_404_page(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{BASE}/realms/nope/protocol/openid-connect/auth")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


async def test_discovery_document(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{ISSUER}/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == f"{OIDC}/auth"
    assert doc["token_endpoint"] == f"{OIDC}/token"
    assert doc["userinfo_endpoint"] == f"{OIDC}/userinfo"
    assert doc["end_session_endpoint"] == f"{OIDC}/logout"
    assert doc["jwks_uri"] == f"{OIDC}/certs"
    assert doc["introspection_endpoint"] == f"{OIDC}/token/introspect"
    assert doc["revocation_endpoint"] == f"{OIDC}/revoke"
    assert set(doc["code_challenge_methods_supported"]) == {"plain", "S256"}
    assert {"authorization_code", "refresh_token", "client_credentials", "password"} <= set(
        doc["grant_types_supported"]
    )
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert set(doc["response_modes_supported"]) >= {"query", "fragment", "form_post"}


async def test_issuer_follows_the_request_host_in_dev(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(
        "http://127.0.0.1:8080/realms/test/.well-known/openid-configuration"
    )
    assert response.json()["issuer"] == "http://127.0.0.1:8080/realms/test"


async def test_certs_lists_public_rsa_and_ec_keys_only(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{OIDC}/certs")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert {k["kty"] for k in keys} == {"RSA", "EC"}
    assert {k["alg"] for k in keys} >= {"RS256", "ES256"}
    assert all("d" not in k and "k" not in k for k in keys)
    assert len({k["kid"] for k in keys}) == len(keys)


async def test_tokens_verify_against_the_published_jwks(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    key_set = KeySet.import_key_set((await ostium.client.get(f"{OIDC}/certs")).json())
    for name in ("access_token", "id_token"):
        decoded = jwt.decode(tokens[name], key_set)
        assert decoded.claims["iss"] == ISSUER


async def test_kids_are_stable_across_restarts(ostium: OstiumUnderTest) -> None:
    first = (await ostium.client.get(f"{OIDC}/certs")).json()
    ostium.runtime.keys.clear()  # what a restart does to the keys cache
    second = (await ostium.client.get(f"{OIDC}/certs")).json()
    assert first == second


async def test_realm_document(ostium: OstiumUnderTest) -> None:
    body = (await ostium.client.get(ISSUER)).json()
    assert body["realm"] == "test"
    assert body["token-service"] == f"{ISSUER}/protocol/openid-connect"
    assert body["public_key"]
