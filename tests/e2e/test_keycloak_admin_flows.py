"""python-keycloak's authentication-flow calls against a real server process, unchanged:
copy the browser flow, add the X.509 form with a config, reorder, add a sub-flow, bind the
flow to the realm and take it all apart again."""

from __future__ import annotations

import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakDeleteError, KeycloakGetError, KeycloakPostError

from tests.e2e.conftest import RunningServer, keycloak_admin

pytestmark = pytest.mark.e2e

X509 = "auth-x509-client-username-form"


@pytest.fixture
def admin(server: RunningServer) -> KeycloakAdmin:
    keycloak = keycloak_admin(server, "master")
    if "flows" not in {r["realm"] for r in keycloak.get_realms()}:
        keycloak.create_realm({"realm": "flows", "enabled": True})
    keycloak.change_current_realm("flows")
    return keycloak


def test_refusals_reach_python_keycloak_as_its_errors(admin: KeycloakAdmin) -> None:
    browser = next(f for f in admin.get_authentication_flows() if f["alias"] == "browser")
    with pytest.raises(KeycloakDeleteError) as built_in:
        admin.delete_authentication_flow(browser["id"])
    assert built_in.value.response_code == 400
    with pytest.raises(KeycloakGetError) as missing:
        admin.get_authentication_flow_executions("no such flow")
    assert missing.value.response_code == 404
    with pytest.raises(KeycloakPostError) as unknown:
        admin.create_authentication_flow_execution({"provider": X509}, "browser")
    assert unknown.value.response_code == 400


def test_an_x509_browser_flow_built_with_python_keycloak(admin: KeycloakAdmin) -> None:
    assert {X509, "direct-grant-auth-x509-username"} <= {
        p["id"] for p in admin.get_authenticator_providers()
    }
    described = admin.get_authenticator_provider_config_description(X509)
    assert "x509-cert-auth.mapping-source-selection" in {p["name"] for p in described["properties"]}

    admin.copy_authentication_flow({"newName": "x509 browser"}, "browser")
    flow = next(f for f in admin.get_authentication_flows() if f["alias"] == "x509 browser")
    assert admin.get_authentication_flow_for_id(flow["id"])["builtIn"] is False

    admin.create_authentication_flow_execution({"provider": X509}, "x509 browser")
    executions = admin.get_authentication_flow_executions("x509 browser")
    x509 = next(e for e in executions if e.get("providerId") == X509)
    x509["requirement"] = "ALTERNATIVE"
    admin.update_authentication_flow_executions(x509, "x509 browser")
    assert admin.get_authentication_flow_execution(x509["id"])["requirement"] == "ALTERNATIVE"

    admin.create_execution_config(
        x509["id"],
        {
            "alias": "x509 config",
            "config": {"x509-cert-auth.mapping-source-selection": "Subject's Common Name"},
        },
    )
    config_id = next(
        e for e in admin.get_authentication_flow_executions("x509 browser") if e["id"] == x509["id"]
    )["authenticationConfig"]
    config = admin.get_authenticator_config(config_id)
    assert config["config"] == {"x509-cert-auth.mapping-source-selection": "Subject's Common Name"}
    config["config"]["x509-cert-auth.confirmation-page-disallowed"] = "true"
    admin.update_authenticator_config(config, config_id)
    assert len(admin.get_authenticator_config(config_id)["config"]) == 2

    admin.change_execution_priority(x509["id"], 1)  # raised above the forms sub-flow
    order = [
        e.get("providerId") or e["displayName"]
        for e in admin.get_authentication_flow_executions("x509 browser")
        if e["level"] == 0
    ]
    assert order.index(X509) == 3

    admin.create_authentication_flow_subflow(
        {"alias": "x509 extra", "type": "basic-flow", "provider": "registration-page-form"},
        "x509 browser",
    )
    assert "x509 extra" in {
        e["displayName"] for e in admin.get_authentication_flow_executions("x509 browser")
    }

    admin.update_realm("flows", {"browserFlow": "x509 browser"})
    assert admin.get_realm("flows")["browserFlow"] == "x509 browser"
    with pytest.raises(KeycloakDeleteError):
        admin.delete_authentication_flow(flow["id"])  # bound to the realm

    admin.update_realm("flows", {"browserFlow": "browser"})
    admin.delete_authenticator_config(config_id)
    with pytest.raises(KeycloakGetError):
        admin.get_authenticator_config(config_id)
    admin.delete_authentication_flow(flow["id"])
    assert "x509 browser" not in {f["alias"] for f in admin.get_authentication_flows()}
