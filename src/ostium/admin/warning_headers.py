"""`Warning: 299 ostium "<text>"` response headers: how the admin API tells a caller what
it accepted but could not honour, without changing the body a Keycloak client expects
(POST /admin/realms answers 201 with no body, as Keycloak does).

RFC 7234 §5.5: warn-code 299 is "Miscellaneous Persistent Warning"; warn-text is a
quoted-string, so `"` and `\\` are escaped, and the text is kept to ASCII (backslash
escapes) and one line, as header values must be.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders

__all__ = ["add_warnings", "warning_value"]

_AGENT = "ostium"


def warning_value(text: str) -> str:
    one_line = " ".join(text.split())
    ascii_text = one_line.encode("ascii", "backslashreplace").decode("ascii")
    quoted = ascii_text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 {_AGENT} "{quoted}"'


def add_warnings(headers: MutableHeaders, texts: Iterable[str]) -> None:
    """One `Warning` header field per text (RFC 7230 §3.2.2 allows repeating it)."""
    for text in texts:
        headers.append("Warning", warning_value(text))
