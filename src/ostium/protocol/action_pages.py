"""The pages of the required actions this server carries out, one pair of functions each:
`challenge` shows the page (or settles the action without one), `process` reads its form.

Keycloak's providers: UpdatePassword, UpdateProfile, VerifyEmail, TermsAndConditions
(org.keycloak.authentication.requiredactions). Messages use Keycloak's keys; the words are
Ostium's own.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import quote, urlsplit

import segno

from ostium.domain import Credential, User
from ostium.domain.otp import (
    HOTP,
    OtpCredential,
    generate_secret,
    manual_key,
    otpauth_uri,
    supported_applications,
)
from ostium.domain.recovery_codes import display, generate_codes
from ostium.domain.required_actions import (
    CONFIGURE_RECOVERY_AUTHN_CODES,
    CONFIGURE_TOTP,
    TERMS_AND_CONDITIONS,
    UPDATE_PASSWORD,
    UPDATE_PROFILE,
    VERIFY_EMAIL,
    WEBAUTHN_REGISTER,
)
from ostium.domain.smtp import SmtpSettingsError, smtp_settings
from ostium.domain.user_profile import ProfileError
from ostium.domain.webauthn_credential import WebAuthnCredentialData, WebAuthnCredentialError
from ostium.domain.webauthn_credential import b64decode as webauthn_b64decode
from ostium.domain.webauthn_credential import b64encode as webauthn_b64encode
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.results import Page, error_page
from ostium.protocol.sso import sso_session
from ostium.services.action_mails import action_mail
from ostium.services.action_tokens import VERIFY_EMAIL as VERIFY_EMAIL_TOKEN
from ostium.services.action_tokens import ActionToken
from ostium.services.logout import end_sessions
from ostium.services.mail import EMAIL_SEND_FAILED
from ostium.services.new_password import check_new_password, store_new_password
from ostium.services.otp import add_otp_device, otp_devices
from ostium.services.recovery_codes import set_recovery_codes
from ostium.services.sessions import new_id
from ostium.services.user_profile import (
    editable_attributes,
    update_profile_form,
    user_profile_values,
)
from ostium.services.webauthn_ceremonies import (
    WebAuthnCeremonyError,
    registration_options,
    verify_registration,
)
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = ["DONE", "REFUSED", "ActionContext", "challenge", "process"]

log = logging.getLogger("ostium.email")
WEBAUTHN_TYPE = "webauthn"  # the credential a second-factor security key is

DONE: Final = "done"  # the action is complete
REFUSED: Final = "refused"  # the user declined: the client is told access_denied

Challenge = Page | str | None  # a page, DONE, or None: passed over for this login
Outcome = Page | str  # a page (again, with errors), DONE or REFUSED


@dataclass
class ActionContext:
    """What an action's page needs: the request, the tab and the authenticated user."""

    ctx: RealmContext
    repos: Repositories
    root: AuthenticationSession
    tab: AuthenticationTab
    user: User
    info: RequestInfo
    alias: str
    provider_id: str
    client_id: str
    action_url: str
    can_cancel: bool
    details: dict[str, str] = field(default_factory=dict)  # for the completion event

    def page(self, template: str, status_code: int = 200, **context: Any) -> Page:
        return Page(
            template,
            {
                "action_url": self.action_url,
                "csrf_token": self.tab.csrf_token,
                "can_cancel": self.can_cancel,
                **context,
            },
            status_code=status_code,
            locale=self.tab.params.get("ui_locales"),
            selected_locale=self.tab.locale,
            # The language picker's links come back to this step (a GET shows it again).
            locale_url=self.action_url,
        )


# --- UPDATE_PASSWORD ----------------------------------------------------------------------


def _password_page(
    ac: ActionContext,
    error: str | None = None,
    logout: bool = True,
    args: tuple[int | str, ...] = (),
) -> Page:
    return ac.page(
        "login_update_password.html",
        400 if error else 200,
        error=error,
        error_args=list(args),
        username=ac.user.username,
        logout_sessions=logout,
    )


async def _password_challenge(ac: ActionContext) -> Challenge:
    return _password_page(ac)


