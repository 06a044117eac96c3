"""Bugs the schemathesis run over the admin API found (tests/e2e/test_admin_openapi.py),
each pinned here by the request that showed it."""

from __future__ import annotations

from urllib.parse import unquote

from tests.admin.helpers import TEST, admin_headers, client_uuid
from tests.support import OstiumUnderTest


async def test_a_role_named_outside_latin_1_is_created_with_an_encoded_location(
    ostium: OstiumUnderTest,
) -> None:
    # The name went raw into the Location header, which HTTP writes in Latin-1: a 500.
    headers = await admin_headers(ostium)
    response = await ostium.client.post(f"{TEST}/roles", json={"name": "Ωmega ok"}, headers=headers)
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    assert location.endswith("/roles/%CE%A9mega%20ok")
    read = await ostium.client.get(
        f"{TEST}/roles/{unquote(location.rsplit('/', 1)[1])}", headers=headers
    )
    assert read.status_code == 200
    assert read.json()["name"] == "Ωmega ok"


async def test_a_client_role_named_outside_latin_1_is_created_with_an_encoded_location(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    app = await client_uuid(ostium, headers, "app")
    response = await ostium.client.post(
        f"{TEST}/clients/{app}/roles", json={"name": "読む"}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"].endswith("/roles/%E8%AA%AD%E3%82%80")
