"""Reading untrusted JSON: strict UTF-8, bounded nesting, no lone surrogates.

Python's `json` follows the grammar but not what a store or a peer can take: it decodes
bytes with `surrogatepass` and `\\ud800` escapes into strings that cannot be encoded
again (the response, the database driver or the log then fails), and it recurses once
per nesting level until `RecursionError`. RFC 8259 §8.1 requires UTF-8 between systems
and §8.2 leaves unpaired surrogates' behaviour "unpredictable"; §9 lets a parser "set
limits on the maximum depth of nesting". Keycloak's Jackson refuses both too (a lone
surrogate is not valid UTF-8 output; `StreamReadConstraints` bounds the depth).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "JsonInputError", "loads"]

# Deep enough for any representation (a realm file nests groups' subGroups two levels
# per group); far below the interpreter's recursion limit, which the decoder shares
# with the request's own stack.
MAX_DEPTH = 100

# A string token (escapes included) or a bracket; strings are matched whole so brackets
# inside them are not counted.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonInputError(ValueError):
    """The text is not JSON Ostium accepts; the message (why) is safe to show the caller."""


def loads(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `raw` after checking its nesting depth; every string in the result (keys too)
    is valid Unicode."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonInputError("not UTF-8") from None
    if _depth(raw) > max_depth:
        raise JsonInputError(f"nested deeper than {max_depth} levels")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise JsonInputError("malformed") from None
    if _has_lone_surrogate(value):
        raise JsonInputError("an unpaired surrogate in a string")
    return value


def _depth(raw: bytes) -> int:
    deepest = depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _has_lone_surrogate(value: Any) -> bool:
    """Decoded strings hold a surrogate only when it was unpaired: the decoder joins a
    valid `\\ud83d\\ude00` pair into one code point. Iterative: depth is bounded anyway."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
