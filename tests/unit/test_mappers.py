"""Keycloak's protocol mappers, one by one."""

from __future__ import annotations

from typing import Any

from ostium.domain import ProtocolMapper, User
from ostium.protocol.mappers import MapperInput, apply_mappers, audiences

USER = User(
    "u1",
    "r1",
    "zoe",
    email="zoe@x.org",
    first_name="Zoe",
    attributes={"dept": ["it", "ops"], "level": ["7"]},
)
DATA = MapperInput(USER, ["/a", "/a/b"], ["admin", "user"], {"shop": ["buyer"]})


def mapped(kind: str, target: str = "access", **config: str) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    apply_mappers([ProtocolMapper("m", "m", kind, config=config)], target, claims, DATA)  # type: ignore[arg-type]
    return claims


def test_user_attribute_single_multi_and_typed() -> None:
    assert mapped(
        "oidc-usermodel-attribute-mapper", **{"user.attribute": "dept", "claim.name": "d"}
    ) == {"d": "it"}
    assert mapped(
        "oidc-usermodel-attribute-mapper",
        **{"user.attribute": "dept", "claim.name": "d", "multivalued": "true"},
    ) == {"d": ["it", "ops"]}
    assert mapped(
        "oidc-usermodel-attribute-mapper",
        **{"user.attribute": "level", "claim.name": "l", "jsonType.label": "int"},
    ) == {"l": 7}
    assert (
        mapped("oidc-usermodel-attribute-mapper", **{"user.attribute": "none", "claim.name": "x"})
        == {}
    )


def test_nested_claim_names_and_escaped_dots() -> None:
    assert mapped("oidc-hardcoded-claim-mapper", **{"claim.name": "a.b", "claim.value": "v"}) == {
        "a": {"b": "v"}
    }
    assert mapped("oidc-hardcoded-claim-mapper", **{"claim.name": "a\\.b", "claim.value": "v"}) == {
        "a.b": "v"
    }


def test_token_flags() -> None:
    config = {"claim.name": "t", "claim.value": "v", "id.token.claim": "false"}
    assert mapped("oidc-hardcoded-claim-mapper", "access", **config) == {"t": "v"}
    assert mapped("oidc-hardcoded-claim-mapper", "id", **config) == {}


def test_groups_roles_and_properties() -> None:
    assert mapped("oidc-group-membership-mapper", **{"claim.name": "g"}) == {"g": ["/a", "/a/b"]}
    assert mapped("oidc-group-membership-mapper", **{"claim.name": "g", "full.path": "false"}) == {
        "g": ["a", "b"]
    }
    assert mapped(
        "oidc-usermodel-realm-role-mapper",
        **{"claim.name": "r", "usermodel.realmRoleMapping.rolePrefix": "R_"},
    ) == {"r": ["R_admin", "R_user"]}
    assert mapped(
        "oidc-usermodel-client-role-mapper",
        **{"claim.name": "c", "usermodel.clientRoleMapping.clientId": "shop"},
    ) == {"c": ["buyer"]}
    assert mapped(
        "oidc-usermodel-property-mapper", **{"claim.name": "mail", "user.attribute": "email"}
    ) == {"mail": "zoe@x.org"}


def test_audience_mapper() -> None:
    mappers = [
        ProtocolMapper(
            "1", "a", "oidc-audience-mapper", config={"included.client.audience": "api"}
        ),
        ProtocolMapper(
            "2",
            "b",
            "oidc-audience-mapper",
            config={"included.custom.audience": "https://x", "access.token.claim": "false"},
        ),
    ]
    assert audiences(mappers, "access") == ["api"]
    assert audiences(mappers, "id") == ["api", "https://x"]


def test_server_info_lists_exactly_the_mapper_types_the_admin_api_accepts() -> None:
    """What `/admin/serverinfo` offers a console and what a client may store are one set."""
    from ostium.admin.serverinfo import _MAPPER_TYPES
    from ostium.protocol.mappers import MAPPER_TYPES

    assert {kind for kind, *_ in _MAPPER_TYPES} == MAPPER_TYPES
