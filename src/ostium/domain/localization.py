"""What a realm's localization texts may hold (Keycloak's RealmLocalizationResource).

A locale is a language tag (`de`, `zh-CN`, `pt_BR` as Keycloak's theme files spell it); a
key is a message key (`loginTitle`) or a name of the realm's own (`myRealmTitle`, used as
`${myRealmTitle}` in a display name). Anything else is refused with a 400 before it is
stored: these values reach page templates, URL paths and the JSON settings column.
"""

from __future__ import annotations

import re

from ostium.domain.identifiers import has_control_character

__all__ = ["MAX_TEXT_LENGTH", "locale_problem", "message_key_problem", "text_problem"]

MAX_TEXT_LENGTH = 10_000
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")


def locale_problem(locale: object) -> str | None:
    if not isinstance(locale, str) or not _LOCALE.fullmatch(locale):
        return "not a language tag (such as en, de or zh-CN)"
    return None


def message_key_problem(key: object) -> str | None:
    if not isinstance(key, str) or not key.strip() or len(key) > 255:
        return "a message key is 1 to 255 characters"
    if has_control_character(key) or "/" in key:
        return "a message key holds no control characters and no '/'"
    return None


def text_problem(text: str) -> str | None:
    if len(text) > MAX_TEXT_LENGTH:
        return f"a text is at most {MAX_TEXT_LENGTH} characters"
    if "\x00" in text:
        return "a text holds no NUL character"
    return None
