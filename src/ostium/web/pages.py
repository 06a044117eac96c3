"""HTML pages: Jinja2 templates with Keycloak's message keys in several languages, rendered
with the realm's (or the client's) theme (ostium.themes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ostium.locales import resolve_text, translate
from ostium.themes import ResolvedTheme, ThemeFolder

__all__ = ["Pages"]


class Pages:
    """Every template is looked up through the theme's chain (`ThemeFolder`), so a page
    added to `src/ostium/templates` can be overridden by a theme with no change here."""

    def __init__(self, themes: ThemeFolder | None = None) -> None:
        self.themes = themes or ThemeFolder(None)

    def theme(self, name: str | None, type: str = "login") -> ResolvedTheme:
        """The theme named `name` (a realm's loginTheme, a client's login_theme), or the
        built-in one when unset or unknown. E-mails take `theme(realm.email_theme, "email")`
        and render with `render(..., theme=...)` like a page (the e-mail part of issue 14
        calls it; a folder theme's `email/` overrides their templates and messages)."""
        return self.themes.get(type, name)

    def translator(
        self,
        locale: str,
        realm_texts: Mapping[str, Mapping[str, str]] | None = None,
        theme: ResolvedTheme | None = None,
    ) -> Callable[..., str]:
        """The templates' `msg(key, *args)`: the key's text in `locale`, the realm's own
        localization texts first, then the theme's messages (`ostium.locales.translate`)."""
        theme_texts = theme.messages if theme is not None else None

        def msg(key: str, *args: object) -> str:
            return translate(locale, key, *args, realm_texts=realm_texts, theme_texts=theme_texts)

        return msg

    def render(
        self,
        template: str,
        *,
        locale: str,
        realm_texts: Mapping[str, Mapping[str, str]] | None = None,
        theme: ResolvedTheme | None = None,
        **context: object,
    ) -> str:
        """`locale` is the page's language, already chosen (web/page_locale.py); templates
        get `msg(key, *args)`, `advanced_msg(text)` (a name that may be `${key}`) and the
        theme's `properties` (Keycloak's `properties.*`)."""
        theme = theme or self.theme(None)

        def advanced_msg(text: str | None) -> str:
            return resolve_text(locale, text or "", realm_texts, theme.messages)

        return theme.environment.get_template(template).render(
            msg=self.translator(locale, realm_texts, theme),
            advanced_msg=advanced_msg,
            locale=locale,
            properties=theme.properties,
            **context,
        )
