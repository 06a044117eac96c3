"""Keycloak's declarative user profile (UPConfig), as pure rules: no storage, no HTTP.

A realm's profile says which user attributes exist (`attributes`), how they are checked
(`validations`: validator name → config), who may see and change them (`permissions`
with the pseudo-roles `admin` and `user`), when they are required (`required`), how they
are grouped on forms (`groups`), and what happens to attributes it does not name
(`unmanagedAttributePolicy`). The same rules serve the admin API, and later the account
console and registration, so they live here where a unit test reaches them directly.

Keycloak: `UPConfig`, `UPAttribute`, `UPConfigUtils.validate`, `DeclarativeUserProfileProvider`,
`DefaultAttributes` and the `org.keycloak.validate.validators` package.
"""

from __future__ import annotations

import datetime
import encodings.idna
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ADMIN",
    "ADMIN_READ_ONLY_ATTRIBUTES",
    "BUILT_IN",
    "CONFIG_KEY",
    "PROVIDER_ID",
    "PROVIDER_TYPE",
    "UNMANAGED_POLICIES",
    "USER",
    "VALIDATORS",
    "ProfileConfigError",
    "ProfileError",
    "ProfileRules",
    "canonical_config",
    "component_representation",
    "config_text_of_component",
    "default_config",
    "metadata",
    "rejection",
    "validate_values",
]

ADMIN = "admin"  # the pseudo-role of the admin API context (Keycloak's USER_API)
USER = "user"  # the pseudo-role of every user-facing context (account, registration)
PSEUDO_ROLES = frozenset({ADMIN, USER})
UNMANAGED_POLICIES = ("ENABLED", "ADMIN_VIEW", "ADMIN_EDIT")
BUILT_IN = ("username", "email", "firstName", "lastName")
# Attributes an administrator may never set by hand (Keycloak's admin read-only defaults):
# they belong to federation or to the server itself.
ADMIN_READ_ONLY_ATTRIBUTES = frozenset(
    {
        "KERBEROS_PRINCIPAL",
        "LDAP_ID",
        "LDAP_ENTRY_DN",
        "CREATED_TIMESTAMP",
        "createTimestamp",
        "modifyTimestamp",
    }
)
# An attribute no `length` validator bounds is still bounded, against abuse (Keycloak's
# DefaultAttributes.DEFAULT_MAX_LENGTH_ATTRIBUTES).
DEFAULT_MAX_LENGTH = 2048
_NAME = re.compile(r"[a-zA-Z0-9._\-]+")


class ProfileConfigError(ValueError):
    """A UPConfig that cannot be stored; the message lists every problem found."""


@dataclass(frozen=True)
class ProfileError:
    """One failed check, in Keycloak's ErrorRepresentation terms: the attribute (`field`),
    the message key (`errorMessage`) and its parameters (the attribute name first)."""

    field: str
    message: str
    params: tuple[Any, ...] = ()

    def representation(self) -> dict[str, Any]:
        return {"field": self.field, "errorMessage": self.message, "params": list(self.params)}


# --- the default profile ------------------------------------------------------------------


def default_config() -> dict[str, Any]:
    """The profile of a realm that has none stored: Keycloak's built-in default.

    username and email are visible and editable by both pseudo-roles; first and last name
    likewise, and email and the names are required in user-facing forms only (`roles:
    ["user"]`), so an administrator may still create a user with just a username.
    """
    anyone = {"view": [ADMIN, USER], "edit": [ADMIN, USER]}
    names = {"length": {"max": 255}, "person-name-prohibited-characters": {}}
    return canonical_config(
        {
            "attributes": [
                {
                    "name": "username",
                    "displayName": "${username}",
                    "validations": {
                        "length": {"min": 3, "max": 255},
                        "username-prohibited-characters": {},
                        "up-username-not-idn-homograph": {},
                    },
                    "permissions": anyone,
                },
                {
                    "name": "email",
                    "displayName": "${email}",
                    "validations": {"email": {}, "length": {"max": 255}},
                    "required": {"roles": [USER]},
                    "permissions": anyone,
                },
                {
                    "name": "firstName",
                    "displayName": "${firstName}",
                    "validations": dict(names),
                    "required": {"roles": [USER]},
                    "permissions": anyone,
                },
                {
                    "name": "lastName",
                    "displayName": "${lastName}",
                    "validations": dict(names),
                    "required": {"roles": [USER]},
                    "permissions": anyone,
                },
            ],
            "groups": [
                {
                    "name": "user-metadata",
                    "displayHeader": "User metadata",
                    "displayDescription": "Attributes, which refer to user metadata",
                }
            ],
        },
        scopes=None,
    )


