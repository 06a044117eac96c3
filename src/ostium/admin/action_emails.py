"""PUT users/{id}/execute-actions-email, send-verify-email and reset-password-email.

Every check Keycloak's UserResource makes runs, in its order (verifySendEmailParams, then
the required actions): the user has an e-mail address and is enabled, `redirect_uri`
comes with a `client_id` of an existing, enabled client that allows it, and the actions
are known required actions. A realm without an SMTP host is a 400 saying so (Keycloak
answers 500 "Failed to send …" once it has tried): nothing was half-done.

Then the mail carries an action token (services/action_tokens.py) living `lifespan`
seconds, by default the realm's `actionTokenGeneratedByAdminLifespan` for
execute-actions and `actionTokenGeneratedByUserLifespan` for send-verify-email, as
Keycloak's UserResource sizes them. The answer (204) comes first and the mail is sent
after it, with retries (services/mail.py): a failure is an `EXECUTE_ACTIONS_ERROR` /
`SEND_VERIFY_EMAIL_ERROR` event, and success `EXECUTE_ACTIONS` / `SEND_VERIFY_EMAIL`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, admin, json_body
from ostium.admin.errors import BadRequest
from ostium.domain import Realm, User
from ostium.domain.smtp import SmtpSettingsError, smtp_settings
from ostium.services.action_mails import action_mail
from ostium.services.action_tokens import EXECUTE_ACTIONS, VERIFY_EMAIL, ActionToken
from ostium.storage.interfaces import Repositories

__all__ = ["REQUIRED_ACTIONS", "router"]

router = APIRouter(tags=["Users"])
BASE = "/realms/{realm}/users/{id}"

# The required actions a Keycloak realm has enabled out of the box (their aliases).
REQUIRED_ACTIONS = frozenset(
    {
        "CONFIGURE_TOTP",
        "UPDATE_PASSWORD",
        "UPDATE_PROFILE",
        "VERIFY_EMAIL",
        "VERIFY_PROFILE",
        "webauthn-register",
        "webauthn-register-passwordless",
        "delete_credential",
        "update_user_locale",
    }
)
NO_SMTP = "Realm has no SMTP server configured"


async def _check_send_params(
    repos: Repositories,
    realm: Realm,
    user: User,
    redirect_uri: str | None,
    client_id: str | None,
) -> None:
    """Keycloak's verifySendEmailParams, check by check."""
    if not user.email:
        raise BadRequest("User email missing")
    if not user.enabled:
        raise BadRequest("User is disabled")
    if redirect_uri is not None and client_id is None:
        raise BadRequest("Client id missing")
    if client_id is None:
        return
    client = await repos.clients.get_by_client_id(realm.id, client_id)
    if client is None:
        raise BadRequest("Client doesn't exist")
    if not client.enabled:
        raise BadRequest("Client is not enabled")
    if redirect_uri is not None and not client.is_valid_redirect_uri(redirect_uri):
        raise BadRequest("Invalid redirect uri.")


def _action_list(body: Any) -> list[str] | None:
    """The body's shape, checked before anything else as Keycloak's JSON binding does."""
    if body is None:
        return None
    if not isinstance(body, list) or not all(isinstance(a, str) for a in body):
        raise BadRequest("Expected a list of required actions")
    return body


async def _send(
    a: Admin,
    realm: str,
    id: str,
    redirect_uri: str | None,
    client_id: str | None,
    actions: list[str] | None,
    lifespan: int | None,
) -> Response:
    """`actions` None: the verify-email link; else the execute-actions link."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        await _check_send_params(repos, loaded, user, redirect_uri, client_id)
        if actions and any(action not in REQUIRED_ACTIONS for action in actions):
            raise BadRequest("Provided invalid required actions")
    try:
        smtp_settings(loaded.smtp_server)
    except SmtpSettingsError:
        raise BadRequest(NO_SMTP) from None
    assert user.email is not None  # _check_send_params
    verify = actions is None
    if lifespan is None:
        lifespan = (
            loaded.action_token_generated_by_user_lifespan
            if verify
            else loaded.action_token_generated_by_admin_lifespan
        )
    now = a.now
    issuer = f"{a.runtime.base_url(a.request)}/realms/{loaded.name}"
    token = ActionToken(
        type=VERIFY_EMAIL if verify else EXECUTE_ACTIONS,
        user_id=user.id,
        issuer=issuer,
        issued_at=now,
        expires=now + lifespan,
        client_id=client_id,
        email=user.email if verify else None,
        required_actions=() if verify else tuple(dict.fromkeys(actions or [])),
        redirect_uri=redirect_uri,
    )
    outbox = a.runtime.mail
    mail, event = action_mail(
        outbox.templates,
        loaded,
        user,
        token,
        await a.runtime.realm_keys(loaded),
        ip_address=a.request.client.host if a.request.client else None,
    )
    outbox.send_later(loaded.smtp_server, mail, event)
    return Response(status_code=204)


@router.put(BASE + "/execute-actions-email")
async def execute_actions_email(
    realm: str,
    id: str,
    request: Request,
    redirect_uri: str | None = None,
    client_id: str | None = None,
    lifespan: int | None = Query(default=None, ge=1, le=2**31 - 1),
    a: Admin = Depends(admin),
) -> Response:
    """A link to perform `actions` (the body, a list of required-action aliases)."""
    actions = _action_list(await json_body(request))
    return await _send(a, realm, id, redirect_uri, client_id, actions or [], lifespan)


@router.put(BASE + "/send-verify-email")
async def send_verify_email(
    realm: str,
    id: str,
    redirect_uri: str | None = None,
    client_id: str | None = None,
    lifespan: int | None = Query(default=None, ge=1, le=2**31 - 1),
    a: Admin = Depends(admin),
) -> Response:
    """A link to verify the user's e-mail address."""
    return await _send(a, realm, id, redirect_uri, client_id, None, lifespan)


@router.put(BASE + "/reset-password-email")
async def reset_password_email(
    realm: str,
    id: str,
    redirect_uri: str | None = None,
    client_id: str | None = None,
    a: Admin = Depends(admin),
) -> Response:
    """Deprecated in Keycloak: execute-actions-email with UPDATE_PASSWORD."""
    return await _send(a, realm, id, redirect_uri, client_id, ["UPDATE_PASSWORD"], None)
