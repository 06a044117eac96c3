"""/admin/realms/{realm}/localization: the realm's own texts (Keycloak's
RealmLocalizationResource), and how they reach the pages, the export and the import."""

from __future__ import annotations

import pytest

from tests.admin.helpers import (
    ADMIN,
    TEST,
    admin_headers,
    grant_management_role,
    user_token_headers,
)
from tests.support import OstiumUnderTest, realm_export, start_in_process

LOCALIZATION = f"{TEST}/localization"


# --- negative cases first ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("GET", "/de"),
        ("POST", "/de"),
        ("DELETE", "/de"),
        ("GET", "/de/loginTitle"),
        ("PUT", "/de/loginTitle"),
        ("DELETE", "/de/loginTitle"),
    ],
)
async def test_an_unknown_realm_is_404(ostium: OstiumUnderTest, method: str, path: str) -> None:
    headers = await admin_headers(ostium)
    body = {"json": {"a": "b"}} if method == "POST" else {}
    if method == "PUT":
        body = {"content": b"text"}
    response = await ostium.client.request(
        method, f"{ADMIN}/nowhere/localization{path}", headers=headers, **body
    )
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("locale", ["d", "de!", "x" * 40, "de_", "1e", "de-"])
async def test_a_bad_locale_is_400(ostium: OstiumUnderTest, locale: str) -> None:
    headers = await admin_headers(ostium)
    for method, suffix, extra in (
        ("GET", "", {}),
        ("POST", "", {"json": {"k": "v"}}),
        ("PUT", "/k", {"content": b"v"}),
        ("DELETE", "", {}),
    ):
        response = await ostium.client.request(
            method, f"{LOCALIZATION}/{locale}{suffix}", headers=headers, **extra
        )
        assert response.status_code == 400, (method, locale, response.text)


