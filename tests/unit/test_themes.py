"""The themes folder: Java properties, the parent chain, paths that leave the folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ostium.locales import translate
from ostium.themes import BUILTIN, PropertiesError, ThemeFolder, parse_properties


def _theme(folder: Path, name: str, properties: str, type: str = "login") -> Path:
    root = folder / name / type
    root.mkdir(parents=True)
    (root / "theme.properties").write_text(properties, encoding="utf-8")
    return root


# --- properties ------------------------------------------------------------------------


def test_properties_comments_separators_and_blanks() -> None:
    text = "# comment\n! also\n\na=1\nb : 2\nc 3\n  d=  spaced  \ne=\n"
    assert parse_properties(text) == {"a": "1", "b": "2", "c": "3", "d": "spaced  ", "e": ""}


def test_properties_unicode_escapes_and_utf8() -> None:
    raw = "loginTitle=\\u767b\\u5f55 {0}\nplain=直接\nemoji=\\ud83d\\ude00\n".encode()
    assert parse_properties(raw) == {"loginTitle": "登录 {0}", "plain": "直接", "emoji": "😀"}


def test_properties_continuation_and_escaped_separators() -> None:
    text = "long=one \\\n    two\nkey\\=with\\:colon=v\\tx\\\\\n"
    assert parse_properties(text) == {"long": "one two", "key=with:colon": "v\tx\\"}


def test_properties_latin1_file_and_bom() -> None:
    assert parse_properties("k=caf\xe9\n".encode("iso-8859-1")) == {"k": "café"}
    assert parse_properties("\ufeffk=v") == {"k": "v"}


def test_properties_malformed_unicode_escape_is_refused() -> None:
    with pytest.raises(PropertiesError):
        parse_properties("k=\\u12G4")


# --- the chain -------------------------------------------------------------------------


def test_without_a_folder_only_the_builtin_theme_exists() -> None:
    themes = ThemeFolder(None)
    assert themes.names("login") == [BUILTIN]
    assert themes.get("login", None).name == BUILTIN
    assert themes.get("login", None).styles == ["ostium.css"]


@pytest.mark.parametrize("alias", ["keycloak", "keycloak.v2", "base", "ostium"])
def test_keycloak_names_are_the_builtin_theme(alias: str, tmp_path: Path) -> None:
    assert ThemeFolder(tmp_path).get("login", alias).name == BUILTIN


def test_parent_chain_merges_properties_messages_and_templates(tmp_path: Path) -> None:
    base = _theme(tmp_path, "corp", "styles=ostium.css css/corp.css\nlogo=corp.svg\n")
    (base / "messages").mkdir()
    (base / "messages" / "messages_en.properties").write_text("doLogIn=Enter\nusername=ID\n")
    (base / "messages" / "messages_zh_CN.properties").write_text("doLogIn=\\u8fdb\\u5165\n")
    (base / "error.html").write_text("corp error")
    child = _theme(tmp_path, "team", "parent=corp\nlogo=team.svg\n")
    (child / "messages").mkdir()
    (child / "messages" / "messages_en.properties").write_text("doLogIn=Go\n")

    theme = ThemeFolder(tmp_path).get("login", "team")
    assert [t.name for t in theme.chain] == ["team", "corp"]
    assert theme.styles == ["ostium.css", "css/corp.css"]
    assert theme.properties["logo"] == "team.svg"
    assert theme.messages["en"] == {"doLogIn": "Go", "username": "ID"}
    assert theme.messages["zh-CN"] == {"doLogIn": "进入"}
    assert translate("en", "doLogIn", theme_texts=theme.messages) == "Go"
    assert translate("zh-CN", "doLogIn", theme_texts=theme.messages) == "进入"
    # A realm's own text still wins over the theme (Keycloak's order).
    realm = {"en": {"doLogIn": "Realm"}}
    assert translate("en", "doLogIn", realm_texts=realm, theme_texts=theme.messages) == "Realm"
    # Templates: the parent's overrides the built-in one; the rest stay built-in.
    assert theme.environment.get_template("error.html").render() == "corp error"
    assert theme.template_file("base.html") is not None


def test_unknown_theme_falls_back_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    themes = ThemeFolder(tmp_path)
    with caplog.at_level(logging.WARNING, "ostium.themes"):
        assert themes.get("login", "nope").name == BUILTIN
        assert themes.get("login", "nope").name == BUILTIN
    assert [r.getMessage() for r in caplog.records] == [
        "Login theme 'nope': there is no such theme; the built-in theme is used"
    ]


def test_missing_parent_and_loops_end_at_the_builtin_theme(tmp_path: Path) -> None:
    _theme(tmp_path, "orphan", "parent=gone\n")
    _theme(tmp_path, "a", "parent=b\n")
    _theme(tmp_path, "b", "parent=a\n")
    themes = ThemeFolder(tmp_path)
    assert [t.name for t in themes.get("login", "orphan").chain] == ["orphan"]
    assert [t.name for t in themes.get("login", "a").chain] == ["a", "b"]


def test_a_theme_without_theme_properties_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "bare" / "login").mkdir(parents=True)
    assert ThemeFolder(tmp_path).find("login", "bare") is None
    assert ThemeFolder(tmp_path).find("account", "bare") is None  # not an applied type


# --- paths -----------------------------------------------------------------------------


def test_resources_never_leave_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "themes"
    root = _theme(folder, "corp", "")
    (root / "resources" / "css").mkdir(parents=True)
    (root / "resources" / "css" / "corp.css").write_text("body{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "resources" / "leak.txt").symlink_to(secret)
    (root / "resources" / "dir").symlink_to(tmp_path)
    theme = ThemeFolder(folder).get("login", "corp")
    assert theme.resource("css/corp.css") is not None
    assert theme.resource("ostium.css") is not None  # the built-in one, through the chain
    assert theme.resource("css/login.css") is not None  # Keycloak's name for it
    for path in (
        "../theme.properties",
        "css/../../theme.properties",
        "/etc/passwd",
        "leak.txt",
        "dir/secret.txt",
        "css\\corp.css",
        ".hidden",
        "",
        "css/",
    ):
        assert theme.resource(path) is None, path


def test_templates_never_leave_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "themes"
    root = _theme(folder, "corp", "")
    (tmp_path / "outside.html").write_text("outside")
    (root / "login.html").symlink_to(tmp_path / "outside.html")
    theme = ThemeFolder(folder).get("login", "corp")
    # The link out is ignored: the built-in login page is found instead.
    found = theme.template_file("login.html")
    assert found is not None and found.name == "login.html" and found.parent.name == "templates"
    assert theme.template_file("../outside.html") is None


def test_version_changes_with_a_resource_only_when_not_cached(tmp_path: Path) -> None:
    root = _theme(tmp_path, "corp", "")
    (root / "resources").mkdir()
    css = root / "resources" / "corp.css"
    css.write_text("a{}")
    live = ThemeFolder(tmp_path, cache_themes=False)
    cached = ThemeFolder(tmp_path)
    before, cached_before = live.get("login", "corp").version, cached.get("login", "corp").version
    assert before == cached_before
    assert before != live.get("login", BUILTIN).version
    assert live.get("login", "corp") is live.get("login", "corp")  # unchanged: not rebuilt
    css.write_text("changed{}")
    assert live.get("login", "corp").version != before
    assert cached.get("login", "corp").version == before


def test_preload_reads_every_theme_and_logs_a_broken_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _theme(tmp_path, "corp", "styles=ostium.css\n")
    _theme(tmp_path, "mail", "", type="email")
    _theme(tmp_path, "broken", "title=\\uZZZZ\n")
    with caplog.at_level(logging.WARNING, "ostium.themes"):
        assert ThemeFolder(tmp_path).preload() == ["corp", "mail"]
    (record,) = caplog.records
    assert "broken" in record.getMessage() and "malformed" in record.getMessage()


def test_an_email_theme_overrides_its_templates(tmp_path: Path) -> None:
    """The seam the e-mail part uses: `Pages.theme(realm.email_theme, "email")`."""
    from ostium.web.pages import Pages

    root = _theme(tmp_path, "mail", "", type="email")
    (root / "messages").mkdir()
    (root / "messages" / "messages_en.properties").write_text("emailGreeting=Hello from Mail\n")
    (root / "greeting.txt").write_text("{{ msg('emailGreeting') }} ({{ locale }})")
    pages = Pages(ThemeFolder(tmp_path))
    theme = pages.theme("mail", "email")
    assert theme.type == "email" and theme.name == "mail"
    assert pages.render("greeting.txt", locale="en", theme=theme) == "Hello from Mail (en)"
    assert pages.theme("mail", "login").name == BUILTIN  # not a login theme


def test_realm_theme_names_are_imported_and_represented() -> None:
    from ostium.admin.representations import realm_representation
    from ostium.domain import Realm
    from ostium.services.realm_import import apply_realm

    realm = Realm(id="r", name="r")
    assert "loginTheme" not in realm_representation(realm)  # unset: left out, as Keycloak
    apply_realm(realm, {"loginTheme": "corp", "emailTheme": "mail", "accountTheme": "keycloak.v3"})
    body = realm_representation(realm)
    assert (body["loginTheme"], body["emailTheme"], body["accountTheme"]) == (
        "corp",
        "mail",
        "keycloak.v3",
    )


def test_the_realm_email_theme_rewords_and_rewrites_mail(tmp_path: Path) -> None:
    """Keycloak's e-mail layout: `html/<name>.html`, `text/<name>.txt`, messages by key."""
    from ostium.domain import Realm
    from ostium.services.mail import MailTemplates
    from ostium.web.pages import Pages

    root = _theme(tmp_path, "mail", "parent=keycloak\n", type="email")
    (root / "messages").mkdir()
    (root / "messages" / "messages_en.properties").write_text(
        "emailTestSubject=Acme check of {0}\nemailTestBody=Hello & welcome to {0}\n"
    )
    (root / "text").mkdir()
    (root / "text" / "email-test.txt").write_text("ACME: {{ msg('emailTestBody', realm_name) }}")
    pages = Pages(ThemeFolder(tmp_path))
    templates = MailTemplates(pages.translator, pages.themes)
    realm = Realm(id="r", name="acme")
    plain = templates.render(
        "email-test",
        subject_key="emailTestSubject",
        realm=realm,
        user=None,
        recipient="a@example.com",
    )
    realm.email_theme = "mail"
    themed = templates.render(
        "email-test",
        subject_key="emailTestSubject",
        realm=realm,
        user=None,
        recipient="a@example.com",
    )
    assert themed.subject == "Acme check of acme"
    assert themed.text == "ACME: Hello & welcome to acme"  # text is never HTML-escaped
    assert "Hello &amp; welcome to acme" in themed.html  # the built-in HTML, the theme's words
    assert plain.subject != themed.subject and "ACME:" not in plain.text
