"""Discovery, JWKS and the realm document at Keycloak's paths."""

from __future__ import annotations

import pytest
from jose import jwt as jose_jwt
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support import BASE, ISSUER, OIDC, REALM, OstiumUnderTest


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


async def test_mtls_endpoint_aliases_name_the_back_channel_endpoints(
    ostium: OstiumUnderTest,
) -> None:
    """RFC 8705 §5: a client with a certificate finds where to send it; behind a
    TLS-terminating proxy these are the ordinary endpoints."""
    document = (await ostium.client.get(f"{ISSUER}/.well-known/openid-configuration")).json()

    assert document["tls_client_certificate_bound_access_tokens"] is True
    assert document["mtls_endpoint_aliases"] == {
        name: document[name]
        for name in (
            "token_endpoint",
            "revocation_endpoint",
            "introspection_endpoint",
            "userinfo_endpoint",
        )
    }


async def test_issuer_follows_the_request_host_in_dev(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(
        "http://127.0.0.1:8080/realms/test/.well-known/openid-configuration"
    )
    assert response.json()["issuer"] == "http://127.0.0.1:8080/realms/test"


async def test_certs_lists_the_rsa_signing_and_encryption_keys_only(
    ostium: OstiumUnderTest,
) -> None:
    """A new realm's JWKS as Keycloak's: the rsa-generated key (RS256, sig) then the
    rsa-enc-generated one (RSA-OAEP, enc); no EC key, never the HMAC or AES secrets."""
    response = await ostium.client.get(f"{OIDC}/certs")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert all("d" not in k and "k" not in k for k in keys)
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        stored = {k.provider: k.kid for k in await repos.keys.list_all(realm.id)}
    assert "ecdsa-generated" not in stored
    assert {"hmac-generated", "aes-generated"} <= set(stored)
    assert [(k["kid"], k["kty"], k["alg"], k["use"]) for k in keys] == [
        (stored["rsa-generated"], "RSA", "RS256", "sig"),
        (stored["rsa-enc-generated"], "RSA", "RSA-OAEP", "enc"),
    ]


async def test_python_jose_verifies_tokens_with_the_whole_jwks(ostium: OstiumUnderTest) -> None:
    """The common `jwt.decode(token, jwks, algorithms=["RS256"])` of python-jose walks every
    key of the set as RS256: one EC key in it fails the whole call ("Incorrect key type")."""
    token = await ostium.password_grant()
    assert token.status_code == 200, token.text
    body = token.json()
    jwks = (await ostium.client.get(f"{OIDC}/certs")).json()
    with pytest.raises(jose_jwt.JWTError):
        jose_jwt.decode(body["access_token"] + "x", jwks, algorithms=["RS256"], audience="account")
    with pytest.raises(jose_jwt.JWTError):
        jose_jwt.decode(body["access_token"], jwks, algorithms=["ES256"], audience="account")
    access = jose_jwt.decode(
        body["access_token"], jwks, algorithms=["RS256"], options={"verify_aud": False}
    )
    assert access["iss"] == ISSUER and access["preferred_username"] == "alice"
    id_token = jose_jwt.decode(
        body["id_token"],
        jwks,
        algorithms=["RS256"],
        audience="app",
        access_token=body["access_token"],  # at_hash checked too
    )
    assert id_token["iss"] == ISSUER and id_token["azp"] == "app"


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


async def test_a_client_asking_for_es256_gets_a_fallback_key(ostium: OstiumUnderTest) -> None:
    """No EC key by default; a client whose `access.token.signed.response.alg` is ES256 gets
    its tokens signed by a `fallback-ES256` key made on demand, as Keycloak's key manager
    does, and that key is then published."""
    certs = (await ostium.client.get(f"{OIDC}/certs")).json()["keys"]
    assert all(k["kty"] == "RSA" for k in certs)
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        app = await repos.clients.get_by_client_id(realm.id, "app")
        assert app is not None
        app.attributes["access.token.signed.response.alg"] = "ES256"
        await repos.clients.update(app)
    token = await ostium.password_grant()
    assert token.status_code == 200, token.text
    body = token.json()
    jwks = (await ostium.client.get(f"{OIDC}/certs")).json()
    ec = [k for k in jwks["keys"] if k["kty"] == "EC"]
    assert [(k["alg"], k["use"]) for k in ec] == [("ES256", "sig")]
    access = jwt.decode(body["access_token"], KeySet.import_key_set(jwks))
    assert access.header["alg"] == "ES256" and access.header["kid"] == ec[0]["kid"]
    # The refresh token is still HS512, and refreshing keeps working.
    assert jose_jwt.get_unverified_header(body["refresh_token"])["alg"] == "HS512"
    again = await ostium.token(
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert again.status_code == 200, again.text
    async with ostium.storage.transaction() as repos:
        names = {k.name for k in await repos.keys.list_all(realm.id)}
    assert "fallback-ES256" in names


async def test_the_encryption_key_never_signs(ostium: OstiumUnderTest) -> None:
    """A client naming RSA-OAEP (an encryption algorithm) as its signature algorithm gets
    no token signed by the realm's rsa-enc-generated key, and no key is made for it."""
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        app = await repos.clients.get_by_client_id(realm.id, "app")
        assert app is not None
        app.attributes["access.token.signed.response.alg"] = "RSA-OAEP"
        await repos.clients.update(app)
        before = len(await repos.keys.list_all(realm.id))
    token = await ostium.password_grant()
    assert "access_token" not in token.json()
    assert token.json()["error_description"] == (
        "No key signs with RSA-OAEP, the signature algorithm set for client 'app'"
    )
    async with ostium.storage.transaction() as repos:
        assert len(await repos.keys.list_all(realm.id)) == before
