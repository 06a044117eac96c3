"""No option that does nothing: every declared option is read by the code it configures, or
refused by name as not supported yet.

A static scan: an option is read when a module of ``src/ostium`` outside the declarations
(the ``options_*`` areas, the registry, ``--help``, the refusal list) names its attribute
(``config.http_port``) or its name (``option_named("http-port")``, ``source_of(...)``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ostium
from ostium.config import OPTIONS, Option
from ostium.config.declare import option
from ostium.config.registry import AREAS, build_options
from ostium.config.unsupported import NOT_SUPPORTED_YET

PACKAGE = Path(ostium.__file__).parent
# Where options are declared, described or listed as refused: naming one there reads nothing.
DECLARING = {"declare.py", "registry.py", "help.py", "unsupported.py"}


def _readers() -> list[Path]:
    paths = []
    for path in sorted(PACKAGE.rglob("*.py")):
        in_config = path.parent == PACKAGE / "config"
        if in_config and (path.name in DECLARING or path.name.startswith("options_")):
            continue
        paths.append(path)
    return paths


def _names_used(paths: Iterable[Path]) -> set[str]:
    """Attribute names and string constants: what code uses to read an option."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
    return names


def unread_options(options: Iterable[Option], used: set[str]) -> list[str]:
    """The options that nothing reads and that are not refused as not supported yet."""
    return [
        opt.name
        for opt in options
        if opt.attribute not in used and opt.name not in used and opt.name not in NOT_SUPPORTED_YET
    ]


def test_a_declared_option_that_nothing_reads_is_found() -> None:
    @dataclass(frozen=True)
    class TemporaryOptions:
        frobnicate_level: int = field(
            default=1, metadata=option(category="Test", description="Read by nothing.")
        )

    options = build_options((*AREAS, TemporaryOptions))

    assert unread_options(options, _names_used(_readers())) == ["frobnicate-level"]


def test_an_option_only_the_refusal_list_names_counts_as_refused() -> None:
    refused = [opt for opt in OPTIONS if opt.name in NOT_SUPPORTED_YET]

    assert {opt.name for opt in refused} == set(NOT_SUPPORTED_YET)
    assert unread_options(refused, used=set()) == []


def test_every_option_is_read_or_refused() -> None:
    assert unread_options(OPTIONS, _names_used(_readers())) == []
