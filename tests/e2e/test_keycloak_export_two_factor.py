"""A Keycloak realm export with a custom browser flow and OTP users, imported into a
running `ostium start-dev` (POST /admin/realms, the import every path shares) and signed
in to in Debian's Chromium as its users signed in to Keycloak: the password, then the
code of the device the export carried (computed with pyotp from the exported key) — and
a user without a device passes the flow's "user configured" condition by, as in Keycloak.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_ENV, RunningServer, admin_headers, start_server
from tests.e2e.login_pages import TIMEOUT_MS, create_realm, sign_in_with_password
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot

pytestmark = pytest.mark.e2e

REALM = "corp"
KEY = "Sx7pLq2Wm9Rt4Vb8Nc1Z"  # the OTP key as Keycloak stores it: the characters


def _execution(
    authenticator: str, requirement: str, priority: int, **extra: object
) -> dict[str, object]:
    return {
        "authenticator": authenticator,
        "authenticatorFlow": False,
        "requirement": requirement,
        "priority": priority,
        "autheticatorFlow": False,  # sic: Keycloak's export writes both spellings
        "userSetupAllowed": False,
        **extra,
    }


def _sub_flow(alias: str, requirement: str, priority: int) -> dict[str, object]:
    return {
        "authenticatorFlow": True,
        "requirement": requirement,
        "priority": priority,
        "autheticatorFlow": True,
        "flowAlias": alias,
        "userSetupAllowed": False,
    }


def keycloak_export(callback: str) -> dict[str, object]:
    """The parts of a Keycloak 26 export that matter here, in its own shape."""
    flows = [
        {
            "id": "6f2b0c1e-6a0d-4b8e-9a55-0d5b5e9c1a01",
            "alias": "corp browser",
            "description": "Password, then a code for those who set up an app",
            "providerId": "basic-flow",
            "topLevel": True,
            "builtIn": False,
            "authenticationExecutions": [
                _execution("auth-cookie", "ALTERNATIVE", 10),
                _sub_flow("corp forms", "ALTERNATIVE", 20),
            ],
        },
        {
            "id": "6f2b0c1e-6a0d-4b8e-9a55-0d5b5e9c1a02",
            "alias": "corp forms",
            "description": "",
            "providerId": "basic-flow",
            "topLevel": False,
            "builtIn": False,
            "authenticationExecutions": [
                _execution("auth-username-password-form", "REQUIRED", 10),
                _sub_flow("corp otp", "CONDITIONAL", 20),
            ],
        },
        {
            "id": "6f2b0c1e-6a0d-4b8e-9a55-0d5b5e9c1a03",
            "alias": "corp otp",
            "description": "",
            "providerId": "basic-flow",
            "topLevel": False,
            "builtIn": False,
            "authenticationExecutions": [
                _execution("conditional-user-configured", "REQUIRED", 10),
                _execution("auth-otp-form", "REQUIRED", 20),
            ],
        },
    ]
    return {
        "realm": REALM,
        "enabled": True,
        "browserFlow": "corp browser",
        "otpPolicyType": "totp",
        "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyDigits": 6,
        "otpPolicyLookAheadWindow": 1,
        "otpPolicyPeriod": 30,
        "otpPolicyCodeReusable": False,
        "otpSupportedApplications": ["totpAppFreeOTPName", "totpAppGoogleName"],
        "authenticationFlows": flows,
        "clients": [
            {
                "clientId": "portal",
                "publicClient": True,
                "standardFlowEnabled": True,
                "redirectUris": [callback],
            }
        ],
        "users": [
            {
                "username": "ines",
                "enabled": True,
                "email": "ines@corp.example",
                "credentials": [
                    {"type": "password", "value": "Corp-passw0rd"},
                    {
                        "id": "0b9a4c55-3f2e-4c61-8f1d-2a7e9b6c4d10",
                        "type": "otp",
                        "userLabel": "Work phone",
                        "createdDate": 1764000000000,
                        "secretData": json.dumps({"value": KEY}),
                        "credentialData": json.dumps(
                            {
                                "subType": "totp",
                                "digits": 6,
                                "counter": 0,
                                "period": 30,
                                "algorithm": "HmacSHA1",
                            }
                        ),
                    },
                ],
            },
            {
                "username": "otto",
                "enabled": True,
                "email": "otto@corp.example",
                "credentials": [{"type": "password", "value": "Corp-passw0rd"}],
            },
        ],
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("data")
    running = start_server(data_dir, env=ADMIN_ENV)
    # The application's callback is on the server's origin (the browser test answers it).
    callback = f"{running.base_url}/callback"
    create_realm(
        running.base_url,
        keycloak_export(callback),
    )
    yield running
    running.stop()


def _sign_in(page: Page, base: str, username: str) -> None:
    sign_in_with_password(page, base, REALM, username, "Corp-passw0rd", "portal")


def test_the_exported_device_signs_in_through_the_exported_flow(
    server: RunningServer, chromium: Browser
) -> None:
    base = server.base_url
    context = chromium.new_context(locale="en")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        context.route(f"{base}/callback*", lambda route: route.fulfill(body="signed in"))
        page = context.new_page()
        _sign_in(page, base, "ines")
        page.wait_for_selector("#kc-otp-login-form")
        expect(page.locator("#otp")).to_be_focused()
        expect_page_language(page, "en", [REALM])
        shoot(page, "keycloak-export-otp-login-en")
        app = pyotp.TOTP(base64.b32encode(KEY.encode()).decode())
        page.keyboard.type(app.now())
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url
        # otto has no device: the flow's condition lets him in with the password.
        other = chromium.new_context(locale="en")
        other.route(f"{base}/callback*", lambda route: route.fulfill(body="signed in"))
        try:
            second = other.new_page()
            second.set_default_timeout(TIMEOUT_MS)
            _sign_in(second, base, "otto")
            second.wait_for_url(f"{base}/callback*")
            assert "code=" in second.url
        finally:
            other.close()
    finally:
        context.close()


def test_the_flow_and_the_device_export_back_as_keycloak_wrote_them(server: RunningServer) -> None:
    headers = admin_headers(server.base_url)
    realm = httpx.get(f"{server.base_url}/admin/realms/{REALM}", headers=headers, timeout=10).json()
    assert realm["browserFlow"] == "corp browser"
    users = httpx.get(
        f"{server.base_url}/admin/realms/{REALM}/users?username=ines", headers=headers, timeout=10
    ).json()
    credentials = httpx.get(
        f"{server.base_url}/admin/realms/{REALM}/users/{users[0]['id']}/credentials",
        headers=headers,
        timeout=10,
    ).json()
    (otp,) = [c for c in credentials if c["type"] == "otp"]
    assert (otp["id"], otp["userLabel"]) == ("0b9a4c55-3f2e-4c61-8f1d-2a7e9b6c4d10", "Work phone")
    flows = httpx.get(
        f"{server.base_url}/admin/realms/{REALM}/authentication/flows", headers=headers, timeout=10
    ).json()
    assert "corp browser" in [f["alias"] for f in flows]
