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
