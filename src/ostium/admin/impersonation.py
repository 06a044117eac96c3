"""POST /realms/{realm}/users/{id}/impersonation (Keycloak: UserResource.impersonate).

An administrator holding the `impersonation` role (realm-management's, or the master
realm's `admin`) opens a single sign-on session *as* the user: the answer sets the
browser's KEYCLOAK_IDENTITY and KEYCLOAK_SESSION cookies for the user's realm and names
the account console to go to. When the administrator is signed in to that same realm,
their own session ends first (`sameRealm`), as a browser holds one SSO session per realm.

The new session records who is behind it (`IMPERSONATOR_ID`, `IMPERSONATOR_USERNAME`
notes, Keycloak's ImpersonationSessionNote names), so its tokens carry the `impersonator`
claim and the IMPERSONATE event names the impersonator.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ostium.admin.context import Admin, admin
from ostium.admin.errors import AdminError, BadRequest
from ostium.events import Event
from ostium.protocol.results import JsonResult
from ostium.protocol.sso import sso_cookies
from ostium.services.logout import end_sessions
from ostium.services.sessions import create_user_session, live_user_session
from ostium.web.responses import render_result
from ostium.web.runtime import request_info

__all__ = ["IMPERSONATOR_ID", "IMPERSONATOR_USERNAME", "router"]

router = APIRouter(tags=["Users"])

IMPERSONATOR_ID = "IMPERSONATOR_ID"
IMPERSONATOR_USERNAME = "IMPERSONATOR_USERNAME"
IMPERSONATE = "IMPERSONATE"
FEATURE = "impersonation"


class FeatureDisabled(AdminError):
    """`--features-disabled=impersonation`: Keycloak answers 501 "Feature not enabled"."""

    status_code = 501
    key = "error"


@router.post("/realms/{realm}/users/{id}/impersonation")
async def impersonate(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    if FEATURE in a.runtime.features_disabled:
        raise FeatureDisabled("Feature not enabled")
    info = request_info(a.request)
    principal = a.principal
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "impersonation")
        user = await a.user(repos, loaded, id)
        if not user.enabled:
            raise BadRequest("User is disabled")
        if user.service_account_client_id is not None:
            raise BadRequest("Service accounts cannot be impersonated")
    ctx = await a.runtime.realm_context(a.request, realm)
    now = a.now
    same_realm = principal.realm.id == loaded.id and principal.session_id is not None
    ended = []
    async with a.transaction() as repos:
        if same_realm and principal.session_id is not None:
            own = await live_user_session(repos, loaded, principal.session_id, now=now)
            if own is not None:
                ended = await end_sessions(repos, loaded, [own])
        session = await create_user_session(
            repos, loaded, user, now=now, ip_address=info.ip_address, issuer=ctx.issuer
        )
        session.auth_method = "impersonate"
        session.notes[IMPERSONATOR_ID] = principal.user.id
        session.notes[IMPERSONATOR_USERNAME] = principal.user.username
        await repos.sessions.update(session)
    if ended:
        await a.runtime.backchannel.notify(loaded, ended)
    a.runtime.events.record(
        Event(
            IMPERSONATE,
            loaded.id,
            now,
            user_id=user.id,
            session_id=session.id,
            ip_address=info.ip_address,
            details={
                "impersonator": principal.user.username,
                "impersonator_id": principal.user.id,
                "impersonator_realm": principal.realm.name,
            },
        )
    )
    body: dict[str, object] = {"redirect": f"{ctx.issuer}/account", "sameRealm": same_realm}
    result = JsonResult(body, cookies=sso_cookies(ctx, session, user))
    return render_result(a.runtime, a.request, result, secure=ctx.secure_cookies)
