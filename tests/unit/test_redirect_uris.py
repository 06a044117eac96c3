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
    assert client.is_valid_redirect_uri("https://app.example/cb")
    assert not client.is_valid_redirect_uri("/cb")


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