# --- validators ---------------------------------------------------------------------------

Check = Callable[[str, list[str], Mapping[str, Any]], list[ProfileError]]
ConfigCheck = Callable[[Mapping[str, Any]], list[str]]


def _number(value: Any, kind: type = int) -> float | int | None:
    """A config number: Keycloak accepts JSON numbers and numeric strings alike."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if kind is float or float(value).is_integer() else None
    if isinstance(value, str):
        try:
            return int(value) if kind is int else float(value)
        except ValueError:
            return None
    return None


def _bounds_problems(config: Mapping[str, Any], kind: type = int) -> list[str]:
    problems = []
    for key in ("min", "max"):
        if key in config and config[key] is not None and _number(config[key], kind) is None:
            problems.append(f"'{key}' must be a number")
    low, high = _number(config.get("min"), kind), _number(config.get("max"), kind)
    if not problems and low is not None and high is not None and low > high:
        problems.append("'min' must not be greater than 'max'")
    return problems


def _range_error(
    attribute: str, value: float, config: Mapping[str, Any], kind: type, prefix: str
) -> list[ProfileError]:
    low, high = _number(config.get("min"), kind), _number(config.get("max"), kind)
    if (low is None or value >= low) and (high is None or value <= high):
        return []
    if low is not None and high is not None:
        return [ProfileError(attribute, prefix, (attribute, low, high))]
    if low is not None:
        return [ProfileError(attribute, f"{prefix}-too-small", (attribute, low))]
    return [ProfileError(attribute, f"{prefix}-too-big", (attribute, high))]


def _length(attribute: str, values: list[str], config: Mapping[str, Any]) -> list[ProfileError]:
    """`length` {min, max}: counted in characters, on every value."""
    low, high = _number(config.get("min")), _number(config.get("max"))
    for value in values:
        size = len(value)
        if (low is None or size >= low) and (high is None or size <= high):
            continue
        if low is not None and high is not None:
            return [ProfileError(attribute, "error-invalid-length", (attribute, low, high))]
        if low is not None:
            return [ProfileError(attribute, "error-invalid-length-too-short", (attribute, low))]
        return [ProfileError(attribute, "error-invalid-length-too-long", (attribute, high))]
    return []


_EMAIL = re.compile(
    r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    r"@(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?"
)


def _email(attribute: str, values: list[str], config: Mapping[str, Any]) -> list[ProfileError]:
    """`email`: an addr-spec with a dot-atom local part no longer than `max-local-length`
    (64 by default, RFC 5321 §4.5.3.1.1)."""
    limit = _number(config.get("max-local-length")) or 64
    for value in values:
        local, _, domain = value.rpartition("@")
        try:
            # An internationalised domain is checked in its ASCII form (RFC 5890).
            ascii_value = f"{local}@{domain.encode('idna').decode('ascii')}" if domain else value
        except UnicodeError:
            ascii_value = value
        if not _EMAIL.fullmatch(ascii_value) or len(local) > limit:
            return [ProfileError(attribute, "error-invalid-email", (attribute,))]
    return []


def _pattern(attribute: str, values: list[str], config: Mapping[str, Any]) -> list[ProfileError]:
    """`pattern` {pattern, error-message}: every value matches the whole expression."""
    pattern = re.compile(str(config.get("pattern")))
    message = str(config.get("error-message") or "error-pattern-no-match")
    for value in values:
        if not pattern.fullmatch(value):
            return [ProfileError(attribute, message, (attribute, str(config.get("pattern"))))]
    return []


def _pattern_config(config: Mapping[str, Any]) -> list[str]:
    pattern = config.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        return ["'pattern' is required"]
    try:
        re.compile(pattern)
    except re.error as exc:
        return [f"'pattern' is not a valid regular expression ({exc})"]
    return []


def _options(attribute: str, values: list[str], config: Mapping[str, Any]) -> list[ProfileError]:
    """`options` {options: [...]}: every value is one of the listed options."""
    allowed = {str(o) for o in config.get("options") or []}
    for value in values:
        if value not in allowed:
            return [ProfileError(attribute, "error-invalid-option", (attribute, value))]
    return []


def _options_config(config: Mapping[str, Any]) -> list[str]:
    options = config.get("options")
    if not isinstance(options, list) or not all(isinstance(o, str | int) for o in options):
        return ["'options' must be a list of strings"]
    return []


def _numeric(kind: type) -> Check:
    def check(attribute: str, values: list[str], config: Mapping[str, Any]) -> list[ProfileError]:
        """`integer` / `double` {min, max}."""
        for value in values:
            parsed = _number(value.strip(), kind)
            if parsed is None or (isinstance(parsed, float) and not math.isfinite(parsed)):
                return [ProfileError(attribute, "error-invalid-number", (attribute,))]
            errors = _range_error(attribute, parsed, config, kind, "error-number-out-of-range")
            if errors:
                return errors
        return []

    return check


def _uri(attribute: str, values: list[str], config: Mapping[str, Any]) -> list[ProfileError]:
    """`uri` {allowedSchemes, allowFragment, requireValidUrl}: an absolute URI."""
    schemes = config.get("allowedSchemes")
    for value in values:
        try:
            parts = urlsplit(value)
        except ValueError:
            return [ProfileError(attribute, "error-invalid-uri", (attribute,))]
        if not parts.scheme or any(c.isspace() for c in value):
            return [ProfileError(attribute, "error-invalid-uri", (attribute,))]
        if isinstance(schemes, list) and schemes and parts.scheme not in schemes:
            return [ProfileError(attribute, "error-invalid-uri-scheme", (attribute,))]
        if config.get("allowFragment") in (False, "false") and parts.fragment:
            return [ProfileError(attribute, "error-invalid-uri-fragment", (attribute,))]
        if config.get("requireValidUrl") in (True, "true") and not parts.netloc:
            return [ProfileError(attribute, "error-invalid-uri", (attribute,))]
    return []


# Keycloak's person-name rule: markup, shell and control characters have no place in a name.
_PERSON_NAME_BAD = re.compile(r"[<>&\"$%!#?§;*~/\\|^=\[\]{}()\x00-\x1f\x7f]")
# Keycloak's username rule: no whitespace, quotes, markup or separators.
_USERNAME_BAD = re.compile(r"[<>&\"'\s\v$%!#?§,;:*~/\\|^=\[\]{}()`]")


def _person_name(
    attribute: str, values: list[str], config: Mapping[str, Any]
) -> list[ProfileError]:
    """`person-name-prohibited-characters` {error-message}."""
    message = str(config.get("error-message") or "error-person-name-invalid-character")
    if any(_PERSON_NAME_BAD.search(v) for v in values):
        return [ProfileError(attribute, message, (attribute,))]
    return []


def _latin_or_common(char: str) -> bool:
    """Java's `\\p{IsLatin}|\\p{IsCommon}`: Latin letters, digits, punctuation, symbols."""
    if ord(char) < 0x80:
        return True
    if unicodedata.category(char).startswith("L"):
        return "LATIN" in unicodedata.name(char, "")
    return not unicodedata.category(char).startswith("M")


