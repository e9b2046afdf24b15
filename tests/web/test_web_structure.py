"""The web face's own shape, on top of tests/test_architecture.py (no cycle, no store, 500 lines
for all of src/): ``web/app.py`` only builds the app, so no web module imports it (route modules
take their toolbox from ``web/kit.py``); every web module stays under ~400 lines; and each imports
alone in a fresh interpreter (an import-order dependence shows up here, not in production).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import rollminder.web

WEB = Path(rollminder.web.__file__).parent
PACKAGE = "rollminder.web"
MAX_LINES = 400


def module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


MODULES = {module_name(p): p for p in sorted(WEB.glob("*.py"))}


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (in functions, under TYPE_CHECKING): ``from a
    import b`` counts as ``a.b`` when that is a web module, and as ``a`` too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative (web/ uses none today): resolve against web/
                assert node.level == 1, f"{path}: import from above web/"
                module = f"{PACKAGE}.{module}" if module else PACKAGE
            found.add(module)
            found.update(
                f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES
            )
    return found


def test_the_walk_sees_the_routes_and_the_toolbox() -> None:
    assert {"rollminder.web.app", "rollminder.web.kit", "rollminder.web.pages"} <= set(MODULES)
    assert "rollminder.web.pages" in imported(MODULES["rollminder.web.app"])
    assert "rollminder.web.kit" in imported(MODULES["rollminder.web.pages"])


def test_no_web_module_imports_app() -> None:
    importers = sorted(
        name
        for name, path in MODULES.items()
        if name != "rollminder.web.app" and "rollminder.web.app" in imported(path)
    )
    assert importers == [], f"{importers} import web/app.py: take the toolbox from web/kit.py"


def test_every_web_module_is_under_400_lines() -> None:
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in MODULES.items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_web_module_imports_alone_in_a_fresh_interpreter(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
