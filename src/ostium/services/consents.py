"""Revoking a user's consent to a client (Keycloak's UserResource.revokeConsent).

Keycloak removes the consent, revokes the client's offline tokens for that user (its
client sessions in the user's offline sessions; an offline session left without clients
ends), and when there was a consent also logs the user out of the client's online client
sessions, so the next login asks again and no token issued under the old grant keeps
working (refresh and offline tokens need their client session).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ostium.domain import Client, Realm, User
from ostium.services.logout import EndedSession, end_sessions
from ostium.storage.interfaces import Repositories

__all__ = ["Revocation", "revoke_consent"]


@dataclass
class Revocation:
    consent: bool = False
    offline_tokens: bool = False
    ended: list[EndedSession] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.consent or self.offline_tokens


async def revoke_consent(
    repos: Repositories, realm: Realm, user: User, client: Client
) -> Revocation:
    result = Revocation(consent=await repos.consents.delete(user.id, client.id))
    for session in await repos.sessions.list_for_user(user.id):
        if session.realm_id != realm.id:
            continue
        client_sessions = await repos.sessions.list_client_sessions(session.id)
        if not any(cs.client_id == client.id for cs in client_sessions):
            continue
        if session.offline:
            result.offline_tokens = True
            if len(client_sessions) == 1:
                result.ended += await end_sessions(repos, realm, [session])
                continue
        elif not result.consent:
            continue
        await repos.sessions.delete_client_session(session.id, client.id)
    return result
