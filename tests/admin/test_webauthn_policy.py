"""The realm's two WebAuthn policies and users' `webauthn` / `webauthn-passwordless`
credentials through the admin API, import and export: Keycloak's field names and shapes,
refusals first."""

from __future__ import annotations

import base64
from typing import Any

from ostium.admin.export import export_realm
from tests.admin.helpers import ADMIN, TEST, admin_headers
from tests.support import OstiumUnderTest, realm_export
from tests.webauthn_authenticator import SoftwareAuthenticator

KEY = base64.b64encode(SoftwareAuthenticator().cose_key()).decode()
# Credentials as Keycloak 26's export writes them: credentialData is WebAuthnCredentialData.
KEYCLOAK_WEBAUTHN = {
    "id": "0b6c3b8e-52a1-4c49-8d0e-2f6f1c9a7e11",
    "type": "webauthn",
    "userLabel": "YubiKey 5",
    "createdDate": 1764000000000,
    "secretData": "{}",
    "credentialData": (
        '{"aaguid":"cb69481e-8ff7-4039-93ec-0a2729a154a8","credentialId":'
        f'"q1Jb0tWmCw1nY8lbb1yHkA==","counter":12,"credentialPublicKey":"{KEY}",'
        '"attestationStatementFormat":"packed","transports":["usb","nfc"]}'
    ),
}
KEYCLOAK_PASSKEY = {
    **KEYCLOAK_WEBAUTHN,
    "id": "7d0f4a61-9b2e-4f57-b8a3-5c1e0d9f2a40",
    "type": "webauthn-passwordless",
    "userLabel": "Phone passkey",
    "credentialData": (
        '{"aaguid":"00000000-0000-0000-0000-000000000000","credentialId":'
        f'"3q2+7w==","counter":0,"credentialPublicKey":"{KEY}",'
        '"attestationStatementFormat":"none","transports":["internal","hybrid"]}'
    ),
}
POLICY_CHANGE: dict[str, Any] = {
    "webAuthnPolicyRpEntityName": "Acme",
    "webAuthnPolicySignatureAlgorithms": ["ES256"],
    "webAuthnPolicyRpId": "acme.test",
    "webAuthnPolicyAttestationConveyancePreference": "direct",
    "webAuthnPolicyAuthenticatorAttachment": "cross-platform",
    "webAuthnPolicyRequireResidentKey": "No",
    "webAuthnPolicyUserVerificationRequirement": "preferred",
    "webAuthnPolicyCreateTimeout": 120,
    "webAuthnPolicyAvoidSameAuthenticatorRegister": True,
    "webAuthnPolicyAcceptableAaguids": ["cb69481e-8ff7-4039-93ec-0a2729a154a8"],
    "webAuthnPolicyExtraOrigins": ["https://app.acme.test"],
    "webAuthnPolicyPasswordlessRpEntityName": "Acme passkeys",
    "webAuthnPolicyPasswordlessSignatureAlgorithms": ["ES256", "Ed25519"],
    "webAuthnPolicyPasswordlessAuthenticatorAttachment": "platform",
}


