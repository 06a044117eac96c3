"""The admin API's OpenAPI document, told truthfully.

FastAPI writes the document from the route signatures, and those say too little: the
resources read their JSON bodies themselves (Keycloak's 400 `errorMessage`, never
FastAPI's 422), return plain dicts, and answer creates with an empty 201 and a
`Location` header. This module completes FastAPI's document in one place:

- Keycloak's representations (`UserRepresentation`, `ClientRepresentation`, …) as
  schemas, typed from the same field tables import and the representations use;
- the request body of every create and update;
- the error answers every admin call can give (Keycloak's `ErrorRepresentation`,
  `{"errorMessage": …}` or `{"error": …}`) instead of FastAPI's 422, which Ostium never
  sends;
- empty 201/204 answers, with the `Location` header of a create;
- OpenAPI links (OpenAPI 3.0.3 §4.7.20) from each create to the operations on what it
  created, so a client generator or a stateful test can follow them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ostium.services.realm_import import CLIENT_FIELDS, USER_FIELDS

__all__ = ["admin_openapi"]

Schema = dict[str, Any]

_JSON_TYPES: dict[type, str] = {bool: "boolean", int: "integer", str: "string"}
_STRINGS: Schema = {"type": "array", "items": {"type": "string"}}
_MULTIVALUED: Schema = {"type": "object", "additionalProperties": _STRINGS}
_STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}
_NAME: Schema = {"type": "string", "minLength": 1}
_REQUIREMENT: Schema = {
    "type": "string",
    "enum": ["REQUIRED", "ALTERNATIVE", "CONDITIONAL", "DISABLED"],
}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _typed(table: dict[str, tuple[str, type]]) -> dict[str, Schema]:
    return {key: {"type": _JSON_TYPES[kind]} for key, (_, kind) in table.items()}


def _object(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    """Keycloak's representations are open: unknown fields are ignored on input and
    newer servers add fields on output."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


_PROTOCOL_MAPPER = _object(
    {
        "id": {"type": "string"},
        "name": _NAME,
        "protocol": {"type": "string"},
        "protocolMapper": {"type": "string"},
        "config": _STRING_MAP,
    },
    ("name",),
)

_CREDENTIAL = _object(
    {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "value": {"type": "string"},
        "temporary": {"type": "boolean"},
        "userLabel": {"type": "string"},
    }
)

