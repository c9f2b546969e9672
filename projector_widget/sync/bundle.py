"""Where the built frontend lives: the bundle the widget loads and saved pages embed."""

from __future__ import annotations

import pathlib

STATIC = pathlib.Path(__file__).parent.parent / "static"
#: The ES module built from ``js/`` by ``npm run build``.
ESM = STATIC / "widget.js"
#: Its stylesheet.
CSS = STATIC / "widget.css"


def require_bundle() -> None:
    """Raise RuntimeError saying how to build the frontend when its bundle is missing."""
    if not ESM.exists():
        raise RuntimeError(
            f"the frontend bundle {ESM} is missing: install the package with "
            "`pip install .` (which builds it) or run `npm install && npm run build`"
        )
