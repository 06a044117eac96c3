"""A person signs in with a client certificate in Debian's Chromium, through Debian's nginx
terminating TLS (`ssl_verify_client optional`) in front of `ostium start-dev` with the
`nginx` certificate lookup — the X.509 browser flow set up through the admin REST API as
Keycloak's administrators do it: copy `browser`, add "X509/Validate Username Form", give it
a config, bind the copy.

Screenshots of the confirmation page (English and 简体中文) are kept with the
run's artefacts for a person to look at (tests/e2e/screenshots.py).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import (
    RunningServer,
    admin_headers,
    free_port,
    nginx_with_servers,
    running_proxy,
    system_binary,
)
from tests.e2e.mtls import PROXY, mtls_client, start_mtls_ostium
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot
from tests.x509_ca import Issued, Pki, issue, make_pki

pytestmark = pytest.mark.e2e

REALM = "certs"
TIMEOUT_MS = 10_000
# What the pages show that is not ours to translate: the realm, the people.
NAMES = [REALM, "CN=alice, O=Ostium Test", "alice"]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(datetime.now(UTC))


def _admin(server: RunningServer) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.base_url}/admin/realms/{REALM}",
        headers=admin_headers(server.base_url),
        timeout=10,
    )


def _set_up_realm(server: RunningServer, callback: str) -> None:
    """The realm, a client and alice, then the X.509 browser flow through the admin API."""
    headers = admin_headers(server.base_url)
    created = httpx.post(
        f"{server.base_url}/admin/realms",
        headers=headers,
        json={
            "realm": REALM,
            "enabled": True,
            "internationalizationEnabled": True,
            "supportedLocales": ["en", "zh-CN"],
            "clients": [{"clientId": "web", "publicClient": True, "redirectUris": [callback]}],
            "users": [
                {
                    "username": "alice",
                    "email": "alice@example.com",
                    "enabled": True,
                    "credentials": [{"type": "password", "value": "wonderland"}],
                }
            ],
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    with _admin(server) as admin:
        copied = admin.post(
            f"/authentication/flows/{quote('browser')}/copy", json={"newName": "x509 browser"}
        )
        assert copied.status_code == 201, copied.text
        flow = quote("x509 browser", safe="")
        added = admin.post(
            f"/authentication/flows/{flow}/executions/execution",
            json={"provider": "auth-x509-client-username-form"},
        )
        assert added.status_code == 201, added.text
        executions = admin.get(f"/authentication/flows/{flow}/executions").json()
        x509 = next(
            e for e in executions if e.get("providerId") == "auth-x509-client-username-form"
        )
        x509["requirement"] = "ALTERNATIVE"
        assert admin.put(f"/authentication/flows/{flow}/executions", json=x509).status_code == 202
        # Keycloak adds a new execution last; the X.509 step must come before the forms.
        for _ in range(3):
            admin.post(f"/authentication/executions/{x509['id']}/raise-priority")
        configured = admin.post(
            f"/authentication/executions/{x509['id']}/config",
            json={
                "alias": "x509-by-cn",
                "config": {
                    "x509-cert-auth.mapping-source-selection": "Subject's Common Name",
                    "x509-cert-auth.mapper-selection": "Username or Email",
                },
            },
        )
        assert configured.status_code == 201, configured.text
        realm = admin.get("").json()
        bound = admin.put("", json={**realm, "browserFlow": "x509 browser"})
        assert bound.status_code == 204, bound.text


def _nginx_config(prefix: Path, port: int, upstream: str) -> str:
    server = f"""    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {prefix / "server.crt"};
        ssl_certificate_key {prefix / "server.key"};
        ssl_client_certificate {prefix / "ca.pem"};
        ssl_verify_client optional;
        ssl_verify_depth 2;
        location / {{
            proxy_pass {upstream};
            proxy_bind {PROXY};
            proxy_set_header ssl-client-cert $ssl_client_escaped_cert;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Port $server_port;
        }}
    }}