REPRESENTATIONS: dict[str, Schema] = {
    "ErrorRepresentation": _object(
        {
            "errorMessage": {"type": "string"},
            "error": {"type": "string"},
            "error_description": {"type": "string"},
        }
    ),
    "UserRepresentation": _object(
        {
            "id": {"type": "string"},
            "username": _NAME,
            **_typed(USER_FIELDS),
            "attributes": _MULTIVALUED,
            "requiredActions": _STRINGS,
            "groups": _STRINGS,
            "credentials": {"type": "array", "items": _ref("CredentialRepresentation")},
        },
        ("username",),
    ),
    "CredentialRepresentation": _CREDENTIAL,
    "ClientRepresentation": _object(
        {
            "id": {"type": "string"},
            "clientId": _NAME,
            **_typed(CLIENT_FIELDS),
            "redirectUris": _STRINGS,
            "webOrigins": _STRINGS,
            "attributes": _STRING_MAP,
            "defaultClientScopes": _STRINGS,
            "optionalClientScopes": _STRINGS,
            "protocolMappers": {"type": "array", "items": _ref("ProtocolMapperRepresentation")},
        },
        ("clientId",),
    ),
    "ProtocolMapperRepresentation": _PROTOCOL_MAPPER,
    "ClientScopeRepresentation": _object(
        {
            "id": {"type": "string"},
            "name": _NAME,
            "description": {"type": "string"},
            "protocol": {"type": "string", "enum": ["openid-connect", "saml"]},
            "attributes": _STRING_MAP,
            "protocolMappers": {"type": "array", "items": _ref("ProtocolMapperRepresentation")},
        },
        ("name",),
    ),
    "RoleRepresentation": _object(
        {
            "id": {"type": "string"},
            "name": _NAME,
            "description": {"type": "string"},
            "composite": {"type": "boolean"},
            "clientRole": {"type": "boolean"},
            "containerId": {"type": "string"},
            "attributes": _MULTIVALUED,
        },
        ("name",),
    ),
    "GroupRepresentation": _object(
        {
            "id": {"type": "string"},
            "name": _NAME,
            "path": {"type": "string"},
            "parentId": {"type": "string"},
            "attributes": _MULTIVALUED,
            "subGroupCount": {"type": "integer"},
            "subGroups": {"type": "array", "items": _ref("GroupRepresentation")},
        },
        ("name",),
    ),
    "AuthenticationFlowRepresentation": _object(
        {
            "id": {"type": "string"},
            "alias": _NAME,
            "description": {"type": "string"},
            "providerId": {"type": "string", "enum": ["basic-flow", "form-flow", "client-flow"]},
            "topLevel": {"type": "boolean"},
            "builtIn": {"type": "boolean"},
            "authenticationExecutions": {
                "type": "array",
                "items": _ref("AuthenticationExecutionExportRepresentation"),
            },
        },
        ("alias",),
    ),
    "AuthenticationExecutionExportRepresentation": _object(
        {
            "authenticatorConfig": {"type": "string"},
            "authenticator": {"type": "string"},
            "authenticatorFlow": {"type": "boolean"},
            "autheticatorFlow": {"type": "boolean"},
            "flowAlias": {"type": "string"},
            "requirement": _REQUIREMENT,
            "priority": {"type": "integer"},
            "userSetupAllowed": {"type": "boolean"},
        }
    ),
    "AuthenticationExecutionInfoRepresentation": _object(
        {
            "id": {"type": "string"},
            "requirement": _REQUIREMENT,
            "displayName": {"type": "string"},
            "alias": {"type": "string"},
            "description": {"type": "string"},
            "requirementChoices": {"type": "array", "items": _REQUIREMENT},
            "configurable": {"type": "boolean"},
            "authenticationFlow": {"type": "boolean"},
            "providerId": {"type": "string"},
            "authenticationConfig": {"type": "string"},
            "flowId": {"type": "string"},
            "level": {"type": "integer"},
            "index": {"type": "integer"},
            "priority": {"type": "integer"},
        }
    ),
    "AuthenticationExecutionRepresentation": _object(
        {
            "id": {"type": "string"},
            "authenticator": {"type": "string"},
            "authenticatorConfig": {"type": "string"},
            "authenticatorFlow": {"type": "boolean"},
            "flowId": {"type": "string"},
            "parentFlow": {"type": "string"},
            "requirement": _REQUIREMENT,
            "priority": {"type": "integer"},
        }
    ),
    "AuthenticatorConfigRepresentation": _object(
        {"id": {"type": "string"}, "alias": _NAME, "config": _STRING_MAP},
        ("alias",),
    ),
    "AuthenticatorConfigInfoRepresentation": _object(
        {
            "name": {"type": "string"},
            "providerId": {"type": "string"},
            "helpText": {"type": "string"},
            "properties": {"type": "array", "items": _ref("ConfigPropertyRepresentation")},
        }
    ),
    "ConfigPropertyRepresentation": _object(
        {
            "name": {"type": "string"},
            "label": {"type": "string"},
            "helpText": {"type": "string"},
            "type": {"type": "string"},
            "defaultValue": {},
            "options": _STRINGS,
            "secret": {"type": "boolean"},
            "required": {"type": "boolean"},
            "readOnly": {"type": "boolean"},
        }
    ),
    "AuthenticatorProviderRepresentation": _object(
        {
            "id": {"type": "string"},
            "displayName": {"type": "string"},
            "description": {"type": "string"},
            "supportsSecret": {"type": "boolean"},
        }
    ),
    "ComponentRepresentation": _object(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "providerId": {"type": "string"},
            "providerType": {"type": "string"},
            "parentId": {"type": "string"},
            "config": _MULTIVALUED,
        }
    ),
}

_USERS = "/realms/{realm}/users"
_CLIENTS = "/realms/{realm}/clients"
_GROUPS = "/realms/{realm}/groups"
_ROLES = "/realms/{realm}/roles"
_CLIENT_ROLES = _CLIENTS + "/{id}/roles"
_SCOPES = "/realms/{realm}/client-scopes"
_MAPPERS = _CLIENTS + "/{id}/protocol-mappers/models"
_COMPONENTS = "/realms/{realm}/components"
_ROLE_LIST: Schema = {"type": "array", "items": _ref("RoleRepresentation")}
_AUTH = "/realms/{realm}/authentication"
_FLOWS = _AUTH + "/flows"
_EXECUTIONS = _FLOWS + "/{flowAlias}/executions"
_PROVIDERS: Schema = {"type": "array", "items": _ref("AuthenticatorProviderRepresentation")}
_LOCALIZATION = "/realms/{realm}/localization"

