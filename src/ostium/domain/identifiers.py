"""What an id or a name may contain.

Ids and names travel into URL paths, `Location` headers, log lines and tokens; a control
character in one is at best a record nobody can address and at worst a header injected
into a response (`"x\\r\\nSet-Cookie: …"`) or a value PostgreSQL refuses (NUL). They are
refused before anything is written. Realm names follow Keycloak's `RealmManager`: not
blank, and none of the URI's reserved characters (`ReservedCharValidator`, RFC 3986 §2.2).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "CONTROL_CHARACTERS",
    "IDENTIFIER_KEYS",
    "bad_identifier",
    "has_control_character",
    "realm_name_problem",
]

# C0, DEL and C1.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")

# The representation fields that name or identify something (RealmRepresentation `realm`,
# ClientRepresentation `clientId`, UserRepresentation `username`, the `name` of roles,
# groups, client scopes, mappers and components, identity providers' `alias`, …).
IDENTIFIER_KEYS = frozenset(
    {"id", "realm", "clientId", "username", "name", "alias", "containerId", "parentId"}
)
# Maps whose keys are the caller's own (attributes, provider config): not representations.
_FREE_FORM = frozenset({"attributes", "config"})

_RESERVED = re.compile(r"[:/?#@!$&()*+,;=\[\]\\]")


def has_control_character(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def bad_identifier(body: Any, path: str = "") -> str | None:
    """The JSON path of the first id or name in `body`, at any depth, that holds a control
    character; None when all are clean."""
    pending: list[tuple[Any, str]] = [(body, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                here = f"{where}.{key}" if where else str(key)
                if key in IDENTIFIER_KEYS and isinstance(value, str):
                    if has_control_character(value):
                        return here
                elif key not in _FREE_FORM:
                    pending.append((value, here))
        elif isinstance(item, list):
            pending.extend((value, f"{where}[{i}]") for i, value in enumerate(item))
    return None


def realm_name_problem(name: object) -> str | None:
    """Why `name` cannot name a realm (Keycloak's messages), or None."""
    if not isinstance(name, str) or not name.strip():
        return "Realm name cannot be empty"
    if has_control_character(name):
        return "Realm name must not contain control characters"
    reserved = _RESERVED.search(name)
    if reserved is not None:
        return f"Character '{reserved.group()}' not allowed."
    if len(name) > 255:
        return "Realm name is too long"
    return None
