"""Changes to a realm's authentication flows, as Keycloak's AuthenticationManagementResource
makes them: create, rename, copy and delete flows; add, reorder, re-require and remove
executions; create, change and remove authenticator configs.

Every function works on the `Realm` in memory and raises a `FlowError` before changing
anything when the change is refused, so the caller stores the realm (one transaction) or
nothing. Aliases stay unique among all of a realm's flows (Keycloak refuses a duplicate
on create, rename and copy): an export names sub-flows by alias, and a duplicate would not
survive it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from ostium.domain.authentication_flows import (
    BUILT_IN_BINDINGS,
    AuthenticationExecution,
    AuthenticationFlow,
    AuthenticatorConfig,
    Requirement,
)
from ostium.domain.authenticators import ProviderKind, provider
from ostium.domain.realm import Realm

__all__ = [
    "FLOW_TYPES",
    "FlowConflict",
    "FlowError",
    "FlowNotFound",
    "add_config",
    "add_execution",
    "add_sub_flow",
    "bound_as",
    "check_alias",
    "config_values",
    "copy_flow",
    "create_flow",
    "delete_config",
    "delete_execution",
    "delete_flow",
    "move_execution",
    "parent_of",
    "rename_flow",
    "update_config",
    "update_execution",
]

# Keycloak's AuthenticationFlow provider ids.
FLOW_TYPES = ("basic-flow", "form-flow", "client-flow")
# Keycloak's ReservedCharValidator: characters an alias may not hold.
_RESERVED = "<>&\"'$/;%\\"


class FlowError(Exception):
    """A refused change: 400 unless a subclass says otherwise."""

    status_code = 400


class FlowNotFound(FlowError):
    status_code = 404


class FlowConflict(FlowError):
    status_code = 409


def _new_id() -> str:
    return str(uuid.uuid4())


def check_alias(alias: object, what: str = "alias") -> str:
    if not isinstance(alias, str) or not alias.strip():
        raise FlowError(f"{what}: a non-empty string is required")
    if len(alias) > 255:  # Keycloak's column
        raise FlowError(f"{what}: at most 255 characters")
    bad = next((c for c in alias if c in _RESERVED), None)
    if bad is not None:
        raise FlowError(f"{what}: the character '{bad}' is not allowed")
    return alias


def _unused_alias(realm: Realm, alias: str, message: str) -> None:
    if realm.flow(alias) is not None:
        raise FlowConflict(message)


def bound_as(realm: Realm, flow: AuthenticationFlow) -> str | None:
    """The binding (`browserFlow`, …) that names `flow`, if any."""
    for attribute, (key, _) in BUILT_IN_BINDINGS.items():
        if getattr(realm, attribute) == flow.alias:
            return key
    return None


def parent_of(
    realm: Realm, execution_id: str
) -> tuple[AuthenticationFlow, AuthenticationExecution]:
    for flow in realm.authentication_flows:
        for candidate in flow.executions:
            if candidate.id == execution_id:
                return flow, candidate
    raise FlowNotFound("Illegal execution")


def _next_priority(flow: AuthenticationFlow) -> int:
    """Keycloak's getNextPriority: one after the last execution, 0 in an empty flow."""
    ordered = flow.ordered()
    return ordered[-1].priority + 1 if ordered else 0


def _modifiable(flow: AuthenticationFlow, message: str) -> None:
    if flow.built_in:
        raise FlowError(message)


def create_flow(
    realm: Realm, alias: object, description: object, provider_id: object, top_level: bool
) -> AuthenticationFlow:
    """Keycloak: an empty or taken alias is a 409 (ErrorResponse.exists)."""
    if not isinstance(alias, str) or not alias:
        raise FlowConflict("Failed to create flow with empty alias name")
    check_alias(alias)
    _unused_alias(realm, alias, f"Flow {alias} already exists")
    flow = AuthenticationFlow(
        id=_new_id(),
        alias=alias,
        description=_text(description, "description"),
        provider_id=_flow_type(provider_id),
        top_level=top_level,
    )
    realm.authentication_flows.append(flow)
    return flow


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FlowError(f"{what}: expected a string")
    return value


