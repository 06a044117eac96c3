"""Realm and client roles, groups, and the effective-role computation."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Group", "Role"]


@dataclass
class Role:
    id: str
    realm_id: str
    name: str
    # The internal id of the client for a client role, None for a realm role.
    client_id: str | None = None
    description: str | None = None
    composite: bool = False
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def client_role(self) -> bool:
        return self.client_id is not None


@dataclass
class Group:
    id: str
    realm_id: str
    name: str
    parent_id: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
