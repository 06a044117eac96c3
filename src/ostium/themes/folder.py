"""The themes of the themes folder, in Keycloak's layout, and the built-in theme.

Keycloak's `FolderThemeProvider` reads `<dir>/<theme>/<type>/theme.properties`; Ostium
reads the same folder (`<data-dir>/themes`, moved with `--spi-theme-folder-dir`):

    <theme>/login/theme.properties        parent=, styles=, import=, locales=
    <theme>/login/*.html                  Jinja2 templates (Keycloak's are FreeMarker .ftl,
                                          which Ostium does not read) overriding the built-in
                                          ones by file name
    <theme>/login/messages/messages_<locale>.properties
                                          messages overriding the catalogue's by key
    <theme>/login/resources/…             css/, img/, js/: served under
                                          /resources/<version>/login/<theme>/…

`email` is the other applied type, laid out the same way. A theme's properties, templates,
messages and resources are looked up in the theme, then its `parent=` chain, then the
built-in theme, which is named `ostium`; `keycloak`, `keycloak.v2` and `base` (the names a
Keycloak export carries) are other names of it. Nothing outside the folder is ever read: a
path that leaves it, also through a symbolic link, is treated as absent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound, select_autoescape

from ostium.themes.properties import PropertiesError, parse_properties

__all__ = [
    "BUILTIN",
    "BUILTIN_ALIASES",
    "THEME_TYPES",
    "ResolvedTheme",
    "Theme",
    "ThemeFolder",
    "safe_path",
]

log = logging.getLogger("ostium.themes")

BUILTIN = "ostium"
BUILTIN_ALIASES = frozenset({"keycloak", "keycloak.v2", "base"})
# The theme types whose pages Ostium renders; accountTheme and adminTheme are stored on the
# realm only.
THEME_TYPES = ("login", "email")

_PACKAGE = Path(__file__).resolve().parent.parent
BUILTIN_TEMPLATES = _PACKAGE / "templates"
BUILTIN_RESOURCES = _PACKAGE / "static"
BUILTIN_PROPERTIES: Mapping[str, str] = {"styles": "ostium.css"}
# A theme ported from Keycloak links `css/login.css` (keycloak's stylesheet): the built-in
# one answers to that name too.
_BUILTIN_RESOURCE_NAMES = {"css/login.css": "ostium.css"}
# Keycloak's newer file names for the two Chinese catalogues.
_LOCALE_NAMES = {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}
_MAX_FILE = 4 * 1024 * 1024


def safe_path(root: Path, relative: str, boundary: Path) -> Path | None:
    """`root/relative` if it is a file inside `boundary` once links are followed; None for
    `..`, absolute paths, backslashes, NUL, hidden segments or a link out of the folder."""
    if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(boundary) or not resolved.is_file():
        return None
    return resolved


@dataclass(frozen=True)
class Theme:
    """One theme of one type as found on disk: `root` is `<folder>/<name>/<type>`."""

    name: str
    type: str
    root: Path
    properties: Mapping[str, str]
    messages: Mapping[str, Mapping[str, str]]  # locale tag (`zh-CN`) → key → text

    @property
    def parent(self) -> str | None:
        return self.properties.get("parent", "").strip() or None


@dataclass
class ResolvedTheme:
    """A theme with its parent chain (most specific first; the built-in theme is implied
    last): what a page is rendered with and what `/resources/…` serves."""

    name: str
    type: str
    chain: tuple[Theme, ...]
    boundary: Path | None  # the themes folder, resolved: nothing outside it is read
    auto_reload: bool = False
    properties: dict[str, str] = field(init=False)
    messages: dict[str, dict[str, str]] = field(init=False)
    version: str = field(init=False)
    environment: Environment = field(init=False)

    def __post_init__(self) -> None:
        # Keycloak's ExtendingTheme: the parents' properties, each overridden by its child.
        properties = dict(BUILTIN_PROPERTIES)
        for theme in reversed(self.chain):
            properties.update(theme.properties)
        properties.pop("parent", None)
        self.properties = properties
        messages: dict[str, dict[str, str]] = {}
        for theme in reversed(self.chain):
            for locale, texts in theme.messages.items():
                messages.setdefault(locale, {}).update(texts)
        self.messages = messages
        self.version = self._version()
        self.environment = Environment(
            loader=_ChainLoader(self),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            auto_reload=self.auto_reload,
        )

    @property
    def styles(self) -> list[str]:
        """The stylesheets every page links (`styles=` in theme.properties, space-separated)."""
        return self.properties.get("styles", "").split()

    def _template_roots(self) -> Iterator[tuple[Path, Path]]:
        for theme in self.chain:
            if self.boundary is not None:
                yield theme.root, self.boundary
        yield BUILTIN_TEMPLATES, BUILTIN_TEMPLATES

    def _resource_roots(self) -> Iterator[tuple[Path, Path]]:
        for theme in self.chain:
            if self.boundary is not None:
                yield theme.root / "resources", self.boundary
        yield BUILTIN_RESOURCES, BUILTIN_RESOURCES

    def template_file(self, name: str) -> Path | None:
        """The first theme of the chain that has the template `name` (`login.html`). An
        e-mail theme keeps Keycloak's layout: the built-in `email/x.html` and `email/x.txt`
        are a folder theme's `html/x.html` and `text/x.txt`."""
        for root, boundary in self._template_roots():
            own = name
            if root != BUILTIN_TEMPLATES and self.type == "email":
                own = _email_name(name)
            found = safe_path(root, own, boundary)
            if found is not None:
                return found
        return None

    def resource(self, path: str) -> Path | None:
        """The file `/resources/<version>/<type>/<name>/<path>` serves, or None (404)."""
        for root, boundary in self._resource_roots():
            if root == BUILTIN_RESOURCES:
                path = _BUILTIN_RESOURCE_NAMES.get(path, path)
            found = safe_path(root, path, boundary)
            if found is not None:
                return found
        return None

    def _version(self) -> str:
        """A short hash of every resource the chain serves: a changed file gives a new
        version in the pages' URLs, so a browser's month-long cache never serves it stale."""
        digest = hashlib.sha256(f"{self.type}/{self.name}".encode())
        for root, boundary in self._resource_roots():
            if not root.is_dir():
                continue
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                relative = file.relative_to(root).as_posix()
                if safe_path(root, relative, boundary) is None:
                    continue
                digest.update(relative.encode() + b"\0")
                digest.update(hashlib.sha256(file.read_bytes()).digest())
        return digest.hexdigest()[:10]


