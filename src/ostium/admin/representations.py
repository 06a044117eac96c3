"""Keycloak's JSON representations of the domain objects (camelCase, nulls omitted).

The field tables are the ones import uses, so what the admin API writes and what an
export file holds cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from ostium.domain import Client, ClientScope, Group, Realm, Role, User
from ostium.domain.authentication_flows import (
    BUILT_IN_BINDINGS,
    AuthenticationExecution,
    AuthenticationFlow,
    AuthenticatorConfig,
    flow_tree,
)
from ostium.domain.authenticators import provider
from ostium.domain.otp import supported_applications
from ostium.domain.smtp import masked
from ostium.services.realm_import import (
    CLIENT_FIELDS,
    REALM_FIELDS,
    USER_FIELDS,
    mapper_representation,
    webauthn_policy_lists,
)

__all__ = [
    "authenticator_config_representation",
    "bindings_of",
    "client_representation",
    "client_scope_representation",
    "execution_export_representation",
    "execution_info_representations",
    "execution_representation",
    "fields_of",
    "flow_representation",
    "group_representation",
    "realm_representation",
    "role_representation",
    "user_representation",
]


def fields_of(obj: object, table: dict[str, tuple[str, type]]) -> dict[str, Any]:
    return {
        key: getattr(obj, attribute)
        for key, (attribute, _) in table.items()
        if getattr(obj, attribute) is not None
    }


def realm_representation(realm: Realm) -> dict[str, Any]:
    body: dict[str, Any] = {"id": realm.id, "realm": realm.name}
    body.update(fields_of(realm, REALM_FIELDS))
    body["supportedLocales"] = list(realm.supported_locales)
    body.update(webauthn_policy_lists(realm))
    body["otpSupportedApplications"] = supported_applications(realm.otp_policy)
    body["defaultRole"] = {"name": realm.default_role_name, "composite": True, "clientRole": False}
    body["browserSecurityHeaders"] = dict(realm.browser_security_headers)
    body["smtpServer"] = masked(realm.smtp_server)
    body.update(bindings_of(realm))
    body["attributes"] = dict(realm.attributes)
    return body


def bindings_of(realm: Realm) -> dict[str, str]:
    """`browserFlow`, `directGrantFlow`, …: the alias of the flow each entry point runs."""
    return {key: getattr(realm, attribute) for attribute, (key, _) in BUILT_IN_BINDINGS.items()}


def execution_export_representation(
    realm: Realm, execution: AuthenticationExecution
) -> dict[str, Any]:
    """Keycloak's AuthenticationExecutionExportRepresentation: the sub-flow and the config
    by alias; `autheticatorFlow` is Keycloak's old spelling, still written next to the
    right one for older readers."""
    body: dict[str, Any] = {}
    config = realm.config_by_id(execution.authenticator_config)
    if config is not None:
        body["authenticatorConfig"] = config.alias
    if execution.authenticator is not None:
        body["authenticator"] = execution.authenticator
    body["authenticatorFlow"] = execution.is_flow
    sub = realm.flow_by_id(execution.flow_id) if execution.flow_id else None
    if sub is not None:
        body["flowAlias"] = sub.alias
    body["requirement"] = execution.requirement
    body["priority"] = execution.priority
    body["autheticatorFlow"] = execution.is_flow
    body["userSetupAllowed"] = execution.user_setup_allowed
    return body


def flow_representation(realm: Realm, flow: AuthenticationFlow) -> dict[str, Any]:
    """Keycloak's AuthenticationFlowRepresentation, executions in the order they run."""
    return {
        "id": flow.id,
        "alias": flow.alias,
        "description": flow.description,
        "providerId": flow.provider_id,
        "topLevel": flow.top_level,
        "builtIn": flow.built_in,
        "authenticationExecutions": [
            execution_export_representation(realm, e) for e in flow.ordered()
        ],
    }


def authenticator_config_representation(config: AuthenticatorConfig) -> dict[str, Any]:
    return {"id": config.id, "alias": config.alias, "config": dict(config.config)}


def execution_representation(
    flow: AuthenticationFlow, execution: AuthenticationExecution
) -> dict[str, Any]:
    """Keycloak's AuthenticationExecutionRepresentation (`GET …/executions/{id}`)."""
    body: dict[str, Any] = {
        "id": execution.id,
        "requirement": execution.requirement,
        "priority": execution.priority,
        "authenticatorFlow": execution.is_flow,
        "parentFlow": flow.id,
    }
    if execution.authenticator is not None:
        body["authenticator"] = execution.authenticator
    if execution.flow_id is not None:
        body["flowId"] = execution.flow_id
    if execution.authenticator_config is not None:
        body["authenticatorConfig"] = execution.authenticator_config
    return body


