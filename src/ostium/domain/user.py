"""A user and their credentials."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PASSWORD", "PASSWORD_HISTORY", "Credential", "User"]

PASSWORD = "password"  # noqa: S105 - a credential type name, not a secret
# A previous password's hash, kept for the passwordHistory and passwordAge policies
# (Keycloak's PasswordCredentialModel.PASSWORD_HISTORY).
PASSWORD_HISTORY = "password-history"  # noqa: S105 - a credential type name


@dataclass
class User:
    id: str
    realm_id: str
    username: str
    email: str | None = None
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    enabled: bool = True
    created_timestamp: int = 0  # milliseconds, as Keycloak's createdTimestamp
    attributes: dict[str, list[str]] = field(default_factory=dict)
    required_actions: list[str] = field(default_factory=list)
    service_account_client_id: str | None = None
    not_before: int = 0

    @property
    def full_name(self) -> str | None:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) if parts else None


@dataclass
class Credential:
    """Stored in Keycloak's own shape so exports carry hashes as Keycloak writes them.

    `secret_data` and `credential_data` are the JSON strings of Keycloak's
    CredentialRepresentation (`{"value", "salt", …}` and `{"hashIterations", "algorithm", …}`).
    """

    id: str
    user_id: str
    type: str
    secret_data: str
    credential_data: str
    created_date: int = 0  # milliseconds
    user_label: str | None = None
    priority: int = 10
