"""Registration, remember me and consent in a real browser (Debian's Chromium).

A new person creates an account from the login page, accepts what the application asks
for and the application gets tokens; someone who ticks "Keep me signed in" is still signed
in after the browser is closed and opened again (a new context with the saved cookies,
less the browser-session ones, as a restart drops them), and someone who does not tick it
is asked again; consent is accepted once and denied once. Screenshots of each new page in
English and 简体中文 are kept with the run's artefacts (tests/e2e/screenshots.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ostium.locales import translate
from tests.e2e.application import callback_application
from tests.e2e.conftest import ADMIN_ENV, start_server
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot
from tests.support import REALM, SECRET, query_of, realm_export

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 10_000
PASSWORD = "Correct-Horse-7"


@dataclass
class Stack:
    base_url: str
    browser: Browser
    callback: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[Stack]:
    with callback_application() as callback:
        realm = realm_export()
        realm["clients"][0]["redirectUris"].append(callback)
        realm["clients"][0]["consentRequired"] = True
        realm["clients"][0]["name"] = "Acme Portal"
        realm.update(
            displayName="Acme",
            registrationAllowed=True,
            rememberMe=True,
            ssoSessionIdleTimeoutRememberMe=604800,
            internationalizationEnabled=True,
            supportedLocales=["en", "zh-CN"],
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


def _context(stack: Stack, locale: str = "en-US", state: Any = None) -> BrowserContext:
    context = stack.browser.new_context(locale=locale, storage_state=state)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _auth_url(stack: Stack) -> str:
    query = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": stack.callback,
        "scope": "openid",
    }
    return f"{stack.base_url}/realms/{REALM}/protocol/openid-connect/auth?{urlencode(query)}"


def _tokens(stack: Stack, url: str) -> dict[str, Any]:
    response = httpx.post(
        f"{stack.base_url}/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(url)["code"],
            "redirect_uri": stack.callback,
        },
        auth=("app", SECRET),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _back_in_the_application(stack: Stack) -> re.Pattern[str]:
    return re.compile(re.escape(stack.callback))


def test_a_new_person_registers_consents_and_the_application_gets_tokens(stack: Stack) -> None:
    context = _context(stack)
    page = context.new_page()
    try:
        page.goto(_auth_url(stack))
        expect(page.get_by_label("Keep me signed in")).to_be_visible()
        shoot(page, "login-remember-register-en")
        page.get_by_role("link", name="Create an account").click()
        expect(page.get_by_role("heading")).to_have_text("Create your account")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        shoot(page, "register-en")
        # A mismatched confirmation first: the form comes back, the field says why.
        page.get_by_label("Username").fill("erin")
        page.get_by_label("Email").fill("erin@example.com")
        page.get_by_label("First name").fill("Erin")
        page.get_by_label("Last name").fill("Hart")
        page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
        page.get_by_label("Confirm password").fill(PASSWORD + "!")
        page.get_by_role("button", name="Create an account").click()
        expect(page.get_by_role("alert")).to_be_visible()
        confirm = page.get_by_label("Confirm password")
        expect(confirm).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#password-confirm")).to_be_focused()
        expect(page.get_by_label("Username")).to_have_value("erin")
        shoot(page, "register-errors-en")
        page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
        confirm.fill(PASSWORD)
        page.get_by_role("button", name="Create an account").click()
        # The application requires consent: the new user is asked first.
        expect(page.get_by_role("heading")).to_have_text("Allow Acme Portal access?")
        expect(page.get_by_text("See your email address")).to_be_visible()
        shoot(page, "consent-en")
        with page.expect_navigation(url=_back_in_the_application(stack)):
            page.get_by_role("button", name="Allow").click()
        tokens = _tokens(stack, page.url)
        assert tokens["token_type"] == "Bearer" and tokens["id_token"]
    finally:
        context.close()


def test_the_new_pages_in_chinese(stack: Stack) -> None:
    context = _context(stack, "zh-CN")
    page = context.new_page()
    try:
        page.goto(_auth_url(stack))
        expect(page.get_by_label("保持登录状态")).to_be_visible()
        expect_page_language(page, "zh-CN", ["Acme Portal", "Acme"])
        shoot(page, "login-remember-register-zh-CN")
        page.get_by_role("link", name="创建账户").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.get_by_role("heading")).to_have_text("创建您的账户")
        shoot(page, "register-zh-CN")
        page.get_by_role("button", name="创建账户").click()  # empty: every required field
        expect(page.get_by_role("alert")).to_be_visible()
        shoot(page, "register-errors-zh-CN")
        expect_page_language(page, "zh-CN", ["Acme Portal", "Acme"])
        page.get_by_role("link", name="« 返回登录").click()
        page.get_by_label("用户名或电子邮箱").fill("bob")
        page.get_by_label("密码").fill("builder")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading")).to_have_text(
            translate("zh-CN", "oauthGrantTitle", "Acme Portal")
        )
        shoot(page, "consent-zh-CN")
        expect_page_language(page, "zh-CN", ["Acme Portal", "Acme"])
        # Deny: the application hears access_denied.
        with page.expect_navigation(url=_back_in_the_application(stack)):
            page.get_by_role("button", name="拒绝").click()
        assert query_of(page.url)["error"] == "access_denied"
    finally:
        context.close()


def _restart(context: BrowserContext) -> dict[str, Any]:
    """What survives closing the browser: its persistent cookies only."""
    state: dict[str, Any] = context.storage_state()
    state["cookies"] = [c for c in state["cookies"] if c.get("expires", -1) > 0]
    context.close()
    return state


def _sign_in(stack: Stack, page: Page, *, remember: bool) -> None:
    page.goto(_auth_url(stack))
    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password").fill("wonderland")
    if remember:
        page.get_by_label("Keep me signed in").check()
    with page.expect_navigation():  # to the consent page, or straight back
        page.get_by_role("button", name="Sign In").click()
    if page.get_by_role("button", name="Allow").count():
        with page.expect_navigation(url=_back_in_the_application(stack)):
            page.get_by_role("button", name="Allow").click()
    page.wait_for_url(_back_in_the_application(stack))


def test_remember_me_survives_a_browser_restart_only_when_ticked(stack: Stack) -> None:
    context = _context(stack)
    _sign_in(stack, context.new_page(), remember=True)
    reopened = _context(stack, state=_restart(context))
    try:
        page = reopened.new_page()
        page.goto(_auth_url(stack))  # straight back: signed in, consent given
        page.wait_for_url(_back_in_the_application(stack))
        assert "code" in query_of(page.url)
    finally:
        reopened.close()

    context = _context(stack)
    _sign_in(stack, context.new_page(), remember=False)
    reopened = _context(stack, state=_restart(context))
    try:
        page = reopened.new_page()
        page.goto(_auth_url(stack))
        expect(page.get_by_label("Username or email")).to_be_visible()
    finally:
        reopened.close()
