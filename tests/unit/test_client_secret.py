"""The rules of a client's current and rotated secrets (domain.client_secret)."""

from __future__ import annotations

from ostium.domain import Client
from ostium.domain.client_secret import (
    ROTATED_SECRET,
    ROTATED_SECRET_CREATION_TIME,
    ROTATED_SECRET_EXPIRATION_TIME,
    ROTATED_SECRET_PERIOD,
    SECRET_CREATION_TIME,
    configured_grace_period,
    drop_rotated_secret,
    rotate_secret,
    rotated_secret,
    secret_matches,
)

NOW = 1_900_000_000


def client(secret: str | None = "current", **attributes: str) -> Client:
    return Client("id", "realm", "app", secret=secret, attributes=dict(attributes))


def test_an_empty_secret_never_matches() -> None:
    assert not secret_matches(client(secret=None), "", NOW)
    assert not secret_matches(client(secret=""), "", NOW)
    assert not secret_matches(client(), "", NOW)


def test_a_rotated_secret_without_an_expiration_is_not_accepted() -> None:
    """Keycloak: a rotated secret with no expiration time counts as expired."""
    assert not secret_matches(client(**{ROTATED_SECRET: "old"}), "old", NOW)
    garbled = client(**{ROTATED_SECRET: "old", ROTATED_SECRET_EXPIRATION_TIME: "soon"})
    assert not secret_matches(garbled, "old", NOW)


def test_the_rotated_secret_is_accepted_up_to_its_expiration_second() -> None:
    rotated = client(**{ROTATED_SECRET: "old", ROTATED_SECRET_EXPIRATION_TIME: str(NOW)})
    assert secret_matches(rotated, "old", NOW)
    assert rotated_secret(rotated, NOW) == "old"
    assert not secret_matches(rotated, "old", NOW + 1)
    assert secret_matches(rotated, "current", NOW + 1)
    assert not secret_matches(rotated, "other", NOW)


def test_rotation_with_and_without_grace() -> None:
    subject = client()
    rotate_secret(subject, "second", now=NOW, grace_period=60)
    assert subject.secret == "second"
    assert subject.attributes == {
        ROTATED_SECRET: "current",
        ROTATED_SECRET_CREATION_TIME: str(NOW),
        ROTATED_SECRET_EXPIRATION_TIME: str(NOW + 60),
        SECRET_CREATION_TIME: str(NOW),
    }
    rotate_secret(subject, "third", now=NOW + 10, grace_period=0)
    assert subject.attributes == {SECRET_CREATION_TIME: str(NOW + 10)}
    assert not secret_matches(subject, "second", NOW + 10)


def test_dropping_and_the_configured_period() -> None:
    subject = client(**{ROTATED_SECRET_PERIOD: "3600"})
    assert configured_grace_period(subject) == 3600
    assert configured_grace_period(client(**{ROTATED_SECRET_PERIOD: "-5"})) == 0
    assert configured_grace_period(client(**{ROTATED_SECRET_PERIOD: "x"})) == 0
    assert configured_grace_period(client()) == 0
    rotate_secret(subject, "next", now=NOW, grace_period=configured_grace_period(subject))
    drop_rotated_secret(subject)
    assert not secret_matches(subject, "current", NOW)
    assert subject.attributes[ROTATED_SECRET_PERIOD] == "3600"
