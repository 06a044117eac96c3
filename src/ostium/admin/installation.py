"""GET /realms/{realm}/clients/{id}/installation/providers/{providerId}: adapter configs.

Keycloak's `keycloak-oidc-keycloak-json` provider (KeycloakOIDCClientInstallation) writes
the `keycloak.json` its adapters and keycloak-js read. It is the one provider Ostium has;
Keycloak's others (`keycloak-oidc-jboss-subsystem`, `keycloak-oidc-jboss-subsystem-cli`,
the SAML ones) configure WildFly subsystems and answer 404 "Unknown Provider" here, as
Keycloak answers an id it does not know.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ostium.admin.context import Admin, admin
from ostium.admin.errors import NotFound
from ostium.domain import Client, Realm

__all__ = ["INSTALLATION_PROVIDERS", "keycloak_json", "router"]

router = APIRouter(tags=["Clients"])

KEYCLOAK_JSON = "keycloak-oidc-keycloak-json"

# ServerInfoRepresentation.clientInstallations: protocol → ClientInstallationRepresentation.
INSTALLATION_PROVIDERS: dict[str, list[dict[str, Any]]] = {
    "openid-connect": [
        {
            "id": KEYCLOAK_JSON,
            "protocol": "openid-connect",
            "downloadOnly": False,
            "displayType": "Keycloak OIDC JSON",
            "helpText": "keycloak.json file used by the Keycloak OIDC client adapter.",
            "filename": "keycloak.json",
            "mediaType": "application/json",
        }
    ]
}


def keycloak_json(
    realm: Realm, client: Client, auth_server_url: str, has_roles: bool
) -> dict[str, Any]:
    """The adapter config, keys and presence rules as Keycloak's: `public-client` only for a
    public client, `bearer-only` and `verify-token-audience` only for a bearer-only one,
    `credentials` for a confidential one, `use-resource-role-mappings` when the client has
    roles of its own."""
    body: dict[str, Any] = {
        "realm": realm.name,
        "auth-server-url": auth_server_url.rstrip("/") + "/",
        "ssl-required": realm.ssl_required.lower(),
        "resource": client.client_id,
    }
    if client.bearer_only:
        body["verify-token-audience"] = True
    if not client.public_client:
        if client.client_authenticator_type == "client-secret":
            body["credentials"] = {"secret": client.secret or ""}
        elif client.client_authenticator_type == "client-x509":
            # The certificate is the credential: nothing for the adapter to hold (Keycloak's
            # X509ClientAuthenticator adapter configuration is empty).
            body["credentials"] = {}
        else:
            body["credentials"] = {"jwt": {"client-keystore-file": "REPLACE WITH THE LOCATION"}}
    if has_roles:
        body["use-resource-role-mappings"] = True
    body["confidential-port"] = 0
    if client.public_client and not client.bearer_only:
        body["public-client"] = True
    if client.bearer_only:
        body["bearer-only"] = True
    return body


@router.get("/realms/{realm}/clients/{id}/installation/providers/{provider_id}")
async def installation(
    realm: str, id: str, provider_id: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
        if provider_id != KEYCLOAK_JSON:
            raise NotFound("Unknown Provider")
        has_roles = bool(await repos.roles.list_client_roles(client.id))
    return keycloak_json(loaded, client, a.runtime.base_url(a.request), has_roles)
