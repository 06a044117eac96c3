"""Options as an operator meets them: flags, environment, conf file, errors and the DB URL."""

from __future__ import annotations

import dataclasses
import re
import socket
from pathlib import Path

import pytest

from ostium.config import (
    OPTIONS,
    Config,
    ConfigError,
    check_production,
    database_url,
    display_value,
    help_text,
    load_config,
    option_named,
    unsupported,
)


def write_conf(directory: Path, text: str) -> Path:
    path = directory / "conf" / "ostium.conf"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, mode: str = "prod"
) -> Config:
    assert mode in ("dev", "prod")
    return load_config(args, env or {}, "dev" if mode == "dev" else "prod", cwd=tmp_path)


def error_of(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, *args, env=env)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- defaults and modes -------------------------------------------------------------------


def test_defaults_in_production_mode(tmp_path: Path) -> None:
    config = load(tmp_path)

    assert config.http_port == 8080
    assert config.hostname is None
    assert config.hostname_strict is True
    assert config.http_enabled is False
    assert config.db == "sqlite"
    assert config.cache == "local"
    assert config.features_disabled == []
    assert config.import_realm is False
    assert config.bootstrap_admin_username == "admin"
    assert config.node_name == socket.gethostname()
    assert config.data_dir == tmp_path / "data"
    assert config.config_file is None
    assert config.source_of("http-port") == "default"


def test_development_mode_turns_on_http_and_relaxes_the_hostname(tmp_path: Path) -> None:
    config = load(tmp_path, mode="dev")

    assert config.http_enabled is True
    assert config.hostname_strict is False
    assert config.source_of("http-enabled") == "mode default"


def test_themes_are_cached_in_production_and_reread_in_development(tmp_path: Path) -> None:
    """Keycloak's theme SPI options; start-dev turns both caches off, as Keycloak's dev mode."""
    production, development = load(tmp_path), load(tmp_path, mode="dev")
    assert production.spi_theme_folder_dir is None  # <data-dir>/themes
    assert (production.spi_theme_cache_themes, production.spi_theme_cache_templates) == (True, True)
    assert (development.spi_theme_cache_themes, development.spi_theme_cache_templates) == (
        False,
        False,
    )
    moved = load(tmp_path, "--spi-theme-folder-dir=brand", "--spi-theme-cache-themes=true")
    assert moved.spi_theme_folder_dir == tmp_path / "brand"
    assert moved.spi_theme_cache_themes is True
    # Keycloak 26's newer spelling, SPI, provider and option apart by double dashes.
    newer = load(tmp_path, "--spi-theme--folder--dir=brand2", "--spi-theme--cache-themes=false")
    assert newer.spi_theme_folder_dir == tmp_path / "brand2"
    assert newer.spi_theme_cache_themes is False


def test_an_option_beats_the_mode_default(tmp_path: Path) -> None:
    config = load(tmp_path, "--http-enabled=false", mode="dev")

    assert config.http_enabled is False
    assert config.source_of("http-enabled") == "cli"


# --- precedence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "expected", "source"),
    [
        (["--http-port=3000"], {"OSTIUM_HTTP_PORT": "2000"}, 3000, "cli"),
        ([], {"OSTIUM_HTTP_PORT": "2000"}, 2000, "env"),
        ([], {}, 1000, "conf file"),
    ],
)
def test_command_line_beats_environment_beats_conf_file(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: int, source: str
) -> None:
    write_conf(tmp_path, "http-port=1000\n")

    config = load(tmp_path, *args, env=env)

    assert config.http_port == expected
    assert config.source_of("http-port") == source
    assert config.source_of("hostname") == "default"


def test_conf_file_beats_the_mode_default(tmp_path: Path) -> None:
    write_conf(tmp_path, "http-enabled=false\n")

    config = load(tmp_path, mode="dev")

    assert config.http_enabled is False
    assert config.source_of("http-enabled") == "conf file"


