"""Keycloak's `GET users?q=key:value` on a realm of 100,000 users, on SQLite and PostgreSQL.

Fills a fresh database (one realm; every user has `dept` (one of 20), `site` (one of 50)
and a unique `employee` attribute), then times the repository's search and count the
admin API runs for `q` (median and p95 of --rounds runs, first page of 100) and prints the
query plan (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN ANALYZE after VACUUM ANALYZE) that
shows ix_user_attributes_realm_name_value answering the attribute pairs.

Users are inserted in bulk (Core executemany, the same `attribute_rows` the repository
writes) since filling is not what is measured.

    PYTHONPATH=src python3 bench/user_search.py [--users 100000] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from common import admin_execute, database_url
from sqlalchemy import insert, select, text

from ostium.services.realm_setup import new_realm, write_bundle
from ostium.storage.interfaces import UserFilter
from ostium.storage.sql import SqlStorage, open_storage
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.users import attribute_rows, user_search_query

BATCH = 5000
PAGE = 100
QUERIES: dict[str, UserFilter] = {
    "q=dept:dept-7 (1 in 20)": UserFilter(attributes={"dept": "dept-7"}),
    "q=dept:dept-7 site:site-17 (1 in 100)": UserFilter(
        attributes={"dept": "dept-7", "site": "site-17"}
    ),
    "q=employee:e-54321 (one user)": UserFilter(attributes={"employee": "e-54321"}),
    "q=dept:nope (nobody)": UserFilter(attributes={"dept": "nope"}),
}


async def fill(storage: SqlStorage, users: int) -> str:
    bundle = new_realm(f"bench-{uuid.uuid4().hex[:8]}", 0)
    async with storage.transaction() as repos:
        await write_bundle(repos, bundle)
    realm_id = bundle.realm.id
    for start in range(0, users, BATCH):
        user_rows: list[dict[str, Any]] = []
        attr_rows: list[dict[str, Any]] = []
        for n in range(start, min(start + BATCH, users)):
            user_id = str(uuid.uuid4())
            attributes = {
                "dept": [f"dept-{n % 20}"],
                "site": [f"site-{n % 50}"],
                "employee": [f"e-{n}"],
            }
            user_rows.append(
                {
                    "id": user_id,
                    "realm_id": realm_id,
                    "username": f"user-{n:06d}",
                    "email": f"user-{n}@example.org",
                    "email_verified": False,
                    "first_name": "First",
                    "last_name": f"Last{n}",
                    "enabled": True,
                    "created_timestamp": 0,
                    "attributes": json.dumps(attributes),
                    "required_actions": "[]",
                    "service_account_client_id": None,
                    "not_before": 0,
                }
            )
            attr_rows.extend(attribute_rows(user_id, realm_id, attributes))
        async with storage.engine.begin() as conn:
            await conn.execute(insert(t.users), user_rows)
            await conn.execute(insert(t.user_attributes), attr_rows)
    # Fresh statistics, and on PostgreSQL the visibility map that index-only scans need
    # (autovacuum keeps it on a live server; a bulk fill is ahead of it).
    async with storage.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        vacuum = "VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"
        await auto.execute(text(vacuum))
    return realm_id


async def timed(rounds: int, call: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    await call()  # warm the page cache and the statement cache
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


async def plan(storage: SqlStorage, realm_id: str, filters: UserFilter) -> str:
    query = (
        user_search_query(select(t.users), realm_id, filters)
        .order_by(t.users.c.username)
        .limit(PAGE)
    )
    async with storage.engine.connect() as conn:
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            rows = (await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))).all()
            return "\n".join(f"{r[0]:>3} {r[1]:>3} {r[3]}" for r in rows)
        rows = (await conn.execute(text(f"EXPLAIN ANALYZE {sql}"))).all()
        return "\n".join(str(r[0]) for r in rows)


async def run(backend: str, url: str, users: int, rounds: int) -> None:
    storage = await open_storage(url)
    try:
        began = time.perf_counter()
        realm_id = await fill(storage, users)
        print(f"\n## {backend}: {users} users filled in {time.perf_counter() - began:.0f} s\n")
        print("| query | found (count) | search p50 ms | p95 ms | count p50 ms |")
        print("|---|---|---|---|---|")
        for label, filters in QUERIES.items():

            async def search(f: UserFilter = filters) -> object:
                async with storage.transaction() as repos:
                    return await repos.users.search(realm_id, f, first=0, max=PAGE)

            async def count(f: UserFilter = filters) -> int:
                async with storage.transaction() as repos:
                    return await repos.users.count(realm_id, f)

            p50, p95 = await timed(rounds, search)
            c50, _ = await timed(rounds, count)
            print(f"| {label} | {await count()} | {p50:.2f} | {p95:.2f} | {c50:.2f} |")
        for label, filters in list(QUERIES.items())[:2]:
            print(
                f"\nplan of {label}, first page:\n```\n{await plan(storage, realm_id, filters)}\n```"
            )
    finally:
        await storage.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            await run("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.users, args.rounds)
    if args.backend in ("postgres", "both"):
        name = f"ostium_bench_users_{uuid.uuid4().hex[:8]}"
        await admin_execute(args.pg_admin_url, f'CREATE DATABASE "{name}"')
        try:
            url = database_url(args.pg_admin_url, name).replace(
                "postgresql://", "postgresql+asyncpg://", 1
            )
            await run("PostgreSQL", url, args.users, args.rounds)
        finally:
            await admin_execute(args.pg_admin_url, f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
