"""GET /admin/serverinfo: Keycloak's ServerInfoRepresentation, the parts clients read.

Keycloak answers it to any caller that is an admin of some realm (`AdminRoot.getServerInfo`
checks `isAdmin()`: the master `admin` role or any `realm-management` role). What is listed
is what Ostium has: its key providers, the protocol mapper types its token engine applies,
the keycloak.json installation provider, the themes and locales it ships. The password
policy types are Keycloak's full list, so the admin console and Terraform can offer them;
which of them are enforced is said in the README.
"""

from __future__ import annotations

import locale
import os
import platform
import sys
import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends

from ostium.admin.context import Admin, admin
from ostium.admin.errors import Forbidden
from ostium.admin.installation import INSTALLATION_PROVIDERS
from ostium.domain import ProtocolMapper
from ostium.keys.providers import PROVIDER_TYPE, PROVIDERS
from ostium.locales import available_locales
from ostium.services.realm_import import mapper_representation
from ostium.themes import BUILTIN, THEME_TYPES

__all__ = ["BUILTIN_MAPPERS", "PASSWORD_POLICIES", "router", "server_info"]

router = APIRouter(tags=["Root"])

_STARTED = time.time()

_TOKEN_FLAGS = {
    "access.token.claim": "true",
    "id.token.claim": "true",
    "userinfo.token.claim": "true",
    "introspection.token.claim": "true",
}


def _property(name: str, attribute: str, claim: str, json_type: str) -> ProtocolMapper:
    config = {
        "user.attribute": attribute,
        "claim.name": claim,
        "jsonType.label": json_type,
        **_TOKEN_FLAGS,
    }
    return ProtocolMapper(name, name, "oidc-usermodel-property-mapper", "openid-connect", config)


# Keycloak's built-in openid-connect mappers, limited to those whose type Ostium's
# token engine (protocol/mappers.py) applies.
BUILTIN_MAPPERS: tuple[ProtocolMapper, ...] = (
    _property("username", "username", "preferred_username", "String"),
    _property("email", "email", "email", "String"),
    _property("given name", "firstName", "given_name", "String"),
    _property("family name", "lastName", "family_name", "String"),
    _property("email verified", "emailVerified", "email_verified", "boolean"),
    ProtocolMapper(
        "realm roles",
        "realm roles",
        "oidc-usermodel-realm-role-mapper",
        "openid-connect",
        {
            "claim.name": "realm_access.roles",
            "jsonType.label": "String",
            "multivalued": "true",
            "access.token.claim": "true",
            "introspection.token.claim": "true",
        },
    ),
    ProtocolMapper(
        "groups",
        "groups",
        "oidc-group-membership-mapper",
        "openid-connect",
        {"claim.name": "groups", "full.path": "true", **_TOKEN_FLAGS},
    ),
)

_FLAG_PROPERTIES = [
    ("access.token.claim", "Add to access token", "boolean", "true"),
    ("id.token.claim", "Add to ID token", "boolean", "true"),
    ("userinfo.token.claim", "Add to userinfo", "boolean", "true"),
    ("introspection.token.claim", "Add to token introspection", "boolean", "true"),
]
_CLAIM = [("claim.name", "Token Claim Name", "String", None)]
_JSON_TYPE = [("jsonType.label", "Claim JSON Type", "List", "String")]

