"""How a configuration is resolved from its sources: the command line, the environment, the
conf file, then the defaults.

Each option can be given as a command-line flag (``--http-port=8080``), an environment variable
(``OSTIUM_HTTP_PORT``) or a line of ``conf/ostium.conf`` (``http-port=8080``); the command line
wins over the environment, which wins over the conf file, which wins over the defaults.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ostium.config.declare import BadValue, ConfigError
from ostium.config.registry import (
    BY_NAME,
    ENV_PREFIX,
    MODE_DEFAULTS,
    OPTIONS,
    Config,
    Mode,
    Option,
    Source,
    option_named,
)
from ostium.config.unsupported import refuse_unsupported

__all__ = ["DEFAULT_CONFIG_FILE", "check_production", "load_config"]

DEFAULT_CONFIG_FILE = Path("conf", "ostium.conf")


# Other spellings of an option's name: Ostium's short one for a long Keycloak name.
_NAME_ALIASES: Mapping[str, str] = {
    "sticky-session-attach-route": "spi-sticky-session-encoder-infinispan-should-attach-route",
}

# Caches whose entries must never be evicted while alive: bounding them would lose logins
# in progress, lockouts or single-use marks. Keycloak refuses a bound on them too.
_UNBOUNDED_CACHES: Mapping[str, str] = {
    "action-tokens": "actionTokens",
    "authentication-sessions": "authenticationSessions",
    "login-failures": "loginFailures",
    "work": "work",
}


def _folded(name: str) -> str:
    """Keycloak's newer SPI spelling separates SPI, provider and option with double dashes
    (`spi-x509cert-lookup--nginx--ssl-client-cert`); the older single-dash one names the
    same option, and is the one declared."""
    return name.replace("--", "-") if name.startswith("spi-") else name


def _option_for(name: str, where: str) -> Option:
    """The option a user wrote `name` for; `where` tells the error where it was written."""
    name = _folded(name)
    name = _NAME_ALIASES.get(name, name)
    option = BY_NAME.get(name)
    if option is not None:
        return option
    refused = re.fullmatch(r"cache-embedded-(.+)-max-count", name)
    if refused and refused.group(1) in _UNBOUNDED_CACHES:
        raise ConfigError(
            f"Option '{name}'{where} cannot be set: the {_UNBOUNDED_CACHES[refused.group(1)]}"
            " cache must not be bounded, or live entries would be evicted"
        )
    prefix = "--" if where == "" else ""
    raise ConfigError(
        f"Unknown option{':' if where == '' else ''} '{prefix}{name}'{where}"
        f"{_did_you_mean(name, prefix)}"
    )


def _did_you_mean(name: str, prefix: str) -> str:
    close = difflib.get_close_matches(name, list(BY_NAME), n=1)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def _read_cli(args: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("--") or arg == "--":
            raise ConfigError(f"Unexpected argument: {arg!r}; options look like --name=value")
        name, equals, raw = arg[2:].partition("=")
        option = _option_for(name, "")
        following = args[index] if index < len(args) else None
        if equals:
            values[option.name] = raw
        elif option.kind == "bool":
            # A boolean given alone means true (Keycloak's --import-realm); a following
            # true/false is its value.
            if following is not None and following.lower() in ("true", "false"):
                values[option.name] = following
                index += 1
            else:
                values[option.name] = "true"
        elif following is None or following.startswith("--"):
            raise ConfigError(f"Missing value for option '{option.flag}'")
        else:
            values[option.name] = following
            index += 1
    return values


def _read_conf_file(path: Path) -> dict[str, tuple[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"Cannot read conf file {path}: it is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read conf file {path}: {exc.strerror}") from None
    values: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, equals, raw = stripped.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ConfigError(f"Invalid line in {path} line {number}: expected name=value")
        option = _option_for(name, f" in {path} line {number}")
        if not option.in_conf_file:
            raise ConfigError(
                f"Option '{name}' cannot be set in {path} line {number};"
                f" use {option.flag} or {option.env_var}"
            )
        values[option.name] = (raw.strip(), number)
    return values


def _parse(option: Option, raw: str, origin: str) -> object:
    try:
        return option.parse(raw)
    except BadValue as exc:
        reason = str(exc)
        if option.secret:
            reason = "the value is rejected"
        raise ConfigError(f"Invalid value for option '{option.flag}'{origin}: {reason}") from None


def load_config(
    args: Sequence[str],
    env: Mapping[str, str],
    mode: Mode,
    cwd: Path | None = None,
) -> Config:
    """Resolve every option from the command line, the environment, the conf file and defaults.

    ``args`` are the options after the sub-command; ``env`` is usually ``os.environ``, in which
    unknown ``OSTIUM_*`` names are ignored because the environment is shared with other tools.
    Relative paths are resolved against ``cwd`` (the working directory when not given).
    """
    base = Path.cwd() if cwd is None else cwd
    cli = _read_cli(args)
    env = _canonical_env(env)
    file_option = option_named("config-file")
    explicit_file: tuple[str, str] | None = None
    if file_option.name in cli:
        explicit_file = (cli[file_option.name], "")
    elif file_option.env_var in env:
        explicit_file = (env[file_option.env_var], f" (from {file_option.env_var})")
    if explicit_file is not None and explicit_file[0].strip():
        conf_path = _absolute(Path(explicit_file[0].strip()), base)
        if not conf_path.is_file():
            raise ConfigError(
                f"Invalid value for option '--config-file'{explicit_file[1]}:"
                f" no such file: {conf_path}"
            )
    else:
        conf_path = base / DEFAULT_CONFIG_FILE
    conf = _read_conf_file(conf_path) if conf_path.is_file() else {}

    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    mode_defaults = MODE_DEFAULTS[mode]
    for option in OPTIONS:
        source: Source
        if option.name in cli:
            source, value = "cli", _parse(option, cli[option.name], "")
            refuse_unsupported(option, value, "")
        elif option.env_var in env:
            origin = f" (from {option.env_var})"
            source, value = "env", _parse(option, env[option.env_var], origin)
            refuse_unsupported(option, value, origin)
        elif option.name in conf:
            raw, number = conf[option.name]
            origin = f" (from {conf_path} line {number})"
            source, value = "conf file", _parse(option, raw, origin)
            refuse_unsupported(option, value, origin)
        elif option.name in mode_defaults:
            source, value = "mode default", mode_defaults[option.name]
        else:
            source, value = "default", option.default()
        if option.kind == "path" and isinstance(value, Path):
            value = _absolute(value, base)
        values[option.attribute] = value
        sources[option.name] = source
    if sources["config-file"] == "default":
        values["config_file"] = conf_path if conf_path.is_file() else None

    config = Config(**values, _sources=sources)
    _check_together(config)
    return config


def _canonical_env(env: Mapping[str, str]) -> Mapping[str, str]:
    """The environment with aliased names under their option's variable; a refused option
    set in the environment is an error like anywhere else."""
    result = dict(env)
    spi = ENV_PREFIX + "SPI_"
    for variable, value in env.items():
        # KC_SPI_X509CERT_LOOKUP__PROVIDER: the double-dash spelling, as a variable.
        if variable.startswith(spi) and "__" in variable:
            result.setdefault(spi + variable[len(spi) :].replace("__", "_"), value)
    for alias, name in _NAME_ALIASES.items():
        alias_var = ENV_PREFIX + alias.upper().replace("-", "_")
        if alias_var in env:
            result.setdefault(option_named(name).env_var, env[alias_var])
    for cache in _UNBOUNDED_CACHES:
        name = f"cache-embedded-{cache}-max-count"
        if ENV_PREFIX + name.upper().replace("-", "_") in env:
            _option_for(name, f" (from {ENV_PREFIX + name.upper().replace('-', '_')})")
    return result


def _absolute(value: Path, base: Path) -> Path:
    return base / value.expanduser()


def _check_together(config: Config) -> None:
    """Rules that span options, checked in every mode so that show-config reports them too."""
    if (config.https_certificate_file is None) != (config.https_certificate_key_file is None):
        given, missing = (
            ("--https-certificate-file", "--https-certificate-key-file")
            if config.https_certificate_file is not None
            else ("--https-certificate-key-file", "--https-certificate-file")
        )
        raise ConfigError(f"Missing option '{missing}': it is needed together with {given}")
    if "persistent-user-sessions" in config.features_disabled:
        for name in (
            "cache-embedded-sessions-max-count",
            "cache-embedded-client-sessions-max-count",
        ):
            if config.source_of(name) != "default":
                raise ConfigError(
                    f"Option '--{name}' cannot be set with persistent-user-sessions disabled:"
                    " the cache then holds the only copy of the sessions"
                )
    if config.cache == "redis" and not config.cache_remote_host:
        raise ConfigError(
            "Missing option '--cache-remote-host': --cache=redis needs the Redis server's address"
        )
    _check_hostname_options(config)
    both = [feature for feature in config.features_disabled if feature in config.features]
    if both:
        raise ConfigError(
            f"Invalid value for option '--features-disabled': {both[0]!r} is also in --features"
        )
    if config.proxy_protocol_enabled and config.proxy_headers is not None:
        # Keycloak refuses the pair: the PROXY header already names the client.
        raise ConfigError(
            "Option '--proxy-protocol-enabled' cannot be enabled when --proxy-headers is used"
        )
    _check_https_client_auth(config)
    provider = config.spi_x509cert_lookup_provider
    trusts_nginx = provider == "nginx" and config.spi_x509cert_lookup_nginx_trust_proxy_verification
    if provider != "default" and not trusts_nginx and not config.truststore_paths:
        # Without a truststore every forwarded certificate would be refused: say so now.
        raise ConfigError(
            f"Missing option '--truststore-paths': --spi-x509cert-lookup-provider={provider}"
            " verifies client certificates against it"
        )
    if config.proxy_trusted_addresses and config.proxy_headers is None:
        # Keycloak enables this option only with --proxy-headers; alone it would trust nothing.
        raise ConfigError(
            "Option '--proxy-trusted-addresses' is available only when --proxy-headers is set"
        )


def _check_https_client_auth(config: Config) -> None:
    """Keycloak's `https-client-auth` with its trust store: asking for certificates needs
    HTTPS and something to verify them against."""
    if config.https_client_auth != "none":
        if config.https_certificate_file is None:
            raise ConfigError(
                f"Option '--https-client-auth={config.https_client_auth}' needs HTTPS:"
                " set --https-certificate-file and --https-certificate-key-file"
            )
        if not config.truststore_paths and config.https_trust_store_file is None:
            raise ConfigError(
                f"Option '--https-client-auth={config.https_client_auth}' needs the CAs to"
                " verify client certificates: set --truststore-paths or --https-trust-store-file"
            )
    store = config.https_trust_store_file
    kind: str | None = config.https_trust_store_type
    if store is not None and kind is None:
        kind = {".p12": "pkcs12", ".pfx": "pkcs12", ".jks": "jks", ".bcfks": "bcfks"}.get(
            store.suffix.lower()
        )
        if kind is None:
            raise ConfigError(
                f"Option '--https-trust-store-type' is needed: the type of {store.name}"
                " cannot be told from its extension"
            )
    if kind is not None and kind != "pkcs12":
        raise ConfigError(
            f"--https-trust-store-type={kind} is not supported yet (convert the store to"
            " PKCS#12: keytool -importkeystore -deststoretype pkcs12)"
        )


def _check_hostname_options(config: Config) -> None:
    """Keycloak's hostname v2 combinations: a dynamic back channel and an admin URL both
    need a frontend URL to differ from."""
    if config.hostname_backchannel_dynamic and (
        config.hostname is None or "://" not in config.hostname
    ):
        raise ConfigError(
            "Invalid value for option '--hostname-backchannel-dynamic': it needs --hostname"
            " as a full URL (https://auth.example.com), the frontend the issuer stays on"
        )
    if config.hostname_admin is not None and config.hostname is None:
        raise ConfigError(
            "Missing option '--hostname': --hostname-admin needs the frontend URL too"
        )


def check_production(config: Config) -> None:
    """Refuse the set-ups that are unsafe on a network, as Keycloak's ``start`` does."""
    if config.hostname is None and config.hostname_strict:
        raise ConfigError(
            "Missing option '--hostname': production mode builds issuer URLs and redirects from"
            " it; set --hostname=<host> or --hostname-strict=false"
        )
    if not config.http_enabled and config.https_certificate_file is None:
        raise ConfigError(
            "Missing option '--https-certificate-file': production mode serves HTTPS only;"
            " set --https-certificate-file and --https-certificate-key-file,"
            " or --http-enabled=true behind a TLS-terminating proxy"
        )
    for name in ("https-certificate-file", "https-certificate-key-file"):
        path = getattr(config, option_named(name).attribute)
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"Invalid value for option '--{name}': no such file: {path}")
