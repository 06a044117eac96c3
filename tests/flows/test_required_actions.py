"""Required actions in the browser login and the password grant: negative cases first.

A temporary password (UPDATE_PASSWORD) must not be skippable by any path: the password
grant, a replayed or forged POST, a second authorization request, another action's form,
a missing CSRF token."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import httpx

from ostium.locales import translate
from tests.admin.helpers import ADMIN, TEST, admin_headers, user_id
from tests.mail_server import follow_link, link_in, mail_server
from tests.support import CALLBACK, OIDC, Browser, OstiumUnderTest, form_of, query_of

AUTH = f"{TEST}/authentication"
IDENTITY = "KEYCLOAK_IDENTITY"


def _text(key: str, locale: str = "en") -> str:
    """A message as the page shows it (HTML-escaped), from the catalogue."""
    return html.escape(translate(locale, key))


async def _require(ostium: OstiumUnderTest, username: str, *actions: str) -> str:
    headers = await admin_headers(ostium)
    uid = await user_id(ostium, headers, username)
    response = await ostium.client.put(
        f"{TEST}/users/{uid}", json={"requiredActions": list(actions)}, headers=headers
    )
    assert response.status_code == 204, response.text
    return uid


async def _user(ostium: OstiumUnderTest, uid: str) -> dict[str, Any]:
    headers = await admin_headers(ostium)
    response = await ostium.client.get(f"{TEST}/users/{uid}", headers=headers)
    return dict(response.json())


async def _set_action(ostium: OstiumUnderTest, alias: str, **change: Any) -> None:
    headers = await admin_headers(ostium)
    current = (await ostium.client.get(f"{AUTH}/required-actions/{alias}", headers=headers)).json()
    response = await ostium.client.put(
        f"{AUTH}/required-actions/{alias}", json={**current, **change}, headers=headers
    )
    assert response.status_code == 204, response.text


async def _temporary_password(ostium: OstiumUnderTest, username: str, value: str) -> str:
    headers = await admin_headers(ostium)
    uid = await user_id(ostium, headers, username)
    response = await ostium.client.put(
        f"{TEST}/users/{uid}/reset-password",
        json={"type": "password", "value": value, "temporary": True},
        headers=headers,
    )
    assert response.status_code == 204
    return uid


async def _to_action_page(
    browser: Browser, username: str = "alice", password: str = "wonderland", **params: str
) -> httpx.Response:
    page = await browser.authorize(**params)
    assert page.status_code == 200, page.text
    shown = await browser.submit_login(page, username, password)
    assert shown.status_code in (200, 400), shown.text
    return shown


async def _post(
    browser: Browser, page: httpx.Response, form_id: str, **fields: str
) -> httpx.Response:
    action, hidden = form_of(page.text, form_id)
    response = await browser.http.post(action, data={**hidden, **fields})
    browser.history.append(response)
    return response


def _new_password(page: httpx.Response, browser: Browser, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return _post(
        browser,
        page,
        "kc-passwd-update-form",
        **{
            "password-new": new,
            "password-confirm": new if confirm is None else confirm,
            "logout-sessions": "on",
        },
    )


# --- a temporary password cannot be skipped ---------------------------------------------------


async def test_the_password_grant_refuses_a_user_with_a_pending_action(
    ostium: OstiumUnderTest,
) -> None:
    await _temporary_password(ostium, "alice", "temporary-1")
    response = await ostium.password_grant("alice", "temporary-1")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Account is not fully set up",
    }
    assert [e.error for e in ostium.events.recent if e.type == "LOGIN_ERROR"][-1] == (
        "resolve_required_actions"
    )
    # A wrong password still says only that the credentials are wrong.
    assert (await ostium.password_grant("alice", "nope")).status_code == 401


async def test_the_login_stops_at_the_password_page_with_no_code_and_no_sso_cookie(
    ostium: OstiumUnderTest,
) -> None:
    await _temporary_password(ostium, "alice", "temporary-1")
    browser = ostium.browser()
    page = await _to_action_page(browser, password="temporary-1")
    assert page.status_code == 200
    assert 'id="kc-passwd-update-form"' in page.text
    assert "location" not in page.headers
    assert IDENTITY not in browser.http.cookies
    action, hidden = form_of(page.text, "kc-passwd-update-form")
    assert "/login-actions/required-action?execution=UPDATE_PASSWORD" in action
    assert hidden["csrf_token"]
    # A second authorization request in the same browser is not signed in: login page.
    again = await browser.authorize()
    assert again.status_code == 200
    assert 'id="kc-form-login"' in again.text
    # prompt=none says so to the client.
    silent = await browser.authorize(prompt="none")
    assert query_of(silent.headers["location"])["error"] == "login_required"


async def test_forged_and_replayed_posts_do_nothing(ostium: OstiumUnderTest) -> None:
    uid = await _temporary_password(ostium, "alice", "temporary-1")
    browser = ostium.browser()
    page = await _to_action_page(browser, password="temporary-1")
    action, hidden = form_of(page.text, "kc-passwd-update-form")
    fields = {"password-new": "chosen-1", "password-confirm": "chosen-1"}
    # No CSRF token, a wrong one: refused.
    for token in ("", "forged"):
        response = await browser.http.post(action, data={**fields, "csrf_token": token})
        assert response.status_code == 400
        assert _text("expiredActionMessage") in response.text
    # Another browser (no AUTH_SESSION_ID cookie), with the right token: refused.
    stranger = ostium.browser()
    response = await stranger.http.post(action, data={**hidden, **fields})
    assert response.status_code == 400
    assert "location" not in response.headers
    # The login form's tab of a browser that has not authenticated cannot post actions.
    other = ostium.browser()
    login = await other.authorize()
    login_action, login_hidden = form_of(login.text)
    tab_query = login_action.split("?", 1)[1]
    response = await other.http.post(
        f"{OIDC.rsplit('/protocol', 1)[0]}/login-actions/required-action?execution=UPDATE_PASSWORD&{tab_query}",
        data={**login_hidden, **fields},
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert (await _user(ostium, uid))["requiredActions"] == ["UPDATE_PASSWORD"]
    # Done once, the same form replayed finds nothing.
    done = await browser.http.post(action, data={**hidden, **fields})
    assert done.status_code == 302
    replay = await browser.http.post(action, data={**hidden, **fields})
    assert replay.status_code == 400
    assert "location" not in replay.headers


async def test_another_actions_form_cannot_skip_the_password(ostium: OstiumUnderTest) -> None:
    await _set_action(ostium, "TERMS_AND_CONDITIONS", enabled=True)
    uid = await _require(ostium, "alice", "UPDATE_PASSWORD")
    browser = ostium.browser()
    page = await _to_action_page(browser)
    action, hidden = form_of(page.text, "kc-passwd-update-form")
    for execution, data in (
        ("TERMS_AND_CONDITIONS", {"accept": "true"}),
        ("UPDATE_PROFILE", {"firstName": "A", "lastName": "B", "email": "a@example.com"}),
        ("NOPE", {}),
    ):
        forged = action.replace("execution=UPDATE_PASSWORD", f"execution={execution}")
        response = await browser.http.post(forged, data={**hidden, **data})
        assert response.status_code == 200
        assert 'id="kc-passwd-update-form"' in response.text
        assert "location" not in response.headers
    # A GET of the page (a reload) shows the same step again and changes nothing.
    reload = await browser.http.get(action)
    assert reload.status_code == 200
    assert 'id="kc-passwd-update-form"' in reload.text
    assert (await ostium.browser().http.get(action)).status_code == 400  # another browser
    # The password page with no password, or two different ones: refused, shown again.
    empty = await _new_password(page, browser, "")
    assert empty.status_code == 400
    assert _text("missingPasswordMessage") in empty.text
    mismatch = await _new_password(page, browser, "chosen-1", "chosen-2")
    assert mismatch.status_code == 400
    assert _text("notMatchPasswordMessage") in mismatch.text
    assert (await _user(ostium, uid))["requiredActions"] == ["UPDATE_PASSWORD"]
    assert IDENTITY not in browser.http.cookies


async def test_an_action_added_to_a_signed_in_user_runs_at_the_next_sso_login(
    ostium: OstiumUnderTest,
) -> None:
    browser = ostium.browser()
    assert "code" in await browser.login()
    await _require(ostium, "alice", "UPDATE_PASSWORD")
    silent = await browser.authorize(prompt="none", state="quiet")
    callback = query_of(silent.headers["location"])
    assert (callback["error"], callback["state"]) == ("interaction_required", "quiet")
    assert "code" not in callback
    page = await browser.authorize()
    assert page.status_code == 200
    assert 'id="kc-passwd-update-form"' in page.text
    done = await _new_password(page, browser, "chosen-1")
    assert done.status_code == 302
    assert "code" in query_of(done.headers["location"])


async def test_an_action_the_server_cannot_run_stops_the_login(ostium: OstiumUnderTest) -> None:
    await _require(ostium, "alice", "webauthn-register-passwordless")
    browser = ostium.browser()
    page = await browser.authorize()
    response = await browser.submit_login(page, "alice", "wonderland")
    assert response.status_code == 501
    assert "location" not in response.headers
    assert _text("requiredActionNotSupportedMessage") in response.text
    assert IDENTITY not in browser.http.cookies
    assert (await ostium.password_grant()).json()["error_description"] == (
        "Account is not fully set up"
    )


# --- doing the actions ------------------------------------------------------------------------


async def test_temporary_password_changed_then_code_and_the_new_password_works(
    ostium: OstiumUnderTest,
) -> None:
    # alice is signed in elsewhere; "sign out on my other devices" ends that session.
    elsewhere = ostium.browser()
    assert "code" in await elsewhere.login()
    uid = await _temporary_password(ostium, "alice", "temporary-1")
    browser = ostium.browser()
    page = await _to_action_page(browser, password="temporary-1", state="s1")
    done = await _new_password(page, browser, "chosen-1")
    assert done.status_code == 302
    callback = query_of(done.headers["location"])
    assert done.headers["location"].startswith(CALLBACK)
    assert callback["state"] == "s1"
    assert "code" in callback
    assert IDENTITY in browser.http.cookies
    assert (await _user(ostium, uid))["requiredActions"] == []
    types = [e.type for e in ostium.events.recent]
    assert "UPDATE_PASSWORD" in types
    assert "UPDATE_CREDENTIAL" in types
    assert (await ostium.password_grant("alice", "temporary-1")).status_code == 401
    assert (await ostium.password_grant("alice", "chosen-1")).status_code == 200
    sessions = await ostium.client.get(
        f"{TEST}/users/{uid}/sessions", headers=await admin_headers(ostium)
    )
    # This browser's session and the grant's; the other device's session is gone.
    assert len(sessions.json()) == 2
    again = await elsewhere.authorize()
    assert 'id="kc-form-login"' in again.text


async def test_actions_run_in_the_realms_priority_order(ostium: OstiumUnderTest) -> None:
    await _set_action(ostium, "TERMS_AND_CONDITIONS", enabled=True)
    uid = await _require(
        ostium, "alice", "UPDATE_PROFILE", "UPDATE_PASSWORD", "TERMS_AND_CONDITIONS"
    )
    browser = ostium.browser()
    page = await _to_action_page(browser)
    assert 'id="kc-terms-form"' in page.text  # priority 20
    page = await _post(browser, page, "kc-terms-form", accept="true")
    assert 'id="kc-passwd-update-form"' in page.text  # 30
    page = await _new_password(page, browser, "chosen-1")
    assert 'id="kc-update-profile-form"' in page.text  # 40
    # The profile is checked by the user profile's rules.
    refused = await _post(
        browser,
        page,
        "kc-update-profile-form",
        email="alice@example.com",
        firstName="",
        lastName="L",
    )
    assert refused.status_code == 400
    assert _text("error-user-attribute-required") in refused.text
    assert 'aria-invalid="true"' in refused.text
    bad_mail = await _post(
        browser, page, "kc-update-profile-form", email="not-an-address", firstName="A", lastName="L"
    )
    assert bad_mail.status_code == 400
    assert _text("error-invalid-email") in bad_mail.text
    taken = await _post(
        browser,
        page,
        "kc-update-profile-form",
        email="bob@example.com",
        firstName="A",
        lastName="L",
    )
    assert taken.status_code == 400
    assert _text("emailExistsMessage") in taken.text
    done = await _post(
        browser,
        page,
        "kc-update-profile-form",
        email="alice@example.com",
        firstName="Alicia",
        lastName="Liddell",
        username="mallory",  # usernames are not editable in this realm: ignored
    )
    assert done.status_code == 302, done.text
    user = await _user(ostium, uid)
    assert (user["username"], user["firstName"], user["requiredActions"]) == ("alice", "Alicia", [])
    assert user["attributes"]["terms_and_conditions"] == [str(ostium.clock.now())]
    custom = [e for e in ostium.events.recent if e.type == "CUSTOM_REQUIRED_ACTION"]
    assert custom[-1].details["custom_required_action"] == "TERMS_AND_CONDITIONS"
    assert "UPDATE_PROFILE" in [e.type for e in ostium.events.recent]


async def test_declining_the_terms_answers_access_denied(ostium: OstiumUnderTest) -> None:
    await _set_action(ostium, "TERMS_AND_CONDITIONS", enabled=True)
    uid = await _require(ostium, "alice", "TERMS_AND_CONDITIONS")
    browser = ostium.browser()
    page = await _to_action_page(browser, state="s2")
    declined = await _post(browser, page, "kc-terms-form", cancel="true")
    assert declined.status_code == 302
    callback = query_of(declined.headers["location"])
    assert (callback["error"], callback["state"]) == ("access_denied", "s2")
    assert "code" not in callback
    assert IDENTITY not in browser.http.cookies
    assert (await _user(ostium, uid))["requiredActions"] == ["TERMS_AND_CONDITIONS"]


async def test_a_disabled_action_is_passed_over_as_keycloak_does(ostium: OstiumUnderTest) -> None:
    # TERMS_AND_CONDITIONS is disabled in a new realm.
    uid = await _require(ostium, "alice", "TERMS_AND_CONDITIONS")
    assert "code" in await ostium.browser().login()
    assert (await _user(ostium, uid))["requiredActions"] == ["TERMS_AND_CONDITIONS"]
    assert (await ostium.password_grant()).status_code == 200


async def test_verify_email_without_a_mail_server_says_so(ostium: OstiumUnderTest) -> None:
    # The test realm has no SMTP host: the page must not claim a mail is on its way.
    await _require(ostium, "bob", "VERIFY_EMAIL")
    browser = ostium.browser()
    page = await browser.submit_login(await browser.authorize(), "bob", "builder")
    assert page.status_code == 500
    assert _text("emailSendErrorMessage") in page.text
    failed = [e for e in ostium.events.recent if e.type == "SEND_VERIFY_EMAIL_ERROR"]
    assert [e.error for e in failed] == ["email_send_failed"]
    assert IDENTITY not in browser.http.cookies


async def test_verify_email_mails_a_link_that_continues_the_login(
    ostium: OstiumUnderTest, tmp_path: Path
) -> None:
    headers = await admin_headers(ostium)
    bob = await user_id(ostium, headers, "bob")  # bob's address is not verified
    await _require(ostium, "bob", "VERIFY_EMAIL")
    with mail_server(tmp_path) as smtp:
        configured = await ostium.client.put(
            TEST, json={"smtpServer": smtp.settings()}, headers=headers
        )
        assert configured.status_code == 204
        browser = ostium.browser()
        page = await _to_action_page(browser, "bob", "builder", state="s9")
        assert 'id="kc-verify-email-form"' in page.text
        assert "bob@example.com" in page.text
        again = await _post(browser, page, "kc-verify-email-form", resend="true")
        assert again.status_code == 200
        assert _text("emailSentMessage") in again.text
        await ostium.runtime.mail.drain()
        sent = [e for e in ostium.events.recent if e.type == "SEND_VERIFY_EMAIL"]
        assert [(e.user_id, e.details["email"]) for e in sent] == [(bob, "bob@example.com")] * 2
        first, second = (link_in(mail) for mail in smtp.inbox.to("bob@example.com"))
    assert IDENTITY not in browser.http.cookies
    # Opened in another browser, the link verifies the address and says so; the login
    # that sent it is not signed in by it.
    elsewhere = await follow_link(ostium.browser().http, first)
    assert elsewhere.status_code == 200
    assert _text("emailVerifiedMessage") in elsewhere.text
    user = await _user(ostium, bob)
    assert user["emailVerified"] is True and user["requiredActions"] == []
    # In the browser whose login sent it, the login goes on to the application.
    continued = await follow_link(browser.http, second)
    assert continued.status_code == 302, continued.text
    callback = query_of(continued.headers["location"])
    assert "code" in callback and callback["state"] == "s9"
    # alice's address is verified: the action is done without a page.
    alice = await _require(ostium, "alice", "VERIFY_EMAIL")
    assert "code" in await ostium.browser().login()
    assert (await _user(ostium, alice))["requiredActions"] == []


# --- application-initiated actions (kc_action) --------------------------------------------------


async def test_kc_action_runs_after_sso_and_can_be_cancelled(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    assert "code" in await browser.login()
    page = await browser.authorize(kc_action="UPDATE_PROFILE", state="s3")
    assert 'id="kc-update-profile-form"' in page.text
    assert 'id="kc-cancel"' in page.text
    cancelled = await _post(browser, page, "kc-update-profile-form", **{"cancel-aia": "true"})
    assert cancelled.status_code == 302
    callback = query_of(cancelled.headers["location"])
    assert callback["kc_action_status"] == "cancelled"
    assert callback["kc_action"] == "UPDATE_PROFILE"
    assert "code" in callback
    page = await browser.authorize(kc_action="UPDATE_PROFILE")
    done = await _post(
        browser,
        page,
        "kc-update-profile-form",
        email="alice@example.com",
        firstName="Ally",
        lastName="Liddell",
    )
    assert query_of(done.headers["location"])["kc_action_status"] == "success"


async def test_kc_action_the_realm_does_not_have_reports_an_error(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    assert "code" in await browser.login()
    for action in ("NOPE", "TERMS_AND_CONDITIONS"):  # unknown; disabled
        response = await browser.authorize(kc_action=action)
        assert response.status_code == 302
        callback = query_of(response.headers["location"])
        assert (callback["kc_action_status"], callback["kc_action"]) == ("error", action)
        assert "code" in callback


async def test_kc_action_update_password_needs_a_recent_sign_in(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    assert "code" in await browser.login()
    page = await browser.authorize(kc_action="UPDATE_PASSWORD")
    assert 'id="kc-passwd-update-form"' in page.text
    ostium.clock.advance(301)
    page = await browser.authorize(kc_action="UPDATE_PASSWORD")
    assert 'id="kc-form-login"' in page.text
    shown = await browser.submit_login(page, "alice", "wonderland")
    assert 'id="kc-passwd-update-form"' in shown.text
    # An action the user must do cannot be cancelled, one the application asked for can.
    assert 'id="kc-cancel"' in shown.text
    cancelled = await _post(browser, shown, "kc-passwd-update-form", **{"cancel-aia": "true"})
    assert query_of(cancelled.headers["location"])["kc_action_status"] == "cancelled"


async def test_a_required_action_cannot_be_cancelled_as_if_the_application_asked(
    ostium: OstiumUnderTest,
) -> None:
    uid = await _require(ostium, "alice", "UPDATE_PASSWORD")
    browser = ostium.browser()
    page = await _to_action_page(browser, kc_action="UPDATE_PASSWORD")
    assert 'id="kc-cancel"' not in page.text
    response = await _post(browser, page, "kc-passwd-update-form", **{"cancel-aia": "true"})
    assert response.status_code == 400  # the password page again: no password given
    assert (await _user(ostium, uid))["requiredActions"] == ["UPDATE_PASSWORD"]


async def test_admin_created_user_with_a_temporary_password(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.post(
        f"{ADMIN}/test/users",
        json={
            "username": "carol",
            "enabled": True,
            "email": "carol@example.com",
            "emailVerified": True,
            "firstName": "Carol",
            "lastName": "Kay",
            "credentials": [{"type": "password", "value": "first-1", "temporary": True}],
        },
        headers=headers,
    )
    assert response.status_code == 201
    assert (await ostium.password_grant("carol", "first-1")).status_code == 400
    browser = ostium.browser()
    page = await _to_action_page(browser, "carol", "first-1")
    done = await _new_password(page, browser, "second-1")
    assert "code" in query_of(done.headers["location"])
    assert (await ostium.password_grant("carol", "second-1")).status_code == 200


async def test_the_realms_password_policy_holds_on_the_password_page(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.put(
        f"{TEST}", json={"passwordPolicy": "length(10) and digits(1)"}, headers=headers
    )
    assert response.status_code == 204, response.text
    uid = await _require(ostium, "alice", "UPDATE_PASSWORD")
    browser = ostium.browser()
    page = await _to_action_page(browser)
    short = await _new_password(page, browser, "short1")
    assert short.status_code == 400
    assert "at least 10 characters" in short.text
    same = await _new_password(page, browser, "wonderland")
    assert same.status_code == 400  # no digit
    assert (await _user(ostium, uid))["requiredActions"] == ["UPDATE_PASSWORD"]
    done = await _new_password(page, browser, "long-enough-1")
    assert done.status_code == 302
    assert (await ostium.password_grant("alice", "long-enough-1")).status_code == 200


async def test_an_expired_password_must_be_changed_on_every_path(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.put(
        f"{TEST}", json={"passwordPolicy": "forceExpiredPasswordChange(1)"}, headers=headers
    )
    assert response.status_code == 204, response.text
    ostium.clock.advance(2 * 86400)
    response = await ostium.password_grant()
    assert response.status_code == 400
    assert response.json()["error_description"] == "Account is not fully set up"
    page = await _to_action_page(ostium.browser())
    assert 'id="kc-passwd-update-form"' in page.text


async def test_the_language_picked_on_an_action_page_stays_and_becomes_the_users(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.put(
        TEST,
        json={"internationalizationEnabled": True, "supportedLocales": ["en", "de", "zh-CN"]},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    uid = await _require(ostium, "alice", "UPDATE_PASSWORD")
    browser = ostium.browser()
    page = await _to_action_page(browser)
    assert 'lang="en"' in page.text
    action, _ = form_of(page.text, "kc-passwd-update-form")
    # The picker's link is this step with kc_locale: the same form, in German.
    assert "kc_locale=de" in page.text
    german = await browser.http.get(action + "&kc_locale=de")
    assert german.status_code == 200
    assert 'lang="de"' in german.text
    assert 'id="kc-passwd-update-form"' in german.text
    mismatch = await _new_password(german, browser, "chosen-1", "chosen-2")
    assert 'lang="de"' in mismatch.text
    assert _text("notMatchPasswordMessage", "de") in mismatch.text
    done = await _new_password(german, browser, "chosen-1")
    assert done.status_code == 302
    assert (await _user(ostium, uid))["attributes"]["locale"] == ["de"]


async def test_the_realms_verify_email_setting_stops_users_with_an_unverified_address(
    ostium: OstiumUnderTest, tmp_path: Path
) -> None:
    # Keycloak's VerifyEmail trigger: with the realm's verifyEmail on, a user whose address
    # is not verified (bob) is stopped at the check-your-mail page; a verified one is not.
    headers = await admin_headers(ostium)
    grant = await ostium.password_grant("bob", "builder")
    assert grant.status_code == 200
    with mail_server(tmp_path) as smtp:
        changed = {"verifyEmail": True, "smtpServer": smtp.settings()}
        assert (await ostium.client.put(TEST, json=changed, headers=headers)).status_code == 204
        grant = await ostium.password_grant("bob", "builder")
        assert grant.status_code == 400
        assert grant.json()["error_description"] == "Account is not fully set up"
        page = await _to_action_page(ostium.browser(), "bob", "builder")
        assert 'id="kc-verify-email-form"' in page.text
        await ostium.runtime.mail.drain()
        assert len(smtp.inbox.to("bob@example.com")) == 1
    assert "code" in await ostium.browser().login()  # alice's address is verified
