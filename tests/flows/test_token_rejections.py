"""Why a token is not valid: every rejection names one reason code and the specifics.

Each case is seen three ways: introspection answers `{"active": false}` with an
`error_description` for the authenticated client (our addition to RFC 7662 §2.2), userinfo
answers 401 with the description in the RFC 6750 §3 challenge, and the event log holds the
reason code as `error` and the description in the details.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re

import pytest

from ostium.domain import RealmKey
from ostium.events import Event
from ostium.keys import active_key, sign
from ostium.protocol.tokens import CLOCK_SKEW, REFRESH, TokenProblem, check_token, peek
from ostium.tools import OfflineRealm
from tests.support import ISSUER, OIDC, REALM, SECRET, OstiumUnderTest


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def realm_key(ostium: OstiumUnderTest, algorithm: str = "RS256") -> RealmKey:
    """The realm's real signing key, private part included: forged tokens below are
    signed by the server's own key, so only the claim under test is wrong."""
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        key = active_key(await repos.keys.list_all(realm.id), algorithm)
    assert key is not None
    return key


async def forged(ostium: OstiumUnderTest, token: str, **changes: object) -> str:
    """`token`'s claims with `changes`, signed again with the realm's real key."""
    peeked = peek(token)
    assert peeked is not None
    return sign({**peeked[1], **changes}, await realm_key(ostium))


async def rejected(ostium: OstiumUnderTest, token: str, reason: str) -> str:
    """Asserts the three views of one rejection; returns the description."""
    introspected = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": token}, auth=("app", SECRET)
    )
    assert introspected.status_code == 200
    body = introspected.json()
    assert set(body) == {"active", "error_description"}, body
    assert body["active"] is False
    description: str = body["error_description"]
    event = last_event(ostium, "INTROSPECT_TOKEN_ERROR")
    assert event.error == reason, (event, description)
    assert event.details["reason"] == description
    assert event.client_id == "app"

    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(token))
    assert userinfo.status_code == 401
    assert userinfo.json() == {"error": "invalid_token", "error_description": description}
    challenge = userinfo.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    match = re.search(r'error_description="([^"]*)"', challenge)
    assert match is not None and match.group(1) == description
    event = last_event(ostium, "USERINFO_REQUEST_ERROR")
    assert event.error == reason and event.details["reason"] == description
    return description


def last_event(ostium: OstiumUnderTest, type: str) -> Event:
    events = [e for e in ostium.events.recent if e.type == type]
    assert events, f"no {type} event"
    return events[-1]


async def access_token(ostium: OstiumUnderTest, username: str = "alice") -> str:
    password = {"alice": "wonderland", "bob": "builder"}[username]
    response = await ostium.password_grant(username, password)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


# --- what the token itself says ------------------------------------------------------------