def _username_chars(
    attribute: str, values: list[str], config: Mapping[str, Any]
) -> list[ProfileError]:
    """`username-prohibited-characters` {error-message}: Latin script and no separators."""
    message = str(config.get("error-message") or "error-username-invalid-character")
    for value in values:
        if _USERNAME_BAD.search(value) or not all(_latin_or_common(c) for c in value):
            return [ProfileError(attribute, message, (attribute,))]
    return []


def _idn_homograph(
    attribute: str, values: list[str], config: Mapping[str, Any]
) -> list[ProfileError]:
    """`up-username-not-idn-homograph`: the username survives IDNA ToASCII/ToUnicode
    (RFC 3490) unchanged, so a look-alike of another script cannot pose as it."""
    for value in values:
        try:
            labels = value.split(".")
            round_trip = ".".join(
                encodings.idna.ToUnicode(encodings.idna.ToASCII(label)) if label else label
                for label in labels
            )
        except UnicodeError:
            round_trip = None
        if round_trip != value:
            return [ProfileError(attribute, "error-username-invalid-character", (attribute,))]
    return []


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _local_date(attribute: str, values: list[str], config: Mapping[str, Any]) -> list[ProfileError]:
    """`local-date`: an ISO 8601 calendar date, yyyy-mm-dd."""
    for value in values:
        try:
            valid = bool(_DATE.fullmatch(value)) and bool(datetime.date.fromisoformat(value))
        except ValueError:
            valid = False
        if not valid:
            return [ProfileError(attribute, "error-invalid-date", (attribute,))]
    return []


