"""The declarative user profile over the admin API: its config, its metadata, and the
admin's user writes it holds to account. In-process server, real SQLite storage."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from ostium.admin.export import export_realm
from ostium.services.realm_import import RealmImportError, parse_realm
from ostium.services.realm_setup import write_bundle
from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.support import OstiumUnderTest

PROFILE = f"{ADMIN}/test/users/profile"
USERS = f"{ADMIN}/test/users"


async def headers_of(ostium: OstiumUnderTest) -> dict[str, str]:
    return bearer(await master_admin_token(ostium))


async def current_profile(ostium: OstiumUnderTest, headers: dict[str, str]) -> dict[str, Any]:
    response = await ostium.client.get(PROFILE, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def put_profile(
    ostium: OstiumUnderTest, headers: dict[str, str], config: Any
) -> httpx.Response:
    return await ostium.client.put(PROFILE, json=config, headers=headers)


def custom(base: dict[str, Any], *attributes: dict[str, Any], **top: Any) -> dict[str, Any]:
    config = copy.deepcopy(base)
    config["attributes"] += list(attributes)
    config.update(top)
    return config


async def test_bad_profiles_are_400_and_change_nothing(ostium: OstiumUnderTest) -> None:
    headers = await headers_of(ostium)
    before = await current_profile(ostium, headers)
    for bad in (
        [],
        {},
        {"attributes": [{"name": "email"}]},
        custom(before, {"name": "shoe", "validations": {"no-such-validator": {}}}),
        custom(before, {"name": "shoe", "validations": {"length": {"max": "big"}}}),
        custom(before, {"name": "shoe", "permissions": {"edit": ["root"]}}),
        custom(before, {"name": "shoe", "selector": {"scopes": ["no-such-scope"]}}),
        custom(before, unmanagedAttributePolicy="SOMETIMES"),
    ):
        response = await put_profile(ostium, headers, bad)
        assert response.status_code == 400, bad
        assert response.json()["errorMessage"], bad
    unknown = await put_profile(
        ostium, headers, custom(before, {"name": "shoe", "validations": {"nope": {}}})
    )
    assert (
        "Validator 'nope' defined for attribute 'shoe' doesn't exist"
        in (unknown.json()["errorMessage"])
    )
    assert await current_profile(ostium, headers) == before
    not_json = await ostium.client.put(
        PROFILE, content=b"{", headers={**headers, "content-type": "application/json"}
    )
    assert not_json.status_code == 400


async def test_who_may_read_and_write_the_profile(ostium: OstiumUnderTest) -> None:
    token = (await ostium.password_grant()).json()["access_token"]  # alice: no admin role
    assert (await ostium.client.get(PROFILE, headers=bearer(token))).status_code == 403
    assert (
        await ostium.client.get(f"{PROFILE}/metadata", headers=bearer(token))
    ).status_code == 403
    assert (await put_profile(ostium, bearer(token), {"attributes": []})).status_code == 403
    assert (await ostium.client.get(PROFILE)).status_code == 401
    headers = await headers_of(ostium)
    assert (
        await ostium.client.get(f"{ADMIN}/nope/users/profile", headers=headers)
    ).status_code == (404)


async def test_default_profile_and_its_metadata(ostium: OstiumUnderTest) -> None:
    headers = await headers_of(ostium)
    config = await current_profile(ostium, headers)
    assert [a["name"] for a in config["attributes"]] == [
        "username",
        "email",
        "firstName",
        "lastName",
    ]
    username = config["attributes"][0]
    assert username["validations"] == {
        "length": {"min": 3, "max": 255},
        "username-prohibited-characters": {},
        "up-username-not-idn-homograph": {},
    }
    assert username["permissions"] == {"view": ["admin", "user"], "edit": ["admin", "user"]}
    assert config["attributes"][1]["required"] == {"roles": ["user"]}
    assert "unmanagedAttributePolicy" not in config
    meta = (await ostium.client.get(f"{PROFILE}/metadata", headers=headers)).json()
    assert [(a["name"], a["required"], a["readOnly"]) for a in meta["attributes"]] == [
        ("username", True, False),
        ("email", False, False),
        ("firstName", False, False),
        ("lastName", False, False),
    ]
    assert meta["attributes"][0]["validators"]["multivalued"] == {"max": "1"}


async def test_put_round_trips_in_canonical_form(ostium: OstiumUnderTest) -> None:
    headers = await headers_of(ostium)
    base = await current_profile(ostium, headers)
    sent = custom(
        base,
        {
            "permissions": {"edit": ["admin"], "view": ["admin", "user"]},
            "name": "department",
            "displayName": "Department",
            "validations": {"options": {"options": ["sales", "ops"]}},
            "group": "work",
            "annotations": {"inputType": "select"},
        },
        groups=[{"name": "work", "displayHeader": "Work"}],
        unmanagedAttributePolicy="ADMIN_EDIT",
    )
    response = await put_profile(ostium, headers, sent)
    assert response.status_code == 200, response.text
    stored = response.json()
    department = stored["attributes"][-1]
    assert list(department) == [
        "name",
        "displayName",
        "validations",
        "annotations",
        "permissions",
        "group",
        "multivalued",
    ]
    assert department["permissions"] == {"view": ["admin", "user"], "edit": ["admin"]}
    assert stored["unmanagedAttributePolicy"] == "ADMIN_EDIT"
    assert await current_profile(ostium, headers) == stored
    meta = (await ostium.client.get(f"{PROFILE}/metadata", headers=headers)).json()
    assert meta["groups"] == [{"name": "work", "displayHeader": "Work"}]
    listed = {a["name"]: a for a in meta["attributes"]}
    assert listed["department"]["group"] == "work"
    assert listed["department"]["annotations"] == {"inputType": "select"}
    assert listed["department"]["validators"]["options"] == {
        "options": ["sales", "ops"],
        "ignore.empty.value": True,
    }


async def test_create_and_update_are_held_to_the_profile(ostium: OstiumUnderTest) -> None:
    headers = await headers_of(ostium)
    base = await current_profile(ostium, headers)
    config = custom(
        base,
        {
            "name": "employeeNumber",
            "required": {"roles": ["admin"]},
            "permissions": {"view": ["admin"], "edit": ["admin"]},
            "validations": {"pattern": {"pattern": "E[0-9]{4}", "error-message": "bad-number"}},
        },
        {"name": "badge", "permissions": {"view": ["admin"], "edit": ["user"]}},
    )
    assert (await put_profile(ostium, headers, config)).status_code == 200

    too_short = await ostium.client.post(
        USERS, json={"username": "jo", "attributes": {"employeeNumber": ["E0001"]}}, headers=headers
    )
    assert too_short.status_code == 400
    assert too_short.json() == {
        "field": "username",
        "errorMessage": "error-invalid-length",
        "params": ["username", 3, 255],
    }
    several = await ostium.client.post(
        USERS,
        json={"username": "joe", "email": "not-an-email", "attributes": {"badge": ["7"]}},
        headers=headers,
    )
    assert several.status_code == 400
    assert sorted((e["field"], e["errorMessage"]) for e in several.json()["errors"]) == [
        ("badge", "updateReadOnlyAttributesRejectedMessage"),
        ("email", "error-invalid-email"),
        ("employeeNumber", "error-user-attribute-required"),
    ]
    pattern = await ostium.client.post(
        USERS, json={"username": "joe", "attributes": {"employeeNumber": ["X1"]}}, headers=headers
    )
    assert pattern.json()["errorMessage"] == "bad-number"
    listed = await ostium.client.get(USERS, params={"username": "joe"}, headers=headers)
    assert listed.json() == []  # nothing half-written

    created = await ostium.client.post(
        USERS,
        json={
            "username": "joe",
            "attributes": {"employeeNumber": ["E0001"], "shoeSize": ["44"]},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    user_url = created.headers["location"]
    joe = (await ostium.client.get(user_url, headers=headers)).json()
    # No unmanagedAttributePolicy: the attribute the profile does not know is not stored.
    assert joe["attributes"] == {"employeeNumber": ["E0001"]}

    wrong = await ostium.client.put(
        user_url, json={"attributes": {"employeeNumber": ["E12"]}}, headers=headers
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "employeeNumber"
    cleared = await ostium.client.put(user_url, json={"attributes": {}}, headers=headers)
    assert cleared.json()["errorMessage"] == "error-user-attribute-required"
    names = await ostium.client.put(user_url, json={"firstName": "<script>"}, headers=headers)
    assert names.json()["errorMessage"] == "error-person-name-invalid-character"
    assert (await ostium.client.get(user_url, headers=headers)).json()["attributes"] == {
        "employeeNumber": ["E0001"]
    }
    ok = await ostium.client.put(
        user_url,
        json={"firstName": "Joe", "attributes": {"employeeNumber": ["E0002"]}},
        headers=headers,
    )
    assert ok.status_code == 204, ok.text
    joe = (await ostium.client.get(user_url, headers=headers)).json()
    assert joe["firstName"] == "Joe" and joe["attributes"] == {"employeeNumber": ["E0002"]}
    # A partial update without `attributes` keeps them, and the requirement is met.
    assert (
        await ostium.client.put(user_url, json={"lastName": "Doe"}, headers=headers)
    ).status_code == 204


async def test_unmanaged_attributes_with_admin_edit(ostium: OstiumUnderTest) -> None:
    headers = await headers_of(ostium)
    base = await current_profile(ostium, headers)
    edit = custom(base, unmanagedAttributePolicy="ADMIN_EDIT")
    assert (await put_profile(ostium, headers, edit)).status_code == 200
    created = await ostium.client.post(
        USERS,
        json={"username": "kim", "attributes": {"shoeSize": ["44"], "LDAP_ID": ["x"]}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    kim = (await ostium.client.get(created.headers["location"], headers=headers)).json()
    assert kim["attributes"] == {"shoeSize": ["44"]}  # LDAP_ID is never the admin's to set


async def test_realm_export_and_import_carry_the_profile(ostium: OstiumUnderTest) -> None:
    headers = await headers_of(ostium)
    base = await current_profile(ostium, headers)
    config = custom(
        base,
        {"name": "team", "permissions": {"view": ["admin"], "edit": ["admin"]}},
        unmanagedAttributePolicy="ENABLED",
    )
    stored = (await put_profile(ostium, headers, config)).json()
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("test")
        assert realm is not None
        exported = await export_realm(repos, realm, include_users=False)
    component = exported["components"]["org.keycloak.userprofile.UserProfileProvider"][0]
    assert component["providerId"] == "declarative-user-profile"
    assert (await ostium.client.delete(f"{ADMIN}/test", headers=headers)).status_code == 204
    assert (await ostium.client.get(PROFILE, headers=headers)).status_code == 404
    bundle = parse_realm(exported, now=0, env={})
    async with ostium.storage.transaction() as repos:
        await write_bundle(repos, bundle)
    assert await current_profile(ostium, headers) == stored
    # An export whose profile is broken is refused, as a PUT of it would be.
    component["config"]["kc.user.profile.config"] = ['{"attributes":[{"name":"x y"}]}']
    exported["realm"] = "broken"
    with pytest.raises(RealmImportError, match="invalid user profile"):
        parse_realm(exported, now=0, env={})
