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
- both: second factors after the first one. A CONDITIONAL sub-flow of "user configured"
  conditions over second factors (Keycloak's "Browser - Conditional 2FA" and "Direct
  Grant - Conditional OTP") runs its OTP step for a user who has an OTP credential and is
  passed over for one who has none. An OTP step REQUIRED outright asks every user: one
  without a device is sent to CONFIGURE_TOTP first (Keycloak's OTPFormAuthenticator
  `setRequiredActions`). Recovery codes beside OTP in such a sub-flow are the other way
  through it. WebAuthn there cannot be asked for yet (its login pages come next): a
  user who has the WebAuthn credential such a step would ask for is stopped with a "not
  supported" page rather than let through on the password alone (`webauthn_types`);
  REQUIRED outright it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
    "OtpReset",
    "RoleCondition",
    "SecondFactorStep",
    "UnsupportedFlow",
    "browser_plan",
    "direct_grant_plan",
    "override_problem",
    "reset_otp_plan",
]

COOKIE = "auth-cookie"
X509_FORM = "auth-x509-client-username-form"
PASSWORD_FORM = "auth-username-password-form"  # noqa: S105 (a provider id)
IDP_REDIRECTOR = "identity-provider-redirector"
USERNAME = "direct-grant-validate-username"
PASSWORD = "direct-grant-validate-password"  # noqa: S105 (a provider id)
X509_GRANT = "direct-grant-auth-x509-username"

USER_CONFIGURED = "conditional-user-configured"
USER_ROLE = "conditional-user-role"
OTP_FORM = "auth-otp-form"
OTP_GRANT = "direct-grant-validate-otp"
OTP_STEPS = frozenset({OTP_FORM, OTP_GRANT})
RECOVERY_CODE_FORM = "auth-recovery-authn-code-form"
# Keycloak's WebAuthn steps → the credential type each finds configured (configuredFor).
WEBAUTHN_FORM = "webauthn-authenticator"
WEBAUTHN_STEPS = {
    "webauthn-authenticator": "webauthn",
    "webauthn-authenticator-passwordless": "webauthn-passwordless",
}
SECOND_FACTORS = frozenset({*OTP_STEPS, *WEBAUTHN_STEPS, RECOVERY_CODE_FORM})


class SecondFactorStep(StrEnum):
    """When the second factor (a one-time code, or a recovery code) is asked for, after
    the first factor."""

    IF_CONFIGURED = "if-configured"  # a conditional "user configured" sub-flow
    ALWAYS = "always"  # REQUIRED outright: a user without a device must set one up


class UnsupportedFlow(Exception):
    """A bound flow asks for something Ostium cannot do; the message names what."""


@dataclass(frozen=True)
class RoleCondition:
    """Keycloak's "Condition - user role": `role` as its configuration writes it (a realm
    role's name, or `clientId.role`), true when the user holds it (`negate`: when not)."""

    role: str
    negate: bool = False


@dataclass(frozen=True)
class BrowserPlan:
    """The browser flow's alternatives: SSO cookie, then X.509, then the password form."""

    cookie: bool
    x509: bool
    x509_config: AuthenticatorConfig | None
    password_form: bool
    second_factor: SecondFactorStep | None = None  # after the password form
    recovery_codes: bool = False  # accepted as the second factor
    second_factor_roles: tuple[RoleCondition, ...] = ()  # only for users these hold for
    # The credential types of the enabled WebAuthn steps among the second factors.
    webauthn_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DirectGrantPlan:
    """The direct grant's required steps."""

    username: bool
    password: bool
    x509: bool
    x509_config: AuthenticatorConfig | None
    second_factor: SecondFactorStep | None = None
    second_factor_roles: tuple[RoleCondition, ...] = ()


BROWSER_OVERRIDE = "browser"
DIRECT_GRANT_OVERRIDE = "direct_grant"
OVERRIDE_BINDINGS = frozenset({BROWSER_OVERRIDE, DIRECT_GRANT_OVERRIDE})


def _bound(
    realm: Realm, alias: str, binding: str, override: str | None = None
) -> AuthenticationFlow:
    """The realm's flow for `binding`, or the client's override (a flow id) for it."""
    if override:
        flow = realm.flow_by_id(override)
        if flow is None or not flow.top_level:
            raise UnsupportedFlow(f"the client's {binding} flow override {override!r} is gone")
        return flow
    flow = realm.flow(alias)
    if flow is None:
        raise UnsupportedFlow(f"the realm's {binding} flow {alias!r} does not exist")
    return flow


def override_problem(realm: Realm, overrides: dict[str, str]) -> str | None:
    """Why a client's authenticationFlowBindingOverrides cannot be kept, if it cannot:
    Keycloak takes only the browser and direct-grant bindings, each naming a top-level
    flow of the realm by id."""
    for binding, flow_id in overrides.items():
        if binding not in OVERRIDE_BINDINGS:
            return f"authenticationFlowBindingOverrides: unknown binding {binding!r}"
        flow = realm.flow_by_id(flow_id)
        if flow is None or not flow.top_level:
            return f"authenticationFlowBindingOverrides.{binding}: no top-level flow {flow_id!r}"
    return None