async def _realm(ostium: OstiumUnderTest, path: str = TEST) -> dict[str, Any]:
    headers = await admin_headers(ostium)
    response = await ostium.client.get(path, headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _webauthn(realm: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in realm.items() if k.startswith("webAuthn")}


async def test_a_policy_keycloak_would_not_take_is_refused_and_nothing_changes(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    before = _webauthn(await _realm(ostium))
    for change, field in (
        ({"webAuthnPolicySignatureAlgorithms": ["ES256", "HS256"]}, "SignatureAlgorithms"),
        ({"webAuthnPolicySignatureAlgorithms": "ES256"}, "SignatureAlgorithms"),
        ({"webAuthnPolicyAttestationConveyancePreference": "always"}, "AttestationConvey"),
        ({"webAuthnPolicyPasswordlessRequireResidentKey": "yes"}, "PasswordlessRequireResident"),
        ({"webAuthnPolicyUserVerificationRequirement": "must"}, "UserVerificationRequirement"),
        ({"webAuthnPolicyCreateTimeout": -5}, "CreateTimeout"),
        ({"webAuthnPolicyCreateTimeout": "60"}, "CreateTimeout"),
        ({"webAuthnPolicyAvoidSameAuthenticatorRegister": "yes"}, "AvoidSameAuthenticator"),
        ({"webAuthnPolicyAcceptableAaguids": ["yubikey"]}, "AcceptableAaguids"),
        ({"webAuthnPolicyExtraOrigins": ["app.acme.test"]}, "ExtraOrigins"),
        ({"webAuthnPolicyRpId": "https://acme.test"}, "RpId"),
    ):
        response = await ostium.client.put(
            TEST, json={"displayName": "Changed", **POLICY_CHANGE, **change}, headers=headers
        )
        assert response.status_code == 400, change
        assert field in response.text, (change, response.text)
    realm = await _realm(ostium)
    assert realm.get("displayName") != "Changed"
    assert _webauthn(realm) == before


async def test_both_policies_have_keycloaks_defaults_and_an_update_is_kept(
    ostium: OstiumUnderTest,
) -> None:
    defaults = {
        "RpEntityName": "keycloak",
        "SignatureAlgorithms": ["ES256", "RS256"],
        "RpId": "",
        "AttestationConveyancePreference": "not specified",
        "AuthenticatorAttachment": "not specified",
        "RequireResidentKey": "not specified",
        "UserVerificationRequirement": "not specified",
        "CreateTimeout": 0,
        "AvoidSameAuthenticatorRegister": False,
        "AcceptableAaguids": [],
        "ExtraOrigins": [],
    }
    passwordless = {
        **defaults,
        "RequireResidentKey": "Yes",
        "UserVerificationRequirement": "required",
    }
    assert _webauthn(await _realm(ostium)) == {
        **{f"webAuthnPolicy{k}": v for k, v in defaults.items()},
        **{f"webAuthnPolicyPasswordless{k}": v for k, v in passwordless.items()},
    }
    headers = await admin_headers(ostium)
    assert (await ostium.client.put(TEST, json=POLICY_CHANGE, headers=headers)).status_code == 204
    realm = await _realm(ostium)
    assert {k: realm[k] for k in POLICY_CHANGE} == POLICY_CHANGE
    # What the update did not name is left as it was (Ostium's partial update).
    assert realm["webAuthnPolicyPasswordlessRequireResidentKey"] == "Yes"
    # Keycloak reads an empty value as the policy's default.
    empty = {"webAuthnPolicyRpEntityName": "", "webAuthnPolicySignatureAlgorithms": []}
    assert (await ostium.client.put(TEST, json=empty, headers=headers)).status_code == 204
    realm = await _realm(ostium)
    assert realm["webAuthnPolicyRpEntityName"] == "keycloak"
    assert realm["webAuthnPolicySignatureAlgorithms"] == ["ES256", "RS256"]
    # The representation GET gave can be PUT back as it is.
    assert (await ostium.client.put(TEST, json=realm, headers=headers)).status_code == 204
    assert _webauthn(await _realm(ostium)) == _webauthn(realm)


async def test_a_keycloak_export_with_webauthn_users_imports_and_exports_back_unchanged(
    ostium: OstiumUnderTest,
) -> None:
    data = realm_export()
    data["realm"] = "webauthn-users"
    data.update(POLICY_CHANGE)
    dora = {
        "username": "dora",
        "enabled": True,
        "credentials": [
            {"type": "password", "value": "dora-pw"},
            KEYCLOAK_WEBAUTHN,
            KEYCLOAK_PASSKEY,
        ],
    }
    data["users"] = [dora]
    headers = await admin_headers(ostium)
    # A broken WebAuthn credential refuses the whole file, naming what is wrong.
    broken = {**KEYCLOAK_WEBAUTHN, "credentialData": '{"aaguid":"x"}'}
    refused = await ostium.client.post(
        ADMIN, json={**data, "users": [{**dora, "credentials": [broken]}]}, headers=headers
    )
    assert refused.status_code == 400 and "aaguid" in refused.text
    # So does a policy Keycloak would not take.
    bad_policy = {**data, "webAuthnPolicyPasswordlessAuthenticatorAttachment": "usb"}
    refused = await ostium.client.post(ADMIN, json=bad_policy, headers=headers)
    assert refused.status_code == 400
    assert "webAuthnPolicyPasswordlessAuthenticatorAttachment" in refused.text
    assert (await ostium.client.get(f"{ADMIN}/webauthn-users", headers=headers)).status_code == 404

    created = await ostium.client.post(ADMIN, json=data, headers=headers)
    assert created.status_code == 201, created.text
    assert {
        k: v
        for k, v in (await _realm(ostium, f"{ADMIN}/webauthn-users")).items()
        if k in POLICY_CHANGE
    } == POLICY_CHANGE
    found = await ostium.client.get(f"{ADMIN}/webauthn-users/users?username=dora", headers=headers)
    uid = found.json()[0]["id"]
    listed = await ostium.client.get(
        f"{ADMIN}/webauthn-users/users/{uid}/credentials", headers=headers
    )
    keys = [c for c in listed.json() if c["type"].startswith("webauthn")]
    assert [(c["id"], c["type"], c["userLabel"], c["credentialData"]) for c in keys] == [
        (c["id"], c["type"], c["userLabel"], c["credentialData"])
        for c in (KEYCLOAK_WEBAUTHN, KEYCLOAK_PASSKEY)
    ]
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("webauthn-users")
        assert realm is not None
        exported = await export_realm(repos, realm, include_users=True)
    assert {k: exported[k] for k in POLICY_CHANGE} == POLICY_CHANGE
    (user,) = [u for u in exported["users"] if u["username"] == "dora"]
    written = [c for c in user["credentials"] if c["type"].startswith("webauthn")]
    assert [{k: c[k] for k in KEYCLOAK_WEBAUTHN} for c in written] == [
        KEYCLOAK_WEBAUTHN,
        KEYCLOAK_PASSKEY,
    ]
    # The export imports again as it is, in place of the realm it came from.
    deleted = await ostium.client.delete(f"{ADMIN}/webauthn-users", headers=headers)
    assert deleted.status_code == 204
    again = await ostium.client.post(ADMIN, json=exported, headers=headers)
    assert again.status_code == 201, again.text
    listed = await ostium.client.get(
        f"{ADMIN}/webauthn-users/users/{uid}/credentials", headers=headers
    )
    assert [c["credentialData"] for c in listed.json() if c["type"].startswith("webauthn")] == [
        KEYCLOAK_WEBAUTHN["credentialData"],
        KEYCLOAK_PASSKEY["credentialData"],
    ]
