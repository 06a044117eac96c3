"""keycloak-js in headless Chromium against `--http-relative-path=/auth`, configured with
the `…/auth` URL of Keycloak 16-era apps: login, silent SSO through the iframes (their
cookies live under /auth/realms/…), userinfo, session monitoring and logout."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.test_keycloak_js import (
    AppPage,
    Stack,
    app,
    assert_alice,
    end_sessions_by_admin,
    keycloak_js_stack,
    sso_cookies,
    wait_for_event,
)

pytestmark = pytest.mark.e2e

__all__ = ["app"]  # the browser-page fixture, shared with the root-path suite


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with keycloak_js_stack(tmp_path_factory, "/auth") as running:
        yield running


def test_keycloak_js_under_auth(stack: Stack, app: AppPage) -> None:
    assert httpx.get(stack.ostium_url.removesuffix("/auth") + "/realms/test").status_code == 404
    assert app.open()["authenticated"] is False

    logged_in = app.log_in(stack.ostium_url)
    assert_alice(logged_in)
    cookies = {c["name"]: c["path"] for c in app.page.context.cookies()}
    assert cookies["KEYCLOAK_IDENTITY"] == "/auth/realms/test/"

    # Silent SSO on reload, through the iframes under /auth.
    again = app.reload()
    assert_alice(again)
    assert again["tokenParsed"]["sid"] == logged_in["tokenParsed"]["sid"]
    assert again["tokenParsed"]["iss"] == f"{stack.ostium_url}/realms/test"
    assert app.page.evaluate("app.userInfo()")["preferred_username"] == "alice"

    # The login-status iframe notices a session ended by the administrator.
    end_sessions_by_admin(stack, again["tokenParsed"]["sub"])
    wait_for_event(app, "onAuthLogout")
    assert sso_cookies(app) == set()
    assert app.errors == []
