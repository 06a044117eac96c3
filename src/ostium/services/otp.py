"""A user's OTP devices: listing them, checking a code, adding one (CONFIGURE_TOTP).

Keycloak's OTPCredentialProvider: a code is checked against one device with the
device's own digits, period and algorithm and the realm's current look-ahead window. A
TOTP code is single-use unless the realm's policy says `otpPolicyCodeReusable` (the
used time step is marked in the cluster-wide single-use store for as long as the window
could accept it again); a HOTP device's counter moves past the code that matched.
"""

from __future__ import annotations

import json

from ostium.domain import Credential, Realm, User
from ostium.domain.otp import HOTP, OTP, OtpCredential, OtpError
from ostium.services.sessions import new_id
from ostium.sessions.action_tokens import ActionTokens
from ostium.storage.interfaces import Repositories

__all__ = ["add_otp_device", "check_otp", "otp_devices"]


async def otp_devices(repos: Repositories, user: User) -> list[Credential]:
    """The user's OTP credentials, the preferred one (lowest priority number) first."""
    found = await repos.credentials.list_for_user(user.id, OTP)
    return sorted(found, key=lambda c: (c.priority, c.created_date))


async def check_otp(
    repos: Repositories,
    single_use: ActionTokens,
    realm: Realm,
    device: Credential,
    code: str,
    *,
    now: int,
) -> bool:
    """Whether `code` is the device's code now, spending it (see the module's text)."""
    try:
        otp = OtpCredential.parse(device.secret_data, device.credential_data)
    except OtpError:
        return False  # a device stored broken never accepts a code
    window = realm.otp_policy_look_ahead_window
    counter = otp.matching_counter(code, now=now, window=window)
    if counter is None:
        return False
    if otp.sub_type == HOTP:
        data = json.loads(device.credential_data)
        data["counter"] = counter + 1
        device.credential_data = json.dumps(data)
        await repos.credentials.update(device)
        return True
    if realm.otp_policy_code_reusable:
        return True
    lifetime = otp.period * (2 * window + 1)
    return await single_use.first_within(f"otp:{device.id}:{counter}", seconds=lifetime, now=now)


async def add_otp_device(
    repos: Repositories, user: User, otp: OtpCredential, label: str | None, *, now: int
) -> Credential:
    """A new device, after the user's other credentials (Keycloak appends it)."""
    existing = await repos.credentials.list_for_user(user.id)
    priority = max((c.priority for c in existing), default=0) + 10
    device = Credential(
        id=new_id(),
        user_id=user.id,
        type=OTP,
        secret_data=otp.secret_data(),
        credential_data=otp.credential_data(),
        created_date=now * 1000,
        user_label=label,
        priority=priority,
    )
    await repos.credentials.add(device)
    return device
