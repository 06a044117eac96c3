"""keycloak-js, the npm package, drives a real `ostium start-dev` in headless Chromium:
check-sso, login, silent SSO on reload, token refresh, userinfo, session monitoring
through the login-status iframe, and RP-initiated logout — as a browser app does with
Keycloak. Ostium and the app are both on `localhost` (different ports, the same site),
so the browser sends the SSO cookies to the iframes as it would in production."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.e2e.conftest import (
    ADMIN_ENV,
    CHROMIUM_ARGS,
    RunningServer,
    admin_headers,
    free_port,
    start_server,
    system_binary,
)
from tests.support import query_of

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "keycloak-js"  # git-ignored; npm fills it once
KEYCLOAK_JS = "keycloak-js@26"
TIMEOUT_MS = 10_000

INDEX_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>keycloak-js app</title><link rel="icon" href="data:,"></head>
<body>
<script type="module">
  import Keycloak from "./keycloak-js/keycloak.js";

  const keycloak = new Keycloak(%(config)s);
  const app = (window.app = { ready: false, error: null, authenticated: null, events: [] });
  for (const name of ["onReady", "onAuthSuccess", "onAuthError", "onAuthRefreshSuccess",
                      "onAuthRefreshError", "onAuthLogout", "onTokenExpired"]) {
    keycloak[name] = () => app.events.push(name);
  }
  const describe = (error) => String((error && (error.message || error.error)) || error);
  app.state = () => ({
    authenticated: keycloak.authenticated === true,
    token: keycloak.token || null,
    tokenParsed: keycloak.tokenParsed || null,
    idTokenParsed: keycloak.idTokenParsed || null,
  });
  app.login = () => keycloak.login();
  app.refresh = () => keycloak.updateToken(-1);
  app.userInfo = () => keycloak.loadUserInfo();
  app.logout = () => keycloak.logout({ redirectUri: location.origin + "/" });
  keycloak.init({
    onLoad: "check-sso",
    pkceMethod: "S256",
    checkLoginIframe: true,
    checkLoginIframeInterval: 1,
    silentCheckSsoRedirectUri: location.origin + "/silent-check-sso.html",
  }).then(
    (authenticated) => { app.authenticated = authenticated; app.ready = true; },
    (error) => { app.error = describe(error); app.ready = true; },
  );
</script>
</body>
</html>
"""

