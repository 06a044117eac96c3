"""Hostname v2 options: the combinations Keycloak refuses, refused at start-up by name."""

from __future__ import annotations

from pathlib import Path

from ostium.config import check_production
from tests.unit.test_config import error_of, load


def test_a_dynamic_back_channel_needs_a_full_frontend_url(tmp_path: Path) -> None:
    expected = (
        "Invalid value for option '--hostname-backchannel-dynamic': it needs --hostname as a"
        " full URL (https://auth.example.com), the frontend the issuer stays on"
    )
    assert error_of(tmp_path, "--hostname-backchannel-dynamic=true") == expected
    assert (
        error_of(tmp_path, "--hostname=auth.example.com", "--hostname-backchannel-dynamic=true")
        == expected
    )


def test_an_admin_url_must_be_a_full_url_next_to_a_hostname(tmp_path: Path) -> None:
    assert error_of(
        tmp_path, "--hostname=auth.example.com", "--hostname-admin=admin.example.com"
    ) == (
        "Invalid value for option '--hostname-admin': 'admin.example.com' is not a full URL"
        " (such as https://admin.example.com:8443)"
    )
    assert error_of(tmp_path, "--hostname-admin=https://admin.example.com") == (
        "Missing option '--hostname': --hostname-admin needs the frontend URL too"
    )


def test_the_hostname_v2_options_load(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--hostname=https://auth.example.com/sso",
        "--hostname-admin=https://admin.example.com:8443",
        "--hostname-backchannel-dynamic=true",
        "--hostname-debug=true",
        "--http-enabled=true",
    )
    check_production(config)

    assert config.hostname == "https://auth.example.com/sso"
    assert config.hostname_admin == "https://admin.example.com:8443"
    assert config.hostname_backchannel_dynamic is True
    assert config.hostname_debug is True


def test_production_without_a_hostname_starts_when_not_strict(tmp_path: Path) -> None:
    check_production(load(tmp_path, "--hostname-strict=false", "--http-enabled=true"))