def _flow_type(value: object) -> str:
    if value is None:
        return "basic-flow"
    if value not in FLOW_TYPES:
        raise FlowError(f"providerId: expected one of {', '.join(FLOW_TYPES)}")
    return str(value)


def rename_flow(realm: Realm, flow: AuthenticationFlow, alias: object, description: object) -> None:
    """Keycloak's updateFlow. Bindings name flows by alias here, so they follow a rename
    (in Keycloak they hold the id and need not)."""
    if not isinstance(alias, str) or not alias:
        raise FlowConflict("Failed to update flow with empty alias name")
    check_alias(alias)
    if alias != flow.alias:
        _unused_alias(realm, alias, "Flow alias name already exists")
        for attribute in BUILT_IN_BINDINGS:
            if getattr(realm, attribute) == flow.alias:
                setattr(realm, attribute, alias)
        flow.alias = alias
    if description is not None:
        flow.description = _text(description, "description")


def _tree(realm: Realm, flow: AuthenticationFlow) -> list[AuthenticationFlow]:
    """`flow` and the sub-flows it nests, each once."""
    found: list[AuthenticationFlow] = []
    pending = [flow]
    while pending:
        current = pending.pop()
        if any(f.id == current.id for f in found):
            continue
        found.append(current)
        for step in current.executions:
            sub = realm.flow_by_id(step.flow_id or "")
            if sub is not None:
                pending.append(sub)
    return found


def _drop(
    realm: Realm,
    flows: list[AuthenticationFlow],
    executions: tuple[AuthenticationExecution, ...] = (),
) -> None:
    """Remove `flows` and `executions`, and the configs nothing else uses then."""
    gone = {f.id for f in flows}
    gone_steps = {e.id for e in executions}
    candidates = {e.authenticator_config for f in flows for e in f.executions}
    candidates |= {e.authenticator_config for e in executions}
    realm.authentication_flows = [f for f in realm.authentication_flows if f.id not in gone]
    for flow in realm.authentication_flows:
        flow.executions = [e for e in flow.executions if e.id not in gone_steps]
    used = {e.authenticator_config for f in realm.authentication_flows for e in f.executions}
    unused = candidates - used
    realm.authenticator_config = [c for c in realm.authenticator_config if c.id not in unused]


def delete_flow(realm: Realm, flow: AuthenticationFlow) -> None:
    """Keycloak's deepDeleteAuthenticationFlow: the flow, its sub-flows and their configs;
    never a built-in flow, nor one the realm runs (Keycloak: the flow is in use)."""
    if flow.built_in:
        raise FlowError("Can't delete built in flow")
    binding = bound_as(realm, flow)
    if binding is not None:
        raise FlowError(f"Cannot delete flow '{flow.alias}': the realm uses it as its {binding}")
    user = next(
        (f for f in realm.authentication_flows for e in f.executions if e.flow_id == flow.id),
        None,
    )
    if user is not None:
        raise FlowError(f"Cannot delete flow '{flow.alias}': flow '{user.alias}' uses it")
    _drop(realm, [f for f in _tree(realm, flow) if f.id == flow.id or not f.built_in])


def copy_flow(realm: Realm, flow: AuthenticationFlow, new_name: object) -> AuthenticationFlow:
    """Keycloak's copyFlow: a deep copy, never built in; each sub-flow copy is named
    "<newName> <sub-flow alias>" and each config copy "<newName> <config alias>"."""
    name = check_alias(new_name, "newName")
    _unused_alias(realm, name, "New flow alias name already exists")
    copies: list[AuthenticationFlow] = []
    configs: list[AuthenticatorConfig] = []
    taken = {f.alias for f in realm.authentication_flows} | {name}

    def copy(source: AuthenticationFlow, alias: str, top_level: bool) -> AuthenticationFlow:
        target = AuthenticationFlow(
            id=_new_id(),
            alias=alias,
            description=source.description,
            provider_id=source.provider_id,
            top_level=top_level,
        )
        copies.append(target)
        for step in source.ordered():
            sub = realm.flow_by_id(step.flow_id or "")
            sub_copy = None
            if sub is not None:
                sub_alias = f"{name} {sub.alias}"
                if sub_alias in taken:
                    raise FlowConflict(f"Flow {sub_alias} already exists")
                taken.add(sub_alias)
                sub_copy = copy(sub, sub_alias, False)
            config_id = None
            config = realm.config_by_id(step.authenticator_config)
            if config is not None:
                duplicate = AuthenticatorConfig(
                    _new_id(), f"{name} {config.alias}", dict(config.config)
                )
                configs.append(duplicate)
                config_id = duplicate.id
            target.executions.append(
                AuthenticationExecution(
                    id=_new_id(),
                    requirement=step.requirement,
                    priority=step.priority,
                    authenticator=step.authenticator,
                    flow_id=sub_copy.id if sub_copy else None,
                    authenticator_config=config_id,
                    user_setup_allowed=step.user_setup_allowed,
                )
            )
        return target

    top = copy(flow, name, flow.top_level)
    realm.authentication_flows.extend(copies)
    realm.authenticator_config.extend(configs)
    return top


