"""The seam between the VERIFY_EMAIL required action and the e-mail service.

The login page that asks a user to confirm their address (protocol/required_actions.py)
calls `send_verify_email` once per login and again when the user asks for another mail.
The e-mail helper replaces its body: build Keycloak's verify-email action token (the
`actionTokenGeneratedByUserLifespan`, 300 s by default), render the translated mail and
queue it for sending with retries. Following the link (the action-token handler that sets
`emailVerified` and removes VERIFY_EMAIL from the user) is that helper's as well.

Until then the intent is recorded — Keycloak's SEND_VERIFY_EMAIL event with the address —
and logged, so an operator can see that a mail would have gone out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ostium.domain import Realm, User

__all__ = ["send_verify_email"]

log = logging.getLogger("ostium.email")


def send_verify_email(
    realm: Realm,
    user: User,
    *,
    client_id: str,
    redirect_uri: str | None,
    auth_session_id: str,
    tab_id: str,
    record: Callable[..., Any],
    ip_address: str | None = None,
) -> None:
    """Send `user` the mail whose link verifies their address; `record` is the realm
    context's event recorder. The link must lead back to this login (`auth_session_id`,
    `tab_id`) so the user continues to `client_id` once verified."""
    log.info(
        "realm=%s: verify-email mail for user %s to %s not sent: e-mail sending is not built yet",
        realm.name,
        user.id,
        user.email,
    )
    record(
        "SEND_VERIFY_EMAIL",
        client_id=client_id,
        user_id=user.id,
        ip_address=ip_address,
        details={
            "email": user.email or "",
            **({"redirect_uri": redirect_uri} if redirect_uri else {}),
        },
    )
