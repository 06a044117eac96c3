"""keycloak-js in headless Chromium against `--http-relative-path=/auth`, configured with
the `…/auth` URL of Keycloak 16-era apps: login, silent SSO through the iframes (their
cookies live under /auth/realms/…), userinfo, session monitoring and logout."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.conftest import ADMIN_ENV, free_port, start_server, system_binary
from tests.e2e.test_keycloak_js import (
    CHROMIUM_ARGS,
    INDEX_HTML,
    SILENT_CHECK_SSO_HTML,
    AppPage,
    QuietHandler,
    Stack,
    app,
    assert_alice,
    end_sessions_by_admin,
    keycloak_js_lib,
    realm,
    sso_cookies,
    wait_for_event,
)

pytestmark = pytest.mark.e2e

__all__ = ["app"]  # the browser-page fixture, shared with the root-path suite


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    chromium = system_binary("chromium")
    lib = keycloak_js_lib()
    site = tmp_path_factory.mktemp("app")
    shutil.copytree(lib, site / "keycloak-js")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    app_url = f"http://localhost:{httpd.server_address[1]}"
    port = free_port()
    ostium_url = f"http://localhost:{port}/auth"
    config = {"url": ostium_url, "realm": "test", "clientId": "web"}
    (site / "index.html").write_text(INDEX_HTML % {"config": json.dumps(config)})
    (site / "silent-check-sso.html").write_text(SILENT_CHECK_SSO_HTML)
    data_dir = tmp_path_factory.mktemp("data")
    (data_dir / "import").mkdir()
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm(app_url)))
    ostium = start_server(
        data_dir,
        "--import-realm",
        f"--hostname={ostium_url}",
        port=port,
        env=ADMIN_ENV,
        relative_path="/auth",
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                yield Stack(ostium, ostium_url, app_url, browser)
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
        ostium.stop()


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
