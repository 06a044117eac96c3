"""Authentication flows: Keycloak's model of which authenticators a login runs, in what order.

A realm owns top-level flows (`browser`, `direct grant`, …) bound to its entry points, and
the sub-flows they nest; each flow is a list of executions, each either an authenticator
(by provider id, optionally with an `AuthenticatorConfig`) or a sub-flow, with a
requirement (Keycloak's `AuthenticationExecutionModel.Requirement`). The built-in flows are
Keycloak 26's `DefaultAuthenticationFlows` (without SAML ECP and organizations, which
Ostium does not have). Their ids are derived from the realm id, so a realm that never
stored its flows (created before flows existed) sees the same ids on every load.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "BUILT_IN_BINDINGS",
    "AuthenticationExecution",
    "AuthenticationFlow",
    "AuthenticatorConfig",
    "Requirement",
    "built_in_flows",
    "flow_tree",
]


class Requirement(StrEnum):
    REQUIRED = "REQUIRED"
    ALTERNATIVE = "ALTERNATIVE"
    CONDITIONAL = "CONDITIONAL"
    DISABLED = "DISABLED"


@dataclass
class AuthenticationExecution:
    """One step of a flow: an authenticator (`authenticator`) or a sub-flow (`flow_id`)."""

    id: str
    requirement: str
    priority: int
    authenticator: str | None = None
    flow_id: str | None = None
    # The id of the AuthenticatorConfig this execution uses (Keycloak exports its alias).
    authenticator_config: str | None = None
    user_setup_allowed: bool = False

    @property
    def is_flow(self) -> bool:
        return self.flow_id is not None


@dataclass
class AuthenticationFlow:
    id: str
    alias: str
    description: str = ""
    # basic-flow, form-flow (its executions are parts of one form), client-flow.
    provider_id: str = "basic-flow"
    top_level: bool = True
    built_in: bool = False
    executions: list[AuthenticationExecution] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.executions = [
            AuthenticationExecution(**e) if isinstance(e, dict) else e for e in self.executions
        ]

    def ordered(self) -> list[AuthenticationExecution]:
        """Executions in the order a login runs them (Keycloak: by priority)."""
        return sorted(self.executions, key=lambda e: e.priority)


@dataclass
class AuthenticatorConfig:
    id: str
    alias: str
    config: dict[str, str] = field(default_factory=dict)


# The realm's binding fields, their representation names and the built-in flow each names.
BUILT_IN_BINDINGS: dict[str, tuple[str, str]] = {
    "browser_flow": ("browserFlow", "browser"),
    "registration_flow": ("registrationFlow", "registration"),
    "direct_grant_flow": ("directGrantFlow", "direct grant"),
    "reset_credentials_flow": ("resetCredentialsFlow", "reset credentials"),
    "client_authentication_flow": ("clientAuthenticationFlow", "clients"),
    "docker_authentication_flow": ("dockerAuthenticationFlow", "docker auth"),
    "first_broker_login_flow": ("firstBrokerLoginFlow", "first broker login"),
}

R, A, C, D = (
    Requirement.REQUIRED,
    Requirement.ALTERNATIVE,
    Requirement.CONDITIONAL,
    Requirement.DISABLED,
)

# A step of a built-in flow: (authenticator, requirement, priority) or, for a sub-flow,
# (sub-flow alias, requirement, priority) with the alias a key of _SUB_FLOWS.
_Step = tuple[str, Requirement, int]

_TWO_FACTOR: list[_Step] = [
    ("conditional-user-configured", R, 10),
    ("auth-otp-form", A, 30),
    ("webauthn-authenticator", D, 40),
    ("auth-recovery-authn-code-form", D, 50),
]

# alias → (description, provider id, steps); top-level flows first.
_FLOWS: dict[str, tuple[str, str, list[_Step]]] = {
    "browser": (
        "Browser based authentication",
        "basic-flow",
        [
            ("auth-cookie", A, 10),
            ("auth-spnego", D, 20),
            ("identity-provider-redirector", A, 25),
            ("forms", A, 30),
        ],
    ),
    "direct grant": (
        "OpenID Connect Resource Owner Grant",
        "basic-flow",
        [
            ("direct-grant-validate-username", R, 10),
            ("direct-grant-validate-password", R, 20),
            ("Direct Grant - Conditional OTP", C, 30),
        ],
    ),
    "registration": ("Registration flow", "basic-flow", [("registration form", R, 10)]),
    "reset credentials": (
        "Reset credentials for a user if they forgot their password or something",
        "basic-flow",
        [
            ("reset-credentials-choose-user", R, 10),
            ("reset-credential-email", R, 20),
            ("reset-password", R, 30),
            ("Reset - Conditional OTP", C, 40),
        ],
    ),
    "clients": (
        "Base authentication for clients",
        "client-flow",
        [
            ("client-secret", A, 10),
            ("client-jwt", A, 20),
            ("client-secret-jwt", A, 30),
            ("client-x509", A, 40),
        ],
    ),
    "first broker login": (
        "Actions taken after first broker login with identity provider account, which is not"
        " yet linked to any Keycloak account",
        "basic-flow",
        [
            ("idp-review-profile", R, 10),
            ("User creation or linking", R, 20),
        ],
    ),
    "docker auth": (
        "Used by Docker clients to authenticate against the IDP",
        "basic-flow",
        [("docker-http-basic-authenticator", R, 10)],
    ),
}

_SUB_FLOWS: dict[str, tuple[str, str, list[_Step]]] = {
    "forms": (
        "Username, password, otp and other auth forms.",
        "basic-flow",
        [("auth-username-password-form", R, 10), ("Browser - Conditional 2FA", C, 20)],
    ),
    "Browser - Conditional 2FA": (
        "Flow to determine if any 2FA is required for the authentication",
        "basic-flow",
        _TWO_FACTOR,
    ),
    "Direct Grant - Conditional OTP": (
        "Flow to determine if the OTP is required for the authentication",
        "basic-flow",
        [("conditional-user-configured", R, 10), ("direct-grant-validate-otp", R, 20)],
    ),
    "registration form": (
        "Registration form",
        "form-flow",
        [
            ("registration-user-creation", R, 20),
            ("registration-password-action", R, 50),
            ("registration-recaptcha-action", D, 60),
            ("registration-terms-and-conditions", D, 70),
        ],
    ),
    "Reset - Conditional OTP": (
        "Flow to determine if the OTP should be reset or not. Set to REQUIRED to force.",
        "basic-flow",
        [("conditional-user-configured", R, 10), ("reset-otp", R, 20)],
    ),
    "User creation or linking": (
        "Flow for the existing/non-existing user alternatives",
        "basic-flow",
        [("idp-create-user-if-unique", A, 10), ("Handle Existing Account", A, 20)],
    ),
    "Handle Existing Account": (
        "Handle what to do if there is existing account with same email/username like"
        " authenticated identity provider",
        "basic-flow",
        [("idp-confirm-link", R, 10), ("Account verification options", R, 20)],
    ),
    "Account verification options": (
        "Method with which to verity the existing account",
        "basic-flow",
        [
            ("idp-email-verification", A, 10),
            ("Verify Existing Account by Re-authentication", A, 20),
        ],
    ),
    "Verify Existing Account by Re-authentication": (
        "Reauthentication of existing account",
        "basic-flow",
        [
            ("idp-username-password-form", R, 10),
            ("First broker login - Conditional 2FA", C, 20),
        ],
    ),
    "First broker login - Conditional 2FA": (
        "Flow to determine if any 2FA is required for the authentication",
        "basic-flow",
        _TWO_FACTOR,
    ),
}

# Configs the built-in flows come with: alias → (the execution that uses it, config).
_CONFIGS: dict[str, tuple[tuple[str, str], dict[str, str]]] = {
    "review profile config": (
        ("first broker login", "idp-review-profile"),
        {"update.profile.on.first.login": "missing"},
    ),
    "create unique user config": (
        ("User creation or linking", "idp-create-user-if-unique"),
        {"require.password.update.after.registration": "false"},
    ),
}
# The registration form's own authenticator (Keycloak: the execution that holds the
# form-flow names `registration-page-form`).
_FORM_AUTHENTICATORS = {"registration form": "registration-page-form"}


def _stable_id(realm_id: str, *parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(("ostium-flow", realm_id, *parts))))


def built_in_flows(realm_id: str) -> tuple[list[AuthenticationFlow], list[AuthenticatorConfig]]:
    """Keycloak's default flows and the configs they use, with ids stable per realm."""
    flow_ids = {alias: _stable_id(realm_id, alias) for alias in (*_FLOWS, *_SUB_FLOWS)}
    configs = [
        AuthenticatorConfig(_stable_id(realm_id, "config", alias), alias, dict(values))
        for alias, (_, values) in _CONFIGS.items()
    ]
    config_of = {use: c.id for c, (use, _) in zip(configs, _CONFIGS.values(), strict=True)}
    flows: list[AuthenticationFlow] = []
    for top_level, table in ((True, _FLOWS), (False, _SUB_FLOWS)):
        for alias, (description, provider, steps) in table.items():
            executions = []
            for name, requirement, priority in steps:
                sub = flow_ids.get(name) if name in _SUB_FLOWS else None
                executions.append(
                    AuthenticationExecution(
                        id=_stable_id(realm_id, alias, str(priority), name),
                        requirement=requirement.value,
                        priority=priority,
                        authenticator=_FORM_AUTHENTICATORS.get(name) if sub else name,
                        flow_id=sub,
                        authenticator_config=config_of.get((alias, name)),
                    )
                )
            flows.append(
                AuthenticationFlow(
                    id=flow_ids[alias],
                    alias=alias,
                    description=description,
                    provider_id=provider,
                    top_level=top_level,
                    built_in=True,
                    executions=executions,
                )
            )
    return flows, configs


def flow_tree(
    flows: list[AuthenticationFlow], flow: AuthenticationFlow, depth: int = 0
) -> list[tuple[int, AuthenticationExecution]]:
    """A flow's executions depth first with their nesting level, as Keycloak's admin API
    lists them (`GET …/flows/{alias}/executions`). A sub-flow that nests itself, which an
    import could contain, is listed once."""
    by_id = {f.id: f for f in flows}
    out: list[tuple[int, AuthenticationExecution]] = []

    def walk(current: AuthenticationFlow, level: int, seen: frozenset[str]) -> None:
        for execution in current.ordered():
            out.append((level, execution))
            sub = by_id.get(execution.flow_id or "")
            if sub is not None and sub.id not in seen:
                walk(sub, level + 1, seen | {sub.id})

    walk(flow, depth, frozenset({flow.id}))
    return out
