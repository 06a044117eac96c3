"""Keycloak's user search over HTTP: `q` attribute pairs, the flag filters, `exact`,
`briefRepresentation` and `users/count`, in-process."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.helpers import allow_unmanaged_attributes
from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.support import OstiumUnderTest

USERS = f"{ADMIN}/test/users"

PEOPLE: list[dict[str, Any]] = [
    {"username": "eng-paris", "attributes": {"dept": ["eng"], "site": ["Paris"]}},
    {"username": "eng-lyon", "attributes": {"dept": ["Eng", "ops"], "site": ["Lyon"]}},
    {
        "username": "sales-paris",
        "enabled": False,
        "emailVerified": True,
        "attributes": {"dept": ["sales"], "site": ["Paris"], "title": ["head of sales"]},
    },
]


@pytest.fixture
async def headers(ostium: OstiumUnderTest) -> dict[str, str]:
    auth = bearer(await master_admin_token(ostium))
    await allow_unmanaged_attributes(ostium, auth)
    for person in PEOPLE:
        created = await ostium.client.post(USERS, json=person, headers=auth)
        assert created.status_code == 201, created.text
    return auth


async def usernames(ostium: OstiumUnderTest, headers: dict[str, str], **params: str) -> list[str]:
    response = await ostium.client.get(USERS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    found = sorted(u["username"] for u in response.json())
    count = await ostium.client.get(f"{USERS}/count", params=params, headers=headers)
    assert count.status_code == 200, count.text
    assert count.json() == len(found), params
    return found


async def test_q_matches_nobody_without_the_attribute(
    ostium: OstiumUnderTest, headers: dict[str, str]
) -> None:
    """The bug this fixes: `q` was ignored and every user came back."""
    assert await usernames(ostium, headers, q="dept:nope") == []
    assert await usernames(ostium, headers, q="nosuch:eng") == []
    assert await usernames(ostium, headers, q="dept:en") == []  # whole values
    assert await usernames(ostium, headers, q="Dept:eng") == []  # names as written
    assert await usernames(ostium, headers, q="dept:eng site:Nice") == []


async def test_q_with_one_and_several_pairs(
    ostium: OstiumUnderTest, headers: dict[str, str]
) -> None:
    assert await usernames(ostium, headers, q="dept:eng") == ["eng-lyon", "eng-paris"]
    assert await usernames(ostium, headers, q="dept:ENG") == ["eng-lyon", "eng-paris"]
    assert await usernames(ostium, headers, q="dept:ops") == ["eng-lyon"]
    assert await usernames(ostium, headers, q="dept:eng site:paris") == ["eng-paris"]
    assert await usernames(ostium, headers, q='title:"head of sales"') == ["sales-paris"]
    # Keycloak's default for attributes is whole values; exact=false asks for substrings.
    assert await usernames(ostium, headers, q="dept:en", exact="false") == [
        "eng-lyon",
        "eng-paris",
    ]


async def test_q_with_the_flag_filters(ostium: OstiumUnderTest, headers: dict[str, str]) -> None:
    assert await usernames(ostium, headers, q="site:paris", enabled="true") == ["eng-paris"]
    assert await usernames(ostium, headers, q="site:paris", enabled="false") == ["sales-paris"]
    assert await usernames(ostium, headers, q="site:paris", emailVerified="true") == ["sales-paris"]
    assert "sales-paris" not in await usernames(ostium, headers, enabled="true")
    assert await usernames(ostium, headers, username="eng", exact="true") == []
    assert await usernames(ostium, headers, username="eng-lyon", exact="true") == ["eng-lyon"]


async def test_idp_alias_matches_nobody_without_brokering(
    ostium: OstiumUnderTest, headers: dict[str, str]
) -> None:
    """No user has an identity-provider link (Ostium has no brokering yet)."""
    assert await usernames(ostium, headers, idpAlias="github") == []
    assert await usernames(ostium, headers, idpUserId="42", q="dept:eng") == []


async def test_malformed_q_reads_as_keycloak_reads_it(
    ostium: OstiumUnderTest, headers: dict[str, str]
) -> None:
    everyone = await usernames(ostium, headers)
    assert {"eng-lyon", "eng-paris", "sales-paris"} <= set(everyone)
    # A token without a colon is skipped; a q with no pair filters nothing (Keycloak).
    assert await usernames(ostium, headers, q="dept") == everyone
    assert await usernames(ostium, headers, q="dept dept:ops") == ["eng-lyon"]
    # Keycloak fails with a 500 here; a clear 400 instead.
    for params in ({"q": "dept:eng\\"}, {"q": "\\"}):
        for path in (USERS, f"{USERS}/count"):
            bad = await ostium.client.get(path, params=params, headers=headers)
            assert bad.status_code == 400, bad.text
            assert "errorMessage" in bad.json()
    not_a_flag = await ostium.client.get(USERS, params={"enabled": "maybe"}, headers=headers)
    assert not_a_flag.status_code == 400
    assert "errorMessage" in not_a_flag.json()


async def test_search_ignores_q_as_keycloak_does(
    ostium: OstiumUnderTest, headers: dict[str, str]
) -> None:
    """With `search`, Keycloak applies only `enabled` besides it."""
    assert await usernames(ostium, headers, search="paris", q="dept:nope") == [
        "eng-paris",
        "sales-paris",
    ]
    assert await usernames(ostium, headers, search="paris", enabled="false") == ["sales-paris"]


async def test_brief_representation(ostium: OstiumUnderTest, headers: dict[str, str]) -> None:
    full = (await ostium.client.get(USERS, params={"q": "dept:ops"}, headers=headers)).json()
    assert full[0]["attributes"]["dept"] == ["Eng", "ops"]
    brief = (
        await ostium.client.get(
            USERS, params={"q": "dept:ops", "briefRepresentation": "true"}, headers=headers
        )
    ).json()
    assert [u["username"] for u in brief] == ["eng-lyon"]
    assert "attributes" not in brief[0]
    assert "requiredActions" not in brief[0]
    assert {"id", "username", "enabled", "emailVerified", "createdTimestamp"} <= set(brief[0])


async def test_q_follows_updates_and_deletes(
    ostium: OstiumUnderTest, headers: dict[str, str]
) -> None:
    user = (await ostium.client.get(USERS, params={"q": "dept:ops"}, headers=headers)).json()[0]
    updated = await ostium.client.put(
        f"{USERS}/{user['id']}", json={"attributes": {"dept": ["hr"]}}, headers=headers
    )
    assert updated.status_code == 204, updated.text
    assert await usernames(ostium, headers, q="dept:ops") == []
    assert await usernames(ostium, headers, q="dept:hr") == ["eng-lyon"]
    deleted = await ostium.client.delete(f"{USERS}/{user['id']}", headers=headers)
    assert deleted.status_code == 204
    assert await usernames(ostium, headers, q="dept:hr") == []
