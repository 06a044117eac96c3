"""Is a page wholly in its language? The check every browser test runs on its pages.

A page in 简体中文 must show nothing of the English catalogue and no Latin word at all,
beyond what is not ours to translate: names (the realm's, the application's, the
person's), e-mail addresses and links, and the language picker's entries, each written in itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from playwright.sync_api import Page, expect

from ostium.locales import LANGUAGE_NAMES, catalogue

__all__ = ["english_fragments", "expect_page_language"]

PRODUCT = "Ostium"
# Addresses are not words: e-mail addresses, and links written out (as a mail shows them).
_ADDRESS = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+")


def english_fragments(*names: str) -> list[str]:
    """Every English message, cut at its `{0}` arguments, as text a page could show."""
    fragments = set()
    for text in catalogue("en").values():
        for part in re.split(r"\{\d+\}", text):
            part = part.strip(" «»:.…")
            if len(part) >= 3 and part not in (*names, PRODUCT):
                fragments.add(part)
    return sorted(fragments)


def expect_page_language(page: Page, locale: str, names: Iterable[str] = ()) -> None:
    """The page says it is in `locale` (`<html lang>`), and a page in Chinese, Japanese or
    Korean has no English left on it. `names` are the words that are not ours to translate
    (compared without case: the style sheet may show a name in capitals)."""
    expect(page.locator("html")).to_have_attribute("lang", locale)
    if locale.split("-")[0] not in ("zh", "ja", "ko"):
        return
    visible = page.locator("body").inner_text() + "\n" + page.title()
    visible = _ADDRESS.sub("", visible)
    for word in sorted({*names, *LANGUAGE_NAMES.values()}, key=len, reverse=True):
        visible = re.sub(re.escape(word), "", visible, flags=re.IGNORECASE)
    found = [fragment for fragment in english_fragments(*names) if fragment in visible]
    assert found == [], f"English on the {locale} page {page.url}: {found}"
    assert not re.search(r"[A-Za-z]{2,}", visible), f"Latin words on {page.url}: {visible}"
