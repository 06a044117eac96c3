"""Strict parameter parsing: one value per name, bounded sizes."""

from __future__ import annotations

import pytest

from ostium.errors import InvalidRequest
from ostium.web.params import MAX_VALUE, single_valued


def test_duplicates_are_rejected() -> None:
    with pytest.raises(InvalidRequest, match="Duplicate parameter: a"):
        single_valued([("a", "1"), ("a", "2")])


def test_oversized_values_are_rejected() -> None:
    with pytest.raises(InvalidRequest, match="too large"):
        single_valued([("a", "x" * (MAX_VALUE + 1))])


def test_nul_bytes_are_rejected() -> None:
    with pytest.raises(InvalidRequest):
        single_valued([("a", "x\x00y")])


def test_errors_from_parsing_never_redirect() -> None:
    with pytest.raises(InvalidRequest) as caught:
        single_valued([("a", "1"), ("a", "1")])
    assert caught.value.redirectable is False


def test_plain_values_pass() -> None:
    assert single_valued([("a", "1"), ("b", "")]) == {"a": "1", "b": ""}