# As keycloak-js's documentation shows: hand the authorization response to the parent.
SILENT_CHECK_SSO_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>silent</title></head>
<body><script>parent.postMessage(location.href, location.origin);</script></body></html>
"""


def unavailable(message: str) -> NoReturn:
    """Skip locally, fail under CI=true: CI must exercise the browser."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def keycloak_js_lib() -> Path:
    """keycloak-js 26 from the npm registry, installed once into the repo's cache."""
    package = CACHE / "node_modules" / "keycloak-js"
    if not (package / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is not installed: cannot fetch keycloak-js")
        try:
            result = subprocess.run(
                [npm, "install", "--prefix", str(CACHE), KEYCLOAK_JS, "--no-audit", "--no-fund"],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except subprocess.TimeoutExpired:
            unavailable(f"npm install {KEYCLOAK_JS} timed out")
        else:
            if result.returncode != 0:
                unavailable(f"npm install {KEYCLOAK_JS} failed: {result.stderr[-800:]}")
    manifest = json.loads((package / "package.json").read_text())
    assert manifest["version"].startswith("26."), manifest["version"]
    entry = package / manifest["exports"]["."]["default"]  # ES module: ./lib/keycloak.js
    assert entry.is_file(), entry
    return entry.parent


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Stack:
    ostium: RunningServer
    ostium_url: str  # as the browser sees it
    app_url: str
    browser: Browser


@dataclass
class AppPage:
    """The app in one browser context, with what its console reported."""

    page: Page
    app_url: str
    errors: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)  # of the top-level window

    def leave(self, action: str) -> None:
        """Start something that navigates away (login, logout) without awaiting it; the
        old document is marked so `wait_ready` waits for the next one."""
        self.page.evaluate(f"() => {{ window.stale = true; {action}; }}")

    def wait_ready(self) -> dict[str, Any]:
        self.page.wait_for_function("() => !window.stale && window.app && window.app.ready")
        assert self.page.url.startswith(self.app_url), self.page.url
        assert self.page.evaluate("app.error") is None
        return self.state()

    def open(self) -> dict[str, Any]:
        self.page.goto(self.app_url)
        return self.wait_ready()

    def reload(self) -> dict[str, Any]:
        self.page.reload()
        return self.wait_ready()

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate("app.state()")
        return state

    def events(self) -> list[str]:
        events: list[str] = self.page.evaluate("app.events")
        return events

    def log_in(self, ostium_url: str) -> dict[str, Any]:
        self.leave("app.login()")
        self.page.wait_for_selector("#kc-form-login")
        assert self.page.url.startswith(ostium_url)
        self.page.fill("#username", "alice")
        self.page.fill("#password", "wonderland")
        self.page.click("#kc-login")
        return self.wait_ready()


def realm(app_url: str) -> dict[str, Any]:
    return {
        "realm": "test",
        "enabled": True,
        "clients": [
            {
                "clientId": "web",
                "enabled": True,
                "publicClient": True,
                "redirectUris": [f"{app_url}/*"],
                "webOrigins": [app_url],
                "standardFlowEnabled": True,
                "directAccessGrantsEnabled": False,
                "attributes": {
                    "post.logout.redirect.uris": "+",
                    "pkce.code.challenge.method": "S256",
                },
            }
        ],
        "users": [
            {
                "username": "alice",
                "enabled": True,
                "email": "alice@example.com",
                "emailVerified": True,
                "firstName": "Alice",
                "lastName": "Liddell",
                "credentials": [{"type": "password", "value": "wonderland"}],
            }
        ],
    }


@contextmanager
def keycloak_js_stack(
    tmp_path_factory: pytest.TempPathFactory, relative_path: str = ""
) -> Iterator[Stack]:
    """The app's site (keycloak-js and its pages) on its own origin, Ostium with the test
    realm on another, Chromium: the app's keycloak-js is configured with Ostium's URL,
    `relative_path` (such as /auth) included."""
    chromium = system_binary("chromium")
    lib = keycloak_js_lib()
    site = tmp_path_factory.mktemp("app")
    shutil.copytree(lib, site / "keycloak-js")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    app_url = f"http://localhost:{httpd.server_address[1]}"
    port = free_port()
    ostium_url = f"http://localhost:{port}{relative_path}"
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
        relative_path=relative_path,
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


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with keycloak_js_stack(tmp_path_factory) as running:
        yield running


@pytest.fixture
def app(stack: Stack) -> Iterator[AppPage]:
    """A fresh browser profile (no cookies) on the app."""
    context = stack.browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    opened = AppPage(page, stack.app_url)

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        # The browser's own favicon probe on Ostium's pages is no request of the app's.
        if message.type == "error" and not url.endswith("/favicon.ico"):
            opened.errors.append(f"console: {message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"pageerror: {error}"))
    page.on(
        "framenavigated",
        lambda frame: frame == page.main_frame and opened.navigations.append(frame.url),
    )
    try:
        yield opened
    finally:
        context.close()


def end_sessions_by_admin(stack: Stack, user_id: str) -> None:
    """What an administrator does in the console: log the user out everywhere."""
    base = stack.ostium.base_url
    ended = httpx.post(
        f"{base}/admin/realms/test/users/{user_id}/logout", headers=admin_headers(base), timeout=10
    )
    assert ended.status_code == 204, ended.text


def wait_for_event(app: AppPage, name: str) -> None:
    app.page.wait_for_function("(name) => app.events.includes(name)", arg=name)


def assert_alice(state: dict[str, Any]) -> None:
    assert state["authenticated"] is True
    assert state["tokenParsed"]["preferred_username"] == "alice"
    assert state["tokenParsed"]["azp"] == "web"
    assert state["tokenParsed"]["sid"]
    assert state["idTokenParsed"]["sid"] == state["tokenParsed"]["sid"]


def sso_cookies(app: AppPage) -> set[str]:
    names = {"KEYCLOAK_SESSION", "KEYCLOAK_IDENTITY"}
    return {cookie["name"] for cookie in app.page.context.cookies() if cookie["name"] in names}


def test_check_sso_login_refresh_and_session_monitoring(stack: Stack, app: AppPage) -> None:
    first = app.open()
    assert first["authenticated"] is False
    assert app.page.evaluate("app.authenticated") is False
    # Silent: the check ran in iframes, the window never left the app.
    assert all(url.startswith(stack.app_url) for url in app.navigations), app.navigations

    logged_in = app.log_in(stack.ostium_url)
    assert_alice(logged_in)
    assert app.page.evaluate("app.authenticated") is True
    assert "onAuthSuccess" in app.events()

    # A reload finds the SSO session through the iframes, without the login page.
    app.navigations.clear()
    again = app.reload()
    assert_alice(again)
    assert again["tokenParsed"]["sid"] == logged_in["tokenParsed"]["sid"]
    assert all(url.startswith(stack.app_url) for url in app.navigations), app.navigations

    # Refresh and userinfo are cross-origin calls: CORS for the client's web origin.
    assert app.page.evaluate("app.refresh()") is True
    wait_for_event(app, "onAuthRefreshSuccess")
    refreshed = app.state()
    assert refreshed["token"] != again["token"]
    assert refreshed["tokenParsed"]["sid"] == again["tokenParsed"]["sid"]
    info = app.page.evaluate("app.userInfo()")
    assert info["preferred_username"] == "alice"
    assert info["sub"] == refreshed["tokenParsed"]["sub"]

    # The session ends outside the app; the login-status iframe notices within seconds
    # (Ostium's `init` re-check expires the SSO cookies of the ended session).
    assert sso_cookies(app) == {"KEYCLOAK_SESSION", "KEYCLOAK_IDENTITY"}
    end_sessions_by_admin(stack, refreshed["tokenParsed"]["sub"])
    wait_for_event(app, "onAuthLogout")
    assert app.state()["authenticated"] is False
    assert sso_cookies(app) == set()

    # Logging in again starts a new session, monitored as the first was.
    relogged = app.log_in(stack.ostium_url)
    assert_alice(relogged)
    assert relogged["tokenParsed"]["sid"] != refreshed["tokenParsed"]["sid"]
    assert app.page.evaluate("app.refresh()") is True

    assert app.errors == []


def test_logout_through_end_session_returns_to_the_app(stack: Stack, app: AppPage) -> None:
    assert app.open()["authenticated"] is False
    assert_alice(app.log_in(stack.ostium_url))

    # The end-session endpoint redirects at once: a request of the window, never a page.
    end_session = f"{stack.ostium_url}/realms/test/protocol/openid-connect/logout?"
    went: list[str] = []
    app.page.on(
        "request",
        lambda request: request.url.startswith(end_session) and went.append(request.url),
    )
    app.leave("app.logout()")
    after = app.wait_ready()
    assert after["authenticated"] is False
    assert len(went) == 1, went
    sent = query_of(went[0])
    assert sent["client_id"] == "web"
    assert sent["post_logout_redirect_uri"] == f"{stack.app_url}/"
    assert sent["id_token_hint"]
    assert sso_cookies(app) == set()

    # The SSO session is gone: check-sso stays unauthenticated.
    assert app.reload()["authenticated"] is False
    assert app.page.url.startswith(stack.app_url)

    assert app.errors == []
