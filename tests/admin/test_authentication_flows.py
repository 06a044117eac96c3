"""/admin/realms/{realm}/authentication and flows in realm import/export, as Keycloak's
admin console and clients use them; in-process, negative cases first."""

from __future__ import annotations

import copy
from typing import Any

from tests.admin.helpers import (
    ADMIN,
    admin_headers,
    grant_management_role,
    user_token_headers,
)
from tests.support import OstiumUnderTest

AUTH = f"{ADMIN}/test/authentication"
X509 = "auth-x509-client-username-form"
X509_CONFIG = {
    "x509-cert-auth.mapping-source-selection": "Subject's Common Name",
    "x509-cert-auth.mapper-selection": "Username or Email",
    "x509-cert-auth.regular-expression": "(.*?)(?:$)",
    "x509-cert-auth.confirmation-page-disallowed": "true",
}


async def _headers(ostium: OstiumUnderTest) -> dict[str, str]:
    return await admin_headers(ostium)


async def _flows(ostium: OstiumUnderTest, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = await ostium.client.get(f"{AUTH}/flows", headers=headers)
    assert response.status_code == 200, response.text
    return {f["alias"]: f for f in response.json()}


async def _executions(
    ostium: OstiumUnderTest, headers: dict[str, str], alias: str
) -> list[dict[str, Any]]:
    response = await ostium.client.get(f"{AUTH}/flows/{alias}/executions", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


async def _export(ostium: OstiumUnderTest, headers: dict[str, str], realm: str) -> dict[str, Any]:
    response = await ostium.client.post(f"{ADMIN}/{realm}/partial-export", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- refused calls ------------------------------------------------------------------------


async def test_reading_needs_view_realm_and_changing_needs_manage_realm(
    ostium: OstiumUnderTest,
) -> None:
    assert (await ostium.client.get(f"{AUTH}/flows")).status_code == 401
    alice = await user_token_headers(ostium, "alice", "wonderland")
    assert (await ostium.client.get(f"{AUTH}/flows", headers=alice)).status_code == 403
    await grant_management_role(ostium, await admin_headers(ostium), "bob", "view-realm")
    bob = await user_token_headers(ostium, "bob", "builder")
    assert (await ostium.client.get(f"{AUTH}/flows", headers=bob)).status_code == 200
    assert (
        await ostium.client.get(f"{AUTH}/authenticator-providers", headers=bob)
    ).status_code == 200
    for method, path, body in (
        ("POST", "/flows", {"alias": "mine", "topLevel": True}),
        ("POST", "/flows/browser/copy", {"newName": "mine"}),
        ("PUT", "/flows/browser/executions", {"id": "x", "requirement": "DISABLED"}),
        ("POST", "/flows/browser/executions/execution", {"provider": X509}),
    ):
        response = await ostium.client.request(method, f"{AUTH}{path}", json=body, headers=bob)
        assert response.status_code == 403, (method, path)
    headers = await _headers(ostium)
    assert "mine" not in await _flows(ostium, headers)
    assert (
        await ostium.client.get(f"{ADMIN}/nope/authentication/flows", headers=headers)
    ).status_code == 404


async def test_unknown_flows_executions_configs_and_providers(ostium: OstiumUnderTest) -> None:
    headers = await _headers(ostium)
    missing = [
        ("GET", "/flows/no-such-id"),
        ("PUT", "/flows/no-such-id"),
        ("DELETE", "/flows/no-such-id"),
        ("GET", "/flows/no such flow/executions"),
        ("PUT", "/flows/no such flow/executions"),
        ("POST", "/flows/no such flow/copy"),
        ("GET", "/executions/no-such-id"),
        ("DELETE", "/executions/no-such-id"),
        ("POST", "/executions/no-such-id/raise-priority"),
        ("POST", "/executions/no-such-id/lower-priority"),
        ("POST", "/executions/no-such-id/config"),
        ("GET", "/config/no-such-id"),
        ("PUT", "/config/no-such-id"),
        ("DELETE", "/config/no-such-id"),
        ("GET", "/config-description/no-such-provider"),
    ]
    for method, path in missing:
        body = {"alias": "a", "newName": "n", "id": "no-such-id", "requirement": "REQUIRED"}
        response = await ostium.client.request(
            method,
            f"{AUTH}{path}",
            json=body if method in ("PUT", "POST") else None,
            headers=headers,
        )
        assert response.status_code == 404, (method, path, response.text)
        assert "error" in response.json()
    # Adding to a flow that does not exist is Keycloak's 400 "Parent flow doesn't exist".
    for kind in ("execution", "flow"):
        response = await ostium.client.post(
            f"{AUTH}/flows/nope/executions/{kind}", json={"provider": X509}, headers=headers
        )
        assert response.status_code == 400
        assert response.json() == {"errorMessage": "Parent flow doesn't exist"}


async def test_built_in_flows_cannot_be_deleted_or_restructured(ostium: OstiumUnderTest) -> None:
    headers = await _headers(ostium)
    browser = (await _flows(ostium, headers))["browser"]
    response = await ostium.client.delete(f"{AUTH}/flows/{browser['id']}", headers=headers)
    assert (response.status_code, response.json()) == (
        400,
        {"errorMessage": "Can't delete built in flow"},
    )
    response = await ostium.client.post(
        f"{AUTH}/flows/browser/executions/execution", json={"provider": X509}, headers=headers
    )
    assert (response.status_code, response.json()) == (
        400,
        {"errorMessage": "It is illegal to add execution to a built in flow"},
    )
    cookie = (await _executions(ostium, headers, "browser"))[0]
    for action in ("raise-priority", "lower-priority"):
        response = await ostium.client.post(
            f"{AUTH}/executions/{cookie['id']}/{action}", headers=headers
        )
        assert response.status_code == 400
    response = await ostium.client.delete(f"{AUTH}/executions/{cookie['id']}", headers=headers)
    assert response.status_code == 400
    assert len(await _executions(ostium, headers, "browser")) == 10


async def test_bad_input_is_a_400_and_changes_nothing(ostium: OstiumUnderTest) -> None:
    headers = await _headers(ostium)
    response = await ostium.client.post(
        f"{AUTH}/flows/browser/copy", content=b"{not json", headers=headers
    )
    assert response.status_code == 400
    assert "errorMessage" in response.json()
    for path, body in (
        ("/flows/browser/copy", []),
        ("/flows/browser/copy", {"newName": 5}),
        ("/flows/browser/copy", {"newName": "a/b"}),
        ("/flows", {"alias": "x", "providerId": "weird-flow"}),
        ("/flows", {"alias": "x", "topLevel": "yes"}),
    ):
        response = await ostium.client.post(f"{AUTH}{path}", json=body, headers=headers)
        assert response.status_code == 400, (path, body, response.text)
    # Keycloak answers an empty or taken alias with 409.
    for body in ({"alias": ""}, {"alias": "browser"}):
        response = await ostium.client.post(f"{AUTH}/flows", json=body, headers=headers)
        assert response.status_code == 409, body
    response = await ostium.client.post(
        f"{AUTH}/flows/browser/copy", json={"newName": "direct grant"}, headers=headers
    )
    assert response.status_code == 409
    assert response.json() == {"errorMessage": "New flow alias name already exists"}

    assert (
        await ostium.client.post(
            f"{AUTH}/flows/browser/copy", json={"newName": "mine"}, headers=headers
        )
    ).status_code == 201
    response = await ostium.client.post(
        f"{AUTH}/flows/mine/executions/execution", json={"provider": "no-such"}, headers=headers
    )
    assert (response.status_code, response.json()) == (
        400,
        {"errorMessage": "No authentication provider found for id: no-such"},
    )
    # A client authenticator does not fit a browser flow.
    response = await ostium.client.post(
        f"{AUTH}/flows/mine/executions/execution", json={"provider": "client-jwt"}, headers=headers
    )
    assert response.status_code == 400
    cookie = (await _executions(ostium, headers, "mine"))[0]
    response = await ostium.client.put(
        f"{AUTH}/flows/mine/executions",
        json={"id": cookie["id"], "requirement": "SOMETIMES"},
        headers=headers,
    )
    assert response.status_code == 400
    response = await ostium.client.post(
        f"{AUTH}/executions/{cookie['id']}/config", json={"config": {}}, headers=headers
    )
    assert (response.status_code, response.json()) == (400, {"errorMessage": "Alias missing"})
    response = await ostium.client.post(
        f"{AUTH}/executions/{cookie['id']}/config",
        json={"alias": "c", "config": {"k": {"nested": 1}}},
        headers=headers,
    )
    assert response.status_code == 400
    mine = await _executions(ostium, headers, "mine")
    assert len(mine) == 10
    assert mine[0]["requirement"] == "ALTERNATIVE"
    assert "authenticationConfig" not in mine[0]


async def test_a_bound_flow_cannot_be_deleted_and_a_binding_needs_a_flow(
    ostium: OstiumUnderTest,
) -> None:
    headers = await _headers(ostium)
    response = await ostium.client.put(
        f"{ADMIN}/test", json={"browserFlow": "no such flow"}, headers=headers
    )
    assert response.status_code == 400
    assert "no such flow" in response.json()["errorMessage"]
    response = await ostium.client.put(
        f"{ADMIN}/test", json={"directGrantFlow": 3}, headers=headers
    )
    assert response.status_code == 400
    realm = (await ostium.client.get(f"{ADMIN}/test", headers=headers)).json()
    assert realm["browserFlow"] == "browser"

    await ostium.client.post(
        f"{AUTH}/flows/browser/copy", json={"newName": "mine"}, headers=headers
    )
    response = await ostium.client.put(
        f"{ADMIN}/test", json={"browserFlow": "mine"}, headers=headers
    )
    assert response.status_code == 204
    mine = (await _flows(ostium, headers))["mine"]
    response = await ostium.client.delete(f"{AUTH}/flows/{mine['id']}", headers=headers)
    assert response.status_code == 400
    assert "browserFlow" in response.json()["errorMessage"]
    # A rename carries the binding along.
    response = await ostium.client.put(
        f"{AUTH}/flows/{mine['id']}",
        json={"alias": "renamed", "description": "d"},
        headers=headers,
    )
    assert response.status_code == 202
    assert response.json()["alias"] == "renamed"
    realm = (await ostium.client.get(f"{ADMIN}/test", headers=headers)).json()
    assert realm["browserFlow"] == "renamed"
    response = await ostium.client.put(
        f"{AUTH}/flows/{mine['id']}", json={"alias": "browser"}, headers=headers
    )
    assert response.status_code == 409
    await ostium.client.put(f"{ADMIN}/test", json={"browserFlow": "browser"}, headers=headers)
    response = await ostium.client.delete(f"{AUTH}/flows/{mine['id']}", headers=headers)
    assert response.status_code == 204
    flows = await _flows(ostium, headers)
    assert "renamed" not in flows
    # Its copied sub-flows went with it.
    export = await _export(ostium, headers, "test")
    assert not [f for f in export["authenticationFlows"] if f["alias"].startswith("mine ")]


# --- what the API shows --------------------------------------------------------------------


async def test_the_built_in_browser_flow_is_listed_as_keycloak_lists_it(
    ostium: OstiumUnderTest,
) -> None:
    headers = await _headers(ostium)
    flows = await _flows(ostium, headers)
    assert sorted(flows) == sorted(
        [
            "browser",
            "clients",
            "direct grant",
            "docker auth",
            "first broker login",
            "registration",
            "reset credentials",
        ]
    )
    browser = flows["browser"]
    assert browser["builtIn"] is True and browser["topLevel"] is True
    assert browser["providerId"] == "basic-flow"
    assert browser["authenticationExecutions"][3] == {
        "authenticatorFlow": True,
        "flowAlias": "forms",
        "requirement": "ALTERNATIVE",
        "priority": 30,
        "autheticatorFlow": True,
        "userSetupAllowed": False,
    }
    response = await ostium.client.get(f"{AUTH}/flows/{browser['id']}", headers=headers)
    assert response.json() == browser
    listed = await _executions(ostium, headers, "browser")
    outline = [(e["level"], e["index"], e["displayName"], e["requirement"]) for e in listed]
    assert outline == [
        (0, 0, "Cookie", "ALTERNATIVE"),
        (0, 1, "Kerberos", "DISABLED"),
        (0, 2, "Identity Provider Redirector", "ALTERNATIVE"),
        (0, 3, "forms", "ALTERNATIVE"),
        (1, 0, "Username Password Form", "REQUIRED"),
        (1, 1, "Browser - Conditional 2FA", "CONDITIONAL"),
        (2, 0, "Condition - user configured", "REQUIRED"),
        (2, 1, "OTP Form", "ALTERNATIVE"),
        (2, 2, "WebAuthn Authenticator", "DISABLED"),
        (2, 3, "Recovery Authentication Code Form", "DISABLED"),
    ]
    forms = listed[3]
    assert forms["authenticationFlow"] is True
    assert forms["requirementChoices"] == ["REQUIRED", "ALTERNATIVE", "DISABLED", "CONDITIONAL"]
    assert forms["flowId"] and forms["configurable"] is False
    cookie = listed[0]
    assert cookie["providerId"] == "auth-cookie" and cookie["authenticationFlow"] is False
    execution = await ostium.client.get(f"{AUTH}/executions/{cookie['id']}", headers=headers)
    assert execution.json() == {
        "id": cookie["id"],
        "requirement": "ALTERNATIVE",
        "priority": 10,
        "authenticatorFlow": False,
        "parentFlow": browser["id"],
        "authenticator": "auth-cookie",
    }
    # Built-in requirements can change (that is how OTP is made required).
    otp = listed[7]
    response = await ostium.client.put(
        f"{AUTH}/flows/browser/executions",
        json={**otp, "requirement": "REQUIRED"},
        headers=headers,
    )
    assert response.status_code == 202
    assert response.json()["alias"] == "browser"
    assert (await _executions(ostium, headers, "browser"))[7]["requirement"] == "REQUIRED"


async def test_the_authenticator_catalogue_and_x509_config_description(
    ostium: OstiumUnderTest,
) -> None:
    headers = await _headers(ostium)
    response = await ostium.client.get(f"{AUTH}/authenticator-providers", headers=headers)
    ids = {p["id"] for p in response.json()}
    assert {X509, "direct-grant-auth-x509-username", "auth-cookie", "auth-password-form"} <= ids
    assert all(set(p) == {"id", "displayName", "description"} for p in response.json())
    clients = (
        await ostium.client.get(f"{AUTH}/client-authenticator-providers", headers=headers)
    ).json()
    assert {p["id"]: p["supportsSecret"] for p in clients} == {
        "client-jwt": False,
        "client-secret": True,
        "client-secret-jwt": True,
        "client-x509": False,
    }
    forms = (await ostium.client.get(f"{AUTH}/form-providers", headers=headers)).json()
    assert [p["id"] for p in forms] == ["registration-page-form"]
    actions = (await ostium.client.get(f"{AUTH}/form-action-providers", headers=headers)).json()
    assert "registration-user-creation" in {p["id"] for p in actions}
    per_client = await ostium.client.get(f"{AUTH}/per-client-config-description", headers=headers)
    assert per_client.json()["client-secret"] == []
    for provider_id in (X509, "direct-grant-auth-x509-username"):
        described = (
            await ostium.client.get(f"{AUTH}/config-description/{provider_id}", headers=headers)
        ).json()
        assert described["providerId"] == provider_id
        properties = {p["name"]: p for p in described["properties"]}
        source = properties["x509-cert-auth.mapping-source-selection"]
        assert source["type"] == "List"
        assert source["defaultValue"] == "Match SubjectDN using regular expression"
        assert "Subject's Common Name" in source["options"]
        assert properties["x509-cert-auth.mapper-selection"]["options"] == [
            "Custom Attribute Mapper",
            "Username or Email",
        ]
        assert properties["x509-cert-auth.crl-checking-enabled"]["type"] == "boolean"
    cookie = (
        await ostium.client.get(f"{AUTH}/config-description/auth-cookie", headers=headers)
    ).json()
    assert cookie["properties"] == []


# --- building a flow -----------------------------------------------------------------------


async def test_sub_flows_priorities_and_configs(ostium: OstiumUnderTest) -> None:
    headers = await _headers(ostium)
    response = await ostium.client.post(
        f"{AUTH}/flows",
        json={
            "alias": "plain",
            "description": "mine",
            "providerId": "basic-flow",
            "topLevel": True,
        },
        headers=headers,
    )
    assert response.status_code == 201
    flow_id = response.headers["Location"].rsplit("/", 1)[1]
    assert (await ostium.client.get(f"{AUTH}/flows/{flow_id}", headers=headers)).json()[
        "alias"
    ] == "plain"
    for provider_id in ("auth-username-form", "auth-password-form"):
        response = await ostium.client.post(
            f"{AUTH}/flows/plain/executions/execution",
            json={"provider": provider_id},
            headers=headers,
        )
        assert response.status_code == 201
        assert "/authentication/executions/" in response.headers["Location"]
    response = await ostium.client.post(
        f"{AUTH}/flows/plain/executions/flow",
        json={"alias": "plain sub", "type": "basic-flow", "description": "nested"},
        headers=headers,
    )
    assert response.status_code == 201
    assert "/authentication/flows/" in response.headers["Location"]
    response = await ostium.client.post(
        f"{AUTH}/flows/plain sub/executions/execution",
        json={"provider": "auth-otp-form"},
        headers=headers,
    )
    assert response.status_code == 201
    listed = await _executions(ostium, headers, "plain")
    assert [(e["level"], e["displayName"], e["requirement"], e["priority"]) for e in listed] == [
        (0, "Username Form", "REQUIRED", 0),  # one choice: it is taken
        (0, "Password Form", "DISABLED", 1),
        (0, "plain sub", "DISABLED", 2),
        (1, "OTP Form", "DISABLED", 0),
    ]
    response = await ostium.client.post(
        f"{AUTH}/flows/plain/executions/flow", json={"alias": "plain sub"}, headers=headers
    )
    assert response.status_code == 409
    # Reordering: the sub-flow moves before the password form and back again.
    sub = listed[2]
    assert (
        await ostium.client.post(f"{AUTH}/executions/{sub['id']}/raise-priority", headers=headers)
    ).status_code == 204
    names = [e["displayName"] for e in await _executions(ostium, headers, "plain")]
    assert names == ["Username Form", "plain sub", "OTP Form", "Password Form"]
    await ostium.client.post(f"{AUTH}/executions/{sub['id']}/lower-priority", headers=headers)
    await ostium.client.post(f"{AUTH}/executions/{sub['id']}/lower-priority", headers=headers)
    names = [e["displayName"] for e in await _executions(ostium, headers, "plain")]
    assert names == ["Username Form", "Password Form", "plain sub", "OTP Form"]
    # The priority can be set directly too.
    password = listed[1]
    response = await ostium.client.put(
        f"{AUTH}/flows/plain/executions",
        json={"id": password["id"], "requirement": "REQUIRED", "priority": 100},
        headers=headers,
    )
    assert response.status_code == 202
    listed = await _executions(ostium, headers, "plain")
    assert [(e["displayName"], e["requirement"]) for e in listed] == [
        ("Username Form", "REQUIRED"),
        ("plain sub", "DISABLED"),
        ("OTP Form", "DISABLED"),
        ("Password Form", "REQUIRED"),
    ]
    # A config: created, read both ways, changed, deleted.
    otp = listed[2]
    response = await ostium.client.post(
        f"{AUTH}/executions/{otp['id']}/config",
        json={"alias": "otp cfg", "config": {"a": "1", "b": "", "n": 5}},
        headers=headers,
    )
    assert response.status_code == 201
    location = response.headers["Location"]
    assert f"/executions/{otp['id']}/config/" in location
    config_id = location.rsplit("/", 1)[1]
    config = (await ostium.client.get(location, headers=headers)).json()
    assert config == {"id": config_id, "alias": "otp cfg", "config": {"a": "1", "n": "5"}}
    assert (await ostium.client.get(f"{AUTH}/config/{config_id}", headers=headers)).json() == config
    assert (await _executions(ostium, headers, "plain"))[2]["authenticationConfig"] == config_id
    response = await ostium.client.put(
        f"{AUTH}/config/{config_id}",
        json={"alias": "otp cfg 2", "config": {"c": "3"}},
        headers=headers,
    )
    assert response.status_code == 204
    assert (await ostium.client.get(f"{AUTH}/config/{config_id}", headers=headers)).json() == {
        "id": config_id,
        "alias": "otp cfg 2",
        "config": {"c": "3"},
    }
    assert (
        await ostium.client.delete(f"{AUTH}/config/{config_id}", headers=headers)
    ).status_code == 204
    assert "authenticationConfig" not in (await _executions(ostium, headers, "plain"))[2]
    # Deleting the sub-flow's execution deletes the sub-flow.
    assert (
        await ostium.client.delete(f"{AUTH}/executions/{sub['id']}", headers=headers)
    ).status_code == 204
    assert [e["displayName"] for e in await _executions(ostium, headers, "plain")] == [
        "Username Form",
        "Password Form",
    ]
    export = await _export(ostium, headers, "test")
    assert "plain sub" not in {f["alias"] for f in export["authenticationFlows"]}


async def test_x509_browser_flow_built_bound_exported_and_imported(ostium: OstiumUnderTest) -> None:
    """Copy browser, add the X.509 form as an alternative with its config, bind it: the
    realm shows the binding, the export holds it all, and a new realm imported from that
    export has the same flows."""
    headers = await _headers(ostium)
    response = await ostium.client.post(
        f"{AUTH}/flows/browser/copy", json={"newName": "x509 browser"}, headers=headers
    )
    assert response.status_code == 201
    flows = await _flows(ostium, headers)
    assert flows["x509 browser"]["builtIn"] is False
    copied = await _executions(ostium, headers, "x509 browser")
    assert [e["displayName"] for e in copied][3:6] == [
        "x509 browser forms",
        "Username Password Form",
        "x509 browser Browser - Conditional 2FA",
    ]
    response = await ostium.client.post(
        f"{AUTH}/flows/x509 browser/executions/execution", json={"provider": X509}, headers=headers
    )
    assert response.status_code == 201
    execution_id = response.headers["Location"].rsplit("/", 1)[1]
    listed = await _executions(ostium, headers, "x509 browser")
    x509 = next(e for e in listed if e["id"] == execution_id)
    assert (x509["level"], x509["index"], x509["requirement"]) == (0, 4, "DISABLED")
    assert x509["configurable"] is True
    assert x509["requirementChoices"] == ["REQUIRED", "ALTERNATIVE", "DISABLED"]
    response = await ostium.client.put(
        f"{AUTH}/flows/x509 browser/executions",
        json={**x509, "requirement": "ALTERNATIVE"},
        headers=headers,
    )
    assert response.status_code == 202
    response = await ostium.client.post(
        f"{AUTH}/executions/{execution_id}/config",
        json={"alias": "x509 config", "config": X509_CONFIG},
        headers=headers,
    )
    assert response.status_code == 201
    response = await ostium.client.put(
        f"{ADMIN}/test", json={"browserFlow": "x509 browser"}, headers=headers
    )
    assert response.status_code == 204
    realm = (await ostium.client.get(f"{ADMIN}/test", headers=headers)).json()
    assert realm["browserFlow"] == "x509 browser"
    assert realm["directGrantFlow"] == "direct grant"

    export = await _export(ostium, headers, "test")
    assert export["browserFlow"] == "x509 browser"
    exported = {f["alias"]: f for f in export["authenticationFlows"]}
    top = exported["x509 browser"]
    assert top["topLevel"] is True and top["builtIn"] is False
    assert top["authenticationExecutions"][-1] == {
        "authenticatorConfig": "x509 config",
        "authenticator": X509,
        "authenticatorFlow": False,
        "requirement": "ALTERNATIVE",
        "priority": 31,
        "autheticatorFlow": False,
        "userSetupAllowed": False,
    }
    assert top["authenticationExecutions"][3]["flowAlias"] == "x509 browser forms"
    configs = {c["alias"]: c for c in export["authenticatorConfig"]}
    assert configs["x509 config"]["config"] == X509_CONFIG

    # The flow parts of the export (its clients and roles keep ids only one realm can hold).
    imported = {
        key: copy.deepcopy(value)
        for key, value in export.items()
        if key.startswith("authenticat") or key.endswith("Flow")
    }
    imported["realm"] = "again"
    response = await ostium.client.post(ADMIN, json=imported, headers=headers)
    assert response.status_code == 201, response.text
    assert not [w for w in response.headers.get_list("Warning") if "authenticationFlows" in w]
    again = await _export(ostium, headers, "again")
    assert again["browserFlow"] == "x509 browser"
    assert _flow_shapes(again) == _flow_shapes(export)
    assert {c["alias"]: c["config"] for c in again["authenticatorConfig"]} == {
        c["alias"]: c["config"] for c in export["authenticatorConfig"]
    }


def _flow_shapes(export: dict[str, Any]) -> dict[str, Any]:
    return {
        f["alias"]: (f["providerId"], f["topLevel"], f["builtIn"], f["authenticationExecutions"])
        for f in export["authenticationFlows"]
    }


# --- import --------------------------------------------------------------------------------


def _keycloak_export_with_x509_browser() -> dict[str, Any]:
    """The parts of a Keycloak 26 realm export that a custom X.509 browser flow touches."""

    def step(
        authenticator: str | None, requirement: str, priority: int, **more: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "authenticatorFlow": "flowAlias" in more,
            "requirement": requirement,
            "priority": priority,
            "autheticatorFlow": "flowAlias" in more,
            "userSetupAllowed": False,
            **more,
        }
        if authenticator:
            body["authenticator"] = authenticator
        return body

    return {
        "realm": "kc26",
        "enabled": True,
        "browserFlow": "browser with x509",
        "authenticationFlows": [
            {
                "id": "4a0b6d7e-0000-4000-8000-000000000001",
                "alias": "browser with x509",
                "description": "browser based authentication",
                "providerId": "basic-flow",
                "topLevel": True,
                "builtIn": False,
                "authenticationExecutions": [
                    step("auth-cookie", "ALTERNATIVE", 10),
                    step("auth-spnego", "DISABLED", 20),
                    step("identity-provider-redirector", "ALTERNATIVE", 25),
                    step(None, "ALTERNATIVE", 30, flowAlias="browser with x509 forms"),
                    step(X509, "ALTERNATIVE", 31, authenticatorConfig="x509"),
                ],
            },
            {
                "id": "4a0b6d7e-0000-4000-8000-000000000002",
                "alias": "browser with x509 forms",
                "description": "Username, password, otp and other auth forms.",
                "providerId": "basic-flow",
                "topLevel": False,
                "builtIn": False,
                "authenticationExecutions": [
                    step("auth-username-password-form", "REQUIRED", 10),
                ],
            },
        ],
        "authenticatorConfig": [
            {
                "id": "4a0b6d7e-0000-4000-8000-00000000000c",
                "alias": "x509",
                "config": X509_CONFIG,
            }
        ],
    }


async def test_a_keycloak_export_with_a_custom_browser_flow_round_trips(
    ostium: OstiumUnderTest,
) -> None:
    headers = await _headers(ostium)
    given = _keycloak_export_with_x509_browser()
    response = await ostium.client.post(ADMIN, json=given, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers.get_list("Warning") == []
    export = await _export(ostium, headers, "kc26")
    assert export["browserFlow"] == "browser with x509"
    exported = {f["alias"]: f for f in export["authenticationFlows"]}
    for flow in given["authenticationFlows"]:
        assert exported[flow["alias"]] == flow
    assert [c for c in export["authenticatorConfig"] if c["alias"] == "x509"] == given[
        "authenticatorConfig"
    ]
    # Built-in top-level flows the file lacks are added, as Keycloak's import adds them.
    assert {"browser", "direct grant", "clients", "first broker login"} <= set(exported)
    listed = (
        await ostium.client.get(
            f"{ADMIN}/kc26/authentication/flows/browser with x509/executions", headers=headers
        )
    ).json()
    assert listed[-1]["alias"] == "x509"
    assert listed[-1]["displayName"] == "X509/Validate Username Form"


async def test_a_file_without_flows_gets_the_built_in_ones(ostium: OstiumUnderTest) -> None:
    headers = await _headers(ostium)
    response = await ostium.client.post(ADMIN, json={"realm": "bare"}, headers=headers)
    assert response.status_code == 201
    export = await _export(ostium, headers, "bare")
    assert export["browserFlow"] == "browser"
    assert len([f for f in export["authenticationFlows"] if f["topLevel"]]) == 7
    assert {c["alias"] for c in export["authenticatorConfig"]} == {
        "review profile config",
        "create unique user config",
    }


async def test_bad_flows_in_an_import_are_a_400_and_create_nothing(
    ostium: OstiumUnderTest,
) -> None:
    headers = await _headers(ostium)

    def broken(change: Any) -> dict[str, Any]:
        body = _keycloak_export_with_x509_browser()
        change(body)
        return body

    cases = {
        "flowAlias": broken(
            lambda b: b["authenticationFlows"][0]["authenticationExecutions"][3].update(
                flowAlias="nope"
            )
        ),
        "authenticatorConfig": broken(
            lambda b: b["authenticationFlows"][0]["authenticationExecutions"][4].update(
                authenticatorConfig="nope"
            )
        ),
        "duplicate flow": broken(
            lambda b: b["authenticationFlows"][1].update(alias="browser with x509")
        ),
        "browserFlow": broken(lambda b: b.update(browserFlow="nope")),
        "requirement": broken(
            lambda b: b["authenticationFlows"][0]["authenticationExecutions"][0].update(
                requirement="OPTIONAL"
            )
        ),
    }
    for name, body in cases.items():
        response = await ostium.client.post(ADMIN, json=body, headers=headers)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["errorMessage"], name
    assert (await ostium.client.get(f"{ADMIN}/kc26", headers=headers)).status_code == 404
    # The legacy misspelling alone marks a sub-flow execution.
    legacy = _keycloak_export_with_x509_browser()
    forms = legacy["authenticationFlows"][0]["authenticationExecutions"][3]
    del forms["authenticatorFlow"]
    response = await ostium.client.post(ADMIN, json=legacy, headers=headers)
    assert response.status_code == 201, response.text
    export = await _export(ostium, headers, "kc26")
    top = next(f for f in export["authenticationFlows"] if f["alias"] == "browser with x509")
    assert top["authenticationExecutions"][3]["authenticatorFlow"] is True
