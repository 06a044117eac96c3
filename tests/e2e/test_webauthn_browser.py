"""A security key as the second factor in Debian's Chromium, with Chromium's own virtual
authenticator (DevTools `WebAuthn.addVirtualAuthenticator`): the user registers the key
on the `webauthn-register` page, signs out, and signs in again with the password and the
key — in English and 简体中文. The page is served on `localhost`, as WebAuthn refuses an IP
address as a relying party. Screenshots are kept with the run's artefacts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_ENV, RunningServer, start_server
from tests.e2e.login_pages import (
    browser_session,
    create_realm,
    set_browser_step,
    sign_in_with_password,
)
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot

pytestmark = pytest.mark.e2e

REALM = "keys"
NAMES = [REALM, "kai", "yun"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("ostium"), env=ADMIN_ENV)
    base = running.base_url.replace("127.0.0.1", "localhost")
    try:
        create_realm(
            running.base_url,
            {
                "realm": REALM,
                "enabled": True,
                "internationalizationEnabled": True,
                "supportedLocales": ["en", "zh-CN"],
                "defaultLocale": "en",
                "webAuthnPolicyRpEntityName": "Keys Inc",
                "clients": [
                    {"clientId": "web", "publicClient": True, "redirectUris": [f"{base}/callback"]}
                ],
                "users": [
                    {
                        "username": name,
                        "enabled": True,
                        "requiredActions": ["webauthn-register"],
                        "credentials": [{"type": "password", "value": "open-sesame"}],
                    }
                    for name in ("kai", "yun")
                ],
            },
        )
        set_browser_step(running.base_url, REALM, "webauthn-authenticator", "ALTERNATIVE")
        yield running
    finally:
        running.stop()


def _sign_in_with_password(page: Page, base: str, username: str) -> None:
    sign_in_with_password(page, base, REALM, username, "open-sesame")


@pytest.mark.parametrize(("locale", "username"), [("en", "kai"), ("zh-CN", "yun")])
def test_register_a_security_key_then_sign_in_with_it(
    server: RunningServer, chromium: Browser, locale: str, username: str
) -> None:
    base = server.base_url.replace("127.0.0.1", "localhost")
    with browser_session(chromium, base, locale) as page:
        devtools = page.context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        _sign_in_with_password(page, base, username)
        page.wait_for_selector("#kc-webauthn-form")
        expect(page.locator("#kc-webauthn-register")).to_be_focused()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"webauthn-register-{locale}")
        page.locator("#authenticatorLabel").fill("USB key")
        page.locator("#kc-webauthn-register").click()
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url

        # Signed out (a new browser session), in again: the password, then the key.
        page.context.clear_cookies()
        _sign_in_with_password(page, base, username)
        page.wait_for_selector("#kc-webauthn-login")
        expect(page.locator("#kc-webauthn-login")).to_be_focused()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"webauthn-login-{locale}")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url
