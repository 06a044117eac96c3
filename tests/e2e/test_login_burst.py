"""A burst of password logins against a real `ostium` process: health checks on the
management port keep answering promptly, and beyond the hashing queue's bound logins are
refused at once with 503 `temporarily_unavailable` and `Retry-After`.

Hashing runs in a pool of one worker per core (services/hashing.py); the queue's bound
follows from it, so a server started on one core has a bound this test can reach.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2.low_level import Type, hash_secret_raw

from ostium.services.hashing import QUEUE_PER_WORKER
from ostium.services.passwords import ARGON2_MEMORY_KIB
from tests.e2e.conftest import ADMIN_ENV, RunningServer, start_server
from tests.postgres import fresh_database
from tests.support import SECRET, realm_export

BURST = 50
# Health probes that must get answers while the burst runs. With hashing on the event loop
# each probe waited behind the hashes queued before it and three got through; off the loop
# a probe takes milliseconds and a burst of 50 logins leaves room for well over a hundred.
# A count, not a time bound: the figures themselves are bench/login_burst.py's.
HEALTH_ANSWERS_DURING_BURST = 15


def token_url(server: RunningServer) -> str:
    return f"{server.base_url}/realms/test/protocol/openid-connect/token"


def grant(username: str, password: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": password}


async def burst_while_polling_health(
    server: RunningServer, logins: list[tuple[str, str]]
) -> tuple[list[httpx.Response], list[float]]:
    """Every login at once; meanwhile /health/ready is asked again and again, each time
    the previous answer is in, until the last login has its answer."""
    limits = httpx.Limits(max_connections=len(logins) + 1)
    async with (
        httpx.AsyncClient(limits=limits, timeout=60) as http,
        httpx.AsyncClient(timeout=60) as probe,
    ):
        burst = asyncio.gather(
            *(
                http.post(token_url(server), data=grant(u, p), auth=("app", SECRET))
                for u, p in logins
            )
        )
        latencies: list[float] = []
        while not burst.done() or not latencies:
            started = time.perf_counter()
            ready = await probe.get(f"{server.management_url}/health/ready")
            latencies.append(time.perf_counter() - started)
            assert ready.status_code == 200, ready.text
        return await burst, latencies


def test_health_answers_promptly_during_a_login_burst(server: RunningServer) -> None:
    # Right passwords, wrong ones and unknown users: all of them hash.
    logins = [
        [("alice", "wonderland"), ("alice", "wrong"), ("nobody", "guess")][i % 3]
        for i in range(BURST)
    ]
    responses, latencies = asyncio.run(burst_while_polling_health(server, logins))

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 401, 503}, statuses
    assert 200 in statuses and 401 in statuses
    for response in responses:
        if response.status_code == 503:
            assert response.json()["error"] == "temporarily_unavailable"
    assert len(latencies) >= HEALTH_ANSWERS_DURING_BURST, sorted(latencies)


@contextmanager
def one_core() -> Iterator[None]:
    """Processes started inside run on one core (they inherit this process's affinity),
    so the server's hashing pool has one worker and its bound is 1 + QUEUE_PER_WORKER."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# Each wrong password costs about a fifth of a second of hashing (argon2id at 10 times
# Keycloak's iterations), so the one worker is still busy with the first logins when the
# last ones arrive: the queue fills however slow the machine is.
SLOW_ITERATIONS = 50


def slow_hash_realm() -> dict[str, Any]:
    """The test realm plus `slow`, whose argon2id hash was imported at a high cost (a
    Keycloak export keeps each user's hash parameters, and logins verify at that cost)."""
    salt = b"0123456789abcdef"
    digest = hash_secret_raw(
        b"slow-password",
        salt,
        time_cost=SLOW_ITERATIONS,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    secret = {"value": base64.b64encode(digest).decode(), "salt": base64.b64encode(salt).decode()}
    credential = {
        "hashIterations": SLOW_ITERATIONS,
        "algorithm": "argon2",
        "additionalParameters": {
            "hashLength": ["32"],
            "memory": [str(ARGON2_MEMORY_KIB)],
            "type": ["id"],
            "version": ["1.3"],
            "parallelism": ["1"],
        },
    }
    realm = realm_export()
    realm["users"].append(
        {
            "username": "slow",
            "enabled": True,
            "credentials": [
                {
                    "type": "password",
                    "secretData": json.dumps(secret),
                    "credentialData": json.dumps(credential),
                }
            ],
        }
    )
    return realm


@pytest.fixture(scope="module", params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def one_core_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """On PostgreSQL only (SQLite fills the queue alike, since a login gives its one
    connection back before hashing, but one database keeps this slow test short)."""
    data_dir: Path = tmp_path_factory.mktemp("data")
    (data_dir / "import").mkdir()
    (data_dir / "import" / "test-realm.json").write_text(json.dumps(slow_hash_realm()))
    with ExitStack() as stack:
        database: list[str] = []
        if request.param == "postgres":
            database = ["--db=postgres", f"--db-url={stack.enter_context(fresh_database())}"]
        with one_core():
            running = start_server(
                data_dir, "--import-realm", "--health-enabled=true", *database, env=ADMIN_ENV
            )
        yield running
        running.stop()


def test_a_burst_beyond_the_queue_bound_is_refused_with_503(
    one_core_server: RunningServer,
) -> None:
    bound = 1 + QUEUE_PER_WORKER
    logins = [("slow", "wrong")] * (3 * bound)
    responses, _ = asyncio.run(burst_while_polling_health(one_core_server, logins))

    refused = [r for r in responses if r.status_code == 503]
    assert refused, [r.status_code for r in responses]
    for response in refused:
        assert response.json() == {
            "error": "temporarily_unavailable",
            "error_description": "The server is busy, try again later",
        }
        assert int(response.headers["Retry-After"]) >= 1
    # Those within the bound were answered as usual.
    answered = [r for r in responses if r.status_code != 503]
    assert answered and all(r.status_code == 401 for r in answered)
    assert all(r.json()["error"] == "invalid_grant" for r in answered)