def test_conf_file_allows_comments_blank_lines_and_spaces(tmp_path: Path) -> None:
    path = write_conf(
        tmp_path,
        "# Ostium\n\n  hostname = auth.example.com  \n   # db=postgres\nfeatures-disabled=impersonation, persistent-user-sessions\n",
    )

    config = load(tmp_path)

    assert config.hostname == "auth.example.com"
    assert config.db == "sqlite"
    assert config.features_disabled == ["impersonation", "persistent-user-sessions"]
    assert config.config_file == path


def test_config_file_option_points_elsewhere(tmp_path: Path) -> None:
    write_conf(tmp_path, "http-port=1000\n")
    other = tmp_path / "other.conf"
    other.write_text("http-port=1111\n", encoding="utf-8")

    from_flag = load(tmp_path, "--config-file", "other.conf")
    from_env = load(tmp_path, env={"OSTIUM_CONFIG_FILE": str(other)})

    assert from_flag.http_port == 1111
    assert from_flag.config_file == other
    assert from_env.http_port == 1111


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "--config-file=nope.conf")

    assert message == (
        f"Invalid value for option '--config-file': no such file: {tmp_path / 'nope.conf'}"
    )


def test_unknown_environment_variables_are_ignored(tmp_path: Path) -> None:
    config = load(tmp_path, env={"OSTIUM_TEST_DB_URL": "x", "OSTIUM_HTTP_PROT": "1", "PATH": "/"})

    assert config.http_port == 8080


# --- the two command-line forms and booleans ------------------------------------------------


def test_equals_and_separate_value_forms_agree(tmp_path: Path) -> None:
    joined = load(tmp_path, "--http-port=8181", "--db=postgres", "--hostname=a.example")
    spaced = load(tmp_path, "--http-port", "8181", "--db", "postgres", "--hostname", "a.example")

    assert joined == spaced
    assert spaced.http_port == 8181


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--import-realm"], True),
        (["--import-realm", "--http-port=1"], True),
        (["--import-realm=false"], False),
        (["--import-realm", "false"], False),
        (["--import-realm", "TRUE"], True),
        (["--http-port=1", "--import-realm"], True),
    ],
)
def test_a_boolean_flag_alone_means_true(tmp_path: Path, args: list[str], expected: bool) -> None:
    assert load(tmp_path, *args).import_realm is expected


def test_the_last_occurrence_of_an_option_wins(tmp_path: Path) -> None:
    assert load(tmp_path, "--http-port=1", "--http-port=2").http_port == 2


def test_values_are_typed(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--data-dir=/srv/ostium",
        "--https-certificate-file=tls/cert.pem",
        "--https-certificate-key-file=tls/key.pem",
        "--features-disabled=impersonation,Token-Exchange:v1",
        "--proxy-trusted-addresses=",
        "--db=dev-file",
        "--log-level=INFO,ostium.protocol:DEBUG",
    )

    assert config.data_dir == Path("/srv/ostium")
    assert config.https_certificate_file == tmp_path / "tls" / "cert.pem"
    assert config.features_disabled == ["impersonation", "token-exchange"]
    assert config.proxy_trusted_addresses == []
    assert config.db == "sqlite"
    assert config.log_level == "info,ostium.protocol:debug"


