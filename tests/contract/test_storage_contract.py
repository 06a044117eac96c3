"""What every storage backend must do, checked the same way on each."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, text

from ostium.domain import (
    AuthorizationCode,
    Client,
    ClientScope,
    ClientSession,
    Group,
    ProtocolMapper,
    Role,
    User,
    UserSession,
)
from ostium.domain.consent import UserConsent
from ostium.services.realm_setup import new_realm, write_bundle
from ostium.storage.interfaces import DuplicateError, UserFilter
from ostium.storage.sql import SqlStorage, open_storage
from ostium.storage.sql import tables as t
from ostium.storage.sql.migrate import HEAD, alembic_head
from ostium.storage.sql.repositories.users import user_search_query


def uid() -> str:
    return str(uuid.uuid4())


async def make_realm(storage: SqlStorage) -> str:
    bundle = new_realm(f"r-{uuid.uuid4().hex[:8]}", 1000)
    async with storage.transaction() as repos:
        await write_bundle(repos, bundle)
    return bundle.realm.id


async def test_realm_round_trip_keeps_every_setting(storage: SqlStorage) -> None:
    bundle = new_realm(f"r-{uuid.uuid4().hex[:8]}", 1000)
    bundle.realm.access_token_lifespan = 123
    bundle.realm.supported_locales = ["de", "fr"]
    bundle.realm.attributes = {"frontendUrl": "https://x"}
    async with storage.transaction() as repos:
        await write_bundle(repos, bundle)
    async with storage.transaction() as repos:
        loaded = await repos.realms.get_by_name(bundle.realm.name)
        assert loaded == bundle.realm
        assert await repos.realms.get(bundle.realm.id) == bundle.realm
        assert bundle.realm.name in [r.name for r in await repos.realms.list_all()]
        assert len(await repos.keys.list_all(bundle.realm.id)) == len(bundle.keys)
        assert await repos.realms.get_by_name("no-such-realm") is None


async def test_duplicates_raise_duplicate_error(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        realm = await repos.realms.get(realm_id)
        assert realm is not None
        with pytest.raises(DuplicateError):
            await repos.realms.add(new_realm(realm.name, 0).realm)
        client = Client(uid(), realm_id, "dup")
        await repos.clients.add(client)
        with pytest.raises(DuplicateError):
            await repos.clients.add(Client(uid(), realm_id, "dup"))
        await repos.users.add(User(uid(), realm_id, "Carol"))
        with pytest.raises(DuplicateError):
            await repos.users.add(User(uid(), realm_id, "carol"))
        await repos.roles.add(Role(uid(), realm_id, "r1"))
        with pytest.raises(DuplicateError):
            await repos.roles.add(Role(uid(), realm_id, "r1"))
        await repos.roles.add(Role(uid(), realm_id, "r1", client_id=client.id))  # other container
        with pytest.raises(DuplicateError):
            await repos.roles.add(Role(uid(), realm_id, "r1", client_id=client.id))
        # The transaction survives the violations: earlier writes commit.
    async with storage.transaction() as repos:
        assert await repos.clients.get_by_client_id(realm_id, "dup") is not None
        assert (await repos.users.get_by_username(realm_id, "CAROL")) is not None


async def test_a_failed_transaction_writes_nothing(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)

    async def write_then_fail() -> None:
        async with storage.transaction() as repos:
            await repos.users.add(User(uid(), realm_id, "ghost"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    async with storage.transaction() as repos:
        assert await repos.users.get_by_username(realm_id, "ghost") is None


async def test_a_transaction_that_has_written_keeps_its_connection(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)

    async def write_release_then_fail() -> None:
        async with storage.transaction() as repos:
            await repos.users.add(User(uid(), realm_id, "kept"))
            await repos.release_reads()  # has written: nothing is committed here
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await write_release_then_fail()
    async with storage.transaction() as repos:
        assert await repos.users.get_by_username(realm_id, "kept") is None


async def test_released_reads_free_the_connection_for_other_transactions(
    storage: SqlStorage,
) -> None:
    """A login reads the user, releases, then hashes: meanwhile another request must get
    a connection (SQLite's pool has one), and the first one reads and writes on after."""
    realm_id = await make_realm(storage)
    async with storage.transaction() as first:
        assert await first.realms.get(realm_id) is not None
        await first.release_reads()
        for _ in range(3):  # more transactions than SQLite's pool holds connections

            async def write_other() -> None:
                async with storage.transaction() as other:
                    await other.users.add(User(uid(), realm_id, f"u-{uid()[:8]}"))

            await asyncio.wait_for(write_other(), timeout=10)
        await first.users.add(User(uid(), realm_id, "after-release"))
    async with storage.transaction() as repos:
        assert await repos.users.get_by_username(realm_id, "after-release") is not None
        assert await repos.users.count(realm_id, UserFilter()) == 4


async def test_users_search_count_and_email(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        for name, email, first in (
            ("ann", "Ann@X.org", "Ann"),
            ("bob", "bob@x.org", "Robert"),
            ("anna_b", None, "Anna"),
        ):
            await repos.users.add(User(uid(), realm_id, name, email=email, first_name=first))
    async with storage.transaction() as repos:
        assert [
            u.username for u in await repos.users.search(realm_id, UserFilter(search="ann"))
        ] == [
            "ann",
            "anna_b",
        ]
        assert [
            u.username
            for u in await repos.users.search(realm_id, UserFilter(username="ann", exact=True))
        ] == ["ann"]
        assert [u.username for u in await repos.users.search(realm_id, UserFilter(search="_"))] == [
            "anna_b"
        ]
        assert [u.username for u in await repos.users.search(realm_id, first=1, max=1)] == [
            "anna_b"
        ]
        assert await repos.users.count(realm_id) == 3
        assert [u.username for u in await repos.users.get_by_email(realm_id, "ann@x.org")] == [
            "ann"
        ]


async def test_roles_groups_and_cascades(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    user = User(uid(), realm_id, "dave")
    parent, child = Role(uid(), realm_id, "parent", composite=True), Role(uid(), realm_id, "child")
    top = Group(uid(), realm_id, "top")
    sub = Group(uid(), realm_id, "sub", parent_id=top.id)
    async with storage.transaction() as repos:
        await repos.users.add(user)
        await repos.roles.add(parent)
        await repos.roles.add(child)
        await repos.roles.add_composites(parent.id, [child.id])
        await repos.roles.add_composites(parent.id, [child.id])  # idempotent
        await repos.roles.grant_to_user(user.id, [parent.id])
        await repos.roles.grant_to_user(user.id, [parent.id])
        await repos.groups.add(top)
        await repos.groups.add(sub)
        with pytest.raises(DuplicateError):
            await repos.groups.add(Group(uid(), realm_id, "sub", parent_id=top.id))
        await repos.roles.grant_to_group(top.id, [child.id])
        await repos.groups.add_member(sub.id, user.id)
    async with storage.transaction() as repos:
        assert [r.name for r in await repos.roles.user_roles(user.id)] == ["parent"]
        assert [r.name for r in (await repos.roles.composites_of([parent.id]))[parent.id]] == [
            "child"
        ]
        assert [g.name for g in await repos.groups.user_groups(user.id)] == ["sub"]
        assert [r.name for r in await repos.roles.group_roles([top.id])] == ["child"]
        assert [u.username for u in await repos.groups.members(sub.id)] == ["dave"]
        await repos.groups.delete(top.id)
    async with storage.transaction() as repos:
        assert await repos.groups.get(sub.id) is None  # subgroups go with their parent
        await repos.users.delete(realm_id, user.id)
        assert await repos.roles.user_roles(user.id) == []


async def test_deleting_a_realm_leaves_nothing_of_it(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        user = User(uid(), realm_id, "erin")
        await repos.users.add(user)
        session = UserSession(uid(), realm_id, user.id, "erin", 1, 1)
        await repos.sessions.add(session)
        client = (await repos.clients.list_all(realm_id))[0]
        await repos.sessions.add_client_session(ClientSession(session.id, client.id, 1))
        await repos.realms.delete(realm_id)
    async with storage.transaction() as repos:
        assert await repos.realms.get(realm_id) is None
        assert await repos.clients.list_all(realm_id) == []
        assert await repos.users.get(realm_id, user.id) is None
        assert await repos.sessions.get(session.id) is None
        assert await repos.keys.list_all(realm_id) == []
        assert await repos.roles.list_realm_roles(realm_id) == []


async def test_sessions(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        user = User(uid(), realm_id, "frank")
        await repos.users.add(user)
        client = (await repos.clients.list_all(realm_id))[0]
        s1 = UserSession(uid(), realm_id, user.id, "frank", 10, 10, notes={"auth_time": "10"})
        s2 = UserSession(uid(), realm_id, user.id, "frank", 20, 20)
        await repos.sessions.add(s1)
        await repos.sessions.add(s2)
        await repos.sessions.add_client_session(ClientSession(s1.id, client.id, 10, scope="openid"))
        await repos.sessions.add_client_session(
            ClientSession(s1.id, client.id, 11, scope="openid email")
        )
        await repos.sessions.touch(s1.id, 50)
    async with storage.transaction() as repos:
        loaded = await repos.sessions.get(s1.id)
        assert (
            loaded is not None and loaded.last_refresh == 50 and loaded.notes == {"auth_time": "10"}
        )
        cs = await repos.sessions.get_client_session(s1.id, client.id)
        assert cs is not None and cs.scope == "openid email"
        assert len(await repos.sessions.list_client_sessions(s1.id)) == 1
        assert sorted(await repos.sessions.delete_for_user(user.id)) == sorted([s1.id, s2.id])
        assert await repos.sessions.get_client_session(s1.id, client.id) is None


async def test_codes_are_consumed_once(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        client = (await repos.clients.list_all(realm_id))[0]
        for h in ("h1", "h2"):
            await repos.codes.add(
                AuthorizationCode(
                    f"{h}-{realm_id}", realm_id, client.id, "s", "https://cb", "openid", 100
                )
            )
    async with storage.transaction() as repos:
        first = await repos.codes.consume(f"h1-{realm_id}")
        assert first is not None and first[1] is True
    async with storage.transaction() as repos:
        again = await repos.codes.consume(f"h1-{realm_id}")
        assert again is not None and again[1] is False
        assert await repos.codes.consume("unknown") is None

    async def redeem() -> bool:
        async with storage.transaction() as repos:
            result = await repos.codes.consume(f"h2-{realm_id}")
            return bool(result and result[1])

    assert sorted(await asyncio.gather(redeem(), redeem(), redeem())) == [False, False, True]


async def test_revoked_tokens(storage: SqlStorage) -> None:
    jti = uid()
    async with storage.transaction() as repos:
        await repos.revoked_tokens.revoke(jti, 100)
        await repos.revoked_tokens.revoke(jti, 100)
        assert await repos.revoked_tokens.is_revoked(jti)
        await repos.revoked_tokens.purge_expired(101)
        assert not await repos.revoked_tokens.is_revoked(jti)


async def test_migrations(storage: SqlStorage) -> None:
    assert alembic_head() == HEAD
    await storage.ping()


async def test_client_scopes(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        builtin = {s.name for s in await repos.client_scopes.list_all(realm_id)}
        assert {"profile", "email", "roles"} <= builtin
        scope = ClientScope(
            uid(),
            realm_id,
            "custom",
            protocol_mappers=[
                ProtocolMapper(
                    uid(), "m", "oidc-hardcoded-claim-mapper", config={"claim.name": "x"}
                )
            ],
        )
        await repos.client_scopes.add(scope)
        with pytest.raises(DuplicateError):
            await repos.client_scopes.add(ClientScope(uid(), realm_id, "custom"))
    async with storage.transaction() as repos:
        assert await repos.client_scopes.get_by_name(realm_id, "custom") == scope
        await repos.client_scopes.delete(realm_id, scope.id)
        assert await repos.client_scopes.get(realm_id, scope.id) is None


async def test_an_older_schema_is_migrated_forward(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from ostium.storage.sql import open_storage

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await (await open_storage(url)).close()
    with sqlite3.connect(tmp_path / "old.db") as db:  # back to the first schema
        db.execute("drop table user_consents")
        db.execute("drop table client_scopes")
        db.execute("drop table user_attributes")
        db.execute("alter table realm_keys drop column name")
        db.execute("alter table realm_keys drop column disable_at")
        db.execute("update alembic_version set version_num = '0001'")
    upgraded = await open_storage(url)
    try:
        async with upgraded.transaction() as repos:
            assert await repos.client_scopes.list_all("none") == []
    finally:
        await upgraded.close()


async def test_keys_of_a_0002_database_become_named_key_providers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """0003: keys stored before key providers were components keep their kid and are
    named after their provider; none is retiring."""
    import sqlite3

    from ostium.storage.sql import open_storage

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    storage = await open_storage(url)
    bundle = new_realm("old", 1000)
    async with storage.transaction() as repos:
        await write_bundle(repos, bundle)
    await storage.close()
    with sqlite3.connect(tmp_path / "old.db") as db:  # back to the 0002 schema
        db.execute("alter table realm_keys drop column name")
        db.execute("alter table realm_keys drop column disable_at")
        db.execute("drop table user_attributes")
        db.execute("drop table user_consents")
        db.execute("update alembic_version set version_num = '0002'")
    upgraded = await open_storage(url)
    try:
        async with upgraded.transaction() as repos:
            keys = await repos.keys.list_all(bundle.realm.id)
    finally:
        await upgraded.close()
    assert sorted(k.kid for k in keys) == sorted(k.kid for k in bundle.keys)
    assert all(k.name == k.provider and k.disable_at is None for k in keys)


async def test_concurrent_refreshes_of_one_client_session_never_collide(
    storage: SqlStorage,
) -> None:
    """Refreshes sent at once with the same token each update the client session; a
    delete-then-insert here once failed on its primary key under PostgreSQL."""
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        user = User(uid(), realm_id, "gina")
        await repos.users.add(user)
        client = (await repos.clients.list_all(realm_id))[0]
        session = UserSession(uid(), realm_id, user.id, "gina", 10, 10)
        await repos.sessions.add(session)
        await repos.sessions.add_client_session(ClientSession(session.id, client.id, 10))

    async def refresh(at: int) -> None:
        async with storage.transaction() as repos:
            current = await repos.sessions.get_client_session(session.id, client.id)
            assert current is not None
            current.timestamp = at
            current.notes = {"refresh_token_id": f"jti-{at}"}
            await repos.sessions.update_client_session(current)

    await asyncio.gather(*(refresh(at) for at in range(20, 40)))
    async with storage.transaction() as repos:
        stored = await repos.sessions.get_client_session(session.id, client.id)
        assert stored is not None and 20 <= stored.timestamp < 40
        assert stored.notes == {"refresh_token_id": f"jti-{stored.timestamp}"}
        assert len(await repos.sessions.list_client_sessions(session.id)) == 1


async def _attribute_users(storage: SqlStorage) -> str:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        for name, attributes, enabled in (
            ("ann", {"dept": ["eng"], "site": ["Paris"]}, True),
            ("bob", {"dept": ["Eng", "ops"], "site": ["Lyon"]}, True),
            ("cid", {"dept": ["sales"], "site": ["Paris"]}, False),
            ("dan", {"Dept": ["eng"]}, True),
            ("eve", {}, True),
        ):
            await repos.users.add(
                User(uid(), realm_id, name, attributes=attributes, enabled=enabled)
            )
    return realm_id


async def test_users_search_by_attributes(storage: SqlStorage) -> None:
    """Keycloak's `q`: every pair must hold; names match as written, values whole and
    case-insensitively (any of a multi-valued attribute's values)."""
    realm_id = await _attribute_users(storage)

    async def names(**filters: object) -> list[str]:
        async with storage.transaction() as repos:
            wanted = UserFilter(**filters)  # type: ignore[arg-type]
            found = [u.username for u in await repos.users.search(realm_id, wanted)]
            assert await repos.users.count(realm_id, wanted) == len(found)
            return found

    assert await names(attributes={"dept": "nope"}) == []
    assert await names(attributes={"dept": "en"}) == []  # whole values only
    assert await names(attributes={"dept": "eng", "site": "Nice"}) == []
    assert await names(attributes={"nosuch": "eng"}) == []
    assert await names(attributes={"dept": "eng"}) == ["ann", "bob"]  # not dan's "Dept"
    assert await names(attributes={"dept": "ENG"}) == ["ann", "bob"]
    assert await names(attributes={"dept": "ops"}) == ["bob"]
    assert await names(attributes={"dept": "eng", "site": "paris"}) == ["ann"]
    assert await names(attributes={"site": "paris"}, enabled=False) == ["cid"]
    assert await names(attributes={"dept": "en"}, exact=False) == ["ann", "bob"]
    assert await names(attributes={"dept": "100%"}, exact=False) == []


async def test_user_attribute_rows_follow_the_user(storage: SqlStorage) -> None:
    realm_id = await _attribute_users(storage)
    long_value = "x" * 300 + "Y"
    async with storage.transaction() as repos:
        ann = await repos.users.get_by_username(realm_id, "ann")
        assert ann is not None
        ann.attributes = {"dept": ["ops"], "cert": [long_value]}
        await repos.users.update(ann)
        bob = await repos.users.get_by_username(realm_id, "bob")
        assert bob is not None
        await repos.users.delete(realm_id, bob.id)
    async with storage.transaction() as repos:
        assert await repos.users.search(realm_id, UserFilter(attributes={"dept": "eng"})) == []
        assert [
            u.username
            for u in await repos.users.search(realm_id, UserFilter(attributes={"dept": "ops"}))
        ] == ["ann"]
        by_long = UserFilter(attributes={"cert": long_value.lower()})
        assert [u.username for u in await repos.users.search(realm_id, by_long)] == ["ann"]
        assert (await repos.users.get(realm_id, ann.id)).attributes["cert"] == [long_value]  # type: ignore[union-attr]
        rows = await repos.users.conn.execute(  # type: ignore[attr-defined]
            select(func.count())
            .select_from(t.user_attributes)
            .where(t.user_attributes.c.realm_id == realm_id)
        )
        assert rows.scalar_one() == 2 + 2 + 1  # ann's two, cid's two, dan's one


async def test_users_search_leaves_service_accounts_out_unless_asked(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        client = (await repos.clients.list_all(realm_id))[0]
        await repos.users.add(
            User(
                uid(),
                realm_id,
                "service-account-x",
                service_account_client_id=client.id,
                attributes={"kind": ["robot"]},
            )
        )
        await repos.users.add(User(uid(), realm_id, "human", attributes={"kind": ["robot"]}))
    async with storage.transaction() as repos:
        robots = UserFilter(attributes={"kind": "robot"})
        assert [u.username for u in await repos.users.search(realm_id, robots)] == ["human"]
        everyone = UserFilter(attributes={"kind": "robot"}, include_service_accounts=True)
        assert await repos.users.count(realm_id, everyone) == 2
        assert await repos.users.count(realm_id) == 1


async def test_0004_backfills_user_attributes_from_the_json_column(storage: SqlStorage) -> None:
    realm_id = await _attribute_users(storage)
    async with storage.engine.begin() as conn:  # back to the 0003 schema
        await conn.execute(text("DROP TABLE user_consents"))  # 0005 comes back too
        await conn.execute(text("DROP TABLE user_attributes"))
        await conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    url = storage.engine.url.render_as_string(hide_password=False)
    upgraded = await open_storage(url)
    try:
        async with upgraded.transaction() as repos:
            found = await repos.users.search(
                realm_id, UserFilter(attributes={"dept": "eng", "site": "paris"})
            )
    finally:
        await upgraded.close()
    assert [u.username for u in found] == ["ann"]


@pytest.mark.parametrize("pairs", [{"dept": "eng"}, {"dept": "eng", "site": "paris"}])
async def test_attribute_search_uses_the_index(storage: SqlStorage, pairs: dict[str, str]) -> None:
    """The plan, not a timing: every `q` pair is answered from
    ix_user_attributes_realm_name_value. (bench/user_search.py times it on 100,000 users.)"""
    realm_id = await _attribute_users(storage)
    query = user_search_query(select(t.users), realm_id, UserFilter(attributes=pairs)).order_by(
        t.users.c.username
    )
    async with storage.engine.connect() as conn:
        literal = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            plan = (await conn.execute(text(f"EXPLAIN QUERY PLAN {literal}"))).all()
        else:
            # A handful of rows makes a sequential scan cheapest; forbid it to see
            # whether the index can answer at all.
            await conn.execute(text("SET enable_seqscan = off"))
            plan = (await conn.execute(text(f"EXPLAIN {literal}"))).all()
    uses = " ".join(str(r) for r in plan).count("ix_user_attributes_realm_name_value")
    assert uses == len(pairs), plan


async def test_consents(storage: SqlStorage) -> None:
    realm_id = await make_realm(storage)
    async with storage.transaction() as repos:
        client = Client(uid(), realm_id, "consenting")
        await repos.clients.add(client)
        user = User(uid(), realm_id, "cora")
        await repos.users.add(user)
        await repos.consents.put(UserConsent(user.id, client.id, ["profile"], 1000, 1000))
    async with storage.transaction() as repos:
        stored = await repos.consents.get(user.id, client.id)
        assert stored == UserConsent(user.id, client.id, ["profile"], 1000, 1000)
        await repos.consents.put(UserConsent(user.id, client.id, ["profile", "email"], 1000, 2000))
    async with storage.transaction() as repos:
        assert [c.granted_scopes for c in await repos.consents.list_for_user(user.id)] == [
            ["profile", "email"]
        ]
        assert await repos.consents.delete(user.id, client.id) is True
        assert await repos.consents.delete(user.id, client.id) is False
        await repos.consents.put(UserConsent(user.id, client.id, ["email"], 3000, 3000))
    async with storage.transaction() as repos:  # a deleted client takes its consents along
        await repos.clients.delete(realm_id, client.id)
    async with storage.transaction() as repos:
        assert await repos.consents.list_for_user(user.id) == []


async def test_0005_adds_the_consents_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await (await open_storage(url)).close()
    with sqlite3.connect(tmp_path / "old.db") as db:  # back to 0004
        db.execute("drop table user_consents")
        db.execute("update alembic_version set version_num = '0004'")
    upgraded = await open_storage(url)
    try:
        async with upgraded.transaction() as repos:
            assert await repos.consents.list_for_user("none") == []
    finally:
        await upgraded.close()
