"""Tests share helpers through conftest.py or helper modules, never by importing a test module
(which would tie one file's tests to another's and run its module-level setup twice over)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_test_modules(source: str) -> set[str]:
    """The test modules (a last part named test_…) that this source imports, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                 [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
        if isinstance(node, ast.ImportFrom):
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        found |= {name for name in names if name.rsplit(".", 1)[-1].startswith("test_")}
    return found


def test_the_finder_sees_each_way_of_importing_a_test_module():
    source = ("from tests.core.test_gradients import rel_error\n"
              "def f():\n    import tests.gui.test_canvas\n"
              "from tests.core import test_examples\n"
              "from tests.core.example_designs import xor_design\n")
    assert imported_test_modules(source) == {"tests.core.test_gradients", "tests.gui.test_canvas",
                                             "tests.core.test_examples"}


def test_no_test_module_imports_another():
    imports = {str(path.relative_to(TESTS)): imported_test_modules(path.read_text(encoding="utf-8"))
               for path in sorted(TESTS.rglob("*.py"))}
    assert {path: names for path, names in imports.items() if names} == {}
