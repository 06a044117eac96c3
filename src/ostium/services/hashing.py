"""Password hashing off the event loop, in a bounded pool of worker threads.

argon2id (and pbkdf2) cost tens of milliseconds of CPU each. Run on the event loop, a
burst of logins stalls everything else the process serves, health checks included, so
a load balancer marks a healthy node dead. argon2-cffi and hashlib release the GIL
while they hash, so worker threads hash in parallel on the other cores and the event
loop stays free.

The pool is bounded: beyond `limit` hashes waiting or running, a login is refused at
once with 503 `temporarily_unavailable` and `Retry-After` (RFC 6749 §4.1.2.1, RFC 9110
§10.2.3) instead of queueing without end. Unknown users hash too (services/users.py),
through the same pool, so a flood of logins for made-up names is refused the same way
and "no such user" still takes as long as "wrong password".

A login reads what it needs, gives its database connection back
(`Repositories.release_reads`) and only then waits for the pool, so on SQLite, whose pool
holds one connection, logins still hash in parallel.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from ostium.errors import TemporarilyUnavailable
from ostium.services.passwords import hash_password, verify_password

__all__ = ["QUEUE_PER_WORKER", "RETRY_AFTER_SECONDS", "PasswordHashing", "default_workers"]

T = TypeVar("T")

# Hashes that may wait per worker. At Keycloak's argon2id cost (20-30 ms a hash) a full
# queue drains in about a second, which bounds the latency a login can add, while a burst
# of 50 logins on two cores is still answered rather than refused.
QUEUE_PER_WORKER = 32
# argon2 takes 7 MiB a hash: beyond a few threads memory grows and nothing is gained.
MAX_WORKERS = 8
# A full queue drains within about this long (see QUEUE_PER_WORKER).
RETRY_AFTER_SECONDS = 1


def default_workers() -> int:
    """One worker per core this process may run on (its CPU affinity, as a container or
    `taskset` sets it), at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


class PasswordHashing:
    """The process's hashing pool. `limit` (hashes running or waiting) follows from the
    worker count, so a test that knows the pool size knows where refusals begin."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self.limit = self.workers * (1 + QUEUE_PER_WORKER)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="ostium-hashing")
        self._lock = threading.Lock()
        self._in_flight = 0
        self._dummy: tuple[str, str] | None = None

    @property
    def in_flight(self) -> int:
        """Hashes running or waiting now."""
        with self._lock:
            return self._in_flight

    async def verify(self, password: str, secret_data: str, credential_data: str) -> bool:
        """`verify_password` in the pool; TemporarilyUnavailable when the pool is full."""
        return await self._submit(verify_password, password, secret_data, credential_data)

    async def verify_dummy(self, password: str) -> None:
        """The same work as a real check, for a login that names nobody: a user who does
        not exist must cost (and take) what a wrong password does."""
        if self._dummy is None:
            self._dummy = await self._submit(hash_password, "ostium-timing-equaliser")
        await self.verify(password, *self._dummy)

    async def hash(
        self, password: str, algorithm: str = "argon2", iterations: int = -1
    ) -> tuple[str, str]:
        """`hash_password` in the pool, bounded as a verification is (a login's rehash)."""
        return await self._submit(hash_password, password, algorithm, iterations)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Any hashing work in the pool, without the bound: for callers already
        authorised (an administrator setting a password, a realm import with plain
        passwords), who should wait their turn rather than be refused."""
        return await self._submit(fn, *args, bounded=False)

    async def _submit(self, fn: Callable[..., T], *args: object, bounded: bool = True) -> T:
        with self._lock:
            if bounded and self._in_flight >= self.limit:
                raise TemporarilyUnavailable(
                    "The server is busy, try again later",
                    detail=f"password hashing queue full ({self._in_flight} of {self.limit})",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            self._in_flight += 1
        try:
            future: Future[T] = self._executor.submit(fn, *args)
        except BaseException:
            self._release()
            raise
        # Counted down when the work really ends, not when a cancelled request stops
        # waiting for it: work already running still occupies its worker.
        future.add_done_callback(lambda _: self._release())
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
