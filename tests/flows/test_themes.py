"""Themes over HTTP: a theme in the themes folder overrides a template, a message and adds
a stylesheet; the realm's loginTheme and a client's login_theme choose it; resources are
served versioned with long cache headers; unknown themes and bad paths fall back or 404."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ostium.themes import ThemeFolder
from ostium.web.pages import Pages
from tests.admin.helpers import admin_headers, client_uuid
from tests.support import BASE, REALM, OstiumUnderTest, form_of, start_in_process

CORP_CSS = "body { background: rgb(1, 2, 3); }"


def _write_theme(folder: Path) -> None:
    corp = folder / "corp" / "login"
    (corp / "messages").mkdir(parents=True)
    (corp / "resources" / "css").mkdir(parents=True)
    (corp / "theme.properties").write_text("parent=keycloak\nstyles=css/login.css css/corp.css\n")
    (corp / "messages" / "messages_en.properties").write_text("doLogIn=Enter Corp\n")
    (corp / "messages" / "messages_zh_CN.properties").write_text("doLogIn=\\u8fdb\\u5165\n")
    (corp / "resources" / "css" / "corp.css").write_text(CORP_CSS)
    (corp / "error.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="corp-error">'
        "{{ msg(message_key) }}</p>{% endblock %}"
    )
    # A child theme: everything of corp, and its own message.
    team = folder / "team" / "login"
    (team / "messages").mkdir(parents=True)
    (team / "theme.properties").write_text("parent=corp\n")
    (team / "messages" / "messages_en.properties").write_text("loginAccountTitle=Team sign-in\n")


@pytest.fixture
async def themed(tmp_path: Path) -> AsyncIterator[OstiumUnderTest]:
    folder = tmp_path / "themes"
    _write_theme(folder)
    server = await start_in_process(tmp_path)
    server.runtime.pages = Pages(ThemeFolder(folder))
    try:
        yield server
    finally:
        await server.close()


async def _set_realm(ostium: OstiumUnderTest, **fields: object) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.put(f"{BASE}/admin/realms/{REALM}", json=fields, headers=headers)
    assert response.status_code == 204, response.text


async def _login_page(ostium: OstiumUnderTest, **params: str) -> str:
    browser = ostium.browser()
    try:
        page = await browser.authorize(**params)
        assert page.status_code == 200, page.text
        return page.text
    finally:
        await browser.aclose()


def _stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


# --- negative cases first --------------------------------------------------------------


async def test_unknown_realm_theme_falls_back_to_the_builtin_one(themed: OstiumUnderTest) -> None:
    await _set_realm(themed, loginTheme="no-such-theme")
    html = await _login_page(themed)
    assert 'id="kc-login"' in html
    assert [s.rsplit("/", 2)[-2:] for s in _stylesheets(html)] == [["ostium", "ostium.css"]]


async def test_resources_refuse_bad_versions_paths_and_themes(themed: OstiumUnderTest) -> None:
    await _set_realm(themed, loginTheme="corp")
    corp_css = next(s for s in _stylesheets(await _login_page(themed)) if "corp.css" in s)
    prefix = corp_css.removesuffix("/css/corp.css")
    version = prefix.split("/")[2]
    for path in (
        "/resources/0000000000/login/corp/css/corp.css",  # a stale version
        f"/resources/{version}/login/nope/css/corp.css",  # no such theme
        f"/resources/{version}/account/corp/css/corp.css",  # not an applied type
        f"{prefix}/css/missing.css",
        f"{prefix}/%2e%2e/theme.properties",
        f"{prefix}/css/%2e%2e/%2e%2e/theme.properties",
        f"{prefix}/..%2ftheme.properties",
        f"{prefix}/messages/messages_en.properties",
    ):
        response = await themed.client.get(f"{BASE}{path}")
        assert response.status_code == 404, path


# --- the theme applied -----------------------------------------------------------------


async def test_realm_login_theme_overrides_message_and_adds_css(themed: OstiumUnderTest) -> None:
    await _set_realm(themed, loginTheme="corp")
    html = await _login_page(themed)
    assert "Enter Corp" in html
    styles = _stylesheets(html)
    assert [s.split("/")[3:] for s in styles] == [
        ["login", "corp", "css", "login.css"],
        ["login", "corp", "css", "corp.css"],
    ]
    css = await themed.client.get(f"{BASE}{styles[1]}")
    assert css.status_code == 200
    assert css.text == CORP_CSS
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "max-age=2592000, immutable"
    # Keycloak's css/login.css is the built-in stylesheet, through the chain.
    builtin = await themed.client.get(f"{BASE}{styles[0]}")
    assert builtin.status_code == 200 and ".card" in builtin.text


async def test_theme_message_in_chinese(themed: OstiumUnderTest) -> None:
    await _set_realm(
        themed,
        loginTheme="corp",
        internationalizationEnabled=True,
        supportedLocales=["en", "zh-CN"],
    )
    html = await _login_page(themed, ui_locales="zh-CN")
    assert '<html lang="zh-CN">' in html
    assert "进入" in html


async def test_realm_texts_still_win_over_the_theme(themed: OstiumUnderTest) -> None:
    await _set_realm(themed, loginTheme="corp")
    headers = await admin_headers(themed)
    put = await themed.client.put(
        f"{BASE}/admin/realms/{REALM}/localization/en/doLogIn",
        content="Realm word",
        headers={**headers, "content-type": "text/plain"},
    )
    assert put.status_code == 204, put.text
    assert "Realm word" in await _login_page(themed)


async def test_theme_template_overrides_the_error_page(themed: OstiumUnderTest) -> None:
    await _set_realm(themed, loginTheme="corp")
    # A GET of the login step without its cookie is the themed error page.
    response = await themed.client.get(
        f"{BASE}/realms/{REALM}/login-actions/authenticate?client_id=app&tab_id=x"
    )
    assert 'id="corp-error"' in response.text
    assert 'rel="stylesheet"' in response.text  # base.html, through the chain


async def test_client_login_theme_wins_over_the_realm(themed: OstiumUnderTest) -> None:
    await _set_realm(themed, loginTheme="corp")
    headers = await admin_headers(themed)
    uuid = await client_uuid(themed, headers, "app")
    url = f"{BASE}/admin/realms/{REALM}/clients/{uuid}"
    client = (await themed.client.get(url, headers=headers)).json()
    client["attributes"] = {**client.get("attributes", {}), "login_theme": "team"}
    assert (await themed.client.put(url, json=client, headers=headers)).status_code == 204
    html = await _login_page(themed)
    assert "Team sign-in" in html  # the child's message
    assert "Enter Corp" in html  # and the parent's
    assert "/login/team/css/corp.css" in html
    # Another client keeps the realm's theme.
    other = await _login_page(themed, client_id="other", redirect_uri="http://localhost:5000/cb")
    assert "Team sign-in" not in other
    # Signing out of the themed client: its confirmation and signed-out pages wear its theme.
    browser = themed.browser()
    asked = await browser.http.get(
        f"{BASE}/realms/{REALM}/protocol/openid-connect/logout?client_id=app"
    )
    assert asked.status_code == 200 and "/login/team/css/corp.css" in asked.text
    action, hidden = form_of(asked.text, "kc-logout-confirm")
    done = await browser.http.post(action, data=hidden)
    assert done.status_code == 200 and "/login/team/css/corp.css" in done.text


async def test_themes_round_trip_through_the_representation_and_export(
    themed: OstiumUnderTest,
) -> None:
    await _set_realm(
        themed, loginTheme="corp", emailTheme="corp", accountTheme="keycloak.v2", adminTheme="x"
    )
    headers = await admin_headers(themed)
    realm = (await themed.client.get(f"{BASE}/admin/realms/{REALM}", headers=headers)).json()
    assert (realm["loginTheme"], realm["emailTheme"]) == ("corp", "corp")
    assert (realm["accountTheme"], realm["adminTheme"]) == ("keycloak.v2", "x")
    exported = await themed.client.post(
        f"{BASE}/admin/realms/{REALM}/partial-export", headers=headers
    )
    assert exported.status_code == 200
    assert exported.json()["loginTheme"] == "corp"


async def test_builtin_theme_resources_are_versioned(ostium: OstiumUnderTest) -> None:
    html = await _login_page(ostium)
    (style,) = _stylesheets(html)
    assert re.fullmatch(r"/resources/[0-9a-f]{10}/login/ostium/ostium\.css", style)
    response = await ostium.client.get(f"{BASE}{style}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=2592000, immutable"


async def test_uncached_themes_are_reread_and_their_links_move(tmp_path: Path) -> None:
    folder = tmp_path / "themes"
    _write_theme(folder)
    server = await start_in_process(tmp_path)
    try:
        server.runtime.pages = Pages(ThemeFolder(folder, cache_themes=False, cache_templates=False))
        await _set_realm(server, loginTheme="corp")
        first = _stylesheets(await _login_page(server))[1]
        (folder / "corp" / "login" / "resources" / "css" / "corp.css").write_text("p{}")
        (folder / "corp" / "login" / "messages" / "messages_en.properties").write_text(
            "doLogIn=Changed\n"
        )
        html = await _login_page(server)
        second = _stylesheets(html)[1]
        assert "Changed" in html
        assert first != second  # a new version in the URL
        response = await server.client.get(f"{BASE}{second}")
        assert response.text == "p{}"
        # The link moved with the content, so the long cache stays safe in development.
        assert response.headers["cache-control"] == "max-age=2592000, immutable"
    finally:
        await server.close()


async def test_serverinfo_lists_builtin_names_and_folder_themes(themed: OstiumUnderTest) -> None:
    headers = await admin_headers(themed)
    info = (await themed.client.get(f"{BASE}/admin/serverinfo", headers=headers)).json()
    login = [theme["name"] for theme in info["themes"]["login"]]
    assert login == ["keycloak", "keycloak.v2", "ostium", "corp", "team"]
    assert [theme["name"] for theme in info["themes"]["account"]] == [
        "keycloak",
        "keycloak.v2",
        "ostium",
    ]
