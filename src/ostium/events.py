"""Audit events, named as Keycloak's event types (LOGIN, LOGIN_ERROR, CODE_TO_TOKEN…).

Events are finer than wire errors: the client sees `invalid_grant`, the event says
`code_reused`. Secrets never go into an event.

An event keeps Keycloak's `realmId` (the realm's id), and also carries the realm's name:
the log line names the realm by it (`realm=test realmId=…`), since an operator reading a
log knows realms by name, not by UUID.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

__all__ = ["Event", "EventLog"]

_log = logging.getLogger("ostium.events")


@dataclass(frozen=True)
class Event:
    type: str
    realm_id: str
    time: int
    client_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    ip_address: str | None = None
    error: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    realm_name: str | None = None


class EventLog:
    """Logs every event and keeps the most recent ones in memory for inspection."""

    def __init__(self, keep: int = 1000) -> None:
        self.recent: deque[Event] = deque(maxlen=keep)

    def record(self, event: Event) -> None:
        self.recent.append(event)
        level = logging.WARNING if event.error else logging.INFO
        _log.log(
            level,
            "type=%s realm=%s realmId=%s client=%s user=%s session=%s ip=%s error=%s %s",
            event.type,
            event.realm_name or event.realm_id,
            event.realm_id,
            event.client_id,
            event.user_id,
            event.session_id,
            event.ip_address,
            event.error,
            " ".join(f"{k}={v}" for k, v in sorted(event.details.items())),
        )
