"""Admin API behaviours the Keycloak admin client relies on, in-process."""

from __future__ import annotations

from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.support import OstiumUnderTest


async def test_trailing_slash_is_answered_directly_not_redirected(
    ostium: OstiumUnderTest,
) -> None:
    token = await master_admin_token(ostium)
    # Negative first: an unknown path with a slash is still a 404, not rewritten into a hit.
    missing = await ostium.client.get(f"{ADMIN}/test/nothing-here/", headers=bearer(token))
    assert missing.status_code == 404
    for suffix in ("/", "/test/users/", "/test/clients/", "/test/groups/", "/test/components/"):
        slashed = await ostium.client.get(f"{ADMIN}{suffix}", headers=bearer(token))
        assert slashed.status_code == 200, (suffix, slashed.status_code)
        plain = await ostium.client.get(f"{ADMIN}{suffix.rstrip('/')}", headers=bearer(token))
        assert plain.status_code == 200
        assert slashed.json() == plain.json()
    for url, body in (
        (f"{ADMIN}/test/users/", {"username": "slashed"}),
        (f"{ADMIN}/test/users", {"username": "plain"}),
        (f"{ADMIN}/test/groups/", {"name": "slashed"}),
        (f"{ADMIN}/test/groups", {"name": "plain"}),
    ):
        created = await ostium.client.post(url, json=body, headers=bearer(token))
        assert created.status_code == 201, (url, created.status_code, created.text)


async def _client_uuid(ostium: OstiumUnderTest, token: str, client_id: str) -> str:
    found = await ostium.client.get(
        f"{ADMIN}/test/clients", params={"clientId": client_id}, headers=bearer(token)
    )
    return str(found.json()[0]["id"])


async def test_an_unknown_protocol_mapper_type_is_refused_not_stored(
    ostium: OstiumUnderTest,
) -> None:
    token = await master_admin_token(ostium)
    uuid = await _client_uuid(ostium, token, "admin-cli")
    models = f"{ADMIN}/test/clients/{uuid}/protocol-mappers/models"
    before = (await ostium.client.get(models, headers=bearer(token))).json()
    nope = {"name": "n", "protocol": "openid-connect", "protocolMapper": "nope", "config": {}}
    refused = await ostium.client.post(models, json=nope, headers=bearer(token))
    assert refused.status_code == 400
    assert "nope" in refused.json()["errorMessage"]
    assert (await ostium.client.get(models, headers=bearer(token))).json() == before
    # The whole-client and client-scope forms go through the same check.
    client = await ostium.client.post(
        f"{ADMIN}/test/clients",
        json={"clientId": "with-nope", "protocolMappers": [nope]},
        headers=bearer(token),
    )
    assert client.status_code == 400
    scope = await ostium.client.post(
        f"{ADMIN}/test/client-scopes",
        json={"name": "with-nope", "protocolMappers": [nope]},
        headers=bearer(token),
    )
    assert scope.status_code == 400
    ok = {**nope, "protocolMapper": "oidc-hardcoded-claim-mapper"}
    created = await ostium.client.post(models, json=ok, headers=bearer(token))
    assert created.status_code == 201
    mapper_id = created.headers["Location"].rsplit("/", 1)[-1]
    update = await ostium.client.put(
        f"{models}/{mapper_id}", json={**nope, "id": mapper_id}, headers=bearer(token)
    )
    assert update.status_code == 400
    stored = (await ostium.client.get(f"{models}/{mapper_id}", headers=bearer(token))).json()
    assert stored["protocolMapper"] == "oidc-hardcoded-claim-mapper"


async def test_realm_roles_search_page_and_brief_as_keycloak(ostium: OstiumUnderTest) -> None:
    token = await master_admin_token(ostium)
    roles = f"{ADMIN}/test/roles"
    for name in ("Zeta-Report", "alpha-report", "beta"):
        body = {"name": name, "description": "payroll" if name == "beta" else None}
        made = await ostium.client.post(roles, json=body, headers=bearer(token))
        assert made.status_code == 201
    none = await ostium.client.get(roles, params={"search": "no-such"}, headers=bearer(token))
    assert none.json() == []
    found = await ostium.client.get(roles, params={"search": "REPORT"}, headers=bearer(token))
    assert [r["name"] for r in found.json()] == ["Zeta-Report", "alpha-report"]  # by name
    by_description = await ostium.client.get(
        roles, params={"search": "PAYROLL"}, headers=bearer(token)
    )
    assert [r["name"] for r in by_description.json()] == ["beta"]
    page = await ostium.client.get(
        roles, params={"search": "report", "first": 1, "max": 1}, headers=bearer(token)
    )
    assert [r["name"] for r in page.json()] == ["alpha-report"]
    everything = (await ostium.client.get(roles, headers=bearer(token))).json()
    limited = await ostium.client.get(roles, params={"max": 2}, headers=bearer(token))
    assert limited.json() == everything[:2]
    assert len(everything) > 2


