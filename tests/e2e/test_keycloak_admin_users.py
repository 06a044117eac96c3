"""python-keycloak's KeycloakAdmin on users' role mappings, credentials, roles by id and
action e-mails, against a real server process (realm `test` imported)."""

from __future__ import annotations

import json

import httpx
import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import (
    KeycloakDeleteError,
    KeycloakGetError,
    KeycloakPostError,
    KeycloakPutError,
)

from tests.e2e.conftest import RunningServer, keycloak_admin

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(server: RunningServer) -> KeycloakAdmin:
    return keycloak_admin(server, "test")


def _names(roles: list[dict[str, object]]) -> list[str]:
    return sorted(str(r["name"]) for r in roles)


def test_unknown_ids_raise_keycloak_errors(admin: KeycloakAdmin) -> None:
    for call in (
        lambda: admin.get_available_realm_roles_of_user("nobody"),
        lambda: admin.get_composite_realm_roles_of_user("nobody"),
        lambda: admin.get_credentials("nobody"),
        lambda: admin.get_role_by_id("nobody"),
    ):
        with pytest.raises(KeycloakGetError) as raised:
            call()
        assert raised.value.response_code == 404
    alice = admin.get_user_id("alice")
    assert alice is not None
    with pytest.raises(KeycloakDeleteError) as deleting:
        admin.delete_credential(alice, "nope")
    assert deleting.value.response_code == 404


def test_role_mappings_and_roles_by_id(admin: KeycloakAdmin) -> None:
    alice = admin.get_user_id("alice")
    assert alice is not None
    assert _names(admin.get_composite_realm_roles_of_user(alice)) == [
        "default-roles-test",
        "editor",
        "offline_access",
        "uma_authorization",
        "user",
    ]
    assert _names(admin.get_available_realm_roles_of_user(alice)) == [
        "offline_access",
        "uma_authorization",
        "user",
    ]
    account = admin.get_client_id("account")
    assert account is not None
    assert "manage-account" in _names(admin.get_composite_client_roles_of_user(alice, account))
    assert "delete-account" in _names(admin.get_available_client_roles_of_user(alice, account))
    staff = admin.get_group_by_path("/staff")
    assert _names(admin.get_composite_client_roles_of_group(account, staff["id"])) == []

    editor = admin.get_realm_role("editor")
    assert admin.get_role_by_id(editor["id"])["name"] == "editor"
    admin.update_role_by_id(editor["id"], {"name": "editor", "description": "edits"})
    assert admin.get_realm_role("editor")["description"] == "edits"
    assert _names(admin.get_role_composites_by_id(editor["id"])) == ["user"]
    admin.create_realm_role({"name": "temporary"})
    temporary = admin.get_realm_role("temporary")
    admin.delete_role_by_id(temporary["id"])
    with pytest.raises(KeycloakGetError):
        admin.get_realm_role("temporary")


def test_credentials_and_action_emails(admin: KeycloakAdmin, server: RunningServer) -> None:
    user_id = admin.create_user({"username": "erin", "email": "erin@example.com", "enabled": True})
    admin.set_user_password(user_id, "erin-pw", temporary=False)
    [password] = admin.get_credentials(user_id)
    assert password["type"] == "password" and "secretData" not in password
    token = admin.connection.token["access_token"]
    labelled = httpx.put(
        f"{server.base_url}/admin/realms/test/users/{user_id}/credentials/{password['id']}/userLabel",
        content=b"laptop",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
    )
    assert labelled.status_code == 204
    assert admin.get_credentials(user_id)[0]["userLabel"] == "laptop"
    with pytest.raises(KeycloakPutError) as verify:
        admin.send_verify_email(user_id)
    assert verify.value.response_code == 400
    assert b"SMTP" in verify.value.response_body
    with pytest.raises(KeycloakPutError) as bad_actions:
        admin.send_update_account(user_id, ["NOT_AN_ACTION"])
    assert b"Provided invalid required actions" in bad_actions.value.response_body
    admin.delete_credential(user_id, password["id"])
    assert admin.get_credentials(user_id) == []


def test_password_policy_refusals_reach_python_keycloak(admin: KeycloakAdmin) -> None:
    """The realm's policy as python-keycloak sees it: a malformed policy and a refused
    password are Keycloak's 400 bodies, and nothing is written."""
    with pytest.raises(KeycloakPutError) as malformed:
        admin.update_realm("test", {"passwordPolicy": "length(8) and strength(3)"})
    assert malformed.value.response_code == 400
    assert json.loads(malformed.value.response_body) == {
        "errorMessage": "Password policy not found"
    }
    admin.update_realm("test", {"passwordPolicy": "length(12) and digits(1)"})
    try:
        assert admin.get_realm("test")["passwordPolicy"] == "length(12) and digits(1)"
        with pytest.raises(KeycloakPostError) as creating:
            admin.create_user(
                {
                    "username": "frank",
                    "enabled": True,
                    "credentials": [{"type": "password", "value": "short1"}],
                }
            )
        assert creating.value.response_code == 400
        assert json.loads(creating.value.response_body)["error"] == (
            "invalidPasswordMinLengthMessage"
        )
        assert admin.get_user_id("frank") is None
        bob = admin.get_user_id("bob")
        assert bob is not None
        with pytest.raises(KeycloakPutError) as resetting:
            admin.set_user_password(bob, "no digits at all", temporary=True)
        assert resetting.value.response_code == 400
        body = json.loads(resetting.value.response_body)
        assert body["error"] == "invalidPasswordMinDigitsMessage"
        assert body["error_description"].startswith("Invalid password")
        assert "UPDATE_PASSWORD" not in admin.get_user(bob)["requiredActions"]
        admin.set_user_password(bob, "twelve chars 1", temporary=True)
        assert admin.get_user(bob)["requiredActions"] == ["UPDATE_PASSWORD"]
        admin.set_user_password(bob, "builder and 2 more", temporary=False)
        assert admin.get_user(bob)["requiredActions"] == []
    finally:
        admin.update_realm("test", {"passwordPolicy": ""})
