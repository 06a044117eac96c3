"""Registration (Keycloak's login-actions/registration): refused when the realm does not
allow it, the form's checks (CSRF, duplicates, password policy and confirmation, the user
profile), then a new user who gets tokens."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ostium.services.password_policy import checked_policy_text
from tests.mail_server import mail_server
from tests.support import (
    CALLBACK,
    REALM,
    Browser,
    OstiumUnderTest,
    form_of,
    query_of,
    realm_export,
    start_in_process,
)

GOOD = "Tr0ub4dor&3xyz"


def open_realm(**changes: Any) -> dict[str, Any]:
    realm = realm_export()
    realm.update(registrationAllowed=True)
    realm.update(changes)
    return realm


async def start(tmp_path, realm: dict[str, Any]) -> OstiumUnderTest:  # type: ignore[no-untyped-def]
    """The realm with a password policy (set after the import: the test users' passwords
    are older than it)."""
    running = await start_in_process(tmp_path, realm)
    async with running.storage.transaction() as repos:
        stored = await repos.realms.get_by_name(REALM)
        assert stored is not None
        stored.password_policy = checked_policy_text("length(12) and digits(1)")
        await repos.realms.update(stored)
    return running


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    running = await start(tmp_path, open_realm())
    try:
        yield running
    finally:
        await running.close()


def _link(page: httpx.Response) -> str:
    marker = 'id="kc-register-link" href="'
    assert marker in page.text, "no registration link"
    return html.unescape(page.text.split(marker, 1)[1].split('"', 1)[0])


async def _form(browser: Browser) -> tuple[str, dict[str, str]]:
    login = await browser.authorize()
    page = await browser.http.get(_link(login))
    assert page.status_code == 200, page.text
    return form_of(page.text, "kc-register-form")


def _person(**changes: str) -> dict[str, str]:
    person = {
        "username": "carol",
        "email": "carol@example.com",
        "firstName": "Carol",
        "lastName": "Danvers",
        "password": GOOD,
        "password-confirm": GOOD,
    }
    person.update(changes)
    return person


async def _register(browser: Browser, **changes: str) -> httpx.Response:
    action, hidden = await _form(browser)
    return await browser.http.post(action, data={**hidden, **_person(**changes)})


def _field_error(page: httpx.Response, name: str) -> str:
    marker = f'id="input-error-{name}">'
    assert marker in page.text, f"no error for {name}: {page.text}"
    return html.unescape(page.text.split(marker, 1)[1].split("<", 1)[0])


async def _count(server: OstiumUnderTest, username: str) -> int:
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        return int(await repos.users.get_by_username(realm.id, username) is not None)


async def test_disabled_registration_has_no_link_and_refuses_the_page(
    ostium: OstiumUnderTest,
) -> None:
    browser = ostium.browser()
    login = await browser.authorize()
    assert "kc-register-link" not in login.text
    action, hidden = form_of(login.text)
    url = action.replace("/authenticate?", "/registration?")
    shown = await browser.http.get(url)
    assert shown.status_code == 400
    posted = await browser.http.post(url, data={**hidden, **_person()})
    assert posted.status_code == 400
    assert await _count(ostium, "carol") == 0
    assert any(e.type == "REGISTER_ERROR" for e in ostium.events.recent)


async def test_a_form_without_the_csrf_token_creates_nobody(server: OstiumUnderTest) -> None:
    browser = server.browser()
    action, _ = await _form(browser)
    forged = await browser.http.post(action, data={**_person(), "csrf_token": "forged"})
    assert forged.status_code == 400
    assert await _count(server, "carol") == 0


async def test_a_taken_username_is_named(server: OstiumUnderTest) -> None:
    page = await _register(server.browser(), username="alice")
    assert page.status_code == 200
    assert _field_error(page, "username") == "This username is already taken."
    assert 'value="carol@example.com"' in page.text  # typed values come back
    assert GOOD not in page.text  # never the password


async def test_a_taken_email_is_named_unless_duplicates_are_allowed(
    server: OstiumUnderTest, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    page = await _register(server.browser(), email="ALICE@example.com")
    assert "email" in page.text and _field_error(page, "email")
    assert await _count(server, "carol") == 0
    other = await start(tmp_path / "dup", open_realm(duplicateEmailsAllowed=True))
    try:
        done = await _register(other.browser(), email="alice@example.com")
        assert done.status_code == 302, done.text
    finally:
        await other.close()


async def test_the_password_policy_and_confirmation_apply(server: OstiumUnderTest) -> None:
    short = await _register(server.browser(), password="short1", **{"password-confirm": "short1"})
    assert "12" in _field_error(short, "password")
    mismatch = await _register(server.browser(), **{"password-confirm": GOOD + "x"})
    assert _field_error(mismatch, "password-confirm")
    empty = await _register(server.browser(), password="", **{"password-confirm": ""})
    assert _field_error(empty, "password")
    assert await _count(server, "carol") == 0


async def test_the_user_profile_validates_the_fields(server: OstiumUnderTest) -> None:
    page = await _register(server.browser(), email="not-an-address", firstName="")
    assert _field_error(page, "email")
    assert _field_error(page, "firstName")
    assert await _count(server, "carol") == 0


async def test_a_new_user_signs_in_and_gets_tokens(server: OstiumUnderTest) -> None:
    browser = server.browser()
    done = await _register(browser)
    assert done.status_code == 302, done.text
    code = query_of(done.headers["location"])["code"]
    tokens = await server.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    )
    assert tokens.status_code == 200, tokens.text
    event = next(e for e in server.events.recent if e.type == "REGISTER")
    assert event.details["username"] == "carol" and event.details["register_method"] == "form"
    async with server.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        user = await repos.users.get_by_username(realm.id, "carol")
        assert user is not None and user.email == "carol@example.com"
        assert user.first_name == "Carol" and not user.email_verified
        roles = {r.name for r in await repos.roles.user_roles(user.id)}
        assert realm.default_role_name in roles
    # The password works for the next login too.
    again = server.browser()
    assert "code" in await again.login("carol", GOOD)


async def test_email_as_username(tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = await start(tmp_path, open_realm(registrationEmailAsUsername=True))
    try:
        browser = server.browser()
        login = await browser.authorize()
        page = await browser.http.get(_link(login))
        assert 'name="username"' not in page.text
        taken = await _register(server.browser(), email="bob@example.com")
        assert _field_error(taken, "email")
        done = await _register(server.browser(), email="Dana@Example.com")
        assert done.status_code == 302, done.text
        assert await _count(server, "dana@example.com") == 1
    finally:
        await server.close()


async def test_verify_email_realm_stops_the_login_at_verify_email(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with mail_server(tmp_path) as smtp:
        server = await start(tmp_path, open_realm(verifyEmail=True, smtpServer=smtp.settings()))
        try:
            page = await _register(server.browser())
            # No code yet: the new user's first required action is to verify the address,
            # and the mail with the link is sent.
            assert page.status_code == 200 and "location" not in page.headers
            assert 'id="kc-verify-email-instruction"' in page.text
            assert "carol@example.com" in page.text
            async with server.storage.transaction() as repos:
                realm = await repos.realms.get_by_name(REALM)
                assert realm is not None
                user = await repos.users.get_by_username(realm.id, "carol")
                assert user is not None and user.required_actions == ["VERIFY_EMAIL"]
            await server.runtime.mail.drain()
            assert len(smtp.inbox.to("carol@example.com")) == 1
        finally:
            await server.close()


async def test_consent_follows_registration(tmp_path) -> None:  # type: ignore[no-untyped-def]
    realm = open_realm()
    realm["clients"][0]["consentRequired"] = True
    server = await start(tmp_path, realm)
    try:
        page = await _register(server.browser())
        assert page.status_code == 200 and 'id="kc-oauth-grant"' in page.text
    finally:
        await server.close()


async def test_the_language_picker_keeps_the_registration_page(tmp_path) -> None:  # type: ignore[no-untyped-def]
    realm = open_realm(
        internationalizationEnabled=True, supportedLocales=["en", "zh-CN"], defaultLocale="en"
    )
    server = await start(tmp_path, realm)
    try:
        browser = server.browser()
        login = await browser.authorize()
        page = await browser.http.get(_link(login) + "&kc_locale=zh-CN")
        assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
        assert 'id="kc-register-form"' in page.text
        # The language stays for the rest of this login.
        action, data = _submit(page)
        done = await browser.http.post(action, data=data)
        assert done.status_code == 302, done.text
        async with server.storage.transaction() as repos:
            stored = await repos.realms.get_by_name(REALM)
            assert stored is not None
            user = await repos.users.get_by_username(stored.id, "carol")
            assert user is not None and user.attributes.get("locale") == ["zh-CN"]
    finally:
        await server.close()


def _submit(page: httpx.Response) -> tuple[str, dict[str, str]]:
    action, hidden = form_of(page.text, "kc-register-form")
    return action, {**hidden, **_person()}
