"""POST /admin/realms/{realm}/testSMTPConnection: a test mail to the signed-in admin.

Keycloak's RealmAdminResource.testSMTPConnection (26): `manage-realm`, a JSON map of the
SMTP settings as the realm's `smtpServer` holds them (the older form body
`config=<JSON>` is still read), sent at once and waited for, to the caller's own
address. A masked password (`**********`) stands for the realm's stored one only for
the same host, port and user with `auth` on in both (Keycloak's
reuseConfiguredAuthenticationForSmtp): a changed host cannot have the stored password
sent to it.

Keycloak answers 500 for both failures; Ostium answers 400 with Keycloak's messages, since
neither is the server failing: the caller has no address ("Logged in user does not have
an e-mail."), or the SMTP server refused ("Failed to send email", the why in the log).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, admin, json_body, require_object
from ostium.admin.errors import BadRequest
from ostium.domain.smtp import keep_masked_secrets
from ostium.services.mail import MailError

__all__ = ["router"]

router = APIRouter(tags=["Realms Admin"])
log = logging.getLogger("ostium.mail")

NO_EMAIL = "Logged in user does not have an e-mail."
FAILED = "Failed to send email"


async def _settings(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    body: Any
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        config = form.get("config")
        try:
            body = json.loads(config) if isinstance(config, str) else None
        except ValueError:
            body = None
    else:
        body = await json_body(request)
    settings = require_object(body)
    if not all(isinstance(k, str) and isinstance(v, str | int | bool) for k, v in settings.items()):
        raise BadRequest("Expected a map of SMTP settings")
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in settings.items()}


@router.post("/realms/{realm}/testSMTPConnection", status_code=204)
async def send_test_mail(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    """Mails the caller with the settings given, and says whether it worked."""
    settings = await _settings(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
    user = a.principal.user
    if not user.email:
        raise BadRequest(NO_EMAIL)
    settings = keep_masked_secrets(settings, loaded.smtp_server, same_account_only=True)
    outbox = a.runtime.mail
    mail = outbox.templates.render(
        "email-test",
        subject_key="emailTestSubject",
        realm=loaded,
        user=user,
        recipient=user.email,
    )
    try:
        await outbox.send_now(settings, mail)
    except MailError as error:
        log.warning("realm=%s: test mail to admin user=%s failed: %s", loaded.name, user.id, error)
        raise BadRequest(FAILED) from None
    return Response(status_code=204)
