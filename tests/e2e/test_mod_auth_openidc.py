"""Apache httpd with mod_auth_openidc as relying parties of a real `ostium` process.

The seed (issue 5, scenario b): an RP with an encrypted cookie session logs out through the
end-session endpoint with `id_token_hint` and `post_logout_redirect_uri`, and the browser
loops (`ERR_TOO_MANY_REDIRECTS`) or the IdP session survives. Here RPs from another
ecosystem, Debian's `libapache2-mod-auth-openidc` (2.4.12), log in, log out and receive
back-channel logouts. The browser is an httpx client that follows redirects by hand, so
every hop is counted, with one cookie jar for every origin, as in a browser.

There are two RPs in one SSO session, because of how mod_auth_openidc 2.4.12 works:
- `rp` keeps its whole session in an encrypted cookie (`client-cookie`), as the seed's RP.
  A back-channel logout cannot end such a session: the module finds the session a
  `logout_token`'s `sid` names through a sid → session map that only its server-side
  session store keeps (`oidc_session_save_cache`), so it answers 200 and the cookie lives
  on until it expires.
- `rp-cache` keeps its sessions in the server-side cache (`server-cache`): a back-channel
  logout ends them.
Before sending the browser to the end-session endpoint, mod_auth_openidc revokes its refresh
token (RFC 7009, at the discovered `revocation_endpoint`). As in Keycloak, that takes the
RP's client session out of the SSO session, so the RP that logs out is not notified about
its own logout; the other RPs in the session are.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urljoin

import httpx
import pytest

from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    admin_headers,
    free_port,
    start_server,
    system_binary,
)
from tests.support import form_of, query_of, realm_export

pytestmark = pytest.mark.e2e

# Debian's standard module directory, where `apache2-bin` and `libapache2-mod-auth-openidc`
# install their modules.
MODULES = Path("/usr/lib/apache2/modules")
MAX_REDIRECTS = 5  # browsers give up after 20; a logout through the RP needs two
WAIT = 10.0  # seconds, for a process to start or a back-channel POST to arrive
BACKCHANNEL = "/protected/redirect_uri?logout=backchannel"

# What an RP needs and nothing else: a threaded MPM, `AuthType` (authn_core), `Require
# valid-user` (authz_user), `/protected/` → index.html (dir), SSI to print REMOTE_USER.
APACHE_MODULES = {
    "mpm_event_module": "mod_mpm_event.so",
    "authn_core_module": "mod_authn_core.so",
    "authz_core_module": "mod_authz_core.so",
    "authz_user_module": "mod_authz_user.so",
    "mime_module": "mod_mime.so",
    "dir_module": "mod_dir.so",
    "include_module": "mod_include.so",
    "auth_openidc_module": "mod_auth_openidc.so",
}


@dataclass
class Apache:
    """One `apache2 -X` process: one RP, registered at Ostium as `client_id`."""

    client_id: str
    host: str  # as the browser names it
    secret: str
    port: int
    root: Path  # configuration and logs (in tmp_path)
    docroot: Path | None = None  # the pages, where Apache's worker user may read them
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/protected/redirect_uri"

    @property
    def logged_out_url(self) -> str:
        return f"{self.base_url}/loggedout.html"

    @property
    def session_cookie(self) -> str:
        """Each RP's own name, so the one cookie jar tells the RPs' sessions apart."""
        return f"mod_auth_openidc_session_{self.client_id}"

    def representation(self) -> dict[str, Any]:
        """The RP as Keycloak's realm export describes a client."""
        return {
            "clientId": self.client_id,
            "enabled": True,
            "publicClient": False,
            "secret": self.secret,
            "redirectUris": [self.redirect_uri],
            "standardFlowEnabled": True,
            "directAccessGrantsEnabled": False,
            "attributes": {
                # mod_auth_openidc sends its `logout` parameter as post_logout_redirect_uri.
                "post.logout.redirect.uris": self.logged_out_url,
                "backchannel.logout.url": self.base_url + BACKCHANNEL,
                "backchannel.logout.session.required": "true",
            },
        }

    def config(self, op_url: str, session_type: str, docroot: Path) -> str:
        modules = "\n".join(
            f"LoadModule {name} {MODULES / so}" for name, so in APACHE_MODULES.items()
        )
        user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
        return f"""\
ServerRoot "{self.root}"
ServerName {self.host}
Listen 127.0.0.1:{self.port}
PidFile "{self.root}/httpd.pid"
Mutex file:{self.root} default
ErrorLog "{self.root}/error.log"
LogLevel warn auth_openidc:info
LogFormat "%h \\"%r\\" %>s" brief
CustomLog "{self.root}/access.log" brief
{modules}
{user}
TypesConfig /dev/null
AddType text/html .html
DirectoryIndex index.html
KeepAlive Off
DocumentRoot "{docroot}"
<Directory "{docroot}">
    Require all granted
</Directory>

OIDCProviderMetadataURL {op_url}/realms/test/.well-known/openid-configuration
OIDCClientID {self.client_id}
OIDCClientSecret {self.secret}
OIDCRedirectURI {self.redirect_uri}
OIDCCryptoPassphrase {secrets.token_urlsafe(32)}
OIDCCookie {self.session_cookie}
OIDCSessionType {session_type}
OIDCCacheType shm
OIDCScope "openid"
OIDCPKCEMethod S256
OIDCRemoteUserClaim preferred_username
OIDCDefaultLoggedOutURL {self.logged_out_url}

<Location /protected>
    AuthType openid-connect
    Require valid-user
    Options +Includes
    AddOutputFilter INCLUDES .html
</Location>
"""

    def start(self, binary: str, op_url: str, session_type: str) -> None:
        # Apache refuses to serve as root; as root its worker runs as Debian's web server
        # user, who cannot enter pytest's private tmp_path: the pages live elsewhere.
        self.docroot = docroot = Path(tempfile.mkdtemp(prefix=f"ostium-{self.client_id}-"))
        docroot.chmod(0o755)
        (docroot / "protected").mkdir(mode=0o755)
        (docroot / "protected" / "index.html").write_text(
            '<p id="user">Hello <!--#echo var="REMOTE_USER" --></p>\n'
        )
        (docroot / "loggedout.html").write_text("<p>You are logged out.</p>\n")
        for page in docroot.rglob("*.html"):
            page.chmod(0o644)
        self.root.mkdir()
        config = self.root / "httpd.conf"
        config.write_text(self.config(op_url, session_type, docroot))
        # -X: one process in the foreground, the test's child, stopped by SIGTERM. Errors
        # before ErrorLog is open (the configuration's) go to stderr, kept in a file.
        with (self.root / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(
                [binary, "-X", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=stderr
            )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"apache2 exited early:\n{self.logs()}")
            try:
                httpx.get(self.logged_out_url, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"apache2 did not start in time:\n{self.logs()}")

    def access_log(self) -> list[str]:
        path = self.root / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def error_log(self) -> str:
        path = self.root / "error.log"
        return path.read_text() if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(
            (self.root / name).read_text()
            for name in ("stderr.log", "access.log", "error.log")
            if (self.root / name).exists()
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.docroot is not None:
            shutil.rmtree(self.docroot, ignore_errors=True)


def apache2() -> str:
    """Apache and the module, which `.ci/run` installs: missing ones skip the test with the
    reason, and fail it under CI=true."""
    binary = system_binary("apache2")
    if not (MODULES / "mod_auth_openidc.so").exists():
        message = "mod_auth_openidc is not installed (apt-get install libapache2-mod-auth-openidc)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


@dataclass
class Deployment:
    ostium: RunningServer
    op_url: str  # Ostium as the browser and the RPs see it (its --hostname)
    rp: Apache  # the seed's RP: the session in an encrypted cookie
    rp_cache: Apache  # sessions in mod_auth_openidc's server-side cache

    def backchannel_posts(self, rp: Apache, since: int) -> list[str]:
        """The back-channel POSTs in the RP's access log after its first `since` lines.
        Ostium POSTs after its response is sent: wait, bounded, for one to arrive."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            posts = [line for line in rp.access_log()[since:] if f"POST {BACKCHANNEL} " in line]
            if posts:
                return posts
            time.sleep(0.05)
        raise AssertionError(f"no back-channel logout reached {rp.client_id}:\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join([self.rp.logs(), self.rp_cache.logs(), self.ostium.text()])


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One Ostium and its two RPs for the module (an `ostium` process takes seconds to
    start); every test has its own browser, so its own SSO session."""
    binary = apache2()
    tmp_path = tmp_path_factory.mktemp("mod_auth_openidc")
    # Two host names for two applications: the cookie RP's session fills two 4 kB cookie
    # chunks, which on a shared host name would be sent to the other RP too, past Apache's
    # 8 kB limit on a request header.
    rps = [
        Apache(client_id, host, secrets.token_urlsafe(16), free_port(), tmp_path / client_id)
        for client_id, host in (("rp", "localhost"), ("rp-cache", "127.0.0.1"))
    ]
    op_port = free_port()
    op_url = f"http://localhost:{op_port}"
    realm = realm_export()
    realm["clients"] += [rp.representation() for rp in rps]
    data_dir = tmp_path / "data"
    (data_dir / "import").mkdir(parents=True)
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm))
    ostium = start_server(
        data_dir, "--import-realm", f"--hostname={op_url}", env=ADMIN_ENV, port=op_port
    )
    try:
        # `store_id_token` keeps the ID token in the cookie: without it mod_auth_openidc has
        # no id_token_hint to send at logout.
        rps[0].start(binary, op_url, "client-cookie:store_id_token")
        rps[1].start(binary, op_url, "server-cache")
        yield Deployment(ostium, op_url, *rps)
    finally:
        for rp in rps:
            rp.stop()
        ostium.stop()


