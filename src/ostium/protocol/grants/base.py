"""What every grant receives and returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from ostium.domain import Client
from ostium.errors import InvalidRequest, OAuthError
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.tokens import IssuedTokens
from ostium.storage.interfaces import Repositories

__all__ = ["Grant", "GrantRequest", "GrantResult", "required"]


@dataclass(frozen=True)
class GrantRequest:
    ctx: RealmContext
    repos: Repositories
    client: Client
    form: Mapping[str, str]
    info: RequestInfo


# A grant returns (rather than raises) an error when what it wrote must be kept: on a
# replayed code the revocation of the first code's tokens has to commit.
GrantResult = IssuedTokens | OAuthError


class Grant(Protocol):
    GRANT_TYPE: ClassVar[str]

    async def handle(self, request: GrantRequest) -> GrantResult: ...


def required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidRequest(f"Missing parameter: {name}")
    return value
