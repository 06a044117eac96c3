"""A new user from the registration form (Keycloak's RegistrationUserCreation and
RegistrationPassword, in the `registration` flow).

The form's values go through the realm's user profile in the user's context (the `user`
pseudo-role: only attributes a user may edit), the username is the e-mail address when
the realm says `registrationEmailAsUsername`, the password must be confirmed and meet the
realm's policy (services/password_policy.set_password). As in Keycloak, registration says
"Username already exists" / "Email already exists": a form that creates accounts cannot
hide which names are taken. The new user gets the realm's default roles, its default
required actions and, when the realm verifies e-mail (`verifyEmail`), VERIFY_EMAIL (which
the login that follows runs: protocol/required_actions.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ostium.domain import Realm, User
from ostium.domain.required_actions import VERIFY_EMAIL
from ostium.domain.user_profile import USER, ProfileRules
from ostium.services.hashing import PasswordHashing
from ostium.services.password_policy import PasswordPolicyError, set_password
from ostium.services.realm_setup import new_id
from ostium.services.required_actions import add_default_actions
from ostium.services.user_profile import profile_config
from ostium.storage.interfaces import DuplicateError, Repositories

__all__ = [
    "PASSWORD_CONFIRM",
    "RegistrationError",
    "register_user",
    "registration_fields",
]

PASSWORD_CONFIRM = "password-confirm"  # noqa: S105 - the form field's name (Keycloak's)


@dataclass
class RegistrationError(Exception):
    """What is wrong with the form: field name → (message key, its arguments)."""

    errors: dict[str, tuple[str, tuple[object, ...]]] = field(default_factory=dict)

    def add(self, name: str, key: str, *params: object) -> None:
        self.errors.setdefault(name, (key, params))


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _rules(realm: Realm) -> ProfileRules:
    return ProfileRules(profile_config(realm), USER)


def registration_fields(realm: Realm) -> list[dict[str, object]]:
    """The profile attributes the registration form shows, in the profile's order: those
    a user may edit, without `username` when the e-mail address is the username."""
    rules = _rules(realm)
    shown: list[dict[str, object]] = []
    for attribute in rules.config.get("attributes", []):
        name = attribute["name"]
        if not rules.can_edit(attribute):
            continue
        if name == "username" and realm.registration_email_as_username:
            continue
        required = rules.is_required(attribute, service_account=False) or (
            name == "email" and realm.registration_email_as_username
        )
        shown.append(
            {
                "name": name,
                "display_name": attribute.get("displayName") or name,
                "required": required,
            }
        )
    return shown


async def register_user(
    repos: Repositories,
    hashing: PasswordHashing,
    realm: Realm,
    form: Mapping[str, str],
    *,
    now: int,
) -> User:
    """Create the user the form describes, or raise RegistrationError (then the caller's
    transaction must roll back: nothing of the user may remain)."""
    problems = RegistrationError()
    rules = _rules(realm)
    proposed: dict[str, list[str]] = {}
    for attribute in registration_fields(realm):
        name = str(attribute["name"])
        value = form.get(name, "").strip()
        proposed[name] = [value] if value else []
    email = (proposed.get("email") or [""])[0].lower()
    if realm.registration_email_as_username:
        proposed["username"] = [email] if email else []
        if not email:
            problems.add("email", "missingEmailMessage")
    username = (proposed.get("username") or [""])[0].lower()
    values, errors = rules.check(proposed, {})
    for error in errors:
        target = (
            "email"
            if error.field == "username" and realm.registration_email_as_username
            else error.field
        )
        problems.add(target, error.message, *error.params)
    password = form.get("password", "")
    if not password:
        problems.add("password", "missingPasswordMessage")
    elif password != form.get(PASSWORD_CONFIRM, ""):
        problems.add(PASSWORD_CONFIRM, "notMatchPasswordMessage")
    if username and await repos.users.get_by_username(realm.id, username) is not None:
        if realm.registration_email_as_username:
            problems.add("email", "emailExistsMessage")
        else:
            problems.add("username", "usernameExistsMessage")
    if (
        email
        and not realm.duplicate_emails_allowed
        and await repos.users.get_by_email(realm.id, email)
    ):
        problems.add("email", "emailExistsMessage")
    if problems.errors:
        raise problems
    user = User(
        new_id(),
        realm.id,
        username,
        email=email or None,
        first_name=_first(values.pop("firstName", [])),
        last_name=_first(values.pop("lastName", [])),
        created_timestamp=now * 1000,
        required_actions=[VERIFY_EMAIL] if realm.verify_email and email else [],
    )
    values.pop("email", None)
    values.pop("username", None)
    user.attributes = values
    add_default_actions(realm, user)  # Keycloak's addUser: the realm's default actions
    try:
        await repos.users.add(user)
    except DuplicateError:
        # Two registrations of one name at once: the database's unique index decides.
        problems.add("username", "usernameExistsMessage")
        raise problems from None
    try:
        await set_password(repos, hashing, realm, user, password, now=now)
    except PasswordPolicyError as refused:
        problems.add("password", refused.violation.key, *refused.violation.parameters)
        raise problems from None
    default = await repos.roles.get_realm_role(realm.id, realm.default_role_name)
    if default is not None:
        await repos.roles.grant_to_user(user.id, [default.id])
    return user