async def _new_group(
    ostium: OstiumUnderTest, token: str, body: dict[str, object], parent: str | None = None
) -> str:
    url = f"{ADMIN}/test/groups" + (f"/{parent}/children" if parent else "")
    made = await ostium.client.post(url, json=body, headers=bearer(token))
    assert made.status_code == 201, made.text
    return str(made.headers["Location"].rsplit("/", 1)[-1])


async def test_posting_an_existing_group_moves_it_keeping_attributes(
    ostium: OstiumUnderTest,
) -> None:
    token = await master_admin_token(ostium)
    groups = f"{ADMIN}/test/groups"
    parent = await _new_group(ostium, token, {"name": "parent", "attributes": {"k": ["v"]}})
    child = await _new_group(ostium, token, {"name": "child", "attributes": {"a": ["1", "2"]}})
    grandchild = await _new_group(ostium, token, {"name": "gc"}, parent=child)
    await _new_group(ostium, token, {"name": "child"}, parent=parent)  # a same-named sibling
    # Negatives first: a name clash, an unknown id, and moves that would make a cycle.
    clash = await ostium.client.post(
        f"{groups}/{parent}/children", json={"id": child, "name": "child"}, headers=bearer(token)
    )
    assert clash.status_code == 409
    nameless = await ostium.client.post(
        f"{groups}/{parent}/children", json={"id": child}, headers=bearer(token)
    )
    assert nameless.status_code == 400  # Keycloak wants the name even for a move
    unknown = await ostium.client.post(
        f"{groups}/{parent}/children", json={"id": "no-such", "name": "x"}, headers=bearer(token)
    )
    assert unknown.status_code == 404
    for target in (child, grandchild):
        cycle = await ostium.client.post(
            f"{groups}/{target}/children",
            json={"id": child, "name": "child"},
            headers=bearer(token),
        )
        assert cycle.status_code == 400
    bad = await ostium.client.post(
        groups, json={"name": "bad", "attributes": {"k": "v"}}, headers=bearer(token)
    )
    assert bad.status_code == 400
    # Create kept the attributes.
    got = (await ostium.client.get(f"{groups}/{child}", headers=bearer(token))).json()
    assert got["attributes"] == {"a": ["1", "2"]}
    # Renamed to avoid the clash, a move under the parent keeps the id and the subtree;
    # the body's attributes are not applied by a move (as Keycloak).
    renamed = await ostium.client.put(
        f"{groups}/{child}", json={"name": "moved"}, headers=bearer(token)
    )
    assert renamed.status_code == 204
    moved = await ostium.client.post(
        f"{groups}/{parent}/children",
        json={"id": child, "name": "moved", "attributes": {"ignored": ["x"]}},
        headers=bearer(token),
    )
    assert moved.status_code == 204
    got = (await ostium.client.get(f"{groups}/{child}", headers=bearer(token))).json()
    assert got["path"] == "/parent/moved"
    assert got["attributes"] == {"a": ["1", "2"]}
    names = [g["name"] for g in (await ostium.client.get(groups, headers=bearer(token))).json()]
    assert "child" not in names and "moved" not in names
    gc = (await ostium.client.get(f"{groups}/{grandchild}", headers=bearer(token))).json()
    assert gc["path"] == "/parent/moved/gc"
    # POST groups with the id moves it back to the top level.
    top = await ostium.client.post(
        groups, json={"id": child, "name": "moved"}, headers=bearer(token)
    )
    assert top.status_code == 204
    got = (await ostium.client.get(f"{groups}/{child}", headers=bearer(token))).json()
    assert got["path"] == "/moved"
    # PUT replaces the attributes.
    put = await ostium.client.put(
        f"{groups}/{child}", json={"attributes": {"b": ["x"]}}, headers=bearer(token)
    )
    assert put.status_code == 204
    got = (await ostium.client.get(f"{groups}/{child}", headers=bearer(token))).json()
    assert got["attributes"] == {"b": ["x"]}


