"""Brute-force detection (Keycloak's realm settings), counted in the loginFailures cache."""

from __future__ import annotations

from typing import Any

from tests.admin.test_admin_http import ADMIN, bearer, master_admin_token
from tests.support import OstiumUnderTest

INVALID = {"error": "invalid_grant", "error_description": "Invalid user credentials"}


async def protect(ostium: OstiumUnderTest, **settings: Any) -> dict[str, str]:
    headers = bearer(await master_admin_token(ostium))
    body = {
        "bruteForceProtected": True,
        "failureFactor": 3,
        "waitIncrementSeconds": 60,
        "maxFailureWaitSeconds": 900,
        "quickLoginCheckMilliSeconds": 1000,
        "minimumQuickLoginWaitSeconds": 30,
        "maxDeltaTimeSeconds": 43200,
        **settings,
    }
    response = await ostium.client.put(f"{ADMIN}/test", json=body, headers=headers)
    assert response.status_code == 204, response.text
    return headers


async def alice_id(ostium: OstiumUnderTest, headers: dict[str, str]) -> str:
    users = await ostium.client.get(
        f"{ADMIN}/test/users", params={"username": "alice", "exact": "true"}, headers=headers
    )
    return str(users.json()[0]["id"])


async def fail(ostium: OstiumUnderTest, times: int, *, pause_ms: int = 2000) -> None:
    for _ in range(times):
        ostium.clock.advance_ms(pause_ms)
        response = await ostium.password_grant(password="wrong")
        assert response.status_code == 401 and response.json() == INVALID


async def test_lockout_after_failure_factor_looks_like_a_wrong_password(
    ostium: OstiumUnderTest,
) -> None:
    headers = await protect(ostium)
    wrong = await ostium.password_grant(password="wrong")
    await fail(ostium, 2)
    ostium.clock.advance(2)
    locked = await ostium.password_grant()  # the right password, while locked out
    assert (locked.status_code, locked.json()) == (wrong.status_code, wrong.json())
    assert (locked.status_code, locked.json()) == (401, INVALID)  # no hint of a lockout
    login_errors = [e.error for e in ostium.events.recent if e.type == "LOGIN_ERROR"]
    assert login_errors[-1] == "user_temporarily_disabled"  # the audit log says why

    browser = ostium.browser()
    page = await browser.authorize()
    response = await browser.submit_login(page, "alice", "wonderland")
    assert response.status_code == 200 and "Invalid username or password." in response.text

    user = await alice_id(ostium, headers)
    status = await ostium.client.get(
        f"{ADMIN}/test/attack-detection/brute-force/users/{user}", headers=headers
    )
    assert status.json()["disabled"] is True
    assert status.json()["numFailures"] == 3
    assert status.json()["lastIPFailure"] == "127.0.0.1"

    ostium.clock.advance(61)  # waitIncrementSeconds * (3 // 3)
    assert (await ostium.password_grant()).status_code == 200
    cleared = await ostium.client.get(
        f"{ADMIN}/test/attack-detection/brute-force/users/{user}", headers=headers
    )
    assert cleared.json() == {
        "numFailures": 0,
        "disabled": False,
        "lastIPFailure": "n/a",
        "lastFailure": 0,
    }


async def test_admin_clears_a_lockout(ostium: OstiumUnderTest) -> None:
    headers = await protect(ostium)
    await fail(ostium, 3)
    assert (await ostium.password_grant()).status_code != 200
    user = await alice_id(ostium, headers)
    cleared = await ostium.client.delete(
        f"{ADMIN}/test/attack-detection/brute-force/users/{user}", headers=headers
    )
    assert cleared.status_code == 204
    assert (await ostium.password_grant()).status_code == 200
    await fail(ostium, 3)
    everyone = await ostium.client.delete(
        f"{ADMIN}/test/attack-detection/brute-force/users", headers=headers
    )
    assert everyone.status_code == 204
    assert (await ostium.password_grant()).status_code == 200


async def test_quick_successive_failures_lock_for_the_minimum_wait(
    ostium: OstiumUnderTest,
) -> None:
    await protect(ostium)
    await fail(ostium, 1)
    await fail(ostium, 1, pause_ms=300)  # within quickLoginCheckMilliSeconds
    ostium.clock.advance(29)
    assert (await ostium.password_grant()).status_code != 200
    ostium.clock.advance(2)
    assert (await ostium.password_grant()).status_code == 200


async def test_old_failures_are_forgotten_after_max_delta_time(ostium: OstiumUnderTest) -> None:
    await protect(ostium, maxDeltaTimeSeconds=60)
    await fail(ostium, 2)
    ostium.clock.advance(120)
    await fail(ostium, 1)  # counts as the first again: no lockout
    ostium.clock.advance(2)
    assert (await ostium.password_grant()).status_code == 200


async def test_permanent_lockout_disables_the_account(ostium: OstiumUnderTest) -> None:
    headers = await protect(ostium, permanentLockout=True, failureFactor=2)
    await fail(ostium, 2)
    user = await alice_id(ostium, headers)
    account = await ostium.client.get(f"{ADMIN}/test/users/{user}", headers=headers)
    assert account.json()["enabled"] is False
    ostium.clock.advance(3600)
    # Disabled by the lockout, not by an admin: still no hint, even to the right password.
    locked = await ostium.password_grant()
    assert (locked.status_code, locked.json()) == (401, INVALID)
    login_errors = [e.error for e in ostium.events.recent if e.type == "LOGIN_ERROR"]
    assert login_errors[-1] == "user_disabled_by_permanent_lockout"
    assert any(e.type == "USER_DISABLED_BY_PERMANENT_LOCKOUT" for e in ostium.events.recent)


async def test_unprotected_realm_counts_nothing(ostium: OstiumUnderTest) -> None:
    await fail(ostium, 40)
    assert (await ostium.password_grant()).status_code == 200