def _multivalued(
    attribute: str, values: list[str], config: Mapping[str, Any]
) -> list[ProfileError]:
    """`multivalued` {min, max}: how many values the attribute may hold."""
    low = _number(config.get("min")) or 0
    high = _number(config.get("max"))
    count = len(values)
    if count < low or (high is not None and count > high):
        return [ProfileError(attribute, "error-invalid-multivalued-size", (attribute, low, high))]
    return []


def _multivalued_config(config: Mapping[str, Any]) -> list[str]:
    if config.get("max") is None:
        return ["'max' is required"]
    return _bounds_problems(config)


def _no_config(config: Mapping[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True)
class Validator:
    check: Check
    check_config: ConfigCheck = _no_config


VALIDATORS: dict[str, Validator] = {
    "length": Validator(_length, _bounds_problems),
    "email": Validator(_email),
    "pattern": Validator(_pattern, _pattern_config),
    "options": Validator(_options, _options_config),
    "integer": Validator(_numeric(int), _bounds_problems),
    "double": Validator(_numeric(float), lambda c: _bounds_problems(c, float)),
    "uri": Validator(_uri),
    "person-name-prohibited-characters": Validator(_person_name),
    "username-prohibited-characters": Validator(_username_chars),
    "up-username-not-idn-homograph": Validator(_idn_homograph),
    "local-date": Validator(_local_date),
    "multivalued": Validator(_multivalued, _multivalued_config),
}


def validate_values(
    name: str, attribute: str, values: list[str], config: Mapping[str, Any]
) -> list[ProfileError]:
    """Run one validator; empty values are skipped, as every validator of a profile is
    configured with Keycloak's `ignore.empty.value` (emptiness is `required`'s business),
    except `multivalued`, which counts."""
    if name != "multivalued":
        values = [v for v in values if v != ""]
        if not values:
            return []
    return VALIDATORS[name].check(attribute, values, config)


# --- reading and checking a UPConfig ------------------------------------------------------


def _strings(value: Any, where: str, problems: list[str]) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"'{where}' must be a list of strings")
        return None
    return list(dict.fromkeys(value))


def _object(value: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"'{where}' must be an object")
        return None
    return value


def _unknown(raw: Mapping[str, Any], known: Sequence[str], where: str, problems: list[str]) -> None:
    for key in raw:
        if key not in known:
            problems.append(f"unknown field '{key}' in {where}")