def _name(execution: AuthenticationExecution, realm: Realm) -> str:
    if execution.flow_id is not None:
        sub = realm.flow_by_id(execution.flow_id)
        return f"sub-flow {sub.alias if sub else execution.flow_id!r}"
    return str(execution.authenticator)


def _second_factor_step(
    realm: Realm, execution: AuthenticationExecution
) -> SecondFactorStep | None:
    """When a second-factor execution asks: of everyone, of users with a device, or never
    (no Ostium user can satisfy it)."""
    if execution.flow_id is None or execution.requirement == Requirement.REQUIRED:
        return SecondFactorStep.ALWAYS
    sub = realm.flow_by_id(execution.flow_id)
    assert sub is not None  # _second_factor checked it
    enabled = {e.authenticator for e in sub.executions if e.requirement != Requirement.DISABLED}
    if not enabled & (OTP_STEPS | {RECOVERY_CODE_FORM, WEBAUTHN_FORM}):
        return None
    # Conditions on the user's role alone: those users must give a second factor (and set
    # one up first); with "user configured" too, only users who have one.
    return SecondFactorStep.IF_CONFIGURED if USER_CONFIGURED in enabled else SecondFactorStep.ALWAYS


def _role_conditions(realm: Realm, flow: AuthenticationFlow) -> tuple[RoleCondition, ...]:
    """The "user role" conditions of the flow's second-factor sub-flow: all must hold for
    it to run (Keycloak ANDs a CONDITIONAL flow's conditions)."""
    pending, seen = [flow], set()
    while pending:
        current = pending.pop(0)
        seen.add(current.id)
        for execution in current.ordered():
            sub = realm.flow_by_id(execution.flow_id or "")
            if execution.requirement == Requirement.DISABLED or sub is None or sub.id in seen:
                continue
            if execution.requirement == Requirement.CONDITIONAL and _second_factor(
                realm, execution
            ):
                found = []
                for condition in sub.executions:
                    if condition.requirement == Requirement.DISABLED:
                        continue
                    if condition.authenticator == USER_ROLE:
                        config = realm.config_by_id(condition.authenticator_config)
                        values = config.config if config else {}
                        role = values.get("condUserRole", "")
                        if not role:
                            raise UnsupportedFlow(
                                f"flow {sub.alias!r} has a user-role condition without a role"
                            )
                        negate = values.get("negate", "false").lower() == "true"
                        found.append(RoleCondition(role, negate))
                return tuple(found)
            pending.append(sub)
    return ()


def _recovery_codes_in(realm: Realm, flow: AuthenticationFlow) -> bool:
    """Whether a second-factor sub-flow of the flow's tree accepts recovery codes."""
    return bool(_second_factors_in(realm, flow) & {RECOVERY_CODE_FORM})


def _webauthn_types_in(realm: Realm, flow: AuthenticationFlow) -> frozenset[str]:
    """The credential types the enabled WebAuthn steps of the second-factor sub-flows ask
    for (Keycloak's "user configured" condition counts them as a way through)."""
    found = _second_factors_in(realm, flow)
    return frozenset(kind for step, kind in WEBAUTHN_STEPS.items() if step in found)


def _second_factors_in(realm: Realm, flow: AuthenticationFlow) -> set[str]:
    """The enabled authenticators of the second-factor sub-flows of the flow's tree."""
    found: set[str] = set()
    pending, seen = [flow], set()
    while pending:
        current = pending.pop(0)
        seen.add(current.id)
        for execution in current.ordered():
            if execution.requirement == Requirement.DISABLED:
                continue
            sub = realm.flow_by_id(execution.flow_id or "")
            if sub is None or sub.id in seen:
                continue
            if _second_factor(realm, execution):
                found |= {
                    str(e.authenticator)
                    for e in sub.executions
                    if e.requirement != Requirement.DISABLED
                }
                continue
            pending.append(sub)
    return found


def _is_condition(execution: AuthenticationExecution) -> bool:
    return execution.flow_id is None and str(execution.authenticator).startswith("conditional-")


def _second_factor(realm: Realm, execution: AuthenticationExecution) -> bool:
    """A second factor Ostium runs after the first one:
    - an OTP step REQUIRED outright;
    - a CONDITIONAL sub-flow of "user configured" conditions over second factors only;
    - a REQUIRED sub-flow over second factors whose only way through is OTP — what
      Keycloak's documentation has administrators do to force OTP on everyone (its
      conditions are ignored there, as Keycloak ignores conditions outside a
      CONDITIONAL flow)."""
    if execution.flow_id is None:
        return execution.requirement == Requirement.REQUIRED and (
            execution.authenticator in OTP_STEPS
        )
    sub = realm.flow_by_id(execution.flow_id)
    if sub is None:
        return False
    enabled = [e for e in sub.executions if e.requirement != Requirement.DISABLED]
    conditions = [e for e in enabled if _is_condition(e)]
    others = [e for e in enabled if not _is_condition(e)]
    if not all(e.flow_id is None and e.authenticator in SECOND_FACTORS for e in others):
        return False
    if execution.requirement == Requirement.CONDITIONAL:
        return bool(conditions) and all(
            e.authenticator in (USER_CONFIGURED, USER_ROLE) for e in conditions
        )
    if execution.requirement == Requirement.REQUIRED:
        required = [e for e in others if e.requirement == Requirement.REQUIRED]
        return any(e.authenticator in OTP_STEPS for e in others) and all(
            e.authenticator in OTP_STEPS for e in required
        )
    return False


