"""The shape ARCHITECTURE.md promises: no import circles, no function-local imports, short
functions, and no kind or source name compared outside its registry."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from csp.kinds import KINDS

PACKAGE = Path(__file__).resolve().parents[1] / "csp"
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return found


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.Module, known: set[str]) -> set[str]:
    """The csp modules a module imports when it is imported (type-checking imports aside)."""
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and is_type_checking(node):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                imported |= {a.name for a in inner.names if a.name in known}
            elif isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                for alias in inner.names:
                    candidate = f"{inner.module}.{alias.name}"
                    imported.add(candidate if candidate in known else inner.module)
    return {name for name in imported if name in known}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, if there is any."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_among_csp_modules() -> None:
    trees = modules()
    known = set(trees)
    graph = {name: runtime_imports(tree, known) - {name} for name, tree in trees.items()}
    assert cycle(graph) is None


def functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


# The command line checks its arguments before it imports the pipeline, so that a typo is answered
# at once: the only deferred imports, and not there to dodge a circle.
DEFERRED_IMPORTS = {"csp.cli"}


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
