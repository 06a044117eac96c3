"""Parsing Keycloak realm exports: mapping, defaults, and errors that name the field."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from ostium.services.passwords import verify_password
from ostium.services.realm_import import RealmImportError, parse_realm
from tests.support import realm_export


def parse(data: Any, **env: str):  # type: ignore[no-untyped-def]
    return parse_realm(data, now=1000, env=env)


def test_settings_clients_and_defaults_merge_without_duplicates() -> None:
    data = realm_export()
    data["accessTokenLifespan"] = 600
    data["clients"].append({"clientId": "account", "publicClient": True, "redirectUris": ["/x/*"]})
    bundle = parse(data)
    assert bundle.realm.access_token_lifespan == 600
    assert bundle.realm.sso_session_idle_timeout == 1800  # Keycloak's default kept
    client_ids = [c.client_id for c in bundle.clients]
    assert len(client_ids) == len(set(client_ids))
    assert {"account", "admin-cli", "realm-management", "app", "spa"} <= set(client_ids)
    account = bundle.client("account")
    assert account is not None and account.redirect_uris == ["/x/*"]
    assert bundle.client_role(account.id, "manage-account") is not None  # default roles kept
    # Keycloak's DefaultKeyProviders, by component name; no EC key unless configured.
    assert sorted((k.name, k.provider, k.algorithm, k.use) for k in bundle.keys) == [
        ("aes-generated", "aes-generated", "AES", "enc"),
        ("hmac-generated-hs512", "hmac-generated", "HS512", "sig"),
        ("rsa-enc-generated", "rsa-enc-generated", "RSA-OAEP", "enc"),
        ("rsa-generated", "rsa-generated", "RS256", "sig"),
    ]


def test_hashed_keycloak_credentials_are_kept_as_they_are() -> None:
    salt = b"saltsaltsaltsalt"
    digest = hashlib.pbkdf2_hmac("sha256", b"old-password", salt, 27500, 64)
    secret = json.dumps(
        {
            "value": base64.b64encode(digest).decode(),
            "salt": base64.b64encode(salt).decode(),
            "additionalParameters": {},
        }
    )
    credential = json.dumps(
        {"hashIterations": 27500, "algorithm": "pbkdf2-sha256", "additionalParameters": {}}
    )
    data = {
        "realm": "acme",
        "users": [
            {
                "username": "old",
                "credentials": [
                    {
                        "type": "password",
                        "secretData": secret,
                        "credentialData": credential,
                        "createdDate": 5,
                    }
                ],
            }
        ],
    }
    bundle = parse(data)
    stored = bundle.credentials[0]
    assert (stored.secret_data, stored.credential_data, stored.created_date) == (
        secret,
        credential,
        5,
    )
    assert verify_password("old-password", stored.secret_data, stored.credential_data)


def test_env_placeholders() -> None:
    data = {
        "realm": "acme",
        "clients": [{"clientId": "c", "secret": "${APP_SECRET}", "rootUrl": "${ROOT:https://d}"}],
    }
    client = parse(data, APP_SECRET="from-env").client("c")
    assert client is not None and client.secret == "from-env" and client.root_url == "https://d"
    unresolved = parse(data).client("c")
    assert unresolved is not None and unresolved.secret == "${APP_SECRET}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(realm=""), "realm"),
        (lambda d: d.update(realm="a/b"), "realm"),
        (lambda d: d.update(enabled="yes"), "realm.enabled"),
        (lambda d: d["clients"][0].update(redirectUris="http://x"), "clients[0].redirectUris"),
        (lambda d: d["clients"].append({"clientId": "app", "secret": "x"}), "duplicate client"),
        (
            lambda d: d["users"][0].update(realmRoles=["nope"]),
            "users[0].realmRoles: unknown role 'nope'",
        ),
        (lambda d: d["users"][0].update(groups=["/nowhere"]), "users[0].groups[0]"),
        (lambda d: d["users"].append({"username": "ALICE"}), "duplicate user"),
        (
            lambda d: d["users"][1].update(
                credentials=[{"secretData": "{}", "credentialData": '{"algorithm": "md5"}'}]
            ),
            "unknown password algorithm 'md5'",
        ),
    ],
)
def test_errors_name_the_field(change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = realm_export()
    change(data)
    with pytest.raises(
        RealmImportError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
    ):
        parse(data)


def test_not_an_object() -> None:
    with pytest.raises(RealmImportError):
        parse([1, 2])


KEY_PROVIDER = "org.keycloak.keys.KeyProvider"


def test_key_provider_components_become_the_realms_keys() -> None:
    """Keycloak's export: a generated provider without material gets a fresh key, other
    algorithms keep the defaults, Keycloak's rsa-enc-generated is kept as it is."""
    data = realm_export()
    data["components"] = {
        KEY_PROVIDER: [
            {
                "id": "6e6209c9-244f-4661-b3c4-32b210b8d9bb",
                "name": "rsa-generated",
                "providerId": "rsa-generated",
                "subComponents": {},
                "config": {"priority": ["150"], "keySize": ["2048"]},
            },
            {"name": "rsa-enc-generated", "providerId": "rsa-enc-generated", "config": {}},
        ],
        "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy": [],
    }
    keys = parse(data).keys
    rs256 = [k for k in keys if k.algorithm == "RS256"]
    assert [(k.id, k.priority, k.name) for k in rs256] == [
        ("6e6209c9-244f-4661-b3c4-32b210b8d9bb", 150, "rsa-generated")
    ]
    assert sorted((k.name, k.algorithm, k.use) for k in keys) == [
        ("aes-generated", "AES", "enc"),
        ("hmac-generated-hs512", "HS512", "sig"),
        ("rsa-enc-generated", "RSA-OAEP", "enc"),  # the file's own component, kept
        ("rsa-generated", "RS256", "sig"),
    ]


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([], "realm.components: expected an object"),
        ({KEY_PROVIDER: {}}, "expected a list of objects"),
        (
            {KEY_PROVIDER: [{"providerId": "rsa", "config": {"privateKey": ["garbage"]}}]},
            f"components.{KEY_PROVIDER}[0]: Failed to decode private key",
        ),
        (
            {KEY_PROVIDER: [{"providerId": "hmac-generated", "config": {"priority": ["x"]}}]},
            "'Priority' should be a number",
        ),
    ],
)
def test_bad_key_providers_name_the_component(components: Any, message: str) -> None:
    data = realm_export()
    data["components"] = components
    with pytest.raises(RealmImportError) as caught:
        parse(data)
    assert message in str(caught.value)


