"""The shape checks that `make test` runs: `lint-imports` with the contracts in pyproject.toml, and
scripts/check_shape.py (file sizes, private names, cycles through a package's ``__init__``).

Each test runs the real tools and the real configuration on a skeleton of the package: every module
of projector_widget/ emptied, plus a few modules that import along the target shape (each layer from
the one below it, backends picking the Dask backend inside a function). The skeleton passes both
tools; each test plants one violation in a copy and expects the tool to fail and name it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (pytest installs tomli there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "projector_widget"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CHECK_SHAPE = ROOT / "scripts" / "check_shape.py"
EXCEPTIONS = "[tool.projector-shape.exceptions]\n"


def _layers() -> list[list[str]]:
    """The layers contract's layers, top to bottom, each a list of module names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [
        [f"{PACKAGE}.{name.strip()}" for name in layer.split("|")] for layer in layers["layers"]
    ]


def _home(root: Path, module: str) -> tuple[Path, str]:
    """The file of the skeleton that speaks for ``module`` (a new module inside a subpackage),
    and its dotted name."""
    path = root / Path(*module.split("."))
    if path.is_dir():
        return path / "skeleton.py", f"{module}.skeleton"
    return path.with_suffix(".py"), module


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    package = path.parent
    while package.name != PACKAGE and PACKAGE in package.parts:  # a new subpackage
        (package / "__init__.py").touch()
        package = package.parent
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


def _build_skeleton(root: Path) -> None:
    for source in (ROOT / PACKAGE).rglob("*.py"):
        if "__pycache__" not in source.parts:
            target = root / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text('"""Emptied by tests/test_shape.py."""\n')
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    _write(root / "js" / "widget.ts", "export default {};\n")
    _write(root / "js" / "style.css", ".projector {}\n")
    layers = _layers()
    for upper, lower in zip(layers, layers[1:], strict=False):
        below, below_name = _home(root, lower[0])
        _write(below, "def public() -> None:\n    pass\n")
        for module in upper:
            path, _ = _home(root, module)
            if module == f"{PACKAGE}.backends":
                # The one place that picks the Dask backend, inside a function.
                text = f"def pick():\n    from {PACKAGE}.dask.skeleton import public\n"
            else:
                text = f"from {below_name} import public\n"
            _write(path, text)
    # Allowed: an import under TYPE_CHECKING from a layer below, a private module used inside its
    # own package, a function-local import downwards, the Dask packages inside projector_widget.dask.
    _write(root / PACKAGE / "data" / "_impl.py", "def _private() -> None:\n    pass\n")
    _write(
        root / PACKAGE / "data" / "skeleton.py",
        "from typing import TYPE_CHECKING\n\nfrom . import _impl\n\n"
        f"if TYPE_CHECKING:\n    from {PACKAGE}.util.skeleton import public as util_public\n\n"
        "def later():\n    from .. import util\n",
    )
    _write(root / PACKAGE / "dask" / "skeleton.py", "import dask.array\nimport distributed\n")
    _write(root / PACKAGE / "__init__.py", f"from {PACKAGE}.widget import public\n")


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("skeleton")
    _build_skeleton(root)
    return root


@pytest.fixture
def tree(skeleton: Path, tmp_path: Path) -> Path:
    """A fresh copy of the skeleton to plant a violation in."""
    root = tmp_path / "tree"
    shutil.copytree(skeleton, root)
    return root


def lint_imports(root: Path) -> tuple[int, str]:
    """Run lint-imports on the package under ``root`` with the contracts in its pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def check_shape(root: Path) -> tuple[int, str]:
    """Run scripts/check_shape.py on the tree under ``root``."""
    done = subprocess.run(
        [sys.executable, str(CHECK_SHAPE), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def add_exception(root: Path, entry: str) -> None:
    """Add ``entry`` under [tool.projector-shape.exceptions] in the tree's pyproject.toml."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert EXCEPTIONS in text
    pyproject.write_text(text.replace(EXCEPTIONS, EXCEPTIONS + entry + "\n"), encoding="utf-8")


