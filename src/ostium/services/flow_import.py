"""A realm file's `authenticationFlows`, `authenticatorConfig` and flow bindings, read as
Keycloak's import reads them (RepresentationToModel.importAuthenticationFlows).

Executions name their sub-flow by alias (`flowAlias`) and their config by alias
(`authenticatorConfig`); flows and configs keep the ids the file gives them, so an
export imported again is the same realm. A file without `authenticationFlows` gets
Keycloak's built-in flows, and one that lacks a built-in top-level flow (by alias) gets
it added, as Keycloak's import and migrations add them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ostium.domain.authentication_flows import (
    BUILT_IN_BINDINGS,
    AuthenticationExecution,
    AuthenticationFlow,
    AuthenticatorConfig,
    Requirement,
    built_in_flows,
)
from ostium.domain.realm import Realm
from ostium.services.authentication_flows import FLOW_TYPES, FlowError, config_values

__all__ = ["apply_bindings", "parse_flows"]


def _objects(data: Mapping[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise FlowError(f"{path}: expected a list of objects")
    return value


def _string(raw: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise FlowError(f"{path}.{key}: required")
        return None
    if not isinstance(value, str) or (required and not value):
        raise FlowError(f"{path}.{key}: expected a non-empty string")
    return value


def _flag(raw: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise FlowError(f"{path}.{key}: expected true or false")
    return value


def _id(raw: Mapping[str, Any], taken: set[str]) -> str:
    given = raw.get("id")
    chosen = given if isinstance(given, str) and 0 < len(given) <= 36 else str(uuid.uuid4())
    if chosen in taken:
        chosen = str(uuid.uuid4())
    taken.add(chosen)
    return chosen


def _configs(data: Mapping[str, Any]) -> list[AuthenticatorConfig]:
    configs: list[AuthenticatorConfig] = []
    ids: set[str] = set()
    for index, raw in enumerate(_objects(data, "authenticatorConfig", "authenticatorConfig")):
        path = f"authenticatorConfig[{index}]"
        alias = _string(raw, "alias", path, required=True)
        assert alias is not None
        try:
            values = config_values(raw.get("config"))
        except FlowError as exc:
            raise FlowError(f"{path}.{exc}") from None
        configs.append(AuthenticatorConfig(_id(raw, ids), alias, values))
    return configs


def _execution(
    raw: Mapping[str, Any],
    path: str,
    flow_ids: dict[str, str],
    config_ids: dict[str, str],
) -> AuthenticationExecution:
    requirement = raw.get("requirement")
    if requirement not in tuple(Requirement):
        raise FlowError(f"{path}.requirement: expected one of {', '.join(Requirement)}")
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise FlowError(f"{path}.priority: expected an integer")
    # Keycloak's representation still reads (and writes) its old misspelling.
    is_flow = _flag(raw, "authenticatorFlow", path, False) or _flag(
        raw, "autheticatorFlow", path, False
    )
    flow_alias = _string(raw, "flowAlias", path)
    authenticator = _string(raw, "authenticator", path)
    flow_id = None
    if flow_alias is not None:
        if flow_alias not in flow_ids:
            raise FlowError(f"{path}.flowAlias: no flow '{flow_alias}' in the file")
        flow_id = flow_ids[flow_alias]
    elif is_flow:
        raise FlowError(f"{path}.flowAlias: a sub-flow execution names its flow")
    elif not authenticator:
        raise FlowError(f"{path}: an execution names an authenticator or a flowAlias")
    config_alias = _string(raw, "authenticatorConfig", path)
    config_id = None
    if config_alias is not None:
        if config_alias not in config_ids:
            raise FlowError(
                f"{path}.authenticatorConfig: no authenticatorConfig '{config_alias}' in the file"
            )
        config_id = config_ids[config_alias]
    return AuthenticationExecution(
        id=str(uuid.uuid4()),
        requirement=str(requirement),
        priority=priority,
        authenticator=authenticator,
        flow_id=flow_id,
        authenticator_config=config_id,
        user_setup_allowed=_flag(raw, "userSetupAllowed", path, False),
    )


def parse_flows(realm: Realm, data: Mapping[str, Any]) -> None:
    """Replace the realm's flows and configs with the file's (plus missing built-ins)."""
    if data.get("authenticationFlows") is None:
        flows, configs = built_in_flows(realm.id)
        configs += _configs(data)
    else:
        configs = _configs(data)
        flows = _flows(data, configs)
    realm.authentication_flows, realm.authenticator_config = flows, configs
    _add_missing_built_ins(realm)


def _flows(data: Mapping[str, Any], configs: list[AuthenticatorConfig]) -> list[AuthenticationFlow]:
    raws = _objects(data, "authenticationFlows", "authenticationFlows")
    flows: list[AuthenticationFlow] = []
    ids: set[str] = set()
    for index, raw in enumerate(raws):
        path = f"authenticationFlows[{index}]"
        alias = _string(raw, "alias", path, required=True)
        assert alias is not None
        if any(f.alias == alias for f in flows):
            raise FlowError(f"{path}.alias: duplicate flow '{alias}'")
        provider_id = _string(raw, "providerId", path) or "basic-flow"
        if provider_id not in FLOW_TYPES:
            raise FlowError(f"{path}.providerId: expected one of {', '.join(FLOW_TYPES)}")
        flows.append(
            AuthenticationFlow(
                id=_id(raw, ids),
                alias=alias,
                description=_string(raw, "description", path) or "",
                provider_id=provider_id,
                top_level=_flag(raw, "topLevel", path, False),
                built_in=_flag(raw, "builtIn", path, False),
            )
        )
    flow_ids = {f.alias: f.id for f in flows}
    config_ids: dict[str, str] = {}
    for config in configs:
        config_ids.setdefault(config.alias, config.id)  # Keycloak: the first of an alias
    for index, (raw, flow) in enumerate(zip(raws, flows, strict=True)):
        path = f"authenticationFlows[{index}]"
        flow.executions = [
            _execution(step, f"{path}.authenticationExecutions[{n}]", flow_ids, config_ids)
            for n, step in enumerate(_objects(raw, "authenticationExecutions", path))
        ]
    return flows


def _add_missing_built_ins(realm: Realm) -> None:
    """Each built-in top-level flow the realm lacks by alias, with its sub-flows and
    configs; skipped when one of its sub-flows' aliases or ids is already taken (the
    file's flow of that name stays what it is)."""
    built_in, configs = built_in_flows(realm.id)
    by_id = {f.id: f for f in built_in}
    aliases = {f.alias for f in realm.authentication_flows}
    ids = {f.id for f in realm.authentication_flows}
    for top in (f for f in built_in if f.top_level and f.alias not in aliases):
        tree, pending = [], [top]
        while pending:
            current = pending.pop()
            tree.append(current)
            pending += [by_id[e.flow_id] for e in current.executions if e.flow_id in by_id]
        if any(f.alias in aliases or f.id in ids for f in tree):
            continue
        realm.authentication_flows += tree
        aliases |= {f.alias for f in tree}
        ids |= {f.id for f in tree}
        used = {e.authenticator_config for f in tree for e in f.executions}
        have = {c.id for c in realm.authenticator_config}
        realm.authenticator_config += [c for c in configs if c.id in used and c.id not in have]


def apply_bindings(realm: Realm, raw: Mapping[str, Any]) -> None:
    """The seven bindings (`browserFlow`, …) the representation names; each must name one
    of the realm's flows (Keycloak would otherwise bind nothing and fail every login)."""
    for attribute, (key, _) in BUILT_IN_BINDINGS.items():
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise FlowError(f"realm.{key}: expected a flow alias")
        if realm.flow(value) is None:
            raise FlowError(f"realm.{key}: the realm has no flow '{value[:100]}'")
        setattr(realm, attribute, value)
