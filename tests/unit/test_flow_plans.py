"""Which bound flows Ostium can run, and what they ask of a login."""

from __future__ import annotations

import copy

import pytest

from ostium.domain.authentication_flows import (
    AuthenticationExecution,
    AuthenticationFlow,
    AuthenticatorConfig,
)
from ostium.domain.flow_plans import (
    SecondFactorStep,
    UnsupportedFlow,
    browser_plan,
    direct_grant_plan,
)
from ostium.domain.realm import Realm


def _copy(realm: Realm, alias: str, new: str) -> AuthenticationFlow:
    """A copy of a top-level flow (sub-flows shared), bound in its place."""
    original = realm.flow(alias)
    assert original is not None
    flow = copy.deepcopy(original)
    flow.id, flow.alias, flow.built_in = f"id-{new}", new, False
    realm.authentication_flows.append(flow)
    return flow


def _add(
    flow: AuthenticationFlow,
    authenticator: str,
    requirement: str,
    priority: int,
    config: str | None = None,
) -> AuthenticationExecution:
    execution = AuthenticationExecution(
        id=f"{flow.alias}-{authenticator}",
        requirement=requirement,
        priority=priority,
        authenticator=authenticator,
        authenticator_config=config,
    )
    flow.executions.append(execution)
    return execution


def test_the_built_in_flows_are_cookie_and_password() -> None:
    realm = Realm(id="r", name="r")
    assert browser_plan(realm).password_form
    assert browser_plan(realm).cookie
    assert not browser_plan(realm).x509
    grant = direct_grant_plan(realm)
    assert (grant.username, grant.password, grant.x509) == (True, True, False)


def test_an_x509_alternative_before_the_forms_comes_with_its_config() -> None:
    realm = Realm(id="r", name="r")
    flow = _copy(realm, "browser", "x509 browser")
    realm.authenticator_config.append(AuthenticatorConfig("c1", "x509", {"k": "v"}))
    _add(flow, "auth-x509-client-username-form", "ALTERNATIVE", 28, config="c1")
    realm.browser_flow = "x509 browser"
    plan = browser_plan(realm)
    assert (plan.cookie, plan.x509, plan.password_form) == (True, True, True)
    assert plan.x509_config is not None
    assert plan.x509_config.config == {"k": "v"}


def test_an_x509_only_direct_grant() -> None:
    realm = Realm(id="r", name="r")
    flow = _copy(realm, "direct grant", "x509 grant")
    for execution in flow.executions[:2]:
        execution.requirement = "DISABLED"
    _add(flow, "direct-grant-auth-x509-username", "REQUIRED", 5)
    realm.direct_grant_flow = "x509 grant"
    plan = direct_grant_plan(realm)
    assert (plan.username, plan.password, plan.x509) == (False, True, True) or (
        plan.username,
        plan.password,
        plan.x509,
    ) == (False, False, True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: setattr(f.executions[1], "requirement", "ALTERNATIVE"), "auth-spnego"),
        (
            lambda f: _add(f, "auth-x509-client-username-form", "ALTERNATIVE", 40),
            "after the password form",
        ),
        (
            lambda f: _add(f, "some-custom-authenticator", "ALTERNATIVE", 5),
            "some-custom-authenticator",
        ),
        (
            lambda f: [setattr(e, "requirement", "DISABLED") for e in f.executions],
            "no way to sign in",
        ),
    ],
)
def test_browser_flows_ostium_cannot_run_are_refused_by_name(change, message) -> None:  # type: ignore[no-untyped-def]
    realm = Realm(id="r", name="r")
    flow = _copy(realm, "browser", "custom")
    change(flow)
    realm.browser_flow = "custom"
    with pytest.raises(UnsupportedFlow, match=message):
        browser_plan(realm)


def test_a_required_second_factor_other_than_otp_is_refused_never_skipped() -> None:
    realm = Realm(id="r", name="r")
    two_factor = realm.flow("Browser - Conditional 2FA")
    forms = realm.flow("forms")
    assert two_factor is not None and forms is not None
    forms.executions[1].requirement = "REQUIRED"  # the 2FA sub-flow, no longer conditional
    for execution in two_factor.executions:
        if execution.authenticator == "auth-otp-form":
            execution.requirement = "DISABLED"
        if execution.authenticator == "webauthn-authenticator":
            execution.requirement = "ALTERNATIVE"
    with pytest.raises(UnsupportedFlow, match="several steps"):
        browser_plan(realm)


def test_keycloaks_flows_ask_for_otp_when_configured_and_always_once_required() -> None:
    realm = Realm(id="r", name="r")
    assert browser_plan(realm).second_factor == SecondFactorStep.IF_CONFIGURED
    assert direct_grant_plan(realm).second_factor == SecondFactorStep.IF_CONFIGURED
    forms = realm.flow("forms")
    assert forms is not None
    # Keycloak's documented way to force OTP: the 2FA sub-flow REQUIRED (its condition
    # then ignored), or the OTP form REQUIRED beside the password form.
    forms.executions[1].requirement = "REQUIRED"
    assert browser_plan(realm).second_factor == SecondFactorStep.ALWAYS
    forms.executions[1].requirement = "DISABLED"
    assert browser_plan(realm).second_factor is None
    grant = realm.flow("direct grant")
    assert grant is not None
    conditional = next(e for e in grant.executions if e.flow_id is not None)
    conditional.requirement = "DISABLED"
    assert direct_grant_plan(realm).second_factor is None


def test_a_direct_grant_checking_a_password_before_a_user_is_refused() -> None:
    realm = Realm(id="r", name="r")
    flow = _copy(realm, "direct grant", "odd")
    flow.executions[0].requirement = "DISABLED"
    realm.direct_grant_flow = "odd"
    with pytest.raises(UnsupportedFlow, match="before finding the user"):
        direct_grant_plan(realm)


def test_a_binding_to_a_missing_flow_is_refused() -> None:
    realm = Realm(id="r", name="r", browser_flow="gone")
    with pytest.raises(UnsupportedFlow, match="does not exist"):
        browser_plan(realm)
