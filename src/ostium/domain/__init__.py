"""Plain domain objects: what the protocol and the services reason about.

They know nothing of storage rows or of Keycloak's JSON representations.
"""

from __future__ import annotations

from ostium.domain.client import (
    POST_LOGOUT_REDIRECT_URIS,
    Client,
    ClientScope,
    ProtocolMapper,
    redirect_uri_matches,
)
from ostium.domain.key import RealmKey
from ostium.domain.realm import Realm
from ostium.domain.role import Group, Role
from ostium.domain.session import AuthorizationCode, ClientSession, UserSession
from ostium.domain.user import PASSWORD, Credential, User

__all__ = [
    "PASSWORD",
    "POST_LOGOUT_REDIRECT_URIS",
    "AuthorizationCode",
    "Client",
    "ClientScope",
    "ClientSession",
    "Credential",
    "Group",
    "ProtocolMapper",
    "Realm",
    "RealmKey",
    "Role",
    "User",
    "UserSession",
    "redirect_uri_matches",
]
