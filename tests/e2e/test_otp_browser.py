"""An authenticator app, in Debian's Chromium against `ostium start-dev`, in English and
简体中文: the administrator asks a user to set one up (CONFIGURE_TOTP), the user reads
the key off the page (as an app scanning the QR code would — the code is computed with
pyotp), enters a wrong code and then the right one and gets back to the application;
the next sign-in asks for a code from that app after the password, by keyboard.
Screenshots of each page are kept with the run's artefacts (tests/e2e/screenshots.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_ENV, RunningServer, admin_headers, start_server
from tests.e2e.login_pages import (
    browser_session,
    create_realm,
    set_browser_step,
    sign_in_with_password,
)
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot

pytestmark = pytest.mark.e2e

REALM = "twofactor"
# What the pages show that is not ours to translate: the realm, the people, the apps'
# brand names and the algorithm's name.
NAMES = [REALM, "dana", "lei", "FreeOTP", "Google", "Microsoft Authenticator", "SHA1"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("ostium"), env=ADMIN_ENV)
    try:
        create_realm(
            running.base_url,
            {
                "realm": REALM,
                "enabled": True,
                "internationalizationEnabled": True,
                "supportedLocales": ["en", "zh-CN"],
                "defaultLocale": "en",
                "clients": [
                    {
                        "clientId": "web",
                        "publicClient": True,
                        "redirectUris": [f"{running.base_url}/callback"],
                    }
                ],
                "users": [
                    {
                        "username": name,
                        "enabled": True,
                        "requiredActions": ["CONFIGURE_TOTP"],
                        "credentials": [{"type": "password", "value": "open-sesame"}],
                    }
                    for name in ("dana", "lei")
                ]
                + [
                    {
                        "username": name,
                        "enabled": True,
                        "requiredActions": ["CONFIGURE_RECOVERY_AUTHN_CODES"],
                        "credentials": [{"type": "password", "value": "open-sesame"}],
                    }
                    for name in ("max", "mei")
                ],
            },
        )
        _accept_recovery_codes(running.base_url)
        yield running
    finally:
        running.stop()


def _accept_recovery_codes(base: str) -> None:
    """The realm's 2FA sub-flow takes recovery codes too, and their set-up is registered
    (neither is, in a new Keycloak realm)."""
    set_browser_step(base, REALM, "auth-recovery-authn-code-form", "ALTERNATIVE")
    admin = f"{base}/admin/realms/{REALM}/authentication"
    headers = admin_headers(base)
    registered = httpx.post(
        f"{admin}/register-required-action",
        json={"providerId": "CONFIGURE_RECOVERY_AUTHN_CODES", "name": "Recovery codes"},
        headers=headers,
    )
    assert registered.status_code == 204, registered.text


def _sign_in_with_password(page: Page, base: str, username: str) -> None:
    sign_in_with_password(page, base, REALM, username, "open-sesame")


@pytest.mark.parametrize(("locale", "username"), [("en", "dana"), ("zh-CN", "lei")])
def test_set_up_an_authenticator_app_then_sign_in_with_its_code(
    server: RunningServer, chromium: Browser, locale: str, username: str
) -> None:
    base = server.base_url
    with browser_session(chromium, base, locale) as page:
        _sign_in_with_password(page, base, username)
        page.wait_for_selector("#kc-totp-settings-form")
        expect(page.locator("#totp")).to_be_focused()
        qr = page.locator("#kc-totp-secret-qr-code")
        expect(qr).to_be_visible()
        assert qr.evaluate("image => image.naturalWidth") > 100  # the SVG drew
        expect_page_language(page, locale, NAMES)
        shoot(page, f"otp-setup-{locale}")
        # "Cannot scan the code?" opens the key to type, by keyboard.
        page.locator("#kc-totp-manual summary").focus()
        page.keyboard.press("Enter")
        key = page.locator("#kc-totp-secret-key")
        expect(key).to_be_visible()
        shoot(page, f"otp-setup-manual-key-{locale}")
        app = pyotp.TOTP(key.inner_text().replace(" ", ""))
        page.locator("#totp").fill("000000")
        page.locator("#totp").press("Enter")
        page.wait_for_selector("#input-error")
        expect(page.locator("#totp")).to_have_attribute("aria-invalid", "true")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"otp-setup-wrong-code-{locale}")
        page.locator("#totp").fill(app.now())
        page.locator("#userLabel").fill("Phone")
        page.locator("#kc-submit").click()
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url

    # A new browser: the password, then the app's code, typed and sent with Enter.
    with browser_session(chromium, base, locale) as page:
        _sign_in_with_password(page, base, username)
        page.wait_for_selector("#kc-otp-login-form")
        expect(page.locator("#otp")).to_be_focused()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"otp-login-{locale}")
        page.keyboard.type("123")
        page.keyboard.press("Enter")
        page.wait_for_selector("#input-error")
        shoot(page, f"otp-login-wrong-code-{locale}")
        # A code of the next period (the app's clock may run ahead): inside the window.
        page.locator("#otp").fill(app.at(int(time.time()) + 30))
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url


@pytest.mark.parametrize(("locale", "username"), [("en", "max"), ("zh-CN", "mei")])
def test_save_recovery_codes_then_sign_in_with_one(
    server: RunningServer, chromium: Browser, locale: str, username: str
) -> None:
    base = server.base_url
    with browser_session(chromium, base, locale) as page:
        _sign_in_with_password(page, base, username)
        page.wait_for_selector("#kc-recovery-codes-settings-form")
        codes = page.locator("#kc-recovery-codes-list code").all_inner_texts()
        assert len(codes) == 12
        expect_page_language(page, locale, [*NAMES, "max", "mei", *codes])
        shoot(page, f"recovery-codes-setup-{locale}")
        # Submitting without ticking "I have saved these codes" is stopped by the browser
        # (the box is required); the box by keyboard, then Enter.
        page.locator("#kcRecoveryCodesConfirmationCheck").focus()
        page.keyboard.press("Space")
        page.locator("#kc-submit").click()
        page.wait_for_url(f"{base}/callback*")

    with browser_session(chromium, base, locale) as page:
        _sign_in_with_password(page, base, username)
        page.wait_for_selector("#kc-recovery-code-login-form")
        expect(page.locator("#recoveryCodeInput")).to_be_focused()
        expect_page_language(page, locale, [*NAMES, "max", "mei"])
        shoot(page, f"recovery-code-login-{locale}")
        page.keyboard.type(codes[1])  # number 2: refused
        page.keyboard.press("Enter")
        page.wait_for_selector("#input-error")
        shoot(page, f"recovery-code-login-wrong-{locale}")
        page.locator("#recoveryCodeInput").fill(codes[0].lower())
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url
