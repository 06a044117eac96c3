"""A client's secret, and the previous one during a rotation's grace period.

Keycloak's client-secret rotation policy keeps the previous secret in client attributes
(`ClientSecretConstants`), so no table changes: the rotated secret, when it was rotated
and until when it is still accepted. Keycloak turns this on with a client policy whose
`secret-rotation` executor has a `rotated-expiration-period`; Ostium's switch is one
client attribute, `ROTATED_SECRET_PERIOD`, holding that period in seconds, which the
admin API's regenerate honours (the command line's `--grace-period` sets it per call).
"""

from __future__ import annotations

import hmac

from ostium.domain.client import Client

__all__ = [
    "ROTATED_SECRET",
    "ROTATED_SECRET_CREATION_TIME",
    "ROTATED_SECRET_EXPIRATION_TIME",
    "ROTATED_SECRET_PERIOD",
    "SECRET_CREATION_TIME",
    "configured_grace_period",
    "drop_rotated_secret",
    "rotate_secret",
    "rotated_secret",
    "rotated_secret_expires",
    "secret_matches",
]

# Keycloak's attribute names (org.keycloak.models.ClientSecretConstants); names, not
# secrets, hence the S105 exemptions.
SECRET_CREATION_TIME = "client.secret.creation.time"  # noqa: S105
ROTATED_SECRET = "client.secret.rotated"  # noqa: S105
ROTATED_SECRET_CREATION_TIME = "client.secret.rotated.creation.time"  # noqa: S105
ROTATED_SECRET_EXPIRATION_TIME = "client.secret.rotated.expiration.time"  # noqa: S105
# Ostium's: the grace period, in seconds, that regenerating the secret gives the old one.
ROTATED_SECRET_PERIOD = "client.secret.rotated.expiration.period"  # noqa: S105

_ROTATION = (ROTATED_SECRET, ROTATED_SECRET_CREATION_TIME, ROTATED_SECRET_EXPIRATION_TIME)


def _seconds(value: str | None) -> int | None:
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value.strip())


def configured_grace_period(client: Client) -> int:
    """The client's own grace period (0: none, Keycloak's default without a policy)."""
    return max(_seconds(client.attributes.get(ROTATED_SECRET_PERIOD)) or 0, 0)


def rotated_secret_expires(client: Client) -> int | None:
    """When the rotated secret stops working; None when there is none."""
    if not client.attributes.get(ROTATED_SECRET):
        return None
    return _seconds(client.attributes.get(ROTATED_SECRET_EXPIRATION_TIME))


def rotated_secret(client: Client, now: int) -> str | None:
    """The previous secret while it is still accepted: Keycloak accepts it up to and
    including its expiration second, and never without an expiration time."""
    expires = rotated_secret_expires(client)
    if expires is None or expires < now:
        return None
    return client.attributes.get(ROTATED_SECRET) or None


def secret_matches(client: Client, candidate: str, now: int) -> bool:
    """The current secret, or the rotated one in its grace period.

    Both comparisons always run, in constant time, so the answer's timing tells neither
    which secret matched nor whether a rotation is under way.
    """
    given = candidate.encode("utf-8")
    current = (client.secret or "").encode("utf-8")
    previous = (rotated_secret(client, now) or "").encode("utf-8")
    matches_current = hmac.compare_digest(current, given)
    matches_previous = hmac.compare_digest(previous, given)
    return (bool(current) and matches_current) or (bool(previous) and matches_previous)


def rotate_secret(client: Client, new_secret: str, *, now: int, grace_period: int) -> None:
    """Make `new_secret` the client's secret; with a grace period the old one keeps
    working until `now + grace_period`, without one any earlier rotation is dropped
    (Keycloak removes the rotation info when no policy asks for it)."""
    old = client.secret
    drop_rotated_secret(client)
    if grace_period > 0 and old:
        client.attributes[ROTATED_SECRET] = old
        client.attributes[ROTATED_SECRET_CREATION_TIME] = str(now)
        client.attributes[ROTATED_SECRET_EXPIRATION_TIME] = str(now + grace_period)
    client.secret = new_secret
    client.attributes[SECRET_CREATION_TIME] = str(now)


def drop_rotated_secret(client: Client) -> None:
    """The previous secret stops working at once (admin `DELETE client-secret/rotated`)."""
    for name in _ROTATION:
        client.attributes.pop(name, None)
