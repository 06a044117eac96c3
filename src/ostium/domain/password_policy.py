"""A realm's password policy: Keycloak's policy string, parsed and applied.

Keycloak keeps a realm's policy as one string, `length(12) and digits(1) and notUsername`,
each part a policy provider's id with its configuration in parentheses
(`PasswordPolicy.Builder`). Parsing follows Keycloak: the string is split on " and ", an
id Keycloak 26 does not know is refused ("Password policy not found"), a configuration
its provider cannot read is refused as "Invalid config for <id>: <why>", a policy given
twice keeps its first place and its last value, and an id with no parentheses takes its
provider's default. The canonical text (`PasswordPolicy.text`) is what Keycloak's
`asString()` writes back, so an import and export round-trip it unchanged.

Checking a new password is split in two. `first_violation` applies every rule that
needs only the password and the user (lengths, character classes, names, the regular
expression, the blacklist, through a lookup the caller passes) and is pure. Rules that
compare with stored hashes (`passwordHistory`, `passwordAge`) need the hashing pool, so
services/password_policy.py applies them. A violation carries Keycloak's message key
and parameters (the contract clients and themes read) and an English sentence in
Ostium's words.

Regular expressions are Python's `re`, matched against the whole password as Java's
`Matcher.matches()` does; patterns using Java-only syntax are refused when the policy is
set, never at a user's password change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_HASH_ALGORITHM",
    "HASH_ALGORITHMS",
    "POLICY_IDS",
    "PasswordPolicy",
    "PolicyConfigError",
    "PolicyViolation",
    "first_violation",
    "parse_policy",
    "password_expired",
]

# Keycloak 26's password hash providers that Ostium also implements (services/passwords.py).
HASH_ALGORITHMS: Final = ("argon2", "pbkdf2-sha512", "pbkdf2-sha256", "pbkdf2")
DEFAULT_HASH_ALGORITHM: Final = "argon2"

_INT = "int"
_TEXT = "text"
_NONE = "none"
# id → (kind of configuration, default when the id comes without parentheses).
# Defaults are the providers' `parseConfig` defaults in Keycloak 26.
_POLICIES: Final[dict[str, tuple[str, int | str | None]]] = {
    "length": (_INT, 8),
    "maxLength": (_INT, 64),
    "digits": (_INT, 1),
    "lowerCase": (_INT, 1),
    "upperCase": (_INT, 1),
    "specialChars": (_INT, 1),
    "notUsername": (_NONE, None),
    "notContainsUsername": (_NONE, None),
    "notEmail": (_NONE, None),
    "regexPattern": (_TEXT, None),
    "passwordHistory": (_INT, 3),
    "passwordAge": (_INT, 30),
    "forceExpiredPasswordChange": (_INT, 365),
    "hashAlgorithm": (_TEXT, DEFAULT_HASH_ALGORITHM),
    "hashIterations": (_INT, -1),
    "passwordBlacklist": (_TEXT, None),
    "maxAuthAge": (_INT, -1),
    "recoveryCodesWarningThreshold": (_INT, 4),
}
POLICY_IDS: Final = tuple(_POLICIES)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT32 = 2**31


class PolicyConfigError(ValueError):
    """A policy string Keycloak would refuse; `message` is the admin API's errorMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PolicyViolation:
    """The first rule a new password breaks: Keycloak's message key and parameters."""

    key: str
    parameters: tuple[int | str, ...] = ()

    @property
    def text(self) -> str:
        """An English sentence for people (the wording is Ostium's own)."""
        template = _TEXTS.get(self.key, "Invalid password.")
        return template.format(*self.parameters)


