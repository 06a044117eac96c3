"""Brute-force bookkeeping shared by every step that checks a secret (the password form,
the password grant, the one-time code): Keycloak's BruteForceProtector, over the
`loginFailures` cache (domain/brute_force.py decides)."""

from __future__ import annotations

from ostium.domain import User
from ostium.domain.brute_force import LoginFailure, record_failure
from ostium.protocol.context import RealmContext, RequestInfo

__all__ = ["clear_failures", "count_failure", "login_failure"]


async def login_failure(ctx: RealmContext, user: User) -> LoginFailure | None:
    """The user's brute-force record, in a realm that keeps them."""
    if not ctx.realm.brute_force_protected or ctx.login_failures is None:
        return None
    return await ctx.login_failures.get(ctx.realm.id, user.id)


async def count_failure(
    ctx: RealmContext,
    user: User,
    failure: LoginFailure | None,
    info: RequestInfo,
) -> None:
    assert ctx.login_failures is not None
    realm = ctx.realm
    verdict = record_failure(realm, failure or LoginFailure(), ctx.clock.now_ms(), info.ip_address)
    keep = realm.max_delta_time_seconds + realm.max_failure_wait_seconds
    await ctx.login_failures.put(realm.id, user.id, verdict.failure, keep_seconds=keep)
    if verdict.disable_user and user.enabled:
        # Keycloak's permanent lockout: the account is disabled until an admin enables it.
        # In a transaction of its own, after the request's: that one may roll back.
        async def disable() -> None:
            async with ctx.storage.transaction() as own:
                locked = await own.users.get(realm.id, user.id)
                if locked is not None:
                    locked.enabled = False
                    await own.users.update(locked)

        ctx.deferred.append(disable)
        ctx.record(
            "USER_DISABLED_BY_PERMANENT_LOCKOUT", user_id=user.id, ip_address=info.ip_address
        )


async def clear_failures(ctx: RealmContext, user: User) -> None:
    """The login succeeded as a whole: the user's count starts again."""
    if ctx.login_failures is not None:
        await ctx.login_failures.clear(ctx.realm.id, user.id)