def add_execution(
    realm: Realm, parent: AuthenticationFlow, provider_id: object
) -> AuthenticationExecution:
    """Keycloak's addExecutionToFlow: the provider must fit the flow (a client flow takes
    client authenticators, a form flow form actions); an execution of a provider with one
    requirement choice gets it, others start DISABLED."""
    _modifiable(parent, "It is illegal to add execution to a built in flow")
    wanted = {
        "client-flow": ProviderKind.CLIENT,
        "form-flow": ProviderKind.FORM_ACTION,
    }.get(parent.provider_id, ProviderKind.AUTHENTICATOR)
    found = provider(provider_id if isinstance(provider_id, str) else None)
    if found is None or found.kind is not wanted:
        shown = provider_id if isinstance(provider_id, str) else ""
        raise FlowError(f"No authentication provider found for id: {shown[:100]}")
    choices = found.requirement_choices
    step = AuthenticationExecution(
        id=_new_id(),
        requirement=choices[0] if len(choices) == 1 else Requirement.DISABLED.value,
        priority=_next_priority(parent),
        authenticator=found.id,
    )
    parent.executions.append(step)
    return step


def add_sub_flow(
    realm: Realm, parent: AuthenticationFlow, body: Mapping[str, object]
) -> AuthenticationFlow:
    """Keycloak's addExecutionFlow: a new sub-flow and the DISABLED execution that runs it;
    a form flow's execution names its form (`provider`, e.g. registration-page-form)."""
    _modifiable(parent, "It is illegal to add sub-flow to a built in flow")
    alias = check_alias(body.get("alias"))
    flow_type = _flow_type(body.get("type"))
    if flow_type == "client-flow":
        raise FlowError("type: a sub-flow is a basic-flow or a form-flow")
    form = None
    if flow_type == "form-flow":
        form_id = body.get("provider")
        found = provider(form_id if isinstance(form_id, str) else None)
        if found is None or found.kind is not ProviderKind.FORM:
            raise FlowError("provider: a form-flow needs a form provider (registration-page-form)")
        form = found.id
    description = _text(body.get("description"), "description")
    _unused_alias(realm, alias, "New flow alias name already exists")
    sub = AuthenticationFlow(
        id=_new_id(),
        alias=alias,
        description=description,
        provider_id=flow_type,
        top_level=False,
    )
    parent.executions.append(
        AuthenticationExecution(
            id=_new_id(),
            requirement=Requirement.DISABLED.value,
            priority=_next_priority(parent),
            authenticator=form,
            flow_id=sub.id,
        )
    )
    realm.authentication_flows.append(sub)
    return sub


def _requirement(value: object) -> str:
    if value not in tuple(Requirement):
        raise FlowError(f"requirement: expected one of {', '.join(Requirement)}")
    return str(value)