def test_an_empty_value_unsets_an_optional_option(tmp_path: Path) -> None:
    write_conf(tmp_path, "hostname=auth.example.com\n")

    assert load(tmp_path, env={"OSTIUM_HOSTNAME": ""}).hostname is None


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--http-port=abc"], "Invalid value for option '--http-port': 'abc' is not an integer"),
        (["--http-port", "70000"], "Invalid value for option '--http-port': '70000' is not a port number (0-65535)"),
        (["--db=mysql"], "Invalid value for option '--db': 'mysql'; expected one of: sqlite, postgres"),
        (["--cache=ispn"], "Invalid value for option '--cache': 'ispn'; expected one of: local, redis"),
        (["--health-enabled=yes"], "Invalid value for option '--health-enabled': 'yes' is not a boolean; expected true or false"),
        (["--log-level=verbose"], "Invalid value for option '--log-level': 'verbose' is not a log level; expected one of: off, fatal, error, warn, warning, info, debug, trace, all"),
        (["--log-level=info,org.x:loud"], "Invalid value for option '--log-level': 'loud' is not a log level; expected one of: off, fatal, error, warn, warning, info, debug, trace, all"),
        (["--log-level=info,debug"], "Invalid value for option '--log-level': 'info,debug' sets the root level twice"),
        (["--hostname=https://"], "Invalid value for option '--hostname': 'https://' is not a host name or an http(s) URL"),
        (["--hostname=auth.example.com/x"], "Invalid value for option '--hostname': 'auth.example.com/x' is not a host name; give a full URL to set a scheme, port or path"),
        (["--http-relative-path=auth"], "Invalid value for option '--http-relative-path': 'auth' does not start with '/'"),
        (["--proxy-trusted-addresses=10.0.0.0/8,proxy"], "Invalid value for option '--proxy-trusted-addresses': 'proxy' is not an IP address or CIDR range"),
        (["--db-url=mysql://u:pw@h/db"], "Invalid value for option '--db-url': 'mysql://u:*******@h/db' is not a PostgreSQL or SQLite URL (postgresql://…, jdbc:postgresql://…, sqlite:///…)"),
        (["--bootstrap-admin-username="], "Invalid value for option '--bootstrap-admin-username': the value is empty"),
        (["--http-port"], "Missing value for option '--http-port'"),
        (["--http-port", "--db=sqlite"], "Missing value for option '--http-port'"),
        (["start"], "Unexpected argument: 'start'; options look like --name=value"),
        (["--http-prot=8080"], "Unknown option: '--http-prot' (did you mean '--http-port'?)"),
        (["--frobnicate"], "Unknown option: '--frobnicate'"),
        (["--https-certificate-file=c.pem"], "Missing option '--https-certificate-key-file': it is needed together with --https-certificate-file"),
        (["--features=impersonation", "--features-disabled=token-exchange,impersonation:v1"], "Invalid value for option '--features-disabled': 'impersonation' is also in --features"),
    ],
)  # fmt: skip
def test_each_error_is_one_line_naming_the_option(
    tmp_path: Path, args: list[str], message: str
) -> None:
    assert error_of(tmp_path, *args) == message


def test_an_environment_error_says_which_variable(tmp_path: Path) -> None:
    message = error_of(tmp_path, env={"OSTIUM_HTTP_PORT": "eighty"})

    assert message == (
        "Invalid value for option '--http-port' (from OSTIUM_HTTP_PORT): 'eighty' is not an integer"
    )


def test_a_conf_file_error_says_which_file_and_line(tmp_path: Path) -> None:
    path = write_conf(tmp_path, "# comment\nhttp-port=eighty\n")

    message = error_of(tmp_path)

    assert message == (
        f"Invalid value for option '--http-port' (from {path} line 2): 'eighty' is not an integer"
    )


def test_an_unknown_key_in_the_conf_file_is_an_error(tmp_path: Path) -> None:
    path = write_conf(tmp_path, "\nhttp-prot=8080\n")

    assert (
        error_of(tmp_path)
        == f"Unknown option 'http-prot' in {path} line 2 (did you mean 'http-port'?)"
    )


def test_a_conf_line_without_equals_is_an_error(tmp_path: Path) -> None:
    path = write_conf(tmp_path, "hostname auth.example.com\n")

    assert error_of(tmp_path) == f"Invalid line in {path} line 1: expected name=value"


def test_the_conf_file_cannot_name_another_conf_file(tmp_path: Path) -> None:
    path = write_conf(tmp_path, "config-file=other.conf\n")

    assert error_of(tmp_path) == (
        f"Option 'config-file' cannot be set in {path} line 1;"
        " use --config-file or OSTIUM_CONFIG_FILE"
    )


def test_a_value_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "--http-port=80\nERROR: forged")

    assert (
        message == "Invalid value for option '--http-port': '80\\nERROR: forged' is not an integer"
    )


# --- production checks --------------------------------------------------------------------


