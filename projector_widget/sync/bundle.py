"""Where the built frontend lives: the bundle the widget loads and saved pages embed."""

from __future__ import annotations

import os
import pathlib

STATIC = pathlib.Path(__file__).parent.parent / "static"
#: The ES module built from ``js/`` by ``npm run build``.
ESM = STATIC / "widget.js"
#: Its stylesheet.
CSS = STATIC / "widget.css"


class FileText:
    """The text of a bundle file, read the first time a widget asks for it (``str()``)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self.path.read_text(encoding="utf-8")
        return self._text

    def __repr__(self) -> str:
        return f"FileText({str(self.path)!r})"


def asset(path: pathlib.Path, missing: str) -> pathlib.Path | FileText | str:
    """What the widget class gives anywidget as ``_esm`` or ``_css``: the file's text
    (``missing`` when there is no such file).

    Not the path: anywidget watches a path it is given, and its watcher holds a strong reference
    to every widget made (a callback that updates the widget when the file changes), so no
    widget was ever freed. The path is given only with ``ANYWIDGET_HMR=1`` (development: each
    rebuild of the bundle reaches the widgets on screen, which then live as long as the kernel).
    """
    if not path.exists():
        return missing
    return path if os.environ.get("ANYWIDGET_HMR") == "1" else FileText(path)


def require_bundle() -> None:
    """Raise RuntimeError saying how to build the frontend when its bundle is missing."""
    if not ESM.exists():
        raise RuntimeError(
            f"the frontend bundle {ESM} is missing: install the package with "
            "`pip install .` (which builds it) or run `npm install && npm run build`"
        )
