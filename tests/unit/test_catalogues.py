"""Every message catalogue has exactly the English catalogue's keys, with the same arguments."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from ostium.domain.password_policy import PolicyViolation
from ostium.locales import DEFAULT_LOCALE, available_locales, catalogue, translate

PLACEHOLDER = re.compile(r"\{\d+\}")
OTHERS = [locale for locale in available_locales() if locale != DEFAULT_LOCALE]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_english_is_there_and_not_empty() -> None:
    assert DEFAULT_LOCALE in available_locales()
    assert len(catalogue(DEFAULT_LOCALE)) > 30


@pytest.mark.parametrize("locale", OTHERS)
def test_a_catalogue_has_exactly_the_english_keys(locale: str) -> None:
    english, local = catalogue(DEFAULT_LOCALE), catalogue(locale)
    assert sorted(set(english) - set(local)) == [], f"{locale} lacks these messages"
    assert sorted(set(local) - set(english)) == [], f"{locale} has keys English does not"


@pytest.mark.parametrize("locale", OTHERS)
def test_a_translation_keeps_the_arguments(locale: str) -> None:
    english, local = catalogue(DEFAULT_LOCALE), catalogue(locale)
    wrong = {
        key: text
        for key, text in local.items()
        if _placeholders(text) != _placeholders(english.get(key, ""))
    }
    assert wrong == {}


@pytest.mark.parametrize("locale", available_locales())
def test_a_catalogue_has_no_fuzzy_or_empty_entries(locale: str) -> None:
    # A fuzzy or empty entry would silently show English: the file must say what it means.
    name = f"messages_{locale.replace('-', '_')}.po"
    text = (resources.files("ostium.locales") / name).read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1]
    assert "#, fuzzy" not in body
    assert 'msgstr ""\n\n' not in body + "\n"


def test_translate_falls_back_to_english_then_to_the_key() -> None:
    assert translate("en", "loginTitle", "Acme") == "Sign in to Acme"
    assert translate("xx", "loginTitle", "Acme") == "Sign in to Acme"
    assert translate("en", "noSuchKey") == "noSuchKey"
    assert (
        translate("en", "loginTitle", "Acme", realm_texts={"en": {"loginTitle": "Hi {0}"}})
        == "Hi Acme"
    )


def test_password_policy_messages_are_in_every_catalogue_as_the_admin_api_words_them() -> None:
    # The admin API answers a policy violation in English (PolicyViolation.text); pages
    # (the update-password form, registration) show the same key from the catalogues.
    keys = [
        key
        for key in catalogue(DEFAULT_LOCALE)
        if key.startswith("invalidPassword") and key.endswith("Message")
    ]
    assert len(keys) == 13
    for key in keys:
        assert PolicyViolation(key, (8,)).text == translate("en", key, 8)