def _second_factor_of(realm: Realm, flow: AuthenticationFlow) -> SecondFactorStep | None:
    """The OTP step the flow's tree asks for, if any (ALWAYS wins over IF_CONFIGURED)."""
    found: SecondFactorStep | None = None
    pending, seen = [flow], set()
    while pending:
        current = pending.pop(0)
        seen.add(current.id)
        for execution in current.ordered():
            if execution.requirement == Requirement.DISABLED:
                continue
            if _second_factor(realm, execution):
                step = _second_factor_step(realm, execution)
                found = (
                    SecondFactorStep.ALWAYS
                    if SecondFactorStep.ALWAYS in (found, step)
                    else step or found
                )
                continue
            sub = realm.flow_by_id(execution.flow_id or "")
            if sub is not None and sub.id not in seen:
                pending.append(sub)
    return found


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
    steps = [e for e in chosen if not _second_factor(realm, e)]
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


def browser_plan(realm: Realm, override: str | None = None) -> BrowserPlan:
    flow = _bound(realm, realm.browser_flow, "browser", override)
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
        second_factor=_second_factor_of(realm, flow) if PASSWORD_FORM in alternatives else None,
        recovery_codes=_recovery_codes_in(realm, flow),
        second_factor_roles=_role_conditions(realm, flow),
        webauthn_types=_webauthn_types_in(realm, flow)
        if PASSWORD_FORM in alternatives
        else frozenset(),
    )


def _redirects_to_provider(realm: Realm, flow: AuthenticationFlow) -> bool:
    config = _config_of(realm, flow, IDP_REDIRECTOR)
    return bool(config and config.config.get("defaultProvider"))


def direct_grant_plan(realm: Realm, override: str | None = None) -> DirectGrantPlan:
    flow = _bound(realm, realm.direct_grant_flow, "direct grant", override)
    enabled = [e for e in flow.ordered() if e.requirement != Requirement.DISABLED]
    steps: list[str] = []
    for execution in enabled:
        if execution.requirement == Requirement.ALTERNATIVE:
            raise UnsupportedFlow(
                f"the direct grant flow {flow.alias!r} has alternatives ({_name(execution, realm)})"
            )
        if _second_factor(realm, execution):
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
        second_factor=_second_factor_of(realm, flow) if PASSWORD in steps else None,
        second_factor_roles=_role_conditions(realm, flow),
    )


RESET_OTP = "reset-otp"
RESET_OTP_FLAG = "action_on_otp_reset_flag"  # Keycloak's ResetOTP configuration key


@dataclass(frozen=True)
class OtpReset:
    """What the reset credentials flow does to OTP devices once the e-mailed link proved
    the address (Keycloak's ResetOTP): keep them or remove them all, then ask for a new
    one (CONFIGURE_TOTP) — for users with a device (`always` False: the flow's
    "Reset - Conditional OTP" condition) or for everyone (the sub-flow REQUIRED)."""

    remove_all: bool
    always: bool


def reset_otp_plan(realm: Realm) -> OtpReset | None:
    """The reset credentials flow's `reset-otp` step, if an enabled one is there. Its
    "Remove one" option (a page to choose the device) is refused by name for now."""
    flow = _bound(realm, realm.reset_credentials_flow, "reset credentials")
    pending: list[tuple[AuthenticationFlow, bool]] = [(flow, True)]
    seen: set[str] = set()
    while pending:
        current, unconditional = pending.pop(0)
        seen.add(current.id)
        for execution in current.ordered():
            if execution.requirement == Requirement.DISABLED:
                continue
            sub = realm.flow_by_id(execution.flow_id or "")
            if sub is not None and sub.id not in seen:
                conditional = execution.requirement == Requirement.CONDITIONAL
                conditions = [e for e in sub.executions if _is_condition(e)]
                if conditional and any(e.authenticator != USER_CONFIGURED for e in conditions):
                    raise UnsupportedFlow(
                        f"the reset credentials flow's sub-flow {sub.alias!r} has conditions"
                        " Ostium cannot evaluate yet"
                    )
                pending.append((sub, unconditional and not conditional))
                continue
            if execution.authenticator != RESET_OTP:
                continue
            config = realm.config_by_id(execution.authenticator_config)
            flag = (config.config if config else {}).get(RESET_OTP_FLAG, "Remove none")
            if flag not in ("Remove none", "Remove all"):
                raise UnsupportedFlow(
                    f"the reset credentials flow's reset-otp step uses {flag!r},"
                    " which is not supported yet"
                )
            return OtpReset(remove_all=flag == "Remove all", always=unconditional)
    return None