async def _password_process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    """Keycloak's UpdatePassword: new and confirmation, the policy, then "sign out from
    other devices" (`logout-sessions`) ends the user's other sessions."""
    password = form.get("password-new", "")
    logout = form.get("logout-sessions") == "on"
    error = check_new_password(password, form.get("password-confirm", ""))
    args: tuple[int | str, ...] = ()
    if error is None:
        refused = await store_new_password(
            ac.repos, ac.ctx.hashing, ac.ctx.realm, ac.user, password, now=ac.ctx.clock.now()
        )
        if refused is not None:
            error, args = refused.key, refused.parameters
    if error is not None:
        ac.ctx.record(
            "UPDATE_PASSWORD_ERROR",
            client_id=ac.client_id,
            user_id=ac.user.id,
            ip_address=ac.info.ip_address,
            error="password_missing" if error == "missingPasswordMessage" else "password_rejected",
            details={"reason": error},
        )
        return _password_page(ac, error, logout, args)
    if logout:
        await _end_other_sessions(ac)
    return DONE


async def _end_other_sessions(ac: ActionContext) -> None:
    """Keycloak's "sign out from other devices": this browser's own SSO session (when it
    signed in by the cookie) stays; every other online session of the user ends.
    Offline sessions are the applications' and stay."""
    current = await sso_session(ac.ctx, ac.repos, ac.info.cookies)
    keep = current[0].id if current is not None and current[1].id == ac.user.id else None
    others = [
        s
        for s in await ac.repos.sessions.list_for_user(ac.user.id)
        if s.id != keep and not s.offline
    ]
    ac.ctx.ended(await end_sessions(ac.repos, ac.ctx.realm, others))


# --- UPDATE_PROFILE -----------------------------------------------------------------------


def _label(display_name: str) -> tuple[str | None, str]:
    """`${key}` names a message of the catalogue; anything else is shown as written."""
    if display_name.startswith("${") and display_name.endswith("}"):
        return display_name[2:-1], display_name
    return None, display_name


def _profile_page(
    ac: ActionContext,
    values: Mapping[str, list[str]] | Mapping[str, str],
    errors: list[ProfileError] | None = None,
    error: str | None = None,
) -> Page:
    by_field: dict[str, ProfileError] = {}
    for found in errors or []:
        by_field.setdefault(found.field, found)
    fields = []
    for attribute in editable_attributes(ac.ctx.realm):
        name = attribute["name"]
        raw = values.get(name)
        value = raw[0] if isinstance(raw, list) and raw else raw if isinstance(raw, str) else ""
        label_key, label_text = _label(str(attribute["display_name"]))
        problem = by_field.get(name)
        fields.append(
            {
                "name": name,
                "label_key": label_key,
                "label_text": label_text,
                "value": value,
                "required": attribute["required"],
                "read_only": attribute["read_only"],
                "error": problem.message if problem else None,
                "error_args": [label_text if label_key is None else name, *problem.params[1:]]
                if problem
                else [],
                "autocomplete": {
                    "username": "username",
                    "email": "email",
                    "firstName": "given-name",
                    "lastName": "family-name",
                }.get(name, "off"),
            }
        )
    failed = bool(errors) or error is not None
    return ac.page("login_update_profile.html", 400 if failed else 200, fields=fields, error=error)


async def _profile_challenge(ac: ActionContext) -> Challenge:
    return _profile_page(ac, user_profile_values(ac.user))


async def _profile_process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    """Keycloak's UpdateProfile: the user profile's rules in the user's context; an
    address or username someone else has is refused without saying whose."""
    realm, repos, user = ac.ctx.realm, ac.repos, ac.user
    before_email = user.email
    changed, errors = update_profile_form(realm, user, form)
    if errors:
        return _profile_page(ac, form, errors)
    if changed and user.email and not realm.duplicate_emails_allowed:
        others = [
            u for u in await repos.users.get_by_email(realm.id, user.email) if u.id != user.id
        ]
        if others:
            return _profile_page(ac, form, error="emailExistsMessage")
    named = await repos.users.get_by_username(realm.id, user.username)
    if named is not None and named.id != user.id:
        return _profile_page(ac, form, error="usernameExistsMessage")
    if changed:
        ac.ctx.record(
            "UPDATE_EMAIL",
            client_id=ac.client_id,
            user_id=user.id,
            ip_address=ac.info.ip_address,
            details={"previous_email": before_email or "", "updated_email": user.email or ""},
        )
    return DONE


