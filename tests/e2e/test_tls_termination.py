"""Ostium behind Debian's nginx, HAProxy and Apache terminating TLS, configured with the
README's own snippets ("Behind a reverse proxy"), so the documentation cannot drift from
what works.

A CA made here signs a certificate for `id.example.test` (and 127.0.0.1); the browser trusts
only that CA, sends SNI and `Host` for the public name and connects from 127.0.0.3, while
the proxy reaches Ostium from 127.0.0.1, the one address in `--proxy-trusted-addresses`.
Through each proxy, with and without `--hostname`, a browser sees `https://` everywhere —
discovery, the login form, the `iss` of the redirect, `Secure` cookies — and the events name
the browser, not the proxy.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import (
    RunningServer,
    free_port,
    nginx_with_servers,
    start_server,
    system_binary,
)
from tests.support import CALLBACK, SECRET, form_of, pkce_pair, query_of, realm_export

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
BROWSER = "127.0.0.3"
PROXY = "127.0.0.1"  # where every proxy connects to Ostium from: the trusted address
PUBLIC_HOST = "id.example.test"
WAIT = 10.0  # seconds, for a proxy to start or an event's log line to arrive
APACHE_MODULES = Path("/usr/lib/apache2/modules")


def readme_snippet(heading: str, language: str) -> str:
    """The first ```language block under `### heading` in the README."""
    text = README.read_text()
    start = text.index(f"\n### {heading}\n")
    match = re.compile(rf"^```{language}\n(.*?)^```$", re.S | re.M).search(text, start)
    assert match is not None, f"no {language} block under {heading!r}"
    return match.group(1)


def fill(snippet: str, replacements: list[tuple[str, str]]) -> str:
    """The README's placeholders, each of which must still be there, replaced in order."""
    for placeholder, value in replacements:
        assert placeholder in snippet, f"the README snippet lost {placeholder!r}"
        snippet = snippet.replace(placeholder, value)
    return snippet