def _email_name(name: str) -> str:
    """`email/x.html` → `html/x.html`, `email/x.txt` → `text/x.txt` (Keycloak's e-mail
    theme folders); other names are themselves."""
    folder, _, file = name.partition("/")
    if folder == "email" and file.endswith(".html"):
        return f"html/{file}"
    if folder == "email" and file.endswith(".txt"):
        return f"text/{file}"
    return name


class _ChainLoader(BaseLoader):
    """Templates through the theme's chain, then the built-in ones: a theme's `login.html`
    that says `{% extends "base.html" %}` gets its own base.html if it has one, else the
    parent's, else the built-in one."""

    def __init__(self, theme: ResolvedTheme) -> None:
        self.theme = theme

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        found = self.theme.template_file(template)
        if found is None:
            raise TemplateNotFound(template)
        mtime = found.stat().st_mtime
        source = found.read_text(encoding="utf-8")

        def uptodate() -> bool:
            try:
                return found.stat().st_mtime == mtime
            except OSError:
                return False

        return source, str(found), uptodate


def _locale_of(file_name: str) -> str | None:
    stem = file_name.removeprefix("messages_").removesuffix(".properties")
    if not file_name.startswith("messages_") or not file_name.endswith(".properties") or not stem:
        return None
    tag = stem.replace("_", "-")
    return _LOCALE_NAMES.get(tag, tag)


def _read_properties(
    path: Path, boundary: Path, warn: Callable[[str], None]
) -> dict[str, str] | None:
    """A properties file of the folder, or None (and a warning) when it cannot be read."""
    relative = path.relative_to(boundary).as_posix()
    safe = safe_path(boundary, relative, boundary)
    if safe is None or safe.stat().st_size > _MAX_FILE:
        warn(f"Theme file {path} skipped: missing, too large or outside the themes folder")
        return None
    try:
        return parse_properties(safe.read_bytes())
    except (OSError, PropertiesError) as exc:
        warn(f"Theme file {path} skipped: {exc}")
        return None


def _load_theme(folder: Path, name: str, type: str, warn: Callable[[str], None]) -> Theme | None:
    root = folder / name / type
    properties = _read_properties(root / "theme.properties", folder, warn)
    if properties is None:
        return None
    messages: dict[str, dict[str, str]] = {}
    message_dir = root / "messages"
    if message_dir.is_dir():
        for file in sorted(message_dir.iterdir()):
            locale = _locale_of(file.name)
            if locale is None:
                continue
            texts = _read_properties(file, folder, warn)
            if texts is not None:
                messages.setdefault(locale, {}).update(texts)
    return Theme(name=name, type=type, root=root, properties=properties, messages=messages)


