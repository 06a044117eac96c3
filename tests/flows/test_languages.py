"""Page languages over HTTP: each selection source, the picker, the cookie, realm texts."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ostium.app import create_app
from ostium.locales import translate
from tests.support import (
    CALLBACK,
    ISSUER,
    OIDC,
    REALM,
    Browser,
    OstiumUnderTest,
    form_of,
    realm_export,
    start_in_process,
)

LOCALES = ["en", "de", "zh-CN", "fr"]


def i18n_realm(**changes: Any) -> dict[str, Any]:
    realm = realm_export()
    realm.update(
        internationalizationEnabled=True, supportedLocales=list(LOCALES), defaultLocale=None
    )
    realm.update(changes)
    return realm


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    running = await start_in_process(
        tmp_path,
        i18n_realm(
            displayName="${realmTitle}",
            localizationTexts={
                "en": {"realmTitle": "Acme Corp", "appTitle": "Acme Portal"},
                "de": {
                    "realmTitle": "Acme AG",
                    "appTitle": "Acme-Portal",
                    "loginAccountTitle": "Willkommen zurück",
                },
            },
        ),
    )
    async with running.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        app = await repos.clients.get_by_client_id(realm.id, "app")
        assert app is not None
        app.name = "${appTitle}"
        await repos.clients.update(app)
    try:
        yield running
    finally:
        await running.close()


def lang_of(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match, page[:200]
    return match.group(1)


def picker_links(page: str) -> dict[str, str]:
    """The picker's links by language tag, unescaped as a browser reads them."""
    nav = re.search(r'<nav class="languages"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, "no language picker"
    return {
        tag: html.unescape(href)
        for href, tag in re.findall(r'<a href="([^"]*)" lang="([^"]*)"', nav.group(1))
    }


# --- negative cases first --------------------------------------------------------------


async def test_internationalization_off_shows_english_and_no_picker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    running = await start_in_process(tmp_path, i18n_realm(internationalizationEnabled=False))
    try:
        browser = running.browser()
        page = await browser.authorize(ui_locales="de", kc_locale="de")
        assert lang_of(page.text) == "en"
        assert 'class="languages"' not in page.text
        assert "KEYCLOAK_LOCALE" not in page.headers.get("set-cookie", "")
    finally:
        await running.close()


async def test_one_supported_locale_shows_no_picker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    running = await start_in_process(
        tmp_path, i18n_realm(supportedLocales=["de"], defaultLocale="de")
    )
    try:
        page = await running.browser().authorize()
        assert lang_of(page.text) == "de"
        assert 'class="languages"' not in page.text
    finally:
        await running.close()


async def test_an_unsupported_kc_locale_is_ignored_and_sets_no_cookie(
    server: OstiumUnderTest,
) -> None:
    page = await server.browser().authorize(kc_locale="ja", ui_locales="fr")
    assert lang_of(page.text) == "fr"
    assert "KEYCLOAK_LOCALE" not in page.headers.get("set-cookie", "")


async def test_the_login_step_get_without_a_tab_is_an_error_page(server: OstiumUnderTest) -> None:
    browser = server.browser()
    await browser.authorize()
    response = await browser.http.get(
        f"{ISSUER}/login-actions/authenticate",
        params={"client_id": "app", "tab_id": "nope", "kc_locale": "de"},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 400
    assert 'id="kc-error-message"' in response.text
    assert lang_of(response.text) == "de"


async def test_the_login_step_get_without_the_cookie_is_an_error_page(
    server: OstiumUnderTest,
) -> None:
    response = await server.browser().http.get(
        f"{ISSUER}/login-actions/authenticate", params={"client_id": "app", "tab_id": "x"}
    )
    assert response.status_code == 400
    assert "cookie" in response.text.lower()


# --- each source ------------------------------------------------------------------------


async def test_nothing_asked_is_english_then_the_realm_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    running = await start_in_process(tmp_path, i18n_realm(defaultLocale="fr"))
    try:
        page = await running.browser().authorize()
        assert lang_of(page.text) == "fr"
        assert "Connectez-vous à votre compte" in page.text
    finally:
        await running.close()
    # (The server fixture's realm has no default: English.)


async def test_accept_language(server: OstiumUnderTest) -> None:
    browser = server.browser()
    browser.http.headers["Accept-Language"] = "ja, fr;q=0.5, de;q=0.8"
    page = await browser.authorize()
    assert lang_of(page.text) == "de"


async def test_the_cookie_outranks_accept_language(server: OstiumUnderTest) -> None:
    browser = server.browser()
    browser.http.headers["Accept-Language"] = "de"
    browser.http.cookies.set("KEYCLOAK_LOCALE", "fr", path=f"/realms/{REALM}/")
    page = await browser.authorize()
    assert lang_of(page.text) == "fr"


async def test_ui_locales_outranks_the_cookie(server: OstiumUnderTest) -> None:
    browser = server.browser()
    browser.http.cookies.set("KEYCLOAK_LOCALE", "fr", path=f"/realms/{REALM}/")
    page = await browser.authorize(ui_locales="it zh-CN")
    assert lang_of(page.text) == "zh-CN"
    assert "登录您的账户" in page.text


async def test_kc_locale_outranks_ui_locales_and_sets_the_cookie(server: OstiumUnderTest) -> None:
    page = await server.browser().authorize(ui_locales="fr", kc_locale="de")
    assert lang_of(page.text) == "de"
    cookie = next(
        c for c in page.headers.get_list("set-cookie") if c.startswith("KEYCLOAK_LOCALE=")
    )
    assert cookie.startswith("KEYCLOAK_LOCALE=de;")
    assert f"Path=/realms/{REALM}/" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie  # plain HTTP here; Secure and None over HTTPS
    assert "Max-Age" not in cookie  # a browser-session cookie, as Keycloak's


async def test_the_locale_cookie_is_secure_over_https(server: OstiumUnderTest) -> None:
    runtime = dataclasses.replace(server.runtime, hostname="https://id.example.com/sso")
    transport = httpx.ASGITransport(app=create_app(runtime), client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://id.example.com") as http:
        page = await Browser(http).authorize(kc_locale="de")
    cookie = next(
        c for c in page.headers.get_list("set-cookie") if c.startswith("KEYCLOAK_LOCALE=")
    )
    # The realm's path as the browser sees it, as every other cookie of the realm.
    assert f"Path=/sso/realms/{REALM}/" in cookie
    assert "; HttpOnly" in cookie and "; Secure" in cookie and "SameSite=None" in cookie


async def _sign_in(browser: Browser, **params: str) -> None:
    page = await browser.authorize(**params)
    done = await browser.submit_login(page, "alice", "wonderland")
    assert done.status_code == 302, done.text


async def _user_locale(server: OstiumUnderTest, username: str) -> list[str] | None:
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        user = await repos.users.get_by_username(realm.id, username)
        assert user is not None
        return user.attributes.get("locale")


async def test_the_signed_in_users_locale_outranks_ui_locales(server: OstiumUnderTest) -> None:
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        alice = await repos.users.get_by_username(realm.id, "alice")
        assert alice is not None
        alice.attributes["locale"] = ["zh-CN"]
        await repos.users.update(alice)
    browser = server.browser()
    await _sign_in(browser)
    # The logout confirmation is a page of the signed-in user.
    page = await browser.http.get(f"{OIDC}/logout", params={"ui_locales": "fr"})
    assert page.status_code == 200
    assert lang_of(page.text) == "zh-CN"
    assert "确定要退出登录吗？" in page.text  # noqa: RUF001 (Chinese punctuation is full-width)


async def test_kc_locale_while_signed_in_becomes_the_users_locale(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    await _sign_in(browser)
    assert await _user_locale(server, "alice") is None
    page = await browser.http.get(f"{OIDC}/logout", params={"kc_locale": "fr"})
    assert lang_of(page.text) == "fr"
    assert await _user_locale(server, "alice") == ["fr"]


# --- the picker on the login page -------------------------------------------------------


async def test_the_picker_lists_every_supported_language_named_in_itself(
    server: OstiumUnderTest,
) -> None:
    page = await server.browser().authorize(ui_locales="de")
    assert re.search(r'<nav class="languages" id="kc-locale" aria-label="Sprache">', page.text)
    links = picker_links(page.text)
    assert list(links) == LOCALES
    for name in ("English", "Deutsch", "简体中文", "Français"):
        assert f">{name}</a>" in page.text
    assert re.search(r'lang="de" hreflang="de" aria-current="true">Deutsch', page.text)
    assert page.text.count("aria-current") == 1


async def test_the_picker_keeps_the_login_tab_and_the_choice_reaches_the_user(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    page = await browser.authorize(ui_locales="fr")
    action, hidden = form_of(page.text)
    link = picker_links(page.text)["de"]
    assert link.startswith(f"{ISSUER}/login-actions/authenticate?")
    tab_id = re.search(r"tab_id=([^&]+)", action)
    assert tab_id is not None
    assert f"tab_id={tab_id.group(1)}" in link

    german = await browser.http.get(link)
    assert german.status_code == 200
    assert lang_of(german.text) == "de"
    assert "KEYCLOAK_LOCALE=de" in german.headers.get("set-cookie", "")
    # Same step, same tab: the form posts where it did, with the same CSRF token.
    assert form_of(german.text) == (action, hidden)

    # A failed attempt stays in German although the request asked for French.
    wrong = await browser.submit_login(german, "alice", "nope")
    assert lang_of(wrong.text) == "de"
    assert "Benutzername oder Passwort ist falsch." in wrong.text

    done = await browser.submit_login(wrong, "alice", "wonderland")
    assert done.status_code == 302
    assert "code=" in done.headers["location"]
    assert await _user_locale(server, "alice") == ["de"]


async def test_kc_locale_on_the_authorization_request_is_kept_for_the_login(
    server: OstiumUnderTest,
) -> None:
    browser = server.browser()
    page = await browser.authorize(kc_locale="zh-CN", ui_locales="fr")
    assert lang_of(page.text) == "zh-CN"
    wrong = await browser.submit_login(page, "alice", "nope")
    assert lang_of(wrong.text) == "zh-CN"


async def test_pages_answering_a_get_link_to_themselves(server: OstiumUnderTest) -> None:
    browser = server.browser()
    await _sign_in(browser)
    page = await browser.http.get(f"{OIDC}/logout", params={"client_id": "app"})
    assert picker_links(page.text)["fr"] == "?client_id=app&kc_locale=fr"


# --- realm texts and ${key} -------------------------------------------------------------


async def test_realm_texts_override_the_catalogue_and_names_are_resolved(
    server: OstiumUnderTest,
) -> None:
    english = await server.browser().authorize()
    assert '<header class="realm">Acme Corp</header>' in english.text
    assert "<title>Sign in to Acme Corp</title>" in english.text
    assert "to continue to Acme Portal" in english.text
    assert "Sign in to your account" in english.text  # no English override: the catalogue

    german = await server.browser().authorize(ui_locales="de")
    assert '<header class="realm">Acme AG</header>' in german.text
    assert "um mit Acme-Portal fortzufahren" in german.text
    assert "Willkommen zurück" in german.text

    # French has no texts of its own: the catalogue, and the English realm texts.
    french = await server.browser().authorize(ui_locales="fr")
    assert "Connectez-vous à votre compte" in french.text
    assert '<header class="realm">Acme Corp</header>' in french.text


async def test_an_unknown_key_in_a_name_shows_the_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    running = await start_in_process(tmp_path, i18n_realm(displayName="${nowhere}"))
    try:
        page = await running.browser().authorize()
        assert '<header class="realm">nowhere</header>' in page.text
    finally:
        await running.close()


async def test_the_error_page_speaks_the_chosen_language(server: OstiumUnderTest) -> None:
    # No login has started: the request's ui_locales is not read, the browser's language is.
    browser = server.browser()
    browser.http.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    page = await browser.authorize(redirect_uri="https://evil.example/")
    assert page.status_code == 400
    assert lang_of(page.text) == "zh-CN"
    assert "出错了" in page.text
    assert "参数无效：redirect_uri" in page.text  # noqa: RUF001 (Chinese punctuation)


# --- the pages outside the login --------------------------------------------------------


async def test_the_hostname_debug_page_is_translated(server: OstiumUnderTest) -> None:
    server.runtime.hostname_debug = True
    browser = server.browser()
    browser.http.headers["Accept-Language"] = "zh-CN"
    page = await browser.http.get(f"{ISSUER}/hostname-debug")
    assert page.status_code == 200
    assert lang_of(page.text) == "zh-CN"
    assert "<dt>前端地址</dt>" in page.text
    assert "主机名调试" in page.text
    assert list(picker_links(page.text)) == LOCALES


async def test_the_welcome_page_speaks_the_master_realms_languages(
    server: OstiumUnderTest,
) -> None:
    async with server.storage.transaction() as repos:
        master = await repos.realms.get_by_name("master")
        assert master is not None
        master.internationalization_enabled = True
        master.supported_locales = ["en", "ja"]
        await repos.realms.update(master)
    browser = server.browser()
    browser.http.headers["Accept-Language"] = "ja"
    page = await browser.http.get("/")
    assert lang_of(page.text) == "ja"
    assert "Ostium へようこそ" in page.text
    assert picker_links(page.text)["en"].endswith("/?kc_locale=en")
    english = await browser.http.get(picker_links(page.text)["en"])
    assert lang_of(english.text) == "en"
    cookie = english.headers["set-cookie"]
    assert cookie.startswith("KEYCLOAK_LOCALE=en;")
    assert "Path=/realms/master/" in cookie


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"enabled": False}, "loginRequesterNotEnabledMessage"),
        ({"bearer_only": True}, "bearerOnlyMessage"),
        ({}, "invalidParameterMessage"),  # a duplicate parameter
    ],
)
async def test_error_pages_speak_the_page_language_whatever_went_wrong(
    server: OstiumUnderTest, change: dict[str, bool], key: str
) -> None:
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        app = await repos.clients.get_by_client_id(realm.id, "app")
        assert app is not None
        await repos.clients.update(dataclasses.replace(app, **change))
    query = f"client_id=app&response_type=code&redirect_uri={CALLBACK}"
    if not change:
        query += "&client_id=app"
    response = await server.browser().http.get(
        f"{OIDC}/auth?{query}", headers={"Accept-Language": "zh-CN", "Accept": "text/html"}
    )
    assert response.status_code in (400, 401)
    alert = re.search(r'id="kc-error-message" role="alert">([^<]*)<', response.text)
    assert alert, response.text
    shown = html.unescape(alert.group(1))
    assert shown == translate("zh-CN", key, "client_id")
    assert not re.search(r"[A-Za-z]{3,}", shown.replace("client_id", "")), shown