# The mapper types protocol/mappers.py applies, with the config properties it reads.
_MAPPER_TYPES: list[tuple[str, str, str, list[tuple[str, str, str, str | None]]]] = [
    (
        "oidc-hardcoded-claim-mapper",
        "Hardcoded claim",
        "Token mapper",
        [*_CLAIM, ("claim.value", "Claim value", "String", None), *_JSON_TYPE, *_FLAG_PROPERTIES],
    ),
    (
        "oidc-usermodel-attribute-mapper",
        "User Attribute",
        "Token mapper",
        [
            ("user.attribute", "User Attribute", "String", None),
            *_CLAIM,
            *_JSON_TYPE,
            ("multivalued", "Multivalued", "boolean", "false"),
            *_FLAG_PROPERTIES,
        ],
    ),
    (
        "oidc-usermodel-property-mapper",
        "User Property",
        "Token mapper",
        [("user.attribute", "Property", "String", None), *_CLAIM, *_JSON_TYPE, *_FLAG_PROPERTIES],
    ),
    (
        "oidc-usersessionmodel-note-mapper",
        "User Session Note",
        "Token mapper",
        [
            ("user.session.note", "User Session Note", "String", None),
            *_CLAIM,
            *_JSON_TYPE,
            *_FLAG_PROPERTIES,
        ],
    ),
    (
        "oidc-group-membership-mapper",
        "Group Membership",
        "Token mapper",
        [*_CLAIM, ("full.path", "Full group path", "boolean", "true"), *_FLAG_PROPERTIES],
    ),
    (
        "oidc-usermodel-realm-role-mapper",
        "User Realm Role",
        "Token mapper",
        [
            ("usermodel.realmRoleMapping.rolePrefix", "Realm Role prefix", "String", None),
            ("multivalued", "Multivalued", "boolean", "true"),
            *_CLAIM,
            *_JSON_TYPE,
            *_FLAG_PROPERTIES,
        ],
    ),
    (
        "oidc-usermodel-client-role-mapper",
        "User Client Role",
        "Token mapper",
        [
            ("usermodel.clientRoleMapping.clientId", "Client ID", "ClientList", None),
            ("usermodel.clientRoleMapping.rolePrefix", "Client Role prefix", "String", None),
            ("multivalued", "Multivalued", "boolean", "true"),
            *_CLAIM,
            *_JSON_TYPE,
            *_FLAG_PROPERTIES,
        ],
    ),
    (
        "oidc-audience-mapper",
        "Audience",
        "Token mapper",
        [
            ("included.client.audience", "Included Client Audience", "ClientList", None),
            ("included.custom.audience", "Included Custom Audience", "String", None),
            ("access.token.claim", "Add to access token", "boolean", "true"),
            ("id.token.claim", "Add to ID token", "boolean", "false"),
            ("introspection.token.claim", "Add to token introspection", "boolean", "true"),
        ],
    ),
]

# Keycloak's PasswordPolicyProvider factories: (id, displayName, configType, defaultValue,
# multipleSupported).
PASSWORD_POLICIES: list[tuple[str, str, str | None, str | None, bool]] = [
    ("length", "Minimum length", "int", "8", False),
    ("maxLength", "Maximum length", "int", "64", False),
    ("digits", "Digits", "int", "1", False),
    ("lowerCase", "Lowercase characters", "int", "1", False),
    ("upperCase", "Uppercase characters", "int", "1", False),
    ("specialChars", "Special characters", "int", "1", False),
    ("notUsername", "Not username", None, None, False),
    ("notContainsUsername", "Not contains username", None, None, False),
    ("notEmail", "Not email", None, None, False),
    ("passwordHistory", "Not recently used", "int", "3", False),
    ("passwordAge", "Not recently used (in days)", "int", "30", False),
    ("forceExpiredPasswordChange", "Expire password", "int", "365", False),
    ("hashAlgorithm", "Hashing algorithm", "String", "argon2", False),
    ("hashIterations", "Hashing iterations", "int", "-1", False),
    ("regexPattern", "Regular expression", "String", None, True),
    ("passwordBlacklist", "Password blacklist", "String", None, False),
    ("maxAuthAge", "Maximum authentication age", "int", "300", False),
]

