"""HTML pages: Jinja2 templates with Keycloak's message keys in several languages."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ostium.locales import resolve_text, translate

__all__ = ["Pages"]


class Pages:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("ostium", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            auto_reload=False,
        )

    def translator(
        self, locale: str, realm_texts: Mapping[str, Mapping[str, str]] | None = None
    ) -> Callable[..., str]:
        """The templates' `msg(key, *args)`: the key's text in `locale`, the realm's own
        localization texts first (`ostium.locales.translate`)."""

        def msg(key: str, *args: object) -> str:
            return translate(locale, key, *args, realm_texts=realm_texts)

        return msg

    def render(
        self,
        template: str,
        *,
        locale: str,
        realm_texts: Mapping[str, Mapping[str, str]] | None = None,
        **context: object,
    ) -> str:
        """`locale` is the page's language, already chosen (web/page_locale.py); templates
        get `msg(key, *args)` and `advanced_msg(text)` (a name that may be `${key}`)."""

        def advanced_msg(text: str | None) -> str:
            return resolve_text(locale, text or "", realm_texts)

        return self.env.get_template(template).render(
            msg=self.translator(locale, realm_texts),
            advanced_msg=advanced_msg,
            locale=locale,
            **context,
        )
