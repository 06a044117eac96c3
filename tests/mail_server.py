"""A real SMTP server in the test process (aiosmtpd), receiving what Ostium sends.

It listens on a free loopback port in a thread of its own; `MailServer.settings()` is the
realm's `smtpServer` map pointing at it. It can speak SMTPS (TLS from the first byte),
require STARTTLS, and require a user name and password, each checked for real.
"""

from __future__ import annotations

import email
import email.policy
import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.hazmat.primitives import serialization

from tests.redis_server import free_port
from tests.support import form_of
from tests.x509_ca import issue


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def wait_for_mail(inbox: Inbox, address: str, count: int) -> None:
    """Until `address` has `count` mails: a server in another process sends after it
    answers. (Not a timing assertion: fails only when a mail never arrives.)"""
    deadline = time.monotonic() + 15
    while len(inbox.to(address)) < count:
        assert time.monotonic() < deadline, f"no mail for {address}"
        time.sleep(0.1)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    """The action-token link of a mail, from its text part."""
    match = re.search(r"https?://\S+/login-actions/action-token\?\S+", text_of(message))
    assert match, text_of(message)
    return match.group(0)


@dataclass
class MailServer:
    inbox: Inbox
    host: str
    port: int
    ca_pem: str | None = None  # the CA of the server's certificate, when it speaks TLS

    def settings(self, **extra: str) -> dict[str, str]:
        return {
            "host": self.host,
            "port": str(self.port),
            "from": "iam@example.test",
            "fromDisplayName": "Example IAM",
            "replyTo": "help@example.test",
            **extra,
        }

    def client_context(self) -> ssl.SSLContext:
        """A TLS context that trusts this server's certificate (for Ostium's outbox)."""
        return ssl.create_default_context(cadata=self.ca_pem)


def _server_context(tmp: Path) -> tuple[ssl.SSLContext, str]:
    now = datetime.now(UTC)
    root = issue("Mail Test CA", ca=True, now=now)
    leaf = issue("localhost", root, now=now, dns_names=("localhost",), ip_addresses=("127.0.0.1",))
    cert, key = tmp / "smtp.pem", tmp / "smtp.key"
    cert.write_text(leaf.pem)
    key.write_bytes(
        leaf.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, root.pem


@contextmanager
def mail_server(
    tmp: Path,
    *,
    tls: str | None = None,
    login: tuple[str, str] | None = None,
) -> Iterator[MailServer]:
    """`tls`: None (plain), "ssl" (SMTPS) or "starttls" (STARTTLS required).
    `login`: the only user name and password the server accepts (AUTH required, over
    TLS only)."""
    inbox = Inbox()
    kwargs: dict[str, Any] = {}
    ca_pem = None
    if tls is not None:
        context, ca_pem = _server_context(tmp)
        if tls == "ssl":
            kwargs["ssl_context"] = context
        else:
            kwargs.update(tls_context=context, require_starttls=True)
    if login is not None:

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                )
                == login
            )
            # handled=False: aiosmtpd answers 535 itself (True means "already answered").
            return AuthResult(success=ok, handled=False)

        # AUTH only after STARTTLS (aiosmtpd's default), as a submission server has it;
        # aiosmtpd does not count SMTPS as TLS for AUTH.
        assert tls == "starttls", "AUTH is tested over STARTTLS"
        kwargs.update(authenticator=authenticator, auth_required=True)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield MailServer(inbox, "127.0.0.1", port, ca_pem)
    finally:
        controller.stop()


def closed_port() -> int:
    """A loopback port nothing listens on: an SMTP server that is down."""
    return free_port()


async def follow_link(http: httpx.AsyncClient, link: str) -> httpx.Response:
    """Opens an e-mailed link as a person does: the confirmation page, then "Continue".
    A refused link answers on the first request already."""
    page = await http.get(link)
    if page.status_code != 200 or 'id="kc-action-confirm"' not in page.text:
        return page
    action, hidden = form_of(page.text, "kc-action-confirm")
    return await http.post(action, data=hidden)