"""
    return nginx_with_servers(prefix, server)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[tuple[str, Path]]:
    """nginx's https:// base URL in front of a configured Ostium, and a scratch folder."""
    folder = tmp_path_factory.mktemp("x509-browser")
    ostium = start_mtls_ostium(folder, pki, "--spi-x509cert-lookup-provider=nginx")
    prefix = folder / "nginx"
    prefix.mkdir()
    server = issue("localhost", pki.root, dns_names=("localhost",), now=datetime.now(UTC))
    (prefix / "server.crt").write_text(server.pem)
    (prefix / "server.key").write_text(server.key_pem)
    (prefix / "ca.pem").write_text(pki.root.pem)
    port = free_port()
    base = f"https://localhost:{port}"
    _set_up_realm(ostium, f"{base}/callback")
    config = prefix / "nginx.conf"
    config.write_text(_nginx_config(prefix, port, ostium.base_url))
    command = [system_binary("nginx"), "-p", str(prefix), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr

    def probe() -> None:
        with mtls_client(pki, None, folder) as client:
            client.get(f"{base}/realms/master")

    try:
        with running_proxy(
            [*command, "-g", "daemon off;"], [prefix / "stderr.log"], probe, "nginx"
        ):
            yield base, folder
    finally:
        ostium.stop()


def _certificate_files(folder: Path, pki: Pki, cert: Issued) -> dict[str, str]:
    name = cert.cert.subject.rfc4514_string().split(",")[0].split("=")[1]
    chain, key = folder / f"{name}-chain.pem", folder / f"{name}-key.pem"
    chain.write_text(cert.pem + pki.intermediate.pem)
    key.write_text(cert.key_pem)
    return {"certPath": str(chain), "keyPath": str(key)}


def _authorize_url(base: str) -> str:
    return (
        f"{base}/realms/{REALM}/protocol/openid-connect/auth?client_id=web"
        f"&response_type=code&scope=openid&redirect_uri={quote(base + '/callback', safe='')}"
    )


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_person_confirms_the_certificate_and_is_signed_in(
    stack: tuple[str, Path], chromium: Browser, pki: Pki, locale: str
) -> None:
    base, folder = stack
    alice = issue("alice", pki.intermediate, now=datetime.now(UTC))
    context = chromium.new_context(
        ignore_https_errors=True,
        locale=locale,
        client_certificates=[{"origin": base, **_certificate_files(folder, pki, alice)}],
    )
    try:
        context.route(f"{base}/callback*", lambda route: route.fulfill(body="signed in"))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(_authorize_url(base))
        assert page.locator("#certificate_subjectDN").inner_text() == "CN=alice, O=Ostium Test"
        assert page.locator("#username").inner_text() == "alice"
        assert page.locator("html").get_attribute("lang") == locale  # from Accept-Language
        expect_page_language(page, locale, NAMES)
        shoot(page, f"x509-confirm-{locale}")
        # Keyboard only: the focus starts on "Continue".
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url
    finally:
        context.close()


def test_sign_in_another_way_and_an_unknown_certificate(
    stack: tuple[str, Path], chromium: Browser, pki: Pki
) -> None:
    base, folder = stack
    nobody = issue("nobody", pki.intermediate, now=datetime.now(UTC))
    context = chromium.new_context(
        ignore_https_errors=True,
        client_certificates=[{"origin": base, **_certificate_files(folder, pki, nobody)}],
    )
    try:
        context.route(f"{base}/callback*", lambda route: route.fulfill(body="signed in"))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(_authorize_url(base))
        assert (
            page.get_by_role("alert").inner_text() == "Your certificate cannot be used to sign in."
        )
        assert page.locator("#kc-login").count() == 0
        shoot(page, "x509-refused-en")
        page.get_by_role("button", name="Sign in another way").click()
        page.get_by_label("Username or email").fill("alice")
        page.get_by_label("Password").fill("wonderland")
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{base}/callback*")
    finally:
        context.close()
