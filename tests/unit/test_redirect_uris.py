"""Redirect-URI matching: exact, or Keycloak's single trailing wildcard, nothing else."""

from __future__ import annotations

import pytest

from ostium.domain import Client, redirect_uri_matches


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