class Browser:
    """One cookie jar for every origin; redirects followed by hand and counted."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.http = httpx.Client(follow_redirects=False, timeout=10)
        self.hops: list[str] = []

    def go(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Requests `url`, then follows at most MAX_REDIRECTS redirects."""
        self.hops = []
        response = self.http.request(method, url, **kwargs)
        while response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            self.hops.append(location)
            assert len(self.hops) <= MAX_REDIRECTS, f"redirect loop: {self.hops}"
            response = self.http.get(location)
        return response

    def log_in(self, rp: Apache) -> httpx.Response:
        """/protected/ → Ostium's login page → alice's credentials → the RP's page."""
        page = self.go("GET", f"{rp.base_url}/protected/")
        assert page.status_code == 200, self.hops
        assert str(page.url).startswith(f"{self.deployment.op_url}/realms/test/"), self.hops
        action, hidden = form_of(page.text)
        page = self.go(
            "POST",
            urljoin(str(page.url), action),
            data={**hidden, "username": "alice", "password": "wonderland"},
        )
        assert str(page.url) == f"{rp.base_url}/protected/", self.hops
        return page

    def rp_session(self, rp: Apache) -> str:
        """The RP's session cookie; a large one comes in chunks (how many: `…_chunks`),
        put together here as mod_auth_openidc does."""
        name = rp.session_cookie
        cookies = {cookie.name: cookie.value or "" for cookie in self.http.cookies.jar}
        chunks = int(cookies.get(f"{name}_chunks") or 0)
        if chunks:
            return "".join(cookies[f"{name}_{i}"] for i in range(chunks))
        return cookies.get(name, "")

    def silent_authorization(self, rp: Apache) -> dict[str, str]:
        """An authorization request with prompt=none: the SSO session's verdict, read from
        the redirect to the RP (not followed)."""
        query = urlencode(
            {
                "client_id": rp.client_id,
                "response_type": "code",
                "redirect_uri": rp.redirect_uri,
                "scope": "openid",
                "state": "silent",
                "prompt": "none",
            }
        )
        response = self.http.get(
            f"{self.deployment.op_url}/realms/test/protocol/openid-connect/auth?{query}"
        )
        location = response.headers.get("location", "")
        assert response.status_code == 302, response.text
        assert location.startswith(rp.redirect_uri + "?"), location
        return query_of(location)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def browser(deployment: Deployment) -> Iterator[Browser]:
    browser = Browser(deployment)
    yield browser
    browser.close()