def test_target_shape_passes_both_tools(skeleton: Path) -> None:
    code, out = lint_imports(skeleton)
    assert code == 0, out
    assert " 0 broken" in out
    code, out = check_shape(skeleton)
    assert code == 0, out
    assert "check_shape: OK" in out


def test_lint_imports_finds_a_lower_layer_importing_a_higher_one(tree: Path) -> None:
    _write(tree / PACKAGE / "data" / "planted.py", f"from {PACKAGE}.widget import Projector\n")
    code, out = lint_imports(tree)
    assert code == 1, out
    assert f"{PACKAGE}.data is not allowed to import {PACKAGE}.widget" in out
    assert f"{PACKAGE}.data.planted -> {PACKAGE}.widget (l.1)" in out


def test_lint_imports_counts_imports_under_type_checking(tree: Path) -> None:
    _write(
        tree / PACKAGE / "util" / "planted.py",
        f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from {PACKAGE}.sync import x\n",
    )
    code, out = lint_imports(tree)
    assert code == 1, out
    assert f"{PACKAGE}.util.planted -> {PACKAGE}.sync (l.3)" in out


def test_lint_imports_finds_a_cycle_between_two_modules_of_one_subpackage(tree: Path) -> None:
    compute = tree / PACKAGE / "compute"
    _write(compute / "cycle_a.py", "from . import cycle_b\n")
    _write(compute / "cycle_b.py", f"def later():\n    from {PACKAGE}.compute import cycle_a\n")
    code, out = lint_imports(tree)
    assert code == 1, out
    assert f"No cycles are allowed in {PACKAGE}.compute." in out
    assert ".cycle_a -> .cycle_b" in out or ".cycle_b -> .cycle_a" in out


def test_lint_imports_finds_a_cycle_between_two_subpackages_of_one_layer(tree: Path) -> None:
    # No module imports itself back; only the subpackages, taken whole, form a cycle.
    compute = tree / PACKAGE / "compute"
    _write(compute / "alpha" / "one.py", f"from {PACKAGE}.compute.beta import two\n")
    _write(compute / "beta" / "two.py", "")
    _write(compute / "beta" / "three.py", "def later():\n    from ..alpha import four\n")
    _write(compute / "alpha" / "four.py", "")
    code, out = lint_imports(tree)
    assert code == 1, out
    assert f"No cycles are allowed in {PACKAGE}.compute." in out
    assert ".alpha -> .beta" in out or ".beta -> .alpha" in out


def test_lint_imports_finds_a_cycle_between_top_level_subpackages(tree: Path) -> None:
    _write(tree / PACKAGE / "formats" / "one.py", f"from {PACKAGE}.dask import two\n")
    _write(
        tree / PACKAGE / "dask" / "two.py", f"def later():\n    from {PACKAGE}.formats import one\n"
    )
    code, out = lint_imports(tree)
    assert code == 1, out
    assert f"No cycles are allowed in {PACKAGE}." in out
    assert ".dask -> .formats" in out or ".formats -> .dask" in out


@pytest.mark.parametrize("statement", ["import dask", "import distributed.client", "import zarr"])
def test_lint_imports_finds_dask_imported_outside_the_dask_package(
    tree: Path, statement: str
) -> None:
    _write(tree / PACKAGE / "compute" / "planted.py", f"def later():\n    {statement}\n")
    code, out = lint_imports(tree)
    assert code == 1, out
    imported = statement.split()[1].split(".", maxsplit=1)[0]
    assert f"{PACKAGE}.compute is not allowed to import {imported}" in out
    assert f"{PACKAGE}.compute.planted -> {imported}" in out


def test_lint_imports_finds_the_widget_picking_the_dask_backend(tree: Path) -> None:
    _write(tree / PACKAGE / "widget.py", f"from {PACKAGE}.dask.skeleton import public as p\n")
    code, out = lint_imports(tree)
    assert code == 1, out
    assert f"{PACKAGE}.widget is not allowed to import {PACKAGE}.dask" in out