# --- VERIFY_EMAIL -------------------------------------------------------------------------


def _send(ac: ActionContext) -> Page | None:
    """Keycloak's VerifyEmail.sendVerifyEmail: a verify-email link whose token names this
    login (`asid`), so that opened in this browser the login goes on to the application.
    A realm that cannot send mail (no SMTP host) gets the error page and an event at once,
    as Keycloak's EmailException does; a mail that fails later is an event too."""
    ctx, user = ac.ctx, ac.user
    assert user.email
    if ctx.mail is None:  # a context without the server's outbox (never in a running server)
        return error_page("internalServerError", 500)
    try:
        smtp_settings(ctx.realm.smtp_server)
    except SmtpSettingsError as problem:
        log.warning("realm=%s: cannot send the verify-email mail: %s", ctx.realm.name, problem)
        ctx.record(
            "SEND_VERIFY_EMAIL_ERROR",
            client_id=ac.client_id,
            user_id=user.id,
            ip_address=ac.info.ip_address,
            error=EMAIL_SEND_FAILED,
            details={"email": user.email},
        )
        return error_page("emailSendErrorMessage", 500)
    now = ctx.clock.now()
    token = ActionToken(
        type=VERIFY_EMAIL_TOKEN,
        user_id=user.id,
        issuer=ctx.issuer,
        issued_at=now,
        expires=now + ctx.realm.action_token_generated_by_user_lifespan,
        client_id=ac.client_id,
        email=user.email,
        redirect_uri=ac.tab.params.get("redirect_uri"),
        auth_session_id=f"{ac.root.id}.{ac.tab.tab_id}",
    )
    mail, event = action_mail(
        ctx.mail.templates, ctx.realm, user, token, ctx.keys, ip_address=ac.info.ip_address
    )
    ctx.mail.send_later(ctx.realm.smtp_server, mail, event)
    ac.tab.verify_email_sent = True
    return None


async def _verify_challenge(ac: ActionContext) -> Challenge:
    """Keycloak's VerifyEmail: an address already verified completes the action; no
    address passes it over for now; otherwise the mail goes out once per login and the
    page says to follow its link."""
    if ac.user.email_verified:
        return DONE
    if not ac.user.email:
        return None
    if not ac.tab.verify_email_sent:
        refused = _send(ac)
        if refused is not None:
            return refused
    return ac.page("login_verify_email.html", email=ac.user.email, resent=False)


async def _verify_process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    """The page's only button asks for the mail again; the action completes when the
    link is followed (the e-mail service's action-token handler), not here."""
    if ac.user.email_verified:
        return DONE
    if not ac.user.email:
        return ac.page("login_verify_email.html", email="", resent=False)
    return _send(ac) or ac.page("login_verify_email.html", email=ac.user.email, resent=True)


# --- TERMS_AND_CONDITIONS -----------------------------------------------------------------

TERMS_ATTRIBUTE = "terms_and_conditions"  # Keycloak 26 keeps when they were accepted


async def _terms_challenge(ac: ActionContext) -> Challenge:
    return ac.page("terms.html")


async def _terms_process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    if "accept" in form:
        ac.user.attributes[TERMS_ATTRIBUTE] = [str(ac.ctx.clock.now())]
        return DONE
    if "cancel" in form:
        return REFUSED
    return ac.page("terms.html", 400)


# --- CONFIGURE_TOTP -----------------------------------------------------------------------


def _totp_page(ac: ActionContext, error: str | None = None, label: str = "") -> Page:
    """The key the tab keeps, as a QR code (an SVG data URI drawn here: the key never
    leaves the server for a QR service) and as text to type, with the policy's settings
    for apps that ask."""
    realm, secret = ac.ctx.realm, ac.tab.totp_secret
    assert secret is not None
    policy = realm.otp_policy
    issuer = realm.display_name or realm.name
    uri = otpauth_uri(policy, secret, issuer=issuer, account=ac.user.username)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return ac.page(
        "login_config_totp.html",
        400 if error else 200,
        error=error,
        qr_image=qr,
        manual_key=manual_key(secret),
        policy=policy,
        apps=supported_applications(policy),
        device_label=label,
        logout_sessions=False,
    )