# The JSON body each operation reads, by (method, path).
REQUEST_BODIES: dict[tuple[str, str], Schema] = {
    ("post", _USERS): _ref("UserRepresentation"),
    ("put", _USERS + "/{id}"): _ref("UserRepresentation"),
    ("put", _USERS + "/{id}/reset-password"): _ref("CredentialRepresentation"),
    ("post", _USERS + "/{id}/role-mappings/realm"): _ROLE_LIST,
    ("delete", _USERS + "/{id}/role-mappings/realm"): _ROLE_LIST,
    ("post", _USERS + "/{id}/role-mappings/clients/{client}"): _ROLE_LIST,
    ("delete", _USERS + "/{id}/role-mappings/clients/{client}"): _ROLE_LIST,
    ("put", _USERS + "/{id}/execute-actions-email"): _STRINGS,
    ("post", "/realms/{realm}/testSMTPConnection"): _STRING_MAP,
    ("post", _CLIENTS): _ref("ClientRepresentation"),
    ("put", _CLIENTS + "/{id}"): _ref("ClientRepresentation"),
    ("post", _CLIENT_ROLES): _ref("RoleRepresentation"),
    ("put", _CLIENT_ROLES + "/{name}"): _ref("RoleRepresentation"),
    ("post", _CLIENT_ROLES + "/{name}/composites"): _ROLE_LIST,
    ("delete", _CLIENT_ROLES + "/{name}/composites"): _ROLE_LIST,
    ("post", _MAPPERS): _ref("ProtocolMapperRepresentation"),
    ("put", _MAPPERS + "/{mapper_id}"): _ref("ProtocolMapperRepresentation"),
    ("post", _SCOPES): _ref("ClientScopeRepresentation"),
    ("post", _GROUPS): _ref("GroupRepresentation"),
    ("put", _GROUPS + "/{id}"): _ref("GroupRepresentation"),
    ("post", _GROUPS + "/{id}/children"): _ref("GroupRepresentation"),
    ("post", _GROUPS + "/{id}/role-mappings/realm"): _ROLE_LIST,
    ("delete", _GROUPS + "/{id}/role-mappings/realm"): _ROLE_LIST,
    ("post", _GROUPS + "/{id}/role-mappings/clients/{client}"): _ROLE_LIST,
    ("delete", _GROUPS + "/{id}/role-mappings/clients/{client}"): _ROLE_LIST,
    ("post", _ROLES): _ref("RoleRepresentation"),
    ("put", _ROLES + "/{name}"): _ref("RoleRepresentation"),
    ("post", _ROLES + "/{name}/composites"): _ROLE_LIST,
    ("delete", _ROLES + "/{name}/composites"): _ROLE_LIST,
    ("put", "/realms/{realm}/roles-by-id/{role_id}"): _ref("RoleRepresentation"),
    ("post", "/realms/{realm}/roles-by-id/{role_id}/composites"): _ROLE_LIST,
    ("delete", "/realms/{realm}/roles-by-id/{role_id}/composites"): _ROLE_LIST,
    ("post", _COMPONENTS): _ref("ComponentRepresentation"),
    ("put", _COMPONENTS + "/{id}"): _ref("ComponentRepresentation"),
    ("post", _FLOWS): _ref("AuthenticationFlowRepresentation"),
    ("put", _FLOWS + "/{id}"): _ref("AuthenticationFlowRepresentation"),
    ("post", _FLOWS + "/{flowAlias}/copy"): _object({"newName": _NAME}, ("newName",)),
    ("put", _EXECUTIONS): _ref("AuthenticationExecutionInfoRepresentation"),
    ("post", _EXECUTIONS + "/execution"): _object({"provider": _NAME}, ("provider",)),
    ("post", _EXECUTIONS + "/flow"): _object(
        {
            "alias": _NAME,
            "type": {"type": "string", "enum": ["basic-flow", "form-flow"]},
            "provider": {"type": "string"},
            "description": {"type": "string"},
        },
        ("alias",),
    ),
    ("post", _AUTH + "/executions/{executionId}/config"): _ref("AuthenticatorConfigRepresentation"),
    ("put", _AUTH + "/config/{id}"): _ref("AuthenticatorConfigRepresentation"),
    ("post", _LOCALIZATION + "/{locale}"): _STRING_MAP,
}

# Bodies that are not JSON: a realm localization text is sent as the text itself.
TEXT_BODIES = {("put", _LOCALIZATION + "/{locale}/{key}")}

