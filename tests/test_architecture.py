"""The shape of the code, checked (issue #10, docs/architecture.md):

- no import cycle anywhere in ``src/rollminder`` (imports inside functions count: they run too;
  imports under ``if TYPE_CHECKING:`` do not, they never run);
- the faces (the CLI, the web app, the terminal session) never import the store, not even for a
  type, and never reach through the facade to ``.store``;
- no module passes 500 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import rollminder

SRC = Path(rollminder.__file__).parent
MAX_LINES = 500
FACES = ("rollminder.cli", "rollminder.web", "rollminder.term")


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports(name: str, *, type_only_too: bool) -> Iterator[str]:
    """The rollminder modules ``name`` imports (a submodule named in ``from X import y`` counts
    as ``X.y``)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))

    def walk(node: ast.AST) -> Iterator[ast.AST]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test) and not type_only_too:
                yield from (n for orelse in child.orelse for n in [orelse, *walk(orelse)])
                continue
            yield child
            yield from walk(child)

    for node in walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rollminder"):
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, node)
            if not base.startswith("rollminder"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in MODULES else base


def graph(*, type_only_too: bool = False) -> dict[str, set[str]]:
    return {
        name: {m for m in imports(name, type_only_too=type_only_too) if m in MODULES and m != name}
        for name in MODULES
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_imports_and_cycles() -> None:
    """The checker itself: it finds a known edge, and a cycle when there is one."""
    edges = graph()
    assert "rollminder.usecases.base" in edges["rollminder.service"] or any(
        m.startswith("rollminder.usecases") for m in edges["rollminder.service"]
    )
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


@pytest.mark.parametrize("face", FACES)
def test_faces_never_import_the_store(face: str) -> None:
    offenders = {
        name: sorted(
            m for m in imports(name, type_only_too=True) if m.startswith("rollminder.store")
        )
        for name in MODULES
        if name == face or name.startswith(face + ".")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("face", FACES)
def test_faces_never_touch_the_store_through_the_facade(face: str) -> None:
    touched = []
    for name, path in MODULES.items():
        if name == face or name.startswith(face + "."):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            touched += [
                f"{name}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and node.attr == "store"
            ]
    assert touched == []


def test_no_module_passes_500_lines() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
