"""Keycloak's `smtpServer` map read into settings, the mask of its secrets, and the pure
helpers of the mail service."""

from __future__ import annotations

import pytest

from ostium.domain import Realm, User
from ostium.domain.smtp import (
    SECRET_VALUE,
    SmtpSettingsError,
    keep_masked_secrets,
    masked,
    smtp_settings,
)
from ostium.services.mail import OutgoingMail, compose, link_expiry, mail_locale

STORED = {"host": "smtp.example", "port": "587", "from": "a@example", "auth": "true",
          "user": "iam", "password": "s3cret"}  # fmt: skip


def test_refusals_first() -> None:
    for raw, why in (
        ({"from": "a@example"}, "host"),
        ({"host": "h"}, "sender"),
        ({"host": "h", "from": "a@x", "port": "smtp"}, "numbers"),
        ({"host": "h", "from": "a@x", "port": "70000"}, "range"),
        ({"host": "h", "from": "a@x", "auth": "true", "authType": "token"}, "basic"),
    ):
        with pytest.raises(SmtpSettingsError, match=why):
            smtp_settings(raw)


def test_keycloaks_defaults_and_flags() -> None:
    settings = smtp_settings({"host": " h ", "from": "a@x", "ssl": "TRUE", "starttls": "yes"})
    assert (settings.host, settings.port, settings.ssl, settings.starttls) == ("h", 25, True, False)
    assert settings.timeout == 10.0
    assert smtp_settings({**STORED, "timeout": "2500"}).timeout == 2.5


def test_the_password_never_shows_in_a_repr() -> None:
    assert "s3cret" not in repr(smtp_settings(STORED))


def test_masked_shows_the_mask_only_for_a_set_password() -> None:
    assert masked(STORED)["password"] == SECRET_VALUE
    assert masked({**STORED, "password": ""})["password"] == ""
    assert "password" not in masked({"host": "h"})


def test_a_put_of_the_mask_keeps_the_stored_password() -> None:
    assert keep_masked_secrets({**STORED, "password": SECRET_VALUE}, STORED) == STORED
    assert keep_masked_secrets({**STORED, "password": "new"}, STORED)["password"] == "new"
    # A mask with nothing stored is dropped, never stored as a password.
    assert "password" not in keep_masked_secrets({"password": SECRET_VALUE}, {})


def test_the_test_mail_reuses_the_password_only_for_the_same_account() -> None:
    given = {**STORED, "password": SECRET_VALUE}
    assert keep_masked_secrets(given, STORED, same_account_only=True) == STORED
    for change in ({"host": "evil.example"}, {"port": "25"}, {"user": "x"}, {"auth": "false"}):
        kept = keep_masked_secrets({**given, **change}, STORED, same_account_only=True)
        assert "password" not in kept, change


def test_link_expiry_in_the_largest_whole_unit() -> None:
    def msg(key: str, *args: object) -> str:
        return f"{key}:{args[0]}"

    assert link_expiry(300, msg) == "linkExpiryMinutes:5"
    assert link_expiry(43200, msg) == "linkExpiryHours:12"
    assert link_expiry(172800, msg) == "linkExpiryDays:2"
    assert link_expiry(5400, msg) == "linkExpiryMinutes:90"
    assert link_expiry(20, msg) == "linkExpiryMinutes:1"


def test_mail_locale_user_then_realm_default_then_english() -> None:
    user = User(id="u", realm_id="r", username="u", attributes={"locale": ["zh_CN"]})
    realm = Realm(
        id="r",
        name="r",
        internationalization_enabled=True,
        supported_locales=["de", "en", "zh-CN"],
        default_locale="de",
    )
    assert mail_locale(realm, user) == "zh-CN"
    assert mail_locale(realm, User(id="v", realm_id="r", username="v")) == "de"
    realm.supported_locales = ["de", "en"]
    assert mail_locale(realm, user) == "de"  # the realm does not offer the user's
    realm.internationalization_enabled = False
    assert mail_locale(realm, user) == "en"  # Keycloak: English alone


def test_compose_writes_the_senders_and_both_parts() -> None:
    settings = smtp_settings({**STORED, "fromDisplayName": "IAM Team", "replyTo": "help@example"})
    message = compose(settings, OutgoingMail("to@example", "Grüße 你好", "text", "<p>html</p>"))
    assert message["From"] == "IAM Team <a@example>"
    assert message["Reply-To"] == "help@example"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert "Grüße" not in message.as_string().split("\n\n")[0]  # RFC 2047-encoded header
