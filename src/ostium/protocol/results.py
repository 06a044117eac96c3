"""What protocol endpoints return; `web/` turns each into an HTTP response."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Cookie", "JsonResult", "Page", "Redirect", "Result", "error_page"]


@dataclass
class Cookie:
    name: str
    value: str
    path: str
    max_age: int | None = None  # None: a browser-session cookie; 0: delete
    http_only: bool = True


@dataclass
class Redirect:
    location: str
    cookies: list[Cookie] = field(default_factory=list)


@dataclass
class Page:
    """An HTML page: a template name and its context."""

    template: str
    context: dict[str, object] = field(default_factory=dict)
    status_code: int = 200
    cookies: list[Cookie] = field(default_factory=list)
    # What the page knows of its language (web/page_locale.py decides): the authorization
    # request's `ui_locales`, the language picked earlier in this login (`kc_locale`, kept in
    # the authentication session), the signed-in user's `locale` attribute, and the URL the
    # language picker's links go to (with `kc_locale` added; None: this page's own URL).
    locale: str | None = None
    selected_locale: str | None = None
    user_locale: str | None = None
    locale_url: str | None = None
    # Content-Security-Policy sources beyond 'self': whom the page may frame (front-channel
    # logout iframes) and who may frame it (the session status iframe: "*").
    frame_src: list[str] = field(default_factory=list)
    frame_ancestors: list[str] = field(default_factory=list)


@dataclass
class JsonResult:
    body: dict[str, object]
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[Cookie] = field(default_factory=list)


Result = Redirect | Page | JsonResult


def error_page(message_key: str, status_code: int = 400, *, args: list[str] | None = None) -> Page:
    """The themed error page with one message of the locale files."""
    return Page(
        "error.html",
        {
            "message_key": message_key,
            "message_args": args or [],
            "back_url": None,
        },
        status_code=status_code,
    )
