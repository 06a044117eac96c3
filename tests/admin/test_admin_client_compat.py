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
