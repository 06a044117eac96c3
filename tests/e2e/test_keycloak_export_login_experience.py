"""A Keycloak 26 realm export with the login experience configured — a password policy,
SMTP settings, required actions, users with pending actions and localized texts — is
imported at start-up by a real `ostium start-dev` and behaves as it did in Keycloak: the
login page shows the realm's own text, a user with a pending action gets no tokens until
it is done, the policy refuses a short password, "Forgot password?" mails through the
realm's SMTP server (aiosmtpd in this process), and an export gives the settings back."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_ENV, admin_headers, run_cli, start_server
from tests.e2e.test_export_import import KEYCLOAK_EXPORT
from tests.mail_server import MailServer, link_in, mail_server
from tests.support import form_of, pkce_pair

pytestmark = pytest.mark.e2e

CALLBACK = "http://localhost:3000/callback"
POLICY = "length(12) and digits(1) and notUsername and passwordHistory(3)"
REQUIRED_ACTIONS = [
    {
        "alias": "TERMS_AND_CONDITIONS",
        "name": "Terms and Conditions",
        "providerId": "TERMS_AND_CONDITIONS",
        "enabled": True,
        "defaultAction": False,
        "priority": 20,
        "config": {},
    },
    {
        "alias": "UPDATE_PASSWORD",
        "name": "Update Password",
        "providerId": "UPDATE_PASSWORD",
        "enabled": True,
        "defaultAction": False,
        "priority": 30,
        "config": {},
    },
    {
        "alias": "VERIFY_EMAIL",
        "name": "Verify Email",
        "providerId": "VERIFY_EMAIL",
        "enabled": True,
        "defaultAction": False,
        "priority": 50,
        "config": {},
    },
]
TEXTS = {
    "en": {"loginAccountTitle": "Sign in to ACME Corp"},
    "de": {"loginAccountTitle": "Bei ACME anmelden"},
}


def _export(smtp: MailServer) -> dict[str, Any]:
    realm = json.loads(KEYCLOAK_EXPORT.read_text())
    realm.update(
        passwordPolicy=POLICY,
        smtpServer=smtp.settings(),
        requiredActions=REQUIRED_ACTIONS,
        resetPasswordAllowed=True,
        internationalizationEnabled=True,
        supportedLocales=["en", "de"],
        defaultLocale="en",
        localizationTexts=TEXTS,
    )
    realm["users"].append(
        {
            "username": "newbie",
            "email": "newbie@acme.example",
            "emailVerified": True,
            "enabled": True,
            "requiredActions": ["UPDATE_PASSWORD"],
            "credentials": [{"type": "password", "value": "Welcome-to-2026", "temporary": False}],
        }
    )
    return realm


def _login_page(http: httpx.Client, **extra: str) -> httpx.Response:
    page = http.get(
        "/realms/acme/protocol/openid-connect/auth",
        params={
            "client_id": "acme-web",
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "code_challenge": pkce_pair()[1],
            "code_challenge_method": "S256",
            **extra,
        },
    )
    assert page.status_code == 200, (page.headers.get("location"), page.text)
    return page


def test_a_keycloak_export_with_the_login_experience_behaves_the_same(tmp_path: Path) -> None:
    with mail_server(tmp_path) as smtp:
        (tmp_path / "import").mkdir()
        (tmp_path / "import" / "acme-realm.json").write_text(json.dumps(_export(smtp)))
        server = start_server(tmp_path, "--import-realm", env=ADMIN_ENV)
        try:
            with httpx.Client(base_url=server.base_url, timeout=10) as http:
                # The realm's own texts, per language.
                assert "Sign in to ACME Corp" in _login_page(http).text
                assert "Bei ACME anmelden" in _login_page(http, ui_locales="de").text

                # A pending required action: no tokens from the password grant…
                grant = http.post(
                    "/realms/acme/protocol/openid-connect/token",
                    data={
                        "grant_type": "password",
                        "username": "newbie",
                        "password": "Welcome-to-2026",
                    },
                    auth=("acme-web", "acme-web-secret"),
                )
                assert grant.status_code == 400, grant.text
                assert grant.json()["error_description"] == "Account is not fully set up"
                # …and the browser login stops at the new-password page.
                action, hidden = form_of(_login_page(http).text)
                stopped = http.post(
                    action, data={**hidden, "username": "newbie", "password": "Welcome-to-2026"}
                )
                assert stopped.status_code == 200, stopped.text
                assert 'id="kc-passwd-update-form"' in stopped.text

                # The imported policy refuses a short password through the admin API.
                headers = admin_headers(server.base_url)
                users = http.get(
                    "/admin/realms/acme/users", params={"username": "arne"}, headers=headers
                ).json()
                refused = http.put(
                    f"/admin/realms/acme/users/{users[0]['id']}/reset-password",
                    json={"type": "password", "value": "short1", "temporary": False},
                    headers=headers,
                )
                assert refused.status_code == 400, refused.text
                assert refused.json()["error"] == "invalidPasswordMinLengthMessage"

                # "Forgot password?" mails through the imported SMTP settings.
                page = _login_page(http)
                forgot = re.search(r'href="([^"]*login-actions/reset-credentials[^"]*)"', page.text)
                assert forgot, page.text
                form = http.get(forgot.group(1).replace("&amp;", "&"))
                action, hidden = form_of(form.text, "kc-reset-password-form")
                assert http.post(action, data={**hidden, "username": "paula"}).status_code == 200
            _wait_for(smtp, "paula@acme.example")
            assert "/realms/acme/login-actions/action-token?" in link_in(
                smtp.inbox.to("paula@acme.example")[0]
            )
        finally:
            server.stop()

    exported = run_cli(
        "export",
        "--realm",
        "acme",
        "--file",
        str(tmp_path / "after.json"),
        f"--data-dir={tmp_path}",
    )
    assert exported.returncode == 0, exported.stderr
    after = json.loads((tmp_path / "after.json").read_text())
    assert after["passwordPolicy"] == POLICY
    assert after["smtpServer"]["host"] == "127.0.0.1"
    assert after["localizationTexts"] == TEXTS
    enabled = {a["alias"]: a["enabled"] for a in after["requiredActions"]}
    assert enabled["TERMS_AND_CONDITIONS"] is True
    newbie = next(u for u in after["users"] if u["username"] == "newbie")
    assert newbie["requiredActions"] == ["UPDATE_PASSWORD"]


def _wait_for(smtp: MailServer, address: str) -> None:
    """The mail goes out after the answer: wait for it (a few seconds at most)."""
    deadline = time.monotonic() + 15
    while not smtp.inbox.to(address):
        assert time.monotonic() < deadline, "no mail arrived"
        time.sleep(0.05)
