"""domain/required_actions.py: Keycloak's defaults and the order actions run in."""

from __future__ import annotations

from ostium.domain.realm import Realm
from ostium.domain.required_actions import (
    RequiredActionProvider,
    default_required_actions,
    ordered,
    pending_actions,
)


def test_a_realm_stored_before_required_actions_gets_keycloaks_defaults() -> None:
    realm = Realm(id="r", name="r")
    assert [a.alias for a in realm.required_actions][:3] == [
        "CONFIGURE_TOTP",
        "TERMS_AND_CONDITIONS",
        "UPDATE_PASSWORD",
    ]
    # Stored as JSON, they come back as dicts.
    stored = Realm(
        id="r", name="r", required_actions=[{"alias": "X", "name": "X", "provider_id": "X"}]
    )  # type: ignore[list-item]
    assert stored.required_actions == [RequiredActionProvider("X", "X", "X")]
    assert Realm(id="r", name="r", required_actions=[]).required_actions == []


def test_pending_actions_follow_the_realms_priority_then_kc_action() -> None:
    providers = default_required_actions()
    for p in providers:
        p.enabled = True
    user = ["UPDATE_PROFILE", "UPDATE_PASSWORD", "TERMS_AND_CONDITIONS", "unknown"]
    assert pending_actions(providers, user, "VERIFY_EMAIL") == [
        "TERMS_AND_CONDITIONS",
        "UPDATE_PASSWORD",
        "UPDATE_PROFILE",
        "VERIFY_EMAIL",
    ]
    # kc_action already among the user's: once.
    assert pending_actions(providers, ["UPDATE_PASSWORD"], "UPDATE_PASSWORD") == ["UPDATE_PASSWORD"]


def test_disabled_actions_are_not_pending_and_ties_sort_by_name() -> None:
    providers = default_required_actions()  # TERMS_AND_CONDITIONS is disabled
    assert pending_actions(providers, ["TERMS_AND_CONDITIONS"]) == []
    tied = [
        RequiredActionProvider("b", "B", "b", priority=5),
        RequiredActionProvider("a", "A", "a", priority=5),
    ]
    assert [p.alias for p in ordered(tied)] == ["a", "b"]
