"""The mails that carry an action-token link, composed in one place for every sender.

Keycloak mails three kinds of link — verify the address (the VERIFY_EMAIL required action
and the admin API's send-verify-email), perform actions (execute-actions-email) and reset
the password ("forgot password?") — each with its own template, subject and audit events
(SEND_VERIFY_EMAIL, EXECUTE_ACTIONS, SEND_RESET_PASSWORD and their `_ERROR`s). The login
pages and the admin API only decide *whether* and *to whom*; what the mail says and how
its link is built is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from ostium.domain import Realm, RealmKey, User
from ostium.services.action_tokens import (
    EXECUTE_ACTIONS,
    RESET_CREDENTIALS,
    VERIFY_EMAIL,
    ActionToken,
    issue_action_token,
)
from ostium.services.mail import MailEvent, MailTemplates, OutgoingMail

__all__ = ["action_mail", "action_token_url"]

# The token's kind → (template, subject message, event type): Keycloak's
# email-verification.ftl, executeActions.ftl and password-reset.ftl and their events.
_KINDS = {
    VERIFY_EMAIL: ("email-verification", "emailVerificationSubject", "SEND_VERIFY_EMAIL"),
    EXECUTE_ACTIONS: ("executeActions", "executeActionsSubject", "EXECUTE_ACTIONS"),
    RESET_CREDENTIALS: ("password-reset", "passwordResetSubject", "SEND_RESET_PASSWORD"),
}


def action_token_url(issuer: str, key: str, client_id: str | None) -> str:
    """Keycloak's link: `{issuer}/login-actions/action-token?key=…&client_id=…`."""
    query = {"key": key, **({"client_id": client_id} if client_id else {})}
    return f"{issuer}/login-actions/action-token?{urlencode(query)}"


def action_mail(
    templates: MailTemplates,
    realm: Realm,
    user: User,
    token: ActionToken,
    keys: Sequence[RealmKey],
    *,
    ip_address: str | None,
) -> tuple[OutgoingMail, MailEvent]:
    """The mail carrying `token` (signed with the realm's `keys`) to `user`'s address, in
    the user's language, and the events that say how its sending ended."""
    if not user.email:
        raise ValueError("an action mail needs the user's e-mail address")
    template, subject, event_type = _KINDS[token.type]
    link = action_token_url(token.issuer, issue_action_token(keys, token), token.client_id)
    mail = templates.render(
        template,
        subject_key=subject,
        realm=realm,
        user=user,
        recipient=user.email,
        link=link,
        lifespan=token.expires - token.issued_at,
        actions=list(token.required_actions),
    )
    details = {"email": user.email}
    if token.type == EXECUTE_ACTIONS:
        details["actions"] = ",".join(token.required_actions)
    if token.type == RESET_CREDENTIALS:
        details["username"] = user.username
    event = MailEvent(
        event_type,
        f"{event_type}_ERROR",
        realm,
        user_id=user.id,
        client_id=token.client_id,
        ip_address=ip_address,
        details=details,
    )
    return mail, event