async def test_expired_says_when(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    exp = peek(token)[1]["exp"]  # type: ignore[index]
    ostium.clock.advance(301)
    description = await rejected(ostium, token, "expired")
    assert description.startswith("expired at 20")
    assert f"{ostium.clock.now() - exp} s ago" in description  # type: ignore[operator]


async def test_issued_in_the_future_is_not_yet_valid(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    now = ostium.clock.now()
    future = await forged(ostium, token, iat=now + 3600, exp=now + 7200)
    description = await rejected(ostium, future, "not_yet_valid")
    assert "issued at" in description and "(iat), 3600 s ahead" in description


async def test_nbf_in_the_future_is_not_yet_valid(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    later = await forged(ostium, token, nbf=ostium.clock.now() + 120)
    description = await rejected(ostium, later, "not_yet_valid")
    assert "not valid before" in description and "(nbf)" in description


async def test_a_little_clock_skew_is_tolerated(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    skewed = await forged(ostium, token, iat=ostium.clock.now() + CLOCK_SKEW)
    response = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(skewed))
    assert response.status_code == 200, response.text


async def test_unknown_kid_names_the_kid(ostium: OstiumUnderTest) -> None:
    """Seed 000: a backup restored without its keys; the token's kid is nowhere."""
    token = await access_token(ostium)
    lost = dataclasses.replace(await realm_key(ostium), kid="kid-of-a-lost-backup")
    orphan = sign(peek(token)[1], lost)  # type: ignore[index]
    description = await rejected(ostium, orphan, "unknown_kid")
    assert description.startswith("unknown kid 'kid-of-a-lost-backup': no key of realm 'test'")


async def test_bad_signature(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["preferred_username"] = "mallory"
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    description = await rejected(ostium, f"{header}.{altered}.{signature}", "bad_signature")
    assert description.startswith("bad signature") and "(RS256)" in description


async def test_malformed(ostium: OstiumUnderTest) -> None:
    description = await rejected(ostium, "not-a-token", "malformed")
    assert description.startswith("malformed token")


async def test_wrong_issuer_says_expected_and_got(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    foreign = await forged(ostium, token, iss="https://evil.example/realms/test")
    description = await rejected(ostium, foreign, "wrong_issuer")
    assert description == (f"wrong issuer: 'https://evil.example/realms/test', expected '{ISSUER}'")


async def test_a_quote_in_a_claim_cannot_break_the_challenge(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    hostile = await forged(ostium, token, iss='x"\r\nSet-Cookie: a=b\\')
    description = await rejected(ostium, hostile, "wrong_issuer")
    assert '"' not in description and "\\" not in description and "\n" not in description


async def test_another_realms_token_is_an_unknown_kid_there(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    response = await ostium.client.get(
        "http://localhost:8080/realms/master/protocol/openid-connect/userinfo",
        headers=bearer(token),
    )
    assert response.status_code == 401
    assert "no key of realm 'master'" in response.json()["error_description"]


# --- what only storage knows ------------------------------------------------------------------


async def test_revoked_at_the_revocation_endpoint(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    revoked = await ostium.client.post(
        f"{OIDC}/revoke", data={"token": token}, auth=("app", SECRET)
    )
    assert revoked.status_code == 200
    description = await rejected(ostium, token, "revoked")
    assert "was revoked" in description


async def test_revoked_by_the_users_not_before(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    ostium.clock.advance(1)
    realm_id = await _realm_id(ostium)
    async with ostium.storage.transaction() as repos:
        user = await repos.users.get_by_username(realm_id, "alice")
        assert user is not None
        user.not_before = ostium.clock.now()
        await repos.users.update(user)
    description = await rejected(ostium, token, "revoked")
    assert "before the user's not-before" in description


async def test_session_ended_by_logout(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    logout = await ostium.client.post(
        f"{OIDC}/logout", data={"refresh_token": tokens["refresh_token"]}, auth=("app", SECRET)
    )
    assert logout.status_code == 204, logout.text
    description = await rejected(ostium, tokens["access_token"], "session_ended")
    assert f"'{tokens['session_state']}'" in description
    assert last_event(ostium, "USERINFO_REQUEST_ERROR").session_id == tokens["session_state"]


async def test_session_ended_for_the_client_whose_refresh_token_was_revoked(
    ostium: OstiumUnderTest,
) -> None:
    tokens = (await ostium.password_grant()).json()
    await ostium.client.post(
        f"{OIDC}/revoke", data={"token": tokens["refresh_token"]}, auth=("app", SECRET)
    )
    description = await rejected(ostium, tokens["access_token"], "session_ended")
    assert "client 'app' is no longer in user session" in description


async def test_client_disabled(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    realm_id = await _realm_id(ostium)
    async with ostium.storage.transaction() as repos:
        client = await repos.clients.get_by_client_id(realm_id, "app")
        assert client is not None
        client.enabled = False
        await repos.clients.update(client)
    # The disabled client cannot introspect any more: another confidential client asks.
    introspected = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": token}, auth=("other", "other-secret")
    )
    assert introspected.json() == {
        "active": False,
        "error_description": "client 'app' is disabled",
    }
    assert last_event(ostium, "INTROSPECT_TOKEN_ERROR").error == "client_disabled"
    userinfo = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(token))
    assert userinfo.status_code == 401
    assert "error_description=\"client 'app' is disabled\"" in userinfo.headers["www-authenticate"]
    event = last_event(ostium, "USERINFO_REQUEST_ERROR")
    assert event.error == "client_disabled" and event.client_id == "app"


async def test_user_disabled_and_user_deleted(ostium: OstiumUnderTest) -> None:
    alice, bob = await access_token(ostium), await access_token(ostium, "bob")
    realm_id = await _realm_id(ostium)
    async with ostium.storage.transaction() as repos:
        user = await repos.users.get_by_username(realm_id, "alice")
        assert user is not None
        user.enabled = False
        await repos.users.update(user)
    assert await rejected(ostium, alice, "user_disabled") == "user 'alice' is disabled"
    assert last_event(ostium, "USERINFO_REQUEST_ERROR").user_id == user.id
    async with ostium.storage.transaction() as repos:
        gone = await repos.users.get_by_username(realm_id, "bob")
        assert gone is not None
        await repos.users.delete(realm_id, gone.id)
    description = await rejected(ostium, bob, "user_not_found")
    assert description == f"user '{gone.id}' does not exist (deleted)"


async def test_wrong_type_at_userinfo(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    response = await ostium.client.get(f"{OIDC}/userinfo", headers=bearer(tokens["id_token"]))
    assert response.status_code == 401
    assert response.json()["error_description"] == (
        "wrong token type: 'ID' is not accepted here (expected Bearer)"
    )
    assert last_event(ostium, "USERINFO_REQUEST_ERROR").error == "wrong_type"


async def test_a_missing_bearer_token_is_an_event_too(ostium: OstiumUnderTest) -> None:
    response = await ostium.client.get(f"{OIDC}/userinfo")
    assert response.status_code == 401
    assert last_event(ostium, "USERINFO_REQUEST_ERROR").error == "invalid_token"


async def test_introspection_by_an_unauthenticated_client_says_nothing_of_the_token(
    ostium: OstiumUnderTest,
) -> None:
    token = await access_token(ostium)
    ostium.clock.advance(301)
    response = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": token}, auth=("app", "wrong")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "expired" not in response.text
    assert last_event(ostium, "INTROSPECT_TOKEN_ERROR").error == "invalid_client"


async def test_an_active_token_has_no_error_description(ostium: OstiumUnderTest) -> None:
    token = await access_token(ostium)
    response = await ostium.client.post(
        f"{OIDC}/token/introspect", data={"token": token}, auth=("app", SECRET)
    )
    assert response.json()["active"] is True
    assert "error_description" not in response.json()


# --- the audience, for callers that require one -----------------------------------------------


async def test_check_token_with_a_required_audience(ostium: OstiumUnderTest) -> None:
    tokens = (await ostium.password_grant()).json()
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
        assert realm is not None
        context = OfflineRealm(realm, ISSUER, await repos.keys.list_all(realm.id), ostium.clock)
        with pytest.raises(TokenProblem) as refused:
            await check_token(
                context, repos, tokens["refresh_token"], types=frozenset({REFRESH}), audience="api"
            )
        assert refused.value.reason == "wrong_audience"
        assert refused.value.description == f"wrong audience: ['{ISSUER}'] does not include 'api'"
        checked = await check_token(
            context, repos, tokens["refresh_token"], types=frozenset({REFRESH}), audience=ISSUER
        )
    assert checked.user.username == "alice"


async def _realm_id(ostium: OstiumUnderTest) -> str:
    async with ostium.storage.transaction() as repos:
        realm = await repos.realms.get_by_name(REALM)
    assert realm is not None
    return realm.id
