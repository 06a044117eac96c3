"""GET /admin/realms/{realm}/keys: the realm's keys as Keycloak lists them."""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends

from ostium.admin.context import Admin, admin
from ostium.domain import RealmKey
from ostium.keys import active_key

__all__ = ["router"]

router = APIRouter(tags=["Key"])


def _der(pem: str | None, *, certificate: bool) -> str | None:
    if not pem:
        return None
    if certificate:
        der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    else:
        der = serialization.load_pem_public_key(pem.encode()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return base64.b64encode(der).decode()


def _status(key: RealmKey) -> str:
    if not key.enabled:
        return "DISABLED"
    return "ACTIVE" if key.active else "PASSIVE"


@router.get("/realms/{realm}/keys")
async def realm_keys(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        keys = await repos.keys.list_all(loaded.id)
    active = {}
    for algorithm in sorted({k.algorithm for k in keys}):
        chosen = active_key(keys, algorithm)
        if chosen is not None:
            active[algorithm] = chosen.kid
    listed = []
    for key in sorted(keys, key=lambda k: (-k.priority, k.algorithm)):
        entry: dict[str, Any] = {
            "providerId": key.provider,
            "providerPriority": key.priority,
            "kid": key.kid,
            "status": _status(key),
            "type": key.key_type,
            "algorithm": key.algorithm,
            "use": key.use.upper(),
        }
        public = _der(key.public_key, certificate=False)
        if public:
            entry["publicKey"] = public
        certificate = _der(key.certificate, certificate=True)
        if certificate:
            entry["certificate"] = certificate
        listed.append(entry)
    return {"active": active, "keys": listed}
