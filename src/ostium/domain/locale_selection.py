"""Which language a page is shown in: Keycloak's DefaultLocaleSelectorProvider, as a pure rule.

With the realm's `internationalizationEnabled` off, every page is English. With it on, the
first of these that names one of the realm's `supportedLocales` wins:

1. `kc_locale`: what the user picked with the language picker (this request's query, or the
   choice kept in the login's authentication session — Keycloak's USER_REQUEST_LOCALE);
2. the signed-in user's `locale` attribute;
3. `ui_locales` of the authorization request (OIDC Core §3.1.2.1, space-separated, in order
   of preference);
4. the `KEYCLOAK_LOCALE` cookie (set when the user picked a language);
5. `Accept-Language` (RFC 9110 §12.5.4, by quality);

then the realm's `defaultLocale`, then English.

A requested tag matches a supported one as Keycloak's `findBestMatchingLocale` decides: same
language, and either the same region or a region on exactly one side (`de` ↔ `de-CH`,
`zh` ↔ `zh-CN`), preferring the supported tag whose region is the requested one. `zh-Hant`
and `zh-Hans` (a script, no region) stand for `zh-TW` and `zh-CN`, as browsers send them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LOCALE",
    "LocaleRequest",
    "accept_language_tags",
    "best_match",
    "canonical_tag",
    "select_locale",
]

DEFAULT_LOCALE = "en"
_MAX_TAGS = 20  # Accept-Language and ui_locales are read this far, no further
_SCRIPT_REGIONS = {("zh", "hant"): "TW", ("zh", "hans"): "CN"}


@dataclass(frozen=True)
class LocaleRequest:
    """What one request says about its language, each source as it arrived (or None)."""

    kc_locale: str | None = None
    user_locale: str | None = None
    ui_locales: str | None = None
    cookie: str | None = None
    accept_language: str | None = None


def _parts(tag: str) -> tuple[str, str]:
    """(language, region) of a BCP 47 tag, lower- and upper-cased; `_` accepted as `-`."""
    subtags = [s for s in tag.strip().replace("_", "-").split("-") if s]
    if not subtags or not subtags[0].isalpha() or not 2 <= len(subtags[0]) <= 8:
        return "", ""
    language, region = subtags[0].lower(), ""
    for subtag in subtags[1:]:
        if len(subtag) == 4 and subtag.isalpha():  # a script
            region = region or _SCRIPT_REGIONS.get((language, subtag.lower()), "")
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            region = subtag.upper()
            break
        else:
            break
    return language, region


def canonical_tag(tag: str) -> str:
    """`zh_cn` → `zh-CN`: the spelling locales are compared and shown in."""
    language, region = _parts(tag)
    return f"{language}-{region}" if region else language


def best_match(supported: Sequence[str], requested: Iterable[str]) -> str | None:
    """The supported locale (as the realm spells it) that the first matching requested tag
    names, or None."""
    options = [(s, *_parts(s)) for s in supported]
    for tag in requested:
        language, region = _parts(tag)
        if not language:
            continue
        found: str | None = None
        found_region = ""
        for spelled, s_language, s_region in options:
            if s_language != language:
                continue
            if not (s_region == region or (s_region == "") != (region == "")):
                continue
            # Prefer the exact region; otherwise the first listed.
            if found is None or (s_region == region and found_region != region):
                found, found_region = spelled, s_region
        if found is not None:
            return found
    return None


def accept_language_tags(header: str | None) -> list[str]:
    """The tags of an Accept-Language header by falling quality (q=0 dropped, `*` ignored);
    equal qualities keep their order."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:_MAX_TAGS]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                quality = 0.0
        tag = tag.strip()
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def select_locale(
    request: LocaleRequest,
    *,
    internationalization_enabled: bool,
    supported_locales: Sequence[str],
    default_locale: str | None,
) -> str:
    """The locale of a page (see the module's docstring for the order)."""
    if not internationalization_enabled:
        return DEFAULT_LOCALE
    sources: list[list[str]] = [
        [request.kc_locale or ""],
        [request.user_locale or ""],
        (request.ui_locales or "").split()[:_MAX_TAGS],
        [request.cookie or ""],
        accept_language_tags(request.accept_language),
    ]
    for tags in sources:
        chosen = best_match(supported_locales, tags)
        if chosen is not None:
            return chosen
    return default_locale or DEFAULT_LOCALE
