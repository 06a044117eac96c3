"""A client's own flows (Keycloak's `authenticationFlowBindingOverrides`): one application
asks every user for a second factor while the realm's other applications do not.
Refusals first."""

from __future__ import annotations

from typing import Any

from tests.admin.helpers import TEST, admin_headers, client_uuid
from tests.support import OstiumUnderTest

FLOWS = f"{TEST}/authentication/flows"


async def _strict_copy(ostium: OstiumUnderTest, source: str, name: str) -> str:
    """A copy of `source` whose OTP step is REQUIRED for everyone; its id."""
    headers = await admin_headers(ostium)
    made = await ostium.client.post(
        f"{FLOWS}/{source}/copy", json={"newName": name}, headers=headers
    )
    assert made.status_code == 201, made.text
    flow_id = made.headers["location"].rsplit("/", 1)[1]
    executions = (await ostium.client.get(f"{FLOWS}/{name}/executions", headers=headers)).json()
    for execution in executions:
        conditional = execution.get("requirement") == "CONDITIONAL" and execution.get(
            "authenticationFlow"
        )
        otp = execution.get("providerId") in ("auth-otp-form", "direct-grant-validate-otp")
        if conditional or otp:
            changed = await ostium.client.put(
                f"{FLOWS}/{name}/executions",
                json={**execution, "requirement": "REQUIRED"},
                headers=headers,
            )
            assert changed.status_code == 202, changed.text
    return flow_id


async def _client(ostium: OstiumUnderTest, client_id: str) -> tuple[str, dict[str, Any]]:
    headers = await admin_headers(ostium)
    uuid = await client_uuid(ostium, headers, client_id)
    body = (await ostium.client.get(f"{TEST}/clients/{uuid}", headers=headers)).json()
    return uuid, body


async def test_overrides_naming_no_flow_or_another_binding_are_refused(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    uuid, body = await _client(ostium, "app")
    sub_flow = next(
        f["id"]
        for f in (await ostium.client.get(FLOWS, headers=headers)).json()
        if f["alias"] == "browser"
    )
    for overrides in (
        {"browser": "no-such-flow"},
        {"registration": sub_flow},
        {"browser": 42},
    ):
        refused = await ostium.client.put(
            f"{TEST}/clients/{uuid}",
            json={
                **body,
                "description": "changed",
                "authenticationFlowBindingOverrides": overrides,
            },
            headers=headers,
        )
        assert refused.status_code == 400, overrides
        assert "authenticationFlowBindingOverrides" in refused.text
    _, after = await _client(ostium, "app")
    assert after.get("description") != "changed"
    assert after["authenticationFlowBindingOverrides"] == {}


async def test_one_application_asks_everyone_for_a_second_factor(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    strict = await _strict_copy(ostium, "browser", "strict browser")
    uuid, body = await _client(ostium, "app")
    set_ = await ostium.client.put(
        f"{TEST}/clients/{uuid}",
        json={**body, "authenticationFlowBindingOverrides": {"browser": strict}},
        headers=headers,
    )
    assert set_.status_code == 204, set_.text
    _, shown = await _client(ostium, "app")
    assert shown["authenticationFlowBindingOverrides"] == {"browser": strict}
    # Through `app`, bob (no device) must set one up before any code.
    browser = ostium.browser()
    page = await browser.submit_login(await browser.authorize(), "bob", "builder")
    assert 'id="kc-totp-settings-form"' in page.text and "location" not in page.headers
    # Through `other`, the realm's own browser flow: the password is enough.
    other = ostium.browser()
    login = await other.authorize(client_id="other", redirect_uri="http://localhost:5000/cb")
    done = await other.submit_login(login, "alice", "wonderland")
    assert done.status_code == 302 and "code=" in done.headers["location"]


async def test_the_password_grant_follows_the_clients_direct_grant_override(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    strict = await _strict_copy(ostium, "direct grant", "strict grant")
    assert (await ostium.password_grant("bob", "builder")).status_code == 200
    uuid, body = await _client(ostium, "app")
    set_ = await ostium.client.put(
        f"{TEST}/clients/{uuid}",
        json={**body, "authenticationFlowBindingOverrides": {"direct_grant": strict}},
        headers=headers,
    )
    assert set_.status_code == 204, set_.text
    refused = await ostium.password_grant("bob", "builder")
    assert refused.status_code == 400
    assert refused.json()["error_description"] == "Account is not fully set up"