def _roles(value: Any, where: str, attribute: str, problems: list[str]) -> list[str] | None:
    roles = _strings(value, where, problems)
    for role in roles or []:
        if role not in PSEUDO_ROLES:
            problems.append(
                f"'{where}' configuration for attribute '{attribute}' contains unsupported "
                f"role '{role}'"
            )
    return roles


def _scopes(
    value: Any, where: str, attribute: str, scopes: frozenset[str] | None, problems: list[str]
) -> list[str] | None:
    names = _strings(value, where, problems)
    if scopes is not None:
        for scope in names or []:
            if scope not in scopes:
                problems.append(
                    f"'{where}' configuration for attribute '{attribute}' contains unsupported "
                    f"scope '{scope}'"
                )
    return names


_ATTRIBUTE_KEYS = (
    "name",
    "displayName",
    "validations",
    "annotations",
    "required",
    "permissions",
    "selector",
    "group",
    "multivalued",
    "defaultValue",
)
_GROUP_KEYS = ("name", "displayHeader", "displayDescription", "annotations")


def _attribute(
    raw: Any, index: int, scopes: frozenset[str] | None, problems: list[str]
) -> dict[str, Any] | None:
    where = f"attributes[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"'{where}' must be an object")
        return None
    _unknown(raw, _ATTRIBUTE_KEYS, where, problems)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("Attribute configuration without 'name' is not allowed")
        return None
    name = name.strip()
    if not _NAME.fullmatch(name):
        problems.append(
            "Invalid attribute name (only letters, numbers and '.' '_' '-' special characters "
            f"allowed): '{name}'"
        )
    out: dict[str, Any] = {"name": name}
    for key in ("displayName", "group", "defaultValue"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"'{where}.{key}' must be a string")
        elif value is not None:
            out[key] = value.strip() if key == "group" else value
    validations = _object(raw.get("validations"), f"{where}.validations", problems)
    if validations is not None:
        out["validations"] = {}
        for validator, config in validations.items():
            config = {} if config is None else config
            if not isinstance(config, dict):
                problems.append(
                    f"Validator '{validator}' of attribute '{name}': config must be an object"
                )
                continue
            if validator not in VALIDATORS:
                problems.append(
                    f"Validator '{validator}' defined for attribute '{name}' doesn't exist"
                )
                continue
            for problem in VALIDATORS[validator].check_config(config):
                problems.append(
                    f"Validator '{validator}' defined for attribute '{name}' has incorrect "
                    f"configuration: {problem}"
                )
            out["validations"][validator] = dict(config)
    annotations = _object(raw.get("annotations"), f"{where}.annotations", problems)
    if annotations is not None:
        out["annotations"] = dict(annotations)
    required = _object(raw.get("required"), f"{where}.required", problems)
    if required is not None:
        _unknown(required, ("roles", "scopes"), f"{where}.required", problems)
        entry: dict[str, Any] = {}
        roles = _roles(required.get("roles"), "required.roles", name, problems)
        if roles is not None:
            entry["roles"] = roles
        scope_names = _scopes(required.get("scopes"), "required.scopes", name, scopes, problems)
        if scope_names is not None:
            entry["scopes"] = scope_names
        out["required"] = entry
    permissions = _object(raw.get("permissions"), f"{where}.permissions", problems)
    if permissions is not None:
        _unknown(permissions, ("view", "edit"), f"{where}.permissions", problems)
        out["permissions"] = {
            "view": _roles(permissions.get("view"), "permissions.view", name, problems) or [],
            "edit": _roles(permissions.get("edit"), "permissions.edit", name, problems) or [],
        }
    selector = _object(raw.get("selector"), f"{where}.selector", problems)
    if selector is not None:
        _unknown(selector, ("scopes",), f"{where}.selector", problems)
        picked = _scopes(selector.get("scopes"), "selector.scopes", name, scopes, problems)
        out["selector"] = {} if picked is None else {"scopes": picked}
    multivalued = raw.get("multivalued", False)
    if not isinstance(multivalued, bool):
        problems.append(f"'{where}.multivalued' must be true or false")
    out["multivalued"] = multivalued is True
    # Keycloak's field order, so a GET answers the same bytes Keycloak would.
    return {k: out[k] for k in _ATTRIBUTE_KEYS if k in out}


