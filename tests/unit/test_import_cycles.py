"""No module of ostium imports a module that imports it, directly or through others.

A cycle makes the import order matter and hides which layer depends on which (the SQL
repositories and the storage that binds them once imported each other). Every import
statement counts, including those under `if TYPE_CHECKING:` and inside functions: a cycle
that only type checking sees is still a knot in the structure."""

from __future__ import annotations

import ast
from pathlib import Path

import ostium

PACKAGE_ROOT = Path(ostium.__file__).parent


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__)."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path, is_package)
    return modules


def _import_graph(root: Path) -> dict[str, set[str]]:
    """Each module -> the ostium modules its import statements name (`from a import b`
    names `a.b` when that is a module, else `a`)."""
    modules = _modules(root)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*parts, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    if submodule in modules:
                        imported.add(submodule)
                    elif target in modules:
                        imported.add(target)
        imported.discard(name)
        graph[name] = imported
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that ends where it starts) per back edge a depth-first walk meets."""
    found: list[list[str]] = []
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> None:
        path.append(module)
        on_path.add(module)
        for imported in sorted(graph[module]):
            if imported in on_path:
                found.append([*path[path.index(imported) :], imported])
            elif imported not in done:
                visit(imported)
        on_path.discard(module)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    return found


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "storage.py").write_text("from pkg.sub.repositories import Repo\n")
    (package / "sub" / "repositories.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import storage\n"
    )
    (package / "leaf.py").write_text("from .sub import storage\n")

    assert _cycles(_import_graph(package)) == [
        ["pkg.sub.storage", "pkg.sub.repositories", "pkg.sub.storage"]
    ]


def test_the_storage_package_imports_its_parts_one_way() -> None:
    graph = _import_graph(PACKAGE_ROOT)

    assert "ostium.storage.sql.storage" not in set().union(
        *(graph[m] for m in graph if m.startswith("ostium.storage.sql.repositories"))
    )
    assert "ostium.storage.sql.repositories.users" in graph["ostium.storage.sql.storage"]


def test_no_module_of_ostium_imports_its_importer() -> None:
    assert _cycles(_import_graph(PACKAGE_ROOT)) == []
