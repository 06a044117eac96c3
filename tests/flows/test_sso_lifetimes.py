"""SSO session idle and max lifetimes (Keycloak: 1800 s idle, 36000 s max)."""

from __future__ import annotations

from tests.support import OstiumUnderTest, query_of


async def test_idle_timeout_ends_sso(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    await browser.login()
    ostium.clock.advance(1799)
    alive = await browser.authorize(prompt="none")
    assert "code" in query_of(alive.headers["location"])
    ostium.clock.advance(1801)
    idle = await browser.authorize(prompt="none")
    assert query_of(idle.headers["location"])["error"] == "login_required"


async def test_max_lifespan_ends_sso_even_when_active(ostium: OstiumUnderTest) -> None:
    browser = ostium.browser()
    await browser.login()
    for _ in range(21):  # active every 1700 s: never idle, 35700 s in all
        ostium.clock.advance(1700)
        alive = await browser.authorize(prompt="none")
        assert "code" in query_of(alive.headers["location"])
    ostium.clock.advance(1700)
    expired = await browser.authorize(prompt="none")
    assert query_of(expired.headers["location"])["error"] == "login_required"