def canonical_config(raw: object, *, scopes: frozenset[str] | None) -> dict[str, Any]:
    """The UPConfig `raw` in canonical form, or ProfileConfigError listing its problems.

    Keycloak's checks (UPConfigUtils.validate): an `attributes` section, names unique and
    made of letters, digits, `.`, `_`, `-`; validators that exist with a config they accept;
    only the pseudo-roles `admin` and `user`; scopes that the realm has (`scopes`, None to
    skip that check). Ostium refuses more than Keycloak where Keycloak's acceptance breaks
    the realm: a profile without `username` or `email` (Keycloak stores it, and then no
    user of the realm can log in), a group that no `groups` entry declares, and fields
    that are not part of UPConfig (never silently dropped).
    """
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ProfileConfigError("the user profile configuration must be a JSON object")
    _unknown(
        raw, ("attributes", "groups", "unmanagedAttributePolicy"), "the configuration", problems
    )
    raw_attributes = raw.get("attributes")
    if raw_attributes is None:
        problems.append("UserProfile configuration without 'attributes' section is not allowed")
        raw_attributes = []
    if not isinstance(raw_attributes, list):
        problems.append("'attributes' must be a list")
        raw_attributes = []
    raw_groups = raw.get("groups") or []
    if not isinstance(raw_groups, list):
        problems.append("'groups' must be a list")
        raw_groups = []
    groups: list[dict[str, Any]] = []
    for index, group in enumerate(raw_groups):
        if not isinstance(group, dict) or not isinstance(group.get("name"), str):
            problems.append(f"'groups[{index}]' must be an object with a 'name'")
            continue
        _unknown(group, _GROUP_KEYS, f"groups[{index}]", problems)
        entry = {k: group[k] for k in _GROUP_KEYS if group.get(k) is not None}
        entry["name"] = entry["name"].strip()
        if any(g["name"] == entry["name"] for g in groups):
            problems.append(f"Group configuration already exists with 'name':'{entry['name']}'")
        groups.append(entry)
    attributes: list[dict[str, Any]] = []
    for index, item in enumerate(raw_attributes):
        attribute = _attribute(item, index, scopes, problems)
        if attribute is None:
            continue
        if any(a["name"] == attribute["name"] for a in attributes):
            problems.append(
                f"Attribute configuration already exists with 'name':'{attribute['name']}'"
            )
            continue
        group = attribute.get("group")
        if group is not None and not any(g["name"] == group for g in groups):
            problems.append(
                f"Attribute '{attribute['name']}' refers to an undefined group '{group}'"
            )
        attributes.append(attribute)
    declared = {a["name"] for a in attributes}
    for name in ("username", "email"):
        if raw.get("attributes") is not None and name not in declared:
            problems.append(f"The attribute '{name}' cannot be removed")
    policy = raw.get("unmanagedAttributePolicy")
    if policy is not None and policy not in UNMANAGED_POLICIES:
        problems.append(
            "unmanagedAttributePolicy: expected one of " + ", ".join(UNMANAGED_POLICIES)
        )
    if problems:
        raise ProfileConfigError("; ".join(problems))
    config: dict[str, Any] = {}
    if attributes:
        config["attributes"] = attributes
    config["groups"] = groups
    if policy is not None:
        config["unmanagedAttributePolicy"] = policy
    return config


# --- applying a profile in one context ----------------------------------------------------