def jwe_header(value: str) -> dict[str, Any]:
    segment = value.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def assert_accepted(post: str) -> None:
    """mod_auth_openidc answers 400 to a logout_token it cannot verify (signature against
    the JWKS, iss, aud, iat, the back-channel event, no nonce, jti not replayed)."""
    assert re.fullmatch(rf'127\.0\.0\.1 "POST {re.escape(BACKCHANNEL)} HTTP/1\.1" 200', post)


def assert_no_logout_error(ostium: RunningServer) -> None:
    """Ostium's LOGOUT_ERROR events live in its memory; each comes with this warning."""
    assert not re.search(r"Back-channel logout to .* failed", ostium.text()), ostium.text()


def test_login_and_logout_through_end_session_with_an_encrypted_cookie_session(
    deployment: Deployment, browser: Browser
) -> None:
    rp, rp_cache = deployment.rp, deployment.rp_cache
    # 1. Login: the RP sends the browser to Ostium's login page, then shows alice's page.
    page = browser.log_in(rp)
    assert '<p id="user">Hello alice</p>' in page.text
    session = browser.rp_session(rp)
    # A compact JWE under a key from OIDCCryptoPassphrase: the session, ID token included,
    # is opaque to the browser.
    assert session.count(".") == 4, session
    assert jwe_header(session) == {"alg": "dir", "enc": "A256GCM"}
    assert "alice" not in session
    assert "code" in browser.silent_authorization(rp)
    # The same SSO session signs alice in at a second RP without a login page.
    page = browser.go("GET", f"{rp_cache.base_url}/protected/")
    assert '<p id="user">Hello alice</p>' in page.text
    assert all(deployment.op_url + "/realms/test/login-actions" not in hop for hop in browser.hops)

    # 2. RP-initiated logout: the RP → end_session with the hint → the RP's logged-out page.
    since = len(rp_cache.access_log())
    page = browser.go("GET", f"{rp.redirect_uri}?logout={quote(rp.logged_out_url, safe='')}")
    end_session, *rest = browser.hops
    assert end_session.startswith(
        f"{deployment.op_url}/realms/test/protocol/openid-connect/logout?"
    )
    assert query_of(end_session).keys() == {"id_token_hint", "post_logout_redirect_uri"}
    assert query_of(end_session)["post_logout_redirect_uri"] == rp.logged_out_url
    assert rest == [rp.logged_out_url]
    assert page.status_code == 200
    assert "You are logged out." in page.text
    assert browser.rp_session(rp) == ""
    # Ostium ended the SSO session itself, not only the RP's cookie.
    silent = browser.silent_authorization(rp)
    assert (silent["error"], silent["state"]) == ("login_required", "silent")
    assert "code" not in silent

    # The other RP in the session received its logout_token and ended its own session:
    # the browser, cookie still in hand, is sent back to Ostium's login page.
    [post] = deployment.backchannel_posts(rp_cache, since)
    assert_accepted(post)
    page = browser.go("GET", f"{rp_cache.base_url}/protected/")
    assert browser.hops[0].startswith(f"{deployment.op_url}/realms/test/"), browser.hops
    form_of(page.text)  # Ostium's login form, asked for anew
    assert_no_logout_error(deployment.ostium)


