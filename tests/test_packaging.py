"""Packaging and set-up: the entry points, the README's two commands, CI, and the pins."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SHELL_LANGS = {"", "sh", "bash", "shell", "console", "shell-session", "zsh"}
PROMPT_LANGS = {"console", "shell-session"}


def declared_requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project.get("dependencies", [])]
    for extra in project.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def pins() -> dict[str, str]:
    """constraints.txt as {canonical name: version}."""
    found: dict[str, str] = {}
    for raw in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and version, f"constraints.txt: not a 'name==version' pin: {raw!r}"
        found[canonicalize_name(name.strip())] = version.strip()
    return found


def test_console_script_is_declared_and_importable() -> None:
    target = PYPROJECT["project"]["scripts"]["rollminder"]
    assert target == "rollminder.cli:main"
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attr))


def test_python_dash_m_rollminder_help(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env["ROLLMINDER_HOME"] = str(tmp_path / "home")
    proc = subprocess.run(
        [sys.executable, "-m", "rollminder", "--help"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    assert "Traceback" not in proc.stderr


def shell_commands(markdown: str) -> list[str]:
    """The commands of the fenced shell blocks, in order, without prompts and comments.

    In ``console`` blocks only the lines after a ``$`` prompt are commands (the rest is output).
    """
    commands: list[str] = []
    for match in re.finditer(r"^```([\w-]*)[^\n]*\n(.*?)^```", markdown, re.M | re.S):
        lang = match.group(1).lower()
        if lang not in SHELL_LANGS:
            continue
        for raw in match.group(2).splitlines():
            line = raw.strip()
            if line.startswith("$ "):
                line = line[2:]
            elif lang in PROMPT_LANGS:
                continue
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            if line:
                commands.append(" ".join(line.split()))
    return commands


def test_shell_commands_parser() -> None:
    text = (
        "Intro\n```python\nmake lint\n```\n"
        "```sh\n# set up\nmake run    # the app\n```\n"
        "```console\n$ make test\n1 passed\n```\n"
        "```\ncd x \\\n  && ls\n```\n"
    )
    assert shell_commands(text) == ["make run", "make test", "cd x \\", "&& ls"]


def test_readme_starts_with_make_run_then_make_test() -> None:
    path = ROOT / "README.md"
    assert path.exists(), "README.md is missing"
    readme = path.read_text(encoding="utf-8")
    assert shell_commands(readme)[:2] == ["make run", "make test"]


def test_ci_runs_make_test_and_stops_on_failure() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in script.splitlines()]
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    # Plain `make test`: no `|| true`, no narrowed selection, nothing piped that hides its status.
    assert "make test" in lines


def test_makefile_test_target_runs_pytest_without_hiding_failures() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "Makefile has no test target"
    body = recipe.group(1)
    assert "-m pytest" in body
    assert "|| true" not in body and "|| :" not in body
    assert "exit $$rc" in body  # pytest's status (5 when no test ran) is the target's status


def test_every_dependency_is_pinned_within_its_range() -> None:
    pinned = pins()
    assert canonicalize_name("rollminder") not in pinned
    for req in declared_requirements():
        name = canonicalize_name(req.name)
        assert name in pinned, (
            f"{req.name} is declared in pyproject.toml but not in constraints.txt"
        )
        assert req.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {req.name}=={pinned[name]}, outside pyproject's {req.specifier}"
        )


def test_installed_dependencies_match_the_pins() -> None:
    """The suite runs on what constraints.txt pins (a stale venv: `make test` reinstalls)."""
    pinned = pins()
    for req in declared_requirements():
        name = canonicalize_name(req.name)
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{req.name} is declared but not installed: run `make test`")
        assert installed == pinned[name], f"{req.name} {installed} installed, pinned {pinned[name]}"


def test_package_data_ships_every_template_and_static_file() -> None:
    """A wheel holds the web app's files only where package-data's globs name them (setuptools
    matches them like Path.glob from the package folder); a new file type must not be left out."""
    package = ROOT / "src" / "rollminder"
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["rollminder"]
    shipped = {p for pattern in globs for p in package.glob(pattern) if p.is_file()}
    needed = {
        p
        for folder in ("web/templates", "web/static")
        for p in (package / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert needed, "the web app has no templates or static files?"
    assert sorted(str(p.relative_to(package)) for p in needed - shipped) == []
    assert (package / "web" / "templates" / "base.html") in shipped


def test_bench_runner_lists_every_benchmark() -> None:
    """`make bench` starts with this parser: a broken option or module shows here, not after CI."""
    sys.path.insert(0, str(ROOT))
    try:
        benches = importlib.import_module("bench.run").BENCHES
    finally:
        sys.path.remove(str(ROOT))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    assert listed == list(benches)
    assert {"startup", "calendar", "remind", "drift", "web"} <= set(listed)


def test_no_bench_module_shadows_the_standard_library() -> None:
    """bench/calendar.py once hid the standard `calendar` from Apprise inside `make bench`."""
    names = {p.stem for p in (ROOT / "bench").glob("*.py")}
    assert sorted(names & set(sys.stdlib_module_names)) == []


#: What `rollminder next` must not load: each costs start-up time that only other commands need.
HEAVY_FOR_NEXT = (
    "icalendar",
    "apprise",
    "desktop_notifier",
    "starlette",
    "jinja2",
    "uvicorn",
    "rich",
    "rollminder.remind.records",
    "rollminder.web",
    "rollminder.calendar",
    "rollminder.progress",
    "rollminder.transfer",
    "rollminder.guide",
    # ~7 ms: secrets pulls hashlib and random (only the web's token use cases need it)
    "secrets",
)


def test_next_loads_nothing_it_does_not_need(tmp_path: Path) -> None:
    """Start-up time is a feature (docs/benchmarks.md): `next` stays on the lean path."""
    env = {
        **os.environ,
        "ROLLMINDER_HOME": str(tmp_path / "home"),
        "ROLLMINDER_NOW": "2026-11-25T10:00+01:00",
    }
    setup = [sys.executable, "-m", "rollminder", "setup", "--needle", "0.25", "--yes"]
    assert subprocess.run(setup, env=env, capture_output=True, timeout=120).returncode == 0
    code = (
        "import sys\n"
        "from rollminder.cli import main\n"
        "assert main(['next']) == 0\n"
        f"print('LOADED:', *[m for m in {HEAVY_FOR_NEXT!r} if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Next session" in done.stdout
    loaded = done.stdout.rsplit("LOADED:", 1)[1].split()
    assert loaded == [], f"`rollminder next` loaded {loaded}"
