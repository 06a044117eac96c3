"""A realm's signing and encryption keys, stored in the database (seed 000)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RealmKey"]


@dataclass
class RealmKey:
    """One key of one key provider.

    Kept in the database rather than derived or kept on disk, so that a database backup
    and restore brings the very same keys (and `kid`s) back: tokens issued before the
    restore keep verifying, which is what Keycloak's users lose in seed 000.
    """

    id: str
    realm_id: str
    provider: str  # Keycloak's provider id: rsa-generated, ecdsa-generated, hmac-generated…
    algorithm: str  # RS256, ES256, HS256, HS512…
    use: str  # "sig" or "enc"
    kid: str
    private_key: str  # PEM for RSA/EC, base64url secret for oct keys
    public_key: str | None  # PEM, None for oct keys
    certificate: str | None = None  # PEM, self-signed, for x5c in the JWKS
    priority: int = 100
    active: bool = True
    enabled: bool = True
    created: int = 0
    # The key provider component this key belongs to is the key itself (one component, one
    # key, as Keycloak's generated providers): `id` is the component id, `provider` its
    # providerId, `name` its name.
    name: str = ""
    # Set by a rotation: until then the key is passive (still verifies), from then on it
    # is disabled. None for keys no rotation has retired.
    disable_at: int | None = None

    @property
    def key_type(self) -> str:
        if self.algorithm.startswith(("RS", "PS")):
            return "RSA"
        if self.algorithm.startswith("ES"):
            return "EC"
        return "OCT"