@pytest.mark.parametrize(
    "body",
    [["a"], {"k": 1}, {"k": None}, {"": "empty key"}, {"k\u0001": "control"}, "text"],
)
async def test_a_body_that_is_not_a_map_of_texts_is_400(
    ostium: OstiumUnderTest, body: object
) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.post(f"{LOCALIZATION}/de", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert "errorMessage" in response.json()


async def test_a_text_that_is_not_utf8_or_too_long_is_400(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    bad = await ostium.client.put(f"{LOCALIZATION}/de/k", content=b"\xff\xfe", headers=headers)
    assert bad.status_code == 400
    long = await ostium.client.put(f"{LOCALIZATION}/de/k", content=b"x" * 10_001, headers=headers)
    assert long.status_code == 400


async def test_without_an_admin_role_every_call_is_403(ostium: OstiumUnderTest) -> None:
    headers = await user_token_headers(ostium, "bob", "builder")
    for method, path in (("GET", ""), ("GET", "/de"), ("GET", "/de/k"), ("PUT", "/de/k")):
        response = await ostium.client.request(method, f"{LOCALIZATION}{path}", headers=headers)
        assert response.status_code == 403, (method, path)


async def test_a_viewer_reads_but_only_manage_realm_writes(ostium: OstiumUnderTest) -> None:
    admin = await admin_headers(ostium)
    await grant_management_role(ostium, admin, "bob", "view-users")
    viewer = await user_token_headers(ostium, "bob", "builder")
    assert (await ostium.client.get(LOCALIZATION, headers=viewer)).status_code == 200
    for method, path, extra in (
        ("POST", "/de", {"json": {"k": "v"}}),
        ("PUT", "/de/k", {"content": b"v"}),
        ("DELETE", "/de", {}),
        ("DELETE", "/de/k", {}),
    ):
        response = await ostium.client.request(
            method, f"{LOCALIZATION}{path}", headers=viewer, **extra
        )
        assert response.status_code == 403, (method, path)
    await grant_management_role(ostium, admin, "bob", "manage-realm")
    manager = await user_token_headers(ostium, "bob", "builder")
    response = await ostium.client.put(f"{LOCALIZATION}/de/k", content=b"v", headers=manager)
    assert response.status_code == 204


async def test_missing_texts_are_404(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    assert (await ostium.client.get(f"{LOCALIZATION}/de/k", headers=headers)).status_code == 404
    assert (await ostium.client.delete(f"{LOCALIZATION}/de/k", headers=headers)).status_code == 404
    assert (await ostium.client.delete(f"{LOCALIZATION}/de", headers=headers)).status_code == 404
    # A locale without texts reads as an empty object, as Keycloak's.
    empty = await ostium.client.get(f"{LOCALIZATION}/de", headers=headers)
    assert empty.status_code == 200
    assert empty.json() == {}


# --- the happy paths -----------------------------------------------------------------------


async def test_texts_are_added_merged_read_and_deleted(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    assert (await ostium.client.get(LOCALIZATION, headers=headers)).json() == []

    added = await ostium.client.post(
        f"{LOCALIZATION}/de", json={"a": "eins", "b": "zwei"}, headers=headers
    )
    assert added.status_code == 204
    # POST merges: keys it does not name stay (Keycloak's createOrUpdate).
    merged = await ostium.client.post(f"{LOCALIZATION}/de", json={"b": "ZWEI"}, headers=headers)
    assert merged.status_code == 204
    put = await ostium.client.put(
        f"{LOCALIZATION}/zh-CN/a",
        content="一".encode(),
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert put.status_code == 204

    assert (await ostium.client.get(LOCALIZATION, headers=headers)).json() == ["de", "zh-CN"]
    german = await ostium.client.get(f"{LOCALIZATION}/de", headers=headers)
    assert german.json() == {"a": "eins", "b": "ZWEI"}
    one = await ostium.client.get(f"{LOCALIZATION}/zh-CN/a", headers=headers)
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("text/plain")
    assert one.text == "一"

    assert (await ostium.client.delete(f"{LOCALIZATION}/de/a", headers=headers)).status_code == 204
    assert (await ostium.client.get(f"{LOCALIZATION}/de", headers=headers)).json() == {"b": "ZWEI"}
    assert (await ostium.client.delete(f"{LOCALIZATION}/de", headers=headers)).status_code == 204
    assert (await ostium.client.get(LOCALIZATION, headers=headers)).json() == ["zh-CN"]


async def test_the_default_locale_fills_the_gaps_when_asked(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    await ostium.client.put(TEST, json={"defaultLocale": "en"}, headers=headers)
    await ostium.client.post(f"{LOCALIZATION}/en", json={"a": "A", "b": "B"}, headers=headers)
    await ostium.client.post(f"{LOCALIZATION}/de", json={"b": "BE"}, headers=headers)
    plain = await ostium.client.get(f"{LOCALIZATION}/de", headers=headers)
    assert plain.json() == {"b": "BE"}
    filled = await ostium.client.get(
        f"{LOCALIZATION}/de", params={"useRealmDefaultLocaleFallback": "true"}, headers=headers
    )
    assert filled.json() == {"a": "A", "b": "BE"}


async def test_a_json_file_upload_is_accepted(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    response = await ostium.client.post(
        f"{LOCALIZATION}/fr",
        files={"file": ("fr.json", b'{"doLogIn": "Entrer"}', "application/json")},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    assert (await ostium.client.get(f"{LOCALIZATION}/fr/doLogIn", headers=headers)).text == "Entrer"
    broken = await ostium.client.post(
        f"{LOCALIZATION}/fr", files={"file": ("fr.json", b"{", "application/json")}, headers=headers
    )
    assert broken.status_code == 400


async def test_a_text_changes_the_realms_pages_at_once(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    await ostium.client.put(
        TEST,
        json={"internationalizationEnabled": True, "supportedLocales": ["en", "de"]},
        headers=headers,
    )
    await ostium.client.put(f"{LOCALIZATION}/de/doLogIn", content=b"Los geht's", headers=headers)
    page = await ostium.browser().authorize(ui_locales="de")
    assert "Los geht&#39;s" in page.text


async def test_i18n_settings_and_texts_round_trip_through_export_and_import(
    ostium: OstiumUnderTest, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    headers = await admin_headers(ostium)
    settings = {
        "internationalizationEnabled": True,
        "supportedLocales": ["en", "zh-CN", "de"],
        "defaultLocale": "zh-CN",
    }
    assert (await ostium.client.put(TEST, json=settings, headers=headers)).status_code == 204
    await ostium.client.post(f"{LOCALIZATION}/de", json={"k": "v"}, headers=headers)
    realm = (await ostium.client.get(TEST, headers=headers)).json()
    assert {key: realm[key] for key in settings} == settings

    exported = (await ostium.client.post(f"{TEST}/partial-export", headers=headers)).json()
    assert exported["localizationTexts"] == {"de": {"k": "v"}}
    assert {key: exported[key] for key in settings} == settings

    # A Keycloak export with texts imports them, without an "unsupported" warning.
    source = realm_export()
    source.update(settings, localizationTexts={"de": {"loginAccountTitle": "Hallo"}})
    imported = await start_in_process(tmp_path / "second", source)
    try:
        again = await admin_headers(imported)
        texts = await imported.client.get(f"{LOCALIZATION}/de", headers=again)
        assert texts.json() == {"loginAccountTitle": "Hallo"}
        page = await imported.browser().authorize(ui_locales="de")
        assert "Hallo" in page.text
    finally:
        await imported.close()


async def test_an_import_with_bad_texts_is_refused(ostium: OstiumUnderTest) -> None:
    headers = await admin_headers(ostium)
    body = realm_export()
    body.update(realm="other", localizationTexts={"de": {"k": 5}})
    response = await ostium.client.post(ADMIN, json=body, headers=headers)
    assert response.status_code == 400
    assert "localizationTexts" in response.text
