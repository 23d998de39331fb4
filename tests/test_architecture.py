"""The shape docs/architecture.md promises: the layers of pyproject.toml hold (import-linter), few
modules loose, short modules and functions, no function-local imports, and no kind or source name
compared outside its registry."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from csp.kinds import KINDS

PACKAGE = Path(__file__).resolve().parents[1] / "csp"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
MAX_CLI_LINES = 250  # argument parsing and dispatch; each command's work is in its wing


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return found


LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_the_layers_declared_in_pyproject_hold() -> None:
    """import-linter checks the contracts of pyproject.toml: the layers from the command line down,
    no import circle among wings or modules (type-only imports included), the shared leaves and the
    statistics importing no wing, csp init reading no plan, the light answers no heavy library."""
    if not LINT_IMPORTS.exists():
        pytest.fail("lint-imports is not installed: `make install` installs it")
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_wing_is_in_the_layers() -> None:
    """A new wing is given its place: every subpackage of csp/ is one of the layers' modules."""
    settings = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = settings["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    declared = {name.strip() for line in layers for name in line.split("|")}
    wings = {f"csp.{path.parent.name}" for path in PACKAGE.glob("*/__init__.py")}
    assert wings <= declared


def test_few_modules_stay_loose() -> None:
    """The folder tree is the architecture: what stays loose in csp/ is the command line and the
    few leaves every wing shares."""
    loose = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert len(loose) <= 12, sorted(loose)
    assert len(list(PACKAGE.glob("*/__init__.py"))) >= 5


def test_no_module_over_five_hundred_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
    assert len((PACKAGE / "cli.py").read_text(encoding="utf-8").splitlines()) <= MAX_CLI_LINES


def functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


# The command line, and the commands of the wings it hands them to, check their arguments before they
# import the pipeline, so that a typo is answered at once: the only deferred imports, and not there to
# dodge a circle.
DEFERRED_IMPORTS = {"csp.cli", "csp.run.command", "csp.many.plans", "csp.init.command"}


def test_no_function_local_import_of_csp() -> None:
    local = [
        f"{name}.{function.name}"
        for name, tree in modules().items()
        if name not in DEFERRED_IMPORTS
        for function in functions(tree)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            (alias.name if isinstance(node, ast.Import) else node.module or "").startswith("csp")
            for alias in node.names
        )
    ]
    assert local == []


def test_no_function_over_sixty_lines() -> None:
    long = [
        f"{name}.{function.name}: {function.end_lineno - function.lineno + 1} lines"
        for name, tree in modules().items()
        for function in functions(tree)
        if function.end_lineno - function.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def registered_names() -> set[str]:
    from csp.sources import SOURCES

    return set(KINDS.names()) | set(SOURCES.names())


@pytest.mark.parametrize("registry_package", ["csp.kinds", "csp.sources"])
def test_registries_exist(registry_package: str) -> None:
    assert registry_package in modules()


def test_no_kind_or_source_name_compared_outside_its_registry() -> None:
    names = registered_names()
    found = []
    for module, tree in modules().items():
        if module.startswith(("csp.kinds", "csp.sources")):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            for operand in [node.left, *node.comparators]:
                for constant in ast.walk(operand):
                    if isinstance(constant, ast.Constant) and constant.value in names:
                        found.append(f"{module}:{node.lineno} compares '{constant.value}'")
    assert found == []