@dataclass(frozen=True)
class Certificates:
    """A test CA and the server's certificate, as files a proxy reads."""

    ca_pem: bytes
    certificate: Path  # the server's certificate, then the CA's
    key: Path
    combined: Path  # HAProxy's crt: certificate, chain and key in one file

    def trusting_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem.decode())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def certificates() -> Iterator[Certificates]:
    # Outside pytest's private tmp_path: Apache's worker (www-data when the suite runs as
    # root) must be able to enter the directory.
    directory = Path(tempfile.mkdtemp(prefix="ostium-tls-"))
    directory.chmod(0o755)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Ostium test CA"))
        .issuer_name(_name("Ostium test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(PUBLIC_HOST))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(PUBLIC_HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    chain = server.public_bytes(serialization.Encoding.PEM) + ca_pem
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    files = Certificates(
        ca_pem, directory / "server.pem", directory / "server.key", directory / "haproxy.pem"
    )
    files.certificate.write_bytes(chain)
    files.key.write_bytes(key_pem)
    files.combined.write_bytes(chain + key_pem)
    for path in (files.certificate, files.key, files.combined):
        path.chmod(0o644)  # a throw-away key, readable by Apache's worker
    yield files
    shutil.rmtree(directory, ignore_errors=True)


def nginx_config(prefix: Path, port: int, upstream: str, tls: Certificates) -> str:
    server = fill(
        readme_snippet("TLS termination with nginx", "nginx"),
        [
            ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
            ("/etc/ssl/certs/id.example.com.pem", str(tls.certificate)),
            ("/etc/ssl/private/id.example.com.key", str(tls.key)),
            ("id.example.com", PUBLIC_HOST),
            ("http://127.0.0.1:8080", upstream),
        ],
    )
    return nginx_with_servers(prefix, server)


def haproxy_config(port: int, upstream: str, tls: Certificates) -> str:
    proxies = fill(
        readme_snippet("TLS termination with HAProxy", "haproxy"),
        [
            ("bind :443", f"bind 127.0.0.1:{port}"),
            ("/etc/haproxy/certs/id.example.com.pem", str(tls.combined)),
            ("127.0.0.1:8080", urlsplit(upstream).netloc),
        ],
    )
    return f"""
global
    maxconn 256

defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s

{proxies}
"""


def apache_config(root: Path, port: int, upstream: str, tls: Certificates) -> str:
    host = fill(
        readme_snippet("TLS termination with Apache httpd", "apache"),
        [
            ("<VirtualHost *:443>", f"<VirtualHost 127.0.0.1:{port}>"),
            ("/etc/ssl/certs/id.example.com.pem", str(tls.certificate)),
            ("/etc/ssl/private/id.example.com.key", str(tls.key)),
            ("id.example.com", PUBLIC_HOST),
            ("http://127.0.0.1:8080/", f"{upstream}/"),
        ],
    )
    modules = "\n".join(
        f"LoadModule {name}_module {APACHE_MODULES / f'mod_{name}.so'}"
        for name in (
            "mpm_event",
            "authz_core",
            "socache_shmcb",
            "ssl",
            "headers",
            "proxy",
            "proxy_http",
        )
    )
    user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    return f"""\
ServerRoot "{root}"
ServerName {PUBLIC_HOST}
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
Mutex file:{root} default
ErrorLog "{root}/error.log"
LogLevel warn
{modules}
{user}
SSLSessionCache none
{host}
"""


def _browser(tls: Certificates) -> httpx.Client:
    """A browser that knows `id.example.test` lives on loopback: it connects from
    127.0.0.3 to 127.0.0.1, with the public name in SNI, in the certificate check and in
    `Host`, and trusts only the test CA. trust_env=False: no developer's HTTP_PROXY."""
    inner = httpx.HTTPTransport(local_address=BROWSER, verify=tls.trusting_context())
    return httpx.Client(transport=_Loopback(inner), trust_env=False, timeout=WAIT)


class _Loopback(httpx.BaseTransport):
    """/etc/hosts for one name: the request keeps its URL, `Host` and cookies; only the
    TCP connection goes to 127.0.0.1, with the public name as the TLS server name."""

    def __init__(self, inner: httpx.HTTPTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != PUBLIC_HOST:
            return self.inner.handle_request(request)
        rerouted = httpx.Request(
            request.method,
            request.url.copy_with(host="127.0.0.1"),
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": PUBLIC_HOST},
        )
        return self.inner.handle_request(rerouted)

    def close(self) -> None:
        self.inner.close()


@dataclass
class Proxy:
    process: subprocess.Popen[bytes]
    public_url: str
    logs: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_proxy(kind: str, root: Path, port: int, upstream: str, tls: Certificates) -> Proxy:
    root.mkdir()
    stderr = root / "stderr.log"
    if kind == "nginx":
        config = root / "nginx.conf"
        config.write_text(nginx_config(root, port, upstream, tls))
        command = [system_binary("nginx"), "-p", str(root), "-c", str(config), "-g", "daemon off;"]
    elif kind == "haproxy":
        config = root / "haproxy.cfg"
        config.write_text(haproxy_config(port, upstream, tls))
        command = [system_binary("haproxy"), "-db", "-f", str(config)]
    else:
        config = root / "httpd.conf"
        config.write_text(apache_config(root, port, upstream, tls))
        # -X: one process in the foreground, stopped by SIGTERM.
        command = [system_binary("apache2"), "-X", "-f", str(config)]
    with stderr.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    proxy = Proxy(process, f"https://{PUBLIC_HOST}:{port}", root)
    deadline = time.monotonic() + WAIT
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{kind} exited early:\n{proxy_logs(proxy)}")
        try:
            with _browser(tls) as browser:
                browser.get(f"{proxy.public_url}/realms/master")
            return proxy
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{kind} did not answer:\n{proxy_logs(proxy)}"
            time.sleep(0.05)


def proxy_logs(proxy: Proxy) -> str:
    return "\n".join(path.read_text() for path in proxy.logs.glob("*.log"))


def _start_ostium(data_dir: Path, *extra: str) -> RunningServer:
    (data_dir / "import").mkdir(parents=True)
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(realm_export()))
    return start_server(
        data_dir,
        "--import-realm",
        "--proxy-headers=xforwarded",
        f"--proxy-trusted-addresses={PROXY}",
        *extra,
    )


@dataclass
class Deployment:
    ostium: RunningServer
    proxy: Proxy
    tls: Certificates


@pytest.fixture(
    params=[
        pytest.param((kind, hostname), id=f"{kind}-{hostname}")
        for kind in ("nginx", "haproxy", "apache")
        for hostname in ("dynamic", "fixed-hostname")
    ]
)
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, certificates: Certificates
) -> Iterator[Deployment]:
    """Ostium without `--hostname` (URLs follow the forwarded host and port, as in
    start-dev) and with `--hostname` set to the public URL, as the README advises."""
    kind, hostname = request.param
    port = free_port()
    extra = [f"--hostname=https://{PUBLIC_HOST}:{port}"] if hostname == "fixed-hostname" else []
    ostium = _start_ostium(tmp_path / "data", *extra)
    try:
        proxy = start_proxy(kind, tmp_path / kind, port, ostium.base_url, certificates)
        try:
            yield Deployment(ostium, proxy, certificates)
        finally:
            proxy.stop()
    finally:
        ostium.stop()


def _event_lines(server: RunningServer, event_type: str) -> list[str]:
    return [line for line in server.text().splitlines() if f"type={event_type} " in line]


def _wait_for_event(server: RunningServer, event_type: str) -> list[str]:
    """An event's log line reaches the output pipe asynchronously."""
    deadline = time.monotonic() + WAIT
    while not _event_lines(server, event_type) and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = _event_lines(server, event_type)
    assert lines, server.text()
    return lines


def _cookies_set(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie header values by cookie name, attributes included."""
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


def _log_in(browser: httpx.Client, realm_url: str) -> tuple[httpx.Response, httpx.Response, str]:
    """The login page, the answer to the credentials, and the PKCE verifier."""
    verifier, challenge = pkce_pair()
    page = browser.get(
        f"{realm_url}/protocol/openid-connect/auth",
        params={
            "response_type": "code",
            "client_id": "app",
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert page.status_code == 200, page.text
    action, hidden = form_of(page.text)
    done = browser.post(action, data={**hidden, "username": "alice", "password": "wonderland"})
    return page, done, verifier


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_forged_forwarding_sent_straight_to_ostium_is_ignored(
    tmp_path: Path, certificates: Certificates
) -> None:
    """The browser skips the proxy and claims to be https on the public name, from another
    address: Ostium, trusting only 127.0.0.1, keeps its own scheme, host and the peer."""
    ostium = _start_ostium(tmp_path / "data")
    try:
        forged = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": PUBLIC_HOST,
            "X-Forwarded-Port": "443",
            "X-Forwarded-For": "198.51.100.66",
        }
        with _browser(certificates) as browser:
            browser.headers.update(forged)
            discovery = browser.get(
                f"{ostium.base_url}/realms/test/.well-known/openid-configuration"
            )
            page, done, _ = _log_in(browser, f"{ostium.base_url}/realms/test")
        assert discovery.json()["issuer"] == f"{ostium.base_url}/realms/test"
        assert form_of(page.text)[0].startswith(f"{ostium.base_url}/realms/test/")
        assert done.status_code == 302, done.text
        assert query_of(done.headers["location"])["iss"] == f"{ostium.base_url}/realms/test"
        assert "Secure" not in _cookies_set(done)["KEYCLOAK_IDENTITY"]
        [login] = _wait_for_event(ostium, "LOGIN")
        assert f"ip={BROWSER} " in login
        assert "198.51.100.66" not in ostium.text()
    finally:
        ostium.stop()


def test_through_the_tls_proxy_every_url_is_https_and_events_name_the_browser(
    deployment: Deployment,
) -> None:
    """The browser also sends forwarding headers of its own: the proxy must replace them,
    since Ostium believes the first hop."""
    public = deployment.proxy.public_url
    issuer = f"{public}/realms/test"
    with _browser(deployment.tls) as browser:
        browser.headers.update(
            {
                "X-Forwarded-For": "198.51.100.66",
                "X-Forwarded-Host": "evil.example.com",
                "X-Forwarded-Proto": "http",
                "X-Forwarded-Port": "80",
            }
        )
        discovery = browser.get(f"{issuer}/.well-known/openid-configuration")
        assert discovery.status_code == 200, discovery.text
        page, done, verifier = _log_in(browser, issuer)
        assert done.status_code == 302, done.text
        tokens = browser.post(
            f"{issuer}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "code": query_of(done.headers["location"])["code"],
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
                "client_id": "app",
                "client_secret": SECRET,
            },
        )
    metadata = discovery.json()
    assert metadata["issuer"] == issuer
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert metadata[endpoint].startswith(f"{issuer}/protocol/openid-connect/"), endpoint
    action, _ = form_of(page.text)
    assert action.startswith(f"{issuer}/login-actions/authenticate?")
    set_on_page, set_on_login = _cookies_set(page), _cookies_set(done)
    assert "AUTH_SESSION_ID" in set_on_page
    assert {"KEYCLOAK_IDENTITY", "KEYCLOAK_SESSION"} <= set_on_login.keys()
    for value in [*set_on_page.values(), *set_on_login.values()]:
        assert re.search(r";\s*Secure(;|$)", value, re.I), value
    location = done.headers["location"]
    assert location.startswith(f"{CALLBACK}?")
    assert query_of(location)["iss"] == issuer
    assert tokens.status_code == 200, tokens.text
    assert _claims(tokens.json()["access_token"])["iss"] == issuer
    ostium = deployment.ostium
    [login] = _wait_for_event(ostium, "LOGIN")
    assert f"ip={BROWSER} " in login
    assert f"ip={PROXY} " not in ostium.text()
    assert "198.51.100.66" not in ostium.text()
