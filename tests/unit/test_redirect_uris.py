"""Redirect-URI matching: exact, or Keycloak's single trailing wildcard, nothing else."""

from __future__ import annotations

import pytest

from ostium.domain import Client, redirect_uri_matches
from ostium.domain.client import wildcard_origin


@pytest.mark.parametrize(
    ("pattern", "uri", "expected"),
    [
        ("https://app/cb", "https://app/cb", True),
        ("https://app/cb", "https://app/cb/", False),
        ("https://app/cb", "https://APP/cb", False),
        ("https://app/cb", "https://app/cb?x=1", False),
        ("https://app/cb", "https://app/cb#frag", False),
        ("https://app/*", "https://app/anything/deep", True),
        ("https://app/*", "https://app.evil/x", False),
        ("https://app/*", "https://app/x#frag", False),
        ("https://app/a*b", "https://app/aXb", False),  # only a trailing wildcard counts
        ("https://*.app/cb", "https://x.app/cb", False),
        ("*", "https://anything/", True),
        ("*", "javascript:alert(1)", False),
    ],
)
def test_matching(pattern: str, uri: str, expected: bool) -> None:
    assert redirect_uri_matches(pattern, uri) is expected


HOST_WILDCARD = "https://app.example.com*"


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com.evil.com/",  # another host that starts with the pattern
        "https://app.example.com.evil.com",
        "https://app.example.com@evil.com/",  # user-info: the browser goes to evil.com
        "https://app.example.com:443@evil.com/",
        "https://app.example.com%2F@evil.com/",
        "https://app.example.com%2F.evil.com/",
        "https://app.example.com\\@evil.com/",  # a backslash in the authority
        "https://app.example.com\\.evil.com/",
        "https://app.example.com:8443/cb",  # another port is another origin
        "https://app.example.com:443/cb",  # the port as registered: none written
        "https://app.example.com:abc/cb",  # an authority that does not parse
        "https://app.example.com:/cb",
        "https://app.example.comx/",
        "https://app.example.com-evil.com/",
        "http://app.example.com/cb",  # another scheme
        "https://app.example.com/cb#frag",
        "https://app.example.com/a/../../evil",
        "https://app.example.com/a/%2e%2e/evil",
        "https://app.example.com/cb\t",
        "javascript://app.example.com/%0aalert(1)",
    ],
)
def test_a_wildcard_never_crosses_the_registered_host(uri: str) -> None:
    assert redirect_uri_matches(HOST_WILDCARD, uri) is False


@pytest.mark.parametrize(
    ("pattern", "uri"),
    [
        ("https://app/*", "https://user@app/x"),  # user-info refused, as Keycloak
        ("https://app/*", "https://user:pw@app/x"),
        ("https://app/*", "https://app@evil/x"),
        ("https://app/*", "https://app/a/..%2f..%2fx"),
        ("https://app/*", "https://app/a/%5c..%5cx"),
        ("https://app/*", "https://app/a\\..\\x"),
        ("https://app/*", "https://app/%2e%2e"),
        ("https://app/*", "https://app:99999/x"),
        ("https://app/*", "https://[::1/x"),
        ("https://app/*", "https://app /x"),
        ("https://app/cb*", "https://app/cb x"),
        ("https://app/cb?x=*", "https://app/cb?x=1"),  # a query: never a wildcard
        ("https://app:*", "https://app/x"),  # a port wildcard wants a port
        ("https://app:*", "https://app.evil:8080/x"),
        ("https://app:*", "https://app:8080@evil/x"),
    ],
)
def test_a_wildcard_needs_a_clean_uri(pattern: str, uri: str) -> None:
    assert redirect_uri_matches(pattern, uri) is False


@pytest.mark.parametrize(
    ("pattern", "uri"),
    [
        (HOST_WILDCARD, "https://app.example.com"),
        (HOST_WILDCARD, "https://app.example.com/"),
        (HOST_WILDCARD, "https://app.example.com/any/path?x=1"),
        (HOST_WILDCARD, "https://APP.example.com/cb"),  # host names compare without case
        (HOST_WILDCARD, "https://app.example.com?x=1"),
        ("https://app/cb*", "https://app/cb-other/x"),
        ("https://app:*", "https://app:8443/x"),
        ("http://[::1]:8080/*", "http://[::1]:8080/cb"),
        ("myapp:/callback*", "myapp:/callback/x"),
        ("myapp:*", "myapp:anything"),
        ("https://app/cb?x=1", "https://app/cb?x=1"),
    ],
)
def test_a_wildcard_extends_the_path_of_its_origin(pattern: str, uri: str) -> None:
    assert redirect_uri_matches(pattern, uri) is True


def test_which_patterns_hold_a_wildcard_inside_the_host() -> None:
    assert wildcard_origin(HOST_WILDCARD) == "https://app.example.com"
    assert wildcard_origin("https://app.example.com:8443*") == "https://app.example.com:8443"
    for pattern in ("https://app/*", "https://app/cb*", "https://app:*", "*", "https://app/cb"):
        assert wildcard_origin(pattern) is None, pattern


