"""Write the demo notebooks in notebooks/ from the cell sources below (keeps them diff-friendly).

Run ``python scripts/make_notebooks.py`` after editing; the notebooks are committed unexecuted.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1] / "notebooks"

QUICKSTART = [
    (
        "md",
        """# projector-widget quickstart

The 1,797 handwritten digits that ship with scikit-learn, as 64-dimensional vectors (8×8 pixels),
projected with PCA computed in this kernel. Drag to pan, scroll to zoom, **Shift+drag** to lasso
points, click a point to select it, **Shift+click** to add or remove one, **Esc** to clear.""",
    ),
    (
        "code",
        """import numpy as np
from sklearn.datasets import load_digits

from projector_widget import Projector

digits = load_digits()
metadata = {"digit": digits.target, "ink": digits.data.sum(axis=1)}
w = Projector(digits.data, metadata)
w""",
    ),
    (
        "md",
        """## The selection comes back to Python

`w.selected` is a sorted NumPy array of row indices. Lasso a cluster above, then run the next cell:
it counts the digits you picked. The label under it updates live on every change, from either side.""",
    ),
    (
        "code",
        """import ipywidgets as widgets

summary = widgets.HTML()


def show(change=None):
    picked = w.selected
    counts = np.bincount(digits.target[picked], minlength=10)
    top = ", ".join(f"{d}: {c}" for d, c in enumerate(counts) if c)
    summary.value = f"<b>{len(picked)} selected</b> {top}"


w.observe(show, "selected")
show()
summary""",
    ),
    ("md", "## …and goes the other way: assigning highlights points in the browser"),
    (
        "code",
        """w.selected = np.flatnonzero(digits.target == 0)
len(w.selected)""",
    ),
    (
        "md",
        "Colour by another column, or switch to the 3-D view (drag to rotate), from Python or from the toolbar.",
    ),
    (
        "code",
        """w.color_by = "ink"
w.dimensions = 3
w.explained_variance_ratio[:3].round(3)""",
    ),
]

EXPLORE = [
    (
        "md",
        """# Exploring digits: t-SNE, neighbours, search, sprites

The 1,797 scikit-learn digits again, now drawn as their own 8×8 images (toggle **Images** in the
toolbar), laid out with t-SNE computed live in the kernel. Everything below can also be done from
the widget's side panel.""",
    ),
    (
        "code",
        """import numpy as np
from sklearn.datasets import load_digits

from projector_widget import Projector

digits = load_digits()
meta = {"digit": digits.target, "name": [f"img{i:04d}-digit{d}" for i, d in enumerate(digits.target)]}
w = Projector(digits.data, meta, images=digits.images, label_by="digit", dimensions=2)
w""",
    ),
    ("md", "Run t-SNE in the background: the plot above animates as it converges."),
    (
        "code",
        """job = w.project("tsne", perplexity=30, n_iter=250, seed=0)
job.wait()
w.coordinates.shape""",
    ),
    (
        "md",
        "The nearest neighbours of image 0 in the original 64-dimensional space, closest first:",
    ),
    (
        "code",
        """idx, dist = w.nearest(0, k=8, metric="euclidean")
w.focus = 0  # the inspector shows the same list
list(zip(digits.target[idx], dist.round(2)))""",
    ),
    ("md", "Search a column (substring or regular expression): the matches become the selection."),
    (
        "code",
        """hits = w.search(r"digit[38]$", column="name", regex=True)
len(hits), np.bincount(digits.target[hits])""",
    ),
    ("md", "Isolate the selection, re-project just those points, and save the view as a bookmark."),
    (
        "code",
        """w.isolate()
w.project("pca")
w.save_bookmark("threes and eights")
w.show_all()
w.bookmarks""",
    ),
]