async def _totp_challenge(ac: ActionContext) -> Challenge:
    """Keycloak's UpdateTotp: a new key for each showing of the page in this login."""
    if ac.tab.totp_secret is None:
        ac.tab.totp_secret = generate_secret()
    return _totp_page(ac)


async def _totp_process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    """The code must come from the key this page offered, within the policy's window;
    the device is then the user's, under the name given (required when the user already
    has one, as Keycloak asks). "Sign out on my other devices" ends the other sessions."""
    secret = ac.tab.totp_secret
    if secret is None:
        return await _totp_challenge(ac)  # type: ignore[return-value]
    code = form.get("totp", "").strip()[:16]
    label = form.get("userLabel", "").strip()[:255]
    policy = ac.ctx.realm.otp_policy
    otp = OtpCredential.new(secret, policy)
    existing = await otp_devices(ac.repos, ac.user)
    error = None
    if not code:
        error = "missingTotpMessage"
    elif existing and not label:
        error = "missingTotpDeviceNameMessage"
    elif (
        otp.matching_counter(code, now=ac.ctx.clock.now(), window=policy.look_ahead_window) is None
    ):
        error = "invalidTotpMessage"
    if error is not None:
        ac.ctx.record(
            "UPDATE_TOTP_ERROR",
            client_id=ac.client_id,
            user_id=ac.user.id,
            ip_address=ac.info.ip_address,
            error="invalid_totp" if error == "invalidTotpMessage" else "missing_fields",
        )
        return _totp_page(ac, error, label)
    if otp.sub_type == HOTP:
        counter = otp.matching_counter(code, now=0, window=policy.look_ahead_window)
        otp = replace(otp, counter=(counter or 0) + 1)
    await add_otp_device(ac.repos, ac.user, otp, label or None, now=ac.ctx.clock.now())
    ac.tab.totp_secret = None
    if form.get("logout-sessions") == "on":
        await _end_other_sessions(ac)
    ac.details["credential_type"] = "otp"
    return DONE


# --- CONFIGURE_RECOVERY_AUTHN_CODES -------------------------------------------------------


def _codes_page(ac: ActionContext, error: str | None = None) -> Page:
    """The codes, shown this once (the tab keeps them until they are confirmed; only their
    hashes are stored), with a text file of them to download — no script needed."""
    codes = [display(code) for code in ac.tab.recovery_codes or []]
    realm = ac.ctx.realm.display_name or ac.ctx.realm.name
    text = "\n".join([realm, ac.user.username, ""] + [f"{i}. {c}" for i, c in enumerate(codes, 1)])
    return ac.page(
        "login_recovery_codes_setup.html",
        400 if error else 200,
        error=error,
        codes=codes,
        download_url="data:text/plain;charset=utf-8," + quote(text + "\n"),
        download_name=f"{ac.ctx.realm.name}-recovery-codes.txt",
    )


async def _codes_challenge(ac: ActionContext) -> Challenge:
    if not ac.tab.recovery_codes:
        ac.tab.recovery_codes = generate_codes()
    return _codes_page(ac)


async def _codes_process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    """Keycloak's RecoveryAuthnCodesAction: the person confirms the codes are saved; the
    new set then replaces any old one."""
    codes = ac.tab.recovery_codes
    if not codes:
        return await _codes_challenge(ac)  # type: ignore[return-value]
    if form.get("kcRecoveryCodesConfirmationCheck") != "on":
        return _codes_page(ac, "recoveryCodesConfirmMissing")
    await set_recovery_codes(ac.repos, ac.user, codes, now=ac.ctx.clock.now())
    ac.tab.recovery_codes = None
    if form.get("logout-sessions") == "on":
        await _end_other_sessions(ac)
    ac.details["credential_type"] = "recovery-authn-codes"
    return DONE


# --- webauthn-register -------------------------------------------------------------------


def _webauthn_host(ac: ActionContext) -> tuple[str, list[str]]:
    parts = urlsplit(ac.ctx.base_url)
    return parts.hostname or "", [f"{parts.scheme}://{parts.netloc}"]


