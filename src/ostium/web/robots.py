"""``/robots.txt``: asks every crawler to stay out, as Keycloak's does.

Login pages, consoles and tokens endpoints have nothing worth indexing, and a search engine
listing a realm's login page helps only phishers. Pages also carry ``X-Robots-Tag`` (see
`ostium.domain.browser_security_headers`); this file keeps well-behaved crawlers from
fetching them at all. It is one of the public paths a reverse proxy passes on.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse

__all__ = ["ROBOTS_TXT", "robots"]

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


async def robots(request: Request) -> PlainTextResponse:
    """Keycloak: ``RobotsResource`` answers every crawler ``Disallow: /``."""
    return PlainTextResponse(ROBOTS_TXT)
