"""What a new realm contains (Keycloak's defaults), and writing a realm in one go."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ostium.domain import Client, ClientScope, Credential, Group, Realm, RealmKey, Role, User
from ostium.domain.client import AUTH_ADMIN_URL, AUTH_BASE_URL
from ostium.domain.consent import UserConsent
from ostium.domain.user import PASSWORD
from ostium.keys import default_realm_keys
from ostium.services.passwords import hash_password
from ostium.storage.interfaces import Repositories

__all__ = [
    "ADMIN_ROLES",
    "DEFAULT_CLIENT_SCOPES",
    "OPTIONAL_CLIENT_SCOPES",
    "RealmBundle",
    "admin_user",
    "new_id",
    "new_realm",
    "service_account_user",
    "write_bundle",
    "write_users",
]

# Keycloak 26's realm default and optional client scopes.
DEFAULT_CLIENT_SCOPES = ["web-origins", "acr", "profile", "roles", "basic", "email"]
OPTIONAL_CLIENT_SCOPES = ["address", "phone", "offline_access", "organization", "microprofile-jwt"]

_SILENT_SCOPES = frozenset({"roles", "web-origins", "acr", "basic"})

# realm-management's roles; realm-admin is the composite of all of them.
ADMIN_ROLES = [
    "create-client",
    "impersonation",
    "manage-authorization",
    "manage-clients",
    "manage-events",
    "manage-identity-providers",
    "manage-realm",
    "manage-users",
    "query-clients",
    "query-groups",
    "query-realms",
    "query-users",
    "view-authorization",
    "view-clients",
    "view-events",
    "view-identity-providers",
    "view-realm",
    "view-users",
]
_ADMIN_COMPOSITES = {
    "view-users": ["query-users", "query-groups"],
    "view-clients": ["query-clients"],
}
_ACCOUNT_ROLES = [
    "delete-account",
    "manage-account",
    "manage-account-links",
    "manage-consent",
    "view-applications",
    "view-consent",
    "view-groups",
    "view-profile",
]
_ACCOUNT_COMPOSITES = {
    "manage-account": ["manage-account-links"],
    "manage-consent": ["view-consent"],
}


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class RealmBundle:
    """Everything one realm consists of, ready to write in one transaction."""

    realm: Realm
    clients: list[Client] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    composites: list[tuple[str, str]] = field(default_factory=list)  # (parent, child) role ids
    groups: list[Group] = field(default_factory=list)  # parents before children
    group_roles: list[tuple[str, str]] = field(default_factory=list)  # (group id, role id)
    users: list[User] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    user_roles: list[tuple[str, str]] = field(default_factory=list)  # (user id, role id)
    memberships: list[tuple[str, str]] = field(default_factory=list)  # (group id, user id)
    consents: list[UserConsent] = field(default_factory=list)  # users' clientConsents
    # What the source held that Ostium could not import (services/import_coverage.py).
    warnings: list[str] = field(default_factory=list)
    keys: list[RealmKey] = field(default_factory=list)
    client_scopes: list[ClientScope] = field(default_factory=list)

    def client(self, client_id: str) -> Client | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def realm_role(self, name: str) -> Role | None:
        return next((r for r in self.roles if r.client_id is None and r.name == name), None)

    def client_role(self, client_internal_id: str, name: str) -> Role | None:
        return next(
            (r for r in self.roles if r.client_id == client_internal_id and r.name == name), None
        )

    def reassign_client_id(self, client: Client, new: str) -> None:
        """Give a default client the id an import file has for it."""
        old, client.id = client.id, new
        for role in self.roles:
            if role.client_id == old:
                role.client_id = new

    def reassign_role_id(self, role: Role, new: str) -> None:
        """Give a default role the id an import file has for it."""
        old, role.id = role.id, new
        self.composites = [
            (new if parent == old else parent, new if child == old else child)
            for parent, child in self.composites
        ]

    def add_client(
        self,
        client: Client,
        role_names: list[str] | None = None,
        composites: dict[str, list[str]] | None = None,
    ) -> None:
        self.clients.append(client)
        for name in role_names or []:
            self.roles.append(Role(new_id(), self.realm.id, name, client_id=client.id))
        for parent, children in (composites or {}).items():
            parent_role = self.client_role(client.id, parent)
            assert parent_role is not None
            parent_role.composite = True
            for child in children:
                child_role = self.client_role(client.id, child)
                assert child_role is not None
                self.composites.append((parent_role.id, child_role.id))


def _client(realm: Realm, client_id: str, **settings: object) -> Client:
    client = Client(
        id=new_id(),
        realm_id=realm.id,
        client_id=client_id,
        default_client_scopes=list(DEFAULT_CLIENT_SCOPES),
        optional_client_scopes=list(OPTIONAL_CLIENT_SCOPES),
    )
    for name, value in settings.items():
        setattr(client, name, value)
    return client


def new_realm(
    name: str, now: int, *, master: bool = False, realm_id: str | None = None
) -> RealmBundle:
    """Keycloak's content for a new realm: default roles, the built-in clients, keys.

    The browser clients hold relative redirect URIs under a rootUrl placeholder
    (`${authBaseUrl}`, `${authAdminUrl}`), as Keycloak's, so they follow the server to
    whatever hostname it is reached at."""
    realm = Realm(id=realm_id or new_id(), name=name)
    if master:
        # The name the welcome and login pages show; this server is Ostium, not Keycloak.
        realm.display_name = "Ostium"
    bundle = RealmBundle(realm=realm)
    base = f"/realms/{name}"
    for role_name in ("offline_access", "uma_authorization"):
        bundle.roles.append(Role(new_id(), realm.id, role_name))
    account = _client(
        realm,
        "account",
        name="${client_account}",
        public_client=True,
        root_url=AUTH_BASE_URL,
        base_url=f"{base}/account/",
        redirect_uris=[f"{base}/account/*"],
    )
    bundle.add_client(account, _ACCOUNT_ROLES, _ACCOUNT_COMPOSITES)
    bundle.add_client(
        _client(
            realm,
            "account-console",
            name="${client_account-console}",
            public_client=True,
            root_url=AUTH_BASE_URL,
            base_url=f"{base}/account/",
            redirect_uris=[f"{base}/account/*"],
            attributes={"pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "+"},
        )
    )
    bundle.add_client(
        _client(
            realm,
            "admin-cli",
            name="${client_admin-cli}",
            public_client=True,
            standard_flow_enabled=False,
            direct_access_grants_enabled=True,
        )
    )
    broker = _client(realm, "broker", name="${client_broker}", bearer_only=True)
    bundle.add_client(broker, ["read-token"])
    bundle.add_client(
        _client(
            realm,
            "security-admin-console",
            name="${client_security-admin-console}",
            public_client=True,
            root_url=AUTH_ADMIN_URL,
            base_url=f"/admin/{name}/console/",
            redirect_uris=[f"/admin/{name}/console/*"],
            web_origins=["+"],
            attributes={"pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "+"},
        )
    )
    management_id = "master-realm" if master else "realm-management"
    management = _client(
        realm,
        management_id,
        name=f"{name} Realm" if master else "${client_realm-management}",
        bearer_only=True,
    )
    bundle.add_client(management, ADMIN_ROLES, _ADMIN_COMPOSITES)
    admin_role_names = list(ADMIN_ROLES)
    if not master:
        realm_admin = Role(
            new_id(), realm.id, "realm-admin", client_id=management.id, composite=True
        )
        bundle.roles.append(realm_admin)
        for role_name in admin_role_names:
            child = bundle.client_role(management.id, role_name)
            assert child is not None
            bundle.composites.append((realm_admin.id, child.id))
    else:
        create_realm = Role(new_id(), realm.id, "create-realm")
        admin = Role(new_id(), realm.id, "admin", composite=True)
        bundle.roles += [create_realm, admin]
        bundle.composites.append((admin.id, create_realm.id))
        for role_name in admin_role_names:
            child = bundle.client_role(management.id, role_name)
            assert child is not None
            bundle.composites.append((admin.id, child.id))
    default_roles = Role(new_id(), realm.id, realm.default_role_name, composite=True)
    bundle.roles.append(default_roles)
    for child in (
        bundle.realm_role("offline_access"),
        bundle.realm_role("uma_authorization"),
        bundle.client_role(account.id, "view-profile"),
        bundle.client_role(account.id, "manage-account"),
    ):
        assert child is not None
        bundle.composites.append((default_roles.id, child.id))
    bundle.keys = default_realm_keys(realm.id, name, now)
    # The built-in scopes' claims are Keycloak's default mappers, hard-wired in the
    # protocol (claims.py); the entities exist so clients and admins can name them.
    bundle.client_scopes = [
        ClientScope(
            new_id(),
            realm.id,
            scope,
            description=f"OpenID Connect built-in scope: {scope}",
            attributes={"include.in.token.scope": "false" if scope in _SILENT_SCOPES else "true"},
        )
        for scope in sorted({*DEFAULT_CLIENT_SCOPES, *OPTIONAL_CLIENT_SCOPES})
    ]
    return bundle


def admin_user(
    realm: Realm, admin_role: Role, username: str, password: str, now: int
) -> tuple[User, Credential, tuple[str, list[str]]]:
    """The bootstrap administrator: a user, an argon2id password, the admin role."""
    user = User(
        id=new_id(),
        realm_id=realm.id,
        username=username.strip().lower(),
        enabled=True,
        created_timestamp=now * 1000,
    )
    secret, data = hash_password(password)
    credential = Credential(new_id(), user.id, PASSWORD, secret, data, created_date=now * 1000)
    return user, credential, (user.id, [admin_role.id])


SERVICE_ACCOUNT_PREFIX = "service-account-"


def service_account_user(client: Client, now: int) -> User:
    """Keycloak's service-account user of a client: `service-account-<clientId>`
    (lower-cased, as every username), enabled, linked to the client. The caller grants it
    the realm's default roles, as Keycloak's `ClientManager.enableServiceAccount` does."""
    return User(
        id=new_id(),
        realm_id=client.realm_id,
        username=f"{SERVICE_ACCOUNT_PREFIX}{client.client_id}".lower(),
        enabled=True,
        created_timestamp=now * 1000,
        service_account_client_id=client.id,
    )


async def write_users(repos: Repositories, bundle: RealmBundle) -> None:
    """The bundle's users with their credentials, role grants and group memberships; the
    roles and groups they name are written first (a whole realm or a partial import)."""
    for user in bundle.users:
        await repos.users.add(user)
    for credential in bundle.credentials:
        await repos.credentials.add(credential)
    for user_id, role_id in bundle.user_roles:
        await repos.roles.grant_to_user(user_id, [role_id])
    for group_id, user_id in bundle.memberships:
        await repos.groups.add_member(group_id, user_id)
    for consent in bundle.consents:
        await repos.consents.put(consent)


async def write_bundle(repos: Repositories, bundle: RealmBundle) -> None:
    await repos.realms.add(bundle.realm)
    for client in bundle.clients:
        await repos.clients.add(client)
    for role in bundle.roles:
        await repos.roles.add(role)
    for parent, child in bundle.composites:
        await repos.roles.add_composites(parent, [child])
    for group in bundle.groups:
        await repos.groups.add(group)
    for group_id, role_id in bundle.group_roles:
        await repos.roles.grant_to_group(group_id, [role_id])
    await write_users(repos, bundle)
    for key in bundle.keys:
        await repos.keys.add(key)
    for scope in bundle.client_scopes:
        await repos.client_scopes.add(scope)
