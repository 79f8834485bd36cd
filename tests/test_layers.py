"""The layers point one way: core ← ingest ← assistant ← ui/views/app.

core holds what ingest and the assistant share (values, settings, text primitives, the store,
the embeddings); ingest builds the index; the assistant answers; the UI shows. Checked on the
source's imports (every `import` and `from … import`, also those inside functions), not at
run time, so that an import made only on some path is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI = {"ui", "views", "app"}

# Package → top-level packages its modules must never import.
FORBIDDEN = {
    "core": {"assistant", "ingest", *UI},
    "ingest": {"assistant", *UI},
    "assistant": UI,
}


def imported_packages(path: Path) -> set[str]:
    """The top-level names a module imports (relative imports count as its own package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add(path.relative_to(ROOT).parts[0])
            elif node.module:
                names.add(node.module.split(".")[0])
    return names


def test_the_layers_exist() -> None:
    for package in FORBIDDEN:
        assert (ROOT / package / "__init__.py").is_file(), package


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(package: str) -> None:
    wrong = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path) & FORBIDDEN[package]
        if bad:
            wrong[str(path.relative_to(ROOT))] = sorted(bad)
    assert not wrong, f"{package}/ imports what it must not: {wrong}"


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from assistant.pipeline import Assistant\n"
                      "    import ui.chat, json\n", encoding="utf-8")
    assert imported_packages(module) == {"assistant", "ui", "json"}