_TEXTS: Final = {
    "invalidPasswordMinLengthMessage": "Invalid password: use at least {0} characters.",
    "invalidPasswordMaxLengthMessage": "Invalid password: use at most {0} characters.",
    "invalidPasswordMinDigitsMessage": "Invalid password: include at least {0} digit(s).",
    "invalidPasswordMinLowerCaseCharsMessage": (
        "Invalid password: include at least {0} lowercase letter(s)."
    ),
    "invalidPasswordMinUpperCaseCharsMessage": (
        "Invalid password: include at least {0} uppercase letter(s)."
    ),
    "invalidPasswordMinSpecialCharsMessage": (
        "Invalid password: include at least {0} character(s) that are neither letters nor digits."
    ),
    "invalidPasswordNotUsernameMessage": "Invalid password: it may not be the username.",
    "invalidPasswordNotContainsUsernameMessage": (
        "Invalid password: it may not contain the username."
    ),
    "invalidPasswordNotEmailMessage": "Invalid password: it may not be the e-mail address.",
    "invalidPasswordRegexPatternMessage": (
        "Invalid password: it does not match the required pattern {0}."
    ),
    "invalidPasswordHistoryMessage": (
        "Invalid password: it may not be one of the last {0} passwords."
    ),
    "invalidPasswordGenericMessage": ("Invalid password: it was used within the last {0} days."),
    "invalidPasswordBlacklistedMessage": (
        "Invalid password: it is on the list of passwords that are too easy to guess."
    ),
}


@dataclass(frozen=True)
class PasswordPolicy:
    """A parsed policy: `entries` in the string's order, each id with its value (an int,
    a pattern, a name, or None for rules without one); `written` holds the same ids with
    their configuration as written, from which Keycloak's canonical string is made."""

    entries: tuple[tuple[str, int | str | None], ...] = ()
    written: tuple[tuple[str, str | None], ...] = ()

    @property
    def text(self) -> str | None:
        """Keycloak's canonical string (`Builder.asString`), None for no policy: a blank
        or missing configuration is written without parentheses."""
        if not self.entries:
            return None
        return " and ".join(
            f"{key}({config})" if config is not None and config.strip() else key
            for key, config in self.written
        )

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.entries)

    def value(self, key: str) -> int | str | None:
        return next((v for k, v in self.entries if k == key), None)

    def _int(self, key: str, absent: int) -> int:
        value = self.value(key)
        return value if isinstance(value, int) and self.has(key) else absent

    @property
    def hash_algorithm(self) -> str:
        value = self.value("hashAlgorithm")
        return value if isinstance(value, str) else DEFAULT_HASH_ALGORITHM

    @property
    def hash_iterations(self) -> int:
        """-1: the algorithm's own default (Keycloak's convention)."""
        return self._int("hashIterations", -1)

    @property
    def history(self) -> int:
        """passwordHistory(n): the current password and the n-1 before it are refused."""
        return self._int("passwordHistory", -1)

    @property
    def password_age_days(self) -> int:
        return self._int("passwordAge", -1)

    @property
    def days_to_expire(self) -> int:
        return self._int("forceExpiredPasswordChange", -1)

    @property
    def max_auth_age(self) -> int:
        return self._int("maxAuthAge", -1)

    @property
    def blacklist(self) -> str | None:
        value = self.value("passwordBlacklist")
        return value if isinstance(value, str) and value else None


def parse_policy(text: str | None) -> PasswordPolicy:
    """The policy a string names, or PolicyConfigError with Keycloak's errorMessage.

    The blacklist file's existence is not checked here (domain code reads no files):
    services/password_policy.py does that before a policy is stored.
    """
    if text is None or not text.strip():
        return PasswordPolicy()
    raw: dict[str, str | None] = {}
    for part in text.split(" and "):
        part = part.strip()
        opening = part.find("(")
        if opening == -1:
            key, config = part, None
        else:
            key = part[:opening].strip()
            if not part.endswith(")"):
                raise PolicyConfigError(f"Invalid config for {key}: missing closing parenthesis")
            config = part[opening + 1 : -1]
        if key not in _POLICIES:
            raise PolicyConfigError("Password policy not found")
        raw[key] = config  # a repeated id keeps its first place and its last value
    entries = tuple((key, _parse_config(key, config)) for key, config in raw.items())
    return PasswordPolicy(entries, tuple(raw.items()))


