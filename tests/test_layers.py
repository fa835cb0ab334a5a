"""The layers of docs/architecture.md, read from the source: pages over services over the rules
over the models. A change that crosses them fails here, before review has to spot it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = ["lib/models.py", "lib/rules.py", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "lib" / "rulebook").glob("*.py"))]
# What the pure domain may import: the standard library, and itself.
PURE_LIB = {"lib", "lib.models", "lib.rules"}


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; `from lib import x` counts as lib.x)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "lib":
                names |= {f"lib.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("file", PURE)
def test_the_domain_is_pure(file: str) -> None:
    outside = {
        name for name in imports_of(ROOT / file)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name not in PURE_LIB and not name.startswith("lib.rulebook")
        and name != "__future__"
    }
    assert not outside, f"{file} imports {sorted(outside)}: the rules do no I/O"


@pytest.mark.parametrize("file", sorted(p.name for p in (ROOT / "pages").glob("*.py")))
def test_pages_never_talk_to_the_database(file: str) -> None:
    path = ROOT / "pages" / file
    forbidden = {n for n in imports_of(path) if n.split(".")[0] == "duckdb" or n == "lib.db"}
    forbidden -= {"lib.db"} if _only_errors_from_db(path) else set()
    assert not forbidden, f"pages/{file} imports {sorted(forbidden)}: go through a service"
    source = path.read_text()
    for call in (".execute(", ".sql(", ".query(", ".value(", ".write("):
        assert f"db{call}" not in source, f"pages/{file} runs SQL ({call})"


def _only_errors_from_db(path: Path) -> bool:
    """A page may import lib.db's exceptions (NotFound, ConcurrentEditError) to show them, and
    its clock (utcnow), but not the store."""
    allowed = ("Error", "NotFound", "Locked", "Database", "utcnow")
    return all(
        alias.name.endswith(allowed)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "lib.db"
        for alias in node.names
    )


def test_lib_has_no_import_cycles() -> None:
    graph = {
        f"lib.{p.stem}" if p.parent.name == "lib" else f"lib.{p.parent.name}.{p.stem}":
            {n for n in imports_of(p) if n.startswith("lib.")}
        for p in (ROOT / "lib").rglob("*.py") if "migrations" not in p.parts
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done or module not in graph:
            return
        assert module not in visiting, " -> ".join([*visiting, module])
        visiting.append(module)
        for imported in graph[module]:
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)
