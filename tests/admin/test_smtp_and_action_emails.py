"""The realm's SMTP settings in the admin API, testSMTPConnection, and the action e-mails
(execute-actions-email, send-verify-email) sent for real to an SMTP server in the test
process, their links followed."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ostium.admin.export import export_realm
from tests.admin.helpers import ADMIN, TEST, admin_headers, grant_management_role, user_id
from tests.mail_server import MailServer, closed_port, follow_link, link_in, mail_server, text_of
from tests.support import CALLBACK, REALM, OstiumUnderTest, form_of, start_in_process

MASK = "**********"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[MailServer]:
    with mail_server(tmp_path, tls="starttls", login=("iam", "smtp-pass")) as server:
        yield server


def _settings(smtp: MailServer, **extra: str) -> dict[str, str]:
    base = {"starttls": "true", "auth": "true", "user": "iam", "password": "smtp-pass"}
    return smtp.settings(**{**base, **extra})


@pytest.fixture
async def ostium(tmp_path: Path, smtp: MailServer) -> AsyncIterator[OstiumUnderTest]:
    server = await start_in_process(tmp_path)
    server.runtime.mail.tls_context = smtp.client_context()
    server.runtime.mail.retry_delays = ()
    try:
        yield server
    finally:
        await server.runtime.mail.drain()
        await server.close()


async def _configure(ostium: OstiumUnderTest, headers: dict[str, str], smtp: MailServer) -> None:
    response = await ostium.client.put(TEST, json={"smtpServer": _settings(smtp)}, headers=headers)
    assert response.status_code == 204, response.text


async def _stored_smtp(ostium: OstiumUnderTest) -> dict[str, str]:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        return dict(realm.smtp_server)


async def _give_admin_an_address(ostium: OstiumUnderTest, headers: dict[str, str]) -> None:
    users = (
        await ostium.client.get(
            f"{ADMIN}/master/users", params={"username": "admin"}, headers=headers
        )
    ).json()
    response = await ostium.client.put(
        f"{ADMIN}/master/users/{users[0]['id']}",
        json={"email": "root@example.test"},
        headers=headers,
    )
    assert response.status_code == 204, response.text


# ---------------------------------------------------------------- SMTP settings


async def test_the_smtp_password_is_masked_and_a_put_of_the_mask_keeps_it(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    headers = await admin_headers(ostium)
    await _configure(ostium, headers, smtp)
    shown = (await ostium.client.get(TEST, headers=headers)).json()["smtpServer"]
    assert shown["password"] == MASK and shown["user"] == "iam" and shown["starttls"] == "true"
    # The console sends back what it was shown, with one field changed.
    shown["fromDisplayName"] = "Renamed"
    assert (
        await ostium.client.put(TEST, json={"smtpServer": shown}, headers=headers)
    ).status_code == 204
    stored = await _stored_smtp(ostium)
    assert stored["password"] == "smtp-pass" and stored["fromDisplayName"] == "Renamed"
    exported = (await ostium.client.post(f"{TEST}/partial-export", headers=headers)).json()
    assert exported["smtpServer"]["password"] == MASK
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        full = await export_realm(repos, realm, include_users=False)
    assert full["smtpServer"]["password"] == "smtp-pass"  # `ostium export`, as kc.sh export
    # A new password replaces it; null changes nothing; an empty map removes the settings.
    shown["password"] = "rotated"
    await ostium.client.put(TEST, json={"smtpServer": shown}, headers=headers)
    assert (await _stored_smtp(ostium))["password"] == "rotated"
    await ostium.client.put(TEST, json={"smtpServer": None}, headers=headers)
    assert (await _stored_smtp(ostium))["password"] == "rotated"
    await ostium.client.put(TEST, json={"smtpServer": {}}, headers=headers)
    assert await _stored_smtp(ostium) == {}


async def test_a_bad_smtp_map_is_a_400(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    for bad in ([1], {"host": {"nested": 1}}, "smtp"):
        response = await ostium.client.put(TEST, json={"smtpServer": bad}, headers=headers)
        assert response.status_code == 400, bad


# ---------------------------------------------------------------- testSMTPConnection


async def test_smtp_connection_test_refusals_first(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    headers = await admin_headers(ostium)
    url = f"{TEST}/testSMTPConnection"
    no_address = await ostium.client.post(url, json=_settings(smtp), headers=headers)
    assert no_address.status_code == 400
    assert no_address.json() == {"errorMessage": "Logged in user does not have an e-mail."}
    await _give_admin_an_address(ostium, headers)
    for settings in (
        _settings(smtp, password="wrong"),
        {**_settings(smtp), "port": str(closed_port())},
        {"host": "127.0.0.1"},  # no sender
    ):
        failed = await ostium.client.post(url, json=settings, headers=headers)
        assert failed.status_code == 400, settings
        assert failed.json() == {"errorMessage": "Failed to send email"}
    for body in ([], "x", {"host": ["a"]}):
        assert (await ostium.client.post(url, json=body, headers=headers)).status_code == 400
    # A mask stands for the stored password only on the same host, port and user.
    await _configure(ostium, headers, smtp)
    moved = {**_settings(smtp, password=MASK), "user": "someone-else"}
    assert (await ostium.client.post(url, json=moved, headers=headers)).status_code == 400
    await grant_management_role(ostium, headers, "bob", "view-realm")
    viewer = await ostium.client.post(
        f"{ostium.client.base_url}/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "app",
            "client_secret": "s3cr3t-app",
            "username": "bob",
            "password": "builder",
        },
    )
    bob_headers = {"Authorization": f"Bearer {viewer.json()['access_token']}"}
    forbidden = await ostium.client.post(url, json=_settings(smtp), headers=bob_headers)
    assert forbidden.status_code == 403
    assert smtp.inbox.messages == []


async def test_smtp_connection_test_mails_the_signed_in_admin(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    headers = await admin_headers(ostium)
    await _give_admin_an_address(ostium, headers)
    await _configure(ostium, headers, smtp)
    url = f"{TEST}/testSMTPConnection"
    sent = await ostium.client.post(url, json=_settings(smtp, password=MASK), headers=headers)
    assert sent.status_code == 204, sent.text
    [mail] = smtp.inbox.messages
    assert mail["To"] == "root@example.test"
    assert mail["Subject"] == f"Test message from {REALM}"
    assert "e-mail settings work" in text_of(mail)
    # Keycloak's older form body: config=<the map as JSON>.
    form = await ostium.client.post(
        url, data={"config": json.dumps(_settings(smtp))}, headers=headers
    )
    assert form.status_code == 204
    assert len(smtp.inbox.messages) == 2


# ---------------------------------------------------------------- action e-mails


async def test_execute_actions_email_sends_a_link_that_verifies_and_sets_actions(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    headers = await admin_headers(ostium)
    await _configure(ostium, headers, smtp)
    bob = await user_id(ostium, headers, "bob")
    response = await ostium.client.put(
        f"{TEST}/users/{bob}/execute-actions-email",
        params={"client_id": "app", "redirect_uri": CALLBACK, "lifespan": "600"},
        json=["UPDATE_PASSWORD", "VERIFY_EMAIL"],
        headers=headers,
    )
    assert response.status_code == 204, response.text
    await ostium.runtime.mail.drain()
    [mail] = smtp.inbox.messages
    assert mail["To"] == "bob@example.com"
    assert mail["Subject"] == f"Update your {REALM} account"
    text = text_of(mail)
    assert "- Update password" in text and "- Verify e-mail address" in text
    assert "10 minutes" in text
    [sent] = [e for e in ostium.events.recent if e.type == "EXECUTE_ACTIONS"]
    assert sent.details["actions"] == "UPDATE_PASSWORD,VERIFY_EMAIL"
    # Opened in a browser that has no login for it: the link alone lets bob do the
    # actions, then the account-updated page links back; no one is signed in.
    browser = ostium.browser().http
    page = await follow_link(browser, link_in(mail))
    assert page.status_code == 200, page.text
    user = (await ostium.client.get(f"{TEST}/users/{bob}", headers=headers)).json()
    assert user["emailVerified"] is True
    assert user["requiredActions"] == ["UPDATE_PASSWORD"]
    types = [e.type for e in ostium.events.recent if e.user_id == bob]
    assert types[-2:] == ["EXECUTE_ACTION_TOKEN", "VERIFY_EMAIL"]
    action, hidden = form_of(page.text, "kc-passwd-update-form")
    new_password = {"password-new": "Fresh-Start-2026", "password-confirm": "Fresh-Start-2026"}
    done = await browser.post(action, data={**hidden, **new_password})
    assert done.status_code == 200, done.text
    assert 'id="kc-info-message"' in done.text and f'href="{CALLBACK}"' in done.text
    assert "KEYCLOAK_IDENTITY" not in browser.cookies
    user = (await ostium.client.get(f"{TEST}/users/{bob}", headers=headers)).json()
    assert user["requiredActions"] == []
    assert (await ostium.password_grant("bob", "Fresh-Start-2026")).status_code == 200


async def test_execute_actions_link_lives_the_given_lifespan(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    headers = await admin_headers(ostium)
    await _configure(ostium, headers, smtp)
    bob = await user_id(ostium, headers, "bob")
    await ostium.client.put(
        f"{TEST}/users/{bob}/execute-actions-email",
        params={"lifespan": "60"},
        json=["UPDATE_PROFILE"],
        headers=headers,
    )
    await ostium.runtime.mail.drain()
    ostium.clock.advance(61)
    page = await follow_link(ostium.browser().http, link_in(smtp.inbox.messages[0]))
    assert page.status_code == 400 and "expired" in page.text
    user = (await ostium.client.get(f"{TEST}/users/{bob}", headers=headers)).json()
    assert user["requiredActions"] == []


async def test_send_verify_email_link_verifies_once_and_not_after_the_address_changed(
    ostium: OstiumUnderTest, smtp: MailServer
) -> None:
    headers = await admin_headers(ostium)
    await _configure(ostium, headers, smtp)
    bob = await user_id(ostium, headers, "bob")
    for _ in range(2):
        response = await ostium.client.put(
            f"{TEST}/users/{bob}/send-verify-email",
            params={"client_id": "app", "redirect_uri": CALLBACK},
            headers=headers,
        )
        assert response.status_code == 204, response.text
    await ostium.runtime.mail.drain()
    first, second = smtp.inbox.messages
    assert first["Subject"] == f"Verify your e-mail address for {REALM}"
    assert "5 minutes" in text_of(first)  # the realm's user lifespan (Keycloak's default)
    page = await follow_link(ostium.browser().http, link_in(first))
    assert page.status_code == 200
    assert re.search(r'id="kc-info-message"[^>]*>Your e-mail address is verified', page.text)
    assert (await ostium.client.get(f"{TEST}/users/{bob}", headers=headers)).json()[
        "emailVerified"
    ] is True
    again = await follow_link(ostium.browser().http, link_in(first))
    assert again.status_code == 400
    moved = await ostium.client.put(
        f"{TEST}/users/{bob}", json={"email": "bob@elsewhere.test"}, headers=headers
    )
    assert moved.status_code == 204
    stale = await follow_link(ostium.browser().http, link_in(second))
    assert stale.status_code == 400 and "no longer has" in stale.text


async def test_a_failed_action_mail_is_an_event(ostium: OstiumUnderTest, smtp: MailServer) -> None:
    headers = await admin_headers(ostium)
    settings = {**_settings(smtp), "port": str(closed_port())}
    await ostium.client.put(TEST, json={"smtpServer": settings}, headers=headers)
    bob = await user_id(ostium, headers, "bob")
    response = await ostium.client.put(
        f"{TEST}/users/{bob}/execute-actions-email", json=["UPDATE_PASSWORD"], headers=headers
    )
    assert response.status_code == 204  # answered before the mail is tried
    verify = await ostium.client.put(f"{TEST}/users/{bob}/send-verify-email", headers=headers)
    assert verify.status_code == 204
    await ostium.runtime.mail.drain()
    failures = sorted((e.type, e.error) for e in ostium.events.recent if e.type.endswith("_ERROR"))
    assert failures == [
        ("EXECUTE_ACTIONS_ERROR", "email_send_failed"),
        ("SEND_VERIFY_EMAIL_ERROR", "email_send_failed"),
    ]