async def test_groups_and_clients_are_searched_by_attribute_with_q(
    ostium: OstiumUnderTest,
) -> None:
    token = await master_admin_token(ostium)
    groups = f"{ADMIN}/test/groups"
    top = await _new_group(ostium, token, {"name": "org"})
    await _new_group(ostium, token, {"name": "team", "attributes": {"dept": ["eng"]}}, top)
    await _new_group(ostium, token, {"name": "other", "attributes": {"dept": ["ops"]}}, top)
    unfinished = await ostium.client.get(groups, params={"q": "dept:eng\\"}, headers=bearer(token))
    assert unfinished.status_code == 400
    assert "errorMessage" in unfinished.json()
    none = await ostium.client.get(groups, params={"q": "dept:sales"}, headers=bearer(token))
    assert none.json() == []
    tree = (
        await ostium.client.get(
            groups,
            params={"q": "dept:eng", "briefRepresentation": "false"},
            headers=bearer(token),
        )
    ).json()
    assert [g["name"] for g in tree] == ["org"]
    assert [g["name"] for g in tree[0]["subGroups"]] == ["team"]
    assert tree[0]["subGroups"][0]["attributes"] == {"dept": ["eng"]}
    flat = (
        await ostium.client.get(
            groups, params={"q": "dept:eng", "populateHierarchy": "false"}, headers=bearer(token)
        )
    ).json()
    assert [(g["name"], g["path"]) for g in flat] == [("team", "/org/team")]
    assert "attributes" not in flat[0]  # brief by default
    clients = f"{ADMIN}/test/clients"
    for client_id, value in (("tagged-a", "blue"), ("tagged-b", "red")):
        made = await ostium.client.post(
            clients,
            json={"clientId": client_id, "attributes": {"color": value}},
            headers=bearer(token),
        )
        assert made.status_code == 201
    bad = await ostium.client.get(clients, params={"q": "color:\\"}, headers=bearer(token))
    assert bad.status_code == 400
    nothing = await ostium.client.get(clients, params={"q": "color:green"}, headers=bearer(token))
    assert nothing.json() == []
    blue = await ostium.client.get(clients, params={"q": "color:blue"}, headers=bearer(token))
    assert [c["clientId"] for c in blue.json()] == ["tagged-a"]
    both = await ostium.client.get(
        clients,
        params={"q": "color:red", "clientId": "tagged", "search": "true"},
        headers=bearer(token),
    )
    assert [c["clientId"] for c in both.json()] == ["tagged-b"]


async def test_an_imported_unknown_mapper_survives_a_full_client_put(
    ostium: OstiumUnderTest,
) -> None:
    token = await master_admin_token(ostium)
    full_name = {"name": "full name", "protocolMapper": "oidc-full-name-mapper", "config": {}}
    realm = await ostium.client.post(
        ADMIN,
        json={
            "realm": "imported",
            "clients": [{"clientId": "named", "protocolMappers": [full_name]}],
        },
        headers=bearer(token),
    )
    assert realm.status_code == 201, realm.text
    found = await ostium.client.get(
        f"{ADMIN}/imported/clients", params={"clientId": "named"}, headers=bearer(token)
    )
    client = found.json()[0]
    assert [m["protocolMapper"] for m in client["protocolMappers"]] == ["oidc-full-name-mapper"]
    # A new unknown type in the same PUT is still refused; the stored one may come back.
    extra = {**full_name, "name": "other", "protocolMapper": "nope"}
    refused = await ostium.client.put(
        f"{ADMIN}/imported/clients/{client['id']}",
        json={**client, "protocolMappers": [*client["protocolMappers"], extra]},
        headers=bearer(token),
    )
    assert refused.status_code == 400
    put = await ostium.client.put(
        f"{ADMIN}/imported/clients/{client['id']}", json=client, headers=bearer(token)
    )
    assert put.status_code == 204, put.text


async def test_a_client_role_update_is_a_role_update_clash_and_attributes_included(
    ostium: OstiumUnderTest,
) -> None:
    """Client roles and realm roles are updated by one rule: renaming onto a sibling's
    name is a 409 that changes nothing, and `attributes` are kept."""
    token = await master_admin_token(ostium)
    uuid = await _client_uuid(ostium, token, "admin-cli")
    roles = f"{ADMIN}/test/clients/{uuid}/roles"
    for name in ("reader", "writer"):
        created = await ostium.client.post(roles, json={"name": name}, headers=bearer(token))
        assert created.status_code == 201
    clash = await ostium.client.put(
        f"{roles}/reader", json={"name": "writer"}, headers=bearer(token)
    )
    assert clash.status_code == 409
    assert "writer" in clash.json()["errorMessage"]
    assert (await ostium.client.get(f"{roles}/reader", headers=bearer(token))).status_code == 200
    bad = await ostium.client.put(
        f"{roles}/reader", json={"attributes": {"level": "x"}}, headers=bearer(token)
    )
    assert bad.status_code == 400
    updated = await ostium.client.put(
        f"{roles}/reader",
        json={"name": "viewer", "description": "reads", "attributes": {"level": ["1"]}},
        headers=bearer(token),
    )
    assert updated.status_code == 204
    role = (await ostium.client.get(f"{roles}/viewer", headers=bearer(token))).json()
    assert (role["description"], role["attributes"]) == ("reads", {"level": ["1"]})