def test_production_refuses_to_start_without_a_hostname(tmp_path: Path) -> None:
    config = load(tmp_path, "--http-enabled=true")

    with pytest.raises(ConfigError) as caught:
        check_production(config)

    assert str(caught.value).startswith("Missing option '--hostname'")
    assert str(caught.value).endswith("set --hostname=<host> or --hostname-strict=false")


def test_production_refuses_plain_http_without_a_proxy(tmp_path: Path) -> None:
    config = load(tmp_path, "--hostname=auth.example.com")

    with pytest.raises(ConfigError) as caught:
        check_production(config)

    assert str(caught.value).startswith("Missing option '--https-certificate-file'")
    assert str(caught.value).endswith(
        "set --https-certificate-file and --https-certificate-key-file,"
        " or --http-enabled=true behind a TLS-terminating proxy"
    )


def test_production_checks_that_the_certificate_files_exist(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("x", encoding="utf-8")
    config = load(
        tmp_path,
        "--hostname=auth.example.com",
        "--https-certificate-file=cert.pem",
        "--https-certificate-key-file=key.pem",
    )

    with pytest.raises(ConfigError) as caught:
        check_production(config)

    assert str(caught.value) == (
        f"Invalid value for option '--https-certificate-key-file': no such file: {tmp_path / 'key.pem'}"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--hostname=auth.example.com", "--http-enabled=true"],
        ["--hostname-strict=false", "--http-enabled=true"],
    ],
)
def test_production_accepts_a_safe_set_up(tmp_path: Path, args: list[str]) -> None:
    check_production(load(tmp_path, *args))


# --- database URL -------------------------------------------------------------------------


def test_sqlite_lives_in_the_data_directory(tmp_path: Path) -> None:
    config = load(tmp_path, "--data-dir=state")

    assert database_url(config) == f"sqlite+aiosqlite:///{tmp_path}/state/ostium.db"


def test_a_sqlite_url_is_made_async(tmp_path: Path) -> None:
    config = load(tmp_path, "--db-url=sqlite:////var/lib/ostium.db")

    assert database_url(config) == "sqlite+aiosqlite:////var/lib/ostium.db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("jdbc:postgresql://db.internal:5432/keycloak", "postgresql+asyncpg://db.internal:5432/keycloak"),
        ("jdbc:postgresql://db/kc?user=kc&password=p%40ss&sslmode=require", "postgresql+asyncpg://kc:p%40ss@db/kc?ssl=require"),
        ("jdbc:postgresql://db/kc?ssl=true", "postgresql+asyncpg://db/kc?ssl=verify-full"),
        ("postgresql://kc:pw@db:5433/kc", "postgresql+asyncpg://kc:pw@db:5433/kc"),
        ("postgres://kc@db/kc?sslmode=verify-full", "postgresql+asyncpg://kc@db/kc?ssl=verify-full"),
        ("postgresql+asyncpg://kc@[::1]:5432/kc", "postgresql+asyncpg://kc@[::1]:5432/kc"),
    ],
)  # fmt: skip
def test_postgres_urls_become_asyncpg_urls(tmp_path: Path, url: str, expected: str) -> None:
    config = load(tmp_path, "--db=postgres", f"--db-url={url}")

    assert database_url(config) == expected


def test_username_and_password_options_override_the_url_and_are_escaped(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--db=postgres",
        "--db-url=jdbc:postgresql://db:5432/kc?user=old&password=old",
        "--db-username=key cloak",
        env={"OSTIUM_DB_PASSWORD": "p@ss:w/rd?#%"},
    )

    assert (
        database_url(config)
        == "postgresql+asyncpg://key%20cloak:p%40ss%3Aw%2Frd%3F%23%25@db:5432/kc"
    )


def test_a_password_alone_keeps_the_url_user(tmp_path: Path) -> None:
    config = load(
        tmp_path, "--db=postgres", "--db-url=postgresql://kc@db/kc", "--db-password=s3cret"
    )

    assert database_url(config) == "postgresql+asyncpg://kc:s3cret@db/kc"


