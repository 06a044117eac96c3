"""HTML pages: Jinja2 templates with Keycloak's message keys in several languages."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ostium.locales import DEFAULT_LOCALE, available_locales, translate

__all__ = ["Pages", "negotiate_locale"]


def negotiate_locale(
    ui_locales: str | None, accept_language: str | None, supported: Sequence[str]
) -> str:
    """`ui_locales` (OIDC Core §3.1.2.1) first, then Accept-Language, then English."""
    for tag in (ui_locales or "").split():
        for candidate in (tag, tag.split("-")[0]):
            if candidate in supported:
                return candidate
    weighted: list[tuple[float, str]] = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((quality, tag.strip()))
    for _, tag in sorted(weighted, key=lambda item: -item[0]):
        for candidate in (tag, tag.split("-")[0]):
            if candidate in supported:
                return candidate
    return DEFAULT_LOCALE


class Pages:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("ostium", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            auto_reload=False,
        )
        self.supported_locales = list(available_locales())

    def translator(self, locale: str) -> Callable[..., str]:
        """The templates' `msg(key, *args)`: the key's text in `locale` (`ostium.locales`)."""

        def msg(key: str, *args: object) -> str:
            return translate(locale, key, *args)

        return msg

    def render(self, template: str, *, locale: str | None, **context: object) -> str:
        chosen = locale if locale in self.supported_locales else DEFAULT_LOCALE
        return self.env.get_template(template).render(
            msg=self.translator(chosen), locale=chosen, **context
        )
