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

from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT_LOCALE",
    "available_locales",
    "catalogue",
    "format_message",
    "translate",
]

DEFAULT_LOCALE = "en"


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


def format_message(text: str, args: tuple[object, ...]) -> str:
    """Fills `{0}`, `{1}`, … (Keycloak's MessageFormat arguments) with the given values."""
    for index, arg in enumerate(args):
        text = text.replace("{" + str(index) + "}", str(arg))
    return text


def translate(
    locale: str, key: str, *args: object, overrides: Mapping[str, str] | None = None
) -> str:
    """The text of `key` in `locale`: the realm's own text first (`overrides`), then the
    locale's catalogue, then English, then the key itself (as Keycloak shows unknown keys)."""
    text = (
        (overrides or {}).get(key)
        or catalogue(locale).get(key)
        or catalogue(DEFAULT_LOCALE).get(key)
        or key
    )
    return format_message(text, args)
