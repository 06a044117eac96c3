"""The consent step of a browser login (Keycloak's consent screen, for clients with
`consentRequired`): after the user has authenticated (and done their required actions),
before the client gets its code.

The page lists the client scopes the request would give the client that the user has not
granted yet: the client's default scopes and the optional ones it asked for, each shown
by its `consent.screen.text` (a `${key}` names a message; Keycloak's built-in scopes have
their own keys, `profileScopeConsentText`, …) unless its `display.on.consent.screen` is
"false". Scopes granted before are not asked again; `prompt=consent` asks for all of them
(OIDC Core §3.1.2.1). The page shows in the login's tab, whose authenticated user
(`authenticated_user_id`) is the one who consents; the form's POST is handled in
protocol/consent_form.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from ostium.domain import Client, ClientScope, User
from ostium.domain.consent import UserConsent
from ostium.protocol.authorization.request import PendingAuthorization
from ostium.protocol.context import RealmContext
from ostium.protocol.results import Page
from ostium.protocol.sso import auth_session_cookie
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = [
    "BUILT_IN_CONSENT_TEXTS",
    "ConsentItem",
    "consent_needed",
    "consent_page",
    "consent_step",
    "consent_url",
    "grant_consent",
    "scopes_to_approve",
]

# Keycloak's consent texts of its built-in client scopes (a scope that carries its own
# `consent.screen.text` attribute wins); None: not shown on the consent screen.
BUILT_IN_CONSENT_TEXTS: dict[str, str | None] = {
    "profile": "${profileScopeConsentText}",
    "email": "${emailScopeConsentText}",
    "address": "${addressScopeConsentText}",
    "phone": "${phoneScopeConsentText}",
    "offline_access": "${offlineAccessScopeConsentText}",
    "roles": "${rolesScopeConsentText}",
    "organization": "${organizationScopeConsentText}",
    "web-origins": None,
    "acr": None,
    "basic": None,
    "microprofile-jwt": None,
}
CONSENT_TEXT = "consent.screen.text"
DISPLAY_ON_CONSENT = "display.on.consent.screen"


@dataclass(frozen=True)
class ConsentItem:
    """One line of the consent page: the scope's name and the text shown for it."""

    scope: str
    text: str


def consent_url(ctx: RealmContext, client_id: str, tab_id: str) -> str:
    """Keycloak's `login-actions/consent?client_id&tab_id`."""
    query = urlencode({"client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/consent?{query}"


def _item(name: str, scope: ClientScope | None) -> ConsentItem | None:
    attributes = scope.attributes if scope is not None else {}
    if attributes.get(DISPLAY_ON_CONSENT, "").lower() == "false":
        return None
    text = attributes.get(CONSENT_TEXT) or None
    if text is None:
        if name in BUILT_IN_CONSENT_TEXTS and DISPLAY_ON_CONSENT not in attributes:
            text = BUILT_IN_CONSENT_TEXTS[name]
            if text is None:
                return None
        else:
            text = name
    return ConsentItem(name, text)


async def scopes_to_approve(
    repos: Repositories, client: Client, requested: str
) -> list[ConsentItem]:
    """The client scopes this request gives the client that its consent screen shows:
    the defaults, then the requested optional ones, in that order."""
    names = requested.split()
    wanted = [*client.default_client_scopes]
    wanted += [s for s in names if s in client.optional_client_scopes and s not in wanted]
    items = []
    for name in wanted:
        item = _item(name, await repos.client_scopes.get_by_name(client.realm_id, name))
        if item is not None:
            items.append(item)
    return items


def consent_page(
    ctx: RealmContext,
    client: Client,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    items: list[ConsentItem],
) -> Page:
    action = consent_url(ctx, client.client_id, tab.tab_id)
    return Page(
        "login_oauth_grant.html",
        {
            "action_url": action,
            "csrf_token": tab.csrf_token,
            "client_name": client.name or client.client_id,
            "items": items,
        },
        cookies=[auth_session_cookie(ctx, root.id)],
        locale=tab.params.get("ui_locales"),
        selected_locale=tab.locale,
        locale_url=action,
    )


async def _to_approve(
    repos: Repositories, client: Client, user: User, params: Mapping[str, str]
) -> list[ConsentItem]:
    items = await scopes_to_approve(repos, client, params.get("scope", ""))
    if "consent" not in params.get("prompt", "").split():
        granted = await repos.consents.get(user.id, client.id)
        already = set(granted.granted_scopes) if granted is not None else set()
        items = [i for i in items if i.scope not in already]
    return items


async def consent_needed(
    ctx: RealmContext, repos: Repositories, pending: PendingAuthorization, user: User
) -> bool:
    """Whether single sign-on must stop at the consent page for this request (the
    authorization endpoint then runs the rest of the login in a tab)."""
    client = await repos.clients.get(ctx.realm.id, pending.client_id)
    if client is None or not client.consent_required:
        return False
    return bool(await _to_approve(repos, client, user, pending.to_params()))


async def consent_step(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    user: User,
) -> Page | None:
    """The consent page when the client needs one for this user and request, else None
    (the login goes on to the code). Called at the end of the login, after the required
    actions (protocol/sign_in.py `finish_login`); Keycloak skips the screen when nothing
    is left to approve."""
    if tab.consent_given:
        return None
    client = await repos.clients.get(ctx.realm.id, tab.client_id)
    if client is None or not client.consent_required:
        return None
    items = await _to_approve(repos, client, user, tab.params)
    if not items:
        return None
    tab.consent_shown = True
    await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    return consent_page(ctx, client, root, tab, items)


async def grant_consent(
    repos: Repositories, user: User, client: Client, scopes: list[str], *, now_ms: int
) -> UserConsent:
    """Store (or extend) the user's consent to the client: Keycloak keeps the union of
    what was granted over time and the dates of the first and the last grant."""
    consent = await repos.consents.get(user.id, client.id)
    if consent is None:
        consent = UserConsent(user.id, client.id, [], created_date=now_ms)
    for scope in scopes:
        if scope not in consent.granted_scopes:
            consent.granted_scopes.append(scope)
    consent.last_updated_date = now_ms
    await repos.consents.put(consent)
    return consent
