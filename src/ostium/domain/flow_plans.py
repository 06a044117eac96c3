"""What the realm's bound flows ask of a login, reduced to the steps Ostium can run.

Keycloak runs a flow by walking its executions (`DefaultAuthenticationFlow`): at one level,
REQUIRED and CONDITIONAL executions all run in priority order and ALTERNATIVE ones are then
ignored; with no REQUIRED or CONDITIONAL execution the ALTERNATIVE ones are tried in order
until one succeeds; DISABLED ones never run. A CONDITIONAL sub-flow runs only when all its
conditions hold.

Ostium does not interpret arbitrary flows: it recognises the shapes its logins implement
and refuses every other one by name (`UnsupportedFlow`), so that an execution an
administrator enabled is never skipped in silence. Recognised today:

- browser: the SSO cookie, the X.509 certificate form (`auth-x509-client-username-form`)
  and the username/password form, as alternatives in that order or alone; an identity
  provider redirector with no default provider (Ostium has no identity providers yet, so
  Keycloak would pass over it too);
- direct grant: `direct-grant-validate-username`, `direct-grant-validate-password` and
  `direct-grant-auth-x509-username` as REQUIRED steps, a password only after a step that
  found the user;
- both: a CONDITIONAL sub-flow of "user configured" conditions over second factors
  (`auth-otp-form`, WebAuthn, recovery codes, `direct-grant-validate-otp`). No user has a
  second factor until Ostium supports them, so the condition is false and the sub-flow
  does not run, exactly as in Keycloak for a user without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ostium.domain.authentication_flows import (
    AuthenticationExecution,
    AuthenticationFlow,
    AuthenticatorConfig,
    Requirement,
)
from ostium.domain.realm import Realm

__all__ = [
    "BrowserPlan",
    "DirectGrantPlan",
    "UnsupportedFlow",
    "browser_plan",
    "direct_grant_plan",
]

COOKIE = "auth-cookie"
X509_FORM = "auth-x509-client-username-form"
PASSWORD_FORM = "auth-username-password-form"  # noqa: S105 (a provider id)
IDP_REDIRECTOR = "identity-provider-redirector"
USERNAME = "direct-grant-validate-username"
PASSWORD = "direct-grant-validate-password"  # noqa: S105 (a provider id)
X509_GRANT = "direct-grant-auth-x509-username"

USER_CONFIGURED = "conditional-user-configured"
# Second factors: no Ostium user has one configured yet (the two-factor work adds them).
SECOND_FACTORS = frozenset(
    {
        "auth-otp-form",
        "webauthn-authenticator",
        "webauthn-authenticator-passwordless",
        "auth-recovery-authn-code-form",
        "direct-grant-validate-otp",
    }
)


class UnsupportedFlow(Exception):
    """A bound flow asks for something Ostium cannot do; the message names what."""


@dataclass(frozen=True)
class BrowserPlan:
    """The browser flow's alternatives: SSO cookie, then X.509, then the password form."""

    cookie: bool
    x509: bool
    x509_config: AuthenticatorConfig | None
    password_form: bool


@dataclass(frozen=True)
class DirectGrantPlan:
    """The direct grant's required steps."""

    username: bool
    password: bool
    x509: bool
    x509_config: AuthenticatorConfig | None


def _bound(realm: Realm, alias: str, binding: str) -> AuthenticationFlow:
    flow = realm.flow(alias)
    if flow is None:
        raise UnsupportedFlow(f"the realm's {binding} flow {alias!r} does not exist")
    return flow


def _name(execution: AuthenticationExecution, realm: Realm) -> str:
    if execution.flow_id is not None:
        sub = realm.flow_by_id(execution.flow_id)
        return f"sub-flow {sub.alias if sub else execution.flow_id!r}"
    return str(execution.authenticator)


def _skippable(realm: Realm, execution: AuthenticationExecution) -> bool:
    """A CONDITIONAL sub-flow whose conditions cannot hold for any Ostium user."""
    sub = realm.flow_by_id(execution.flow_id or "")
    if execution.requirement != Requirement.CONDITIONAL or sub is None:
        return False
    enabled = [e for e in sub.executions if e.requirement != Requirement.DISABLED]
    conditions = [e for e in enabled if e.authenticator == USER_CONFIGURED]
    others = [e for e in enabled if e.authenticator != USER_CONFIGURED]
    return bool(conditions) and all(
        e.flow_id is None and e.authenticator in SECOND_FACTORS for e in others
    )


