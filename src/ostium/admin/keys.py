"""GET /admin/realms/{realm}/keys, Keycloak's KeysMetadataRepresentation, and
POST /admin/realms/{realm}/keys/rotate, Ostium's rotation with a grace period."""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ostium.admin.context import Admin, admin, json_body
from ostium.admin.errors import BadRequest
from ostium.domain import RealmKey
from ostium.keys import active_key
from ostium.keys.providers import KeyProviderError
from ostium.services.keys import DEFAULT_GRACE_PERIOD, current_keys, rotate_keys

__all__ = ["key_metadata", "router"]

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


def key_metadata(key: RealmKey) -> dict[str, Any]:
    """One KeyMetadataRepresentation: `providerId` is the key provider *component's* id,
    as in Keycloak (the provider's kind is the component's `providerId`)."""
    entry: dict[str, Any] = {
        "providerId": key.id,
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
    if key.certificate:
        entry["certificate"] = _der(key.certificate, certificate=True)
        expiry = x509.load_pem_x509_certificate(key.certificate.encode()).not_valid_after_utc
        entry["validTo"] = int(expiry.timestamp() * 1000)
    return entry


@router.get("/realms/{realm}/keys")
async def realm_keys(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    """Listing settles rotations too: a key whose grace period is over is shown (and
    stored) as disabled."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        keys = await current_keys(repos, loaded, a.now)
    active = {}
    for algorithm in sorted({k.algorithm for k in keys}):
        chosen = active_key(keys, algorithm)
        if chosen is not None:
            active[algorithm] = chosen.kid
    listed = [key_metadata(k) for k in sorted(keys, key=lambda k: (-k.priority, k.algorithm))]
    return {"active": active, "keys": listed}


@router.post("/realms/{realm}/keys/rotate", status_code=201)
async def rotate(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    """Ostium extension (Keycloak has no rotation endpoint): body `{"algorithm": "RS256",
    "gracePeriod": 86400}`, both optional. A new key provider becomes the active key of
    the algorithm; the keys it replaces stay passive (they still verify) for the grace
    period in seconds, then are disabled. Answers 201 with the new component's Location
    and its KeyMetadataRepresentation."""
    body = await json_body(request)
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise BadRequest("Expected a JSON object")
    algorithm = body.get("algorithm")
    grace = body.get("gracePeriod", DEFAULT_GRACE_PERIOD)
    if algorithm is not None and not isinstance(algorithm, str):
        raise BadRequest("algorithm: expected a string such as RS256")
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 10 * 365 * 86400:
        raise BadRequest("gracePeriod: expected a number of seconds, at least 0")
    try:
        async with a.transaction() as repos:
            loaded = await a.realm(repos, realm, "manage-realm")
            rotation = await rotate_keys(
                repos, loaded, now=a.now, algorithm=algorithm, grace_period=grace
            )
    except KeyProviderError as exc:
        raise BadRequest(str(exc)) from None
    key = rotation.new
    location = a.location().rsplit("/keys/rotate", 1)[0] + f"/components/{key.id}"
    return JSONResponse(key_metadata(key), status_code=201, headers={"Location": location})