def test_postgres_url_from_host_port_and_database(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--db=postgres",
        "--db-url-host=db.internal",
        "--db-url-port=6432",
        "--db-username=ostium",
        "--db-password=pw",
    )
    named = load(tmp_path, "--db=postgres", "--db-url-host=db.internal", "--db-url-database=idp")

    assert database_url(config) == "postgresql+asyncpg://ostium:pw@db.internal:6432/ostium"
    assert database_url(named) == "postgresql+asyncpg://db.internal:5432/idp"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db=postgres"], "Missing option '--db-url': --db=postgres needs --db-url or --db-url-host"),
        (["--db-url=postgresql://u:pw@db/kc"], "Invalid value for option '--db-url': 'postgresql://u:*******@db/kc' is a PostgreSQL URL but --db is sqlite; set --db=postgres"),
        (["--db=postgres", "--db-url=sqlite:///x.db"], "Invalid value for option '--db-url': 'sqlite:///x.db' is a SQLite URL but --db is postgres; set --db=sqlite"),
        (["--db=postgres", "--db-url=jdbc:postgresql://db/kc?currentSchema=kc"], "Invalid value for option '--db-url': the JDBC parameter 'currentSchema' is not supported; supported: user, password, ssl, sslmode"),
        (["--db=postgres", "--db-url=postgresql://db:port/kc"], "Invalid value for option '--db-url': 'postgresql://db:port/kc' has no valid host"),
    ],
)  # fmt: skip
def test_database_url_errors_name_the_option(tmp_path: Path, args: list[str], message: str) -> None:
    config = load(tmp_path, *args)

    with pytest.raises(ConfigError) as caught:
        database_url(config)

    assert str(caught.value) == message


# --- display, help and the registry itself ------------------------------------------------


def test_secrets_are_masked_for_display_and_repr(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--db-password=hunter2",
        "--bootstrap-admin-password=letmein",
        "--db-url=jdbc:postgresql://db/kc?user=kc&password=topsecret",
    )

    assert display_value(config, "db-password") == "*******"
    assert display_value(config, "bootstrap-admin-password") == "*******"
    assert display_value(config, "db-url") == "jdbc:postgresql://db/kc?user=kc&password=*******"
    assert display_value(config, "db-username") == "<unset>"
    for secret in ("hunter2", "letmein", "topsecret"):
        assert secret not in repr(config)


def test_help_lists_every_option_with_its_environment_variable(tmp_path: Path) -> None:
    text = help_text("prod")

    assert text.startswith("Usage: ostium start [OPTIONS]")
    for option in OPTIONS:
        assert f"  --{option.name} " in text
        assert option.env_var in text
    assert "HTTP(S):" in text
    assert "--db <sqlite|postgres>" in text
    assert "Default: 8080." in text
    assert "OSTIUM_HTTP_PORT" in text


def test_help_shows_the_defaults_of_its_mode() -> None:
    dev = help_text("dev")
    prod = help_text("prod")

    assert dev.startswith("Usage: ostium start-dev [OPTIONS]")
    assert "Default: true (in development mode)." in dev
    assert "(in development mode)" not in prod


def test_every_config_field_is_a_documented_option() -> None:
    names = {option.attribute for option in OPTIONS}
    fields = {f.name for f in dataclasses.fields(Config) if not f.name.startswith("_")}

    assert names == fields
    for option in OPTIONS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", option.name)
        assert option.description.endswith("."), option.name
        assert option.env_var == "OSTIUM_" + option.attribute.upper()


def test_options_are_found_by_any_spelling() -> None:
    assert option_named("--http-port") is option_named("http_port") is option_named("http-port")
    with pytest.raises(KeyError):
        option_named("http-prot")
    with pytest.raises(KeyError):
        Config().source_of("http-prot")


# --- caches and clustering ------------------------------------------------------------------


def test_cache_sizes_default_to_keycloaks_and_can_be_raised(tmp_path: Path) -> None:
    config = load(tmp_path, "--cache-embedded-offline-sessions-max-count=1000")
    assert config.cache_embedded_offline_sessions_max_count == 1000
    assert config.cache_embedded_sessions_max_count == 10000
    assert config.cache_embedded_keys_max_count == 1000
    assert config.cache == "local"