_SSL_REQUIRED = ["ALL", "EXTERNAL", "NONE"]
_OPERATION_TYPES = ["CREATE", "UPDATE", "DELETE", "ACTION"]
_RESOURCE_TYPES = [
    "REALM",
    "REALM_ROLE",
    "REALM_ROLE_MAPPING",
    "REALM_SCOPE_MAPPING",
    "AUTH_FLOW",
    "AUTH_EXECUTION_FLOW",
    "AUTH_EXECUTION",
    "AUTHENTICATOR_CONFIG",
    "REQUIRED_ACTION",
    "IDENTITY_PROVIDER",
    "IDENTITY_PROVIDER_MAPPER",
    "PROTOCOL_MAPPER",
    "USER",
    "USER_LOGIN_FAILURE",
    "USER_SESSION",
    "USER_FEDERATION_PROVIDER",
    "USER_FEDERATION_MAPPER",
    "GROUP",
    "GROUP_MEMBERSHIP",
    "CLIENT",
    "CLIENT_INITIAL_ACCESS_MODEL",
    "CLIENT_ROLE",
    "CLIENT_ROLE_MAPPING",
    "CLIENT_SCOPE",
    "CLIENT_SCOPE_MAPPING",
    "CLIENT_SCOPE_CLIENT_MAPPING",
    "CLUSTER_NODE",
    "COMPONENT",
    "AUTHORIZATION_RESOURCE_SERVER",
    "AUTHORIZATION_RESOURCE",
    "AUTHORIZATION_SCOPE",
    "AUTHORIZATION_POLICY",
    "CUSTOM",
]
# The Keycloak event types Ostium records (events.py callers), each with its _ERROR twin.
_EVENT_TYPES = sorted(
    name
    for base in (
        "LOGIN",
        "LOGOUT",
        "CODE_TO_TOKEN",
        "REFRESH_TOKEN",
        "CLIENT_LOGIN",
        "INTROSPECT_TOKEN",
        "USERINFO_REQUEST",
        "REVOKE_GRANT",
        "CLIENT_ERROR",
    )
    for name in ((base,) if base.endswith("_ERROR") else (base, base + "_ERROR"))
)


def _theme_locales() -> list[str]:
    return list(available_locales())


