"""Themes in a real browser (Debian's Chromium): the built-in theme and a custom one.

The built-in login page must read well on a 360-pixel phone and on a desktop, keep a
visible focus ring, meet WCAG AA contrast and say its language; a theme dropped into the
themes folder (`<data-dir>/themes`) restyles it through its own stylesheet and rewords it
through its messages, chosen by a client's `login_theme`. Screenshots (en and zh-CN, both
widths, both themes) are kept with the run's artefacts (tests/e2e/screenshots.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from ostium.locales import LANGUAGE_NAMES
from tests.e2e.application import callback_application
from tests.e2e.conftest import ADMIN_ENV, start_server
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot
from tests.support import REALM, realm_export

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 10_000
# What the pages show that is not ours to translate: the realm, the people.
NAMES = ["Acme"]
THEMED_BUTTON = "rgb(122, 29, 99)"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

# For each element: its text colour against the first opaque background behind it.
CONTRAST = """
(selectors) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = (rgb) => {
    const [r, g, b] = rgb.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c;
    }
    return [255, 255, 255];
  };
  const out = {};
  for (const sel of selectors) {
    for (const [i, el] of [...document.querySelectorAll(sel)].entries()) {
      const a = lum(parse(getComputedStyle(el).color)), b = lum(background(el));
      out[`${sel}#${i}`] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }
  }
  return out;
}
"""


@dataclass
class Stack:
    base_url: str
    browser: Browser
    callback: str


def _write_theme(folder: Path) -> None:
    root = folder / "acme" / "login"
    (root / "messages").mkdir(parents=True)
    (root / "resources" / "css").mkdir(parents=True)
    (root / "theme.properties").write_text("parent=keycloak\nstyles=css/login.css css/acme.css\n")
    (root / "resources" / "css" / "acme.css").write_text(
        f"button.primary {{ background: {THEMED_BUTTON}; }}\n"
        ".realm { color: rgb(122, 29, 99); }\n"
    )
    (root / "messages" / "messages_en.properties").write_text("loginAccountTitle=Welcome to Acme\n")
    (root / "messages" / "messages_zh_CN.properties").write_text(
        "loginAccountTitle=\\u6b22\\u8fce\\u6765\\u5230 Acme\n"
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[Stack]:
    with callback_application() as callback:
        realm = realm_export()
        for client in realm["clients"][:2]:
            client["redirectUris"].append(callback)
        realm["clients"][1]["attributes"]["login_theme"] = "acme"  # spa
        realm.update(
            displayName="Acme",
            internationalizationEnabled=True,
            supportedLocales=list(LANGUAGE_NAMES),
            defaultLocale="en",
        )
        data_dir = tmp_path_factory.mktemp("data")
        (data_dir / "import").mkdir()
        (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm))
        _write_theme(data_dir / "themes")
        server = start_server(data_dir, "--import-realm", env=ADMIN_ENV)
        try:
            yield Stack(server.base_url, chromium, callback)
        finally:
            server.stop()


def _open(stack: Stack, client_id: str, locale: str, viewport: dict[str, int]) -> Page:
    context = stack.browser.new_context(locale=locale, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": stack.callback,
        "scope": "openid",
    }
    page.goto(f"{stack.base_url}/realms/{REALM}/protocol/openid-connect/auth?{urlencode(query)}")
    return page


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_builtin_theme_is_readable_at_every_width(
    stack: Stack, locale: str, width: str
) -> None:
    viewport = PHONE if width == "phone" else DESKTOP
    page = _open(stack, "app", locale, viewport)
    try:
        assert page.locator("html").get_attribute("lang") == locale
        # Nothing scrolls sideways, and the card fits the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        card = page.locator("main.card").bounding_box()
        assert card is not None and card["x"] >= 0
        assert card["x"] + card["width"] <= viewport["width"]
        # WCAG AA: 4.5:1 for text (the realm name, labels, buttons, the picker's links).
        ratios = page.evaluate(
            CONTRAST, ["header.realm", "h1", "label", "button", "#kc-locale a", "input"]
        )
        low = {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < 4.5}
        assert low == {}, low
        # Text fields' borders: 3:1 against the card (WCAG 1.4.11).
        border = page.evaluate(
            """() => getComputedStyle(document.querySelector('#password')).borderTopColor"""
        )
        assert _ratio(border, "rgb(255, 255, 255)") >= 3, border
        # A visible focus ring on the field focused on load and on the button.
        expect(page.locator("#username")).to_be_focused()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", "")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.locator("#kc-login")).to_be_focused()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        page.locator("#username").focus()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"theme-builtin-{locale}-{width}")
    finally:
        page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_custom_theme_from_the_themes_folder(stack: Stack, locale: str) -> None:
    page = _open(stack, "spa", locale, DESKTOP)
    try:
        assert page.locator("html").get_attribute("lang") == locale
        background = page.evaluate(
            "getComputedStyle(document.querySelector('#kc-login')).backgroundColor"
        )
        assert background == THEMED_BUTTON
        title = "Welcome to Acme" if locale == "en" else "欢迎来到 Acme"
        assert page.get_by_role("heading").inner_text() == title
        # The rest is the built-in theme, in the page's language.
        button = "Sign in" if locale == "en" else "登录"
        assert page.get_by_role("button", name=button).is_visible()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"theme-custom-{locale}")
        # The application without a theme keeps the built-in look.
        other = _open(stack, "app", locale, DESKTOP)
        try:
            plain = other.evaluate(
                "getComputedStyle(document.querySelector('#kc-login')).backgroundColor"
            )
            assert plain != THEMED_BUTTON
        finally:
            other.context.close()
    finally:
        page.context.close()


def _ratio(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        values = [float(v) for v in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [
            v / 255 / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
            for v in values
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    a, b = luminance(first), luminance(second)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)
