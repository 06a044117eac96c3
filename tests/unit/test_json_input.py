"""Untrusted JSON: refused with a reason, never a RecursionError or an unencodable string."""

from __future__ import annotations

import pytest

from ostium.domain.identifiers import bad_identifier, realm_name_problem
from ostium.json_input import JsonInputError, loads


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 101 + b"]" * 101, "nested deeper than 100 levels"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested deeper than 100 levels"),
        (b'"a\\ud800"', "an unpaired surrogate in a string"),
        (b'{"\\udfff": 1}', "an unpaired surrogate in a string"),
        (b'"\\ude00\\ud83d"', "an unpaired surrogate in a string"),
        (b'"\xed\xa0\x80"', "not UTF-8"),
        (b"\xff", "not UTF-8"),
        (b"{", "malformed"),
        (b"", "malformed"),
    ],
)
def test_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(JsonInputError, match=f"^{reason}$"):
        loads(raw)


def test_accepted() -> None:
    assert loads(b"[" * 100 + b"]" * 100) is not None
    assert loads(b'{"a": "[[[[{{{{", "b": "\\"["}') == {"a": "[[[[{{{{", "b": '"['}
    assert loads(b'"\\ud83d\\ude00"') == "\U0001f600"
    assert loads(b'"\\\\ud800"') == "\\ud800"  # an escaped backslash, not a surrogate


def test_identifiers_with_control_characters_are_found_at_any_depth() -> None:
    assert bad_identifier({"clients": [{"clientId": "ok"}, {"clientId": "a\nb"}]}) == (
        "clients[1].clientId"
    )
    assert bad_identifier({"groups": [{"subGroups": [{"name": "\x00"}]}]}) == (
        "groups[0].subGroups[0].name"
    )
    assert bad_identifier({"description": "line\nbreak", "attributes": {"name": "a\nb"}}) is None
    assert bad_identifier({"name": "tab\there"}) == "name"
    assert bad_identifier({"name": "\x85"}) == "name"


def test_realm_names_as_keycloak_restricts_them() -> None:
    assert realm_name_problem("") == "Realm name cannot be empty"
    assert realm_name_problem(None) == "Realm name cannot be empty"
    assert realm_name_problem("a\\b") == "Character '\\' not allowed."
    assert realm_name_problem("a#b") == "Character '#' not allowed."
    assert realm_name_problem("a\r\nb") == "Realm name must not contain control characters"
    assert realm_name_problem("my-realm_1.ключ") is None
