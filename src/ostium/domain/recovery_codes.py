"""Recovery codes as Keycloak keeps them (`recovery-authn-codes`): twelve single-use codes
of twelve characters, shown once when they are made, stored only as SHA-512 hashes, and
used in order — the login asks for code number N, the first one not used yet — pure, no
I/O.

Keycloak's RecoveryAuthnCodesUtils and RecoveryAuthnCodesCredentialModel: the alphabet
leaves out O and 0 so a printed code reads back unambiguously; `secretData` is
`{"codes": [{"number", "encodedHashedValue"}]}` (Base64 of the hash), `credentialData`
`{"hashIterations", "algorithm", "totalCodes", "remainingCodes"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

__all__ = [
    "CODE_COUNT",
    "RECOVERY_CODES",
    "RecoveryCodes",
    "RecoveryCodesError",
    "display",
    "generate_codes",
    "normalise",
]

RECOVERY_CODES = "recovery-authn-codes"  # the credential type
CODE_COUNT = 12
CODE_LENGTH = 12
ALPHABET = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
# Keycloak 26.2 and later write SHA-512; earlier versions wrote the same digest as RS512.
_ALGORITHMS = ("SHA-512", "RS512")


class RecoveryCodesError(ValueError):
    """A stored credential Ostium cannot use; the text names what."""


def generate_codes() -> list[str]:
    return [
        "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(CODE_COUNT)
    ]


def display(code: str) -> str:
    """In groups of four, as printed for the person: `ABCD-EFGH-JKLM`."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str:
    """What a person typed, as the code: dashes, spaces and case do not matter."""
    return "".join(c for c in typed.upper() if c not in "- \t")


def _hash(code: str) -> str:
    return base64.b64encode(hashlib.sha512(code.encode()).digest()).decode()


@dataclass(frozen=True)
class RecoveryCodes:
    """The codes not used yet, by number, as hashes; `total` as first made."""

    remaining: tuple[tuple[int, str], ...]
    total: int = CODE_COUNT

    @classmethod
    def new(cls, codes: list[str]) -> RecoveryCodes:
        return cls(tuple((i + 1, _hash(code)) for i, code in enumerate(codes)), len(codes))

    @classmethod
    def parse(cls, secret_data: str, credential_data: str) -> RecoveryCodes:
        try:
            secret = json.loads(secret_data)
            data = json.loads(credential_data)
        except ValueError:
            raise RecoveryCodesError("secretData/credentialData are not JSON") from None
        if not isinstance(secret, dict) or not isinstance(data, dict):
            raise RecoveryCodesError("secretData/credentialData must be JSON objects")
        if data.get("algorithm", "SHA-512") not in _ALGORITHMS:
            raise RecoveryCodesError(f"credentialData.algorithm {data.get('algorithm')!r}")
        codes = secret.get("codes")
        if not isinstance(codes, list):
            raise RecoveryCodesError("secretData.codes must be a list")
        remaining = []
        for code in codes:
            number = code.get("number") if isinstance(code, dict) else None
            value = code.get("encodedHashedValue") if isinstance(code, dict) else None
            if not isinstance(number, int) or not isinstance(value, str):
                raise RecoveryCodesError("each code needs a number and an encodedHashedValue")
            remaining.append((number, value))
        total = data.get("totalCodes", len(remaining))
        if not isinstance(total, int) or total < len(remaining):
            raise RecoveryCodesError("credentialData.totalCodes is below the codes held")
        return cls(tuple(sorted(remaining)), total)

    def secret_data(self) -> str:
        codes = [{"number": n, "encodedHashedValue": v} for n, v in self.remaining]
        return json.dumps({"codes": codes})

    def credential_data(self) -> str:
        return json.dumps(
            {
                "hashIterations": 1,
                "algorithm": "SHA-512",
                "totalCodes": self.total,
                "remainingCodes": len(self.remaining),
            }
        )

    @property
    def next_number(self) -> int | None:
        """The number of the code the login asks for: the first one not used yet."""
        return self.remaining[0][0] if self.remaining else None

    def use(self, typed: str) -> RecoveryCodes | None:
        """The codes left once `typed` is spent, or None if it is not the next code
        (compared in constant time)."""
        if not self.remaining:
            return None
        expected = self.remaining[0][1]
        if not hmac.compare_digest(_hash(normalise(typed)).encode(), expected.encode()):
            return None
        return RecoveryCodes(self.remaining[1:], self.total)
