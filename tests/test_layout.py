"""What ships and what imports what: the runtime packages stand without the dev tooling, the wheel holds
only them, and no test uses a conftest as a library."""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from ledger.paths import PROJECT_ROOT

#: The packages the wheel ships (pyproject.toml ``[tool.setuptools.packages.find]``).
RUNTIME_PACKAGES = ("ledger", "api")
#: Repository folders that are importable in a checkout but never installed.
DEV_ONLY_FOLDERS = ("devtools", "tests")


def _name(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def _closure(roots: list[tuple[str, frozenset[str]]]) -> set[str]:
    """Every installed distribution ``roots`` pull in (a root is a name and the extras asked of it)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        dist, extras = todo.pop()
        try:
            requires = distribution(dist).requires or []
        except PackageNotFoundError:  # an optional dependency this machine did not install
            continue
        if _name(dist) in seen:
            continue
        seen.add(_name(dist))
        for line in requires:
            req = Requirement(line)
            wanted = req.marker is None or any(req.marker.evaluate({"extra": e}) for e in {"", *extras})
            if wanted:
                todo.append((req.name, frozenset(req.extras)))
    return seen


def dev_only_modules() -> list[str]:
    """Top-level modules that only the ``dev`` extra installs: its distributions and their dependencies,
    less everything the runtime dependencies need too, and the repository's dev-only folders."""
    requirements = [Requirement(r) for r in distribution("pledgeledger").requires or []]
    runtime = [r for r in requirements if r.marker is None]
    dev = [r for r in requirements if r.marker is not None and r.marker.evaluate({"extra": "dev"})]
    runtime_dists = _closure([(r.name, frozenset(r.extras)) for r in runtime])
    dev_dists = _closure([(r.name, frozenset(r.extras)) for r in dev]) - runtime_dists
    modules = {
        module
        for module, dists in packages_distributions().items()
        if dists and all(_name(d) in dev_dists for d in dists)
    }
    return sorted(modules | set(DEV_ONLY_FOLDERS))


#: Run in a fresh interpreter: refuse every dev-only module, then import every module of the runtime
#: packages. Prints the modules imported, as JSON.
_IMPORT_ALL = """
import importlib, json, pkgutil, sys

blocked = set(json.loads(sys.argv[1]))

class RefuseDevOnly:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is dev-only: not installed without the dev extra", name=name)
        return None

sys.meta_path.insert(0, RefuseDevOnly())
for name in list(sys.modules):
    if name.partition(".")[0] in blocked:
        raise SystemExit(f"{name} was imported before the check could refuse it")
try:
    import pytest  # noqa: F401
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("the import hook let pytest through")

imported = []
for top in sys.argv[2:]:
    package = importlib.import_module(top)
    imported.append(top)
    for info in pkgutil.walk_packages(package.__path__, prefix=top + "."):
        if info.name.rpartition(".")[2] == "__main__":
            continue
        importlib.import_module(info.name)
        imported.append(info.name)
print(json.dumps(imported))
"""


def test_every_runtime_module_imports_without_the_dev_extras(tmp_path: Path) -> None:
    blocked = dev_only_modules()
    # The computed list must hold what matters, or the check would pass vacuously.
    for module in ("pytest", "hypothesis", "slither", "crytic_compile", "schemathesis", "playwright", "mypy"):
        assert module in blocked, module
    for module in ("web3", "sqlalchemy", "fastapi", "ledger", "api"):
        assert module not in blocked, module

    # From a folder outside the checkout, so that devtools/ and tests/ are not on the path by accident.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, json.dumps(blocked), *RUNTIME_PACKAGES],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, "a runtime module needs a dev-only one:\n" + result.stderr[-3000:]
    imported = set(json.loads(result.stdout.strip().splitlines()[-1]))
    sources = {
        ".".join(p.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in RUNTIME_PACKAGES
        for p in (PROJECT_ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and p.name != "__main__.py"
    }
    assert sources <= imported, f"modules not imported: {sorted(sources - imported)}"


def test_the_runtime_packages_do_not_import_the_dev_only_folders() -> None:
    offenders = []
    for package in RUNTIME_PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [
                    f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} imports {name}"
                    for name in names
                    if name.partition(".")[0] in DEV_ONLY_FOLDERS
                ]
    assert not offenders, "\n".join(offenders)


def test_no_test_imports_a_conftest() -> None:
    """A conftest holds fixtures and hooks; helpers that tests import live in tests/support/ or a folder's
    support.py (imported under a second name, a conftest would also be loaded twice)."""
    offenders = []
    for path in (PROJECT_ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            if any(m.rpartition(".")[2] == "conftest" for m in modules):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert not offenders, "imports from a conftest: " + ", ".join(offenders)


@pytest.mark.slow
def test_the_wheel_ships_the_runtime_packages_and_nothing_else(tmp_path: Path) -> None:
    # A copy of the sources, so that the build leaves no build/ or egg-info in the checkout (and a stale
    # build/ of the checkout cannot put deleted modules into the wheel).
    source = tmp_path / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT_ROOT / name, source / name)
    for folder in (*RUNTIME_PACKAGES, *DEV_ONLY_FOLDERS):
        shutil.copytree(PROJECT_ROOT / folder, source / folder, ignore=ignore)
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = out.glob("pledgeledger-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == set(RUNTIME_PACKAGES), sorted(tops)
    assert "ledger/py.typed" in names
    assert "ledger/abi/PledgeLedger.json" in names
    assert any(n.startswith("api/dashboard/") for n in names)
    assert any(n.startswith("ledger/db/migrations/versions/") for n in names)


def _exception_classes(tree: ast.Module, known: set[str]) -> list[str]:
    """Classes defined in ``tree`` that derive from an exception (a builtin one or one in ``known``)."""
    builtin = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            if bases & (builtin | known):
                found.append(node.name)
    return found


@pytest.mark.parametrize("package", RUNTIME_PACKAGES)
def test_every_error_class_of_a_package_is_in_its_errors_module(package: str) -> None:
    """One exceptions module per package: a caller finds every error it may catch in one place."""
    home = PROJECT_ROOT / package / "errors.py"
    known = set(_exception_classes(ast.parse(home.read_text()), set()))
    known |= set(_exception_classes(ast.parse((PROJECT_ROOT / "ledger" / "errors.py").read_text()), set()))
    elsewhere = {
        str(path.relative_to(PROJECT_ROOT)): classes
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
        if path != home and "migrations" not in path.parts
        if (classes := _exception_classes(ast.parse(path.read_text()), known))
    }
    assert elsewhere == {}, f"move these to {package}/errors.py"