@pytest.mark.parametrize(
    ("name", "cache"),
    [
        ("action-tokens", "actionTokens"),
        ("authentication-sessions", "authenticationSessions"),
        ("login-failures", "loginFailures"),
        ("work", "work"),
    ],
)
def test_caches_that_must_not_be_bounded_refuse_a_max_count(
    tmp_path: Path, name: str, cache: str
) -> None:
    expected = f"the {cache} cache must not be bounded, or live entries would be evicted"
    assert error_of(tmp_path, f"--cache-embedded-{name}-max-count=100").endswith(expected)
    env = {f"OSTIUM_CACHE_EMBEDDED_{name.upper().replace('-', '_')}_MAX_COUNT": "100"}
    assert expected in error_of(tmp_path, env=env)
    write_conf(tmp_path, f"cache-embedded-{name}-max-count=100\n")
    assert expected in error_of(tmp_path)


def test_a_cache_bound_must_be_positive(tmp_path: Path) -> None:
    assert error_of(tmp_path, "--cache-embedded-sessions-max-count=0") == (
        "Invalid value for option '--cache-embedded-sessions-max-count': 0 is not a positive number"
    )


def test_redis_needs_a_host(tmp_path: Path) -> None:
    assert error_of(tmp_path, "--cache=redis") == (
        "Missing option '--cache-remote-host': --cache=redis needs the Redis server's address"
    )
    config = load(
        tmp_path,
        "--cache=redis",
        "--cache-remote-host=redis.example.com",
        "--cache-remote-password=pw",
    )
    assert config.cache_remote_port == 6379
    assert display_value(config, "cache-remote-password") == "*******"


def test_the_sticky_route_option_has_keycloaks_name_and_a_short_one(tmp_path: Path) -> None:
    keycloak = "--spi-sticky-session-encoder-infinispan-should-attach-route=false"
    assert (
        load(tmp_path, keycloak).spi_sticky_session_encoder_infinispan_should_attach_route is False
    )
    short = load(tmp_path, "--sticky-session-attach-route=false")
    assert short.spi_sticky_session_encoder_infinispan_should_attach_route is False
    env = load(tmp_path, env={"OSTIUM_STICKY_SESSION_ATTACH_ROUTE": "false"})
    assert env.spi_sticky_session_encoder_infinispan_should_attach_route is False
    assert load(tmp_path).spi_sticky_session_encoder_infinispan_should_attach_route is True


def test_cache_only_sessions_cannot_be_bounded(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        "--features-disabled=persistent-user-sessions",
        "--cache-embedded-sessions-max-count=100",
    )
    assert message == (
        "Option '--cache-embedded-sessions-max-count' cannot be set with"
        " persistent-user-sessions disabled: the cache then holds the only copy of the sessions"
    )
    load(tmp_path, "--features-disabled=persistent-user-sessions")  # unbounded: fine


# --- options not supported yet: refused by name, their default accepted -------------------
# Every option acts today; the mechanism is shown with an option entered for the test.


@pytest.fixture
def hostname_debug_not_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(unsupported, "NOT_SUPPORTED_YET", {"hostname-debug": "leave it off"})


@pytest.mark.usefixtures("hostname_debug_not_supported")
def test_an_option_not_supported_yet_is_refused_by_name(tmp_path: Path) -> None:
    assert error_of(tmp_path, "--hostname-debug") == (
        "--hostname-debug=true is not supported yet (leave it off)"
    )


@pytest.mark.usefixtures("hostname_debug_not_supported")
def test_an_option_not_supported_yet_is_refused_from_env_and_conf_file(tmp_path: Path) -> None:
    from_env = error_of(tmp_path, env={"OSTIUM_HOSTNAME_DEBUG": "true"})
    path = write_conf(tmp_path, "hostname-debug=true\n")
    from_conf = error_of(tmp_path)

    assert from_env.startswith(
        "--hostname-debug=true (from OSTIUM_HOSTNAME_DEBUG) is not supported yet"
    )
    assert from_conf.startswith(f"--hostname-debug=true (from {path} line 1) is not supported yet")


