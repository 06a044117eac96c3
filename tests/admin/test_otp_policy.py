"""The realm's OTP policy and users' `otp` credentials through the admin API, import and
export: Keycloak's field names and shapes, refusals first."""

from __future__ import annotations

import json
from typing import Any

from ostium.admin.export import export_realm
from tests.admin.helpers import ADMIN, TEST, admin_headers
from tests.support import OstiumUnderTest, realm_export

# A credential as Keycloak 26's export writes it.
KEYCLOAK_OTP = {
    "id": "6d3f7a52-3f7e-4d0e-9d3c-6a8f0b2c1e01",
    "type": "otp",
    "userLabel": "Phone",
    "createdDate": 1764000000000,
    "secretData": '{"value":"Gx4rT9pL2mQ8wZ1cV7bN"}',
    "credentialData": (
        '{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}'
    ),
}


async def _realm(ostium: OstiumUnderTest) -> dict[str, Any]:
    headers = await admin_headers(ostium)
    response = await ostium.client.get(TEST, headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_a_policy_no_app_can_follow_is_refused_and_nothing_changes(
    ostium: OstiumUnderTest,
) -> None:
    headers = await admin_headers(ostium)
    for change in (
        {"otpPolicyType": "sms"},
        {"otpPolicyAlgorithm": "HmacMD5"},
        {"otpPolicyDigits": 7},
        {"otpPolicyPeriod": 0},
        {"otpPolicyDigits": "six"},
    ):
        response = await ostium.client.put(
            TEST, json={"displayName": "Changed", **change}, headers=headers
        )
        assert response.status_code == 400, change
        assert "otpPolicy" in response.text
    realm = await _realm(ostium)
    assert realm.get("displayName") != "Changed"
    assert (realm["otpPolicyType"], realm["otpPolicyDigits"]) == ("totp", 6)


async def test_the_policy_has_keycloaks_defaults_and_is_kept(ostium: OstiumUnderTest) -> None:
    realm = await _realm(ostium)
    assert {k: v for k, v in realm.items() if k.startswith("otp")} == {
        "otpPolicyType": "totp",
        "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyDigits": 6,
        "otpPolicyLookAheadWindow": 1,
        "otpPolicyPeriod": 30,
        "otpPolicyInitialCounter": 0,
        "otpPolicyCodeReusable": False,
        "otpSupportedApplications": [
            "totpAppFreeOTPName",
            "totpAppGoogleName",
            "totpAppMicrosoftAuthenticatorName",
        ],
    }
    headers = await admin_headers(ostium)
    change = {"otpPolicyDigits": 8, "otpPolicyAlgorithm": "HmacSHA256", "otpPolicyPeriod": 60}
    assert (await ostium.client.put(TEST, json=change, headers=headers)).status_code == 204
    realm = await _realm(ostium)
    assert {k: realm[k] for k in change} == change
    assert realm["otpSupportedApplications"] == ["totpAppFreeOTPName"]


async def test_a_keycloak_export_with_otp_users_imports_and_exports_back_unchanged(
    ostium: OstiumUnderTest,
) -> None:
    data = realm_export()
    data["realm"] = "otp-users"
    data["otpPolicyDigits"] = 8
    carol = {
        "username": "carol",
        "enabled": True,
        "credentials": [{"type": "password", "value": "carol-pw"}, KEYCLOAK_OTP],
    }
    data["users"] = [carol]
    headers = await admin_headers(ostium)
    # A broken OTP credential refuses the whole file, naming it.
    broken = {**KEYCLOAK_OTP, "credentialData": '{"subType":"sms"}'}
    refused = await ostium.client.post(
        ADMIN, json={**data, "users": [{**carol, "credentials": [broken]}]}, headers=headers
    )
    assert refused.status_code == 400 and "subType" in refused.text
    assert (await ostium.client.get(f"{ADMIN}/otp-users", headers=headers)).status_code == 404

    created = await ostium.client.post(ADMIN, json=data, headers=headers)
    assert created.status_code == 201, created.text
    found = await ostium.client.get(f"{ADMIN}/otp-users/users?username=carol", headers=headers)
    uid = found.json()[0]["id"]
    listed = await ostium.client.get(f"{ADMIN}/otp-users/users/{uid}/credentials", headers=headers)
    otp = [c for c in listed.json() if c["type"] == "otp"]
    assert otp == [
        {
            "id": KEYCLOAK_OTP["id"],
            "type": "otp",
            "userLabel": "Phone",
            "createdDate": KEYCLOAK_OTP["createdDate"],
            "credentialData": KEYCLOAK_OTP["credentialData"],
            "priority": 20,
        }
    ]
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name("otp-users")
        assert realm is not None
        exported = await export_realm(repos, realm, include_users=True)
    assert exported["otpPolicyDigits"] == 8
    (user,) = [u for u in exported["users"] if u["username"] == "carol"]
    (written,) = [c for c in user["credentials"] if c["type"] == "otp"]
    assert {k: written[k] for k in KEYCLOAK_OTP} == KEYCLOAK_OTP
    assert json.loads(written["secretData"]) == {"value": "Gx4rT9pL2mQ8wZ1cV7bN"}
