"""The login page in a real browser (Debian's Chromium), in every language the realm offers.

A person whose browser asks for Chinese sees a login page with no English left on it, and
someone who reads another language switches with the picker, by keyboard, and signs in on
the same form. Screenshots of the page in English and 简体中文 are kept with the
run's artefacts for a person to look at (tests/e2e/screenshots.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from ostium.locales import LANGUAGE_NAMES
from tests.e2e.application import callback_application
from tests.e2e.conftest import ADMIN_ENV, start_server
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot
from tests.support import REALM, query_of, realm_export

pytestmark = pytest.mark.e2e

REALM_NAME = "Acme"
TIMEOUT_MS = 10_000


@dataclass
class Stack:
    base_url: str
    browser: Browser
    callback: str  # the application's redirect URI


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[Stack]:
    with callback_application() as callback:
        realm = realm_export()
        realm["clients"][0]["redirectUris"].append(callback)
        realm.update(
            displayName=REALM_NAME,
            internationalizationEnabled=True,
            supportedLocales=list(LANGUAGE_NAMES),
            defaultLocale="en",
        )
        data_dir = tmp_path_factory.mktemp("data")
        (data_dir / "import").mkdir()
        (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm))
        server = start_server(data_dir, "--import-realm", env=ADMIN_ENV)
        try:
            yield Stack(server.base_url, chromium, callback)
        finally:
            server.stop()


def _open(stack: Stack, locale: str) -> Page:
    """The application's login link in a fresh browser profile whose language is `locale`
    (its Accept-Language)."""
    context = stack.browser.new_context(locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    query = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": stack.callback,
        "scope": "openid",
    }
    page.goto(f"{stack.base_url}/realms/{REALM}/protocol/openid-connect/auth?{urlencode(query)}")
    return page


def test_the_login_page_in_chinese_has_no_english_left(stack: Stack) -> None:
    page = _open(stack, "zh-CN")
    try:
        expect_page_language(page, "zh-CN", [REALM_NAME])
        expect(page.get_by_label("用户名或电子邮箱")).to_be_visible()
        expect(page.get_by_role("button", name="登录")).to_be_visible()
        current = page.get_by_role("navigation", name="语言").locator("[aria-current]")
        assert current.inner_text() == "简体中文"
        shoot(page, "login-zh-CN")
    finally:
        page.context.close()


def test_a_person_switches_language_with_the_keyboard_and_signs_in(stack: Stack) -> None:
    page = _open(stack, "en-US")
    try:
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading").inner_text() == "Sign in to your account"
        shoot(page, "login-en")
        picker = page.get_by_role("navigation", name="Language")
        assert picker.locator("[aria-current]").inner_text() == "English"
        # From the username field (focused on load), Tab through the form to the picker.
        for _ in range(20):
            if page.evaluate("document.activeElement.textContent") == "简体中文":
                break
            page.keyboard.press("Tab")
        else:
            pytest.fail("the 简体中文 link cannot be reached with Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("heading").inner_text() == "登录您的账户"
        picker = page.get_by_role("navigation", name="语言")
        assert picker.locator("[aria-current]").inner_text() == "简体中文"
        # The same login goes on: the form still signs in.
        page.get_by_label("用户名或电子邮箱").fill("alice")
        page.get_by_label("密码").fill("wonderland")
        with page.expect_navigation(url=re.compile(re.escape(stack.callback))):
            page.keyboard.press("Enter")
        assert "code" in query_of(page.url)
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["KEYCLOAK_LOCALE"]["value"] == "zh-CN"
        assert cookies["KEYCLOAK_LOCALE"]["httpOnly"] is True
    finally:
        page.context.close()
