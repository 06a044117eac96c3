"""A realm's SMTP settings: Keycloak's `smtpServer` map read into typed settings, and the
masking of its secrets in the admin API.

Keycloak keeps `smtpServer` as a map of strings (RealmRepresentation) and reads it in
DefaultEmailSenderProvider: `host`, `port` (25 by default), `from` (required),
`fromDisplayName`, `replyTo`, `replyToDisplayName`, `envelopeFrom`, `ssl`, `starttls`,
`auth`, `user`, `password`, and since 26 `authType` (`basic`, or `token` for OAuth 2 —
Ostium sends with `basic` only), plus `timeout` / `connectionTimeout` in milliseconds
(10 s by default). The admin API shows the password as `**********`
(ComponentRepresentation.SECRET_VALUE) and a PUT that carries that mask keeps the stored
password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "SECRET_KEYS",
    "SECRET_VALUE",
    "SmtpSettings",
    "SmtpSettingsError",
    "keep_masked_secrets",
    "masked",
    "smtp_settings",
]

SECRET_VALUE = "**********"  # noqa: S105 - the mask itself, not a password
# The map's entries that are secrets: never shown, never logged.
SECRET_KEYS = ("password", "authTokenClientSecret")
DEFAULT_TIMEOUT_MS = 10_000


class SmtpSettingsError(ValueError):
    """The map cannot be used to send (no host, no sender, a port that is no number)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str  # `from`
    sender_name: str | None = None
    reply_to: str | None = None
    reply_to_name: str | None = None
    envelope_from: str | None = None
    ssl: bool = False  # TLS from the first byte (SMTPS, usually port 465)
    starttls: bool = False  # plain connection upgraded with STARTTLS (usually 587)
    auth: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT_MS / 1000

    def __repr__(self) -> str:
        # Settings end up in tracebacks and log lines: the password never does.
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, ssl={self.ssl}, "
            f"starttls={self.starttls}, auth={self.auth}, user={self.user!r})"
        )


def _flag(raw: Mapping[str, str], key: str) -> bool:
    # Keycloak reads these with Boolean.parseBoolean: "true" in any case, else false.
    return str(raw.get(key, "")).strip().lower() == "true"


def _text(raw: Mapping[str, str], key: str) -> str | None:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def smtp_settings(raw: Mapping[str, str]) -> SmtpSettings:
    """The settings to send with, or `SmtpSettingsError` saying what is missing."""
    host = _text(raw, "host")
    if host is None:
        raise SmtpSettingsError("no SMTP host configured")
    sender = _text(raw, "from")
    if sender is None:
        raise SmtpSettingsError("no sender address (from) configured")
    try:
        port = int(_text(raw, "port") or "25")
        timeout_ms = int(_text(raw, "timeout") or _text(raw, "connectionTimeout") or "10000")
    except ValueError:
        raise SmtpSettingsError("port and timeouts must be numbers") from None
    if not 0 < port < 65536:
        raise SmtpSettingsError("port out of range")
    auth_type = (_text(raw, "authType") or "basic").lower()
    if _flag(raw, "auth") and auth_type != "basic":
        raise SmtpSettingsError(f"authType {auth_type[:20]} is not supported (only basic)")
    return SmtpSettings(
        host=host,
        port=port,
        sender=sender,
        sender_name=_text(raw, "fromDisplayName"),
        reply_to=_text(raw, "replyTo"),
        reply_to_name=_text(raw, "replyToDisplayName"),
        envelope_from=_text(raw, "envelopeFrom"),
        ssl=_flag(raw, "ssl"),
        starttls=_flag(raw, "starttls"),
        auth=_flag(raw, "auth"),
        user=_text(raw, "user"),
        password=raw.get("password") or None,
        timeout=max(timeout_ms, 1) / 1000,
    )


def masked(raw: Mapping[str, str]) -> dict[str, str]:
    """The map as the admin API shows it: each secret that is set becomes the mask."""
    return {k: (SECRET_VALUE if k in SECRET_KEYS and v else v) for k, v in raw.items()}


def _same_account(new: Mapping[str, str], stored: Mapping[str, str]) -> bool:
    """Keycloak (RealmAdminResource.reuseConfiguredAuthenticationForSmtp) reuses a stored
    secret only for the same host, port and user, with auth on in both: a mask sent
    with another host must not carry the password there."""
    return (
        _flag(new, "auth")
        and _flag(stored, "auth")
        and new.get("host", "") == stored.get("host", "")
        and (new.get("port") or "25") == (stored.get("port") or "25")
        and new.get("user", "") == stored.get("user", "")
    )


def keep_masked_secrets(
    new: Mapping[str, str], stored: Mapping[str, str], *, same_account_only: bool = False
) -> dict[str, str]:
    """`new` with each masked secret replaced by the stored one (a PUT of the realm
    as GET showed it keeps the password). A mask with nothing stored is dropped: the
    mask is never stored or sent as a password. `same_account_only` is the stricter
    rule of testSMTPConnection."""
    result = dict(new)
    for key in SECRET_KEYS:
        if result.get(key) != SECRET_VALUE:
            continue
        if stored.get(key) and (not same_account_only or _same_account(new, stored)):
            result[key] = stored[key]
        else:
            del result[key]
    return result
