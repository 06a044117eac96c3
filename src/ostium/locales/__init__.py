"""The message catalogues of Ostium's pages: gettext `.po` files read at run time with Babel.

One catalogue per locale, `messages_<locale>.po` in this package (the locale in Keycloak's
file spelling, `zh_CN`; its tag on the wire is `zh-CN`). The `msgid` is the message key —
Keycloak's name where Keycloak has one (`loginAccountTitle`, `invalidUserMessage`), so that a
theme or a realm's localization texts can override a message by key, as in Keycloak — and the
`msgstr` is the text, English in `messages_en.po`. Arguments are written `{0}`, `{1}`, … as
in Keycloak's message bundles. There is no compile step: the `.po` files are parsed once per
process (`babel.messages.pofile.read_po`); fuzzy and empty entries count as missing, so the
English text is shown instead, as gettext would.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

from ostium.domain.locale_selection import DEFAULT_LOCALE, best_match

__all__ = [
    "DEFAULT_LOCALE",
    "available_locales",
    "catalogue",
    "catalogue_locale",
    "format_message",
    "language_name",
    "resolve_text",
    "translate",
]

# Each language named in itself, as the language picker shows it.
LANGUAGE_NAMES = {
    "en": "English",
    "zh-CN": "简体中文",
    "zh-TW": "繁體中文",
    "ja": "日本語",
    "ko": "한국어",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "pt-BR": "Português (Brasil)",
    "ru": "Русский",
}


def _file_name(locale: str) -> str:
    return f"messages_{locale.replace('-', '_')}.po"


@cache
def catalogue(locale: str) -> Mapping[str, str]:
    """The messages of one locale (`en`, `zh-CN`), keyed by message key; empty if unknown."""
    if locale not in available_locales():
        return {}
    path = resources.files(__name__) / _file_name(locale)
    with path.open("rb") as handle:
        parsed = read_po(handle, abort_invalid=True)
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and message.string and not message.fuzzy
    }


@cache
def available_locales() -> tuple[str, ...]:
    """The locale tags Ostium ships a catalogue for, as BCP 47 tags (`pt-BR`)."""
    names = [p.name for p in resources.files(__name__).iterdir()]
    return tuple(
        sorted(
            name.removeprefix("messages_").removesuffix(".po").replace("_", "-")
            for name in names
            if name.startswith("messages_") and name.endswith(".po")
        )
    )


def catalogue_locale(locale: str) -> str:
    """The shipped catalogue that serves `locale`: itself, or the closest one (`de-CH` → `de`,
    `zh` → `zh-CN`, `pt` → `pt-BR`), or English."""
    return best_match(available_locales(), [locale]) or DEFAULT_LOCALE


def language_name(tag: str) -> str:
    """The language's own name for itself (`简体中文`, `Deutsch`); Babel's CLDR data for a
    locale Ostium ships no catalogue of, the tag itself when even that is unknown."""
    if tag in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[tag]
    try:
        name = Locale.parse(tag, sep="-").get_display_name()
    except (ValueError, UnknownLocaleError):
        return tag
    return name[:1].upper() + name[1:] if name else tag


def format_message(text: str, args: tuple[object, ...]) -> str:
    """Fills `{0}`, `{1}`, … (Keycloak's MessageFormat arguments) with the given values."""
    for index, arg in enumerate(args):
        text = text.replace("{" + str(index) + "}", str(arg))
    return text


def translate(
    locale: str,
    key: str,
    *args: object,
    realm_texts: Mapping[str, Mapping[str, str]] | None = None,
    theme_texts: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The text of `key` in `locale`: the realm's localization text for that locale first
    (Keycloak: realm texts override the theme's messages), then the theme's
    `messages_<locale>.properties` (`theme_texts`, the theme's chain merged), then the
    catalogue, then the same three in English, then the key itself (as Keycloak shows an
    unknown key)."""
    texts = realm_texts or {}
    themed = theme_texts or {}
    shipped = catalogue_locale(locale)
    text = (
        texts.get(locale, {}).get(key)
        or themed.get(locale, {}).get(key)
        or themed.get(shipped, {}).get(key)
        or catalogue(shipped).get(key)
        or texts.get(DEFAULT_LOCALE, {}).get(key)
        or themed.get(DEFAULT_LOCALE, {}).get(key)
        or catalogue(DEFAULT_LOCALE).get(key)
        or key
    )
    return format_message(text, args)


def resolve_text(
    locale: str,
    text: str,
    realm_texts: Mapping[str, Mapping[str, str]] | None = None,
    theme_texts: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Keycloak's `advancedMsg`: a realm's or client's name written `${key}` is the text of
    `key` (a realm localization text, a theme message or a catalogue message); any other
    text is itself."""
    if text.startswith("${") and text.endswith("}") and len(text) > 3:
        return translate(locale, text[2:-1], realm_texts=realm_texts, theme_texts=theme_texts)
    return text
