"""Brute-force detection: Keycloak's rules for temporary and permanent lockouts, pure.

The counters live in the `loginFailures` cache, shared by every node, so failures that
hit different nodes add up. A locked-out user is told nothing more than "Invalid username
or password.": the lockout must not confirm that the account exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ostium.domain.realm import Realm

__all__ = ["LoginFailure", "Verdict", "is_locked", "record_failure"]


@dataclass(frozen=True)
class LoginFailure:
    """Keycloak's `UserLoginFailureModel`, times as Keycloak's admin API returns them."""

    num_failures: int = 0
    last_failure_ms: int = 0
    last_ip_failure: str | None = None
    failed_login_not_before: int = 0  # seconds: locked until then
    num_temporary_lockouts: int = 0


@dataclass(frozen=True)
class Verdict:
    failure: LoginFailure
    disable_user: bool = False  # permanent lockout reached


def record_failure(realm: Realm, failure: LoginFailure, now_ms: int, ip: str | None) -> Verdict:
    """The state after one more failed login (Keycloak: DefaultBruteForceProtector)."""
    delta_ms = now_ms - failure.last_failure_ms if failure.last_failure_ms else 0
    count = failure.num_failures
    lockouts = failure.num_temporary_lockouts
    if failure.last_failure_ms and delta_ms > realm.max_delta_time_seconds * 1000:
        count, lockouts = 0, 0  # the failures are old: start counting again
    count += 1
    wait = 0
    if 0 < delta_ms < realm.quick_login_check_milli_seconds:
        wait = realm.minimum_quick_login_wait_seconds
    disable = False
    if count >= realm.failure_factor:
        if realm.permanent_lockout and lockouts >= realm.max_temporary_lockouts:
            disable = True
        else:
            wait = max(wait, realm.wait_increment_seconds * (count // realm.failure_factor))
            lockouts += 1
    wait = min(wait, realm.max_failure_wait_seconds)
    not_before = now_ms // 1000 + wait if wait > 0 else failure.failed_login_not_before
    updated = replace(
        failure,
        num_failures=count,
        last_failure_ms=now_ms,
        last_ip_failure=ip,
        failed_login_not_before=not_before,
        num_temporary_lockouts=lockouts,
    )
    return Verdict(updated, disable)


def is_locked(failure: LoginFailure | None, now: int) -> bool:
    """Temporarily locked: no password is even checked until the wait is over."""
    return failure is not None and failure.failed_login_not_before > now
