"""Effective and available role mappings of users and groups, users' group counts, and
roles-by-id, over HTTP as Keycloak's admin clients call them."""

from __future__ import annotations

from tests.admin.helpers import (
    TEST,
    admin_headers,
    client_uuid,
    grant_management_role,
    names,
    user_id,
    user_token_headers,
)
from tests.support import OstiumUnderTest

KINDS = ("realm/composite", "realm/available")


async def test_unknown_user_group_or_client_is_404_and_non_admin_is_403(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    for path in (
        "users/nobody/role-mappings/realm/composite",
        "users/nobody/role-mappings/realm/available",
        "groups/nogroup/role-mappings/realm/composite",
        "groups/nogroup/role-mappings/realm/available",
        f"users/{alice}/role-mappings/clients/noclient/composite",
        f"users/{alice}/role-mappings/clients/noclient/available",
        f"users/{alice}/role-mappings/clients/noclient",
        "users/nobody/groups/count",
    ):
        response = await ostium.client.get(f"{TEST}/{path}", headers=headers)
        assert response.status_code == 404, path
        assert "error" in response.json()
    bob = await user_token_headers(ostium, "bob", "builder")
    for kind in KINDS:
        response = await ostium.client.get(
            f"{TEST}/users/{alice}/role-mappings/{kind}", headers=bob
        )
        assert response.status_code == 403


async def test_user_effective_roles_include_groups_and_composites(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    base = f"{TEST}/users/{alice}/role-mappings"
    effective = (await ostium.client.get(f"{base}/realm/composite", headers=headers)).json()
    # editor (direct) -> user (composite); user also comes from group staff.
    assert names(effective) == [
        "default-roles-test",
        "editor",
        "offline_access",
        "uma_authorization",
        "user",
    ]
    # Only directly mapped roles leave the available list: `user` is effective but can
    # still be mapped, as in Keycloak (hasDirectRole).
    available = (await ostium.client.get(f"{base}/realm/available", headers=headers)).json()
    assert names(available) == ["offline_access", "uma_authorization", "user"]
    account = await client_uuid(ostium, headers, "account")
    account_effective = (
        await ostium.client.get(f"{base}/clients/{account}/composite", headers=headers)
    ).json()
    assert names(account_effective) == ["manage-account", "manage-account-links", "view-profile"]
    assert all(r["clientRole"] and r["containerId"] == account for r in account_effective)
    app = await client_uuid(ostium, headers, "app")
    app_available = (
        await ostium.client.get(f"{base}/clients/{app}/available", headers=headers)
    ).json()
    assert app_available == []  # app-admin is mapped directly
    assert names(
        (await ostium.client.get(f"{base}/clients/{app}/composite", headers=headers)).json()
    ) == ["app-admin"]


async def test_brief_representation_controls_role_attributes(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    editor = (await ostium.client.get(f"{TEST}/roles/editor", headers=headers)).json()
    put = await ostium.client.put(
        f"{TEST}/roles-by-id/{editor['id']}",
        json={"name": "editor", "attributes": {"level": ["2"]}},
        headers=headers,
    )
    assert put.status_code == 204
    alice = await user_id(ostium, headers, "alice")
    url = f"{TEST}/users/{alice}/role-mappings/realm/composite"
    brief = {r["name"]: r for r in (await ostium.client.get(url, headers=headers)).json()}
    assert "attributes" not in brief["editor"]
    full = {
        r["name"]: r
        for r in (
            await ostium.client.get(url, params={"briefRepresentation": "false"}, headers=headers)
        ).json()
    }
    assert full["editor"]["attributes"] == {"level": ["2"]}


async def test_group_effective_roles_inherit_from_parent(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    staff = (await ostium.client.get(f"{TEST}/group-by-path/staff", headers=headers)).json()
    created = await ostium.client.post(
        f"{TEST}/groups/{staff['id']}/children", json={"name": "night"}, headers=headers
    )
    assert created.status_code == 201
    night = created.headers["location"].rsplit("/", 1)[1]
    editor = (await ostium.client.get(f"{TEST}/roles/editor", headers=headers)).json()
    mapped = await ostium.client.post(
        f"{TEST}/groups/{night}/role-mappings/realm", json=[editor], headers=headers
    )
    assert mapped.status_code == 204
    base = f"{TEST}/groups/{night}/role-mappings"
    effective = (await ostium.client.get(f"{base}/realm/composite", headers=headers)).json()
    assert names(effective) == ["editor", "user"]
    available = names((await ostium.client.get(f"{base}/realm/available", headers=headers)).json())
    assert "editor" not in available and "user" in available
    parent = (
        await ostium.client.get(
            f"{TEST}/groups/{staff['id']}/role-mappings/realm/composite", headers=headers
        )
    ).json()
    assert names(parent) == ["user"]  # a parent does not get its children's roles


async def test_user_group_count(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    alice = await user_id(ostium, headers, "alice")
    bob = await user_id(ostium, headers, "bob")
    url = f"{TEST}/users/{alice}/groups/count"
    assert (await ostium.client.get(url, headers=headers)).json() == {"count": 1}
    assert (await ostium.client.get(url, params={"search": "STA"}, headers=headers)).json() == {
        "count": 1
    }
    assert (await ostium.client.get(url, params={"search": "zzz"}, headers=headers)).json() == {
        "count": 0
    }
    assert (
        await ostium.client.get(f"{TEST}/users/{bob}/groups/count", headers=headers)
    ).json() == {"count": 0}


async def test_roles_by_id_refuses_unknown_and_foreign_roles(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    master_admin_role = (
        await ostium.client.get(f"{TEST.rsplit('/', 1)[0]}/master/roles/admin", headers=headers)
    ).json()
    for role_id in ("nope", master_admin_role["id"]):  # another realm's role is unknown here
        for method in ("GET", "DELETE"):
            response = await ostium.client.request(
                method, f"{TEST}/roles-by-id/{role_id}", headers=headers
            )
            assert response.status_code == 404, (method, role_id)
            assert response.json() == {"error": "Could not find role with id"}
    editor = (await ostium.client.get(f"{TEST}/roles/editor", headers=headers)).json()
    for body in ({"name": ""}, {"attributes": {"a": "not-a-list"}}, {"description": 3}):
        bad = await ostium.client.put(
            f"{TEST}/roles-by-id/{editor['id']}", json=body, headers=headers
        )
        assert bad.status_code == 400, body
        assert "errorMessage" in bad.json()
    taken = await ostium.client.put(
        f"{TEST}/roles-by-id/{editor['id']}", json={"name": "user"}, headers=headers
    )
    assert taken.status_code == 409
    assert taken.json() == {"errorMessage": "Role with name user already exists"}
    assert (await ostium.client.get(f"{TEST}/roles/editor", headers=headers)).json() == editor
    default = (await ostium.client.get(f"{TEST}/roles/default-roles-test", headers=headers)).json()
    refused = await ostium.client.delete(f"{TEST}/roles-by-id/{default['id']}", headers=headers)
    assert refused.status_code == 400
    unknown_child = await ostium.client.post(
        f"{TEST}/roles-by-id/{editor['id']}/composites", json=[{"id": "nope"}], headers=headers
    )
    assert unknown_child.status_code == 404
    no_client = await ostium.client.get(
        f"{TEST}/roles-by-id/{editor['id']}/composites/clients/nope", headers=headers
    )
    assert no_client.status_code == 404


async def test_roles_by_id_permissions_follow_the_role_kind(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    app = await client_uuid(ostium, headers, "app")
    app_admin = (
        await ostium.client.get(f"{TEST}/clients/{app}/roles/app-admin", headers=headers)
    ).json()
    editor = (await ostium.client.get(f"{TEST}/roles/editor", headers=headers)).json()
    bob = await user_token_headers(ostium, "bob", "builder")
    assert (
        await ostium.client.get(f"{TEST}/roles-by-id/{editor['id']}", headers=bob)
    ).status_code == 403
    await grant_management_role(ostium, headers, "bob", "view-clients")
    bob = await user_token_headers(ostium, "bob", "builder")
    assert (
        await ostium.client.get(f"{TEST}/roles-by-id/{app_admin['id']}", headers=bob)
    ).status_code == 200
    assert (
        await ostium.client.get(f"{TEST}/roles-by-id/{editor['id']}", headers=bob)
    ).status_code == 403  # a realm role needs view-realm
    assert (
        await ostium.client.delete(f"{TEST}/roles-by-id/{app_admin['id']}", headers=bob)
    ).status_code == 403  # view, not manage


async def test_roles_by_id_reads_updates_composites_and_deletes(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    app = await client_uuid(ostium, headers, "app")
    editor = (await ostium.client.get(f"{TEST}/roles/editor", headers=headers)).json()
    app_admin = (
        await ostium.client.get(f"{TEST}/clients/{app}/roles/app-admin", headers=headers)
    ).json()
    url = f"{TEST}/roles-by-id/{editor['id']}"
    got = (await ostium.client.get(url, headers=headers)).json()
    assert got["name"] == "editor" and got["composite"] is True and got["clientRole"] is False
    added = await ostium.client.post(f"{url}/composites", json=[app_admin], headers=headers)
    assert added.status_code == 204
    assert names((await ostium.client.get(f"{url}/composites", headers=headers)).json()) == [
        "app-admin",
        "user",
    ]
    assert names((await ostium.client.get(f"{url}/composites/realm", headers=headers)).json()) == [
        "user"
    ]
    assert names(
        (await ostium.client.get(f"{url}/composites/clients/{app}", headers=headers)).json()
    ) == ["app-admin"]
    searched = await ostium.client.get(
        f"{url}/composites", params={"search": "APP"}, headers=headers
    )
    assert names(searched.json()) == ["app-admin"]
    # The new composite reaches alice's effective roles at once.
    bob = await user_id(ostium, headers, "bob")
    await ostium.client.post(
        f"{TEST}/users/{bob}/role-mappings/realm", json=[editor], headers=headers
    )
    effective = (
        await ostium.client.get(
            f"{TEST}/users/{bob}/role-mappings/clients/{app}/composite", headers=headers
        )
    ).json()
    assert names(effective) == ["app-admin"]
    removed = await ostium.client.request(
        "DELETE", f"{url}/composites", json=[app_admin], headers=headers
    )
    assert removed.status_code == 204
    assert names((await ostium.client.get(f"{url}/composites", headers=headers)).json()) == ["user"]
    renamed = await ostium.client.put(
        url, json={"name": "writer", "description": "writes"}, headers=headers
    )
    assert renamed.status_code == 204
    writer = (await ostium.client.get(f"{TEST}/roles/writer", headers=headers)).json()
    assert writer["id"] == editor["id"] and writer["description"] == "writes"
    assert (await ostium.client.delete(url, headers=headers)).status_code == 204
    assert (await ostium.client.get(url, headers=headers)).status_code == 404
