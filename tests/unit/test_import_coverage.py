"""What a Keycloak realm file holds that Ostium cannot import yet: every key accounted for,
one warning per section, nothing supported lost, and no warning for what every export
carries by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ostium.services.import_coverage import (
    IGNORED_REALM_KEYS,
    REALM_SECTIONS,
    SUPPORTED_REALM_KEYS,
)
from ostium.services.realm_import import REALM_FIELDS, parse_realm
from tests.support import realm_export

VECTORS = Path(__file__).parents[1] / "vectors" / "realms"

# The JSON property names of Keycloak's RealmRepresentation (core/.../idm/
# RealmRepresentation.java, Keycloak 26), plus the names newer releases write
# (verifiableCredentialsEnabled, scimApiEnabled).
KEYCLOAK_REALM_KEYS = [
    "id",
    "realm",
    "displayName",
    "displayNameHtml",
    "notBefore",
    "defaultSignatureAlgorithm",
    "revokeRefreshToken",
    "refreshTokenMaxReuse",
    "accessTokenLifespan",
    "accessTokenLifespanForImplicitFlow",
    "ssoSessionIdleTimeout",
    "ssoSessionMaxLifespan",
    "ssoSessionIdleTimeoutRememberMe",
    "ssoSessionMaxLifespanRememberMe",
    "offlineSessionIdleTimeout",
    "offlineSessionMaxLifespanEnabled",
    "offlineSessionMaxLifespan",
    "clientSessionIdleTimeout",
    "clientSessionMaxLifespan",
    "clientOfflineSessionIdleTimeout",
    "clientOfflineSessionMaxLifespan",
    "accessCodeLifespan",
    "accessCodeLifespanUserAction",
    "accessCodeLifespanLogin",
    "actionTokenGeneratedByAdminLifespan",
    "actionTokenGeneratedByUserLifespan",
    "oauth2DeviceCodeLifespan",
    "oauth2DevicePollingInterval",
    "enabled",
    "sslRequired",
    "passwordCredentialGrantAllowed",
    "registrationAllowed",
    "registrationEmailAsUsername",
    "rememberMe",
    "verifyEmail",
    "loginWithEmailAllowed",
    "duplicateEmailsAllowed",
    "resetPasswordAllowed",
    "editUsernameAllowed",
    "userCacheEnabled",
    "realmCacheEnabled",
    "bruteForceProtected",
    "permanentLockout",
    "maxTemporaryLockouts",
    "bruteForceStrategy",
    "maxFailureWaitSeconds",
    "minimumQuickLoginWaitSeconds",
    "waitIncrementSeconds",
    "quickLoginCheckMilliSeconds",
    "maxDeltaTimeSeconds",
    "failureFactor",
    "privateKey",
    "publicKey",
    "certificate",
    "codeSecret",
    "roles",
    "groups",
    "defaultRoles",
    "defaultRole",
    "defaultGroups",
    "requiredCredentials",
    "passwordPolicy",
    "otpPolicyType",
    "otpPolicyAlgorithm",
    "otpPolicyInitialCounter",
    "otpPolicyDigits",
    "otpPolicyLookAheadWindow",
    "otpPolicyPeriod",
    "otpPolicyCodeReusable",
    "otpSupportedApplications",
    "localizationTexts",
    "webAuthnPolicyRpEntityName",
    "webAuthnPolicySignatureAlgorithms",
    "webAuthnPolicyRpId",
    "webAuthnPolicyAttestationConveyancePreference",
    "webAuthnPolicyAuthenticatorAttachment",
    "webAuthnPolicyRequireResidentKey",
    "webAuthnPolicyUserVerificationRequirement",
    "webAuthnPolicyCreateTimeout",
    "webAuthnPolicyAvoidSameAuthenticatorRegister",
    "webAuthnPolicyAcceptableAaguids",
    "webAuthnPolicyExtraOrigins",
    "webAuthnPolicyPasswordlessRpEntityName",
    "webAuthnPolicyPasswordlessSignatureAlgorithms",
    "webAuthnPolicyPasswordlessRpId",
    "webAuthnPolicyPasswordlessAttestationConveyancePreference",
    "webAuthnPolicyPasswordlessAuthenticatorAttachment",
    "webAuthnPolicyPasswordlessRequireResidentKey",
    "webAuthnPolicyPasswordlessUserVerificationRequirement",
    "webAuthnPolicyPasswordlessCreateTimeout",
    "webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister",
    "webAuthnPolicyPasswordlessAcceptableAaguids",
    "webAuthnPolicyPasswordlessExtraOrigins",
    "clientProfiles",
    "clientPolicies",
    "users",
    "federatedUsers",
    "scopeMappings",
    "clientScopeMappings",
    "clients",
    "clientScopes",
    "defaultDefaultClientScopes",
    "defaultOptionalClientScopes",
    "browserSecurityHeaders",
    "smtpServer",
    "userFederationProviders",
    "userFederationMappers",
    "loginTheme",
    "accountTheme",
    "adminTheme",
    "emailTheme",
    "eventsEnabled",
    "eventsExpiration",
    "eventsListeners",
    "enabledEventTypes",
    "adminEventsEnabled",
    "adminEventsDetailsEnabled",
    "identityProviders",
    "identityProviderMappers",
    "protocolMappers",
    "components",
    "internationalizationEnabled",
    "supportedLocales",
    "defaultLocale",
    "authenticationFlows",
    "authenticatorConfig",
    "requiredActions",
    "browserFlow",
    "registrationFlow",
    "directGrantFlow",
    "resetCredentialsFlow",
    "clientAuthenticationFlow",
    "dockerAuthenticationFlow",
    "firstBrokerLoginFlow",
    "attributes",
    "keycloakVersion",
    "userManagedAccessAllowed",
    "organizationsEnabled",
    "organizations",
    "oid4VciEnabled",
    "verifiableCredentialsEnabled",
    "adminPermissionsEnabled",
    "scimApiEnabled",
    "social",
    "updateProfileOnInitialSocialLogin",
    "socialProviders",
    "applicationScopeMappings",
    "applications",
    "oauthClients",
    "clientTemplates",
]

SECTION_KEYS = [key for section in REALM_SECTIONS for key in section.keys]


def warnings_of(data: dict[str, Any], source: str = "acme-realm.json") -> list[str]:
    return parse_realm(data, now=1000, env={}, source=source).warnings


def test_every_keycloak_realm_key_is_read_ignored_or_warned_about() -> None:
    unaccounted = [
        key
        for key in KEYCLOAK_REALM_KEYS
        if key not in SUPPORTED_REALM_KEYS
        and key not in IGNORED_REALM_KEYS
        and key not in SECTION_KEYS
    ]
    assert unaccounted == []


def test_no_key_is_in_two_lists() -> None:
    assert len(SECTION_KEYS) == len(set(SECTION_KEYS))
    assert not SUPPORTED_REALM_KEYS & set(IGNORED_REALM_KEYS)
    assert not SUPPORTED_REALM_KEYS & set(SECTION_KEYS)
    assert not set(IGNORED_REALM_KEYS) & set(SECTION_KEYS)
    # What the importer reads field by field is on the supported list.
    assert set(REALM_FIELDS) <= SUPPORTED_REALM_KEYS


def test_a_keycloak_export_of_defaults_gives_no_warning() -> None:
    data = json.loads((VECTORS / "keycloak26-acme-realm.json").read_text())
    assert warnings_of(data) == []
    assert warnings_of(realm_export()) == []


def test_empty_and_default_sections_give_no_warning() -> None:
    data = realm_export()
    data.update(
        identityProviders=[],
        identityProviderMappers=[],
        smtpServer={},
        passwordPolicy="",
        authenticationFlows=[{"alias": "browser", "builtIn": True, "topLevel": True}],
        authenticatorConfig=[{"alias": "review profile config"}],
        browserFlow="browser",
        requiredActions=[{"alias": "UPDATE_PASSWORD", "enabled": True, "defaultAction": False}],
        otpPolicyDigits=6,
        eventsListeners=["jboss-logging"],
        clientPolicies={"policies": []},
        clientProfiles={"profiles": []},
        userManagedAccessAllowed=False,
        defaultOptionalClientScopes=["offline_access", "address", "phone"],
    )
    assert warnings_of(data) == []


def test_a_file_with_unsupported_sections_warns_once_per_section_and_keeps_the_rest() -> None:
    data = json.loads((VECTORS / "keycloak26-acme-extras-realm.json").read_text())
    bundle = parse_realm(data, now=1000, env={}, source="acme-extras-realm.json")
    where = "realm 'acme-extras' in acme-extras-realm.json"
    assert bundle.warnings == [
        f"{where}: identityProviders are not supported yet and were not imported"
        " (github, corp-saml, github-email)",
        f"{where}: user federation (LDAP, Kerberos) is not supported yet and was not imported"
        " (corp-ldap)",
        f"{where}: client authorization services (authorizationSettings) are not supported"
        " yet and were not imported (acme-api)",
    ]
    # No secret of a dropped section reaches the text.
    assert not any("secret" in w for w in bundle.warnings)
    # Everything supported is there: users (arne with his password, his OTP device and his
    # security key),
    # clients, roles, groups.
    assert sorted(u.username for u in bundle.users) == ["arne", "paula", "service-account-acme-api"]
    arne = next(u for u in bundle.users if u.username == "arne")
    assert [c.type for c in bundle.credentials if c.user_id == arne.id] == [
        "password",
        "otp",
        "webauthn",
    ]
    assert {"acme-web", "acme-api"} <= {c.client_id for c in bundle.clients}
    assert [g.name for g in bundle.groups if g.parent_id is None] == ["engineering"]
    # Flows are read now: the custom browser flow is there and bound.
    assert bundle.realm.browser_flow == "browser with otp"
    custom = bundle.realm.flow("browser with otp")
    assert custom is not None
    assert [e.authenticator for e in custom.ordered()] == [
        "auth-cookie",
        "auth-username-password-form",
        "auth-otp-form",
    ]
    original = json.loads((VECTORS / "keycloak26-acme-realm.json").read_text())
    kept = {r.name for r in bundle.roles if r.client_id is None}
    assert {r["name"] for r in original["roles"]["realm"]} <= kept


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"requiredActions": [{"alias": "acme-sms", "providerId": "acme-sms"}]},
            "custom required actions are not supported yet and were not imported (acme-sms)",
        ),
        (
            {
                "users": [
                    {
                        "username": "kim",
                        "credentials": [{"type": "kerberos", "credentialData": "{}"}],
                    }
                ]
            },
            "credentials other than passwords, OTP, recovery codes and WebAuthn are not"
            " supported yet and were not imported (kerberos of kim)",
        ),
        (
            {"eventsEnabled": True},
            "event settings are not supported yet and were not imported (eventsEnabled)",
        ),
        (
            {
                "components": {
                    "org.keycloak.keys.KeyProvider": [
                        {"name": "jks", "providerId": "java-keystore"}
                    ]
                }
            },
            "key providers are not supported yet and were not imported (jks)",
        ),
        (
            {"clientScopeMappings": {"app": [{"client": "spa", "roles": ["reader"]}]}},
            "role scope mappings are not supported yet and were not imported (spa → app)",
        ),
        (
            {"defaultDefaultClientScopes": ["profile", "email", "roles", "web-origins", "custom"]},
            "realm default client scopes are not supported yet and were not imported",
        ),
    ],
)
def test_non_default_settings_warn(change: dict[str, Any], expected: str) -> None:
    data = {**realm_export(), **change}
    warnings = warnings_of(data)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"realm 'test' in acme-realm.json: {expected}")


def test_nested_client_and_user_fields_warn_naming_whom() -> None:
    data = realm_export()
    data["users"][0]["federationLink"] = "ldap-id"
    data["users"][0]["federatedIdentities"] = [{"identityProvider": "github", "userId": "1"}]
    # Consents are imported now (services/realm_import.py): no warning for them.
    data["users"][1]["clientConsents"] = [{"clientId": "app", "grantedClientScopes": ["email"]}]
    alice = data["users"][0]["username"]
    assert [w.split(": ", 1)[1] for w in warnings_of(data, "")] == [
        "users' identity provider links (federatedIdentities) are not supported yet and were"
        f" not imported ({alice})",
        "users' user federation links (federationLink) are not supported yet and were not"
        f" imported ({alice})",
    ]
    assert warnings_of(data, "")[0].startswith("realm 'test': ")


def test_webauthn_policies_and_credentials_are_read_without_a_warning() -> None:
    data = json.loads((VECTORS / "keycloak26-acme-extras-realm.json").read_text())
    data.update(
        webAuthnPolicyRpEntityName="Acme",
        webAuthnPolicyRpId="acme.test",
        webAuthnPolicyExtraOrigins=["https://app.acme.test"],
        webAuthnPolicyPasswordlessUserVerificationRequirement="preferred",
    )
    bundle = parse_realm(data, now=1000, env={}, source="acme-extras-realm.json")
    assert not any("WebAuthn" in w for w in bundle.warnings)
    assert bundle.realm.webauthn_policy.rp_entity_name == "Acme"
    assert bundle.realm.webauthn_policy.extra_origins == ("https://app.acme.test",)
    assert bundle.realm.webauthn_policy_passwordless.user_verification_requirement == "preferred"
    (key,) = [c for c in bundle.credentials if c.type == "webauthn"]
    original = next(u for u in data["users"] if u["username"] == "arne")["credentials"][-1]
    assert (key.secret_data, key.credential_data) == (
        original["secretData"],
        original["credentialData"],
    )