def test_lint_imports_finds_a_module_in_no_layer(tree: Path) -> None:
    _write(tree / PACKAGE / "helpers.py", "")
    code, out = lint_imports(tree)
    assert code == 1, out
    assert f"{PACKAGE}.helpers" in out


@pytest.mark.parametrize("path", ["js/scene/planted.test.ts", "js/planted.css", "parts/planted.py"])
def test_check_shape_finds_a_file_over_600_lines(tree: Path, path: str) -> None:
    file = tree / path if path.startswith("js/") else tree / PACKAGE / path
    _write(file, "x\n" * 600)
    code, out = check_shape(tree)
    assert code == 0, out  # 600 lines is within the limit
    _write(file, "x\n")
    code, out = check_shape(tree)
    assert code == 1, out
    relative = file.relative_to(tree).as_posix()
    assert f"{relative}: 601 lines, limit 600: split it" in out


@pytest.mark.parametrize(
    "statement",
    [
        f"from {PACKAGE}.compute.skeleton import _helper",
        "from ..compute.skeleton import public, _helper",
        f"def later():\n    from {PACKAGE}.compute.skeleton import _helper",
    ],
    ids=["absolute", "relative", "function-local"],
)
def test_check_shape_finds_a_private_name_imported_from_another_module(
    tree: Path, statement: str
) -> None:
    _write(tree / PACKAGE / "parts" / "planted.py", f"{statement}\n")
    code, out = check_shape(tree)
    assert code == 1, out
    assert f"{PACKAGE}/parts/planted.py:" in out
    assert f"imports the private name _helper from {PACKAGE}.compute.skeleton" in out


def test_check_shape_finds_a_private_module_imported_from_outside_its_package(tree: Path) -> None:
    _write(tree / PACKAGE / "compute" / "planted.py", f"import {PACKAGE}.data._impl\n")
    code, out = check_shape(tree)
    assert code == 1, out
    assert f"imports the private module {PACKAGE}.data._impl from outside {PACKAGE}.data" in out


def test_check_shape_finds_a_cycle_through_a_package_init(tree: Path) -> None:
    util = tree / PACKAGE / "util"
    _write(util / "__init__.py", f"from {PACKAGE}.util.planted import name\n")
    _write(util / "planted.py", f"def later():\n    from {PACKAGE} import util\n")
    code, out = check_shape(tree)
    assert code == 1, out
    assert f"import cycle through the package {PACKAGE}.util" in out


def test_check_shape_accepts_an_exception_within_its_ceiling(tree: Path) -> None:
    _write(tree / "js" / "big.ts", "x\n" * 700)
    add_exception(tree, '"js/big.ts" = { max-lines = 750, reason = "a table of test cases" }')
    code, out = check_shape(tree)
    assert code == 0, out
    _write(tree / "js" / "big.ts", "x\n" * 51)
    code, out = check_shape(tree)
    assert code == 1, out
    assert "js/big.ts: 751 lines, over its exception's ceiling of 750" in out


def test_check_shape_finds_a_stale_exception(tree: Path) -> None:
    add_exception(tree, '"js/widget.ts" = { max-lines = 700, reason = "was long" }')
    add_exception(tree, '"js/gone.ts" = { max-lines = 700, reason = "was long" }')
    code, out = check_shape(tree)
    assert code == 1, out
    assert "js/widget.ts: stale size exception, 1 lines is within the limit of 600" in out
    assert "js/gone.ts: stale size exception, the file is gone" in out


def test_check_shape_rejects_an_exception_without_a_reason(tree: Path) -> None:
    _write(tree / "js" / "big.ts", "x\n" * 700)
    add_exception(tree, '"js/big.ts" = { max-lines = 750, reason = " " }')
    code, out = check_shape(tree)
    assert code == 2, out
    assert "the reason is empty" in out
