""" "Forgot password?" and the e-mailed action-token links, over HTTP, with the mail
received by a real SMTP server in the test process (tests/mail_server.py).

Refusals first: no enumeration (same page, no mail for an unknown account), a link works
once, expires, and is refused when forged or from another realm; an SMTP server that is
down costs the person nothing but the mail (the page answers, the failure is an event).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ostium.services.action_tokens import RESET_CREDENTIALS, ActionToken, issue_action_token
from tests.mail_server import (
    MailServer,
    closed_port,
    follow_link,
    html_of,
    link_in,
    mail_server,
    text_of,
)
from tests.support import (
    BASE,
    ISSUER,
    REALM,
    Browser,
    OstiumUnderTest,
    form_of,
    realm_export,
    start_in_process,
)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[MailServer]:
    with mail_server(tmp_path) as server:
        yield server


def _realm(smtp_settings: dict[str, str], **extra: Any) -> dict[str, Any]:
    realm = realm_export()
    realm.update(resetPasswordAllowed=True, smtpServer=smtp_settings, **extra)
    realm["clients"][0]["baseUrl"] = "http://localhost:3000/home"
    return realm


@pytest.fixture
async def ostium(tmp_path: Path, smtp: MailServer) -> AsyncIterator[OstiumUnderTest]:
    server = await start_in_process(tmp_path, _realm(smtp.settings()))
    server.runtime.mail.retry_delays = (0.0, 0.0)
    try:
        yield server
    finally:
        await server.runtime.mail.drain()
        await server.close()


async def _reset_form(browser: Browser) -> httpx.Response:
    login = await browser.authorize()
    assert login.status_code == 200, login.text
    match = re.search(r'id="kc-forgot-password" href="([^"]+)"', login.text)
    assert match, "no Forgot password? link"
    page = await browser.http.get(match.group(1).replace("&amp;", "&"))
    assert page.status_code == 200, page.text
    return page


async def _ask_reset(browser: Browser, username: str) -> httpx.Response:
    page = await _reset_form(browser)
    action, hidden = form_of(page.text, "kc-reset-password-form")
    return await browser.http.post(action, data={**hidden, "username": username})


def _message(page: httpx.Response) -> str:
    match = re.search(r'id="kc-(?:info|error)-message"[^>]*>([^<]*)<', page.text)
    assert match, page.text
    return match.group(1)


def _events(ostium: OstiumUnderTest, type: str) -> list[Any]:
    return [e for e in ostium.events.recent if e.type == type]


# ---------------------------------------------------------------- refusals first


async def test_an_unknown_account_gets_the_same_page_and_no_mail(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    unknown = await _ask_reset(ostium.browser(), "nobody")
    known = await _ask_reset(ostium.browser(), "alice")
    by_email = await _ask_reset(ostium.browser(), "bob@example.com")
    assert unknown.status_code == known.status_code == by_email.status_code == 200
    assert _message(unknown) == _message(known) == _message(by_email)
    assert "e-mail with a link is on its way" in _message(unknown)
    await ostium.runtime.mail.drain()
    assert sorted(m["To"] for m in smtp.inbox.messages) == ["alice@example.com", "bob@example.com"]
    [refused] = _events(ostium, "RESET_PASSWORD_ERROR")
    assert refused.error == "user_not_found" and refused.details["username"] == "nobody"


async def test_a_disabled_account_or_one_without_address_gets_no_mail(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    for name in ("mallory", "service-account-app"):
        page = await _ask_reset(ostium.browser(), name)
        assert page.status_code == 200 and "on its way" in _message(page)
    await ostium.runtime.mail.drain()
    assert smtp.inbox.messages == []
    assert sorted(str(e.error) for e in _events(ostium, "RESET_PASSWORD_ERROR")) == [
        "invalid_email",
        "user_disabled",
    ]


async def test_no_link_and_no_form_when_the_realm_does_not_allow_resets(tmp_path: Path) -> None:
    server = await start_in_process(tmp_path)
    try:
        browser = server.browser()
        login = await browser.authorize()
        assert "kc-forgot-password" not in login.text
        tab = re.search(r"tab_id=([\w-]+)", login.text)
        assert tab
        page = await browser.http.get(
            f"{ISSUER}/login-actions/reset-credentials",
            params={"client_id": "app", "tab_id": tab.group(1)},
        )
        assert page.status_code == 400
        assert "not enabled" in _message(page)
    finally:
        await server.close()


async def test_the_form_refuses_a_forged_csrf_token_and_a_missing_tab(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    browser = ostium.browser()
    page = await _reset_form(browser)
    action, hidden = form_of(page.text, "kc-reset-password-form")
    forged = await browser.http.post(
        action, data={**hidden, "csrf_token": "forged", "username": "alice"}
    )
    assert forged.status_code == 400
    stranger = await ostium.browser().http.post(action, data={**hidden, "username": "alice"})
    assert stranger.status_code == 400  # no AUTH_SESSION_ID cookie: not this browser's tab
    empty = await browser.http.post(action, data={**hidden, "username": "  "})
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.text
    await ostium.runtime.mail.drain()
    assert smtp.inbox.messages == []


async def test_a_reset_link_works_once(ostium: OstiumUnderTest, smtp: MailServer) -> None:
    await _ask_reset(ostium.browser(), "alice")
    await ostium.runtime.mail.drain()
    [mail] = smtp.inbox.messages
    link = link_in(mail)
    # Opening the link (or a mail scanner fetching it) only asks for confirmation.
    for _ in range(2):
        asked = await ostium.browser().http.get(link)
        assert asked.status_code == 200 and 'id="kc-action-confirm"' in asked.text
        assert "Continue to choose a new password" in asked.text
    elsewhere = ostium.browser().http  # not the browser that asked for the mail
    first = await follow_link(elsewhere, link)
    assert first.status_code == 200, first.text
    assert 'id="kc-passwd-update-form"' in first.text
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        alice = await repos.users.get_by_username(realm.id, "alice")
    assert alice is not None and "UPDATE_PASSWORD" in alice.required_actions
    again = await follow_link(ostium.browser().http, link)
    assert again.status_code == 400
    assert "already been used" in _message(again)
    [reused] = _events(ostium, "RESET_PASSWORD_ERROR")
    assert reused.error == "expired_code" and reused.details["reason"] == "already used"
    action, hidden = form_of(first.text, "kc-passwd-update-form")
    new_password = {"password-new": "Looking-Glass-2026", "password-confirm": "Looking-Glass-2026"}
    done = await elsewhere.post(action, data={**hidden, **new_password})
    assert done.status_code == 200, done.text
    assert "up to date" in _message(done)
    assert 'id="kc-back" href="http://localhost:3000/home"' in done.text  # the app's base URL
    assert "KEYCLOAK_IDENTITY" not in elsewhere.cookies


async def test_a_reset_link_expires_after_the_realms_user_lifespan(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    await _ask_reset(ostium.browser(), "alice")
    await ostium.runtime.mail.drain()
    link = link_in(smtp.inbox.messages[0])
    assert "5 minutes" in text_of(smtp.inbox.messages[0])
    ostium.clock.advance(300)
    expired = await follow_link(ostium.browser().http, link)
    assert expired.status_code == 400
    assert "expired" in _message(expired)
    assert _events(ostium, "RESET_PASSWORD_ERROR")[0].error == "expired_code"


async def test_a_forged_link_does_nothing(ostium: OstiumUnderTest, smtp: MailServer) -> None:
    await _ask_reset(ostium.browser(), "alice")
    await ostium.runtime.mail.drain()
    link = link_in(smtp.inbox.messages[0])
    key = parse_qs(urlsplit(link).query)["key"][0]
    header, payload, signature = key.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    for bad in (tampered, "not-a-token", ""):
        for method in ("GET", "POST"):
            page = await ostium.browser().http.request(
                method, f"{ISSUER}/login-actions/action-token", params={"key": bad}
            )
            assert page.status_code == 400
            assert "not valid" in _message(page)
    assert {e.error for e in _events(ostium, "EXECUTE_ACTION_TOKEN_ERROR")} == {"invalid_code"}
    # The real link is still unspent.
    assert (await follow_link(ostium.browser().http, link)).status_code == 200


async def test_a_link_from_another_realm_is_refused(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    async with ostium.storage.transaction() as repos:
        master = await repos.realms.get_by_name("master")
        test = await repos.realms.get_by_name(REALM)
        assert master is not None and test is not None
        alice = await repos.users.get_by_username(test.id, "alice")
        assert alice is not None
    now = ostium.clock.now()
    token = ActionToken(
        type=RESET_CREDENTIALS,
        user_id=alice.id,
        issuer=f"{BASE}/realms/master",
        issued_at=now,
        expires=now + 300,
    )
    master_key = issue_action_token(await ostium.runtime.realm_keys(master), token)
    page = await ostium.browser().http.get(
        f"{ISSUER}/login-actions/action-token", params={"key": master_key}
    )
    assert page.status_code == 400 and "not valid" in _message(page)
    # Signed with this realm's key but naming the master realm as issuer: refused too.
    test_key = issue_action_token(await ostium.runtime.realm_keys(test), token)
    page = await ostium.browser().http.get(
        f"{ISSUER}/login-actions/action-token", params={"key": test_key}
    )
    assert page.status_code == 400 and "not valid" in _message(page)
    async with ostium.storage.transaction() as repos:
        unchanged = await repos.users.get(test.id, alice.id)
    assert unchanged is not None and unchanged.required_actions == []


async def test_one_reset_mail_per_user_a_minute(ostium: OstiumUnderTest, smtp: MailServer) -> None:
    for _ in range(3):
        page = await _ask_reset(ostium.browser(), "alice")
        assert page.status_code == 200
    await ostium.runtime.mail.drain()
    assert len(smtp.inbox.messages) == 1
    assert [e.error for e in _events(ostium, "RESET_PASSWORD_ERROR")] == [
        "too_many_requests",
        "too_many_requests",
    ]


async def test_smtp_down_the_page_answers_and_the_failure_is_an_event_after_retries(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = {"host": "127.0.0.1", "port": str(closed_port()), "from": "iam@example.test"}
    server = await start_in_process(tmp_path, _realm(settings))
    server.runtime.mail.retry_delays = (0.0, 0.0)
    try:
        with caplog.at_level(logging.WARNING, logger="ostium.mail"):
            page = await _ask_reset(server.browser(), "alice")
            assert page.status_code == 200 and "on its way" in _message(page)
            await server.runtime.mail.drain()
        [failed] = _events(server, "SEND_RESET_PASSWORD_ERROR")
        assert failed.error == "email_send_failed"
        assert failed.details == {"username": "alice", "email": "alice@example.com"}
        attempts = [r.getMessage() for r in caplog.records if "mail attempt" in r.getMessage()]
        assert [a.split(": mail attempt ")[1][:6] for a in attempts] == [
            "1 of 3",
            "2 of 3",
            "3 of 3",
        ]
        assert "action-token" not in caplog.text  # the link is a credential: never logged
    finally:
        await server.close()


# ---------------------------------------------------------------- the mail itself


async def test_the_reset_mail_is_text_and_html_from_the_realms_sender(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    await _ask_reset(ostium.browser(), "alice")
    await ostium.runtime.mail.drain()
    [mail] = smtp.inbox.messages
    assert mail["From"] == "Example IAM <iam@example.test>"
    assert mail["Reply-To"] == "help@example.test"
    assert mail["Subject"] == f"Reset your {REALM} password"
    assert mail.get_content_type() == "multipart/alternative"
    link = link_in(mail)
    assert link.startswith(f"{ISSUER}/login-actions/action-token?key=")
    assert "client_id=app" in link
    assert link.replace("&", "&amp;") in html_of(mail)
    [sent] = _events(ostium, "SEND_RESET_PASSWORD")
    assert sent.user_id is not None and sent.client_id == "app"


async def test_mail_in_the_users_language(tmp_path: Path, smtp: MailServer) -> None:
    realm = _realm(smtp.settings(), internationalizationEnabled=True, supportedLocales=["en", "de"])
    realm["users"][0]["attributes"] = {"locale": ["de"]}
    server = await start_in_process(tmp_path, realm)
    try:
        await _ask_reset(server.browser(), "alice")
        await server.runtime.mail.drain()
        [mail] = smtp.inbox.messages
        assert mail["Subject"] == f"Ihr Passwort für {REALM} zurücksetzen"
        assert '<html lang="de">' in html_of(mail)
    finally:
        await server.close()


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
async def test_mail_over_smtps_and_starttls(tmp_path: Path, tls: str) -> None:
    login = ("iam", "smtp-pass") if tls == "starttls" else None
    with mail_server(tmp_path, tls=tls, login=login) as server_smtp:
        extra = {tls: "true"}
        if login:
            extra.update(auth="true", user=login[0], password=login[1])
        server = await start_in_process(tmp_path, _realm(server_smtp.settings(**extra)))
        server.runtime.mail.tls_context = server_smtp.client_context()
        server.runtime.mail.retry_delays = ()
        try:
            await _ask_reset(server.browser(), "alice")
            await server.runtime.mail.drain()
            assert [m["To"] for m in server_smtp.inbox.messages] == ["alice@example.com"]
        finally:
            await server.close()


async def test_starttls_refused_without_a_trusted_certificate(tmp_path: Path) -> None:
    with mail_server(tmp_path, tls="starttls") as server_smtp:
        server = await start_in_process(tmp_path, _realm(server_smtp.settings(starttls="true")))
        server.runtime.mail.retry_delays = ()
        try:
            await _ask_reset(server.browser(), "alice")
            await server.runtime.mail.drain()
            assert server_smtp.inbox.messages == []
            assert _events(server, "SEND_RESET_PASSWORD_ERROR")[0].error == "email_send_failed"
        finally:
            await server.close()


async def test_a_reset_link_in_the_same_browser_sets_a_new_password_and_signs_in(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    browser = ostium.browser()
    await _ask_reset(browser, "alice")
    await ostium.runtime.mail.drain()
    update = await follow_link(browser.http, link_in(smtp.inbox.messages[0]))
    assert update.status_code == 200, update.text
    action, hidden = form_of(update.text, "kc-passwd-update-form")
    done = await browser.http.post(
        action,
        data={
            **hidden,
            "password-new": "through-the-looking-glass",
            "password-confirm": "through-the-looking-glass",
        },
    )
    assert done.status_code == 302, done.text
    location = done.headers["location"]
    assert location.startswith("http://localhost:3000/callback?") and "code=" in location
    types = [e.type for e in ostium.events.recent]
    assert types.index("UPDATE_PASSWORD") < types.index("LOGIN")
    assert (await ostium.password_grant("alice", "wonderland")).status_code == 401
    assert (await ostium.password_grant("alice", "through-the-looking-glass")).status_code == 200
