"""Java `.properties` files, as Keycloak's themes write them (`theme.properties`,
`messages/messages_<locale>.properties`).

The format of `java.util.Properties.load`: `#` and `!` start a comment line; a key ends at
the first unescaped `=`, `:` or white space; a line ending in an odd number of backslashes
continues on the next (whose leading white space is dropped); `\\t`, `\\n`, `\\r`, `\\f`,
`\\uXXXX` are escapes and any other escaped character is itself. Files are read as UTF-8
(Keycloak ≥ 22 reads message bundles as UTF-8; `\\u` escapes keep older files working); a
file that is not UTF-8 is read as ISO-8859-1, the format's original encoding.
"""

from __future__ import annotations

__all__ = ["PropertiesError", "parse_properties"]

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_SEPARATORS = "=:"
_BLANKS = " \t\f"


class PropertiesError(ValueError):
    """A malformed `\\uXXXX` escape: Java's reader refuses the whole file, and so does this."""


def _logical_lines(text: str) -> list[str]:
    """Physical lines joined where a line ends in an odd number of backslashes."""
    lines: list[str] = []
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.lstrip(_BLANKS) if pending is not None else raw
        if pending is None and (not line.strip(_BLANKS) or line.lstrip(_BLANKS)[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending = (pending or "") + line[:-1]
            continue
        lines.append((pending or "") + line)
        pending = None
    if pending is not None:
        lines.append(pending)
    return lines


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 == len(text):
            out.append(char)
            i += 1
            continue
        code = text[i + 1]
        if code == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise PropertiesError(f"malformed \\uxxxx escape: \\u{digits}")
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(code, code))
        i += 2
    # Surrogate pairs written as two \u escapes (how Java spells characters beyond the
    # BMP) become one character.
    joined = "".join(out)
    return joined.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _split(line: str) -> tuple[str, str]:
    line = line.lstrip(_BLANKS)
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char in _SEPARATORS or char in _BLANKS:
            break
        i += 1
    key, rest = line[:i], line[i:]
    rest = rest.lstrip(_BLANKS)
    if rest[:1] in _SEPARATORS:
        rest = rest[1:].lstrip(_BLANKS)
    return key, rest


def parse_properties(data: bytes | str) -> dict[str, str]:
    """The key → value map of a `.properties` file; a later duplicate key wins, as in Java."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("iso-8859-1")
    else:
        text = data
    text = text.removeprefix("\ufeff")
    result: dict[str, str] = {}
    for line in _logical_lines(text):
        key, value = _split(line)
        result[_unescape(key)] = _unescape(value)
    return result
