"""The build hook that puts a bundle of the current ``js/`` sources into every wheel and sdist.

The browser side ships as ``projector_widget/static/widget.js`` and ``widget.css``, built by
``npm run build`` (esbuild) and ignored by git. A bundle lying there may be older than the
sources (built before a change, or from another branch), so a build never trusts it blindly:
:func:`stale` compares a stamp written next to it, ``projector_widget/static/bundle.json``
(the SHA-256 of the sources and of the bundle it built), with the files as they are now. When
they differ the hook runs ``npm ci`` (when ``node_modules`` is missing) and ``npm run build``
and writes the stamp again; without npm it refuses to build, saying why. An sdist carries the
bundle and its stamp, so a wheel built from it needs no npm.

Runs on the standard library alone (the tests import it without hatchling).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # imported by the tests, where hatchling is not installed
    BuildHookInterface = object  # type: ignore[misc,assignment]

#: What the bundle is built from, besides every file under js/ that is not a test.
SOURCE_FILES = ("package.json", "package-lock.json", "tsconfig.json")
#: The bundle: esbuild's outputs.
BUNDLE = ("projector_widget/static/widget.js", "projector_widget/static/widget.css")
STAMP = "projector_widget/static/bundle.json"


def _digest(root: Path, paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def sources(root: Path) -> list[Path]:
    """The files the bundle is built from: js/ without its tests, and the npm and TypeScript
    configuration (``SOURCE_FILES``), in a fixed order."""
    found = [
        p
        for p in (root / "js").rglob("*")
        if p.is_file() and ".test." not in p.name and "__snapshots__" not in p.parts
    ]
    found += [root / name for name in SOURCE_FILES if (root / name).is_file()]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def stamp(root: Path) -> dict[str, str]:
    """The stamp of the sources and the bundle as they are now."""
    return {
        "sources": _digest(root, sources(root)),
        "bundle": _digest(root, [root / name for name in BUNDLE]),
    }


def stale(root: Path) -> str | None:
    """Why the bundle under ``root`` cannot be shipped as it is (None when it can): missing,
    never stamped, or not the one built from the sources there now."""
    missing = [name for name in BUNDLE if not (root / name).is_file()]
    if missing:
        return f"{', '.join(missing)} missing"
    try:
        recorded = json.loads((root / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{STAMP} missing or unreadable (the bundle was not built by this hook)"
    now = stamp(root)
    if recorded.get("sources") != now["sources"]:
        return (
            "the sources under js/ (or package.json, package-lock.json) changed since it was built"
        )
    if recorded.get("bundle") != now["bundle"]:
        return "it was rebuilt or changed since it was stamped"
    return None


def build(root: Path, reason: str) -> None:
    """Rebuild the bundle with npm (``npm ci`` first when ``node_modules`` is missing) and stamp
    it; RuntimeError when npm is not installed."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"the browser bundle cannot be shipped as it is ({reason}) and npm is not installed "
            "to rebuild it: install Node.js (npm), or build from the sdist, which carries a "
            "bundle of its own sources"
        )
    if not (root / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
    subprocess.run([npm, "run", "build"], cwd=root, check=True)
    (root / STAMP).write_text(json.dumps(stamp(root), indent=1) + "\n", encoding="utf-8")


def ensure_bundle(root: Path) -> None:
    """Leave a fresh bundle alone; rebuild any other (:func:`stale`, :func:`build`)."""
    reason = stale(root)
    if reason is not None:
        build(root, reason)


class BundleHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    """Hatch's custom build hook (``[tool.hatch.build.hooks.custom]`` in pyproject.toml)."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Before a wheel, an editable wheel or an sdist is built: make the bundle current."""
        ensure_bundle(Path(self.root))
