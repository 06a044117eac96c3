"""Reading request parameters strictly: one value per name, bounded sizes, UTF-8 only.

RFC 6749 §3.1/§3.2: "Request and response parameters MUST NOT be included more than
once." A repeated parameter is an `invalid_request`, never "the first one wins", since
two parsers disagreeing on which copy counts is how parameter-pollution attacks work.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from ostium.errors import InvalidRequest

__all__ = [
    "MAX_BODY",
    "MAX_VALUE",
    "form_params",
    "optional_form_params",
    "query_params",
    "request_params",
]

MAX_VALUE = 16 * 1024  # tokens (id_token_hint, refresh_token) fit; nothing legitimate is larger
MAX_FIELDS = 64
MAX_BODY = 64 * 1024
FORM = "application/x-www-form-urlencoded"


def single_valued(pairs: list[tuple[str, str]], *, redirectable: bool = False) -> dict[str, str]:
    if len(pairs) > MAX_FIELDS:
        raise InvalidRequest("Too many parameters", redirectable=redirectable)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise InvalidRequest(f"Duplicate parameter: {name[:64]}", redirectable=redirectable)
        if len(value) > MAX_VALUE or len(name) > 256:
            raise InvalidRequest(f"Parameter too large: {name[:64]}", redirectable=redirectable)
        if "\x00" in value:
            raise InvalidRequest(f"Invalid parameter: {name[:64]}", redirectable=redirectable)
        params[name] = value
    return params


def _parse(raw: bytes | str) -> list[tuple[str, str]]:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS * 2,
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest(
            "Malformed parameters: not UTF-8 form encoding", redirectable=False
        ) from None


def query_params(request: Request) -> dict[str, str]:
    return single_valued(_parse(request.scope.get("query_string", b"")), redirectable=False)


async def form_params(request: Request) -> dict[str, str]:
    """The body of a form POST; any other content type is refused, not guessed at."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != FORM:
        raise InvalidRequest(f"Content-Type must be {FORM}", redirectable=False)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidRequest("Request body too large", redirectable=False)
    return single_valued(_parse(body))


async def optional_form_params(request: Request) -> dict[str, str]:
    """A form body if there is one: a POST that sends its token only in the
    Authorization header (RFC 6750 §2.1) may have no body and no Content-Type at all, as
    requests and httpx send it. A body of any other type is still refused."""
    if not request.headers.get("content-type") and not await request.body():
        return {}
    return await form_params(request)


async def request_params(request: Request) -> dict[str, str]:
    """GET query or POST form: the authorization, userinfo and logout endpoints take both
    (OIDC Core §3.1.2.1), but not a mix of the two."""
    if request.method == "POST":
        form = await form_params(request)
        if request.scope.get("query_string"):
            query = query_params(request)
            overlap = set(form) & set(query)
            if overlap:
                raise InvalidRequest(f"Duplicate parameter: {sorted(overlap)[0]}")
            return {**query, **form}
        return form
    return query_params(request)
