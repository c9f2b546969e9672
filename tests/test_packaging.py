"""What a wheel and an sdist carry: the licence, and a browser bundle of their own js/ sources."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
tomllib = pytest.importorskip("tomllib")


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_licence_the_metadata_names_ships_in_the_sdist_and_the_wheel():
    config = _pyproject()
    assert config["project"]["license"] == {"text": "BSD-3-Clause"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License") and "projector-widget developers" in text
    # hatchling puts LICEN[CS]E* in the wheel's .dist-info; the sdist ships what it includes.
    assert "LICENSE" in config["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def test_the_build_never_ships_the_bundle_lying_there_unchecked():
    build = _pyproject()["tool"]["hatch"]["build"]
    hooks = build["hooks"]
    assert "custom" in hooks  # hatch_build.py
    assert all("skip-if-exists" not in hook for hook in hooks.values())
    assert "hatch_build.py" in build["targets"]["sdist"]["include"]  # a wheel from the sdist


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A project with sources, a bundle and the stamp of both."""
    (tmp_path / "js" / "view").mkdir(parents=True)
    (tmp_path / "js" / "widget.ts").write_text("export default {};\n")
    (tmp_path / "js" / "view" / "a.ts").write_text("export const a = 1;\n")
    (tmp_path / "js" / "view" / "a.test.ts").write_text("test\n")
    (tmp_path / "package.json").write_text("{}\n")
    (tmp_path / "node_modules").mkdir()
    static = tmp_path / "projector_widget" / "static"
    static.mkdir(parents=True)
    (static / "widget.js").write_text("bundle of a = 1\n")
    (static / "widget.css").write_text("css\n")
    hook = _hook()
    (tmp_path / hook.STAMP).write_text(json.dumps(hook.stamp(tmp_path)))
    return tmp_path


def test_a_bundle_is_fresh_only_when_stamped_for_these_sources(tree: Path):
    hook = _hook()
    assert hook.stale(tree) is None
    (tree / "js" / "view" / "a.test.ts").write_text("another test\n")  # not in the bundle
    assert hook.stale(tree) is None
    (tree / "js" / "view" / "a.ts").write_text("export const a = 2;\n")
    assert "sources" in hook.stale(tree)
    (tree / "js" / "view" / "a.ts").write_text("export const a = 1;\n")
    (tree / "projector_widget" / "static" / "widget.js").write_text("from elsewhere\n")
    assert "changed since it was stamped" in hook.stale(tree)
    (tree / hook.STAMP).unlink()
    assert "not built by this hook" in hook.stale(tree)
    (tree / "projector_widget" / "static" / "widget.css").unlink()
    assert "widget.css missing" in hook.stale(tree)


def test_a_stale_bundle_is_rebuilt_and_stamped_or_refused_without_npm(tree, monkeypatch):
    hook = _hook()
    (tree / "js" / "view" / "a.ts").write_text("export const a = 2;\n")
    monkeypatch.setattr(hook.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="npm is not installed"):
        hook.ensure_bundle(tree)
    assert hook.stale(tree) is not None
    ran: list[list[str]] = []

    def npm(args: list[str], cwd: Path, check: bool) -> subprocess.CompletedProcess[str]:
        ran.append(args[1:])
        (cwd / "projector_widget" / "static" / "widget.js").write_text("bundle of a = 2\n")
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(hook.shutil, "which", lambda _name: "/usr/bin/npm")
    monkeypatch.setattr(hook.subprocess, "run", npm)
    hook.ensure_bundle(tree)
    assert ran == [["run", "build"]]  # node_modules is there: no npm ci
    assert hook.stale(tree) is None
    hook.ensure_bundle(tree)  # fresh: nothing runs
    assert ran == [["run", "build"]]
