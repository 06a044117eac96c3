"""python-keycloak's KeycloakAdmin drives a real server process unchanged."""

from __future__ import annotations

import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakError

from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(server: RunningServer) -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=server.base_url + "/",
        username="admin",
        password="admin-pw",
        realm_name="master",
        user_realm_name="master",
        client_id="admin-cli",
    )


def test_realm_client_user_roles_groups_sessions(
    admin: KeycloakAdmin, server: RunningServer
) -> None:
    admin.create_realm(
        {"realm": "demo", "enabled": True, "accessTokenLifespan": 120}, skip_exists=False
    )
    assert "demo" in [r["realm"] for r in admin.get_realms()]
    with pytest.raises(KeycloakError):
        admin.create_realm({"realm": "demo"}, skip_exists=False)
    admin.change_current_realm("demo")
    assert admin.get_realm("demo")["accessTokenLifespan"] == 120

    client_uuid = admin.create_client(
        {
            "clientId": "shop",
            "publicClient": False,
            "directAccessGrantsEnabled": True,
            "serviceAccountsEnabled": True,
            "redirectUris": ["https://shop.example/cb"],
        }
    )
    assert admin.get_client_id("shop") == client_uuid
    secret = admin.get_client_secrets(client_uuid)["value"]
    assert secret
    regenerated = admin.generate_client_secrets(client_uuid)["value"]
    assert regenerated != secret
    assert admin.get_client_service_account_user(client_uuid)["username"] == "service-account-shop"
    admin.create_client_role(client_uuid, {"name": "buyer"})
    assert [r["name"] for r in admin.get_client_roles(client_uuid)] == ["buyer"]

    user_id = admin.create_user(
        {"username": "carol", "email": "carol@example.com", "enabled": True, "firstName": "Carol"}
    )
    admin.set_user_password(user_id, "carol-pw", temporary=False)
    assert admin.get_user(user_id)["firstName"] == "Carol"
    assert [u["username"] for u in admin.get_users({"search": "car"})] == ["carol"]
    assert admin.users_count() == 1
    with pytest.raises(KeycloakError):
        admin.create_user({"username": "carol"}, exist_ok=False)

    admin.create_realm_role({"name": "editor"})
    admin.assign_realm_roles(user_id, [admin.get_realm_role("editor")])
    assert "editor" in [r["name"] for r in admin.get_realm_roles_of_user(user_id)]

    admin.create_client_role(client_uuid, {"name": "shopper"})
    admin.add_composite_client_roles_to_role(
        client_uuid, "buyer", [admin.get_client_role(client_uuid, "shopper")]
    )
    assert [r["name"] for r in admin.get_composite_client_roles_of_role(client_uuid, "buyer")] == [
        "shopper"
    ]
    buyer = admin.get_client_role(client_uuid, "buyer")
    admin.assign_client_role(user_id, client_uuid, [buyer])
    assert [r["name"] for r in admin.get_client_roles_of_user(user_id, client_uuid)] == ["buyer"]
    assert [r["name"] for r in admin.get_composite_client_roles_of_user(user_id, client_uuid)] == [
        "buyer",
        "shopper",
    ]

    group_id = admin.create_group({"name": "staff"})
    admin.group_user_add(user_id, group_id)
    assert [g["name"] for g in admin.get_user_groups(user_id)] == ["staff"]
    assert [u["username"] for u in admin.get_group_members(group_id)] == ["carol"]
    admin.create_realm_role({"name": "staff-member"})
    admin.assign_group_realm_roles(group_id, [admin.get_realm_role("staff-member")])
    assert [r["name"] for r in admin.get_group_realm_roles(group_id)] == ["staff-member"]
    admin.assign_group_client_roles(
        group_id, client_uuid, [admin.get_client_role(client_uuid, "shopper")]
    )
    assert [r["name"] for r in admin.get_group_client_roles(group_id, client_uuid)] == ["shopper"]

    oidc = KeycloakOpenID(
        server_url=server.base_url + "/",
        realm_name="demo",
        client_id="shop",
        client_secret_key=regenerated,
    )
    tokens = oidc.token("carol", "carol-pw")
    claims = oidc.decode_token(tokens["access_token"])
    assert {"editor", "staff-member"} <= set(claims["realm_access"]["roles"])
    assert claims["resource_access"]["shop"]["roles"] == ["buyer", "shopper"]
    assert len(admin.get_sessions(user_id)) == 1
    admin.user_logout(user_id)
    assert admin.get_sessions(user_id) == []
    with pytest.raises(KeycloakError):
        oidc.refresh_token(tokens["refresh_token"])

    admin.delete_realm_roles_of_user(user_id, [admin.get_realm_role("editor")])
    assert "editor" not in [r["name"] for r in admin.get_realm_roles_of_user(user_id)]
    admin.delete_user(user_id)
    admin.delete_client(client_uuid)
    admin.change_current_realm("master")
    admin.delete_realm("demo")
    assert "demo" not in [r["realm"] for r in admin.get_realms()]
