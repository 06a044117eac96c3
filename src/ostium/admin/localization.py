"""/realms/{realm}/localization: the realm's own texts per locale, as Keycloak's
RealmLocalizationResource.

Reading needs any admin role in the realm, writing `manage-realm`. The texts live in the
realm (`Realm.localization_texts`, its JSON settings) and override the catalogues' messages
on the realm's pages; `${key}` in the realm's or a client's name is resolved against them.
A locale that is not a language tag, or a key or text Ostium cannot keep, is a 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response

from ostium.admin.context import Admin, admin, json_body
from ostium.admin.errors import BadRequest, NotFound
from ostium.domain import Realm
from ostium.domain.localization import locale_problem, message_key_problem, text_problem
from ostium.json_input import JsonInputError, loads
from ostium.services.realm_import import RealmImportError, localization_map
from ostium.storage.interfaces import Repositories

__all__ = ["router"]

router = APIRouter(tags=["Realms Admin"])

_MAX_BODY = 1024 * 1024


def _check_locale(locale: str) -> None:
    problem = locale_problem(locale)
    if problem is not None:
        raise BadRequest(f"Invalid locale {locale[:32]!r}: {problem}")


def _check_key(key: str) -> None:
    problem = message_key_problem(key)
    if problem is not None:
        raise BadRequest(f"Invalid key: {problem}")


async def _readable(a: Admin, repos: Repositories, realm: str) -> Realm:
    """Keycloak's `requireAnyAdminRole`: any admin role in the realm may read the texts."""
    a.principal.require_any(realm)
    loaded = await repos.realms.get_by_name(realm)
    if loaded is None:
        raise NotFound("Realm not found.")
    return loaded


@router.get("/realms/{realm}/localization")
async def list_locales(realm: str, a: Admin = Depends(admin)) -> list[str]:
    """The locales that have texts, sorted."""
    async with a.transaction() as repos:
        loaded = await _readable(a, repos, realm)
    return sorted(locale for locale, texts in loaded.localization_texts.items() if texts)


@router.get("/realms/{realm}/localization/{locale}")
async def get_texts(
    realm: str,
    locale: str,
    useRealmDefaultLocaleFallback: bool = False,
    a: Admin = Depends(admin),
) -> dict[str, str]:
    """One locale's texts (an empty object when it has none); with
    `useRealmDefaultLocaleFallback`, the default locale's texts fill the gaps."""
    _check_locale(locale)
    async with a.transaction() as repos:
        loaded = await _readable(a, repos, realm)
    texts: dict[str, str] = {}
    if useRealmDefaultLocaleFallback and loaded.default_locale:
        texts.update(loaded.localization_texts.get(loaded.default_locale, {}))
    texts.update(loaded.localization_texts.get(locale, {}))
    return texts


async def _texts_body(request: Request) -> dict[str, str]:
    """A JSON object of key → text, sent as JSON or as the `file` of a multipart form
    (the admin console's upload), as Keycloak accepts both."""
    content_type = request.headers.get("content-type", "").lower()
    body: Any
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise BadRequest("Expected a file")
            raw = await upload.read(_MAX_BODY + 1)
        if len(raw) > _MAX_BODY:
            raise BadRequest("File too large")
        try:
            body = loads(raw)
        except JsonInputError:
            raise BadRequest("Could not read file.") from None
    else:
        body = await json_body(request)
    try:
        return localization_map(body, "localization")
    except RealmImportError as exc:
        raise BadRequest(str(exc)) from None


@router.post("/realms/{realm}/localization/{locale}", status_code=204)
async def add_texts(
    realm: str, locale: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """Adds or replaces the texts the body names; the locale's other texts stay
    (Keycloak's createOrUpdateRealmLocalizationTexts)."""
    _check_locale(locale)
    texts = await _texts_body(request)
    async with a.realm_settings(realm, "manage-realm", write=True) as loaded:
        loaded.localization_texts.setdefault(locale, {}).update(texts)
    return Response(status_code=204)


@router.delete("/realms/{realm}/localization/{locale}", status_code=204)
async def delete_texts(realm: str, locale: str, a: Admin = Depends(admin)) -> Response:
    _check_locale(locale)
    async with a.realm_settings(realm, "manage-realm", write=True) as loaded:
        if not loaded.localization_texts.pop(locale, None):
            raise NotFound(f"No localization texts for locale {locale} found.")
    return Response(status_code=204)


@router.get("/realms/{realm}/localization/{locale}/{key}", response_class=PlainTextResponse)
async def get_text(realm: str, locale: str, key: str, a: Admin = Depends(admin)) -> Response:
    _check_locale(locale)
    _check_key(key)
    async with a.transaction() as repos:
        loaded = await _readable(a, repos, realm)
    text = loaded.localization_texts.get(locale, {}).get(key)
    if text is None:
        raise NotFound("Localization text not found")
    return PlainTextResponse(text)


@router.put("/realms/{realm}/localization/{locale}/{key}", status_code=204)
async def put_text(
    realm: str, locale: str, key: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """The body is the text itself, `text/plain` as in Keycloak."""
    _check_locale(locale)
    _check_key(key)
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The text must be UTF-8") from None
    problem = text_problem(text)
    if problem is not None:
        raise BadRequest(problem)
    async with a.realm_settings(realm, "manage-realm", write=True) as loaded:
        loaded.localization_texts.setdefault(locale, {})[key] = text
    return Response(status_code=204)


@router.delete("/realms/{realm}/localization/{locale}/{key}", status_code=204)
async def delete_text(realm: str, locale: str, key: str, a: Admin = Depends(admin)) -> Response:
    _check_locale(locale)
    _check_key(key)
    async with a.realm_settings(realm, "manage-realm", write=True) as loaded:
        texts = loaded.localization_texts.get(locale, {})
        if texts.pop(key, None) is None:
            raise NotFound("Localization text not found")
        if not texts:
            loaded.localization_texts.pop(locale, None)
    return Response(status_code=204)
