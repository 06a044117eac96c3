"""Which language a page is shown in: Keycloak's order, source by source."""

from __future__ import annotations

import itertools

import pytest

from ostium.domain.locale_selection import (
    LocaleRequest,
    accept_language_tags,
    best_match,
    canonical_tag,
    select_locale,
)

SUPPORTED = ["en", "de", "fr", "zh-CN", "zh-TW", "pt-BR", "ja"]

# Keycloak's order: each source with a value of its own.
SOURCES = [
    ("kc_locale", "ja"),
    ("user_locale", "fr"),
    ("ui_locales", "zh-TW"),
    ("cookie", "pt-BR"),
    ("accept_language", "de"),
]


def choose(request: LocaleRequest, *, enabled: bool = True, default: str | None = None) -> str:
    return select_locale(
        request,
        internationalization_enabled=enabled,
        supported_locales=SUPPORTED,
        default_locale=default,
    )


@pytest.mark.parametrize("present", list(itertools.product([False, True], repeat=len(SOURCES))))
def test_the_first_source_in_keycloaks_order_wins(present: tuple[bool, ...]) -> None:
    given = {name: value for (name, value), on in zip(SOURCES, present, strict=True) if on}
    expected = next((value for (_, value), on in zip(SOURCES, present, strict=True) if on), "es")
    assert choose(LocaleRequest(**given), default="es") == expected


@pytest.mark.parametrize("name", [name for name, _ in SOURCES])
def test_a_source_naming_an_unsupported_locale_is_skipped(name: str) -> None:
    request = LocaleRequest(**{name: "it"})
    assert choose(request, default="fr") == "fr"


def test_internationalization_off_is_english_whatever_is_asked() -> None:
    request = LocaleRequest(**dict(SOURCES))
    assert choose(request, enabled=False, default="de") == "en"


def test_nothing_asked_gives_the_realm_default_then_english() -> None:
    assert choose(LocaleRequest(), default="fr") == "fr"
    assert choose(LocaleRequest()) == "en"


def test_ui_locales_is_read_in_order_of_preference() -> None:
    assert choose(LocaleRequest(ui_locales="it de-AT fr")) == "de"


def test_accept_language_is_read_by_quality() -> None:
    header = "it;q=1, fr;q=0.4, de;q=0.8, *;q=0.9, ja;q=0"
    assert accept_language_tags(header) == ["it", "de", "fr"]
    assert choose(LocaleRequest(accept_language=header)) == "de"
    assert choose(LocaleRequest(accept_language="de;q=oops, fr")) == "fr"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("de-CH", "de"),  # a region the realm does not list: the bare language
        ("zh", "zh-CN"),  # no region asked: the first listed region
        ("zh-TW", "zh-TW"),  # the exact region wins over the other
        ("zh-Hant", "zh-TW"),  # browsers' script tags
        ("zh-Hans-CN", "zh-CN"),
        ("zh_tw", "zh-TW"),  # Keycloak's file spelling, any case
        ("pt", "pt-BR"),
        ("pt-PT", None),  # both sides name a region, and not the same one
        ("en-US", "en"),
        ("", None),
        ("x", None),
        ("12", None),
    ],
)
def test_best_match_follows_keycloaks_rule(requested: str, expected: str | None) -> None:
    assert best_match(SUPPORTED, [requested]) == expected


def test_a_regional_locale_is_found_from_the_bare_language_and_kept_as_spelled() -> None:
    assert best_match(["de-CH", "de"], ["de"]) == "de"
    assert best_match(["de-CH"], ["de"]) == "de-CH"
    assert best_match(["zh-cn"], ["zh-CN"]) == "zh-cn"


def test_canonical_tag() -> None:
    assert canonical_tag("zh_cn") == "zh-CN"
    assert canonical_tag("PT-br") == "pt-BR"
    assert canonical_tag("de") == "de"