def test_an_unknown_mapper_type_in_a_file_is_kept_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A Keycloak export carries mapper types Ostium does not apply (full name, acr…): the
    # realm still imports, the mapper is kept (not silently dropped) and the log says so.
    data = realm_export()
    full_name = {"name": "full name", "protocolMapper": "oidc-full-name-mapper", "config": {}}
    data["clients"].append({"clientId": "named", "protocolMappers": [full_name]})
    data["clientScopes"] = [{"name": "extra", "protocolMappers": [full_name]}]
    with caplog.at_level("WARNING"):
        bundle = parse(data)
    client = next(c for c in bundle.clients if c.client_id == "named")
    assert [m.protocol_mapper for m in client.protocol_mappers] == ["oidc-full-name-mapper"]
    scope = next(s for s in bundle.client_scopes if s.name == "extra")
    assert [m.protocol_mapper for m in scope.protocol_mappers] == ["oidc-full-name-mapper"]
    assert caplog.text.count("oidc-full-name-mapper") == 2


def test_a_wildcard_inside_a_host_name_imports_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = realm_export()
    data["clients"].append({"clientId": "wild", "redirectUris": ["https://app.example.com*"]})
    data["clients"].append({"clientId": "tame", "redirectUris": ["https://app.example.com/*"]})
    with caplog.at_level("WARNING"):
        bundle = parse(data)
    wild = next(c for c in bundle.clients if c.client_id == "wild")
    assert wild.redirect_uris == ["https://app.example.com*"]
    assert "'wild'" in caplog.text and "https://app.example.com/*" in caplog.text
    assert "'tame'" not in caplog.text


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"xFrameOptions": "DENY\r\nX-Injected: 1"}, "browserSecurityHeaders.xFrameOptions"),
        ({"xPoweredBy": "x"}, "browserSecurityHeaders.xPoweredBy: unknown"),
        ({"xFrameOptions": True}, "browserSecurityHeaders.xFrameOptions"),
        ("DENY", "browserSecurityHeaders: expected an object"),
    ],
)
def test_browser_security_headers_that_cannot_be_headers_fail_the_file(
    headers: Any, message: str
) -> None:
    data = realm_export()
    data["browserSecurityHeaders"] = headers
    with pytest.raises(RealmImportError) as caught:
        parse(data)
    assert message in str(caught.value)


def test_browser_security_headers_from_a_keycloak_25_export() -> None:
    data = realm_export()
    data["browserSecurityHeaders"] = {
        "xXSSProtection": "1; mode=block",
        "xFrameOptions": "DENY",
        "strictTransportSecurity": "",
    }
    headers = parse(data).realm.browser_security_headers
    assert "xXSSProtection" not in headers
    assert headers["xFrameOptions"] == "DENY"
    assert headers["strictTransportSecurity"] == ""
    assert headers["xRobotsTag"] == "none"
