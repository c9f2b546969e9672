"""Screenshots of the features that explain a map, on scikit-learn's digits, in a real JupyterLab.

Usage: python scripts/feature_shots.py [OUT_DIR]   (default docs/; needs the dev extra)

Writes, each from its own notebook cell run in headless chromium:
* ``clusters.png``: t-SNE of the digits with cluster names (c-TF-IDF of a text column) and
  density contours under the points;
* ``quality.png``: a 2-D PCA coloured by ``neighbours kept`` (``w.layout_quality()``), with the
  Map section of the panel showing trustworthiness and continuity;
* ``timeline.png``: the hidden layer of a small MLP after each of six training epochs
  (``Projector.sequence``), aligned, at the last step, with the timeline;
* ``chart.png``: the cross-filter chart of the digit column with the 4s selected on the map.
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

SETUP = """
import numpy as np
from sklearn.datasets import load_digits
from projector_widget import Projector
digits = load_digits()
names = np.array("zero one two three four five six seven eight nine".split())
meta = {"digit": digits.target, "name": [f"{names[d]} digit" for d in digits.target]}
"""

SHOTS = {
    "clusters.png": """
w = Projector(digits.data, meta, height=480, dimensions=2)
w.tsne(seed=0, n_iter=500).wait()
w.cluster(column="name")
w.show_clusters = True
w.show_density = True
w.color_by = "digit"
w
""",
    "quality.png": """
w = Projector(digits.data, meta, height=480, dimensions=2)
report = w.layout_quality(k=10)
w.color_by = "neighbours kept"
w.color_map = "viridis"
w
""",
    "timeline.png": """
import warnings
from sklearn.neural_network import MLPClassifier
mlp = MLPClassifier(hidden_layer_sizes=(32,), random_state=0, learning_rate_init=0.01)
steps = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for epoch in range(6):
        mlp.partial_fit(digits.data / 16, digits.target, classes=np.arange(10))
        steps.append(np.maximum(0, digits.data / 16 @ mlp.coefs_[0] + mlp.intercepts_[0]))
w = Projector.sequence(steps, meta, names=[f"epoch {i + 1}" for i in range(6)], height=480)
w.color_by = "digit"
w.step = 5
w
""",
    "chart.png": """
w = Projector(digits.data, meta, height=480, dimensions=2)
w.color_by = "digit"
w.selected = np.flatnonzero(digits.target == 4)
w.chart = "digit"
w
""",
}


def main(out_dir: Path) -> None:
    """Write every screenshot into ``out_dir``."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = start_jupyter("lab", root, "lab.log")
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                for name, cell in SHOTS.items():
                    notebook = name.replace(".png", ".ipynb")
                    write_notebook(root / notebook, [SETUP, cell])
                    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
                    nb = open_notebook_page(ctx, server, notebook)
                    nb.run_all()
                    nb.page.wait_for_selector('.projector-widget[data-ready="1"]', timeout=120_000)
                    el = nb.page.query_selector(".projector-widget")
                    el.scroll_into_view_if_needed()
                    nb.page.wait_for_timeout(2500)  # labels placed, contours traced
                    el.screenshot(path=str(out_dir / name))
                    print(f"wrote {out_dir / name}")
                    ctx.close()
                browser.close()
        finally:
            stop_jupyter(server)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