# What a successful GET answers, where FastAPI only knows "an object" or "a list".
RESPONSE_BODIES: dict[str, Schema] = {
    _USERS: {"type": "array", "items": _ref("UserRepresentation")},
    _USERS + "/{id}": _ref("UserRepresentation"),
    _CLIENTS: {"type": "array", "items": _ref("ClientRepresentation")},
    _CLIENTS + "/{id}": _ref("ClientRepresentation"),
    _CLIENT_ROLES: _ROLE_LIST,
    _CLIENT_ROLES + "/{name}": _ref("RoleRepresentation"),
    _MAPPERS: {"type": "array", "items": _ref("ProtocolMapperRepresentation")},
    _MAPPERS + "/{mapper_id}": _ref("ProtocolMapperRepresentation"),
    _SCOPES: {"type": "array", "items": _ref("ClientScopeRepresentation")},
    _SCOPES + "/{scope_id}": _ref("ClientScopeRepresentation"),
    _GROUPS: {"type": "array", "items": _ref("GroupRepresentation")},
    _GROUPS + "/{id}": _ref("GroupRepresentation"),
    _GROUPS + "/{id}/children": {"type": "array", "items": _ref("GroupRepresentation")},
    _ROLES: _ROLE_LIST,
    _ROLES + "/{name}": _ref("RoleRepresentation"),
    "/realms/{realm}/roles-by-id/{role_id}": _ref("RoleRepresentation"),
    _COMPONENTS: {"type": "array", "items": _ref("ComponentRepresentation")},
    _COMPONENTS + "/{id}": _ref("ComponentRepresentation"),
    _FLOWS: {"type": "array", "items": _ref("AuthenticationFlowRepresentation")},
    _FLOWS + "/{id}": _ref("AuthenticationFlowRepresentation"),
    _EXECUTIONS: {"type": "array", "items": _ref("AuthenticationExecutionInfoRepresentation")},
    _AUTH + "/executions/{executionId}": _ref("AuthenticationExecutionRepresentation"),
    _AUTH + "/executions/{executionId}/config/{id}": _ref("AuthenticatorConfigRepresentation"),
    _AUTH + "/config/{id}": _ref("AuthenticatorConfigRepresentation"),
    _AUTH + "/config-description/{providerId}": _ref("AuthenticatorConfigInfoRepresentation"),
    _AUTH + "/authenticator-providers": _PROVIDERS,
    _AUTH + "/client-authenticator-providers": _PROVIDERS,
    _AUTH + "/form-providers": _PROVIDERS,
    _AUTH + "/form-action-providers": _PROVIDERS,
}


def _link(target: str, method: str, location: str, parameters: dict[str, str]) -> Schema:
    """A link from a create's `Location` header: `location` is a regex whose one group
    is the new object's id (or name) in the URL."""
    pointer = target.replace("~", "~0").replace("/", "~1")
    values = {"realm": "$request.path.realm", **parameters}
    values = {
        name: (f"$response.header.Location#regex:{location}" if value == "LOCATION" else value)
        for name, value in values.items()
    }
    return {"operationRef": f"#/paths/{pointer}/{method}", "parameters": values}


def _links_to(path: str, key: str, location: str, **parameters: str) -> dict[str, Schema]:
    """Links to GET, PUT and DELETE on `path`, where they exist."""
    return {
        f"{method.upper()} {path}": _link(path, method, location, {key: "LOCATION", **parameters})
        for method in ("get", "put", "delete")
    }


