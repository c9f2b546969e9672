"""Take the README screenshot: the digits quickstart in a real JupyterLab, in headless chromium.

Usage: python scripts/screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from harness import (  # noqa: E402
    launch_chromium,
    open_notebook_page,
    start_jupyter,
    stop_jupyter,
    write_notebook,
)

CELL = """
import numpy as np
from sklearn.datasets import load_digits
from projector_widget import Projector
digits = load_digits()
w = Projector(digits.data, {"digit": digits.target, "ink": digits.data.sum(axis=1)}, height=480, dimensions=3)
w.selected = np.flatnonzero(digits.target == 4)
w
"""


def main(out: Path) -> None:
    """Write the screenshot to ``out``."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_notebook(root / "shot.ipynb", [CELL])
        server = start_jupyter("lab", root, "lab.log")
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                ctx = browser.new_context(viewport={"width": 1000, "height": 800})
                nb = open_notebook_page(ctx, server, "shot.ipynb")
                nb.run_all()
                nb.page.wait_for_selector('.projector-widget[data-ready="1"]', timeout=60_000)
                el = nb.page.query_selector(".projector-widget")
                el.scroll_into_view_if_needed()
                nb.page.wait_for_timeout(500)
                out.parent.mkdir(parents=True, exist_ok=True)
                el.screenshot(path=str(out))
                browser.close()
        finally:
            stop_jupyter(server)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