@dataclass(frozen=True)
class ProfileRules:
    """A canonical UPConfig read in one context: `role` is `admin` for the admin API and
    `user` for the account console and registration."""

    config: Mapping[str, Any]
    role: str = ADMIN

    def attribute(self, name: str) -> Mapping[str, Any] | None:
        return next((a for a in self.config.get("attributes", []) if a["name"] == name), None)

    @property
    def policy(self) -> str | None:
        policy = self.config.get("unmanagedAttributePolicy")
        return policy if isinstance(policy, str) else None

    def can_edit(self, attribute: Mapping[str, Any]) -> bool:
        permissions = attribute.get("permissions")
        if permissions is None or not (permissions["view"] or permissions["edit"]):
            # Keycloak: username and email without permissions stay writable; any other
            # attribute without them is nobody's to change.
            return attribute["name"] in ("username", "email")
        return self.role in permissions["edit"]

    def can_view(self, attribute: Mapping[str, Any]) -> bool:
        permissions = attribute.get("permissions")
        if permissions is not None and self.role in permissions["view"]:
            return True
        return self.can_edit(attribute)

    def is_required(self, attribute: Mapping[str, Any], *, service_account: bool) -> bool:
        """Required in this context: `required` with no roles, or with this context's
        role. Scope-bound requirements apply only in login flows, never here; service
        accounts need none of the personal attributes. username is always required."""
        if attribute["name"] == "username":
            return True
        required = attribute.get("required")
        if required is None or service_account:
            return False
        roles = required.get("roles") or []
        if roles and self.role not in roles:
            return False
        return not required.get("scopes")

    def unmanaged_writable(self) -> bool:
        """ENABLED everywhere; ADMIN_EDIT in the admin API only; ADMIN_VIEW and no policy
        at all make unmanaged attributes read-only (absent: not even shown)."""
        return self.policy == "ENABLED" or (self.policy == "ADMIN_EDIT" and self.role == ADMIN)

    def unmanaged_visible(self) -> bool:
        return self.unmanaged_writable() or (self.policy == "ADMIN_VIEW" and self.role == ADMIN)

    def check(
        self,
        proposed: Mapping[str, list[str]],
        current: Mapping[str, list[str]],
        *,
        service_account: bool = False,
    ) -> tuple[dict[str, list[str]], list[ProfileError]]:
        """The attributes to store and the errors, given the `proposed` values of every
        attribute (after the request is applied) and the `current` stored ones.

        Managed attributes the context may not edit must come back unchanged (Keycloak's
        `updateReadOnlyAttributesRejectedMessage`); unmanaged ones are kept as stored
        unless the policy lets this context write them.
        """
        errors: list[ProfileError] = []
        result: dict[str, list[str]] = {}
        for attribute in self.config.get("attributes", []):
            name = attribute["name"]
            values = [v for v in proposed.get(name, []) if v is not None]
            before = [v for v in current.get(name, []) if v != ""]
            if not self.can_edit(attribute):
                # Not sent: kept as stored (Keycloak fills read-only attributes missing from
                # the request from the user); sent with other values: refused.
                if name in proposed and [v for v in values if v != ""] != before:
                    errors.append(
                        ProfileError(name, "updateReadOnlyAttributesRejectedMessage", (name,))
                    )
                if before:
                    result[name] = list(before)
                continue
            errors.extend(self._validate(attribute, values, service_account=service_account))
            if any(v != "" for v in values):
                result[name] = [v for v in values if v != ""]
        for name, values in proposed.items():
            if self.attribute(name) is not None:
                continue
            if self.unmanaged_writable() and name not in ADMIN_READ_ONLY_ATTRIBUTES:
                errors.extend(_length(name, values, {"min": 0, "max": DEFAULT_MAX_LENGTH}))
                if values:
                    result[name] = list(values)
        for name, values in current.items():
            if self.attribute(name) is not None or name in result:
                continue
            writable = self.unmanaged_writable() and name not in ADMIN_READ_ONLY_ATTRIBUTES
            if not writable:
                result[name] = list(values)  # read-only here: kept, whatever was sent
                if name in ADMIN_READ_ONLY_ATTRIBUTES and proposed.get(name, values) != values:
                    errors.append(
                        ProfileError(name, "updateReadOnlyAttributesRejectedMessage", (name,))
                    )
        return result, errors

    def _validate(
        self, attribute: Mapping[str, Any], values: list[str], *, service_account: bool
    ) -> list[ProfileError]:
        name = attribute["name"]
        filled = [v for v in values if v.strip() != ""]
        if not filled:
            if self.is_required(attribute, service_account=service_account):
                return [ProfileError(name, "error-user-attribute-required", (name,))]
            return []
        validations = dict(attribute.get("validations") or {})
        if not attribute.get("multivalued") and "multivalued" not in validations:
            validations["multivalued"] = {"max": 1}
        if "length" not in validations:
            validations["length"] = {"min": 0, "max": DEFAULT_MAX_LENGTH}
        errors: list[ProfileError] = []
        for validator, config in validations.items():
            errors.extend(validate_values(validator, name, filled, config))
        return errors


