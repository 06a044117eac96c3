"""Logins hash in the server's bounded pool (services/hashing.py): a wrong password and
an unknown user alike, so both are refused alike when the pool is full (503
`temporarily_unavailable` with Retry-After on the token endpoint, the themed error page
on the login form), and both are answered as usual once it has room again.

The pool is filled with real work that waits on an event the test sets: no mock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.support import OstiumUnderTest


@asynccontextmanager
async def full_pool(ostium: OstiumUnderTest) -> AsyncIterator[None]:
    """As many jobs as the pool admits, each holding its place until the block ends."""
    hashing = ostium.runtime.hashing
    release = threading.Event()
    jobs = [asyncio.ensure_future(hashing.run(release.wait)) for _ in range(hashing.limit)]
    await asyncio.sleep(0)  # one turn of the loop: every job submits itself
    assert hashing.in_flight == hashing.limit
    try:
        yield
    finally:
        release.set()
        await asyncio.gather(*jobs)


async def test_unknown_user_is_refused_when_the_pool_is_full(ostium: OstiumUnderTest) -> None:
    async with full_pool(ostium):
        response = await ostium.password_grant("nobody", "guess")
    assert response.status_code == 503
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": "The server is busy, try again later",
    }
    assert response.headers["Retry-After"] == "1"


async def test_wrong_password_is_refused_when_the_pool_is_full(ostium: OstiumUnderTest) -> None:
    async with full_pool(ostium):
        response = await ostium.password_grant("alice", "wrong")
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["Retry-After"] == "1"


async def test_login_form_shows_the_error_page_when_the_pool_is_full(
    ostium: OstiumUnderTest,
) -> None:
    browser = ostium.browser()
    page = await browser.authorize()
    async with full_pool(ostium):
        refused = await browser.submit_login(page, "alice", "wonderland")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert "text/html" in refused.headers["content-type"]
    assert "The server is busy. Please try again in a moment." in refused.text
    # The tab was not spent: the same form signs in once the pool has room.
    done = await browser.submit_login(page, "alice", "wonderland")
    assert done.status_code == 302
    await browser.aclose()


async def test_logins_are_answered_as_usual_when_the_pool_has_room(
    ostium: OstiumUnderTest,
) -> None:
    assert (await ostium.password_grant("nobody", "guess")).status_code == 401
    assert (await ostium.password_grant("alice", "wrong")).status_code == 401
    assert (await ostium.password_grant()).status_code == 200
    assert ostium.runtime.hashing.in_flight == 0