def _steps(realm: Realm, flow: AuthenticationFlow, seen: frozenset[str]) -> list[str]:
    """The flow as a list of alternatives (authenticator ids), in the order Keycloak tries
    them; a flow of REQUIRED steps reduces to its one step that is not skipped."""
    if flow.id in seen:
        raise UnsupportedFlow(f"flow {flow.alias!r} contains itself")
    seen = seen | {flow.id}
    enabled = [e for e in flow.ordered() if e.requirement != Requirement.DISABLED]
    required = [
        e for e in enabled if e.requirement in (Requirement.REQUIRED, Requirement.CONDITIONAL)
    ]
    chosen = required or enabled
    alternatives: list[str] = []
    steps = [e for e in chosen if not _skippable(realm, e)]
    if required and len(steps) > 1:
        names = ", ".join(_name(e, realm) for e in steps)
        raise UnsupportedFlow(f"flow {flow.alias!r} requires several steps in sequence ({names})")
    for execution in steps:
        if execution.requirement == Requirement.CONDITIONAL:
            raise UnsupportedFlow(
                f"flow {flow.alias!r} has a conditional {_name(execution, realm)} whose"
                " conditions Ostium cannot evaluate yet"
            )
        if execution.flow_id is not None:
            sub = realm.flow_by_id(execution.flow_id)
            if sub is None:
                raise UnsupportedFlow(f"flow {flow.alias!r} names a missing sub-flow")
            alternatives += _steps(realm, sub, seen)
        else:
            alternatives.append(str(execution.authenticator))
    return alternatives


def _config_of(
    realm: Realm, flow: AuthenticationFlow, authenticator: str
) -> AuthenticatorConfig | None:
    """The config of the first enabled execution of `authenticator` in the flow's tree."""
    pending, seen = [flow], set()
    while pending:
        current = pending.pop(0)
        seen.add(current.id)
        for execution in current.ordered():
            if execution.requirement == Requirement.DISABLED:
                continue
            if execution.authenticator == authenticator and execution.flow_id is None:
                return realm.config_by_id(execution.authenticator_config)
            sub = realm.flow_by_id(execution.flow_id or "")
            if sub is not None and sub.id not in seen:
                pending.append(sub)
    return None


def browser_plan(realm: Realm) -> BrowserPlan:
    flow = _bound(realm, realm.browser_flow, "browser")
    alternatives = []
    for step in _steps(realm, flow, frozenset()):
        if step == IDP_REDIRECTOR:
            if _redirects_to_provider(realm, flow):
                raise UnsupportedFlow("identity providers are not supported yet")
            continue
        if step not in (COOKIE, X509_FORM, PASSWORD_FORM):
            raise UnsupportedFlow(f"the browser flow {flow.alias!r} uses {step!r}")
        alternatives.append(step)
    both = X509_FORM in alternatives and PASSWORD_FORM in alternatives
    if both and alternatives.index(X509_FORM) > alternatives.index(PASSWORD_FORM):
        raise UnsupportedFlow(
            f"the browser flow {flow.alias!r} offers X.509 after the password form"
            ' ("try another way" is not supported yet)'
        )
    if not {X509_FORM, PASSWORD_FORM} & set(alternatives):
        raise UnsupportedFlow(f"the browser flow {flow.alias!r} has no way to sign in")
    return BrowserPlan(
        cookie=COOKIE in alternatives,
        x509=X509_FORM in alternatives,
        x509_config=_config_of(realm, flow, X509_FORM),
        password_form=PASSWORD_FORM in alternatives,
    )


def _redirects_to_provider(realm: Realm, flow: AuthenticationFlow) -> bool:
    config = _config_of(realm, flow, IDP_REDIRECTOR)
    return bool(config and config.config.get("defaultProvider"))


def direct_grant_plan(realm: Realm) -> DirectGrantPlan:
    flow = _bound(realm, realm.direct_grant_flow, "direct grant")
    enabled = [e for e in flow.ordered() if e.requirement != Requirement.DISABLED]
    steps: list[str] = []
    for execution in enabled:
        if execution.requirement == Requirement.ALTERNATIVE:
            raise UnsupportedFlow(
                f"the direct grant flow {flow.alias!r} has alternatives ({_name(execution, realm)})"
            )
        if _skippable(realm, execution):
            continue
        if execution.flow_id is not None or execution.requirement != Requirement.REQUIRED:
            raise UnsupportedFlow(
                f"the direct grant flow {flow.alias!r} uses {_name(execution, realm)}"
            )
        name = str(execution.authenticator)
        if name not in (USERNAME, PASSWORD, X509_GRANT):
            raise UnsupportedFlow(f"the direct grant flow {flow.alias!r} uses {name!r}")
        if name == PASSWORD and not {USERNAME, X509_GRANT} & set(steps):
            raise UnsupportedFlow(
                f"the direct grant flow {flow.alias!r} checks a password before finding the user"
            )
        steps.append(name)
    if not {USERNAME, X509_GRANT} & set(steps):
        raise UnsupportedFlow(f"the direct grant flow {flow.alias!r} never finds the user")
    return DirectGrantPlan(
        username=USERNAME in steps,
        password=PASSWORD in steps,
        x509=X509_GRANT in steps,
        x509_config=_config_of(realm, flow, X509_GRANT),
    )
