"""Required actions through the real pages in Debian's Chromium: an administrator sets a
temporary password, the user signs in, must choose a new one (the mismatch and the
policy refused first), and only then does the application get its code. The other
pages (terms, profile, verify e-mail, an action not supported yet) are walked through too.

Screenshots of every page (English and 简体中文) are kept with the run's artefacts
(tests/e2e/screenshots.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    admin_headers,
    start_server,
)
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot
from tests.e2e.test_keycloak_js import TIMEOUT_MS
from tests.mail_server import MailServer, mail_server, wait_for_mail
from tests.support import CALLBACK, REALM, realm_export

# What the pages show that is not ours to translate: the realm, the people.
NAMES = [REALM, "alice", "Bob", "Builder", "carol"]


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with mail_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: MailServer) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("data")
    (data_dir / "import").mkdir()
    realm = realm_export()
    realm.update(
        internationalizationEnabled=True,
        supportedLocales=["en", "zh-CN"],
        defaultLocale="en",
        smtpServer=smtp.settings(),
    )
    realm["users"].append(
        {
            "username": "carol",
            "enabled": True,
            "email": "carol@example.com",
            "firstName": "Carol",
            "lastName": "Kay",
            "credentials": [{"type": "password", "value": "carol-pw-1"}],
        }
    )
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm))
    running = start_server(data_dir, "--import-realm", env=ADMIN_ENV)
    with _admin(running) as admin:
        # After the import: the file's own passwords predate the policy.
        response = admin.put("", json={"passwordPolicy": "length(8) and digits(1)"})
        assert response.status_code == 204, response.text
    yield running
    running.stop()


def _admin(server: RunningServer) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.base_url}/admin/realms/{REALM}",
        headers=admin_headers(server.base_url),
        timeout=10,
    )


def _user_id(admin: httpx.Client, username: str) -> str:
    found = admin.get("/users", params={"username": username, "exact": "true"}).json()
    return str(found[0]["id"])


def _authorize_url(server: RunningServer) -> str:
    return (
        f"{server.base_url}/realms/{REALM}/protocol/openid-connect/auth?client_id=app"
        f"&response_type=code&scope=openid&state=st&redirect_uri={quote(CALLBACK, safe='')}"
    )


def _sign_in(page: Page, server: RunningServer, username: str, password: str) -> None:
    page.goto(_authorize_url(server))
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_temporary_password_must_be_changed_before_the_code(
    server: RunningServer, chromium: Browser, locale: str
) -> None:
    with _admin(server) as admin:
        uid = _user_id(admin, "alice")
        response = admin.put(
            f"/users/{uid}/reset-password",
            json={"type": "password", "value": "Temporary1", "temporary": True},
        )
        assert response.status_code == 204
    context = chromium.new_context(locale=locale)
    try:
        context.route(f"{CALLBACK}*", lambda route: route.fulfill(body="signed in"))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        _sign_in(page, server, "alice", "Temporary1")
        page.wait_for_selector("#kc-passwd-update-form")
        assert "code=" not in page.url
        # The focus is on the new password; the "sign out on other devices" box is ticked.
        expect(page.locator("#password-new")).to_be_focused()  # autofocus, once applied
        assert page.locator("#logout-sessions").is_checked()
        assert page.locator("html").get_attribute("lang") == locale
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-update-password-{locale}")
        page.locator("#password-new").fill("Chosen-pw-1")
        page.locator("#password-confirm").fill("Chosen-pw-2")
        page.locator("#password-confirm").press("Enter")
        page.wait_for_selector("#input-error")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-update-password-mismatch-{locale}")
        page.locator("#password-new").fill("short")
        page.locator("#password-confirm").fill("short")
        page.locator("#password-confirm").press("Enter")
        page.wait_for_selector("#input-error")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-update-password-policy-{locale}")
        assert "code=" not in page.url
        page.locator("#password-new").fill(f"Chosen-pw-{locale}-1")
        page.locator("#password-confirm").fill(f"Chosen-pw-{locale}-1")
        page.locator("#kc-submit").click()
        page.wait_for_url(f"{CALLBACK}*")
        assert "code=" in page.url
        assert "state=st" in page.url
    finally:
        context.close()
    token = httpx.post(
        f"{server.base_url}/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "app",
            "client_secret": "s3cr3t-app",
            "username": "alice",
            "password": f"Chosen-pw-{locale}-1",
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_terms_profile_verify_email_and_an_unsupported_action(
    server: RunningServer, smtp: MailServer, chromium: Browser, locale: str
) -> None:
    mails = len(smtp.inbox.to("bob@example.com"))
    with _admin(server) as admin:
        terms = admin.get("/authentication/required-actions/TERMS_AND_CONDITIONS").json()
        admin.put(
            "/authentication/required-actions/TERMS_AND_CONDITIONS", json={**terms, "enabled": True}
        )
        bob = _user_id(admin, "bob")
        admin.put(
            f"/users/{bob}",
            json={
                "firstName": "",
                "requiredActions": ["TERMS_AND_CONDITIONS", "UPDATE_PROFILE", "VERIFY_EMAIL"],
            },
        )
        carol = _user_id(admin, "carol")
        admin.put(f"/users/{carol}", json={"requiredActions": ["webauthn-register-passwordless"]})
    context = chromium.new_context(locale=locale)
    try:
        context.route(f"{CALLBACK}*", lambda route: route.fulfill(body="signed in"))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        _sign_in(page, server, "bob", "builder")
        page.wait_for_selector("#kc-terms-form")
        expect(page.locator("#kc-accept")).to_be_focused()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-terms-{locale}")
        page.keyboard.press("Enter")
        page.wait_for_selector("#kc-update-profile-form")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-update-profile-{locale}")
        page.locator("#lastName").fill("")
        page.locator("#kc-submit").click()
        page.wait_for_selector("#input-error-lastName")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-update-profile-errors-{locale}")
        page.locator("#firstName").fill("Bob")
        page.locator("#lastName").fill("Builder")
        page.locator("#kc-submit").click()
        page.wait_for_selector("#kc-verify-email-form")
        assert "bob@example.com" in page.locator("#kc-verify-email-instruction").inner_text()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-verify-email-{locale}")
        page.locator("#kc-resend").click()
        page.wait_for_selector("#kc-info-message")
        wait_for_mail(smtp.inbox, "bob@example.com", mails + 2)  # the first, then again
        expect_page_language(page, locale, NAMES)
        shoot(page, f"required-verify-email-resent-{locale}")
        assert "code=" not in page.url
        other = context.new_page()
        other.set_default_timeout(TIMEOUT_MS)
        context.clear_cookies()
        _sign_in(other, server, "carol", "carol-pw-1")
        other.wait_for_selector("#kc-error-message")
        expect_page_language(other, locale, NAMES)
        shoot(other, f"required-not-supported-{locale}")
        assert "code=" not in other.url
    finally:
        context.close()
