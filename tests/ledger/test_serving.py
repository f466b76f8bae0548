"""``ledger.serving`` is the one module of ``ledger`` that starts the ``api`` app: the API is built on the
ledger, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import ledger

LEDGER = Path(ledger.__file__).parent
#: The one module allowed to import the API (to serve it for ``up`` and ``serve``).
SERVING = LEDGER / "serving.py"


def _imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, at any depth of its code (function-level imports too)."""
    packages: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
    return packages


def test_only_ledger_serving_imports_the_api() -> None:
    importers = sorted(
        str(path.relative_to(LEDGER.parent))
        for path in LEDGER.rglob("*.py")
        if "api" in _imported_packages(path)
    )
    assert importers == ["ledger/serving.py"]


def test_the_import_finder_sees_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from api.main import create_app\n    import api.proxy\n")
    assert _imported_packages(module) == {"api"}
