"""The browser flow's X.509 step: Keycloak's `auth-x509-client-username-form`.

Before the username/password form, the certificate the browser presented (verified by
`web/client_certificates.py`) is mapped to a user (`protocol/x509_user.py`). As in Keycloak
(`X509ClientCertificateAuthenticator`):

- no certificate: the step is passed over and the password form shows, or, when the flow
  has no password form, an error page says a certificate is needed;
- a certificate that maps to an enabled user: a confirmation page shows its subject and the
  user ("Continue"), with "Sign in another way" when the flow has a password form — or,
  with `x509-cert-auth.confirmation-page-disallowed`, the user is signed in at once;
- a certificate that does not: the page says the certificate cannot be used. Keycloak
  names the reason (unknown user, disabled, locked); Ostium keeps the reason for the
  LOGIN_ERROR event and the log, so the page reveals nothing about accounts.

The confirming POST must present the same certificate again: a confirmation page cannot be
completed from another browser or after the certificate was removed.
"""

from __future__ import annotations

import hashlib
import logging

from cryptography.hazmat.primitives.serialization import Encoding

from ostium.domain import Client, User
from ostium.domain.flow_plans import BrowserPlan
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.results import Page, error_page
from ostium.protocol.x509_user import (
    CertificateLogin,
    certificate_user,
    java_dn,
    parse_x509_config,
)
from ostium.sessions.authentication import AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = ["CertificateStep", "certificate_step", "confirmed_user", "thumbprint"]

log = logging.getLogger("ostium.login")

FAILED = "x509FailedMessage"
REQUIRED = "x509RequiredMessage"


def thumbprint(info: RequestInfo) -> str | None:
    chain = info.client_certificate_chain
    if not chain:
        return None
    return hashlib.sha256(chain[0].public_bytes(Encoding.DER)).hexdigest()


class CertificateStep:
    """What the X.509 step decided: sign `user` in now, show `page`, or (both None) go on
    to the password form."""

    def __init__(self, *, user: User | None = None, page: Page | None = None) -> None:
        self.user = user
        self.page = page


def _page(
    action_url: str,
    tab: AuthenticationTab,
    plan: BrowserPlan,
    *,
    subject: str,
    user: User | None,
) -> Page:
    return Page(
        "login_x509_info.html",
        {
            "action_url": action_url,
            "csrf_token": tab.csrf_token,
            "subject_dn": subject,
            "username": user.username if user else None,
            "error": None if user else FAILED,
            "can_ignore": plan.password_form,
        },
        locale=tab.params.get("ui_locales"),
        selected_locale=tab.locale,
    )


async def certificate_step(
    ctx: RealmContext,
    repos: Repositories,
    client: Client,
    tab: AuthenticationTab,
    plan: BrowserPlan,
    info: RequestInfo,
    action_url: str,
) -> CertificateStep:
    fallback = CertificateStep(page=None if plan.password_form else error_page(REQUIRED, 401))
    if plan.x509_config is None:
        log.warning(
            "realm=%s: the browser flow's X.509 step has no configuration; passed over",
            ctx.realm.name,
        )
        return fallback
    try:
        config = parse_x509_config(plan.x509_config.config)
    except ValueError as error:
        log.warning(
            "realm=%s: the X.509 configuration %r is not usable (%s); passed over",
            ctx.realm.name,
            plan.x509_config.alias,
            error,
        )
        return fallback
    if not info.client_certificate_chain and info.client_certificate_rejected is None:
        return fallback  # no certificate at all: Keycloak's "attempted"
    outcome = await certificate_user(ctx, repos, config, info)
    if outcome.user is None:
        _record_failure(ctx, client, info, outcome)
        if not info.client_certificate_chain:
            return fallback
        subject = outcome.subject_dn or java_dn(info.client_certificate_chain[0].subject)
        return CertificateStep(page=_page(action_url, tab, plan, subject=subject, user=None))
    if config.confirmation_page_disallowed:
        return CertificateStep(user=outcome.user)
    tab.x509_user_id = outcome.user.id
    tab.x509_thumbprint = thumbprint(info)
    subject = outcome.subject_dn or java_dn(info.client_certificate_chain[0].subject)
    return CertificateStep(page=_page(action_url, tab, plan, subject=subject, user=outcome.user))


async def confirmed_user(
    ctx: RealmContext,
    repos: Repositories,
    client: Client,
    tab: AuthenticationTab,
    info: RequestInfo,
) -> User | None:
    """The user of the confirmation page, if this request presents the same certificate
    and the account is still enabled."""
    expected, presented = tab.x509_thumbprint, thumbprint(info)
    user_id = tab.x509_user_id
    tab.x509_user_id = tab.x509_thumbprint = None
    if user_id is None or expected is None or presented != expected:
        ctx.record(
            "LOGIN_ERROR",
            client_id=client.client_id,
            ip_address=info.ip_address,
            error="invalid_user_credentials",
            details={"reason": "the confirming request did not present the same certificate"},
        )
        return None
    user = await repos.users.get(ctx.realm.id, user_id)
    if user is None or not user.enabled:
        ctx.record(
            "LOGIN_ERROR",
            client_id=client.client_id,
            ip_address=info.ip_address,
            error="user_disabled" if user else "user_not_found",
        )
        return None
    return user


def _record_failure(
    ctx: RealmContext, client: Client, info: RequestInfo, outcome: CertificateLogin
) -> None:
    details = {"auth_method": "x509"}
    if outcome.identity:
        details["username"] = outcome.identity[:255]
    if outcome.reason:
        details["reason"] = outcome.reason
    log.info("realm=%s: X.509 sign-in refused: %s", ctx.realm.name, outcome.reason or outcome.error)
    ctx.record(
        "LOGIN_ERROR",
        client_id=client.client_id,
        ip_address=info.ip_address,
        error=outcome.error or "invalid_user_credentials",
        details=details,
    )
