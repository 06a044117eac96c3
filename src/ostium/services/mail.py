"""E-mail: rendering Keycloak's e-mails from templates, and sending them in the background.

Sending is asynchronous on purpose: the request that asked for a mail (an administrator's
execute-actions-email, a "forgot password?" form) is answered first, then the mail goes
out from a task of the `Outbox`, with retries and a growing pause between attempts. A
mail that cannot be sent after the last attempt is an audit event with Keycloak's event
type (`SEND_VERIFY_EMAIL_ERROR`, `SEND_RESET_PASSWORD_ERROR`, `EXECUTE_ACTIONS_ERROR`,
error `email_send_failed`) and one log line per attempt naming the realm, the user's id
and the SMTP host — never an address's password or the link the mail carries (it is a
credential until it is used).

SMTP itself is aiosmtplib's: SMTPS when `ssl` is on, STARTTLS required when `starttls` is
on and refused otherwise (Keycloak's JavaMail sends in clear without it), LOGIN/PLAIN with
`user`/`password` when `auth` is on, the certificate checked against the system's trust
store (or the context the server is given).

Each mail is text and HTML (multipart/alternative) from `templates/email/<name>.txt` and
`.html`, translated (the realm's localization texts first) in the user's `locale`
attribute when the realm supports it, else the realm's default locale, else English.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

import aiosmtplib

from ostium.clock import Clock
from ostium.domain import Realm, User
from ostium.domain.locale_selection import LocaleRequest, select_locale
from ostium.domain.smtp import SmtpSettings, SmtpSettingsError, smtp_settings
from ostium.events import Event, EventLog
from ostium.services.user_locale import user_locale
from ostium.themes import ResolvedTheme, ThemeFolder

__all__ = [
    "EMAIL_SEND_FAILED",
    "MailError",
    "MailEvent",
    "MailTemplates",
    "Outbox",
    "OutgoingMail",
    "Translator",
    "compose",
    "link_expiry",
    "mail_locale",
]

log = logging.getLogger("ostium.mail")

EMAIL_SEND_FAILED = "email_send_failed"  # Keycloak's Errors.EMAIL_SEND_FAILED
# Seconds to wait before the second, third and fourth attempt.
RETRY_DELAYS: tuple[float, ...] = (2.0, 15.0, 60.0)

# (locale, realm texts, theme) → msg(key, *args): the pages' catalogues (web/pages.py), the
# realm's localization texts first, then the e-mail theme's messages.
Translator = Callable[
    [str, Mapping[str, Mapping[str, str]] | None, ResolvedTheme | None], Callable[..., str]
]


class MailError(Exception):
    """A mail could not be sent; the text names the SMTP host and why, never a secret."""


@dataclass(frozen=True)
class OutgoingMail:
    recipient: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class MailEvent:
    """The audit events of one mail: `type` once sent, `error_type` once given up."""

    type: str | None
    error_type: str | None
    realm: Realm
    user_id: str | None = None
    client_id: str | None = None
    ip_address: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def mail_locale(realm: Realm, user: User | None) -> str:
    """Keycloak's e-mail locale (LocaleSelector with the user and no request): the user's
    `locale` attribute among the realm's supported locales, else the realm's default,
    else English — English alone when internationalization is off."""
    return select_locale(
        LocaleRequest(user_locale=user_locale(user)),
        internationalization_enabled=realm.internationalization_enabled,
        supported_locales=realm.supported_locales,
        default_locale=realm.default_locale,
    )


def link_expiry(seconds: int, msg: Callable[..., str]) -> str:
    """Minutes, hours or days: the largest whole unit, as Keycloak's
    linkExpirationFormatter writes it."""
    if seconds >= 86400 and seconds % 86400 == 0:
        return msg("linkExpiryDays", seconds // 86400)
    if seconds >= 3600 and seconds % 3600 == 0:
        return msg("linkExpiryHours", seconds // 3600)
    return msg("linkExpiryMinutes", max(seconds // 60, 1))


class MailTemplates:
    """`templates/email/<name>.txt` and `.html`; the subject is the message `<subject>`.
    The realm's `emailTheme` (ostium.themes) overrides them: Keycloak's layout,
    `<theme>/email/html/<name>.html`, `<theme>/email/text/<name>.txt`, and its
    `messages/messages_<locale>.properties`. Plain text is never HTML-escaped (the theme's
    environment escapes `.html` only), so links keep their `&`."""

    def __init__(self, translator: Translator, themes: ThemeFolder | None = None) -> None:
        self.translator = translator
        self.themes = themes or ThemeFolder(None)

    def render(
        self,
        name: str,
        *,
        subject_key: str,
        realm: Realm,
        user: User | None,
        recipient: str,
        lifespan: int | None = None,
        **context: object,
    ) -> OutgoingMail:
        """`lifespan`: the seconds the mail's link lives, written out as `expiry`."""
        locale = mail_locale(realm, user)
        theme = self.themes.get("email", realm.email_theme)
        msg = self.translator(locale, realm.localization_texts, theme)
        values: dict[str, object] = {
            "msg": msg,
            "expiry": link_expiry(lifespan, msg) if lifespan is not None else "",
            "locale": locale,
            "realm_name": realm.display_name or realm.name,
            "user": user,
            **context,
        }
        return OutgoingMail(
            recipient=recipient,
            subject=msg(subject_key, realm.display_name or realm.name),
            text=theme.environment.get_template(f"email/{name}.txt").render(values),
            html=theme.environment.get_template(f"email/{name}.html").render(values),
        )