# Keycloak's requirement choices of a sub-flow execution, by the sub-flow's type.
_SUB_FLOW_CHOICES = {
    "basic-flow": ["REQUIRED", "ALTERNATIVE", "DISABLED", "CONDITIONAL"],
    "form-flow": ["REQUIRED", "DISABLED"],
    "client-flow": ["ALTERNATIVE", "REQUIRED", "DISABLED"],
}


def execution_info_representations(realm: Realm, flow: AuthenticationFlow) -> list[dict[str, Any]]:
    """Keycloak's AuthenticationExecutionInfoRepresentation list (`GET …/flows/{alias}/
    executions`): depth first, each with its level and its index among its siblings. An
    authenticator Ostium does not know (from an import) is shown by its id rather than
    failing the whole list."""
    result: list[dict[str, Any]] = []
    indexes: dict[int, int] = {}
    for level, execution in flow_tree(realm.authentication_flows, flow):
        for deeper in [k for k in indexes if k > level]:
            del indexes[deeper]
        index = indexes.get(level, -1) + 1
        indexes[level] = index
        body: dict[str, Any] = {
            "id": execution.id,
            "requirement": execution.requirement,
            "level": level,
            "index": index,
            "priority": execution.priority,
            "authenticationFlow": execution.is_flow,
        }
        sub = realm.flow_by_id(execution.flow_id) if execution.flow_id else None
        if sub is not None:
            body.update(
                {
                    "displayName": sub.alias,
                    "description": sub.description,
                    "requirementChoices": list(_SUB_FLOW_CHOICES.get(sub.provider_id, [])),
                    "configurable": False,
                    "flowId": sub.id,
                }
            )
            if sub.provider_id == "form-flow" and execution.authenticator:
                body["providerId"] = execution.authenticator
        else:
            known = provider(execution.authenticator)
            body.update(
                {
                    "displayName": known.display_name if known else execution.authenticator,
                    "description": known.description if known else "",
                    "requirementChoices": list(known.requirement_choices) if known else [],
                    "configurable": known.configurable if known else False,
                    "providerId": execution.authenticator,
                }
            )
            config = realm.config_by_id(execution.authenticator_config)
            if config is not None and known is not None and known.configurable:
                body["alias"] = config.alias
        if execution.authenticator_config is not None:
            body["authenticationConfig"] = execution.authenticator_config
        result.append(body)
    return result


def client_representation(client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {"id": client.id, "clientId": client.client_id}
    body.update(fields_of(client, CLIENT_FIELDS))
    if not client.confidential:
        body.pop("secret", None)
    body.update(
        {
            "redirectUris": list(client.redirect_uris),
            "webOrigins": list(client.web_origins),
            "attributes": dict(client.attributes),
            "defaultClientScopes": list(client.default_client_scopes),
            "optionalClientScopes": list(client.optional_client_scopes),
            "protocolMappers": [mapper_representation(m) for m in client.protocol_mappers],
            "authenticationFlowBindingOverrides": dict(client.flow_overrides),
            "surrogateAuthRequired": False,
            "alwaysDisplayInConsole": False,
            "notBefore": 0,
            "nodeReRegistrationTimeout": -1,
        }
    )
    return body


def client_scope_representation(scope: ClientScope) -> dict[str, Any]:
    body: dict[str, Any] = {"id": scope.id, "name": scope.name, "protocol": scope.protocol}
    if scope.description is not None:
        body["description"] = scope.description
    body["attributes"] = dict(scope.attributes)
    body["protocolMappers"] = [mapper_representation(m) for m in scope.protocol_mappers]
    return body


def user_representation(user: User, *, brief: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"id": user.id, "username": user.username}
    body.update(fields_of(user, USER_FIELDS))
    if user.attributes and not brief:
        body["attributes"] = {k: list(v) for k, v in user.attributes.items()}
    if not brief:
        body["requiredActions"] = list(user.required_actions)
        body["totp"] = False
        body["disableableCredentialTypes"] = []
        body["access"] = {"manage": True}
    return body


def role_representation(role: Role, *, brief: bool = False) -> dict[str, Any]:
    """`brief` leaves out the attributes, as Keycloak's toBriefRepresentation."""
    body: dict[str, Any] = {
        "id": role.id,
        "name": role.name,
        "composite": role.composite,
        "clientRole": role.client_role,
        "containerId": role.client_id or role.realm_id,
    }
    if role.description is not None:
        body["description"] = role.description
    if role.attributes and not brief:
        body["attributes"] = {k: list(v) for k, v in role.attributes.items()}
    return body


def group_representation(
    group: Group,
    path: str,
    *,
    sub_groups: list[dict[str, Any]] | None = None,
    sub_group_count: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "path": path,
        "attributes": {k: list(v) for k, v in group.attributes.items()},
        "realmRoles": [],
        "clientRoles": {},
        "subGroups": sub_groups or [],
        "subGroupCount": len(sub_groups or []) if sub_group_count is None else sub_group_count,
    }
    if group.parent_id:
        body["parentId"] = group.parent_id
    return body