HOSTING = [
    (
        "md",
        """# From TensorBoard files to a web page

Write a TensorBoard projector log directory, read one back (the way TensorBoard does), check a
broken one with `diagnose`, and save a standalone page that any web server can host.""",
    ),
    (
        "code",
        """import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from projector_widget import Projector, diagnose

digits = load_digits()
w = Projector(digits.data, {"digit": digits.target}, images=digits.images)
logdir = Path(tempfile.mkdtemp()) / "logs"
w.to_tensorboard(logdir)            # tensorboard --logdir <logdir> shows the same points
sorted(p.name for p in logdir.iterdir())""",
    ),
    (
        "code",
        """back = Projector.from_tensorboard(logdir)  # tensor, metadata and sprite come back
print(back.n_points, back.columns)
back""",
    ),
    ("md", "A metadata file one row short is the classic blank projector; `diagnose` says why:"),
    (
        "code",
        """meta = logdir / "metadata.tsv"
meta.write_text("".join(meta.read_text().splitlines(keepends=True)[:-1]))
print(diagnose(logdir))""",
    ),
    (
        "md",
        """## Host it

`save_html` writes one self-contained page (data embedded as base64, labels escaped). Serve it
with any static server, or with Flask (the `serve` extra: `pip install "projector-widget[serve]"`,
which `make lab` installs): `python serve_projector.py projector.html --port 8050`.""",
    ),
    (
        "code",
        """page = w.save_html(Path(tempfile.mkdtemp()) / "projector.html")
from serve_projector import make_app

client = make_app(page).test_client()
response = client.get("/")
response.status_code, len(response.data) // 1024""",
    ),
]


LARGE = [
    (
        "md",
        """# A large set: progressive drawing, fast selection, neighbours

Synthetic clustered embeddings (set `N = 1_000_000` to try a million; the default keeps this
notebook quick). Above 60,000 rows the first frame uses a sample's PCA axes and the PCA of every
row replaces it a moment later; above 262,144 points the first 131,072 are drawn while the rest
is on its way (the status line says so).""",
    ),
    (
        "code",
        """import time

import numpy as np

from projector_widget import Projector

N, D = 300_000, 96
rng = np.random.default_rng(0)
centers = rng.standard_normal((30, D)).astype(np.float32) * 3
labels = rng.integers(0, 30, N)
emb = rng.standard_normal((N, D), dtype=np.float32) + centers[labels]

t = time.perf_counter()
w = Projector(emb, {"cluster": [f"c{i}" for i in labels]})
print(f"built in {time.perf_counter() - t:.2f} s")
w""",
    ),
    (
        "md",
        """## Selections come back in milliseconds

Lasso a cluster (Shift+drag) and run the next cell; assigning `w.selected` works the other way.""",
    ),
    (
        "code",
        """print(f"{len(w.selected):,} selected")
w.selected = np.flatnonzero(labels == 3)""",
    ),
    (
        "md",
        """## Exact neighbours, and an approximate index for very large sets

`w.nearest` is exact. On large inputs it first reads a sketch the PCA leaves behind (each row's
scores on 30 principal directions and the length of the rest), which rules out rows that cannot
be among the nearest; the answer is the same as scanning every row. `w.build_index()` (the `ann`
extra, faiss) trades a little recall for speed on sets where even that is too slow.""",
    ),
    (
        "code",
        """w.pca_refined.wait(60)  # the sketch comes with the PCA of every row
for exact in (True, False):
    t = time.perf_counter()
    idx, dist = w.nearest(0, k=10, exact=exact)
    print(f"{'exact' if exact else 'default'}: {(time.perf_counter() - t) * 1000:.1f} ms", idx[:5])

try:
    index = w.build_index()
    t = time.perf_counter()
    approx, _ = w.nearest(0, k=10)
    print(f"approximate: {(time.perf_counter() - t) * 1000:.1f} ms, "
          f"{len(set(approx) & set(idx))} of 10 exact neighbours found")
except ImportError as err:
    print(err)""",
    ),
]


def write(name: str, cells: list[tuple[str, str]]) -> None:
    """Write one notebook."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.split('.', maxsplit=1)[0]}-{i}"
    nbformat.write(nb, ROOT / name)


if __name__ == "__main__":
    ROOT.mkdir(exist_ok=True)
    write("quickstart.ipynb", QUICKSTART)
    write("explore.ipynb", EXPLORE)
    write("hosting.ipynb", HOSTING)
    write("large.ipynb", LARGE)