def test_admin_logout_reaches_the_rps_back_channels(
    deployment: Deployment, browser: Browser
) -> None:
    rp, rp_cache = deployment.rp, deployment.rp_cache
    browser.log_in(rp_cache)
    assert browser.rp_session(rp_cache)
    page = browser.go("GET", f"{rp.base_url}/protected/")
    assert '<p id="user">Hello alice</p>' in page.text

    # 3. The session ends on Ostium's side: a master admin signs alice out.
    since_rp, since_cache = len(rp.access_log()), len(rp_cache.access_log())
    admin = httpx.Client(
        base_url=f"{deployment.op_url}/admin/realms/test",
        headers=admin_headers(deployment.op_url),
    )
    with admin:
        [alice] = admin.get("/users", params={"username": "alice", "exact": "true"}).json()
        assert admin.post(f"/users/{alice['id']}/logout").status_code == 204

    [post] = deployment.backchannel_posts(rp_cache, since_cache)
    assert_accepted(post)
    [post] = deployment.backchannel_posts(rp, since_rp)
    assert_accepted(post)
    assert_no_logout_error(deployment.ostium)

    # The server-cache RP ended the session the token named: its cookie, still in the
    # browser, now gets a redirect to Ostium's login instead of the page.
    assert browser.rp_session(rp_cache)
    response = browser.http.get(f"{rp_cache.base_url}/protected/")
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"{deployment.op_url}/realms/test/")
    # The cookie RP accepted its token too, but its session is the cookie itself and no
    # server-side entry maps the token's sid to it (see the module docstring), as its log
    # says. The SSO session behind it is over all the same:
    assert "could not (or no longer) find a session based on sid" in rp.error_log()
    silent = browser.silent_authorization(rp)
    assert silent["error"] == "login_required"