class ThemeFolder:
    """The themes of one folder (None: the built-in theme alone). With `cache_themes` off
    (Keycloak's `--spi-theme-cache-themes=false`, `start-dev`'s default) every lookup reads
    the folder again; with `cache_templates` off a changed template is re-read."""

    def __init__(
        self,
        folder: Path | None,
        *,
        cache_themes: bool = True,
        cache_templates: bool = True,
    ) -> None:
        self.folder = folder
        self.cache_themes = cache_themes
        self.cache_templates = cache_templates
        self._resolved: dict[tuple[str, str], ResolvedTheme] = {}
        self._fingerprints: dict[tuple[str, str], tuple[tuple[str, int, int], ...]] = {}
        self._warned: set[tuple[str, str]] = set()
        self._warned_files: set[str] = set()
        self._boundary: Path | None = None
        if folder is not None and folder.is_dir():
            self._boundary = folder.resolve()

    def _scan(self, type: str) -> dict[str, Theme]:
        boundary = self._boundary
        if boundary is None and self.folder is not None and self.folder.is_dir():
            boundary = self._boundary = self.folder.resolve()
        if boundary is None:
            return {}
        themes: dict[str, Theme] = {}
        for entry in sorted(boundary.iterdir()):
            name = entry.name
            if name.startswith(".") or name == BUILTIN or name in BUILTIN_ALIASES:
                continue
            if not (entry / type / "theme.properties").is_file():
                continue
            theme = _load_theme(boundary, name, type, self._warn_file)
            if theme is not None:
                themes[name] = theme
        return themes

    def preload(self) -> list[str]:
        """Read every theme now (at start-up), so a broken file is logged when the server
        starts rather than at the first page; returns the names found."""
        found: list[str] = []
        for type in THEME_TYPES:
            for name in self._scan(type):
                if self.find(type, name) is not None and name not in found:
                    found.append(name)
        return found

    def names(self, type: str) -> list[str]:
        """The built-in theme and the folder's themes of `type` (serverinfo lists them)."""
        return [BUILTIN, *self._scan(type)]

    def _resolve(self, type: str, name: str) -> ResolvedTheme | None:
        if name == BUILTIN or name in BUILTIN_ALIASES:
            return ResolvedTheme(BUILTIN, type, (), None, not self.cache_templates)
        themes = self._scan(type)
        if name not in themes:
            return None
        chain: list[Theme] = []
        current: str | None = name
        while current is not None and current != BUILTIN and current not in BUILTIN_ALIASES:
            theme = themes.get(current)
            if theme is None:
                self._warn_once(type, current, "its parent theme does not exist")
                break
            if theme in chain:
                self._warn_once(type, current, "its parent chain loops")
                break
            chain.append(theme)
            current = theme.parent
        return ResolvedTheme(name, type, tuple(chain), self._boundary, not self.cache_templates)

    def _fingerprint(self, type: str) -> tuple[tuple[str, int, int], ...]:
        """Every file of the folder's themes of `type`, with its size and modification
        time: what an uncached lookup compares to know whether anything changed."""
        boundary = self._boundary
        if boundary is None:
            if self.folder is None or not self.folder.is_dir():
                return ()
            boundary = self._boundary = self.folder.resolve()
        found: list[tuple[str, int, int]] = []
        for entry in boundary.iterdir():
            root = entry / type
            if not root.is_dir():
                continue
            for file in root.rglob("*"):
                try:
                    stat = file.stat()
                except OSError:
                    continue
                found.append((str(file), stat.st_mtime_ns, stat.st_size))
        return tuple(sorted(found))

    def find(self, type: str, name: str) -> ResolvedTheme | None:
        """The theme `name` of `type`, or None when there is none (the resources route's 404).
        Uncached (`cache_themes` off), the folder is looked at again on every call and the
        theme rebuilt when a file of it changed; the built-in theme never changes."""
        if type not in THEME_TYPES:
            return None
        if name in BUILTIN_ALIASES:
            name = BUILTIN
        key = (type, name)
        fingerprint = () if self.cache_themes or name == BUILTIN else self._fingerprint(type)
        cached = self._resolved.get(key)
        if cached is not None and self._fingerprints.get(key) == fingerprint:
            return cached
        resolved = self._resolve(type, name)
        if resolved is not None:
            self._resolved[key] = resolved
            self._fingerprints[key] = fingerprint
        return resolved

    def get(self, type: str, name: str | None) -> ResolvedTheme:
        """The theme a page is rendered with: `name` (a realm's loginTheme, a client's
        login_theme), or the built-in theme when unset or unknown — an unknown name is
        logged once, as Keycloak falls back to its default theme."""
        if name:
            found = self.find(type, name)
            if found is not None:
                return found
            self._warn_once(type, name, "there is no such theme; the built-in theme is used")
        found = self.find(type, BUILTIN)
        assert found is not None
        return found

    def _warn_file(self, message: str) -> None:
        """A file that cannot be read is logged once, not on every page that looks."""
        if message not in self._warned_files:
            self._warned_files.add(message)
            log.warning("%s", message)

    def _warn_once(self, type: str, name: str, why: str) -> None:
        if (type, name) not in self._warned:
            self._warned.add((type, name))
            log.warning("%s theme '%s': %s", type.capitalize(), name, why)