def compose(settings: SmtpSettings, mail: OutgoingMail) -> EmailMessage:
    """A multipart/alternative message, text first (RFC 2046 §5.1.4: the last part is the
    preferred one). Keycloak sets Reply-To to `replyTo` or, without it, the sender."""
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name or "", settings.sender))
    message["To"] = mail.recipient
    if settings.reply_to:
        message["Reply-To"] = formataddr((settings.reply_to_name or "", settings.reply_to))
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=Address(addr_spec=settings.sender).domain or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class Outbox:
    """Sends mail off the request: `send_later` and `run_later` return at once; the tasks
    are kept so that shutdown (and a test) can wait for them with `drain`."""

    def __init__(
        self,
        events: EventLog,
        clock: Clock,
        templates: MailTemplates,
        *,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.events = events
        self.clock = clock
        self.templates = templates
        self.retry_delays = tuple(retry_delays)
        self.tls_context = tls_context
        self._tasks: set[asyncio.Task[None]] = set()

    async def send_now(self, raw_settings: Mapping[str, str], mail: OutgoingMail) -> None:
        """One attempt, waited for (testSMTPConnection): `MailError` says why not."""
        try:
            settings = smtp_settings(raw_settings)
        except SmtpSettingsError as error:
            raise MailError(str(error)) from None
        await self._send(settings, mail)

    async def _send(self, settings: SmtpSettings, mail: OutgoingMail) -> None:
        sender = settings.envelope_from or settings.sender
        try:
            await aiosmtplib.send(
                compose(settings, mail),
                sender=sender,
                recipients=[mail.recipient],
                hostname=settings.host,
                port=settings.port,
                use_tls=settings.ssl,
                start_tls=settings.starttls and not settings.ssl,
                username=settings.user if settings.auth else None,
                password=settings.password if settings.auth else None,
                timeout=settings.timeout,
                tls_context=self.tls_context,
            )
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as error:
            # aiosmtplib's texts carry the server's reply, never the credentials sent.
            reason = f"{type(error).__name__}: {str(error)[:200]}"
            raise MailError(f"{settings.host}:{settings.port}: {reason}") from None

    def run_later(self, work: Callable[[], Awaitable[None]]) -> None:
        """Work after the answer (the "forgot password?" look-up and its mail): an
        exception is logged, never lost silently, and never reaches the request."""

        async def guarded() -> None:
            try:
                await work()
            except Exception:
                log.exception("background mail work failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send_later(
        self, raw_settings: Mapping[str, str], mail: OutgoingMail, event: MailEvent
    ) -> None:
        settings = dict(raw_settings)

        async def work() -> None:
            await self.deliver(settings, mail, event)

        self.run_later(work)

    async def deliver(
        self, raw_settings: Mapping[str, str], mail: OutgoingMail, event: MailEvent
    ) -> bool:
        """Attempts with pauses in between; the event says how it ended."""
        realm = event.realm
        try:
            settings = smtp_settings(raw_settings)
        except SmtpSettingsError as error:
            log.warning("realm=%s user=%s: cannot send mail: %s", realm.name, event.user_id, error)
            self._record(event, event.error_type, error=EMAIL_SEND_FAILED)
            return False
        attempts = len(self.retry_delays) + 1
        for attempt in range(1, attempts + 1):
            try:
                await self._send(settings, mail)
            except MailError as error:
                log.warning(
                    "realm=%s user=%s: mail attempt %d of %d failed: %s",
                    realm.name,
                    event.user_id,
                    attempt,
                    attempts,
                    error,
                )
                if attempt < attempts:
                    await asyncio.sleep(self.retry_delays[attempt - 1])
                continue
            self._record(event, event.type)
            return True
        self._record(event, event.error_type, error=EMAIL_SEND_FAILED)
        return False

    def _record(self, event: MailEvent, type: str | None, *, error: str | None = None) -> None:
        if type is None:
            return
        self.events.record(
            Event(
                type,
                event.realm.id,
                self.clock.now(),
                client_id=event.client_id,
                user_id=event.user_id,
                ip_address=event.ip_address,
                error=error,
                details=dict(event.details),
                realm_name=event.realm.name,
            )
        )

    async def drain(self) -> None:
        """Waits for every mail in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, *, grace: float = 5.0) -> None:
        """At shutdown: a few seconds for mails in flight, then the rest are given up,
        each named in the log (the queue lives in memory, not in the database)."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=grace)
        if pending:
            log.warning("shutting down with %d mail(s) not sent", len(pending))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
