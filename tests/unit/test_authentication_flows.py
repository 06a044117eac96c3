"""Keycloak's built-in authentication flows, as a new realm gets them."""

from __future__ import annotations

import dataclasses
import json

from ostium.domain.authentication_flows import flow_tree
from ostium.domain.realm import Realm


def _outline(realm: Realm, alias: str) -> list[tuple[int, str, str]]:
    flow = realm.flow(alias)
    assert flow is not None
    out = []
    for level, execution in flow_tree(realm.authentication_flows, flow):
        sub = realm.flow_by_id(execution.flow_id) if execution.flow_id else None
        out.append(
            (level, sub.alias if sub else str(execution.authenticator), execution.requirement)
        )
    return out


def test_a_new_realm_has_keycloaks_browser_flow() -> None:
    assert _outline(Realm(id="r1", name="r"), "browser") == [
        (0, "auth-cookie", "ALTERNATIVE"),
        (0, "auth-spnego", "DISABLED"),
        (0, "identity-provider-redirector", "ALTERNATIVE"),
        (0, "forms", "ALTERNATIVE"),
        (1, "auth-username-password-form", "REQUIRED"),
        (1, "Browser - Conditional 2FA", "CONDITIONAL"),
        (2, "conditional-user-configured", "REQUIRED"),
        (2, "auth-otp-form", "ALTERNATIVE"),
        (2, "webauthn-authenticator", "DISABLED"),
        (2, "auth-recovery-authn-code-form", "DISABLED"),
    ]


def test_a_new_realm_has_keycloaks_direct_grant_flow_and_bindings() -> None:
    realm = Realm(id="r1", name="r")
    assert _outline(realm, "direct grant") == [
        (0, "direct-grant-validate-username", "REQUIRED"),
        (0, "direct-grant-validate-password", "REQUIRED"),
        (0, "Direct Grant - Conditional OTP", "CONDITIONAL"),
        (1, "conditional-user-configured", "REQUIRED"),
        (1, "direct-grant-validate-otp", "REQUIRED"),
    ]
    top = sorted(f.alias for f in realm.authentication_flows if f.top_level)
    assert top == sorted(
        [
            "browser",
            "direct grant",
            "registration",
            "reset credentials",
            "clients",
            "first broker login",
            "docker auth",
        ]
    )
    bound = {
        realm.browser_flow,
        realm.direct_grant_flow,
        realm.registration_flow,
        realm.reset_credentials_flow,
        realm.client_authentication_flow,
        realm.docker_authentication_flow,
        realm.first_broker_login_flow,
    }
    assert bound == set(top)
    registration = realm.flow("registration")
    assert registration is not None
    assert registration.executions[0].authenticator == "registration-page-form"
    review = realm.config_by_id(realm.flow("first broker login").executions[0].authenticator_config)  # type: ignore[union-attr]
    assert review is not None
    assert review.alias == "review profile config"
    assert review.config == {"update.profile.on.first.login": "missing"}


def test_built_in_ids_are_stable_per_realm_and_survive_storage_as_json() -> None:
    one, again, other = Realm(id="r1", name="a"), Realm(id="r1", name="a"), Realm(id="r2", name="a")
    ids = {f.id for f in one.authentication_flows}
    assert ids == {f.id for f in again.authentication_flows}
    assert not ids & {f.id for f in other.authentication_flows}
    executions = [e.id for f in one.authentication_flows for e in f.executions]
    assert len(executions) == len(set(executions))
    stored = json.loads(json.dumps(dataclasses.asdict(one)))
    assert Realm(**stored) == one
