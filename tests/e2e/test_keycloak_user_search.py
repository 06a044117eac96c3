"""python-keycloak's user search with Keycloak's `q` attribute syntax, against a real
server process (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import RunningServer, keycloak_admin

pytestmark = pytest.mark.e2e


def test_get_users_by_attribute(server: RunningServer) -> None:
    admin = keycloak_admin(server, "test")
    # Free-form attributes need the user profile's unmanagedAttributePolicy (Keycloak 24+).
    profile = admin.get_realm_users_profile()
    admin.update_realm_users_profile({**profile, "unmanagedAttributePolicy": "ENABLED"})
    for username, dept in (("q-ann", "eng"), ("q-bob", "eng"), ("q-cid", "sales")):
        admin.create_user(
            {"username": username, "enabled": True, "attributes": {"dept": [dept]}},
            exist_ok=True,
        )
    assert admin.get_users({"q": "dept:nope"}) == []
    assert sorted(u["username"] for u in admin.get_users({"q": "dept:eng"})) == [
        "q-ann",
        "q-bob",
    ]
    assert admin.users_count({"q": "dept:eng"}) == 2
    assert [u["username"] for u in admin.get_users({"q": "dept:sales", "exact": True})] == ["q-cid"]
    brief = admin.get_users({"q": "dept:sales", "briefRepresentation": True})
    assert [u["username"] for u in brief] == ["q-cid"]
    assert "attributes" not in brief[0]