# Links from each create to the operations on what it created.
LINKS: dict[str, dict[str, Schema]] = {
    _USERS: {
        **_links_to(_USERS + "/{id}", "id", "/users/([^/]+)$"),
        **_links_to(_USERS + "/{id}/reset-password", "id", "/users/([^/]+)$"),
        **_links_to(_USERS + "/{id}/role-mappings/realm", "id", "/users/([^/]+)$"),
        **_links_to(_USERS + "/{id}/groups", "id", "/users/([^/]+)$"),
        **_links_to(_USERS + "/{id}/credentials", "id", "/users/([^/]+)$"),
    },
    _CLIENTS: {
        **_links_to(_CLIENTS + "/{id}", "id", "/clients/([^/]+)$"),
        **_links_to(_CLIENT_ROLES, "id", "/clients/([^/]+)$"),
        **_links_to(_MAPPERS, "id", "/clients/([^/]+)$"),
        **_links_to(_CLIENTS + "/{id}/client-secret", "id", "/clients/([^/]+)$"),
        **_links_to(_CLIENTS + "/{id}/default-client-scopes", "id", "/clients/([^/]+)$"),
    },
    _CLIENT_ROLES: {
        **_links_to(_CLIENT_ROLES + "/{name}", "name", "/roles/([^/]+)$", id="$request.path.id"),
        **_links_to(
            _CLIENT_ROLES + "/{name}/composites", "name", "/roles/([^/]+)$", id="$request.path.id"
        ),
    },
    _MAPPERS: _links_to(
        _MAPPERS + "/{mapper_id}", "mapper_id", "/models/([^/]+)$", id="$request.path.id"
    ),
    _SCOPES: _links_to(_SCOPES + "/{scope_id}", "scope_id", "/client-scopes/([^/]+)$"),
    _GROUPS: {
        **_links_to(_GROUPS + "/{id}", "id", "/groups/([^/]+)$"),
        **_links_to(_GROUPS + "/{id}/children", "id", "/groups/([^/]+)$"),
        **_links_to(_GROUPS + "/{id}/members", "id", "/groups/([^/]+)$"),
        **_links_to(_GROUPS + "/{id}/role-mappings/realm", "id", "/groups/([^/]+)$"),
    },
    _GROUPS + "/{id}/children": _links_to(_GROUPS + "/{id}", "id", "/children/([^/]+)$"),
    _ROLES: {
        **_links_to(_ROLES + "/{name}", "name", "/roles/([^/]+)$"),
        **_links_to(_ROLES + "/{name}/composites", "name", "/roles/([^/]+)$"),
        **_links_to(_ROLES + "/{name}/users", "name", "/roles/([^/]+)$"),
    },
    _COMPONENTS: _links_to(_COMPONENTS + "/{id}", "id", "/components/([^/]+)$"),
    _FLOWS: _links_to(_FLOWS + "/{id}", "id", "/flows/([^/]+)$"),
    _FLOWS + "/{flowAlias}/copy": _links_to(_FLOWS + "/{id}", "id", "/flows/([^/]+)$"),
    _EXECUTIONS + "/flow": _links_to(_FLOWS + "/{id}", "id", "/flows/([^/]+)$"),
    _EXECUTIONS + "/execution": _links_to(
        _AUTH + "/executions/{executionId}", "executionId", "/executions/([^/]+)$"
    ),
    _AUTH + "/executions/{executionId}/config": _links_to(
        _AUTH + "/config/{id}", "id", "/config/([^/]+)$"
    ),
}

_ERRORS: dict[str, str] = {
    "400": "Malformed input (Keycloak's errorMessage)",
    "401": "No valid bearer token",
    "403": "The token lacks the realm-management role this call needs",
    "404": "The realm or an object in the path does not exist",
    "409": "An object with the same name or id exists",
}


def _error_responses(method: str, path: str) -> dict[str, Schema]:
    codes = ["400", "401", "403"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "put"):
        codes.append("409")
    content = {"application/json": {"schema": _ref("ErrorRepresentation")}}
    return {code: {"description": _ERRORS[code], "content": content} for code in codes}


def _links_from(path: str, known: dict[str, set[str]]) -> dict[str, Schema]:
    """The links of a create, to the operations the document has."""
    links = {}
    for name, link in LINKS.get(path, {}).items():
        method, target = name.split(" ", 1)
        if method.lower() in known.get(target, set()):
            links[name] = link
    return links


def _complete(method: str, path: str, operation: Schema, known: dict[str, set[str]]) -> None:
    responses: dict[str, Schema] = operation.setdefault("responses", {})
    responses.pop("422", None)
    for code, response in responses.items():
        if code in ("201", "204"):
            # Keycloak answers a create or an update with an empty body.
            response.pop("content", None)
        if code == "201" and method == "post":
            response["headers"] = {
                "Location": {"description": "The created object", "schema": {"type": "string"}}
            }
            links = _links_from(path, known)
            if links:
                response["links"] = links
    if method == "get" and path in RESPONSE_BODIES and "200" in responses:
        responses["200"]["content"] = {"application/json": {"schema": RESPONSE_BODIES[path]}}
    body = REQUEST_BODIES.get((method, path))
    if body is not None:
        operation["requestBody"] = {"content": {"application/json": {"schema": body}}}
    if (method, path) in TEXT_BODIES:
        operation["requestBody"] = {"content": {"text/plain": {"schema": {"type": "string"}}}}
    for code, response in _error_responses(method, path).items():
        responses.setdefault(code, response)


def admin_openapi(app: FastAPI) -> Schema:
    """The document `/admin/openapi.json` serves, built once per application."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    known = {path: set(item) for path, item in document["paths"].items()}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            _complete(method, path, operation, known)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(REPRESENTATIONS)
    app.openapi_schema = document
    return document