@pytest.mark.usefixtures("hostname_debug_not_supported")
def test_the_default_of_an_option_not_supported_yet_is_accepted(tmp_path: Path) -> None:
    assert load(tmp_path, "--hostname-debug=false").hostname_debug is False


# --- proxy options ------------------------------------------------------------------------


def test_proxy_protocol_cannot_be_combined_with_proxy_headers(tmp_path: Path) -> None:
    assert error_of(tmp_path, "--proxy-protocol-enabled=true", "--proxy-headers=xforwarded") == (
        "Option '--proxy-protocol-enabled' cannot be enabled when --proxy-headers is used"
    )


def test_proxy_protocol_is_accepted_with_https_and_client_certificates(tmp_path: Path) -> None:
    # The header comes in clear before the TLS handshake, as Keycloak accepts it.
    config = load(
        tmp_path,
        "--proxy-protocol-enabled=true",
        "--https-certificate-file=c.pem",
        "--https-certificate-key-file=k.pem",
        "--https-client-auth=required",
        "--truststore-paths=cas.pem",
    )

    assert config.proxy_protocol_enabled is True
    assert config.https_client_auth == "required"


def test_proxy_protocol_is_read(tmp_path: Path) -> None:
    assert load(tmp_path, "--proxy-protocol-enabled=true").proxy_protocol_enabled is True


def test_proxy_headers_and_trusted_addresses_are_read(tmp_path: Path) -> None:
    config = load(tmp_path, "--proxy-headers=forwarded", "--proxy-trusted-addresses=10.0.0.0/8,::1")

    assert config.proxy_headers == "forwarded"
    assert config.proxy_trusted_addresses == ["10.0.0.0/8", "::1"]


def test_proxy_trusted_addresses_without_proxy_headers_is_refused(tmp_path: Path) -> None:
    assert error_of(tmp_path, "--proxy-trusted-addresses=10.0.0.0/8") == (
        "Option '--proxy-trusted-addresses' is available only when --proxy-headers is set"
    )


def test_the_proxy_options_defaults_are_accepted(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--http-relative-path=/",
        "--proxy-headers=",
        "--proxy-trusted-addresses=",
        "--proxy-protocol-enabled=false",
    )

    assert config.http_relative_path == "/"
    assert config.proxy_headers is None
    assert config.proxy_trusted_addresses == []
    assert config.proxy_protocol_enabled is False


def test_a_relative_path_is_accepted(tmp_path: Path) -> None:
    assert load(tmp_path, "--http-relative-path=/auth").http_relative_path == "/auth"


# --- features -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--features=token-exchange"], "Invalid value for option '--features': 'token-exchange' is Keycloak's legacy token exchange (a v1 preview) and is not supported; the standard token exchange is token-exchange-standard, which is not supported yet either"),
        (["--features=token-exchange:v1"], "Invalid value for option '--features': 'token-exchange' is Keycloak's legacy token exchange (a v1 preview) and is not supported; the standard token exchange is token-exchange-standard, which is not supported yet either"),
        (["--features=token-exchange-standard"], "Invalid value for option '--features': 'token-exchange-standard' is not supported yet (RFC 8693 token exchange)"),
        (["--features=preview"], "Invalid value for option '--features': 'preview' is not a feature Ostium has; it has: impersonation, persistent-user-sessions"),
        (["--features-disabled=admin-fine-grained-authz"], "Invalid value for option '--features-disabled': 'admin-fine-grained-authz' is not a feature Ostium has; it has: impersonation, persistent-user-sessions"),
        (["--features=impersonation:v2"], "Invalid value for option '--features': 'impersonation:v2': Ostium has impersonation in version v1 only"),
        (["--features=imp_ersonation"], "Invalid value for option '--features': 'imp_ersonation' is not a feature name (such as impersonation or impersonation:v1)"),
    ],
)  # fmt: skip
def test_a_feature_ostium_lacks_is_refused_by_name(
    tmp_path: Path, args: list[str], message: str
) -> None:
    assert error_of(tmp_path, *args) == message