def metadata(rules: ProfileRules) -> dict[str, Any]:
    """Keycloak's UserProfileMetadata for the context: the attributes it may see, in the
    profile's order, with `required` and `readOnly` as they apply there, and each
    validator's config as the forms apply it (`ignore.empty.value`, the implied
    single-value `multivalued`)."""
    attributes = []
    for attribute in rules.config.get("attributes", []):
        if not rules.can_view(attribute):
            continue
        validators: dict[str, Any] = {
            name: {**config, "ignore.empty.value": True}
            for name, config in (attribute.get("validations") or {}).items()
        }
        if not attribute.get("multivalued") and "multivalued" not in validators:
            validators["multivalued"] = {"max": "1"}
        entry: dict[str, Any] = {
            "name": attribute["name"],
            "displayName": attribute.get("displayName") or attribute["name"],
            "required": rules.is_required(attribute, service_account=False),
            "readOnly": not rules.can_edit(attribute),
        }
        if attribute.get("annotations"):
            entry["annotations"] = dict(attribute["annotations"])
        entry["validators"] = validators
        if attribute.get("group"):
            entry["group"] = attribute["group"]
        entry["multivalued"] = bool(attribute.get("multivalued"))
        if attribute.get("defaultValue") is not None:
            entry["defaultValue"] = attribute["defaultValue"]
        attributes.append(entry)
    groups = [dict(g) for g in rules.config.get("groups", [])]
    return {"attributes": attributes, "groups": groups}


def rejection(errors: Sequence[ProfileError]) -> dict[str, Any]:
    """Keycloak's answer to a user the profile rejects (ErrorResponse.errors): one error
    is the ErrorRepresentation itself, several are wrapped in `errors`."""
    if len(errors) == 1:
        return errors[0].representation()
    return {"errors": [e.representation() for e in errors]}


# --- the realm component that holds the profile -------------------------------------------

PROVIDER_TYPE = "org.keycloak.userprofile.UserProfileProvider"
PROVIDER_ID = "declarative-user-profile"
CONFIG_KEY = "kc.user.profile.config"
# Keycloak before 24 split a long profile into numbered pieces.
_PIECES_COUNT = "config-pieces-count"
_PIECE = "config-piece-"


def _first_or_joined(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def config_text_of_component(config: Mapping[str, Any]) -> str | None:
    """The profile JSON held by a `declarative-user-profile` component's config, joined
    back together whichever way Keycloak split it; None when it holds none."""
    text = _first_or_joined(config.get(CONFIG_KEY))
    if text is not None:
        return text
    count = _first_or_joined(config.get(_PIECES_COUNT))
    if count is None or not count.isdigit():
        return None
    pieces = [_first_or_joined(config.get(f"{_PIECE}{i}")) for i in range(int(count))]
    return None if any(p is None for p in pieces) else "".join(p or "" for p in pieces)


def component_representation(component_id: str, config_text: str) -> dict[str, Any]:
    """The ComponentExportRepresentation a realm export carries for the profile."""
    return {
        "id": component_id,
        "providerId": PROVIDER_ID,
        "subComponents": {},
        "config": {CONFIG_KEY: [config_text]},
    }