def _formatted(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "B" else f"{size:.0f} {unit}"
        size //= 1024
    return f"{size} GB"  # pragma: no cover - the loop always returns


def _memory() -> dict[str, Any]:
    """The process's resident memory against the machine's: Python has no JVM heap, and
    this is what an operator wants to see instead."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = page * os.sysconf("SC_PHYS_PAGES")
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[1]) * page
    except (OSError, ValueError, IndexError):
        import resource

        used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    free = max(total - used, 0)
    return {
        "total": total,
        "totalFormated": _formatted(total),
        "used": used,
        "usedFormated": _formatted(used),
        "free": free,
        "freeFormated": _formatted(free),
        "freePercentage": round(free * 100 / total) if total else 0,
    }


def _system(version: str) -> dict[str, Any]:
    uptime_ms = int((time.time() - _STARTED) * 1000)
    seconds = uptime_ms // 1000
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    lang, _ = locale.getlocale()
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed under the process
        cwd = ""
    return {
        "version": version,
        "serverTime": time.strftime("%a %b %d %H:%M:%S %Z %Y"),
        "uptime": f"{days} days, {hours} hours, {minutes} minutes, {secs} seconds",
        "uptimeMillis": uptime_ms,
        # Keycloak's java* fields describe its runtime; Ostium's runtime is Python.
        "javaVersion": platform.python_version(),
        "javaVendor": platform.python_implementation(),
        "javaVm": platform.python_implementation(),
        "javaVmVersion": sys.version.split()[0],
        "javaRuntime": f"{platform.python_implementation()} {platform.python_version()}",
        "javaHome": sys.prefix,
        "osName": platform.system(),
        "osArchitecture": platform.machine(),
        "osVersion": platform.release(),
        "fileEncoding": sys.getfilesystemencoding(),
        "userName": os.environ.get("USER", ""),
        "userDir": cwd,
        "userTimezone": time.tzname[0],
        "userLocale": lang or "en",
    }


def _providers() -> dict[str, Any]:
    def spi(ids: list[str], *, internal: bool = True) -> dict[str, Any]:
        return {
            "internal": internal,
            "providers": {i: {"order": 0, "operationalInfo": {}} for i in ids},
        }

    return {
        "keys": spi(list(PROVIDERS), internal=False),
        "protocol-mapper": spi([m[0] for m in _MAPPER_TYPES], internal=False),
        "password-policy": spi([p[0] for p in PASSWORD_POLICIES], internal=False),
        "login-protocol": spi(["openid-connect"]),
        "client-installation": spi(
            [p["id"] for ps in INSTALLATION_PROVIDERS.values() for p in ps], internal=False
        ),
        "connectionsJpa": spi(["default"]),
        "datastore": spi(["legacy"]),
    }


def _mapper_types() -> dict[str, list[dict[str, Any]]]:
    return {
        "openid-connect": [
            {
                "id": kind,
                "name": name,
                "category": category,
                "helpText": "",
                "priority": 0,
                "properties": [
                    {
                        "name": prop,
                        "label": label,
                        "helpText": "",
                        "type": type_,
                        "defaultValue": default,
                        "secret": False,
                        "readOnly": False,
                    }
                    for prop, label, type_, default in properties
                ],
            }
            for kind, name, category, properties in _MAPPER_TYPES
        ]
    }


def server_info(
    version: str,
    *,
    disabled_features: list[str],
    folder_themes: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """ServerInfoRepresentation for the admin console, Terraform and python-keycloak.
    Themes: the built-in one under Keycloak's names too (tools check a realm's loginTheme
    against this list) and the themes folder's login and e-mail themes."""
    locales = _theme_locales()
    builtin = ["keycloak", "keycloak.v2", BUILTIN]
    folder = folder_themes or {}

    def themes(type: str) -> list[dict[str, Any]]:
        names = builtin + [n for n in folder.get(type, []) if n not in builtin]
        return [{"name": name, "locales": locales} for name in names]

    return {
        "systemInfo": _system(version),
        "memoryInfo": _memory(),
        "profileInfo": {
            "name": "community",
            "disabledFeatures": disabled_features,
            "previewFeatures": [],
            "experimentalFeatures": [],
        },
        "themes": {
            "login": themes("login"),
            "account": themes("account"),
            "admin": themes("admin"),
            "email": themes("email"),
        },
        "providers": _providers(),
        "enums": {
            "sslRequired": _SSL_REQUIRED,
            "eventType": _EVENT_TYPES,
            "operationType": _OPERATION_TYPES,
            "resourceType": _RESOURCE_TYPES,
        },
        "builtinProtocolMappers": {
            "openid-connect": [mapper_representation(m) for m in BUILTIN_MAPPERS]
        },
        "protocolMapperTypes": _mapper_types(),
        "passwordPolicies": [
            {
                "id": id,
                "displayName": name,
                "configType": config_type,
                "defaultValue": default,
                "multipleSupported": multiple,
            }
            for id, name, config_type, default, multiple in PASSWORD_POLICIES
        ],
        "clientInstallations": INSTALLATION_PROVIDERS,
        "componentTypes": {
            PROVIDER_TYPE: [
                {"id": p, "helpText": "", "properties": [], "metadata": {}} for p in PROVIDERS
            ]
        },
    }


@router.get("/serverinfo")
async def get_server_info(a: Admin = Depends(admin)) -> dict[str, Any]:
    """Any realm admin may read it (Keycloak: `AdminPermissions.realms().isAdmin()`)."""
    if not (a.principal.superuser or a.principal.management_roles):
        raise Forbidden("HTTP 403 Forbidden")
    persistent = getattr(a.runtime.storage, "persistent_sessions", True)
    themes = a.runtime.pages.themes
    return server_info(
        a.runtime.version,
        disabled_features=[] if persistent else ["PERSISTENT_USER_SESSIONS"],
        folder_themes={type: themes.names(type) for type in THEME_TYPES},
    )