def test_relative_redirect_uris_resolve_against_root_url() -> None:
    client = Client("id", "realm", "app", root_url="https://app.example", redirect_uris=["/cb"])
    base = "http://localhost:8080"
    for refused in ("/cb", "http://localhost:8080/cb", "https://app.example/cb/x", "//cb"):
        assert not client.is_valid_redirect_uri(refused, base_url=base), refused
    assert client.is_valid_redirect_uri("https://app.example/cb", base_url=base)


ACCOUNT = ["/realms/master/account/*"]


@pytest.mark.parametrize("root_url", ["${authBaseUrl}", "${authAdminUrl}"])
def test_placeholder_root_url_stands_for_the_servers_frontend_url(root_url: str) -> None:
    """Keycloak's built-in clients: rootUrl `${authBaseUrl}`, relative redirect URIs."""
    client = Client("id", "realm", "account-console", root_url=root_url, redirect_uris=ACCOUNT)
    base = "http://host:8080"
    for refused in (
        "/realms/master/account/",
        "http://evil:8080/realms/master/account/",
        "http://host:8081/realms/master/account/",
        "https://host:8080/realms/master/account/",
        "http://host:8080/realms/other/account/",
        "http://host:8080/realms/master/accountx",
        "http://host:8080${authBaseUrl}/realms/master/account/",
    ):
        assert not client.is_valid_redirect_uri(refused, base_url=base), refused
    assert client.is_valid_redirect_uri("http://host:8080/realms/master/account/", base_url=base)
    assert (
        client.is_valid_redirect_uri(
            "http://host:8080/realms/master/account/#/security", base_url=base
        )
        is False
    )  # no fragment (RFC 6749 §3.1.2)
    assert client.is_valid_redirect_uri(
        "http://host:8080/realms/master/account/applications", base_url=base
    )


def test_placeholder_keeps_the_frontend_urls_path() -> None:
    """`${authBaseUrl}` is the whole frontend URL, a path behind a proxy included."""
    client = Client("id", "r", "account", root_url="${authBaseUrl}", redirect_uris=ACCOUNT)
    base = "https://sso.example/auth"
    assert not client.is_valid_redirect_uri(
        "https://sso.example/realms/master/account/", base_url=base
    )
    assert client.is_valid_redirect_uri(
        "https://sso.example/auth/realms/master/account/", base_url=base
    )


def test_no_root_url_resolves_against_the_requests_origin() -> None:
    """Keycloak: without rootUrl the request's scheme, host and port, not its path."""
    client = Client("id", "r", "app", redirect_uris=ACCOUNT)
    assert not client.is_valid_redirect_uri("http://host:8080/realms/master/account/")
    for refused in (
        "http://other:8080/realms/master/account/",
        "https://sso.example/auth/realms/master/account/",
    ):
        assert not client.is_valid_redirect_uri(refused, base_url="https://sso.example/auth")
    assert client.is_valid_redirect_uri(
        "https://sso.example/realms/master/account/", base_url="https://sso.example/auth"
    )
    assert client.is_valid_redirect_uri(
        "http://host:8080/realms/master/account/", base_url="http://host:8080"
    )


def test_post_logout_plus_takes_the_relative_redirect_uris_resolved() -> None:
    client = Client(
        "id",
        "r",
        "account-console",
        root_url="${authBaseUrl}",
        redirect_uris=ACCOUNT,
        attributes={"post.logout.redirect.uris": "+"},
    )
    base = "http://host:8080"
    assert not client.is_valid_post_logout_redirect_uri("/realms/master/account/", base_url=base)
    assert not client.is_valid_post_logout_redirect_uri(
        "http://evil/realms/master/account/", base_url=base
    )
    assert client.is_valid_post_logout_redirect_uri(
        "http://host:8080/realms/master/account/", base_url=base
    )


def test_post_logout_redirect_uris_plus_means_redirect_uris() -> None:
    client = Client(
        "id",
        "realm",
        "app",
        redirect_uris=["https://app/cb", "https://app/other/*"],
        attributes={"post.logout.redirect.uris": "+"},
    )
    assert client.is_valid_post_logout_redirect_uri("https://app/cb")
    assert client.is_valid_post_logout_redirect_uri("https://app/other/page")
    assert not client.is_valid_post_logout_redirect_uri("https://evil/")


def test_post_logout_redirect_uris_are_double_hash_separated() -> None:
    client = Client(
        "id",
        "realm",
        "app",
        redirect_uris=["https://app/cb"],
        attributes={"post.logout.redirect.uris": "https://app/bye##+##https://app/later/*"},
    )
    assert client.is_valid_post_logout_redirect_uri("https://app/bye")
    assert client.is_valid_post_logout_redirect_uri("https://app/cb")
    assert client.is_valid_post_logout_redirect_uri("https://app/later/x")
    assert not client.is_valid_post_logout_redirect_uri("https://app/byebye")


def test_no_post_logout_redirect_uris_by_default() -> None:
    client = Client("id", "realm", "app", redirect_uris=["https://app/cb"])
    assert not client.is_valid_post_logout_redirect_uri("https://app/cb")
