"""A user's consent to a client: which client scopes they let it have (Keycloak's
UserConsentModel; exported as a user's `clientConsents`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["UserConsent"]


@dataclass
class UserConsent:
    """`client_id` is the client's internal id; `granted_scopes` are client scope names
    (Keycloak's representation names them too). Dates are milliseconds, as Keycloak's."""

    user_id: str
    client_id: str
    granted_scopes: list[str] = field(default_factory=list)
    created_date: int = 0
    last_updated_date: int = 0
