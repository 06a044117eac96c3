"""How an authorization response reaches the client (OAuth 2 Multiple Response Types,
OAuth 2 Form Post Response Mode)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from ostium.protocol.results import Cookie, Page, Redirect

__all__ = ["RESPONSE_MODES", "respond"]

RESPONSE_MODES = ("query", "fragment", "form_post")


def respond(
    redirect_uri: str,
    mode: str,
    params: dict[str, str],
    *,
    cookies: list[Cookie] | None = None,
) -> Redirect | Page:
    """Deliver `params` to an already validated `redirect_uri`."""
    items = [(k, v) for k, v in params.items() if v is not None]
    if mode == "form_post":
        return Page(
            "form_post.html",
            {"redirect_uri": redirect_uri, "params": items},
            cookies=list(cookies or []),
        )
    parts = urlsplit(redirect_uri)
    encoded = urlencode(items)
    if mode == "fragment":
        fragment = f"{parts.fragment}&{encoded}" if parts.fragment else encoded
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, fragment))
    else:
        query = f"{parts.query}&{encoded}" if parts.query else encoded
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return Redirect(url, cookies=list(cookies or []))