async def _user_keys(ac: ActionContext) -> list[WebAuthnCredentialData]:
    found = []
    for key in await ac.repos.credentials.list_for_user(ac.user.id, WEBAUTHN_TYPE):
        try:
            found.append(WebAuthnCredentialData.parse(key.secret_data, key.credential_data))
        except WebAuthnCredentialError:
            continue
    return found


async def _key_page(ac: ActionContext, error: str | None = None, label: str = "") -> Page:
    """Keycloak's WebAuthnRegister: the creation options under the realm's (second-factor)
    WebAuthn policy, with a new single-use challenge each time the page is shown."""
    challenge = secrets.token_bytes(32)
    ac.tab.webauthn_challenge = webauthn_b64encode(challenge)
    host, _ = _webauthn_host(ac)
    options = registration_options(
        ac.ctx.realm.webauthn_policy, host, ac.user, await _user_keys(ac), challenge
    )
    return ac.page(
        "login_webauthn_register.html",
        400 if error else 200,
        error=error,
        options=options,
        label=label,
    )


async def _key_challenge(ac: ActionContext) -> Challenge:
    return await _key_page(ac)


async def _key_process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    """The browser's attestation, checked against this page's challenge (used once) and
    the policy; the key is then the user's, under the name given."""
    label = form.get("authenticatorLabel", "").strip()[:255]
    challenge, ac.tab.webauthn_challenge = ac.tab.webauthn_challenge, None
    response = form.get("credential", "")[:65536]
    host, origins = _webauthn_host(ac)
    try:
        if not challenge or not response:
            raise WebAuthnCeremonyError("no credential was sent")
        data = verify_registration(
            ac.ctx.realm.webauthn_policy,
            host,
            origins,
            webauthn_b64decode(challenge, "challenge"),
            response,
            registered=await _user_keys(ac),
        )
    except WebAuthnCeremonyError as problem:
        log.info("realm=%s user=%s: %s", ac.ctx.realm.name, ac.user.id, problem)
        ac.ctx.record(
            "UPDATE_CREDENTIAL_ERROR",
            client_id=ac.client_id,
            user_id=ac.user.id,
            ip_address=ac.info.ip_address,
            error="invalid_registration",
            details={"credential_type": WEBAUTHN_TYPE},
        )
        return await _key_page(ac, "webauthnErrorMessage", label)
    existing = await ac.repos.credentials.list_for_user(ac.user.id)
    await ac.repos.credentials.add(
        Credential(
            id=new_id(),
            user_id=ac.user.id,
            type=WEBAUTHN_TYPE,
            secret_data=data.secret_data(),
            credential_data=data.credential_data(),
            created_date=ac.ctx.clock.now() * 1000,
            user_label=label or None,
            priority=max((c.priority for c in existing), default=0) + 10,
        )
    )
    ac.details["credential_type"] = WEBAUTHN_TYPE
    return DONE


_CHALLENGES: dict[str, Callable[[ActionContext], Awaitable[Challenge]]] = {
    UPDATE_PASSWORD: _password_challenge,
    UPDATE_PROFILE: _profile_challenge,
    VERIFY_EMAIL: _verify_challenge,
    TERMS_AND_CONDITIONS: _terms_challenge,
    CONFIGURE_TOTP: _totp_challenge,
    CONFIGURE_RECOVERY_AUTHN_CODES: _codes_challenge,
    WEBAUTHN_REGISTER: _key_challenge,
}
_PROCESSORS: dict[str, Callable[[ActionContext, Mapping[str, str]], Awaitable[Outcome]]] = {
    UPDATE_PASSWORD: _password_process,
    UPDATE_PROFILE: _profile_process,
    VERIFY_EMAIL: _verify_process,
    TERMS_AND_CONDITIONS: _terms_process,
    CONFIGURE_TOTP: _totp_process,
    CONFIGURE_RECOVERY_AUTHN_CODES: _codes_process,
    WEBAUTHN_REGISTER: _key_process,
}


async def challenge(ac: ActionContext) -> Challenge:
    return await _CHALLENGES[ac.provider_id](ac)


async def process(ac: ActionContext, form: Mapping[str, str]) -> Outcome:
    return await _PROCESSORS[ac.provider_id](ac, form)
