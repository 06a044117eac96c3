"""Keycloak's `q` search syntax of the admin API: `key1:value1 key2:"value 2"`.

Keycloak parses it with SearchQueryUtils.getFields for users, clients, groups and
organizations; this is the same grammar, so a query that works against Keycloak selects
the same pairs here:

- pairs are separated by spaces; a token without `:` is skipped;
- a key or value may be put in double quotes to hold spaces (`"key 1":"val 2"`);
- a double quote inside a token that has already begun is kept as it is (`key"1"`);
- `\\"` stands for a literal quote; `\\\\` is dropped (as Keycloak drops it);
- a repeated key keeps its last value.

Keycloak fails with a server error on a query ending in a lone backslash; here that is a
400 `{"errorMessage": …}` (bad input never yields a 500).
"""

from __future__ import annotations

__all__ = ["InvalidSearchQueryError", "parse_search_query"]


class InvalidSearchQueryError(ValueError):
    """The query cannot be read (it ends in an unfinished escape)."""


def _token(chars: str, i: int, *, stop_at_colon: bool) -> tuple[str, int]:
    """Reads one key (up to `:`) or value (up to an unquoted space) from position `i`."""
    out: list[str] = []
    in_quotes = False
    internal = False  # a quote that opened inside the token: kept, not a delimiter
    while i < len(chars) and not (stop_at_colon and chars[i] == ":"):
        char = chars[i]
        if char == "\\":
            if i + 1 >= len(chars):
                raise InvalidSearchQueryError("The search query ends in an unfinished escape")
            if chars[i + 1] == '"':
                i += 1
                char = '"'
            elif chars[i + 1] == "\\":
                i += 2
                continue
        elif char == '"':
            if not in_quotes and out:
                internal = True
            elif internal:
                internal = False
            else:
                in_quotes = not in_quotes
                i += 1
                continue
        elif char == " " and not in_quotes:
            break
        out.append(char)
        i += 1
    return "".join(out), i


def parse_search_query(query: str) -> dict[str, str]:
    """The `key:value` pairs of a `q` parameter, as Keycloak reads them."""
    chars = query.strip()
    fields: dict[str, str] = {}
    i = 0
    while i < len(chars):
        name, i = _token(chars, i, stop_at_colon=True)
        if i == len(chars) or chars[i] == " ":
            i += 1  # a token without a colon: skipped
            continue
        value, i = _token(chars, i + 1, stop_at_colon=False)
        fields[name] = value
        i += 1
    return fields
