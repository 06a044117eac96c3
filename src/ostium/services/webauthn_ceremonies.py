"""The WebAuthn registration and authentication ceremonies (WebAuthn Level 2 §7.1, §7.2)
under a realm's Keycloak WebAuthn policy, over py_webauthn; no HTTP and no storage.

The login pages (a later step) keep the challenge in the authentication session, hand the
options here to `navigator.credentials.create()` / `.get()`, and bring the browser's
response back. What the policy asks is honoured here, where Keycloak honours it
(WebAuthnRegister, WebAuthnAuthenticator):

- RpId: the request's host when empty (Keycloak: `getUri().getBaseUri().getHost()`);
- RpEntityName, SignatureAlgorithms (their COSE ids, in order, and nothing else is
  accepted at registration), AttestationConveyancePreference, AuthenticatorAttachment,
  RequireResidentKey, UserVerificationRequirement ("required" is also enforced on the
  authenticator's UV flag), CreateTimeout (seconds; 0 leaves the browser's own);
- AvoidSameAuthenticatorRegister: the user's credentials go in `excludeCredentials`;
- AcceptableAaguids: another authenticator model is refused at registration;
- ExtraOrigins: accepted beside the server's own origins.

"not specified" leaves the option out, so the browser applies the WebAuthn default (for
attestation, "none" is sent: it is that default, §5.4).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ostium.domain.user import User
from ostium.domain.webauthn_credential import WebAuthnCredentialData, b64encode
from ostium.domain.webauthn_policy import (
    NOT_SPECIFIED,
    SIGNATURE_ALGORITHMS,
    WebAuthnPolicy,
)

__all__ = [
    "VerifiedAssertion",
    "WebAuthnCeremonyError",
    "assertion_user_handle",
    "authentication_options",
    "registration_options",
    "rp_id_for",
    "verify_authentication",
    "verify_registration",
]

# What py_webauthn raises for a response that does not verify or does not parse.
_REFUSALS = (
    InvalidRegistrationResponse,
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidCBORData,
    ValueError,
    KeyError,
    TypeError,
)


class WebAuthnCeremonyError(Exception):
    """The browser's response is refused; the text says why (for the log and the event,
    not for the page: the page says only that the security key was not accepted)."""


@dataclass(frozen=True)
class VerifiedAssertion:
    """A sign-in that verified: which stored credential signed, its new signCount (to be
    stored: the next assertion must exceed it), and the user handle the authenticator
    returned (a discoverable credential's, WebAuthn §6.1 `userHandle`)."""

    credential: WebAuthnCredentialData
    new_counter: int
    user_handle: str | None

    @property
    def updated(self) -> WebAuthnCredentialData:
        return self.credential.with_counter(self.new_counter)


def rp_id_for(policy: WebAuthnPolicy, host: str) -> str:
    """The policy's RpId, else the host the request came to, as Keycloak takes it (the RP
    ID must be that host or a registrable suffix of it, WebAuthn §5.1.4.1 step 8)."""
    return policy.rp_id or host.lower()


def _algorithms(policy: WebAuthnPolicy) -> list[COSEAlgorithmIdentifier]:
    """The policy's algorithms as COSE ids, in its order, each once (as Keycloak lists them)."""
    names = dict.fromkeys(policy.signature_algorithms)
    return [COSEAlgorithmIdentifier(SIGNATURE_ALGORITHMS[name]) for name in names]


def _specified(value: str) -> str | None:
    return None if value == NOT_SPECIFIED else value


def _descriptor(credential: WebAuthnCredentialData) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in credential.transports:
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue  # a transport newer than the library: the hint is only a hint
    return PublicKeyCredentialDescriptor(
        id=credential.credential_id_bytes, transports=transports or None
    )


def _selection(policy: WebAuthnPolicy) -> AuthenticatorSelectionCriteria | None:
    """Keycloak's authenticatorSelection: only what the policy specifies. RequireResidentKey
    "Yes" is `residentKey: "required"` (with the Level 1 `requireResidentKey: true`), "No"
    is "discouraged" (WebAuthn §5.4.4)."""
    attachment = _specified(policy.authenticator_attachment)
    resident = _specified(policy.require_resident_key)
    verification = _specified(policy.user_verification_requirement)
    if attachment is None and resident is None and verification is None:
        return None
    return AuthenticatorSelectionCriteria(
        authenticator_attachment=AuthenticatorAttachment(attachment) if attachment else None,
        resident_key=(
            None
            if resident is None
            else ResidentKeyRequirement.REQUIRED
            if resident == "Yes"
            else ResidentKeyRequirement.DISCOURAGED
        ),
        require_resident_key=None if resident is None else resident == "Yes",
        user_verification=UserVerificationRequirement(verification) if verification else None,
    )


def registration_options(
    policy: WebAuthnPolicy,
    host: str,
    user: User,
    existing_credentials: Sequence[WebAuthnCredentialData],
    challenge: bytes,
) -> dict[str, Any]:
    """The `publicKey` options of `navigator.credentials.create()` (WebAuthn §5.4), as
    JSON (binary values base64url, as `PublicKeyCredential.parseCreationOptionsFromJSON`
    reads them). The user handle is the user's id, as Keycloak sets it, so a passkey
    finds its user again (§6.1 `userHandle`)."""
    options = generate_registration_options(
        rp_id=rp_id_for(policy, host),
        rp_name=policy.rp_entity_name,
        user_name=user.username,
        user_id=user.id.encode("utf-8"),
        user_display_name=user.username,
        challenge=challenge,
        authenticator_selection=_selection(policy),
        exclude_credentials=(
            [_descriptor(c) for c in existing_credentials]
            if policy.avoid_same_authenticator_register
            else None
        ),
        supported_pub_key_algs=_algorithms(policy),
    )
    # "not specified" is sent as "none", which is WebAuthn's default for it (§5.4).
    attestation = _specified(policy.attestation_conveyance_preference) or "none"
    options.attestation = AttestationConveyancePreference(attestation)
    options.timeout = policy.create_timeout * 1000 if policy.create_timeout else None
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def _origins(policy: WebAuthnPolicy, origins: Sequence[str]) -> list[str]:
    return [*origins, *policy.extra_origins]


def verify_registration(
    policy: WebAuthnPolicy,
    host: str,
    origins: Sequence[str],
    challenge: bytes,
    response_json: str | dict[str, Any],
    *,
    registered: Collection[WebAuthnCredentialData] = (),
) -> WebAuthnCredentialData:
    """The browser's attestation, checked (WebAuthn §7.1): the challenge, the origin (the
    server's own or one of ExtraOrigins), the RP ID hash, user presence and — when the
    policy requires it — user verification, an algorithm of the policy, the attestation
    statement, an AAGUID among AcceptableAaguids, and a credential id not already
    registered (`registered`: the realm's credentials with that id; §7.1 step 22). Returns the
    credential to store, in Keycloak's shape."""
    try:
        verified = verify_registration_response(
            credential=response_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id_for(policy, host),
            expected_origin=_origins(policy, origins),
            require_user_verification=policy.user_verification_requirement == "required",
            supported_pub_key_algs=_algorithms(policy),
        )
        parsed = parse_registration_credential_json(response_json)
    except _REFUSALS as exc:
        raise WebAuthnCeremonyError(f"registration refused: {exc}") from None
    if not policy.accepts_aaguid(verified.aaguid):
        raise WebAuthnCeremonyError(
            f"registration refused: authenticator {verified.aaguid} is not one of the "
            f"policy's {policy.prefix}AcceptableAaguids"
        )
    credential_id = b64encode(verified.credential_id)
    if any(c.credential_id_bytes == verified.credential_id for c in registered):
        raise WebAuthnCeremonyError("registration refused: this credential is already registered")
    transports = [t.value for t in parsed.response.transports or []]
    return WebAuthnCredentialData(
        aaguid=verified.aaguid,
        credential_id=credential_id,
        counter=verified.sign_count,
        credential_public_key=b64encode(verified.credential_public_key),
        # Keycloak no longer keeps the attestation statement, only its format.
        attestation_statement=None,
        attestation_statement_format=str(getattr(verified.fmt, "value", verified.fmt)),
        transports=tuple(transports),
    )


def authentication_options(
    policy: WebAuthnPolicy,
    host: str,
    allowed_credentials: Sequence[WebAuthnCredentialData] | None,
    challenge: bytes,
) -> dict[str, Any]:
    """The `publicKey` options of `navigator.credentials.get()` (WebAuthn §5.5), as JSON.
    `allowed_credentials` None is a passkey sign-in: no `allowCredentials`, the
    authenticator offers its discoverable credentials and the user is found by the user
    handle it returns. As in Keycloak, the policy's CreateTimeout is for registration."""
    options = generate_authentication_options(
        rp_id=rp_id_for(policy, host),
        challenge=challenge,
        allow_credentials=(
            None if allowed_credentials is None else [_descriptor(c) for c in allowed_credentials]
        ),
    )
    verification = _specified(policy.user_verification_requirement)
    options.user_verification = UserVerificationRequirement(verification) if verification else None
    options.timeout = None
    result: dict[str, Any] = json.loads(options_to_json(options))
    if allowed_credentials is None:
        result.pop("allowCredentials", None)
    return result


def assertion_user_handle(response_json: str | dict[str, Any]) -> str | None:
    """The user handle in an assertion (a discoverable credential's), as the user id it
    was registered with; None when absent. A passkey sign-in finds its user with it
    before `verify_authentication`."""
    try:
        handle = parse_authentication_credential_json(response_json).response.user_handle
        return handle.decode("utf-8") if handle else None
    except (*_REFUSALS, UnicodeDecodeError) as exc:
        raise WebAuthnCeremonyError(f"sign-in refused: {exc}") from None


def verify_authentication(
    policy: WebAuthnPolicy,
    host: str,
    origins: Sequence[str],
    challenge: bytes,
    response_json: str | dict[str, Any],
    stored: Sequence[WebAuthnCredentialData],
    *,
    user_id: str | None = None,
) -> VerifiedAssertion:
    """The browser's assertion, checked (WebAuthn §7.2): a credential among `stored` (the
    user's, or the user's the user handle named), the challenge, the origin, the RP ID
    hash, user presence and — when the policy requires it — user verification, the
    signature with the stored public key, and a signCount that grew (§7.2 step 21: a
    counter at or below the stored one, when either is non-zero, means a cloned
    authenticator; both zero is an authenticator without a counter). When `user_id` is
    given, a user handle in the response must be that user's (§7.2 step 6)."""
    try:
        parsed = parse_authentication_credential_json(response_json)
    except _REFUSALS as exc:
        raise WebAuthnCeremonyError(f"sign-in refused: {exc}") from None
    credential = next((c for c in stored if c.credential_id_bytes == parsed.raw_id), None)
    if credential is None:
        raise WebAuthnCeremonyError("sign-in refused: unknown credential")
    handle = parsed.response.user_handle
    if user_id is not None and handle is not None and handle != user_id.encode("utf-8"):
        raise WebAuthnCeremonyError("sign-in refused: the user handle is another user's")
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id_for(policy, host),
            expected_origin=_origins(policy, origins),
            credential_public_key=credential.public_key_bytes,
            credential_current_sign_count=credential.counter,
            require_user_verification=policy.user_verification_requirement == "required",
        )
    except _REFUSALS as exc:
        raise WebAuthnCeremonyError(f"sign-in refused: {exc}") from None
    return VerifiedAssertion(
        credential=credential,
        new_counter=verified.new_sign_count,
        user_handle=handle.decode("utf-8", "replace") if handle else None,
    )
