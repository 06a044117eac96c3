"""Who is asked for a second factor: a client's own flows (Keycloak's
`authenticationFlowBindingOverrides`) — one application asks every user while the realm's
others do not — and the second-factor sub-flow's "Condition - user role" (plain and
negated, realm and client roles), in the browser and the password grant. Refusals first."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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


# --- "Condition - user role" ------------------------------------------------------------


async def _second_factor_for_role(
    ostium: OstiumUnderTest, role: str, negate: bool, source: str, binding: str
) -> None:
    """A copy of the realm's `source` flow whose second-factor sub-flow is conditional on
    a role instead of a configured device, bound in the realm's `binding`."""
    headers = await admin_headers(ostium)
    name = f"{source} by role"
    made = await ostium.client.post(
        f"{FLOWS}/{source}/copy", json={"newName": name}, headers=headers
    )
    assert made.status_code == 201, made.text
    listed = (await ostium.client.get(f"{FLOWS}/{name}/executions", headers=headers)).json()
    sub_flow = next(e for e in listed if e.get("requirement") == "CONDITIONAL")["displayName"]
    added = await ostium.client.post(
        f"{FLOWS}/{quote(sub_flow)}/executions/execution",
        json={"provider": "conditional-user-role"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    executions = (await ostium.client.get(f"{FLOWS}/{name}/executions", headers=headers)).json()
    for execution in executions:
        provider = execution.get("providerId")
        if provider == "conditional-user-role":
            config = {"condUserRole": role, "negate": str(negate).lower()}
            configured = await ostium.client.post(
                f"{TEST}/authentication/executions/{execution['id']}/config",
                json={"alias": f"{name} role", "config": config},
                headers=headers,
            )
            assert configured.status_code == 201, configured.text
        requirement = {
            "conditional-user-role": "REQUIRED",
            "conditional-user-configured": "DISABLED",
        }.get(provider)
        if requirement:
            changed = await ostium.client.put(
                f"{FLOWS}/{quote(name)}/executions",
                json={**execution, "requirement": requirement},
                headers=headers,
            )
            assert changed.status_code == 202, changed.text
    bound = await ostium.client.put(TEST, json={binding: name}, headers=headers)
    assert bound.status_code == 204, bound.text


async def test_a_role_condition_asks_its_holders_only(ostium: OstiumUnderTest) -> None:
    # alice is an editor (through her realm roles), bob is not.
    await _second_factor_for_role(ostium, "editor", False, "browser", "browserFlow")
    await _second_factor_for_role(ostium, "editor", False, "direct grant", "directGrantFlow")
    browser = ostium.browser()
    page = await browser.submit_login(await browser.authorize(), "alice", "wonderland")
    assert 'id="kc-totp-settings-form"' in page.text
    assert "code" in await ostium.browser().login("bob", "builder")
    # The password grant follows the same condition.
    assert (await ostium.password_grant("bob", "builder")).status_code == 200
    refused = await ostium.password_grant("alice", "wonderland")
    assert refused.json()["error_description"] == "Account is not fully set up"


async def test_a_negated_client_role_condition(ostium: OstiumUnderTest) -> None:
    # alice holds the client role app.app-admin; negated, everyone else is asked.
    await _second_factor_for_role(ostium, "app.app-admin", True, "browser", "browserFlow")
    assert "code" in await ostium.browser().login("alice", "wonderland")
    browser = ostium.browser()
    page = await browser.submit_login(await browser.authorize(), "bob", "builder")
    assert 'id="kc-totp-settings-form"' in page.text