def _parse_config(key: str, config: str | None) -> int | str | None:
    kind, default = _POLICIES[key]
    if kind == _NONE:
        return None  # Keycloak ignores what such a policy is given (`notUsername(undefined)`)
    if kind == _INT:
        if config is None:
            return default
        if not _INTEGER.fullmatch(config) or not -_INT32 <= int(config) < _INT32:
            raise PolicyConfigError(f"Invalid config for {key}: Not a valid number")
        return int(config)
    if key == "regexPattern":
        if config is None:
            raise PolicyConfigError(f"Invalid config for {key}: a regular expression is required")
        if not config.strip():
            raise PolicyConfigError(f"Invalid config for {key}: blank is not a pattern")
        try:
            re.compile(config)
        except re.error:
            raise PolicyConfigError(
                f"Invalid config for {key}: Not a valid regular expression"
            ) from None
        return config
    if key == "hashAlgorithm":
        algorithm = config.strip() if config and config.strip() else DEFAULT_HASH_ALGORITHM
        if algorithm not in HASH_ALGORITHMS:
            raise PolicyConfigError(
                f"Invalid config for {key}: Password hashing provider not found"
                f" (supported: {', '.join(HASH_ALGORITHMS)})"
            )
        return algorithm
    # passwordBlacklist: a file name in the blacklists folder; no parentheses, no list.
    if config is None:
        return None
    name = config.strip()
    if not name:
        raise PolicyConfigError(f"Invalid config for {key}: the blacklist's file name is empty")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise PolicyConfigError(
            f"Invalid config for {key}: a blacklist is a file name in the blacklists"
            " folder, without a path"
        )
    return name


def first_violation(
    policy: PasswordPolicy,
    password: str,
    *,
    username: str | None,
    email: str | None,
    blacklisted: Callable[[str, str], bool] | None = None,
) -> PolicyViolation | None:
    """The first rule, in the policy string's order, that `password` breaks; None if
    it keeps them all. `blacklisted(name, password)` answers for `passwordBlacklist`
    (services/password_blacklists.py), compared in lower case as Keycloak does.
    History and age rules are not checked here (they need the stored hashes)."""
    for key, value in policy.entries:
        violation = _check(key, value, password, username, email, blacklisted)
        if violation is not None:
            return violation
    return None


def _count(password: str, test: Callable[[str], bool]) -> int:
    return sum(1 for c in password if test(c))


def _check(
    key: str,
    value: int | str | None,
    password: str,
    username: str | None,
    email: str | None,
    blacklisted: Callable[[str, str], bool] | None,
) -> PolicyViolation | None:
    minimum = value if isinstance(value, int) else 0
    counted: dict[str, tuple[Callable[[str], bool], str]] = {
        "digits": (str.isdigit, "invalidPasswordMinDigitsMessage"),
        "lowerCase": (str.islower, "invalidPasswordMinLowerCaseCharsMessage"),
        "upperCase": (str.isupper, "invalidPasswordMinUpperCaseCharsMessage"),
        # Keycloak counts every character that is neither a letter nor a digit.
        "specialChars": (lambda c: not c.isalnum(), "invalidPasswordMinSpecialCharsMessage"),
    }
    if key == "length" and len(password) < minimum:
        return PolicyViolation("invalidPasswordMinLengthMessage", (minimum,))
    if key == "maxLength" and len(password) > minimum:
        return PolicyViolation("invalidPasswordMaxLengthMessage", (minimum,))
    if key in counted:
        test, message = counted[key]
        if _count(password, test) < minimum:
            return PolicyViolation(message, (minimum,))
    if key == "notUsername" and username and password.lower() == username.lower():
        return PolicyViolation("invalidPasswordNotUsernameMessage")
    if key == "notContainsUsername" and username and username.lower() in password.lower():
        return PolicyViolation("invalidPasswordNotContainsUsernameMessage")
    if key == "notEmail" and email and password.lower() == email.lower():
        return PolicyViolation("invalidPasswordNotEmailMessage")
    if key == "regexPattern" and isinstance(value, str) and re.fullmatch(value, password) is None:
        return PolicyViolation("invalidPasswordRegexPatternMessage", (value,))
    if (
        key == "passwordBlacklist"
        and isinstance(value, str)
        and blacklisted is not None
        and blacklisted(value, password.lower())
    ):
        return PolicyViolation("invalidPasswordBlacklistedMessage")
    return None


def password_expired(policy: PasswordPolicy, created_ms: int | None, now: int) -> bool:
    """forceExpiredPasswordChange(days): whether a password set at `created_ms`
    (milliseconds, the credential's createdDate) has expired at `now` (seconds).

    Keycloak's UpdatePassword required action: more than `days` elapsed, or a password
    with no creation date, means UPDATE_PASSWORD at the next login. The required-actions
    code calls this at login with the user's password credential."""
    days = policy.days_to_expire
    if days < 0:
        return False
    if not created_ms:
        return True
    return now * 1000 - created_ms > days * 86_400_000
