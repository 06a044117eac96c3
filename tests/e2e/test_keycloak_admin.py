"""python-keycloak's KeycloakAdmin drives a real server process unchanged."""

from __future__ import annotations

import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakError

from tests.e2e.conftest import RunningServer, keycloak_admin

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(server: RunningServer) -> KeycloakAdmin:
    return keycloak_admin(server, "master")


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


def test_group_tree_role_members_and_client_sessions(
    admin: KeycloakAdmin, server: RunningServer
) -> None:
    admin.create_realm({"realm": "tree", "enabled": True}, skip_exists=False)
    admin.change_current_realm("tree")
    try:
        engineering = admin.create_group({"name": "engineering"})
        backend = admin.create_group({"name": "backend"}, parent=engineering)
        admin.create_group({"name": "db"}, parent=backend)
        admin.create_group({"name": "sales"})

        assert admin.groups_count()["count"] == 4
        assert admin.groups_count({"top": "true"})["count"] == 2
        tree = admin.get_groups(full_hierarchy=True)
        assert [g["name"] for g in tree] == ["engineering", "sales"]
        assert tree[0]["subGroupCount"] == 1
        assert [g["path"] for g in tree[0]["subGroups"]] == ["/engineering/backend"]
        assert [g["path"] for g in tree[0]["subGroups"][0]["subGroups"]] == [
            "/engineering/backend/db"
        ]
        children = admin.get_group_children(engineering)
        assert [(g["name"], g["subGroupCount"]) for g in children] == [("backend", 1)]
        assert admin.get_group_by_path("/engineering/backend/db")["name"] == "db"
        assert [g["name"] for g in admin.get_groups({"search": "db"})] == ["engineering"]

        admin.update_group(backend, {"name": "platform", "attributes": {"floor": ["3"]}})
        renamed = admin.get_group(backend)
        assert renamed["path"] == "/engineering/platform"
        assert renamed["attributes"] == {"floor": ["3"]}
        with pytest.raises(KeycloakError) as sibling:
            admin.update_group(admin.get_group_by_path("/sales")["id"], {"name": "engineering"})
        assert sibling.value.response_code == 409

        client_uuid = admin.create_client(
            {"clientId": "desk", "publicClient": True, "directAccessGrantsEnabled": True}
        )
        admin.create_client_role(client_uuid, {"name": "agent"})
        admin.create_realm_role({"name": "support"})
        users = {}
        for name in ("dave", "erin"):
            users[name] = admin.create_user(
                {"username": name, "enabled": True, "email": f"{name}@tree.example"}
            )
            admin.set_user_password(users[name], f"{name}-pw", temporary=False)
        admin.assign_realm_roles(users["erin"], [admin.get_realm_role("support")])
        admin.assign_client_role(
            users["dave"], client_uuid, [admin.get_client_role(client_uuid, "agent")]
        )
        assert [u["username"] for u in admin.get_realm_role_members("support")] == ["erin"]
        assert [u["username"] for u in admin.get_client_role_members(client_uuid, "agent")] == [
            "dave"
        ]
        assert admin.users_count({"search": "dave"}) == 1
        assert admin.users_count({"email": "tree.example"}) == 2

        assert admin.get_client_all_sessions(client_uuid) == []
        oidc = KeycloakOpenID(server_url=server.base_url + "/", realm_name="tree", client_id="desk")
        oidc.token("dave", "dave-pw")
        sessions = admin.get_client_all_sessions(client_uuid)
        assert [(s["username"], s["clients"]) for s in sessions] == [
            ("dave", {client_uuid: "desk"})
        ]
    finally:
        admin.change_current_realm("master")
        admin.delete_realm("tree")


def test_user_profile_through_python_keycloak(admin: KeycloakAdmin) -> None:
    """get/update_realm_users_profile, and a user the profile refuses is a KeycloakError."""
    admin.create_realm({"realm": "profiled", "enabled": True}, skip_exists=False)
    admin.change_current_realm("profiled")
    try:
        profile = admin.get_realm_users_profile()
        assert [a["name"] for a in profile["attributes"]][:2] == ["username", "email"]
        with pytest.raises(KeycloakError):
            admin.update_realm_users_profile({"attributes": [{"name": "username"}]})
        profile["attributes"].append(
            {
                "name": "costCentre",
                "required": {"roles": ["admin"]},
                "permissions": {"view": ["admin"], "edit": ["admin"]},
                "validations": {"integer": {"min": 100, "max": 999}},
            }
        )
        stored = admin.update_realm_users_profile(profile)
        assert stored["attributes"][-1]["name"] == "costCentre"
        with pytest.raises(KeycloakError) as refused:
            admin.create_user({"username": "dana", "attributes": {"costCentre": ["5"]}})
        assert refused.value.response_code == 400
        user_id = admin.create_user({"username": "dana", "attributes": {"costCentre": ["500"]}})
        assert admin.get_user(user_id)["attributes"] == {"costCentre": ["500"]}
    finally:
        admin.change_current_realm("master")
