"""Keycloak realm-export files (RealmRepresentation JSON) into a `RealmBundle`.

Parsing is pure: a file is fully understood and checked before anything is written,
and each file is written in one transaction, so a bad file imports nothing of itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ostium.domain import (
    Client,
    ClientScope,
    Credential,
    Group,
    ProtocolMapper,
    Realm,
    Role,
    User,
)
from ostium.domain.browser_security_headers import DEFAULTS as BROWSER_HEADER_DEFAULTS
from ostium.domain.browser_security_headers import LEGACY_KEYS as BROWSER_HEADER_LEGACY_KEYS
from ostium.domain.browser_security_headers import invalid_value as invalid_header_value
from ostium.domain.consent import UserConsent
from ostium.domain.flow_plans import override_problem
from ostium.domain.identifiers import bad_identifier, realm_name_problem
from ostium.domain.localization import locale_problem, message_key_problem, text_problem
from ostium.domain.otp import OTP, OtpCredential, OtpError
from ostium.domain.password_policy import PolicyConfigError
from ostium.domain.realm import webauthn_attribute_stem
from ostium.domain.recovery_codes import RECOVERY_CODES, RecoveryCodes, RecoveryCodesError
from ostium.domain.smtp import keep_masked_secrets
from ostium.domain.user import PASSWORD
from ostium.domain.user_profile import (
    PROVIDER_ID as PROFILE_PROVIDER_ID,
)
from ostium.domain.user_profile import (
    PROVIDER_TYPE as PROFILE_PROVIDER_TYPE,
)
from ostium.domain.user_profile import (
    ProfileConfigError,
    canonical_config,
    config_text_of_component,
)
from ostium.domain.webauthn_credential import WebAuthnCredentialData, WebAuthnCredentialError
from ostium.domain.webauthn_policy import (
    LIST_FIELDS as WEBAUTHN_LIST_FIELDS,
)
from ostium.domain.webauthn_policy import (
    PASSWORDLESS_PREFIX,
    TWO_FACTOR_PREFIX,
    WEBAUTHN,
    WEBAUTHN_PASSWORDLESS,
    WebAuthnPolicyError,
    passwordless_defaults,
    two_factor_defaults,
)
from ostium.domain.webauthn_policy import (
    SCALAR_FIELDS as WEBAUTHN_SCALAR_FIELDS,
)
from ostium.json_input import JsonInputError, loads
from ostium.keys.providers import PROVIDER_TYPE, PROVIDERS, KeyProviderError
from ostium.protocol.mappers import MAPPER_TYPES
from ostium.services.authentication_flows import FlowError
from ostium.services.flow_import import apply_bindings, parse_flows
from ostium.services.import_coverage import IMPORTED_CREDENTIALS, find_unsupported, warning_text
from ostium.services.keys import key_from_representation
from ostium.services.password_policy import (
    PASSWORD_HISTORY,
    checked_policy_text,
    import_violation,
    realm_policy,
)
from ostium.services.passwords import hash_password, is_known_algorithm
from ostium.services.realm_setup import (
    DEFAULT_CLIENT_SCOPES,
    OPTIONAL_CLIENT_SCOPES,
    RealmBundle,
    new_id,
    new_realm,
    service_account_user,
    write_bundle,
)
from ostium.services.required_actions import RequiredActionError, parse_required_actions
from ostium.storage.interfaces import Storage

__all__ = [
    "CLIENT_FIELDS",
    "REALM_FIELDS",
    "USER_FIELDS",
    "PasswordPolicyNotMetError",
    "RealmImportError",
    "apply_client",
    "apply_realm",
    "apply_user",
    "check_flow_overrides",
    "import_directory",
    "localization_map",
    "localization_texts",
    "mapper_representation",
    "new_client_secret",
    "parse_client",
    "parse_client_scope",
    "parse_clients",
    "parse_credential",
    "parse_groups",
    "parse_protocol_mapper",
    "parse_realm",
    "parse_roles",
    "parse_users",
    "resolve_placeholders",
    "webauthn_policy_lists",
]

_log = logging.getLogger("ostium.import")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")

# RealmRepresentation field → domain Realm attribute, with the expected JSON type.
REALM_FIELDS: dict[str, tuple[str, type]] = {
    "enabled": ("enabled", bool),
    "displayName": ("display_name", str),
    "accessTokenLifespan": ("access_token_lifespan", int),
    "accessTokenLifespanForImplicitFlow": ("access_token_lifespan_for_implicit_flow", int),
    "accessCodeLifespan": ("access_code_lifespan", int),
    "accessCodeLifespanUserAction": ("access_code_lifespan_user_action", int),
    "accessCodeLifespanLogin": ("access_code_lifespan_login", int),
    "ssoSessionIdleTimeout": ("sso_session_idle_timeout", int),
    "ssoSessionMaxLifespan": ("sso_session_max_lifespan", int),
    "ssoSessionIdleTimeoutRememberMe": ("sso_session_idle_timeout_remember_me", int),
    "ssoSessionMaxLifespanRememberMe": ("sso_session_max_lifespan_remember_me", int),
    "offlineSessionIdleTimeout": ("offline_session_idle_timeout", int),
    "offlineSessionMaxLifespanEnabled": ("offline_session_max_lifespan_enabled", bool),
    "offlineSessionMaxLifespan": ("offline_session_max_lifespan", int),
    "clientSessionIdleTimeout": ("client_session_idle_timeout", int),
    "clientSessionMaxLifespan": ("client_session_max_lifespan", int),
    "revokeRefreshToken": ("revoke_refresh_token", bool),
    "refreshTokenMaxReuse": ("refresh_token_max_reuse", int),
    "notBefore": ("not_before", int),
    "sslRequired": ("ssl_required", str),
    "registrationAllowed": ("registration_allowed", bool),
    "registrationEmailAsUsername": ("registration_email_as_username", bool),
    "loginWithEmailAllowed": ("login_with_email_allowed", bool),
    "duplicateEmailsAllowed": ("duplicate_emails_allowed", bool),
    "rememberMe": ("remember_me", bool),
    "verifyEmail": ("verify_email", bool),
    "resetPasswordAllowed": ("reset_password_allowed", bool),
    "editUsernameAllowed": ("edit_username_allowed", bool),
    "actionTokenGeneratedByUserLifespan": ("action_token_generated_by_user_lifespan", int),
    "actionTokenGeneratedByAdminLifespan": ("action_token_generated_by_admin_lifespan", int),
    "bruteForceProtected": ("brute_force_protected", bool),
    "permanentLockout": ("permanent_lockout", bool),
    "maxTemporaryLockouts": ("max_temporary_lockouts", int),
    "failureFactor": ("failure_factor", int),
    "waitIncrementSeconds": ("wait_increment_seconds", int),
    "maxFailureWaitSeconds": ("max_failure_wait_seconds", int),
    "minimumQuickLoginWaitSeconds": ("minimum_quick_login_wait_seconds", int),
    "quickLoginCheckMilliSeconds": ("quick_login_check_milli_seconds", int),
    "maxDeltaTimeSeconds": ("max_delta_time_seconds", int),
    "internationalizationEnabled": ("internationalization_enabled", bool),
    "defaultLocale": ("default_locale", str),
    "defaultSignatureAlgorithm": ("default_signature_algorithm", str),
    "passwordPolicy": ("password_policy", str),
    "otpPolicyType": ("otp_policy_type", str),
    "otpPolicyAlgorithm": ("otp_policy_algorithm", str),
    "otpPolicyDigits": ("otp_policy_digits", int),
    "otpPolicyLookAheadWindow": ("otp_policy_look_ahead_window", int),
    "otpPolicyPeriod": ("otp_policy_period", int),
    "otpPolicyInitialCounter": ("otp_policy_initial_counter", int),
    "otpPolicyCodeReusable": ("otp_policy_code_reusable", bool),
    # The scalar settings of the two WebAuthn policies (webAuthnPolicy…RpId → the Realm's
    # webauthn_policy_rp_id, …); their lists are read by `_apply_webauthn_policies`.
    **{
        prefix + suffix: (webauthn_attribute_stem(passwordless=passwordless) + attribute, kind)
        for passwordless, prefix in ((False, TWO_FACTOR_PREFIX), (True, PASSWORDLESS_PREFIX))
        for suffix, (attribute, kind) in WEBAUTHN_SCALAR_FIELDS.items()
    },
    "loginTheme": ("login_theme", str),
    "accountTheme": ("account_theme", str),
    "adminTheme": ("admin_theme", str),
    "emailTheme": ("email_theme", str),
}

CLIENT_FIELDS: dict[str, tuple[str, type]] = {
    "name": ("name", str),
    "description": ("description", str),
    "enabled": ("enabled", bool),
    "publicClient": ("public_client", bool),
    "bearerOnly": ("bearer_only", bool),
    "secret": ("secret", str),
    "clientAuthenticatorType": ("client_authenticator_type", str),
    "rootUrl": ("root_url", str),
    "baseUrl": ("base_url", str),
    "adminUrl": ("admin_url", str),
    "standardFlowEnabled": ("standard_flow_enabled", bool),
    "implicitFlowEnabled": ("implicit_flow_enabled", bool),
    "directAccessGrantsEnabled": ("direct_access_grants_enabled", bool),
    "serviceAccountsEnabled": ("service_accounts_enabled", bool),
    "consentRequired": ("consent_required", bool),
    "frontchannelLogout": ("frontchannel_logout", bool),
    "fullScopeAllowed": ("full_scope_allowed", bool),
    "protocol": ("protocol", str),
}


class RealmImportError(Exception):
    pass


class PasswordPolicyNotMetError(RealmImportError):
    """A plain-text password in the file that the realm's policy refuses. Keycloak
    refuses the whole import ("Password policy not met"); the text names the user and
    the rule for the log and the command line."""

    def __init__(self, path: str, username: str, key: str, text: str) -> None:
        super().__init__(
            f"{path} ({username}): the password policy refuses the password: {key} ({text})"
        )
        self.username = username
        self.key = key


def resolve_placeholders(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Keycloak resolves `${VAR}` and `${VAR:default}` in import files."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            # Unset: left as written, as Keycloak does; exports carry theme message keys
            # such as ${client_account} that are not variables at all.
            return match.group(0)

        return _PLACEHOLDER.sub(substitute, value)
    if isinstance(value, list):
        return [resolve_placeholders(v, env, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            k: resolve_placeholders(v, env, f"{path}.{k}" if path else k) for k, v in value.items()
        }
    return value


def _typed(data: Mapping[str, Any], key: str, kind: type, path: str) -> Any:
    value = data[key]
    if value is None:
        return None
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise RealmImportError(
            f"{path}.{key}: expected {kind.__name__}, got {json.dumps(value)[:50]}"
        )
    return value


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _strings(data: Mapping[str, Any], key: str, path: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RealmImportError(f"{_at(path, key)}: expected a list of strings")
    return list(value)


def _dict(data: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RealmImportError(f"{_at(path, key)}: expected an object")
    return value


def _list(data: Mapping[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RealmImportError(f"{_at(path, key)}: expected a list of objects")
    return value


def _multi_attributes(data: Mapping[str, Any], path: str) -> dict[str, list[str]]:
    """Keycloak writes attributes as name → list of strings; accept single strings too."""
    result: dict[str, list[str]] = {}
    for name, value in _dict(data, "attributes", path).items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | bool) for v in values):
            raise RealmImportError(f"{path}.attributes.{name}: expected strings")
        result[name] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    return result


def _given_id(raw: Mapping[str, Any]) -> str:
    """Ids in the file are kept (as Keycloak's import does), so an export and re-import
    reproduces the realm; entries without one get a new id."""
    given = raw.get("id")
    return given if isinstance(given, str) and 0 < len(given) <= 36 else new_id()


def apply_realm(realm: Realm, raw: Mapping[str, Any]) -> None:
    """Set the settings a RealmRepresentation names (partial update semantics)."""
    for key, (attribute, kind) in REALM_FIELDS.items():
        if key in raw:
            value = _typed(raw, key, kind, "realm")
            if value is not None:
                setattr(realm, attribute, value)
    try:
        # A policy no authenticator app can follow is refused whole (nothing is written).
        realm.otp_policy.check()
    except OtpError as exc:
        raise RealmImportError(f"realm: {exc}") from None
    _apply_webauthn_policies(realm, raw)
    if "supportedLocales" in raw:
        realm.supported_locales = _strings(raw, "supportedLocales", "realm")
    if "attributes" in raw:
        realm.attributes = {k: str(v) for k, v in _dict(raw, "attributes", "realm").items()}
    if "browserSecurityHeaders" in raw:
        realm.browser_security_headers = _browser_security_headers(raw)
    if raw.get("smtpServer") is not None:  # null leaves it, as Keycloak's update does
        realm.smtp_server = keep_masked_secrets(_smtp_server(raw), realm.smtp_server)
    try:
        apply_bindings(realm, raw)
    except FlowError as exc:
        raise RealmImportError(str(exc)) from None
    if "localizationTexts" in raw:
        realm.localization_texts = localization_texts(raw["localizationTexts"])
    if raw.get("passwordPolicy") is not None:
        # Keycloak parses the policy when it is set and refuses the whole update or
        # import when it cannot (RealmAdminResource: 400 with the model's message).
        try:
            realm.password_policy = checked_policy_text(raw["passwordPolicy"])
        except PolicyConfigError as exc:
            raise RealmImportError(exc.message) from None


def webauthn_policy_lists(realm: Realm) -> dict[str, list[str]]:
    """The WebAuthn policies' list fields as the representation carries them (REALM_FIELDS
    holds only scalars): `webAuthnPolicySignatureAlgorithms`, …"""
    return {
        prefix + suffix: list(getattr(realm, webauthn_attribute_stem(passwordless=pl) + name))
        for pl, prefix in ((False, TWO_FACTOR_PREFIX), (True, PASSWORDLESS_PREFIX))
        for suffix, name in WEBAUTHN_LIST_FIELDS.items()
    }


def _apply_webauthn_policies(realm: Realm, raw: Mapping[str, Any]) -> None:
    """The WebAuthn policies' lists, then both policies checked (a policy Keycloak would not
    take refuses the whole update or file). As Keycloak's RepresentationToModel does, an
    empty value given for a setting means that policy's default (`webAuthnPolicyRpEntityName:
    ""` is "keycloak", an empty algorithm list is ES256 and RS256)."""
    for passwordless, prefix in ((False, TWO_FACTOR_PREFIX), (True, PASSWORDLESS_PREFIX)):
        stem = webauthn_attribute_stem(passwordless=passwordless)
        defaults = passwordless_defaults() if passwordless else two_factor_defaults()
        for suffix, attribute in WEBAUTHN_LIST_FIELDS.items():
            if raw.get(prefix + suffix) is not None:
                values = _strings(raw, prefix + suffix, "realm")
                if not values:
                    values = list(getattr(defaults, attribute))
                setattr(realm, stem + attribute, values)
        for suffix, (attribute, kind) in WEBAUTHN_SCALAR_FIELDS.items():
            if kind is str and raw.get(prefix + suffix) == "":
                setattr(realm, stem + attribute, getattr(defaults, attribute))
        policy = realm.webauthn_policy_passwordless if passwordless else realm.webauthn_policy
        try:
            policy.check()
        except WebAuthnPolicyError as exc:
            raise RealmImportError(f"realm: {exc}") from None


def _smtp_server(raw: Mapping[str, Any]) -> dict[str, str]:
    """Keycloak's `smtpServer` is a map of strings, replaced whole by an update; numbers
    and booleans are taken as Jackson takes them into a `Map<String, String>`."""
    result: dict[str, str] = {}
    for key, value in _dict(raw, "smtpServer", "realm").items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str) or len(key) > 255 or len(value) > 4096:
            raise RealmImportError(f"realm.smtpServer.{key[:64]}: expected a string")
        result[key] = value
    return result


def localization_texts(
    value: object, path: str = "realm.localizationTexts"
) -> dict[str, dict[str, str]]:
    """Keycloak's `localizationTexts`: locale → message key → text, each locale a language
    tag and every text a string (domain/localization.py)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RealmImportError(f"{path}: expected an object of locales")
    result: dict[str, dict[str, str]] = {}
    for locale, texts in value.items():
        problem = locale_problem(locale)
        if problem is not None:
            raise RealmImportError(f"{path}.{str(locale)[:32]}: {problem}")
        result[locale] = localization_map(texts, f"{path}.{locale}")
    return result


def localization_map(value: object, path: str) -> dict[str, str]:
    """One locale's texts: a JSON object of message key → text."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise RealmImportError(f"{path}: expected an object of message key → text")
    for key, text in value.items():
        problem = message_key_problem(key) or text_problem(text)
        if problem is not None:
            raise RealmImportError(f"{path}.{key[:64]}: {problem}")
    return dict(value)


def _browser_security_headers(raw: Mapping[str, Any]) -> dict[str, str]:
    """Keycloak replaces the whole map; a setting left out falls back to its default,
    so the stored map is the defaults with the given values on top. The legacy
    `xXSSProtection` of older exports is accepted and dropped; an unknown name or a
    value that cannot be a header is refused."""
    headers = dict(BROWSER_HEADER_DEFAULTS)
    for key, value in _dict(raw, "browserSecurityHeaders", "realm").items():
        path = f"realm.browserSecurityHeaders.{key[:64]}"
        if key in BROWSER_HEADER_LEGACY_KEYS:
            continue
        if key not in BROWSER_HEADER_DEFAULTS:
            raise RealmImportError(f"{path}: unknown browser security header")
        if value is None:
            continue
        if not isinstance(value, str) or invalid_header_value(value):
            raise RealmImportError(f"{path}: expected a header value (text, no line breaks)")
        headers[key] = value.strip()
    return headers


def parse_realm(
    data: object, *, now: int, env: Mapping[str, str] | None, source: str = ""
) -> RealmBundle:
    """`env` resolves `${VAR}` placeholders (import files); None leaves them (admin API).
    The bundle's `warnings` name every section of the file Ostium could not import, with
    the realm and `source` (the file name), for the caller to show."""
    if not isinstance(data, dict):
        raise RealmImportError("a realm file must hold a JSON object")
    if env is not None:
        data = resolve_placeholders(data, env)
    assert isinstance(data, dict)
    _check_identifiers(data)
    name = data.get("realm")
    problem = realm_name_problem(name)
    if problem is not None:
        raise RealmImportError(f"realm: {problem}")
    assert isinstance(name, str)
    bundle = new_realm(name, now, master=name == "master", realm_id=_given_id(data))
    realm = bundle.realm
    try:
        parse_flows(realm, data)  # before apply_realm: the bindings name these flows
    except FlowError as exc:
        raise RealmImportError(str(exc)) from None
    apply_realm(realm, data)
    try:
        parse_required_actions(realm, data)
    except RequiredActionError as exc:
        raise RealmImportError(str(exc)) from None
    _parse_client_scopes(bundle, data)
    parse_clients(bundle, data)
    parse_roles(bundle, data)
    parse_groups(bundle, data)
    parse_users(bundle, data, now)
    _add_missing_service_accounts(bundle, now)
    _parse_key_providers(bundle, data, now)
    _parse_user_profile(bundle, data)
    bundle.warnings = [warning_text(name, source, f) for f in find_unsupported(data)]
    return bundle


def _check_identifiers(data: Mapping[str, Any]) -> None:
    """No id or name anywhere in the file holds a control character, and the realm's own
    id is one Keycloak's RealmManager takes (no reserved URI characters either)."""
    where = bad_identifier(data)
    if where is not None:
        raise RealmImportError(f"{where}: control characters are not allowed in ids and names")
    given = data.get("id")
    if isinstance(given, str) and given and realm_name_problem(given) is not None:
        raise RealmImportError(f"id: {realm_name_problem(given)}")


def _parse_user_profile(bundle: RealmBundle, data: Mapping[str, Any]) -> None:
    """The realm's `declarative-user-profile` component becomes its user profile, checked
    as the admin API checks a PUT. The file's users are not held to it: Keycloak's import
    writes them as they are."""
    components = _dict(data, "components", "realm")
    path = f"components.{PROFILE_PROVIDER_TYPE}"
    for index, raw in enumerate(_list(components, PROFILE_PROVIDER_TYPE, "components")):
        if raw.get("providerId") != PROFILE_PROVIDER_ID:
            continue
        text = config_text_of_component(_dict(raw, "config", f"{path}[{index}]"))
        if text is None:
            continue  # Keycloak's component without a config: the default profile
        try:
            config = canonical_config(
                loads(text.encode("utf-8")), scopes=frozenset(s.name for s in bundle.client_scopes)
            )
        except (ValueError, ProfileConfigError) as exc:
            raise RealmImportError(f"{path}[{index}]: invalid user profile ({exc})") from None
        bundle.realm.user_profile_config = json.dumps(config, separators=(",", ":"))


def _parse_key_providers(bundle: RealmBundle, data: Mapping[str, Any], now: int) -> None:
    """A realm export's key provider components become the realm's keys, material and
    `kid`s kept (`ostium export --include-keys`, Keycloak's full export); a component
    without material gets a fresh key. Keycloak's defaults stay for the algorithms the
    file has no active key for, as Keycloak would create fallback keys for them."""
    components = _dict(data, "components", "realm")
    if PROVIDER_TYPE not in components:
        return
    path = f"components.{PROVIDER_TYPE}"
    imported = []
    for index, raw in enumerate(_list(components, PROVIDER_TYPE, "components")):
        if raw.get("providerId") not in PROVIDERS:
            # Keycloak exports may carry providers Ostium has no use for (java-keystore,
            # rsa-enc-generated's cousins): the realm imports without them, and the
            # bundle's warnings say so (import_coverage's "key providers").
            continue
        try:
            imported.append(key_from_representation(raw, bundle.realm, now))
        except KeyProviderError as exc:
            raise RealmImportError(f"{path}[{index}]: {exc}") from None
    covered = {k.algorithm for k in imported if k.enabled and k.active}
    bundle.keys = imported + [k for k in bundle.keys if k.algorithm not in covered]


def new_client_secret() -> str:
    """Keycloak generates a secret for a confidential client created without one."""
    return secrets.token_urlsafe(24)


def apply_client(
    client: Client, raw: Mapping[str, Any], path: str, *, known_only: bool = True
) -> None:
    """Set the fields a ClientRepresentation names; the others keep their values (the
    admin API's partial update, and import on top of Keycloak's defaults). `known_only`:
    see `_parse_mappers`."""
    for key, (attribute, kind) in CLIENT_FIELDS.items():
        if key in raw:
            value = _typed(raw, key, kind, path)
            if value is not None or kind is str:
                setattr(client, attribute, value)
    if "redirectUris" in raw:
        client.redirect_uris = _strings(raw, "redirectUris", path)
    if "webOrigins" in raw:
        client.web_origins = _strings(raw, "webOrigins", path)
    if "attributes" in raw:
        client.attributes = {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in _dict(raw, "attributes", path).items()
        }
    if "defaultClientScopes" in raw:
        client.default_client_scopes = _strings(raw, "defaultClientScopes", path)
    if "optionalClientScopes" in raw:
        client.optional_client_scopes = _strings(raw, "optionalClientScopes", path)
    if "protocolMappers" in raw:
        client.protocol_mappers = _parse_mappers(raw, path, known_only, client.protocol_mappers)
    if raw.get("authenticationFlowBindingOverrides") is not None:
        # The flows are checked against the realm once they are all known
        # (`check_flow_overrides`); an empty value is no override, as the console sends it.
        overrides = _dict(raw, "authenticationFlowBindingOverrides", path)
        if not all(isinstance(v, str) for v in overrides.values()):
            raise RealmImportError(f"{path}.authenticationFlowBindingOverrides: expected flow ids")
        client.flow_overrides = {k: v for k, v in overrides.items() if v}
    if (
        client.confidential
        and not client.secret
        and client.client_authenticator_type == "client-secret"
    ):
        client.secret = new_client_secret()


def _parse_mappers(
    raw: Mapping[str, Any],
    path: str,
    known_only: bool,
    stored: list[ProtocolMapper] | None = None,
) -> list[ProtocolMapper]:
    """A representation's `protocolMappers`. The admin API (`known_only`) refuses a mapper type
    Ostium does not implement, as Keycloak refuses a provider it does not know; a realm file
    keeps such a mapper (a Keycloak export carries many: full name, address, acr…) and the log
    warns that it will add nothing to tokens — neither dropped silently nor a failed import.
    A type already `stored` on the client (imported so) may come back in a full-client PUT."""
    kept = {m.protocol_mapper for m in stored or []}
    mappers = []
    for i, m in enumerate(_list(raw, "protocolMappers", path)):
        strict = known_only and m.get("protocolMapper") not in kept
        mapper = parse_protocol_mapper(m, f"{path}.protocolMappers[{i}]", known_only=strict)
        if mapper.protocol_mapper not in MAPPER_TYPES:
            _log.warning(
                "%s.protocolMappers[%d]: mapper type %r is not supported, kept but not applied",
                path,
                i,
                mapper.protocol_mapper[:64],
            )
        mappers.append(mapper)
    return mappers


def parse_protocol_mapper(
    raw: Mapping[str, Any], path: str, *, known_only: bool = True
) -> ProtocolMapper:
    """One ProtocolMapperRepresentation; with `known_only` (the admin API, Keycloak's
    ProtocolMappersResource) an unknown `protocolMapper` type is a 400, not a stored no-op."""
    name, kind = raw.get("name"), raw.get("protocolMapper")
    if not isinstance(name, str) or not name:
        raise RealmImportError(f"{path}.name: required")
    if not isinstance(kind, str) or not kind:
        raise RealmImportError(f"{path}.protocolMapper: required")
    if known_only and kind not in MAPPER_TYPES:
        raise RealmImportError(f"{path}.protocolMapper: unknown mapper type {kind[:64]!r}")
    config = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in _dict(raw, "config", path).items()
    }
    protocol = raw.get("protocol") if isinstance(raw.get("protocol"), str) else "openid-connect"
    return ProtocolMapper(_given_id(raw), name, kind, str(protocol), config)


def mapper_representation(mapper: ProtocolMapper) -> dict[str, Any]:
    return {
        "id": mapper.id,
        "name": mapper.name,
        "protocol": mapper.protocol,
        "protocolMapper": mapper.protocol_mapper,
        "consentRequired": False,
        "config": dict(mapper.config),
    }


def check_flow_overrides(realm: Realm, client: Client, path: str = "client") -> None:
    """A client's flow overrides name the realm's top-level flows (Keycloak refuses an
    unknown flow id), else the whole update or import is refused."""
    problem = override_problem(realm, client.flow_overrides)
    if problem is not None:
        raise RealmImportError(f"{path}.{problem}")


def parse_client(
    raw: Mapping[str, Any], realm_id: str, path: str = "client", *, known_only: bool = True
) -> Client:
    """A new client from a ClientRepresentation, with the realm's default scopes."""
    client_id = raw.get("clientId")
    if not isinstance(client_id, str) or not client_id.strip():
        raise RealmImportError(f"{path}.clientId: required")
    client = Client(
        id=new_id(),
        realm_id=realm_id,
        client_id=client_id,
        default_client_scopes=list(DEFAULT_CLIENT_SCOPES),
        optional_client_scopes=list(OPTIONAL_CLIENT_SCOPES),
    )
    apply_client(client, raw, path, known_only=known_only)
    return client


def parse_client_scope(
    raw: Mapping[str, Any], realm_id: str, path: str, *, known_only: bool = True
) -> ClientScope:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or " " in name:
        raise RealmImportError(f"{path}.name: a name without spaces is required")
    scope = ClientScope(_given_id(raw), realm_id, name)
    if isinstance(raw.get("description"), str):
        scope.description = raw["description"]
    if isinstance(raw.get("protocol"), str):
        scope.protocol = raw["protocol"]
    scope.attributes = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in _dict(raw, "attributes", path).items()
    }
    scope.protocol_mappers = _parse_mappers(raw, path, known_only)
    return scope


def _parse_client_scopes(bundle: RealmBundle, data: Mapping[str, Any]) -> None:
    """Scopes in the file replace the built-in ones of the same name."""
    for index, raw in enumerate(_list(data, "clientScopes", "")):
        scope = parse_client_scope(raw, bundle.realm.id, f"clientScopes[{index}]", known_only=False)
        bundle.client_scopes = [s for s in bundle.client_scopes if s.name != scope.name]
        bundle.client_scopes.append(scope)


def parse_clients(bundle: RealmBundle, data: Mapping[str, Any]) -> None:
    seen: set[str] = set()
    for index, raw in enumerate(_list(data, "clients", "")):
        path = f"clients[{index}]"
        client_id = raw.get("clientId")
        if isinstance(client_id, str) and client_id in seen:
            raise RealmImportError(f"{path}.clientId: duplicate client '{client_id}'")
        existing = bundle.client(client_id) if isinstance(client_id, str) else None
        if existing is not None:
            if isinstance(raw.get("id"), str):
                bundle.reassign_client_id(existing, _given_id(raw))
            apply_client(existing, raw, path, known_only=False)
        else:
            client = parse_client(raw, bundle.realm.id, path, known_only=False)
            client.id = _given_id(raw)
            bundle.clients.append(client)
        check_flow_overrides(bundle.realm, existing or bundle.clients[-1], path)
        seen.add(str(client_id))
    for client in bundle.clients:
        for warning in client.redirect_uri_warnings():
            _log.warning("Realm '%s': %s", bundle.realm.name, warning)


def _role_ref(bundle: RealmBundle, client_id: str | None, name: str, path: str) -> Role:
    if client_id is None:
        role = bundle.realm_role(name)
    else:
        client = bundle.client(client_id)
        if client is None:
            raise RealmImportError(f"{path}: unknown client '{client_id}'")
        role = bundle.client_role(client.id, name)
    if role is None:
        where = f"client '{client_id}'" if client_id else "the realm"
        raise RealmImportError(f"{path}: unknown role '{name}' of {where}")
    return role


def parse_roles(bundle: RealmBundle, data: Mapping[str, Any]) -> None:
    roles = _dict(data, "roles", "")
    declared: list[tuple[dict[str, Any], Role, str]] = []
    for index, raw in enumerate(_list(roles, "realm", "roles")):
        path = f"roles.realm[{index}]"
        declared.append((raw, _declare_role(bundle, raw, None, path), path))
    for client_id in _dict(roles, "client", "roles"):
        client = bundle.client(client_id)
        if client is None:
            raise RealmImportError(f"roles.client.{client_id}: unknown client '{client_id}'")
        for index, raw in enumerate(_list(roles["client"], client_id, "roles.client")):
            path = f"roles.client.{client_id}[{index}]"
            declared.append((raw, _declare_role(bundle, raw, client.id, path), path))
    # Composites may name roles declared later in the file: resolve after declaring all.
    for raw, role, path in declared:
        composites = _dict(raw, "composites", path)
        if not composites:
            continue
        role.composite = True
        children = [
            _role_ref(bundle, None, n, f"{path}.composites.realm")
            for n in _strings(composites, "realm", path)
        ]
        for client_id in _dict(composites, "client", path):
            children += [
                _role_ref(bundle, client_id, n, f"{path}.composites.client.{client_id}")
                for n in _strings(composites["client"], client_id, path)
            ]
        for child in children:
            if (role.id, child.id) not in bundle.composites:
                bundle.composites.append((role.id, child.id))


def _declare_role(
    bundle: RealmBundle, raw: dict[str, Any], client_internal_id: str | None, path: str
) -> Role:
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise RealmImportError(f"{path}.name: required")
    existing = (
        bundle.realm_role(name)
        if client_internal_id is None
        else bundle.client_role(client_internal_id, name)
    )
    role = existing or Role(
        _given_id(raw),
        bundle.realm.id,
        name,
        client_id=client_internal_id,
    )
    if existing is not None and isinstance(raw.get("id"), str):
        bundle.reassign_role_id(existing, _given_id(raw))
    if "description" in raw:
        role.description = _typed(raw, "description", str, path)
    role.attributes = _multi_attributes(raw, path)
    if existing is None:
        bundle.roles.append(role)
    return role


def _grants(bundle: RealmBundle, raw: Mapping[str, Any], path: str) -> list[Role]:
    roles = [
        _role_ref(bundle, None, n, f"{path}.realmRoles") for n in _strings(raw, "realmRoles", path)
    ]
    for client_id in _dict(raw, "clientRoles", path):
        roles += [
            _role_ref(bundle, client_id, n, f"{path}.clientRoles.{client_id}")
            for n in _strings(raw["clientRoles"], client_id, f"{path}.clientRoles")
        ]
    return roles


def parse_groups(bundle: RealmBundle, data: Mapping[str, Any]) -> None:
    def walk(entries: list[dict[str, Any]], parent: Group | None, path: str) -> None:
        names: set[str] = set()
        for index, raw in enumerate(entries):
            here = f"{path}[{index}]"
            name = raw.get("name")
            if not isinstance(name, str) or not name or "/" in name:
                raise RealmImportError(f"{here}.name: a name without '/' is required")
            if name in names:
                raise RealmImportError(f"{here}.name: duplicate group '{name}'")
            names.add(name)
            group = Group(
                _given_id(raw),
                bundle.realm.id,
                name,
                parent_id=parent.id if parent else None,
                attributes=_multi_attributes(raw, here),
            )
            bundle.groups.append(group)
            for role in _grants(bundle, raw, here):
                bundle.group_roles.append((group.id, role.id))
            walk(_list(raw, "subGroups", here), group, f"{here}.subGroups")

    walk(_list(data, "groups", ""), None, "groups")


def _group_by_path(bundle: RealmBundle, group_path: str) -> Group | None:
    parent: Group | None = None
    for part in [p for p in group_path.split("/") if p]:
        parent = next(
            (
                g
                for g in bundle.groups
                if g.name == part and g.parent_id == (parent.id if parent else None)
            ),
            None,
        )
        if parent is None:
            return None
    return parent


USER_FIELDS: dict[str, tuple[str, type]] = {
    "email": ("email", str),
    "emailVerified": ("email_verified", bool),
    "firstName": ("first_name", str),
    "lastName": ("last_name", str),
    "enabled": ("enabled", bool),
    "createdTimestamp": ("created_timestamp", int),
    "notBefore": ("not_before", int),
}


def apply_user(user: User, raw: Mapping[str, Any], path: str) -> None:
    """Set the fields a UserRepresentation names (partial update semantics)."""
    for key, (attribute, kind) in USER_FIELDS.items():
        if key in raw:
            value = _typed(raw, key, kind, path)
            if value is not None or kind is str:
                setattr(
                    user, attribute, value.strip().lower() if key == "email" and value else value
                )
    if "attributes" in raw:
        user.attributes = _multi_attributes(raw, path)
    if "requiredActions" in raw:
        user.required_actions = _strings(raw, "requiredActions", path)


def _parse_consents(
    bundle: RealmBundle, user: User, raw: Mapping[str, Any], path: str, now: int
) -> None:
    """Keycloak's `clientConsents`: the client (by clientId) must be in the realm, as
    Keycloak's import requires; scopes are kept by name."""
    for index, entry in enumerate(_list(raw, "clientConsents", path)):
        where = f"{path}.clientConsents[{index}]"
        client_id = entry.get("clientId")
        client = bundle.client(client_id) if isinstance(client_id, str) else None
        if client is None:
            raise RealmImportError(f"{where}.clientId: unknown client '{client_id}'")
        created = _typed(entry, "createdDate", int, where) if "createdDate" in entry else None
        updated = (
            _typed(entry, "lastUpdatedDate", int, where) if "lastUpdatedDate" in entry else None
        )
        bundle.consents.append(
            UserConsent(
                user.id,
                client.id,
                _strings(entry, "grantedClientScopes", where),
                created_date=created if created is not None else now * 1000,
                last_updated_date=updated if updated is not None else now * 1000,
            )
        )


def parse_users(bundle: RealmBundle, data: Mapping[str, Any], now: int) -> None:
    seen: set[str] = set()
    default_role = bundle.realm_role(bundle.realm.default_role_name)
    for index, raw in enumerate(_list(data, "users", "")):
        path = f"users[{index}]"
        username = raw.get("username")
        if not isinstance(username, str) or not username.strip():
            raise RealmImportError(f"{path}.username: required")
        if username.lower() in seen:
            raise RealmImportError(f"{path}.username: duplicate user '{username}'")
        seen.add(username.lower())
        user = User(id=_given_id(raw), realm_id=bundle.realm.id, username=username.lower())
        apply_user(user, raw, path)
        user.created_timestamp = user.created_timestamp or now * 1000
        service_client = raw.get("serviceAccountClientId")
        if service_client is not None:
            client = bundle.client(service_client) if isinstance(service_client, str) else None
            if client is None:
                raise RealmImportError(
                    f"{path}.serviceAccountClientId: unknown client '{service_client}'"
                )
            user.service_account_client_id = client.id
        bundle.users.append(user)
        roles = _grants(bundle, raw, path)
        if (
            not roles
            and default_role is not None
            and service_client is None
            and "realmRoles" not in raw
        ):
            roles = [default_role]  # Keycloak gives new users the realm's default roles
        for role in roles:
            bundle.user_roles.append((user.id, role.id))
        for group_index, group_path in enumerate(_strings(raw, "groups", path)):
            group = _group_by_path(bundle, group_path)
            if group is None:
                raise RealmImportError(
                    f"{path}.groups[{group_index}]: unknown group '{group_path}'"
                )
            bundle.memberships.append((group.id, user.id))
        _parse_consents(bundle, user, raw, path, now)
        for cred_index, credential in enumerate(_list(raw, "credentials", path)):
            if credential.get("type", PASSWORD) not in IMPORTED_CREDENTIALS:
                # A type Ostium cannot use (kerberos, a custom provider's): the user comes
                # without it rather than the file failing; the warnings name it.
                continue
            where = f"{path}.credentials[{cred_index}]"
            _check_plain_password(bundle, user, credential, where)
            bundle.credentials.append(parse_credential(credential, user, where, now))


def _check_plain_password(
    bundle: RealmBundle, user: User, credential: Mapping[str, Any], path: str
) -> None:
    """A plain-text `value` is held to the realm's policy, as Keycloak's import does
    (RepresentationToModel.createCredentials); stored hashes are taken as they are."""
    value = credential.get("value")
    if not isinstance(value, str) or not value or not realm_policy(bundle.realm).entries:
        return
    violation = import_violation(bundle.realm, user, value)
    if violation is not None:
        raise PasswordPolicyNotMetError(path, user.username, violation.key, violation.text)


def _add_missing_service_accounts(bundle: RealmBundle, now: int) -> None:
    """Keycloak's import ends by giving every client with `serviceAccountsEnabled` its
    service-account user when the file has none (`RealmManager`'s
    `setupClientServiceAccountsAndAuthorizationOnImport`): hand-written realm files rarely
    list `service-account-<clientId>`, and without it `client_credentials` cannot work.
    The new user holds the realm's default roles, as one created by the admin API."""
    linked = {u.service_account_client_id for u in bundle.users}
    taken = {u.username for u in bundle.users}
    default_role = bundle.realm_role(bundle.realm.default_role_name)
    for client in bundle.clients:
        if not client.service_accounts_enabled or client.id in linked:
            continue
        user = service_account_user(client, now)
        if user.username in taken:
            raise RealmImportError(
                f"client '{client.client_id}': its service account needs the username "
                f"'{user.username}', which a user in the file already has"
            )
        bundle.users.append(user)
        taken.add(user.username)
        if default_role is not None:
            bundle.user_roles.append((user.id, default_role.id))


def parse_credential(raw: Mapping[str, Any], user: User, path: str, now: int) -> Credential:
    kind = raw.get("type", PASSWORD)
    if kind in (OTP, RECOVERY_CODES, WEBAUTHN, WEBAUTHN_PASSWORDLESS):
        return _second_factor_credential(raw, user, path, now)
    if kind not in (PASSWORD, PASSWORD_HISTORY):
        raise RealmImportError(f"{path}.type: unsupported credential type '{kind}'")
    if kind == PASSWORD_HISTORY and "value" in raw:
        raise RealmImportError(f"{path}: a password-history credential holds a stored hash")
    created_ms = _created_ms(raw, now)
    label = raw.get("userLabel") if isinstance(raw.get("userLabel"), str) else None
    if "value" in raw:
        value = raw["value"]
        if not isinstance(value, str) or not value:
            raise RealmImportError(f"{path}.value: expected a non-empty string")
        secret, data = hash_password(value)
    else:
        stored_secret, stored_data = raw.get("secretData"), raw.get("credentialData")
        if not isinstance(stored_secret, str) or not isinstance(stored_data, str):
            raise RealmImportError(f"{path}: needs 'value' or 'secretData' and 'credentialData'")
        secret, data = stored_secret, stored_data
        try:
            json.loads(secret)
            parsed = json.loads(data)
        except ValueError:
            raise RealmImportError(f"{path}: secretData/credentialData are not JSON") from None
        if not is_known_algorithm(data):
            algorithm = parsed.get("algorithm") if isinstance(parsed, dict) else None
            raise RealmImportError(f"{path}: unknown password algorithm '{algorithm}'")
    return Credential(
        _given_id(raw), user.id, kind, secret, data, created_date=created_ms, user_label=label
    )


def _created_ms(raw: Mapping[str, Any], now: int) -> int:
    created = raw.get("createdDate")
    return created if isinstance(created, int) and not isinstance(created, bool) else now * 1000


def _second_factor_credential(
    raw: Mapping[str, Any], user: User, path: str, now: int
) -> Credential:
    """Keycloak's `otp`, `recovery-authn-codes`, `webauthn` and `webauthn-passwordless`
    credentials as its export writes them, checked and kept as written, so they work here
    and export back unchanged."""
    kind = raw["type"]
    secret, data = raw.get("secretData"), raw.get("credentialData")
    if "value" in raw or not isinstance(secret, str) or not isinstance(data, str):
        raise RealmImportError(
            f"{path}: a {kind} credential needs 'secretData' and 'credentialData'"
        )
    try:
        if kind == OTP:
            OtpCredential.parse(secret, data)
        elif kind == RECOVERY_CODES:
            RecoveryCodes.parse(secret, data)
        else:
            WebAuthnCredentialData.parse(secret, data)
    except (OtpError, RecoveryCodesError, WebAuthnCredentialError) as exc:
        raise RealmImportError(f"{path}: {exc}") from None
    label = raw.get("userLabel") if isinstance(raw.get("userLabel"), str) else None
    priority = raw.get("priority")
    return Credential(
        _given_id(raw),
        user.id,
        kind,
        secret,
        data,
        created_date=_created_ms(raw, now),
        user_label=label,
        priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else 20,
    )


def _read_files(directory: Path) -> list[tuple[str, str]]:
    if not directory.is_dir():
        return []
    files: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.json")):
        try:
            files.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise RealmImportError(f"{path.name}: cannot be read ({exc})") from None
    return files


async def import_directory(
    storage: Storage, directory: Path, *, now: int, env: Mapping[str, str]
) -> list[str]:
    """Imports every `*.json` in name order; stops at the first bad file, having written
    nothing of it (files before it are imported, each in its own transaction). What a
    file holds that Ostium cannot import yet is logged, one warning per section."""
    imported: list[str] = []
    for name, raw in await asyncio.to_thread(_read_files, directory):
        try:
            data = loads(raw.encode("utf-8"))
        except JsonInputError as exc:
            raise RealmImportError(f"{name}: not valid JSON ({exc})") from None
        try:
            bundle = parse_realm(data, now=now, env=env, source=name)
        except RealmImportError as exc:
            # Valid JSON that is not an importable realm (a bad field, a refused password).
            raise RealmImportError(f"{name}: {exc}") from None
        async with storage.transaction() as repos:
            if await repos.realms.get_by_name(bundle.realm.name) is not None:
                _log.info("Realm '%s' exists, skipping %s", bundle.realm.name, name)
                continue
            await write_bundle(repos, bundle)
        for warning in bundle.warnings:
            _log.warning("%s", warning)
        imported.append(bundle.realm.name)
    return imported
