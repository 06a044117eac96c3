"""The realm's JWK Set: enabled public keys, active and passive, so tokens signed before
a rotation keep verifying."""

from __future__ import annotations

from ostium.keys import public_jwks
from ostium.protocol.context import RealmContext
from ostium.protocol.results import JsonResult

__all__ = ["jwks"]


def jwks(ctx: RealmContext) -> JsonResult:
    return JsonResult(dict(public_jwks(ctx.keys)), headers={"Cache-Control": "no-cache"})
