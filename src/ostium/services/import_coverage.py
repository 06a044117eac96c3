"""Which parts of a Keycloak realm file Ostium reads, which it knowingly leaves out, and
which it cannot honour yet: the one table behind the import warnings.

Every top-level key of Keycloak's RealmRepresentation is in exactly one place here:
`SUPPORTED_REALM_KEYS` (read by services/realm_import.py), `IGNORED_REALM_KEYS` (derived,
deprecated without effect, or informational: dropping them loses nothing), or the `keys` of
one of the `REALM_SECTIONS` (not supported yet). A section warns only when the file holds
something Keycloak would act on: an empty list, `{}` or Keycloak's default value is what
every export carries and means nothing was configured. Some sections have no top-level
key of their own: they look inside the clients, users and components the import reads.

To support a section later, move its keys to `SUPPORTED_REALM_KEYS` and delete its entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ostium.domain.otp import OTP
from ostium.domain.recovery_codes import RECOVERY_CODES
from ostium.domain.required_actions import known_provider
from ostium.domain.user import PASSWORD, PASSWORD_HISTORY
from ostium.domain.user_profile import PROVIDER_TYPE as PROFILE_PROVIDER_TYPE
from ostium.domain.webauthn_policy import LIST_FIELDS as WEBAUTHN_LIST_FIELDS
from ostium.domain.webauthn_policy import (
    PASSWORDLESS_PREFIX,
    TWO_FACTOR_PREFIX,
    WEBAUTHN,
    WEBAUTHN_PASSWORDLESS,
)
from ostium.domain.webauthn_policy import SCALAR_FIELDS as WEBAUTHN_SCALAR_FIELDS
from ostium.keys.providers import PROVIDER_TYPE as KEY_PROVIDER_TYPE
from ostium.keys.providers import PROVIDERS as KEY_PROVIDERS
from ostium.services.realm_setup import DEFAULT_CLIENT_SCOPES, OPTIONAL_CLIENT_SCOPES

__all__ = [
    "IGNORED_REALM_KEYS",
    "PARTIAL_IMPORT_SECTIONS",
    "REALM_SECTIONS",
    "SUPPORTED_REALM_KEYS",
    "Finding",
    "Section",
    "find_unsupported",
    "warning_text",
]

# Read by services/realm_import.py (REALM_FIELDS plus the structured sections).
SUPPORTED_REALM_KEYS = frozenset(
    {
        "id",
        "realm",
        "enabled",
        "displayName",
        "notBefore",
        "defaultSignatureAlgorithm",
        "passwordPolicy",
        "loginTheme",
        "accountTheme",
        "adminTheme",
        "emailTheme",
        "revokeRefreshToken",
        "refreshTokenMaxReuse",
        "accessTokenLifespan",
        "accessTokenLifespanForImplicitFlow",
        "accessCodeLifespan",
        "accessCodeLifespanUserAction",
        "accessCodeLifespanLogin",
        "ssoSessionIdleTimeout",
        "ssoSessionMaxLifespan",
        "ssoSessionIdleTimeoutRememberMe",
        "ssoSessionMaxLifespanRememberMe",
        "offlineSessionIdleTimeout",
        "offlineSessionMaxLifespanEnabled",
        "offlineSessionMaxLifespan",
        "clientSessionIdleTimeout",
        "clientSessionMaxLifespan",
        "sslRequired",
        "registrationAllowed",
        "registrationEmailAsUsername",
        "rememberMe",
        "verifyEmail",
        "loginWithEmailAllowed",
        "duplicateEmailsAllowed",
        "resetPasswordAllowed",
        "editUsernameAllowed",
        "bruteForceProtected",
        "permanentLockout",
        "maxTemporaryLockouts",
        "maxFailureWaitSeconds",
        "minimumQuickLoginWaitSeconds",
        "waitIncrementSeconds",
        "quickLoginCheckMilliSeconds",
        "maxDeltaTimeSeconds",
        "failureFactor",
        "internationalizationEnabled",
        "supportedLocales",
        "defaultLocale",
        "localizationTexts",
        "attributes",
        "roles",
        "groups",
        "users",
        "clients",
        "clientScopes",
        # Key providers and the user profile; other component types are sections below.
        "components",
        "browserSecurityHeaders",
        "smtpServer",
        "actionTokenGeneratedByUserLifespan",
        "actionTokenGeneratedByAdminLifespan",
        # Flows and their configs (services/flow_import.py) and the seven bindings.
        "authenticationFlows",
        "authenticatorConfig",
        "browserFlow",
        "registrationFlow",
        "directGrantFlow",
        "resetCredentialsFlow",
        "clientAuthenticationFlow",
        "dockerAuthenticationFlow",
        "firstBrokerLoginFlow",
        # The realm's required-action providers (services/required_actions.py).
        "requiredActions",
        # The OTP policy (domain/otp.py).
        "otpPolicyType",
        "otpPolicyAlgorithm",
        "otpPolicyInitialCounter",
        "otpPolicyDigits",
        "otpPolicyLookAheadWindow",
        "otpPolicyPeriod",
        "otpPolicyCodeReusable",
        # The two WebAuthn policies (domain/webauthn_policy.py).
        *(
            prefix + suffix
            for prefix in (TWO_FACTOR_PREFIX, PASSWORDLESS_PREFIX)
            for suffix in (*WEBAUTHN_SCALAR_FIELDS, *WEBAUTHN_LIST_FIELDS)
        ),
    }
)

# Keys whose loss changes nothing, and why.
IGNORED_REALM_KEYS: dict[str, str] = {
    "keycloakVersion": "informational",
    "defaultRole": "derived: always default-roles-<realm>, its composites are in roles.realm",
    "requiredCredentials": "deprecated; Keycloak's login flows do not read it",
    "otpSupportedApplications": "derived from the OTP policy",
    "passwordCredentialGrantAllowed": "deprecated, without effect in Keycloak",
    "userCacheEnabled": "deprecated, without effect in Keycloak",
    "realmCacheEnabled": "deprecated, without effect in Keycloak",
    "social": "deprecated, without effect in Keycloak",
    "updateProfileOnInitialSocialLogin": "deprecated, without effect in Keycloak",
}


@dataclass(frozen=True)
class Finding:
    """One unsupported section a file holds; `names` say which of its entries (no values:
    an SMTP password or a client secret never reaches a log)."""

    section: str
    plural: bool
    names: tuple[str, ...] = ()


Check = Callable[[Mapping[str, Any]], list[str] | None]


@dataclass(frozen=True)
class Section:
    """`check` returns None when the file holds nothing Keycloak would act on, else the
    names of what is dropped (possibly none)."""

    name: str
    keys: tuple[str, ...]
    check: Check
    plural: bool = True


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [v for v in _list(data, key) if isinstance(v, dict)]


def _name_of(entry: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        if isinstance(entry.get(key), str) and entry[key]:
            return str(entry[key])[:64]
    return "?"


def _non_empty(*keys: str, name_keys: tuple[str, ...] = ()) -> Check:
    """Set when any of `keys` holds something (a non-empty list, object, string or true);
    list entries are named by the first of `name_keys` they have."""

    def check(data: Mapping[str, Any]) -> list[str] | None:
        names: list[str] = []
        found = False
        for key in keys:
            value = data.get(key)
            if not value:
                continue
            found = True
            if isinstance(value, list) and name_keys:
                names += [_name_of(v, *name_keys) for v in value if isinstance(v, dict)]
        return names if found else None

    return check


def _differs(defaults: Mapping[str, frozenset[Any]]) -> Check:
    """Set when a key is present with a value outside Keycloak's defaults for it; names the
    keys that differ. A list is compared as a set; None and absence are the default."""

    def normal(value: Any) -> Any:
        return frozenset(map(str, value)) if isinstance(value, list) else value

    def check(data: Mapping[str, Any]) -> list[str] | None:
        changed = [
            key
            for key, accepted in defaults.items()
            if data.get(key) is not None and normal(data[key]) not in accepted
        ]
        return changed or None

    return check


def _one(*values: Any) -> frozenset[Any]:
    return frozenset(values)


_NO_LIST = _one(frozenset())


_EVENT_DEFAULTS = {
    "eventsEnabled": _one(False),
    "eventsExpiration": _one(0),
    "eventsListeners": _one(frozenset({"jboss-logging"}), frozenset()),
    "enabledEventTypes": _NO_LIST,
    "adminEventsEnabled": _one(False),
    "adminEventsDetailsEnabled": _one(False),
}


def _required_actions(data: Mapping[str, Any]) -> list[str] | None:
    """Required actions are imported (services/required_actions.py); only a provider this
    server does not know (a custom one of Keycloak's SPI) cannot run, and is named."""
    names = [
        _name_of(action, "alias", "providerId")
        for action in _objects(data, "requiredActions")
        if known_provider(str(action.get("providerId") or action.get("alias"))) is None
    ]
    return names or None


def _scope_sets(default: list[str], newer: set[str], saml: set[str], key: str) -> Check:
    """The realm's default client scopes: Keycloak's own lists (older versions lack the
    scopes added since, SAML scopes are of no use to an OIDC server) are the default."""
    expected = set(default)

    def check(data: Mapping[str, Any]) -> list[str] | None:
        if key not in data or not isinstance(data[key], list):
            return None
        given = {str(s) for s in data[key]} - saml
        if given <= expected and expected - given <= newer:
            return None
        return sorted(given ^ expected)

    return check


_DEFAULT_SCOPES = _scope_sets(
    DEFAULT_CLIENT_SCOPES,
    {"basic", "acr"},
    {"role_list", "saml_organization"},
    "defaultDefaultClientScopes",
)
_OPTIONAL_SCOPES = _scope_sets(
    OPTIONAL_CLIENT_SCOPES,
    {"organization", "microprofile-jwt", "phone", "address"},
    set(),
    "defaultOptionalClientScopes",
)


def _default_client_scopes(data: Mapping[str, Any]) -> list[str] | None:
    changed = (_DEFAULT_SCOPES(data) or []) + (_OPTIONAL_SCOPES(data) or [])
    return changed or None


def _scope_mappings(data: Mapping[str, Any]) -> list[str] | None:
    """Role scope mappings beyond the two every Keycloak realm has (the offline_access
    scope's role, account-console's account roles)."""
    names = []
    for mapping in _objects(data, "scopeMappings"):
        if mapping.get("clientScope") == "offline_access" and set(_list(mapping, "roles")) <= {
            "offline_access"
        }:
            continue
        names.append(_name_of(mapping, "client", "clientScope"))
    client_mappings = data.get("clientScopeMappings")
    for owner, mappings in (client_mappings if isinstance(client_mappings, dict) else {}).items():
        for mapping in mappings if isinstance(mappings, list) else []:
            if not isinstance(mapping, dict):
                continue
            if (
                owner == "account"
                and mapping.get("client") == "account-console"
                and set(_list(mapping, "roles")) <= {"manage-account", "view-groups"}
            ):
                continue
            names.append(f"{_name_of(mapping, 'client', 'clientScope')} → {owner}")
    return names or None


def _components(data: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    components = data.get("components")
    if not isinstance(components, dict):
        return []
    return _objects(components, kind)


_USER_STORAGE = "org.keycloak.storage.UserStorageProvider"
_REGISTRATION_POLICY = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
# Keycloak's DefaultClientRegistrationPolicies: (name, providerId) of what a new realm has.
_DEFAULT_REGISTRATION_POLICIES = frozenset(
    {
        ("Trusted Hosts", "trusted-hosts"),
        ("Consent Required", "consent-required"),
        ("Full Scope Disabled", "scope"),
        ("Max Clients Limit", "max-clients"),
        ("Allowed Protocol Mapper Types", "allowed-protocol-mappers"),
        ("Allowed Client Scopes", "allowed-client-templates"),
    }
)
_KNOWN_COMPONENTS = frozenset(
    {KEY_PROVIDER_TYPE, PROFILE_PROVIDER_TYPE, _USER_STORAGE, _REGISTRATION_POLICY}
)


def _user_federation(data: Mapping[str, Any]) -> list[str] | None:
    """LDAP / Kerberos providers (components, or the legacy userFederationProviders) and
    the users linked to them that the file carries."""
    names = [_name_of(c, "name", "providerId") for c in _components(data, _USER_STORAGE)]
    names += [
        _name_of(p, "displayName", "providerName")
        for p in _objects(data, "userFederationProviders")
    ]
    found = _non_empty("userFederationMappers", "federatedUsers")(data)
    if not names and found is None:
        return None
    return names


def _registration_policies(data: Mapping[str, Any]) -> list[str] | None:
    """Keycloak's default policies are in every export; only changed ones count (their
    configuration is not compared: Ostium has no client registration endpoint to apply it)."""
    names = [
        _name_of(c, "name", "providerId")
        for c in _components(data, _REGISTRATION_POLICY)
        if (c.get("name"), c.get("providerId")) not in _DEFAULT_REGISTRATION_POLICIES
    ]
    return names or None


def _key_providers(data: Mapping[str, Any]) -> list[str] | None:
    names = [
        _name_of(c, "name", "providerId")
        for c in _components(data, KEY_PROVIDER_TYPE)
        if c.get("providerId") not in KEY_PROVIDERS
    ]
    return names or None


def _other_components(data: Mapping[str, Any]) -> list[str] | None:
    components = data.get("components")
    if not isinstance(components, dict):
        return None
    names = [
        kind[:96]
        for kind, entries in components.items()
        if kind not in _KNOWN_COMPONENTS and entries
    ]
    return names or None


def _clients_with(predicate: Callable[[Mapping[str, Any]], bool]) -> Check:
    def check(data: Mapping[str, Any]) -> list[str] | None:
        names = [_name_of(c, "clientId") for c in _objects(data, "clients") if predicate(c)]
        return names or None

    return check


def _users_with(predicate: Callable[[Mapping[str, Any]], bool]) -> Check:
    def check(data: Mapping[str, Any]) -> list[str] | None:
        names = [_name_of(u, "username") for u in _objects(data, "users") if predicate(u)]
        return names or None

    return check


# The credential types a user's `credentials` bring in (services/realm_import.py); the
# others are named in a warning.
IMPORTED_CREDENTIALS = frozenset(
    {PASSWORD, PASSWORD_HISTORY, OTP, RECOVERY_CODES, WEBAUTHN, WEBAUTHN_PASSWORDLESS}
)


def _credential_types(data: Mapping[str, Any]) -> list[str] | None:
    """Keycloak's `kerberos` type, a custom credential provider's: the user is imported
    without them (passwords, OTP, recovery codes and WebAuthn credentials are imported)."""
    names = sorted(
        {
            f"{_name_of(c, 'type')} of {_name_of(u, 'username')}"
            for u in _objects(data, "users")
            for c in _objects(u, "credentials")
            if c.get("type", PASSWORD) not in IMPORTED_CREDENTIALS
        }
    )
    return names or None


def _client_policies(data: Mapping[str, Any]) -> list[str] | None:
    """Keycloak exports `{"profiles": []}` and `{"policies": []}` when none are set."""
    names = []
    for key, inner in (("clientProfiles", "profiles"), ("clientPolicies", "policies")):
        value = data.get(key)
        if isinstance(value, dict):
            names += [_name_of(p, "name") for p in _objects(value, inner)]
    return names or None


_IDENTITY_PROVIDERS = Section(
    "identityProviders",
    ("identityProviders", "identityProviderMappers"),
    _non_empty("identityProviders", "identityProviderMappers", name_keys=("alias", "name")),
)

# Sections inside the clients and users a file holds: these travel in a partialImport too.
_NESTED_SECTIONS = (
    Section(
        "client authorization services (authorizationSettings)",
        (),
        _clients_with(
            lambda c: bool(c.get("authorizationServicesEnabled") or c.get("authorizationSettings"))
        ),
    ),
    Section(
        "credentials other than passwords, OTP, recovery codes and WebAuthn",
        (),
        _credential_types,
    ),
    Section(
        "users' identity provider links (federatedIdentities)",
        (),
        _users_with(lambda u: bool(u.get("federatedIdentities") or u.get("socialLinks"))),
    ),
    Section(
        "users' user federation links (federationLink)",
        (),
        _users_with(lambda u: bool(u.get("federationLink"))),
    ),
)

REALM_SECTIONS: tuple[Section, ...] = (
    _IDENTITY_PROVIDERS,
    Section(
        "user federation (LDAP, Kerberos)",
        ("userFederationProviders", "userFederationMappers", "federatedUsers"),
        _user_federation,
        plural=False,
    ),
    Section("custom required actions", (), _required_actions),
    Section(
        "client policies and profiles",
        ("clientPolicies", "clientProfiles"),
        _client_policies,
    ),
    Section("event settings", tuple(_EVENT_DEFAULTS), _differs(_EVENT_DEFAULTS)),
    Section("defaultGroups", ("defaultGroups",), _non_empty("defaultGroups")),
    Section(
        "role scope mappings",
        ("scopeMappings", "clientScopeMappings"),
        _scope_mappings,
    ),
    Section(
        "realm default client scopes",
        ("defaultDefaultClientScopes", "defaultOptionalClientScopes"),
        _default_client_scopes,
    ),
    Section(
        "device authorization settings",
        ("oauth2DeviceCodeLifespan", "oauth2DevicePollingInterval"),
        _differs({"oauth2DeviceCodeLifespan": _one(600), "oauth2DevicePollingInterval": _one(5)}),
    ),
    Section(
        "client offline session lifespans",
        ("clientOfflineSessionIdleTimeout", "clientOfflineSessionMaxLifespan"),
        _differs(
            {"clientOfflineSessionIdleTimeout": _one(0), "clientOfflineSessionMaxLifespan": _one(0)}
        ),
    ),
    Section("displayNameHtml", ("displayNameHtml",), _non_empty("displayNameHtml"), plural=False),
    Section(
        "bruteForceStrategy",
        ("bruteForceStrategy",),
        _differs({"bruteForceStrategy": _one("MULTIPLE")}),
        plural=False,
    ),
    Section(
        "organizations",
        ("organizationsEnabled", "organizations"),
        _non_empty("organizationsEnabled", "organizations", name_keys=("alias", "name")),
    ),
    Section(
        "userManagedAccessAllowed",
        ("userManagedAccessAllowed",),
        _non_empty("userManagedAccessAllowed"),
        plural=False,
    ),
    Section(
        "verifiable credentials (OID4VCI)",
        ("verifiableCredentialsEnabled", "oid4VciEnabled"),
        _non_empty("verifiableCredentialsEnabled", "oid4VciEnabled"),
    ),
    Section(
        "fine-grained admin permissions (adminPermissionsEnabled)",
        ("adminPermissionsEnabled",),
        _non_empty("adminPermissionsEnabled"),
    ),
    Section(
        "SCIM API (scimApiEnabled)", ("scimApiEnabled",), _non_empty("scimApiEnabled"), plural=False
    ),
    Section(
        "realm-level protocolMappers",
        ("protocolMappers",),
        _non_empty("protocolMappers", name_keys=("name",)),
    ),
    Section(
        "legacy realm keys (privateKey, publicKey, certificate, codeSecret)",
        ("privateKey", "publicKey", "certificate", "codeSecret"),
        _non_empty("privateKey", "publicKey", "certificate", "codeSecret"),
    ),
    Section(
        "defaultRoles (pre-Keycloak 13; use the default-roles-<realm> composite)",
        ("defaultRoles",),
        _non_empty("defaultRoles"),
    ),
    Section(
        "pre-Keycloak 4 sections (applications, oauthClients, clientTemplates, socialProviders)",
        (
            "applications",
            "oauthClients",
            "clientTemplates",
            "applicationScopeMappings",
            "socialProviders",
        ),
        _non_empty(
            "applications",
            "oauthClients",
            "clientTemplates",
            "applicationScopeMappings",
            "socialProviders",
            name_keys=("name",),
        ),
    ),
    Section("key providers", (), _key_providers),
    Section("client registration policies", (), _registration_policies),
    Section("components", (), _other_components),
    *_NESTED_SECTIONS,
)

# What Keycloak's partialImport reads (PartialImportRepresentation): realm settings in its
# body are ignored by Keycloak too, so only these can be lost.
PARTIAL_IMPORT_SECTIONS: tuple[Section, ...] = (_IDENTITY_PROVIDERS, *_NESTED_SECTIONS)


def find_unsupported(
    data: Mapping[str, Any], sections: tuple[Section, ...] = REALM_SECTIONS
) -> list[Finding]:
    """The unsupported sections `data` holds something in, in table order."""
    findings = []
    for section in sections:
        names = section.check(data)
        if names is not None:
            findings.append(Finding(section.name, section.plural, tuple(names)))
    return findings


def warning_text(realm: str, source: str, finding: Finding) -> str:
    """E.g. "realm 'acme' in acme-realm.json: identityProviders are not supported yet and
    were not imported (github, google)"."""
    where = f"realm '{realm}' in {source}" if source else f"realm '{realm}'"
    verb = ("are", "were") if finding.plural else ("is", "was")
    shown = ", ".join(finding.names[:10]) + (", …" if len(finding.names) > 10 else "")
    detail = f" ({shown})" if shown else ""
    return (
        f"{where}: {finding.section} {verb[0]} not supported yet and {verb[1]} not imported{detail}"
    )