def test_features_are_read_by_name_without_version(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--features=Impersonation:v1",
        "--features-disabled=persistent-user-sessions:v1,token-exchange,token-exchange-standard",
    )

    assert config.features == ["impersonation"]
    # Off is what Ostium gives for the features it lacks: disabling them is accepted.
    assert config.features_disabled == [
        "persistent-user-sessions",
        "token-exchange",
        "token-exchange-standard",
    ]


# --- log categories -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "category", ["org.keycloak.events", "org.hibernate", "io.quarkus", "com.arjuna"]
)
def test_a_java_category_other_than_org_keycloak_is_refused(tmp_path: Path, category: str) -> None:
    message = error_of(tmp_path, f"--log-level=info,{category}:debug")

    assert message == (
        f"Invalid value for option '--log-level': the category {category!r} is Keycloak's"
        " (Java) and not supported; categories are Python logger names such as ostium,"
        " ostium.web, uvicorn or sqlalchemy.engine, and org.keycloak stands for ostium"
    )


def test_python_logger_names_and_org_keycloak_are_categories(tmp_path: Path) -> None:
    config = load(tmp_path, "--log-level=WARN,org.keycloak:debug,sqlalchemy.engine:info")

    assert config.log_level == "warn,org.keycloak:debug,sqlalchemy.engine:info"


# --- HTTPS client certificates ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--https-client-auth=request"], "Option '--https-client-auth=request' needs HTTPS: set --https-certificate-file and --https-certificate-key-file"),
        (["--https-client-auth=required", "--https-certificate-file=c.pem", "--https-certificate-key-file=k.pem"], "Option '--https-client-auth=required' needs the CAs to verify client certificates: set --truststore-paths or --https-trust-store-file"),
        (["--https-trust-store-file=cas.jks"], "--https-trust-store-type=jks is not supported yet (convert the store to PKCS#12: keytool -importkeystore -deststoretype pkcs12)"),
        (["--https-trust-store-file=cas.bin"], "Option '--https-trust-store-type' is needed: the type of cas.bin cannot be told from its extension"),
        (["--https-trust-store-file=cas.bin", "--https-trust-store-type=bcfks"], "--https-trust-store-type=bcfks is not supported yet (convert the store to PKCS#12: keytool -importkeystore -deststoretype pkcs12)"),
        (["--https-client-auth=sometimes"], "Invalid value for option '--https-client-auth': 'sometimes'; expected one of: none, request, required"),
    ],
)  # fmt: skip
def test_https_client_auth_needs_https_and_a_trust_store(
    tmp_path: Path, args: list[str], message: str
) -> None:
    assert error_of(tmp_path, *args) == message


def test_https_client_auth_with_a_pkcs12_trust_store_is_read(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "--https-client-auth=request",
        "--https-certificate-file=c.pem",
        "--https-certificate-key-file=k.pem",
        "--https-trust-store-file=cas.p12",
        "--https-trust-store-password=secret",
    )

    assert config.https_client_auth == "request"
    assert config.https_trust_store_file == tmp_path / "cas.p12"
    assert config.https_trust_store_password == "secret"


def test_the_management_relative_path_is_read_and_checked(tmp_path: Path) -> None:
    assert load(tmp_path).http_management_relative_path is None
    config = load(tmp_path, "--http-management-relative-path=/mgmt")
    assert config.http_management_relative_path == "/mgmt"
    assert error_of(tmp_path, "--http-management-relative-path=mgmt").startswith(
        "Invalid value for option '--http-management-relative-path'"
    )


def test_the_themes_folder_defaults_to_the_data_directory(tmp_path: Path) -> None:
    from ostium.server import _theme_folder

    config = load(tmp_path, mode="dev")
    folder = _theme_folder(config, config.data_dir)
    assert folder.folder == config.data_dir / "themes"
    assert folder.cache_themes is False
    moved = load(tmp_path, "--spi-theme-folder-dir=/srv/themes")
    assert _theme_folder(moved, moved.data_dir).folder == Path("/srv/themes")