def update_execution(realm: Realm, body: Mapping[str, object]) -> None:
    """Keycloak's updateExecutions: a new requirement, a new priority, or (for a sub-flow)
    a new alias and description of the sub-flow. Built-in flows may change requirements:
    that is how Keycloak's users turn on OTP or WebAuthn."""
    execution_id = body.get("id")
    if not isinstance(execution_id, str):
        raise FlowError("id: the execution's id is required")
    _, step = parent_of(realm, execution_id)
    requirement = _requirement(body["requirement"]) if "requirement" in body else step.requirement
    priority = body.get("priority")
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
        raise FlowError("priority: expected an integer")
    if not -(2**31) <= (priority or 0) < 2**31:
        raise FlowError("priority: out of range")
    sub = realm.flow_by_id(step.flow_id or "")
    if sub is not None and body.get("authenticationFlow") and "displayName" in body:
        rename_flow(realm, sub, body.get("displayName"), body.get("description"))
    step.requirement = requirement
    if priority is not None:
        step.priority = priority


def move_execution(realm: Realm, execution_id: str, up: bool) -> None:
    """Keycloak's raise-priority / lower-priority: swap priorities with the neighbour."""
    parent, step = parent_of(realm, execution_id)
    _modifiable(parent, "It is illegal to modify execution in a built in flow")
    ordered = parent.ordered()
    index = next(i for i, e in enumerate(ordered) if e.id == step.id)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    neighbour = ordered[other]
    step.priority, neighbour.priority = neighbour.priority, step.priority
    if step.priority == neighbour.priority:
        # Equal priorities (possible after an import) would not move anything.
        step.priority += -1 if up else 1


def delete_execution(realm: Realm, execution_id: str) -> None:
    """Keycloak's deepDeleteAuthenticationExecutor: the execution, the sub-flow it runs
    (with its own sub-flows) and the configs only they used."""
    parent, step = parent_of(realm, execution_id)
    _modifiable(parent, "It is illegal to remove execution from a built in flow")
    sub = realm.flow_by_id(step.flow_id or "")
    doomed = [f for f in _tree(realm, sub) if not f.built_in] if sub and not sub.top_level else []
    _drop(realm, doomed, (step,))


def config_values(raw: object) -> dict[str, str]:
    """A config's `config` map: strings (numbers and booleans as Jackson writes them into a
    Map<String, String>); empty values dropped, as Keycloak's removeEmptyString."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FlowError("config: expected an object")
    values: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise FlowError(f"config.{key[:64]}: expected a string")
        if value != "":
            values[key] = value
    return values


def _config_alias_free(realm: Realm, alias: str, own: str | None = None) -> None:
    """Config aliases are unique here (an export names a config by alias)."""
    if any(c.alias == alias and c.id != own for c in realm.authenticator_config):
        raise FlowConflict(f"Authenticator config {alias} already exists")


def add_config(realm: Realm, execution_id: str, body: Mapping[str, object]) -> AuthenticatorConfig:
    """Keycloak's newExecutionConfig: the execution now uses the new config; the one it
    used before goes unless another execution uses it too."""
    _, step = parent_of(realm, execution_id)
    if body.get("alias") is None:
        raise FlowError("Alias missing")
    alias = check_alias(body.get("alias"))
    _config_alias_free(realm, alias)
    config = AuthenticatorConfig(_new_id(), alias, config_values(body.get("config")))
    previous = step.authenticator_config
    step.authenticator_config = config.id
    realm.authenticator_config.append(config)
    if previous is not None and not any(
        e.authenticator_config == previous for f in realm.authentication_flows for e in f.executions
    ):
        realm.authenticator_config = [c for c in realm.authenticator_config if c.id != previous]
    return config


def _config(realm: Realm, config_id: str) -> AuthenticatorConfig:
    config = realm.config_by_id(config_id)
    if config is None:
        raise FlowNotFound("Could not find authenticator config")
    return config


def update_config(realm: Realm, config_id: str, body: Mapping[str, object]) -> None:
    config = _config(realm, config_id)
    alias = config.alias
    if body.get("alias") is not None:
        alias = check_alias(body["alias"])
        _config_alias_free(realm, alias, config.id)
    values = config_values(body.get("config"))
    config.alias, config.config = alias, values


def delete_config(realm: Realm, config_id: str) -> None:
    """Keycloak's removeAuthenticatorConfig: executions that used it run without one."""
    config = _config(realm, config_id)
    for flow in realm.authentication_flows:
        for step in flow.executions:
            if step.authenticator_config == config.id:
                step.authenticator_config = None
    realm.authenticator_config = [c for c in realm.authenticator_config if c.id != config.id]
